"""The hostile-input corpus (tests/hostile/cases.yaml) through the CLI, and a bounded fuzz of the reader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cxray.cli import app
from cxray.engine import Engine
from cxray.errors import InputError
from cxray.io import read_events

HOSTILE = Path(__file__).parent / "hostile"
CASES: dict[str, dict] = yaml.safe_load((HOSTILE / "cases.yaml").read_text(encoding="utf-8"))


def test_every_hostile_file_has_a_case():
    files = {p.name for p in HOSTILE.iterdir() if p.suffix in (".csv", ".xes")}
    assert files == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_file(name, tmp_path):
    case = CASES[name]
    result = CliRunner().invoke(app, ["diagnose", str(HOSTILE / name), "--out", str(tmp_path), "-q"])
    assert result.exit_code == case["exit"], result.output
    if case["exit"]:
        assert result.output.startswith("cxray: error: ") and "Traceback" not in result.output
        assert name in result.output
        return
    i = json.loads((tmp_path / "diagnosis.json").read_text(encoding="utf-8"))["input"]
    assert (i["rows_read"], i["rows_kept"]) == (case["read"], case["kept"])
    assert i["rejected_by_reason"] == case.get("rejected", {})
    assert i["rows_read"] == i["rows_kept"] + i["rows_rejected"] + i["duplicates_dropped"]
    assert i["missing_markers"] == case.get("markers", {})
    assert i["encoding_repairs"] == case.get("encoding_repairs", 0)
    assert i["nul_bytes_stripped"] == case.get("nul_bytes_stripped", 0)


def test_an_alias_bomb_is_refused_quickly(tmp_path):
    result = CliRunner().invoke(
        app,
        ["diagnose", str(HOSTILE / "markers.csv"), "--parties", str(HOSTILE / "alias_bomb.yaml"),
         "--out", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 4 and "aliases" in result.output


_CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["2024-03-04 09:00", "10000-01-01", "infinity", "EMPTY", "?", "-1", "1e309", "", '"']),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.lists(_CELL, min_size=0, max_size=5), min_size=0, max_size=8), junk=st.binary(max_size=8)
)
def test_the_reader_never_crashes_on_random_rows(tmp_path, rows, junk):
    """Random cells, ragged rows and stray bytes: rows accounted for, or one InputError; nothing else."""
    path = tmp_path / "fuzz.csv"
    body = "\n".join(",".join(c.replace("\n", " ") for c in row) for row in rows)
    path.write_bytes(b"contact_id,timestamp,activity,duration_s,team\n" + body.encode() + junk)
    with Engine(threads=1) as engine:
        try:
            s = read_events([path], engine)
        except InputError:
            return
        assert s.rows_read == s.rows_kept + s.rows_rejected + s.duplicates_dropped
