"""Contact ids unique within a day only (``Mapping.contact_ids_per_day``, ``--contact-ids-per-day``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from io_helpers import write

from cxray.engine import Engine
from cxray.errors import ConfigError
from cxray.io import Mapping, ReadOptions, read_events

CALLS = (
    "Call ID,Start,Step\n"
    "1001,2025-03-04 09:00:00,IVR\n"
    "1001,2025-03-04 09:02:00,Agent\n"
    "1001,2025-03-05 10:00:00,IVR\n"
    "1001,2025-03-06 00:30:00,IVR\n"
    "1002,not a time,IVR\n"
)
COLUMNS = {"contact_id": "Call ID", "timestamp": "Start", "activity": "Step"}


def _ids(engine: Engine) -> list[str]:
    return [r[0] for r in engine.fetchall("SELECT contact_id FROM events ORDER BY source_row")]


def test_each_id_is_joined_with_its_events_local_date(engine: Engine, tmp_path: Path):
    """The 00:30 call in Paris time is 23:30 UTC the day before: its day is the 6th, as written. A row
    whose time is bad keeps its id as read and is rejected for the time, not for a missing id."""
    path = write(tmp_path, "calls.csv", CALLS)
    mapping = Mapping(columns=COLUMNS, contact_ids_per_day=True)
    s = read_events([path], engine, options=ReadOptions(mapping=mapping, tz="Europe/Paris"))
    assert _ids(engine) == ["1001@2025-03-04", "1001@2025-03-04", "1001@2025-03-05", "1001@2025-03-06"]
    assert s.rejected_by_reason == {"bad_timestamp": 1}
    assert s.per_file[0].columns["contact_id"] == "Call ID (per day)"
    read_events([path], engine, options=ReadOptions(mapping=Mapping(columns=COLUMNS)))
    assert set(_ids(engine)) == {"1001"}  # as read without it


def test_the_mapping_key_and_the_flag(tmp_path: Path):
    from typer.testing import CliRunner

    from cxray.cli import app

    assert Mapping.from_dict({"columns": COLUMNS, "contact_ids_per_day": True}).contact_ids_per_day
    with pytest.raises(ConfigError, match="contact_ids_per_day must be true or false"):
        Mapping.from_dict({"contact_ids_per_day": "yes"})
    path = write(tmp_path, "calls.csv", CALLS)
    out = tmp_path / "out"
    maps = [x for k, v in COLUMNS.items() for x in ("--map", f"{k}={v}")]
    done = CliRunner().invoke(
        app, ["diagnose", str(path), *maps, "--contact-ids-per-day", "--out", str(out), "-q"]
    )
    assert done.exit_code == 0, done.output
    doc = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    assert doc["options"]["read"]["mapping"]["contact_ids_per_day"] is True
    assert doc["metrics"]["overall"]["contacts"] == 3  # 1001 on the 4th, the 5th and the 6th
