"""Parquet, JSON Lines, XES and several files at once give the same canonical table as CSV."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from io_helpers import balanced, column, read_one, write

from cxray import schema as S
from cxray.engine import Engine
from cxray.io import ReadOptions, read_events, read_table
from cxray.schema import canonical_arrow_schema

CSV = (
    "contact_id,timestamp,activity,customer_id,outcome,duration_s,note\n"
    "c1,2024-03-01T09:00:00+01:00,Start,u1,,,hello\n"
    "c1,2024-03-01T09:05:00+01:00,End,u1,Resolved,30,\n"
    "c2,2024-03-02 10:00:00,Start,u2,,,\n"
    "c2,2024-03-02 10:00:00,Start,u2,,,\n"
    "c2,2024-03-02 10:09:00,End,u2,ABANDONED,2.5,bye\n"
)


def test_events_table_has_the_canonical_schema(engine: Engine, tmp_path: Path):
    s = read_one(engine, write(tmp_path, "a.csv", CSV))
    # what leaves the engine has the contract's types
    assert engine.arrow("SELECT * FROM events").schema == canonical_arrow_schema(["note"])
    # stored: source_file an ENUM of the files read, low-cardinality canonical text as ENUMs (dictionaries
    # of strings in DuckDB's own Arrow), ids and attributes as text
    stored = engine.con.sql("SELECT * FROM events").to_arrow_table().schema
    encoded = {f.name for f in stored if pa.types.is_dictionary(f.type)}
    assert encoded == {S.SOURCE_FILE, S.ACTIVITY, S.OUTCOME}
    assert all(stored.field(c).type.value_type == pa.string() for c in encoded)
    files = engine.arrow("SELECT source_file FROM events").column(0).to_pylist()
    assert files == [str(tmp_path / "a.csv")] * 4
    assert s.attributes == ["note"]
    assert s.fields_present == [S.CUSTOMER_ID, S.OUTCOME, S.DURATION_S]
    assert column(engine, "outcome") == [None, "resolved", None, "abandoned"]
    assert (s.time_start, s.time_end) == ("2024-03-01T08:00:00Z", "2024-03-02T10:09:00Z")


def test_csv_to_parquet_round_trip(engine: Engine, tmp_path: Path):
    """CSV -> canonical -> Parquet -> canonical is the identity (typed TIMESTAMP needs no parsing)."""
    read_one(engine, write(tmp_path, "a.csv", CSV))
    query = "SELECT * EXCLUDE (source_file, source_row) FROM events"
    first = engine.con.sql(query).to_arrow_table()
    pq.write_table(first, tmp_path / "a.parquet")
    with Engine(threads=2) as other:
        s = read_one(other, tmp_path / "a.parquet")
        again = other.con.sql(query).to_arrow_table()
    assert s.duplicates_dropped == 0 and again.equals(first)


def test_parquet_tz_aware_and_typed_columns(engine: Engine, tmp_path: Path):
    table = pa.table(
        {
            "contact_id": ["c1", "c1"],
            "timestamp": pa.array(
                [datetime(2024, 3, 1, 9), datetime(2024, 3, 1, 10)], pa.timestamp("ms", "UTC")
            ),
            "activity": ["A", "B"],
            "duration_s": pa.array([5, None], pa.int32()),
            "n": pa.array([1, 2], pa.int64()),
        }
    )
    pq.write_table(table, tmp_path / "t.parquet")
    s = read_one(engine, tmp_path / "t.parquet")
    assert s.rows_kept == 2
    assert column(engine, "timestamp") == [datetime(2024, 3, 1, 9), datetime(2024, 3, 1, 10)]
    assert column(engine, "duration_s") == [5.0, None]
    assert column(engine, "n") == ["1", "2"]


def test_json_lines(engine: Engine, tmp_path: Path):
    text = (
        '{"contact_id": 1, "timestamp": "2024-03-01T09:00:00Z", "activity": "A", "meta": {"k": 1}}\n'
        '{"contact_id": "c2", "timestamp": "2024-03-01T09:00:00+02:00", "activity": "B", "duration_s": 7}\n'
    )
    s = read_one(engine, write(tmp_path, "e.jsonl", text))
    assert s.rows_kept == 2
    assert column(engine, "contact_id") == ["1", "c2"]
    assert column(engine, "timestamp") == [datetime(2024, 3, 1, 9), datetime(2024, 3, 1, 7)]
    assert column(engine, "meta") == ['{"k":1}', None]


def test_json_lines_that_are_not_objects_are_rejected_one_by_one(engine: Engine, tmp_path: Path):
    """One line cut short (an export stopped mid-write) or a line that is no object failed DuckDB's read of
    the whole file; now each is a malformed_row with its record number (non-blank lines), the rest read,
    the records after it keeping theirs. A byte to repair sends the file through a copy: same result."""
    good = '{"contact_id": "c1", "timestamp": "2024-03-01T09:00:00Z", "activity": "A"}'
    lines = [
        good,
        "",  # blank: no record
        "42",  # record 2: not an object
        good.replace('"A"', '"B"').replace("09:00", "09:05"),  # record 3
        '{"contact_id": "c2", "timestamp": "yesterday", "activity": "C"}',  # record 4: bad timestamp
        '{"contact_id": "c2", "timestamp": "2024-03-01T10:00:00Z", "activ',  # record 5: cut short
    ]
    for name, prefix in (("plain.jsonl", b""), ("bom.jsonl", b"\xef\xbb\xbf")):
        path = tmp_path / name
        path.write_bytes(prefix + "\n".join(lines).encode())
        s = read_one(engine, path)
        assert (s.rows_read, s.rows_kept, s.rows_rejected) == (5, 2, 3), name
        assert s.rejected_by_reason == {"malformed_row": 2, "bad_timestamp": 1}
        rejected = engine.fetchall("SELECT source_row, reason, value FROM rejected ORDER BY source_row")
        assert [(r, reason) for r, reason, _ in rejected] == [
            (2, "malformed_row"),
            (4, "bad_timestamp"),
            (5, "malformed_row"),
        ]
        assert rejected[0][2] == "42" and rejected[2][2].endswith('"activ')
        assert engine.fetchall("SELECT source_row, activity FROM events ORDER BY source_row") == [
            (1, "A"),
            (3, "B"),
        ]


def test_json_lines_with_no_object_say_so(engine: Engine, tmp_path: Path):
    from cxray.errors import InputError

    with pytest.raises(InputError, match=r"n.jsonl: no JSON object on any line \(2 malformed\)"):
        read_one(engine, write(tmp_path, "n.jsonl", "not json\n[1, 2]\n"))
    # objects whose one key is "json" are objects (DuckDB reads a file of non-objects as one column "json"):
    # read as they are, so the error is the mapping's, not a malformed file's
    with pytest.raises(InputError, match=r"required column 'contact_id' not found; the file has: 'json'"):
        read_one(engine, write(tmp_path, "j.jsonl", '{"json": "a"}\n{"json": "b"}\n'))


def _event(name: str, time: str, extra: str = "") -> str:
    name_tag = f'<string key="concept:name" value="{name}"/>'
    return f'<event>{name_tag}<date key="time:timestamp" value="{time}"/>{extra}</event>'


ORG = '<string key="org:resource" value="ann"/><string key="org:group" value="g1"/>'
XES = f"""<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0">
  <trace><string key="concept:name" value="t1"/><string key="channel" value="web"/>
    {_event("a", "2024-03-01T10:00:00.000+01:00", ORG)}
    {_event("c", "2024-03-01T10:00:00.000+01:00")}
    {_event("b", "2024-03-01T09:30:00.000+01:00")}
  </trace>
  <trace><string key="concept:name" value="t2"/>{_event("a", "2024-03-02T10:00:00.000Z")}</trace>
</log>
"""


@pytest.mark.parametrize("name", ["log.xes", "log.xes.gz"])
def test_xes_keys_and_file_order(engine: Engine, tmp_path: Path, name: str):
    """Trace/event concept:name, time, org:resource, org:group map; file order kept; case attributes kept."""
    path = tmp_path / name
    path.write_bytes(gzip.compress(XES.encode()) if name.endswith(".gz") else XES.encode())
    s = read_one(engine, path)
    assert s.rows_kept == 4 and s.attributes == ["case:channel"]
    assert column(engine, "activity") == ["a", "c", "b", "a"]
    assert column(engine, "source_row") == [1, 2, 3, 4]
    assert column(engine, "timestamp")[0] == datetime(2024, 3, 1, 9)
    assert column(engine, "actor") == ["ann", None, None, None]
    assert column(engine, "team") == ["g1", None, None, None]
    assert column(engine, "case:channel") == ["web", "web", "web", None]


def test_several_files_in_given_order(engine: Engine, tmp_path: Path):
    """source_row restarts per file, (source_file, source_row) is unique, attributes are the union."""
    calls = write(tmp_path, "calls.csv", "contact_id,timestamp,activity,agent_desk\nk1,2024-03-01,Ring,d1\n")
    chats = write(
        tmp_path,
        "chats.csv",
        "contact_id;timestamp;activity;bot\nh1;2024-02-01;Hello;b\nh1;2024-02-01;Bye;b\n",
    )
    s = read_events([chats, calls], engine)
    assert s.files == [str(chats), str(calls)] and s.rows_kept == 3 and balanced(s)
    assert s.attributes == ["bot", "agent_desk"]
    rows = engine.rows("SELECT source_file, source_row, bot, agent_desk FROM events")
    assert [(Path(r["source_file"]).name, r["source_row"]) for r in rows] == [
        ("chats.csv", 1),
        ("chats.csv", 2),
        ("calls.csv", 1),
    ]
    assert rows[2]["bot"] is None and rows[2]["agent_desk"] == "d1"
    # one byte a row: an ENUM of the files read, ordered as their names are as text
    kind = engine.scalar("SELECT typeof(source_file) FROM events LIMIT 1")
    assert kind == f"ENUM('{calls}', '{chats}')"
    by_name = engine.fetchall("SELECT source_file, source_row FROM events ORDER BY source_file, source_row")
    by_text = engine.fetchall(
        "SELECT source_file, source_row FROM events ORDER BY CAST(source_file AS VARCHAR), source_row"
    )
    assert by_name == by_text and Path(by_name[0][0]).name == "calls.csv"


def test_read_table_numbers_rows_in_table_order(engine: Engine):
    table = pa.table(
        {
            "contact_id": ["x", "x"],
            "timestamp": ["2024-01-01 10:00", "2024-01-01 09:00"],
            "activity": ["b", "a"],
            "source_row": [7, 8],
        }
    )
    s = read_table(table, engine, options=ReadOptions())
    assert s.files == ["<table>"] and column(engine, "source_row") == [1, 2]


def test_a_json_array_of_objects_is_read_as_its_records(engine: Engine, tmp_path: Path):
    """An API response or a tool's export saved as one JSON array (here pretty-printed, with a BOM): its
    objects are the records, numbered by position; an element that is no object is a malformed row."""
    records = [
        {"contact_id": "c1", "timestamp": "2024-03-01T09:00:00Z", "activity": "A", "meta": {"k": 1}},
        7,
        {"contact_id": "c1", "timestamp": "2024-03-01T09:05:00Z", "activity": "B"},
    ]
    path = tmp_path / "export.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(records, indent=2).encode())
    s = read_one(engine, path)
    assert (s.rows_read, s.rows_kept, s.rows_rejected) == (3, 2, 1)
    assert engine.fetchall("SELECT source_row, activity FROM events ORDER BY source_row") == [
        (1, "A"),
        (3, "B"),
    ]
    assert engine.fetchall("SELECT source_row, reason, value FROM rejected") == [(2, "malformed_row", "7")]
    assert column(engine, "meta") == ['{"k":1}', None]
    # one object a line inside the array: still the array's records, not its one line without a comma
    lines = ",\n".join(json.dumps(r) for r in records)
    path.write_text(f"[\n{lines}\n]\n")
    s = read_one(engine, path)
    assert (s.rows_read, s.rows_kept, s.rows_rejected) == (3, 2, 1)


def test_one_json_object_says_what_to_do(engine: Engine, tmp_path: Path):
    """A pretty-printed API page (one object) is no table of events: the error says to name the adapter."""
    from cxray.errors import InputError

    page = {"tickets": [{"id": 1}], "next_page": None, "count": 1}
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page, indent=2))
    with pytest.raises(InputError, match=r"page.json: one JSON document \(an object with keys 'tickets', "):
        read_one(engine, path)
    with pytest.raises(InputError, match="--mapping NAME"):
        read_one(engine, path)
