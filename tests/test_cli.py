"""The command line: outputs written, errors as one line with the documented exit code, determinism."""

from __future__ import annotations

import importlib
import json
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxray.cli import EXIT_CONFIG, EXIT_INPUT, EXIT_OK, app

runner = CliRunner()

GOOD_CSV = """contact_id,timestamp,activity,customer_id,channel,queue,team,outcome,duration_s
c1,2024-03-01T09:00:00,Call start,u1,phone,billing,tier1,,
c1,2024-03-01T09:01:00,Agent handling,u1,phone,billing,tier1,,240
c1,2024-03-01T09:05:00,Call end,u1,phone,billing,tier1,resolved,
c2,2024-03-02T10:00:00,Call start,u1,phone,billing,tier1,,
c2,not a time,Agent handling,u1,phone,billing,tier1,,120
c2,2024-03-02T10:04:00,Call end,u1,phone,billing,tier1,resolved,
c3,2024-03-20T11:00:00,Chat start,u2,chat,tech,vendor,,
c3,2024-03-20T11:03:00,Agent handling,u2,chat,tech,vendor,,90
c3,2024-03-20T11:03:00,Agent handling,u2,chat,tech,vendor,,90
c3,2024-03-20T11:06:00,Chat end,u2,chat,tech,vendor,resolved,
"""


def _run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def good_csv(tmp_path: Path) -> Path:
    path = tmp_path / "events.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    return path


def test_diagnose_writes_json_html_and_rejected_rows(good_csv: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = _run("diagnose", str(good_csv), "--out", str(out), "--quiet")
    assert result.exit_code == EXIT_OK, result.output
    doc = json.loads((out / "diagnosis.json").read_text())
    i = doc["input"]
    assert (i["rows_read"], i["rows_kept"], i["rows_rejected"], i["duplicates_dropped"]) == (10, 8, 1, 1)
    assert i["rows_read"] == i["rows_kept"] + i["rows_rejected"] + i["duplicates_dropped"]
    assert doc["metrics"]["overall"]["contacts"] == 3
    assert "<html" in (out / "report.html").read_text()
    rejected = (out / "rejected.csv").read_text()
    assert "not a time" in rejected and rejected.count("\n") == 2  # header + the one bad row


def test_diagnose_is_deterministic(good_csv: Path, tmp_path: Path):
    docs = []
    for name in ("a", "b"):
        out = tmp_path / name
        assert _run("diagnose", str(good_csv), "--out", str(out), "-q").exit_code == EXIT_OK
        docs.append((out / "diagnosis.json").read_bytes())
    assert docs[0] == docs[1]


def test_json_flag_prints_the_diagnosis(good_csv: Path, tmp_path: Path):
    result = _run("diagnose", str(good_csv), "--out", str(tmp_path / "o"), "--json", "-q")
    assert result.exit_code == EXIT_OK
    assert json.loads(result.stdout)["input"]["rows_kept"] == 8


def test_missing_file_is_one_line_input_error(tmp_path: Path):
    missing = tmp_path / "nope.csv"
    result = _run("diagnose", str(missing), "--out", str(tmp_path / "o"))
    assert result.exit_code == EXIT_INPUT
    assert "nope.csv" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_required_column_names_it_and_suggests_map(tmp_path: Path):
    path = tmp_path / "calls.csv"
    path.write_text("ConversationId,Start,Step\nx,2024-01-01T00:00:00,a\n")
    result = _run("diagnose", str(path), "--out", str(tmp_path / "o"))
    assert result.exit_code == EXIT_INPUT
    assert "calls.csv" in result.stderr and "contact_id" in result.stderr and "--map" in result.stderr


def test_map_option_maps_source_columns(tmp_path: Path):
    path = tmp_path / "calls.csv"
    path.write_text("ConversationId,Start,Step\nx,2024-01-01T00:00:00,a\nx,2024-01-01T00:01:00,b\n")
    out = tmp_path / "o"
    result = _run(
        "diagnose",
        str(path),
        "--out",
        str(out),
        "-q",
        "--map",
        "contact_id=ConversationId",
        "--map",
        "timestamp=Start",
        "--map",
        "activity=Step",
    )
    assert result.exit_code == EXIT_OK, result.stderr
    doc = json.loads((out / "diagnosis.json").read_text())
    assert doc["flow"]["dfg"][0]["from"] == "a" and doc["flow"]["dfg"][0]["to"] == "b"


def test_malformed_map_is_config_error(good_csv: Path, tmp_path: Path):
    result = _run("diagnose", str(good_csv), "--out", str(tmp_path / "o"), "--map", "contact_id")
    assert result.exit_code == EXIT_CONFIG
    assert "KEY=VALUE" in result.stderr


def test_mappings_lists_builtins():
    result = _run("mappings")
    assert result.exit_code == EXIT_OK
    assert "helpdesk" in result.stdout.split()
    assert "amazon-connect-ctr  (platform adapter)" in result.stdout.splitlines()


@pytest.mark.slow
def test_diagnose_real_xes_with_builtin_mapping(shared_data: Path, tmp_path: Path):
    out = tmp_path / "o"
    log = shared_data / "pm4py-testlogs" / "running-example.xes"
    result = _run("diagnose", str(log), "--mapping", "running-example-xes", "--out", str(out), "-q")
    assert result.exit_code == EXIT_OK, result.stderr
    doc = json.loads((out / "diagnosis.json").read_text())
    assert doc["input"]["rows_kept"] == 42
    assert doc["flow"]["n_contacts"] == 6


def test_model_and_parties_reach_the_diagnosis(good_csv: Path, tmp_path: Path):
    model = tmp_path / "model.yaml"
    model.write_text(
        "transitions:\n  start: [Call start]\n  Call start: [Agent handling]\n"
        "  Agent handling: [Call end]\n  Call end: [end]\n",
        encoding="utf-8",
    )
    parties = tmp_path / "parties.yaml"
    parties.write_text("parties:\n  - {name: tier1, kpi: speed_to_close, target: 600}\n", encoding="utf-8")
    out = tmp_path / "out"
    args = (
        "diagnose",
        str(good_csv),
        "--out",
        str(out),
        "-q",
        "--model",
        str(model),
        "--parties",
        str(parties),
    )
    assert _run(*args).exit_code == EXIT_OK
    doc = json.loads((out / "diagnosis.json").read_text())
    conf = doc["conformance"]
    # c1 follows the model; c2 lost its bad-timestamp "Agent handling" row (start -> end skips a step),
    # c3 starts with "Chat start"
    assert (conf["model_source"], conf["n_contacts"], conf["fitting_contacts"]) == ("documented", 3, 1)
    tier1 = next(p for p in doc["incentives"]["parties"] if p["party"] == "tier1")
    assert (tier1["kpi"], tier1["kpi_target"], doc["incentives"]["kpi_source"]) == (
        "speed_to_close",
        600,
        "declared",
    )


def test_without_a_model_conformance_says_it_inferred_the_happy_path(good_csv: Path, tmp_path: Path):
    out = tmp_path / "out"
    assert _run("diagnose", str(good_csv), "--out", str(out), "-q").exit_code == EXIT_OK
    doc = json.loads((out / "diagnosis.json").read_text())
    assert doc["conformance"]["model_source"] == "inferred"
    assert doc["incentives"]["kpi_source"] == "default"


def test_bad_model_file_is_config_error_naming_it(good_csv: Path, tmp_path: Path):
    model = tmp_path / "model.yaml"
    model.write_text("transitions: [oops\n", encoding="utf-8")
    result = runner.invoke(
        app, ["diagnose", str(good_csv), "--out", str(tmp_path / "o"), "--model", str(model)]
    )
    assert result.exit_code == EXIT_CONFIG
    assert "model.yaml" in result.output and "Traceback" not in result.output


def test_bad_memory_limit_is_a_one_line_config_error(good_csv: Path, tmp_path: Path):
    result = runner.invoke(
        app, ["diagnose", str(good_csv), "--out", str(tmp_path / "o"), "--memory-limit", "lots"]
    )
    assert result.exit_code == EXIT_CONFIG
    assert "memory_limit" in result.output and "Traceback" not in result.output


def test_diagnose_prints_the_headline_kpis_and_what_it_wrote(good_csv: Path, tmp_path: Path):
    """Without --quiet, stderr has the rows, the headline KPIs, the breakdowns (or why none) and the files."""
    out = tmp_path / "out"
    result = _run("diagnose", str(good_csv), "--out", str(out))
    assert result.exit_code == EXIT_OK, result.stderr
    err = result.stderr
    assert "cxray: read 10 rows: kept 8, rejected 1, duplicates dropped 1" in err
    assert re.search(r"^cxray: contacts +3$", err, re.M), err
    for label in ("FCR", "reported FCR", "repeat contact rate", "true containment", "cost per resolution"):
        assert re.search(rf"^cxray: {label}  +\S", err, re.M), (label, err)
    assert "cxray: top breakdowns:" in err or "cxray: no breakdown stood out: " in err
    for name in ("contacts", "journeys"):
        assert f"cxray: wrote {name}: {out / f'{name}.parquet'}" in err
    assert "\x1b[" not in err  # not a terminal: no live display


def test_quiet_diagnose_prints_nothing(good_csv: Path, tmp_path: Path):
    result = _run("diagnose", str(good_csv), "--out", str(tmp_path / "o"), "-q")
    assert result.exit_code == EXIT_OK and result.stderr == ""


def test_keep_duplicates_keeps_the_exact_duplicate_row(good_csv: Path, tmp_path: Path):
    """--keep-duplicates reaches the reader: the duplicated event is kept, none is dropped."""
    out = tmp_path / "out"
    assert _run("diagnose", str(good_csv), "--out", str(out), "-q", "--keep-duplicates").exit_code == EXIT_OK
    i = json.loads((out / "diagnosis.json").read_text())["input"]
    assert (i["rows_kept"], i["duplicates_dropped"]) == (9, 0)


def test_keep_bulk_reaches_the_analysis_options(good_csv: Path, tmp_path: Path):
    """--keep-bulk sets AnalysisOptions.keep_bulk, recorded in diagnosis.json; the default excludes them."""
    kept = []
    for flag in ((), ("--keep-bulk",)):
        out = tmp_path / ("kept" if flag else "default")
        assert _run("diagnose", str(good_csv), "--out", str(out), "-q", *flag).exit_code == EXIT_OK
        kept.append(json.loads((out / "diagnosis.json").read_text())["options"]["analysis"]["keep_bulk"])
    assert kept == [False, True]


def test_opening_hours_option_reaches_the_guards(tmp_path):
    """--opening-hours phone=7-22 is used instead of inference; a malformed span is a config error."""
    import json

    from cxray.testing import events_table

    rows = [
        {
            "contact_id": f"c{i}",
            "timestamp": f"2024-03-04T{h:02d}:10:00",
            "activity": "Talk",
            "channel": "phone",
        }
        for i, h in enumerate((3, 9, 12, 23))
    ]
    log = tmp_path / "calls.parquet"
    import pyarrow.parquet as pq

    pq.write_table(events_table(rows).drop_columns(["source_row", "source_file"]), log)
    out = tmp_path / "out"
    ok = CliRunner().invoke(
        app, ["diagnose", str(log), "--out", str(out), "-q", "--opening-hours", "phone=7-22"]
    )
    assert ok.exit_code == 0, ok.output
    dq = json.loads((out / "diagnosis.json").read_text())["data_quality"]
    assert dq["opening_hours"] == {"phone": list(range(7, 22))}
    assert dq["out_of_hours_contacts"] == 2
    bad = CliRunner().invoke(app, ["diagnose", str(log), "--out", str(out), "--opening-hours", "phone=7am"])
    assert bad.exit_code == 4 and "HH-HH" in bad.output


def test_out_naming_a_file_fails_at_once_with_one_line(good_csv: Path, tmp_path: Path):
    """--out is checked before the analysis: a file, or a folder under a file, is a config error."""
    a_file = tmp_path / "taken"
    a_file.write_text("keep me")
    for out in (a_file, a_file / "sub"):
        result = _run("diagnose", str(good_csv), "--out", str(out))
        assert result.exit_code == EXIT_CONFIG
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
        assert "read " not in result.stderr  # no analysis summary: it failed before the work
    assert a_file.read_text() == "keep me"


def test_read_only_out_folder_is_a_one_line_error(good_csv: Path, tmp_path: Path):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o500)
    try:
        if os.access(out, os.W_OK):
            pytest.skip("running as a user who can write to a read-only folder (root)")
        result = _run("diagnose", str(good_csv), "--out", str(out))
        assert result.exit_code == EXIT_CONFIG and "cannot write" in result.stderr
    finally:
        out.chmod(0o700)


def test_a_failed_run_leaves_the_previous_results_untouched(
    good_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Writing fails half way: the old files stay byte for byte, the message says so, no temp folder stays."""
    out = tmp_path / "out"
    assert _run("diagnose", str(good_csv), "--out", str(out), "-q").exit_code == EXIT_OK
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(importlib.import_module("cxray.outputs"), "write_parquet", fail)
    result = _run("diagnose", str(good_csv), "--out", str(out), "--redact", "-q")
    assert result.exit_code != EXIT_OK and "untouched" in result.stderr and "Traceback" not in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv", "out"]


def test_a_new_run_replaces_the_whole_set(good_csv: Path, tmp_path: Path):
    """A run without rejected rows removes the earlier rejected.csv; no temporary folder is left behind."""
    out = tmp_path / "out"
    assert _run("diagnose", str(good_csv), "--out", str(out), "-q").exit_code == EXIT_OK
    assert (out / "rejected.csv").exists()
    clean = tmp_path / "clean.csv"
    clean.write_text("\n".join(line for line in GOOD_CSV.splitlines() if "not a time" not in line) + "\n")
    assert _run("diagnose", str(clean), "--out", str(out), "-q").exit_code == EXIT_OK
    assert not (out / "rejected.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean.csv", "events.csv", "out"]
    assert not [p for p in out.iterdir() if ".tmp-" in p.name]


def test_concurrent_runs_into_one_folder_do_not_mix_files(good_csv: Path, tmp_path: Path):
    """Two runs writing into one folder at once: the folder holds one run's set, never a mix."""
    import threading

    import pyarrow.parquet as pq

    import cxray

    clean = tmp_path / "clean.csv"
    kept = [line for line in GOOD_CSV.splitlines() if "not a time" not in line and not line.startswith("c3")]
    clean.write_text("\n".join(kept) + "\n")  # fewer contacts, no rejected rows: the two sets differ
    out = tmp_path / "out"
    engines = [cxray.Engine(threads=1), cxray.Engine(threads=1)]
    try:
        runs = [(cxray.diagnose(p, engine=e), e) for p, e in zip((good_csv, clean), engines, strict=True)]
        for _ in range(5):
            threads = [
                threading.Thread(target=cxray.write_outputs, args=(d, out), kwargs={"engine": e})
                for d, e in runs
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            doc = json.loads((out / "diagnosis.json").read_text())
            assert (out / "rejected.csv").exists() == bool(doc["input"]["rows_rejected"])
            assert pq.read_table(out / "contacts.parquet").num_rows == doc["metrics"]["overall"]["contacts"]
    finally:
        for e in engines:
            e.close()


def test_config_file_sets_the_options_and_flags_override_it(good_csv: Path, tmp_path: Path):
    """``--config`` reads every setting from YAML; a flag given on the command line wins over the file."""
    config = tmp_path / "options.yaml"
    config.write_text(
        "analysis: {window_days: 3, any_reason: true}\ntop: 2\nincentives: {min_z: 2.5}\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    result = _run(
        "diagnose", str(good_csv), "--out", str(out), "--config", str(config), "--window-days", "5", "--quiet"
    )
    assert result.exit_code == EXIT_OK, result.output
    options = json.loads((out / "diagnosis.json").read_text())["options"]
    assert options["analysis"]["window_days"] == 5 and options["analysis"]["any_reason"] is True
    assert options["top"] == 2 and options["incentives"]["min_z"] == 2.5


def test_top_flag_limits_the_breakdowns(good_csv: Path, tmp_path: Path):
    out = tmp_path / "out"
    assert _run("diagnose", str(good_csv), "--out", str(out), "--top", "1", "--quiet").exit_code == EXIT_OK
    assert json.loads((out / "diagnosis.json").read_text())["options"]["top"] == 1


def test_bad_config_is_one_line_naming_file_and_key(good_csv: Path, tmp_path: Path):
    config = tmp_path / "options.yaml"
    config.write_text("detectors: {MH01: {hops: 3}}\n", encoding="utf-8")
    result = _run("diagnose", str(good_csv), "--out", str(tmp_path / "o"), "--config", str(config))
    assert result.exit_code == EXIT_CONFIG
    assert f"{config}: detectors.MH01: unknown setting 'hops'" in result.output


def test_value_and_duration_unit_flags_map_values_and_units_in_the_plain_mapping(tmp_path: Path):
    """--value COLUMN:SOURCE=VALUE (empty: missing) and --duration-unit, as a mapping's value_maps and
    duration_unit; malformed, a one-line error with the config exit code."""
    log = tmp_path / "calls.csv"
    log.write_text(
        "contact_id,timestamp,activity,customer_id,actor_type,duration_s\n"
        "c1,2024-03-01T09:00:00,Call,0,Human,2\nc2,2024-03-01T10:00:00,Call,u7,Human,3\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    flags = ["--value", "actor_type:Human=agent", "--value", "customer_id:0=", "--duration-unit", "minutes"]
    result = _run("diagnose", str(log), "--out", str(out), "-q", *flags)
    assert result.exit_code == EXIT_OK, result.output
    import pyarrow.parquet as pq

    contacts = pq.read_table(out / "contacts.parquet").sort_by("contact_id").to_pylist()
    assert [c["customer_id"] for c in contacts] == [None, "u7"]
    assert [c["handle_s"] for c in contacts] == [120.0, 180.0]
    assert all(c["is_human_handled"] for c in contacts)
    for bad in (["--value", "actor_type=agent"], ["--duration-unit", "days"]):
        result = _run("diagnose", str(log), "--out", str(out), *bad)
        assert result.exit_code == EXIT_CONFIG and "cxray: error:" in result.output, result.output


def test_check_reads_and_guards_only_writes_nothing_and_exits_6_until_clean(tmp_path: Path):
    """diagnose --check: the warnings printed whole with their flags, nothing written, exit 6; the printed
    flags given back make it clean (exit 0). --out with --check, or neither, is a configuration error."""
    log = tmp_path / "calls.csv"
    rows = "".join(f"k{i},2024-03-0{1 + i % 5}T09:0{i % 10}:00,Call,{'Solved' if i % 2 else 'Hung up'}\n"
                   for i in range(40))  # fmt: skip
    log.write_text("Call ID,timestamp,activity,Disposition\n" + rows, encoding="utf-8")
    before = set(tmp_path.iterdir())
    result = _run("diagnose", str(log), "--map", "contact_id=Call ID", "--check")
    assert result.exit_code == 6, result.output
    assert "unmapped_columns (1):" in result.output and "--map outcome=Disposition" in result.output
    assert "to look at: 0 row(s) rejected" in result.output and set(tmp_path.iterdir()) == before
    flags = ["--map", "outcome=Disposition", "--outcome", "Solved=resolved", "--outcome", "Hung up=abandoned"]
    result = _run("diagnose", str(log), "--map", "contact_id=Call ID", "--check", "--json", *flags)
    assert result.exit_code == EXIT_OK, result.output
    doc = json.loads(result.stdout[: result.stdout.rindex("}") + 1])
    assert doc["clean"] and doc["contacts"] == 40 and doc["input"]["rows_kept"] == 40
    for args in (["--check", "--out", str(tmp_path / "o")], []):
        result = _run("diagnose", str(log), "--map", "contact_id=Call ID", *args)
        assert result.exit_code == EXIT_CONFIG and "cxray: error:" in result.output, result.output


def test_the_first_run_example_converges_by_pasting_the_printed_flags(tmp_path: Path):
    """docs/cli.md's first run: --check on docs/examples/first-run.csv, each round's printed flags (the
    missing column's 'perhaps --map', unmapped_columns' 'map them:', unknown_outcomes' 'perhaps') given
    back, until it is clean (exit 0) in the rounds the page shows; then it diagnoses."""
    import shlex

    example = Path(__file__).resolve().parents[1] / "docs" / "examples" / "first-run.csv"
    flags: list[str] = []
    for _ in range(4):
        result = _run("diagnose", str(example), "--check", *flags)
        if result.exit_code == EXIT_OK:
            break
        assert result.exit_code in (EXIT_INPUT, 6), result.output
        text = result.output.replace("\n", " ")
        if result.exit_code == EXIT_INPUT:  # a required column: the error names one, the page all three
            assert 'perhaps --map "contact_id=Call ID"' in text
            for column in ("contact_id=Call ID", "timestamp=Start Time", "activity=Step"):
                flags += ["--map", column]
            continue
        for told in re.findall(r"(?:map them: |perhaps )(--(?:map|outcome|value)\b.*?)(?= cxray:|$)", text):
            flags += shlex.split(told)
    assert result.exit_code == EXIT_OK and "clean: no row rejected" in result.output, (flags, result.output)
    assert flags.count("--outcome") == 3 and "outcome=Disposition" in flags
    result = _run("diagnose", str(example), "--out", str(tmp_path / "out"), "-q", *flags)
    assert result.exit_code == EXIT_OK
    doc = json.loads((tmp_path / "out" / "diagnosis.json").read_text(encoding="utf-8"))
    assert doc["metrics"]["overall"]["fcr"] is not None and not doc["data_quality"]["warnings"]


def test_check_lists_the_first_rejected_rows_with_their_row_column_and_value(tmp_path: Path):
    """A check writes no rejected.csv, so it names the rows: file, row, column, reason and value."""
    log = tmp_path / "calls.csv"
    text = "contact_id,timestamp,activity\nk1,2025-03-03 09:00,A\nk2,2025-02-31 09:00,A\n"
    log.write_text(text, encoding="utf-8")
    result = _run("diagnose", str(log), "--check", "--json")
    assert result.exit_code == 6, result.output
    assert f"{log}, row 2, column 'timestamp': bad_timestamp: '2025-02-31 09:00'" in result.output
    doc = json.loads(result.stdout[: result.stdout.rindex("}") + 1])
    row = {"file": str(log), "row": 2, "reason": "bad_timestamp", "column": "timestamp"}
    assert doc["rejected"] == [row | {"value": "2025-02-31 09:00"}]


def test_check_is_clean_when_the_only_warnings_were_handled(tmp_path: Path):
    """A cut tail is censored, a missing-value marker read as missing: handled, told, and no reason to
    stop a pipeline (exit 0). A warning to fix (an unmapped outcome column) still is (exit 6)."""
    log = tmp_path / "calls.csv"
    rows = "".join(f"k{i},u{i % 9},2024-03-{1 + i % 20:02d}T09:00:00,Call,{'EMPTY' if i == 3 else 'Q1'}\n"
                   for i in range(60))  # fmt: skip
    log.write_text("contact_id,customer_id,timestamp,activity,queue\n" + rows, encoding="utf-8")
    result = _run("diagnose", str(log), "--check")
    assert result.exit_code == EXIT_OK, result.output
    assert "missing_markers (1):" in result.output
    assert "clean: no row rejected, no data-quality warning to fix (1 data-quality warning(s) handled" in (
        result.output.replace("\n", " ")
    )
    log.write_text("contact_id,customer_id,timestamp,activity,Disposition\n" + rows, encoding="utf-8")
    result = _run("diagnose", str(log), "--check")
    assert result.exit_code == 6 and "1 data-quality warning(s) to fix" in result.output, result.output
