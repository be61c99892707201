"""Each file's clock: a zone per file (``ReadOptions.file_tz``, ``--tz FILE=ZONE``) and what each file's
timestamps were read in (``FileCounts.clock``), for runs over systems that write time differently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from io_helpers import write

from cxray.engine import Engine
from cxray.errors import ConfigError
from cxray.io import Mapping, ReadOptions, read_events

CALLS = "contact_id,customer_id,timestamp,activity\nc1,k1,2025-01-14 09:00:00,Call\n"
CHATS = "contact_id,customer_id,timestamp,activity\nh1,k1,2025-01-14 06:00:00,Chat\n"


def _times(engine: Engine) -> dict[str, str]:
    rows = engine.fetchall("SELECT contact_id, CAST(timestamp AS VARCHAR) FROM events ORDER BY 1")
    return dict(rows)


def test_a_files_zone_applies_to_that_file_only(engine: Engine, tmp_path: Path):
    """The chat system writes New York time (UTC-5 in January), the phone system UTC: with the chats'
    zone given, 06:00 there is 11:00 UTC, after the call, as it happened; the calls stay as read."""
    calls, chats = write(tmp_path, "calls.csv", CALLS), write(tmp_path, "chats.csv", CHATS)
    read_events([calls, chats], engine, options=ReadOptions())
    assert _times(engine) == {"c1": "2025-01-14 09:00:00", "h1": "2025-01-14 06:00:00"}
    s = read_events([calls, chats], engine, options=ReadOptions(file_tz={"chats.csv": "America/New_York"}))
    assert _times(engine) == {"c1": "2025-01-14 09:00:00", "h1": "2025-01-14 11:00:00"}
    assert {Path(f.file).name: f.clock for f in s.per_file} == {
        "calls.csv": "UTC",
        "chats.csv": "America/New_York",
    }


def test_a_files_zone_wins_over_the_run_zone_and_its_mapping_zone(tmp_path: Path):
    paris = Mapping(name="crm", tz="Europe/Paris")
    options = ReadOptions(
        tz="Europe/London", file_mappings={"chats.csv": paris}, file_tz={"chats.csv": "Asia/Tokyo"}
    )
    assert options.for_file(tmp_path / "chats.csv").effective_tz == "Asia/Tokyo"
    assert options.for_file(tmp_path / "calls.csv").effective_tz == "Europe/London"
    utc = ReadOptions(file_mappings={"chats.csv": paris}, file_tz={"chats.csv": "UTC"})
    assert utc.for_file(tmp_path / "chats.csv").effective_tz == "UTC"  # said for the file: not Paris
    assert (
        ReadOptions(file_mappings={"chats.csv": paris}).for_file("chats.csv").effective_tz == "Europe/Paris"
    )


def test_bad_file_zones_are_refused_naming_them(engine: Engine, tmp_path: Path):
    calls = write(tmp_path, "calls.csv", CALLS)
    with pytest.raises(ConfigError, match="unknown time zone 'Mars/Olympus'"):
        ReadOptions(file_tz={"calls.csv": "Mars/Olympus"})
    with pytest.raises(ConfigError, match=r"file time zone pattern 'chats\.cvs' matches none of the files"):
        read_events([calls], engine, options=ReadOptions(file_tz={"chats.cvs": "UTC"}))
    with pytest.raises(ConfigError, match="file_tz must map file patterns to time zones"):
        ReadOptions(file_tz={"calls.csv": 5})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("times", "options", "clock"),
    [
        (["2025-01-14T09:00:00Z", "2025-01-14T10:00:00Z"], {}, "offset"),
        (["2025-01-14 09:00:00+01:00", "2025-01-14 10:00:00-0500"], {"tz": "Europe/Paris"}, "offset"),
        (["2025-01-14 09:00:00", "2025-01-14 10:00:00"], {}, "UTC"),
        (["2025-01-14 09:00:00", "2025-01-14 10:00:00"], {"tz": "Europe/Paris"}, "Europe/Paris"),
        (["01/14/2025 9:00 AM", "01/14/2025 10:00 AM"], {"tz": "America/Chicago"}, "America/Chicago"),
        (["1736845200", "1736848800"], {"time_format": "epoch"}, "UTC"),
        (["45671.375", "45671.5"], {"time_format": "excel", "tz": "Asia/Tokyo"}, "Asia/Tokyo"),
    ],
)
def test_each_files_clock_is_what_its_times_were_read_in(engine, tmp_path, times, options, clock):
    rows = "".join(f"c{i},{t},Call\n" for i, t in enumerate(times))
    s = read_events([write(tmp_path, "f.csv", "contact_id,timestamp,activity\n" + rows)], engine,
                    options=ReadOptions(**options))  # fmt: skip
    assert [f.clock for f in s.per_file] == [clock]
    assert s.to_dict()["per_file"][0]["clock"] == clock


def test_a_zoned_column_and_a_parquet_instant_carry_their_offset(engine: Engine, tmp_path: Path):
    from datetime import UTC, datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "contact_id": ["c1"], "activity": ["Call"],
        "timestamp": pa.array([datetime(2025, 1, 14, 9, tzinfo=UTC)], pa.timestamp("us", tz="UTC")),
    })  # fmt: skip
    pq.write_table(table, tmp_path / "zoned.parquet")
    naive = table.set_column(2, "timestamp", pa.array([datetime(2025, 1, 14, 9)], pa.timestamp("us")))
    pq.write_table(naive, tmp_path / "naive.parquet")
    s = read_events([tmp_path / "zoned.parquet", tmp_path / "naive.parquet"], engine,
                    options=ReadOptions(tz="Europe/Oslo"))  # fmt: skip
    assert [f.clock for f in s.per_file] == ["offset", "Europe/Oslo"]


def test_cli_reads_file_zones_beside_a_plain_zone(tmp_path: Path):
    from typer.testing import CliRunner

    from cxray.cli import app

    calls, chats = write(tmp_path, "calls.csv", CALLS), write(tmp_path, "chats.csv", CHATS)
    out = tmp_path / "out"
    args = ["diagnose", str(calls), str(chats), "--out", str(out), "-q"]
    done = CliRunner().invoke(app, [*args, "--tz", "Europe/London", "--tz", "chats.csv=America/New_York"])
    assert done.exit_code == 0, done.output
    doc = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    assert doc["options"]["read"]["tz"] == "Europe/London"
    assert doc["options"]["read"]["file_tz"] == {"chats.csv": "America/New_York"}
    assert [f["clock"] for f in doc["input"]["per_file"]] == ["Europe/London", "America/New_York"]
    assert doc["input"]["time_start"] == "2025-01-14T09:00:00Z"  # the chat, 11:00 UTC, is later
    twice = CliRunner().invoke(app, [*args, "--tz", "Europe/London", "--tz", "UTC"])
    assert twice.exit_code == 4 and "give one for every file" in twice.output
    empty = CliRunner().invoke(app, [*args, "--tz", "chats.csv="])
    assert empty.exit_code == 4 and "ZONE or FILE=ZONE" in empty.output


def test_options_file_gives_file_zones(tmp_path: Path):
    from cxray import DiagnoseOptions

    config = write(tmp_path, "options.yaml", "read:\n  file_tz:\n    'chats-*.csv': America/New_York\n")
    options = DiagnoseOptions.from_yaml(config)
    assert options.read.for_file("chats-2025.csv").effective_tz == "America/New_York"
    assert options.read.for_file("calls-2025.csv").effective_tz == "UTC"


XES = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0">
  <trace><string key="concept:name" value="c1"/>
    <event><string key="concept:name" value="A"/><date key="time:timestamp" value="2025-01-14T09:00:00{0}"/>
    </event>
    <event><string key="concept:name" value="B"/><date value="2025-01-14T10:00:00{0}" key="time:timestamp"/>
    </event>
  </trace>
</log>
"""


@pytest.mark.parametrize(
    ("offset", "tz", "first", "clock"),
    [
        ("+02:00", "UTC", "2025-01-14 07:00:00", "offset"),
        ("+02:00", "Europe/Paris", "2025-01-14 07:00:00", "offset"),  # not moved a second time
        ("Z", "Asia/Tokyo", "2025-01-14 09:00:00", "offset"),
        ("", "UTC", "2025-01-14 09:00:00", "UTC"),
        ("", "Europe/Paris", "2025-01-14 08:00:00", "Europe/Paris"),  # naive: --tz places it
    ],
)
def test_an_xes_files_times_are_moved_by_tz_only_when_they_carry_no_offset(
    engine: Engine, tmp_path: Path, offset: str, tz: str, first: str, clock: str
):
    """XES writers give offsets and rustxes applies them, losing which it was: --tz must not move an
    instant a second time (it did: 11:02+01:00 read with --tz Europe/Paris came out at 09:02 UTC)."""
    path = write(tmp_path, "log.xes", XES.format(offset))
    s = read_events([path], engine, options=ReadOptions(tz=tz))
    assert engine.fetchall("SELECT CAST(min(timestamp) AS VARCHAR) FROM events") == [(first,)]
    assert [f.clock for f in s.per_file] == [clock]
