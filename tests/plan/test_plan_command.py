"""``cxray plan`` and ``cxray diagnose --context``: the files written, all or none, and errors as one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxray.cli import EXIT_CONFIG, EXIT_INPUT, app
from cxray.simulate import load_scenario, simulate

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "examples" / "context.yaml"
runner = CliRunner()


@pytest.fixture
def diagnosis_json(doc, tmp_path) -> Path:
    path = tmp_path / "diagnosis.json"
    path.write_text(json.dumps(doc, default=str), encoding="utf-8")
    return path


def test_plan_writes_json_page_and_a_brief_per_initiative_on_the_roadmap(diagnosis_json, tmp_path):
    out = tmp_path / "plan"
    result = runner.invoke(app, ["plan", str(diagnosis_json), "--context", str(EXAMPLE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    roadmap = sorted(i["id"] for i in plan["initiatives"] if i["status"] == "roadmap")
    assert sorted(p.stem for p in (out / "briefs").glob("*.md")) == roadmap
    assert (out / "plan.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not plan["draft"] and any(i["cut"] for i in plan["initiatives"])
    cut = next(i for i in plan["initiatives"] if i["cut"])
    assert f"off the roadmap: {cut['id']}" in result.output and "wave 1:" in result.output


def test_a_new_plan_replaces_the_briefs_of_the_last(diagnosis_json, tmp_path):
    out = tmp_path / "plan"
    runner.invoke(app, ["plan", str(diagnosis_json), "--out", str(out)])
    drafted = {p.name for p in (out / "briefs").glob("*.md")}
    runner.invoke(app, ["plan", str(diagnosis_json), "--context", str(EXAMPLE), "--out", str(out)])
    planned = {p.name for p in (out / "briefs").glob("*.md")}
    assert planned < drafted  # the cut initiative's brief from the draft is gone


def test_a_bad_context_fails_in_one_line_naming_file_and_key_and_writes_nothing(diagnosis_json, tmp_path):
    bad = tmp_path / "context.yaml"
    bad.write_text("initiatives:\n  - match: {code: TR01}\n    onwer: Jo\n", encoding="utf-8")
    out = tmp_path / "plan"
    result = runner.invoke(app, ["plan", str(diagnosis_json), "--context", str(bad), "--out", str(out)])
    assert result.exit_code == EXIT_CONFIG
    assert str(bad) in result.output and "'onwer'" in result.output
    assert not (out / "plan.json").exists()


def test_what_is_not_a_diagnosis_is_refused(tmp_path):
    other = tmp_path / "other.json"
    other.write_text('{"rows": []}', encoding="utf-8")
    result = runner.invoke(app, ["plan", str(other), "--out", str(tmp_path / "p")])
    assert result.exit_code == EXIT_INPUT and "not a diagnosis.json" in result.output


@pytest.fixture(scope="module")
def events_csv(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sim")
    (path,) = [p for p in simulate(load_scenario("default"), seed=3, days=21, customers=1500).write(folder)
               if p.suffix == ".csv"]  # fmt: skip
    return path


def test_diagnose_with_a_context_adds_the_plan_to_the_report_and_a_later_run_without_removes_it(
    events_csv, tmp_path
):
    out = tmp_path / "out"
    context = tmp_path / "context.yaml"
    context.write_text("organisation: {change_capacity: 2}\n", encoding="utf-8")
    result = runner.invoke(
        app, ["diagnose", str(events_csv), "--context", str(context), "--out", str(out), "-q"]
    )
    assert result.exit_code == 0, result.output
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan["capacity"] == 2 and (out / "plan.html").exists() and (out / "briefs").is_dir()
    report = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="plan"' in report and plan["initiatives"][0]["id"] in report
    again = runner.invoke(app, ["diagnose", str(events_csv), "--out", str(out), "-q"])
    assert again.exit_code == 0, again.output
    assert not (out / "plan.json").exists() and not (out / "briefs").exists()  # no stale plan beside
    assert 'id="plan"' not in (out / "report.html").read_text(encoding="utf-8")


def test_a_bad_context_fails_diagnose_before_the_work(events_csv, tmp_path):
    bad = tmp_path / "context.yaml"
    bad.write_text("weights: {speed: 1}\n", encoding="utf-8")
    result = runner.invoke(
        app, ["diagnose", str(events_csv), "--context", str(bad), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == EXIT_CONFIG and "weights" in result.output and "speed" in result.output
    assert "reading" not in result.output  # refused before any event was read


def test_redact_masks_personal_data_in_the_plan_too(events_csv, tmp_path):
    context = tmp_path / "context.yaml"
    context.write_text(
        "initiatives:\n  - match: {code: BO01}\n    owner: jo.bloggs@example.com\n    owner_function: Ops\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = ["diagnose", str(events_csv), "--context", str(context), "--redact", "--out", str(out), "-q"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    for name in ("plan.json", "plan.html", "report.html"):
        assert "jo.bloggs@example.com" not in (out / name).read_text(encoding="utf-8"), name
    for brief in (out / "briefs").glob("*.md"):
        assert "jo.bloggs@example.com" not in brief.read_text(encoding="utf-8")
