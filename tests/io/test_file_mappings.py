"""A mapping per file (``ReadOptions.file_mappings``, ``--mapping FILE=MAPPING``): exports of several
systems, each with its own columns, dates and outcome words, read into one event log."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import yaml
from io_helpers import balanced, write

from cxray.engine import Engine
from cxray.errors import ConfigError, InputError
from cxray.io import Mapping, ReadOptions, read_events

# A phone system's call log: month-first US dates, its own column names and outcome words.
CALLS = (
    "CallID,Caller,Start,Event,Agent,Result\n"
    "c1,+15550001,01/14/2025 09:00,IVR,,\n"
    "c1,+15550001,01/14/2025 09:02,Agent answered,ann,Hung up\n"
    "c2,+15550002,02/03/2025 10:00,IVR,,Hung up\n"
)
PHONE = Mapping(
    name="phone",
    columns={"contact_id": "CallID", "customer_id": "Caller", "timestamp": "Start", "activity": "Event",
             "actor": "Agent", "outcome": "Result"},
    constants={"channel": "phone"},
    outcome_values={"Hung up": "abandoned"},
)  # fmt: skip
# A CRM's case history: day-first European dates, other names, a "-" for no agent.
CASES = (
    "Case,Account,Changed,Status,Owner,Resolution\n"
    "k1,+15550001,14/01/2025 09:30,New,-,\n"
    "k1,+15550001,15/01/2025 11:00,Closed,bob,Fixed\n"
)
CRM = Mapping(
    name="crm",
    columns={"contact_id": "Case", "customer_id": "Account", "timestamp": "Changed", "activity": "Status",
             "actor": "Owner", "outcome": "Resolution"},
    constants={"channel": "email"},
    outcome_values={"Fixed": "resolved"},
    missing_values=("-",),
    dayfirst=True,
)  # fmt: skip

COLUMNS = "contact_id, customer_id, timestamp, activity, actor, channel, outcome"


def _yaml(mapping: Mapping) -> str:
    return yaml.safe_dump({k: v for k, v in mapping.to_dict().items() if v not in ({}, [], None)})


def _events(engine: Engine) -> list[tuple]:
    return engine.fetchall(f"SELECT {COLUMNS} FROM events ORDER BY contact_id, timestamp, activity")


def _alone(path: Path, mapping: Mapping) -> list[tuple]:
    with Engine() as engine:
        read_events([path], engine, options=ReadOptions(mapping=mapping))
        return _events(engine)


def test_each_file_is_read_as_it_would_be_alone(engine: Engine, tmp_path: Path):
    """The oracle: one run over both exports gives exactly the events of each read alone with its own
    mapping, dates and outcome words included (month first in one file, day first in the other)."""
    calls, cases = write(tmp_path, "calls.csv", CALLS), write(tmp_path, "cases.csv", CASES)
    options = ReadOptions(file_mappings={"calls.csv": PHONE, "cases.csv": CRM})
    s = read_events([calls, cases], engine, options=options)
    assert balanced(s) and s.rows_kept == 5 and s.rows_rejected == 0
    together = _events(engine)
    assert together == sorted(_alone(calls, PHONE) + _alone(cases, CRM), key=lambda r: (r[0], r[2], r[3]))
    by_contact = {r[0]: r for r in together}
    assert str(by_contact["k1"][2]).startswith("2025-01-15 11:00")  # day first, as CRM says
    assert str(by_contact["c2"][2]).startswith("2025-02-03 10:00")  # month first, as the phone's default
    assert ("k1", "resolved") in {(r[0], r[6]) for r in together}
    assert ("c2", "abandoned") in {(r[0], r[6]) for r in together}
    customers = engine.fetchall("SELECT DISTINCT customer_id FROM events ORDER BY 1")
    assert customers == [("+15550001",), ("+15550002",)]  # one customer across both systems
    files = engine.fetchall("SELECT source_file, count(*) FROM events GROUP BY ALL ORDER BY 1")
    assert [(Path(f).name, n) for f, n in files] == [("calls.csv", 3), ("cases.csv", 2)]


def test_one_mapping_for_both_reads_the_second_file_wrong(engine: Engine, tmp_path: Path):
    """Why the option exists: the phone mapping on the CRM file finds none of its columns."""
    calls, cases = write(tmp_path, "calls.csv", CALLS), write(tmp_path, "cases.csv", CASES)
    with pytest.raises(InputError):
        read_events([calls, cases], engine, options=ReadOptions(mapping=PHONE))


def test_files_no_pattern_matches_take_the_plain_mapping_and_the_first_pattern_wins(
    engine: Engine, tmp_path: Path
):
    day1 = write(tmp_path, "calls-01.csv", CALLS)
    day2 = write(tmp_path, "calls-02.csv", CALLS.replace("c1", "c3").replace("c2", "c4"))
    cases = write(tmp_path, "cases.csv", CASES)
    first = Mapping(name="first", columns=PHONE.columns, constants={"channel": "chat"})
    options = ReadOptions(mapping=CRM, file_mappings={"calls-01.csv": first, "calls-*.csv": PHONE})
    assert [o.mapping.name for o in options.per_file([day1, day2, cases])] == ["first", "phone", "crm"]
    s = read_events([day1, day2, cases], engine, options=options)
    assert s.rows_kept == 8 and s.rows_rejected == 0
    channels = engine.fetchall("SELECT DISTINCT source_file, channel FROM events ORDER BY 1")
    assert [(Path(f).name, c) for f, c in channels] == [
        ("calls-01.csv", "chat"), ("calls-02.csv", "phone"), ("cases.csv", "email")
    ]  # fmt: skip
    shadowed = ReadOptions(file_mappings={"calls-*.csv": PHONE, "calls-01.csv": first})
    with pytest.raises(ConfigError, match=r"'calls-01.csv' is never used: 'calls-\*.csv', before it"):
        shadowed.per_file([day1, day2])


def test_a_pattern_may_be_a_path_and_matches_the_same_file_written_otherwise(tmp_path: Path):
    calls = write(tmp_path, "calls.csv", CALLS)
    options = ReadOptions(file_mappings={str(tmp_path / "." / "calls.csv"): PHONE})
    assert options.for_file(calls).mapping == PHONE
    assert options.for_file(tmp_path / "other.csv").mapping is None


def test_a_pattern_that_matches_no_file_is_an_error_naming_it(engine: Engine, tmp_path: Path):
    calls = write(tmp_path, "calls.csv", CALLS)
    options = ReadOptions(file_mappings={"calls.csv": PHONE, "cases.cvs": CRM})
    with pytest.raises(ConfigError, match=r"'cases\.cvs' matches none of the files read"):
        read_events([calls], engine, options=options)


def test_mappings_are_resolved_by_name_or_path_and_bad_ones_refused(tmp_path: Path):
    yaml = write(tmp_path, "crm.yaml", "columns:\n  contact_id: Case\n")
    options = ReadOptions(file_mappings={"a.csv": "helpdesk", "b.csv": str(yaml)})
    assert options.file_mappings["a.csv"].name == "helpdesk"
    assert options.file_mappings["b.csv"].columns == {"contact_id": "Case"}
    assert options.to_dict()["file_mappings"]["b.csv"]["columns"] == {"contact_id": "Case"}
    with pytest.raises(ConfigError, match="neither a built-in"):
        ReadOptions(file_mappings={"a.csv": "no-such-mapping"})
    with pytest.raises(ConfigError, match=r"file_mappings\['a.csv'\] must be"):
        ReadOptions(file_mappings={"a.csv": 3})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="unknown time zone"):
        ReadOptions(file_mappings={"a.csv": Mapping(tz="Mars/Olympus")})


def test_the_day_order_check_asks_each_file_in_its_own_order(engine: Engine, tmp_path: Path):
    """A day-first date rejected in a month-first file still stops the run, naming that file, while the
    day-first file beside it is read as its mapping says."""
    calls = write(tmp_path, "calls.csv", CALLS + "c9,+15550009,13/02/2025 10:00,IVR,,\n")
    cases = write(tmp_path, "cases.csv", CASES)
    options = ReadOptions(file_mappings={"calls.csv": PHONE, "cases.csv": CRM})
    with pytest.raises(InputError, match="day first") as caught:
        read_events([calls, cases], engine, options=options)
    assert caught.value.path is not None and Path(str(caught.value.path)).name == "calls.csv"


def test_cli_reads_file_mapping_pairs_beside_a_plain_mapping(tmp_path: Path):
    from typer.testing import CliRunner

    from cxray.cli import app

    calls, cases = write(tmp_path, "calls.csv", CALLS), write(tmp_path, "cases.csv", CASES)
    phone, crm = tmp_path / "phone.yaml", tmp_path / "crm.yaml"
    phone.write_text(_yaml(PHONE), encoding="utf-8")
    crm.write_text(_yaml(CRM), encoding="utf-8")
    out = tmp_path / "out"
    args = ["diagnose", str(calls), str(cases), "--out", str(out), "-q"]
    pairs = ["--mapping", f"calls.csv={phone}", "--mapping", f"cases.csv={crm}"]
    result = CliRunner().invoke(app, [*args, *pairs])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    assert doc["input"]["rows_kept"] == 5 and doc["input"]["rows_rejected"] == 0
    assert sorted(doc["options"]["read"]["file_mappings"]) == ["calls.csv", "cases.csv"]
    twice = CliRunner().invoke(app, [*args, "--mapping", str(phone), "--mapping", str(crm)])
    assert twice.exit_code == 4 and "give one for every file" in twice.output


def test_options_file_names_mapping_files_relative_to_itself(tmp_path: Path):
    from cxray import DiagnoseOptions

    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "crm.yaml").write_text(_yaml(CRM), encoding="utf-8")
    config = write(tmp_path, "options.yaml", "read:\n  file_mappings:\n    'cases-*.csv': maps/crm.yaml\n")
    options = DiagnoseOptions.from_yaml(config)
    assert options.read.file_mappings["cases-*.csv"].dayfirst
    assert options.read.for_file("cases-2025.csv").mapping.name == "crm"


def test_each_file_is_accounted_for_on_its_own(engine: Engine, tmp_path: Path):
    """``input.per_file``: read == kept + rejected + duplicates per file, the totals their sums; a row
    repeating one of an earlier file is a duplicate of its own file."""
    calls = write(tmp_path, "calls.csv", CALLS + "c9,+15550009,not a date,IVR,,\n")
    cases = write(tmp_path, "cases.csv", CASES + CASES.splitlines()[1] + "\n")  # one row twice
    options = ReadOptions(file_mappings={"calls.csv": PHONE, "cases.csv": CRM})
    s = read_events([calls, cases], engine, options=options)
    counts = {Path(f.file).name: (f.rows_read, f.rows_kept, f.rows_rejected, f.duplicates_dropped)
              for f in s.per_file}  # fmt: skip
    assert counts == {"calls.csv": (4, 3, 1, 0), "cases.csv": (3, 2, 0, 1)}
    for field, total in (
        ("rows_read", s.rows_read),
        ("rows_kept", s.rows_kept),
        ("rows_rejected", s.rows_rejected),
        ("duplicates_dropped", s.duplicates_dropped),
    ):
        assert sum(getattr(f, field) for f in s.per_file) == total, field  # fmt: skip
    assert s.to_dict()["per_file"][0]["rows_rejected"] == 1


def test_the_summary_lists_each_file_when_there_are_several(tmp_path: Path):
    from cxray import diagnose
    from cxray.summary import headline

    calls, cases = write(tmp_path, "calls.csv", CALLS), write(tmp_path, "cases.csv", CASES)
    crm = dataclasses.replace(CRM, tz="Europe/Paris")
    d = diagnose([calls, cases], read=ReadOptions(file_mappings={"calls.csv": PHONE, "cases.csv": crm}))
    lines = headline(d)
    assert f"  {calls}: read 3, kept 3, rejected 0, duplicates 0, times in UTC, month first" in lines
    assert f"  {cases}: read 2, kept 2, rejected 0, duplicates 0, times in Europe/Paris, day first" in lines
    one = headline(diagnose(calls, read=ReadOptions(mapping=PHONE)))
    assert not any(line.startswith(f"  {calls}") for line in one)  # one file: the totals say it


def test_drop_overlap_drops_a_later_files_copies_only(engine: Engine, tmp_path: Path):
    """Equal on every canonical column, other columns apart: a later file loses as many copies of a value
    as an earlier file has (its first ones), each a duplicate of its file; two such rows of one file
    are two events, and a third file loses the copies any earlier file has."""
    head = "contact_id,timestamp,activity,note\n"
    one = write(tmp_path, "a.csv", head + "c1,2025-01-14 09:00,Call,x\nc1,2025-01-14 09:00,Call,y\n")
    two = write(tmp_path, "b.csv", head + "c1,2025-01-14 09:00,Call,z\nc2,2025-01-14 10:00,Call,z\n")
    three = write(tmp_path, "c.csv", head + "c2,2025-01-14 10:00,Call,w\nc3,2025-01-14 11:00,Call,w\n")
    s = read_events([two, one, three], engine, options=ReadOptions(drop_overlap=True))
    kept = engine.fetchall("SELECT contact_id, note FROM events ORDER BY source_file, source_row")
    assert kept == [("c1", "y"), ("c1", "z"), ("c2", "z"), ("c3", "w")]  # b.csv was given first
    dropped = [(Path(f.file).name, f.duplicates_dropped) for f in s.per_file]
    assert dropped == [("b.csv", 0), ("a.csv", 1), ("c.csv", 1)]
    s = read_events([one], engine, options=ReadOptions(drop_overlap=True))
    assert s.rows_kept == 2 and s.duplicates_dropped == 0
