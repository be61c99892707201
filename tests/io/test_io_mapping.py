"""Mappings: columns, constants, value vocabularies, joined columns, wide layouts, YAML and errors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from io_helpers import balanced, column, read_one, write

from cxray.engine import Engine
from cxray.errors import ConfigError
from cxray.io import Mapping, ReadOptions, builtin_mappings, read_events

EXPORT = (
    "ConversationId,When,Step,Who,Status,Team,Extra\n"
    "k1,2024-03-01 09:00,Open,ann,,T1,?\n"
    "k1,2024-03-01 09:05,Close,bob,Closed,T1,x\n"
    "k2,2024-03-01 10:00,Open,?,Dropped,T2,y\n"
)


def test_columns_constants_and_value_maps(engine: Engine, tmp_path: Path):
    m = Mapping(
        columns={
            "contact_id": "ConversationId",
            "timestamp": "When",
            "activity": "Step",
            "actor": "Who",
            "outcome": "Status",
            "queue": ("Team", "Who"),
        },
        constants={"channel": "chat"},
        outcome_values={"Dropped": "abandoned"},
        value_maps={"actor": {"bob": "robert"}},
        missing_values=("?",),
    )
    s = read_one(engine, write(tmp_path, "x.csv", EXPORT), mapping=m)
    assert s.rows_kept == 3
    assert s.attributes == ["Team (source)", "Extra"]  # joined parts stay; renamed off the canonical name
    assert column(engine, "channel") == ["chat"] * 3
    assert column(engine, "outcome") == [None, "closed", "abandoned"]  # Closed lower-cased: canonical word
    assert column(engine, "actor") == ["ann", "robert", None]
    assert column(engine, "queue") == ["T1 - ann", "T1 - bob", "T2"]
    assert column(engine, "Extra") == [None, "x", "y"]


def test_cli_pairs_override_the_mapping(tmp_path: Path):
    path = write(tmp_path, "m.yaml", "columns:\n  contact_id: A\n  activity: B\nconstants:\n  channel: x\n")
    m = Mapping.resolve(path, columns={"activity": "Step", "channel": "Ch"}, outcomes={"Done": "resolved"})
    assert m is not None and m.name == "m"
    assert m.columns == {"contact_id": "A", "activity": "Step", "channel": "Ch"}
    assert m.constants == {} and m.outcome_values == {"Done": "resolved"}
    assert Mapping.resolve(None) is None
    assert Mapping.resolve("helpdesk").name == "helpdesk"


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("colums:\n  contact_id: A\n", "unknown mapping keys"),
        ("columns:\n  contactid: A\n", "not canonical columns"),
        ("outcome_values:\n  X: fixed\n", "allowed outcomes"),
        ("columns: [\n", "not valid YAML"),
        ("events:\n  - activity: A\n", "needs 'activity' and 'timestamp'"),
        ("duration_unit: min\n", "duration_unit 'min' is not one of seconds, minutes, hours, ms"),
    ],
)
def test_bad_mapping_files_are_config_errors(tmp_path: Path, yaml_text: str, message: str):
    path = write(tmp_path, "bad.yaml", yaml_text)
    with pytest.raises(ConfigError, match=message) as info:
        Mapping.from_yaml(path)
    assert str(path) in str(info.value)


def test_the_duration_unit_is_a_mapping_key(tmp_path: Path):
    """``duration_unit`` is read from YAML, kept by ``merged``, shown by ``to_dict``; seconds by default."""
    m = Mapping.from_yaml(write(tmp_path, "m.yaml", "duration_unit: minutes\n"))
    assert m.merged(columns={"duration_s": "Talk"}).duration_unit == "minutes"
    assert m.to_dict()["duration_unit"] == "minutes"
    assert Mapping().duration_unit == "seconds"


def test_unknown_mapping_name_lists_builtins():
    with pytest.raises(ConfigError, match="helpdesk"):
        Mapping.resolve("no-such-mapping")


def test_every_builtin_loads():
    names = builtin_mappings()
    assert {"helpdesk", "running-example-xes", "bpic2013-incidents", "anonymous-bank"} <= set(names)
    for name in names:
        assert Mapping.builtin(name).name == name


def test_read_options_take_a_mapping_name_or_file(engine: Engine, tmp_path: Path):
    """``mapping="helpdesk"`` is the built-in, a path its YAML file; reading then uses the Mapping."""
    assert ReadOptions(mapping="helpdesk").mapping == Mapping.builtin("helpdesk")
    path = write(tmp_path, "mine.yaml", "columns:\n  contact_id: ConversationId\n  timestamp: When\n")
    for spec in (path, str(path)):
        options = ReadOptions(mapping=spec, dayfirst=True)
        assert options.mapping is not None and options.mapping.name == "mine"
    export = write(tmp_path, "x.csv", "ConversationId,When,activity\nk1,2/3/2024,Open\n")
    read_events([export], engine, options=options)
    assert column(engine, "timestamp") == [datetime(2024, 3, 2)]
    assert ReadOptions(mapping=None).mapping is None


def test_read_options_bad_mapping_name_lists_builtins():
    with pytest.raises(ConfigError, match=r"neither a built-in \(.*helpdesk.*\) nor a file"):
        ReadOptions(mapping="helpdsek")
    with pytest.raises(ConfigError, match="must be a Mapping"):
        ReadOptions(mapping={"columns": {}})  # type: ignore[arg-type]


def test_bad_time_zone_is_config_error():
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        ReadOptions(tz="Mars/Olympus")


WIDE = (
    "line\tcall\tday\tin\tq_in\tsrv_in\tivr_s\tsrv_s\tresult\tagent\n"
    "A1\t7\t990201\t7:02:47\t0:00:00\t7:02:55\t9\t166\tAGENT\tDORIT\n"
    "A1\t8\t990201\t8:09:16\t8:09:22\t0:00:00\t6\t0\tHANG\tNO_SERVER\n"
)


def test_wide_layout_yields_one_event_per_step(engine: Engine, tmp_path: Path):
    """A record yields its present steps; source_row = (record-1)*steps + position; outcome on each."""
    m = Mapping.from_dict(
        {
            "columns": {"contact_id": ["line", "call"], "outcome": "result"},
            "separator": "-",
            "outcome_values": {"HANG": "abandoned", "AGENT": "closed"},
            "value_maps": {"actor": {"NO_SERVER": None}},
            "events": [
                {
                    "activity": "VRU",
                    "date": "day",
                    "timestamp": "in",
                    "formats": ["%y%m%d %H:%M:%S"],
                    "duration": "ivr_s",
                    "constants": {"actor_type": "ivr"},
                },
                {
                    "activity": "Queue",
                    "date": "day",
                    "timestamp": "q_in",
                    "formats": ["%y%m%d %H:%M:%S"],
                    "absent": ["0:00:00"],
                },
                {
                    "activity": "Service",
                    "date": "day",
                    "timestamp": "srv_in",
                    "formats": ["%y%m%d %H:%M:%S"],
                    "absent": ["0:00:00"],
                    "duration": "srv_s",
                    "columns": {"actor": "agent"},
                    "constants": {"actor_type": "agent"},
                },
            ],
        }
    )
    s = read_one(engine, write(tmp_path, "calls.txt", WIDE), mapping=m)
    assert (s.records_read, s.rows_read, s.rows_kept) == (2, 4, 4) and balanced(s)
    rows = engine.rows(
        "SELECT contact_id, activity, source_row, actor, actor_type, duration_s, outcome, "
        '"timestamp" FROM events'
    )
    assert [(r["contact_id"], r["activity"], r["source_row"]) for r in rows] == [
        ("A1-7", "VRU", 1),
        ("A1-7", "Service", 3),
        ("A1-8", "VRU", 4),
        ("A1-8", "Queue", 5),
    ]
    assert rows[0]["timestamp"] == datetime(1999, 2, 1, 7, 2, 47)
    assert [r["actor"] for r in rows] == [None, "DORIT", None, None]
    assert [r["actor_type"] for r in rows] == ["ivr", "agent", "ivr", None]
    assert [r["duration_s"] for r in rows] == [9.0, 166.0, 6.0, None]
    assert [r["outcome"] for r in rows] == ["closed", "closed", "abandoned", "abandoned"]
    assert s.attributes == ["line", "call"]


def test_a_step_after_midnight_on_the_first_steps_date_is_the_next_day(engine: Engine, tmp_path: Path):
    """One date column and a time per step: a call in the IVR at 23:58:50 served at 00:01:10 was served a
    day before it began (a contact spanning a day, in the wrong order); later in the day is the next day.
    A step on a date column of its own is as written."""
    wide = "line\tcall\tday\tin\tq_in\tsrv_in\tivr_s\tsrv_s\tresult\tagent\n"
    wide += "A1\t9\t990201\t23:58:50\t23:59:30\t0:01:10\t9\t166\tAGENT\tDORIT\n"
    steps = [
        {"activity": a, "date": "day", "timestamp": t, "formats": ["%y%m%d %H:%M:%S"], "absent": ["0:00:00"]}
        for a, t in (("VRU", "in"), ("Queue", "q_in"), ("Service", "srv_in"))
    ]
    m = Mapping.from_dict({"columns": {"contact_id": ["line", "call"]}, "events": steps})
    read_one(engine, write(tmp_path, "calls.txt", wide), mapping=m)
    got = engine.fetchall('SELECT activity, "timestamp" FROM events ORDER BY source_row')
    assert got == [
        ("VRU", datetime(1999, 2, 1, 23, 58, 50)),
        ("Queue", datetime(1999, 2, 1, 23, 59, 30)),
        ("Service", datetime(1999, 2, 2, 0, 1, 10)),
    ]


def test_auto_mapping_prefers_names_then_xes_keys(engine: Engine, tmp_path: Path):
    text = "case:concept:name,concept:name,time:timestamp,org:resource,Activity\nc,a,2024-01-01,r,A\n"
    read_events([write(tmp_path, "p.csv", text)], engine)
    assert column(engine, "contact_id") == ["c"]
    assert column(engine, "activity") == ["A"]  # a column named like the canonical one wins
    assert column(engine, "actor") == ["r"]
    assert column(engine, "concept:name") == ["a"]


WILD = (
    "Call ID,Start Time,Step,Caller Number,Agent,Disposition,Talk Time (secs),Handle Time (Hours),Category,"
    "outcome,Notes\n"
    "1,2025-03-03 09:00:00,Call,0611,Ann,Solved,120,0.1,Billing,,x\n"
)
WILD_MAP = {"contact_id": "Call ID", "timestamp": "Start Time", "activity": "Step"}


def test_columns_named_like_an_unmapped_field_are_told_not_mapped(engine: Engine, tmp_path: Path):
    """A column named as exports name an optional field, kept as an attribute while that field is unmapped:
    a hint (``likely_columns``), the first such column a field, never a mapping. A field mapped by name
    ('outcome') takes no hint; a built-in mapping or ``auto: false`` none at all."""
    path = write(tmp_path, "calls.csv", WILD)
    s = read_one(engine, path, mapping=Mapping(columns=WILD_MAP))
    assert s.likely_columns == {
        "Agent": "actor",
        "Caller Number": "customer_id",
        "Category": "reason",
        "Talk Time (secs)": "duration_s",  # the first of the two duration columns
    }
    assert "Disposition" not in s.likely_columns  # 'outcome' is mapped by its name (empty here)
    assert "Agent" in s.attributes and column(engine, "actor") == [None]  # still only an attribute
    assert read_one(engine, path, mapping=Mapping(columns=WILD_MAP, auto=False)).likely_columns == {}
    mapped = Mapping(columns={**WILD_MAP, "actor": "Agent", "reason": "Category"})
    assert set(read_one(engine, path, mapping=mapped).likely_columns) == {"Caller Number", "Talk Time (secs)"}
    builtin = Mapping.builtin("bpic2014-interactions")
    assert builtin.name in builtin_mappings()
    from cxray.io.plan import likely_columns

    assert likely_columns({"actor": None}, ["Agent"], builtin) == {}
    assert likely_columns({"actor": None}, ["Agent"], Mapping(reader="amazon-connect-ctr")) == {}


def test_the_unmapped_columns_warning_gives_flags_that_map_them(tmp_path: Path):
    """The warning's suggested --map flags, given back to the command line, map every column it named:
    the warning goes and the fields are measured."""
    import json
    import shlex

    from typer.testing import CliRunner

    from cxray.cli import app

    path = write(tmp_path, "calls.csv", WILD.replace(",outcome", ",Other"))
    base = ["diagnose", str(path), "-q"] + [f"--map={k}={v}" for k, v in WILD_MAP.items()]
    first = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "a")], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    doc = json.loads((tmp_path / "a" / "diagnosis.json").read_text())
    (w,) = [w for w in doc["data_quality"]["warnings"] if w["code"] == "unmapped_columns"]
    assert w["count"] == 5 and "'Disposition' (outcome)" in w["message"]
    flags = shlex.split(w["message"].split("map them: ", 1)[1])
    again = CliRunner().invoke(app, [*base, *flags, "--out", str(tmp_path / "b")], catch_exceptions=False)
    assert again.exit_code == 0, again.output
    doc = json.loads((tmp_path / "b" / "diagnosis.json").read_text())
    assert not [w for w in doc["data_quality"]["warnings"] if w["code"] == "unmapped_columns"]
    assert {"actor", "customer_id", "outcome", "reason", "duration_s"} <= set(doc["input"]["fields_present"])


def test_a_duration_column_named_in_hours_is_told_with_its_unit(tmp_path: Path):
    from cxray import diagnose

    path = write(tmp_path, "t.csv", "Ticket,When,Step,Handle Time (Hours)\nt1,2025-03-03 09:00,Open,0.5\n")
    d = diagnose(path, read=ReadOptions(mapping=Mapping(columns={"contact_id": "Ticket", "timestamp": "When",
                                                                 "activity": "Step"})))  # fmt: skip
    (w,) = [w for w in d.data_quality.warnings if w.code == "unmapped_columns"]
    assert "--map 'duration_s=Handle Time (Hours)' --duration-unit hours" in w.message


def test_contact_id_prefix_goes_before_every_contact_id_and_a_missing_id_stays_missing(
    engine: Engine, tmp_path: Path
):
    path = write(
        tmp_path,
        "chats.csv",
        "contact_id,timestamp,activity\n7,2025-03-03 09:00,Chat\n,2025-03-03 09:01,Chat\n",
    )
    s = read_one(engine, path, mapping=Mapping.from_dict({"contact_id_prefix": "chat-"}))
    assert column(engine, "contact_id") == ["chat-7"]
    assert s.rejected_by_reason == {"missing_contact_id": 1}


def test_each_file_says_where_each_canonical_column_was_read_from(engine: Engine, tmp_path: Path):
    """``per_file[].columns``: a mapped column, one found by its name, columns joined, a constant; a wide
    layout's events; none for a platform adapter. Only the columns the file fills."""
    m = Mapping(columns={"contact_id": "ConversationId", "timestamp": "When", "activity": "Step",
                         "queue": ("Team", "Who")}, constants={"channel": "chat"})  # fmt: skip
    text = "ConversationId,When,Step,Who,Team,outcome\nk1,2024-03-01 09:00,Open,ann,T1,resolved\n"
    s = read_one(engine, write(tmp_path, "x.csv", text), mapping=m)
    assert s.per_file[0].columns == {
        "contact_id": "ConversationId",
        "timestamp": "When",
        "activity": "Step",
        "channel": "'chat' (constant)",
        "queue": "Team + Who",
        "outcome": "outcome",
    }
    wide = {
        "columns": {"contact_id": "id"},
        "events": [
            {"activity": "Opened", "timestamp": "opened"},
            {"activity": "Closed", "timestamp": "closed", "duration": "work"},
        ],
    }
    text = "id,opened,closed,work\nt1,2024-03-01 09:00,2024-03-01 10:00,60\n"
    s = read_one(engine, write(tmp_path, "w.csv", text), mapping=Mapping.from_dict(wide))
    assert s.per_file[0].columns == {
        "contact_id": "id",
        "timestamp": "(events: opened, closed)",
        "activity": "(events: Opened, Closed)",
        "duration_s": "(events: work)",
    }
    from cxray.io.plan import column_sources

    adapter = Mapping(reader="amazon-connect-ctr")  # input.adapters names it; its fields are its own
    assert column_sources({"contact_id": "contact_id", "queue": None}, adapter) == {}
