"""OCEL 2.0 logs in (JSON and SQLite), written by hand from the standard (https://www.ocel-standard.org/:
the specification and its JSON and SQLite format pages); pm4py (a test oracle only) checks that the
fixtures are valid OCEL 2.0; the simulator's round trip through ``cxray.io.writers.write_ocel``."""

from __future__ import annotations

import copy
import gzip
import json
import re
import sqlite3
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from io_helpers import balanced
from typer.testing import CliRunner

from cxray import AnalysisOptions, DiagnoseOptions, diagnose
from cxray.cli import EXIT_OK, app
from cxray.engine import Engine
from cxray.errors import ConfigError, InputError
from cxray.io import InputSummary, ReadOptions, read_events
from cxray.io.mapping import Mapping
from cxray.io.readers import ocel
from cxray.io.writers import write_ocel
from cxray.simulate import load_scenario, simulate

OCEL2 = Mapping.from_dict({"reader": "ocel2"})


def rel(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"objectId": o, "qualifier": q} for o, q in pairs]


def attrs(**values: Any) -> list[dict[str, Any]]:
    return [{"name": k, "value": v} for k, v in values.items()]


def event(eid: str, etype: str, time: str | None, related: list, **values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": eid, "type": etype, "attributes": attrs(**values), "relationships": related}
    if time is not None:
        out["time"] = time
    return out


def obj(oid: str, otype: str, values: list[tuple[str, str, Any]] = (), related: list = ()) -> dict[str, Any]:
    """An object; ``values``: (name, time, value) — OCEL object attributes change over time."""
    return {
        "id": oid,
        "type": otype,
        "attributes": [{"name": n, "time": t, "value": v} for n, t, v in values],
        "relationships": list(related),
    }


EPOCH = "1970-01-01T00:00:00Z"
# One day of a contact centre as an object-centric log: contacts c1 (a call transferred from Billing to
# Disputes), c2 (an email thread merged with c1) and c3; customers K1..K3; agents; queues.
LOG: dict[str, Any] = {
    "objectTypes": [
        {
            "name": "Contact",
            "attributes": [
                {"name": "channel", "type": "string"},
                {"name": "reason", "type": "string"},
                {"name": "priority", "type": "string"},
            ],
        },
        {"name": "Customer", "attributes": [{"name": "segment", "type": "string"}]},
        {"name": "Agent", "attributes": []},
        {"name": "queue", "attributes": []},
    ],
    "eventTypes": [
        {"name": "Call received", "attributes": []},
        {"name": "Queued", "attributes": []},
        {
            "name": "Agent answered",
            "attributes": [
                {"name": "actor", "type": "string"},
                {"name": "team", "type": "string"},
                {"name": "duration_s", "type": "float"},
            ],
        },
        {
            "name": "Transfer",
            "attributes": [
                {"name": "outcome", "type": "string"},
                {"name": "queue", "type": "string"},
            ],
        },
        {"name": "Contacts linked", "attributes": []},
        {"name": "Email received", "attributes": [{"name": "channel", "type": "string"}]},
        {
            "name": "Wrap-up",
            "attributes": [
                {"name": "duration_s", "type": "float"},
                {"name": "survey_score", "type": "integer"},
            ],
        },
        {"name": "Record sync", "attributes": []},
    ],
    "objects": [
        obj(
            "c1",
            "Contact",
            [
                ("channel", EPOCH, "phone"),
                ("priority", EPOCH, "high"),
                ("reason", "2024-03-04T09:00:30Z", "billing"),
                ("reason", "2024-03-04T09:04:00Z", "disputes"),
            ],
        ),
        obj("c2", "Contact", [("channel", EPOCH, "chat")], rel(("K2", "belongs to"))),
        obj("c3", "Contact"),
        obj("K1", "Customer", [("segment", EPOCH, "gold")]),
        obj("K2", "Customer", [("segment", EPOCH, "silver")]),
        obj("K3", "Customer", related=rel(("c3", "raised"))),  # the other way round: customer -> contact
        obj("ann", "Agent"),
        obj("bob", "Agent"),
        obj("Billing", "queue"),
        obj("Disputes", "queue"),
    ],
    "events": [
        event("e1", "Call received", "2024-03-04T10:00:00+01:00", rel(("c1", "contact"), ("K1", "caller"))),
        event("e2", "Queued", "2024-03-04T09:00:20Z", rel(("c1", "contact"), ("Billing", "queue"))),
        event(
            "e3",
            "Agent answered",
            "2024-03-04T09:01:00Z",
            rel(("c1", "contact"), ("ann", "handled by")),
            actor="ann",
            team="Tier 1",
            duration_s=120,
        ),
        event(
            "e4",
            "Transfer",
            "2024-03-04T09:03:00Z",
            rel(("c1", "contact"), ("Billing", "from"), ("Disputes", "to")),
            outcome="transferred",
            queue="Disputes",
        ),
        event(
            "e5",
            "Agent answered",
            "2024-03-04T09:05:00Z",
            rel(("c1", "contact"), ("bob", "handled by"), ("Disputes", "queue")),
            actor="bob",
            team="Tier 2",
            duration_s=300.5,
        ),
        event("e6", "Contacts linked", "2024-03-04T09:06:00Z", rel(("c1", "merged into"), ("c2", "merged"))),
        event("e7", "Email received", "2024-03-04T11:00:00-05:00", rel(("c2", "contact")), channel="email"),
        event(
            "e8",
            "Wrap-up",
            "2024-03-04T09:10:00Z",
            rel(("c1", "contact"), ("c1", "contact")),
            duration_s=45.0,
            survey_score=4,
        ),
        event("e9", "Call received", "2024-03-05T08:00:00Z", rel(("c3", "contact"), ("ghost", "unknown"))),
        event("e10", "Record sync", "2024-03-05T08:30:00Z", rel(("ann", "agent"))),
    ],
}
# e6 gives two rows (c1, c2); e10 one row without a contact
N_EVENTS, N_ROWS, N_KEPT = 10, 11, 10


def write_json(path: Path, doc: Any, *, gz: bool = False) -> Path:
    data = json.dumps(doc, indent=1).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def _table_name(name: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", name)


def _utc(text: str) -> str:
    """The SQLite format's time text: UTC, ``YYYY-MM-DD HH:MM:SS``."""
    return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


SQL_TYPES = {
    "string": "TEXT",
    "integer": "INTEGER",
    "float": "REAL",
    "boolean": "BOOLEAN",
    "time": "TIMESTAMP",
}


def write_sqlite(path: Path, doc: dict[str, Any]) -> Path:
    """``doc`` in the OCEL 2.0 SQLite layout (the format page's tables), times as UTC text."""
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE event (ocel_id TEXT PRIMARY KEY, ocel_type TEXT);
        CREATE TABLE object (ocel_id TEXT PRIMARY KEY, ocel_type TEXT);
        CREATE TABLE event_object (ocel_event_id TEXT, ocel_object_id TEXT, ocel_qualifier TEXT);
        CREATE TABLE object_object (ocel_source_id TEXT, ocel_target_id TEXT, ocel_qualifier TEXT);
        CREATE TABLE event_map_type (ocel_type TEXT, ocel_type_map TEXT);
        CREATE TABLE object_map_type (ocel_type TEXT, ocel_type_map TEXT);
        """
    )
    for kind, key in (("event", "eventTypes"), ("object", "objectTypes")):
        for t in doc[key]:
            m = _table_name(t["name"])
            con.execute(f"INSERT INTO {kind}_map_type VALUES (?, ?)", (t["name"], m))
            extra = "".join(f', "{a["name"]}" {SQL_TYPES[a["type"]]}' for a in t["attributes"])
            changed = ", ocel_changed_field TEXT" if kind == "object" else ""
            con.execute(f'CREATE TABLE "{kind}_{m}" (ocel_id TEXT, ocel_time TIMESTAMP{changed}{extra})')
    for o in doc["objects"]:
        con.execute("INSERT INTO object VALUES (?, ?)", (o["id"], o["type"]))
        table = f'"object_{_table_name(o["type"])}"'
        initial = {a["name"]: a["value"] for a in o["attributes"] if a["time"] == EPOCH}
        cols = "".join(f', "{n}"' for n in initial)
        marks = ", ?" * len(initial)
        con.execute(
            f"INSERT INTO {table} (ocel_id, ocel_time, ocel_changed_field{cols}) VALUES (?, ?, NULL{marks})",
            (o["id"], _utc(EPOCH), *initial.values()),
        )
        for a in o["attributes"]:
            if a["time"] != EPOCH:
                con.execute(
                    f'INSERT INTO {table} (ocel_id, ocel_time, ocel_changed_field, "{a["name"]}") '
                    "VALUES (?, ?, ?, ?)",
                    (o["id"], _utc(a["time"]), a["name"], a["value"]),
                )
        for r in o["relationships"]:
            con.execute(
                "INSERT INTO object_object VALUES (?, ?, ?)", (o["id"], r["objectId"], r["qualifier"])
            )
    for e in doc["events"]:
        con.execute("INSERT INTO event VALUES (?, ?)", (e["id"], e["type"]))
        values = {a["name"]: a["value"] for a in e["attributes"]}
        cols = "".join(f', "{n}"' for n in values)
        if "time" in e:
            con.execute(
                f'INSERT INTO "event_{_table_name(e["type"])}" (ocel_id, ocel_time{cols}) '
                f"VALUES (?, ?{', ?' * len(values)})",
                (e["id"], _utc(e["time"]), *values.values()),
            )
        for r in e["relationships"]:
            con.execute("INSERT INTO event_object VALUES (?, ?, ?)", (e["id"], r["objectId"], r["qualifier"]))
    con.commit()
    con.close()
    return path


def read(engine: Engine, path: Path, mapping: Mapping = OCEL2) -> InputSummary:
    summary = read_events([path], engine, options=ReadOptions(mapping=mapping))
    assert balanced(summary)
    return summary


def rows(engine: Engine) -> list[dict[str, Any]]:
    """The events as dicts without NULLs, in (contact, time, source row) order; source_file dropped."""
    got = engine.rows("SELECT * EXCLUDE (source_file) FROM events ORDER BY contact_id, timestamp, source_row")
    return [{k: v for k, v in r.items() if v is not None} for r in got]


def by_event(engine: Engine, contact: str = "c1") -> dict[str, dict[str, Any]]:
    return {r["ocel:eid"]: r for r in rows(engine) if r["contact_id"] == contact}


def pm4py():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py as oracle
    return oracle


# --- the fixtures are OCEL 2.0 ----------------------------------------------------------------------------
def _relations(log) -> set[tuple[str, str, str]]:
    return {tuple(r) for r in log.relations[["ocel:eid", "ocel:oid", "ocel:qualifier"]].values.tolist()}


def test_pm4py_reads_the_hand_written_json_and_sqlite_fixtures(tmp_path: Path):
    """The oracle reads both fixtures to the same events and event-object relationships (its SQLite reader
    drops the relationship to the unknown object ``ghost``, as it does reading its own SQLite), and finds
    in our SQLite file what it finds in the one it writes itself from the JSON: both are OCEL 2.0."""
    pm = pm4py()
    from_json = pm.read_ocel2_json(str(write_json(tmp_path / "log.json", LOG)))
    from_sqlite = pm.read_ocel2_sqlite(str(write_sqlite(tmp_path / "log.sqlite", LOG)))
    assert len(from_json.events) == len(from_sqlite.events) == N_EVENTS
    assert len(from_json.objects) == len(LOG["objects"]) and len(from_json.o2o) == 2
    assert sorted(from_json.events["ocel:activity"]) == sorted(from_sqlite.events["ocel:activity"])
    assert _relations(from_json) - _relations(from_sqlite) == {("e9", "ghost", "unknown")}
    pm.write_ocel2_sqlite(from_json, str(tmp_path / "pm4py.sqlite"))  # (it drops K2, K3 from from_json too)
    theirs = pm.read_ocel2_sqlite(str(tmp_path / "pm4py.sqlite"))
    assert _relations(from_sqlite) == _relations(theirs)
    assert sorted(from_sqlite.objects["ocel:oid"]) == sorted(theirs.objects["ocel:oid"])


# --- reading --------------------------------------------------------------------------------------------
def test_events_are_flattened_one_row_per_contact(engine: Engine, tmp_path: Path):
    """e6 is related to two contacts: two rows (pm4py's flattening on one object type does the same);
    e10 is related to no contact: one row, rejected missing_contact_id; e8 names c1 twice: one row."""
    summary = read(engine, write_json(tmp_path / "log.json", LOG))
    assert (summary.records_read, summary.rows_read) == (N_EVENTS, N_ROWS)
    assert (summary.rows_kept, summary.rows_rejected) == (N_KEPT, 1)
    assert summary.rejected_by_reason == {"missing_contact_id": 1}
    got = rows(engine)
    assert [r["ocel:eid"] for r in got if r["contact_id"] == "c1"] == [
        "e1",
        "e2",
        "e3",
        "e4",
        "e5",
        "e6",
        "e8",
    ]
    assert [(r["contact_id"], r["ocel:qualifier"]) for r in got if r["ocel:eid"] == "e6"] == [
        ("c1", "merged into"), ("c2", "merged"),
    ]  # fmt: skip
    assert [r["ocel:eid"] for r in got if r["contact_id"] != "c1"] == ["e6", "e7", "e9"]


def test_types_relationships_and_attributes_fill_the_canonical_columns(engine: Engine, tmp_path: Path):
    read(engine, write_json(tmp_path / "log.json", LOG))
    c1 = by_event(engine)
    # the event type is the activity; the time is read with its offset (10:00+01:00 is 09:00 UTC)
    assert (c1["e1"]["activity"], c1["e1"]["timestamp"]) == ("Call received", datetime(2024, 3, 4, 9, 0))
    # the customer: e1's own relationship, for every event of c1 (one customer per contact), which has no
    # object-to-object one; no other candidate, so no ocel:customers
    assert c1["e1"]["customer_id"] == "K1" and c1["e1"]["Customer.segment"] == "gold"
    assert {r["customer_id"] for r in c1.values()} == {"K1"} and not any(
        "ocel:customers" in r for r in c1.values()
    )
    # a related object of type "queue" fills queue; an event attribute "queue" wins over the objects
    assert c1["e2"]["queue"] == "Billing"
    assert c1["e4"]["queue"] == "Disputes" and json.loads(c1["e4"]["queue (object)"]) == [
        "Billing",
        "Disputes",
    ]
    # event attributes named like canonical columns fill them; other object types are kept by type name
    assert (c1["e3"]["actor"], c1["e3"]["team"], c1["e3"]["duration_s"], c1["e3"]["Agent"]) == (
        "ann", "Tier 1", 120.0, "ann",
    )  # fmt: skip
    assert (c1["e4"]["outcome"], c1["e5"]["duration_s"]) == ("transferred", 300.5)
    assert (c1["e8"]["duration_s"], c1["e8"]["survey_score"]) == (45.0, "4")
    # the contact's attributes as of the event's time: reason set at 09:00:30, changed at 09:04
    assert [c1[e].get("reason") for e in ("e1", "e2", "e3", "e4", "e5")] == [
        None, None, "billing", "billing", "disputes",
    ]  # fmt: skip
    assert {c1[e]["channel"] for e in c1} == {"phone"} and {c1[e]["Contact.priority"] for e in c1} == {"high"}


def test_customer_through_the_contact_object_either_way_round(engine: Engine, tmp_path: Path):
    """c2 -> K2 is on the contact; K3 -> c3 on the customer; an unknown object id (ghost) is skipped."""
    read(engine, write_json(tmp_path / "log.json", LOG))
    c2, c3 = by_event(engine, "c2"), by_event(engine, "c3")
    assert {r["customer_id"] for r in c2.values()} == {"K2"} and c3["e9"]["customer_id"] == "K3"
    assert c2["e7"]["Customer.segment"] == "silver"
    # the event's own channel wins; the contact's is kept beside it
    assert (c2["e7"]["channel"], c2["e7"]["Contact.channel"]) == ("email", "chat")
    assert c2["e6"]["channel"] == "chat" and "Contact.channel" not in c2["e6"]
    assert c2["e7"]["timestamp"] == datetime(2024, 3, 4, 16, 0)  # 11:00-05:00
    assert not any(k.startswith("ghost") or k == "unknown" for k in c3["e9"])


@pytest.mark.parametrize("gz", [False, True])
def test_json_and_sqlite_read_to_the_same_events(engine: Engine, tmp_path: Path, gz: bool):
    """The same log in both formats (the SQLite one with UTC times, typed columns, attribute changes as
    ``ocel_changed_field`` rows) gives the same rows; gzip is told by the magic bytes, not the name."""
    read(engine, write_json(tmp_path / "log.json", LOG, gz=gz))
    from_json = rows(engine)
    db = write_sqlite(tmp_path / "log.sqlite", LOG)
    if gz:
        db = tmp_path / "log.sqlite.gz"
        db.write_bytes(gzip.compress((tmp_path / "log.sqlite").read_bytes()))
    with Engine(threads=2) as other:
        summary = read(other, db)
        assert (summary.records_read, summary.rows_read, summary.rows_kept) == (N_EVENTS, N_ROWS, N_KEPT)
        assert rows(other) == from_json


def test_a_log_pm4py_writes_as_sqlite_reads_like_the_json(engine: Engine, tmp_path: Path):
    """An SQLite file from another writer (pm4py's: its own column order, an initial row without a time,
    INTEGER durations) reads to the same events. pm4py leaves out objects no event refers to (K2, K3) and
    their object-to-object relationships, so c2's and c3's customers are not in its file."""
    pm = pm4py()
    log = pm.read_ocel2_json(str(write_json(tmp_path / "log.json", LOG)))
    pm.write_ocel2_sqlite(log, str(tmp_path / "pm4py.sqlite"))
    read(engine, tmp_path / "log.json")
    lost = ("customer_id", "Customer.segment", "source_row")
    want = [{k: v for k, v in r.items() if k not in lost or r["contact_id"] == "c1"} for r in rows(engine)]
    with Engine(threads=2) as other:
        read(other, tmp_path / "pm4py.sqlite")
        got = rows(other)
    assert not any("customer_id" in r for r in got if r["contact_id"] != "c1")
    key = lambda r: (r["contact_id"], r["ocel:eid"])  # noqa: E731
    strip = lambda r: {k: v for k, v in r.items() if k != "source_row"}  # noqa: E731
    assert sorted(map(strip, got), key=key) == sorted(map(strip, want), key=key)


def test_bad_events_are_rejected_per_event(engine: Engine, tmp_path: Path):
    """No time: missing_timestamp; an unreadable time: bad_timestamp; no type: missing_activity; not an
    object: malformed_row with its number; the good events are read."""
    doc = copy.deepcopy(LOG)
    doc["events"] = [
        *doc["events"][:3],
        event("x1", "Queued", None, rel(("c3", "contact"))),
        event("x2", "Queued", "yesterday at noon", rel(("c3", "contact"))),
        {"id": "x3", "time": "2024-03-05T09:00:00Z", "relationships": rel(("c3", "contact"))},
        "not an event",
    ]
    summary = read(engine, write_json(tmp_path / "log.json", doc))
    assert summary.records_read == 7 and summary.rows_kept == 3
    assert summary.rejected_by_reason == {
        "missing_timestamp": 1, "bad_timestamp": 1, "missing_activity": 1, "malformed_row": 1,
    }  # fmt: skip
    rejected = engine.rows("SELECT source_row, value FROM rejected WHERE reason = 'malformed_row'")
    assert rejected == [{"source_row": 7, "value": '"not an event"'}]


def test_an_event_without_time_in_sqlite_is_rejected_too(engine: Engine, tmp_path: Path):
    doc = copy.deepcopy(LOG)
    del doc["events"][1]["time"]  # e2: listed in "event", no row in its type's table
    summary = read(engine, write_sqlite(tmp_path / "log.sqlite", doc))
    assert summary.rejected_by_reason == {"missing_contact_id": 1, "missing_timestamp": 1}


def test_a_change_row_with_a_null_value_keeps_the_value_before(engine: Engine, tmp_path: Path):
    """An ``object_<Type>`` row naming a changed field whose value is NULL sets nothing (OCEL has no null):
    the contact's reason set before it still holds for the events after."""
    db = write_sqlite(tmp_path / "log.sqlite", LOG)
    con = sqlite3.connect(db)
    con.execute(
        "INSERT INTO object_Contact (ocel_id, ocel_time, ocel_changed_field, reason) "
        "VALUES ('c1', '2024-03-04 09:04:30', 'reason', NULL)"
    )
    con.commit()
    con.close()
    read(engine, db)
    assert by_event(engine)["e5"]["reason"] == "disputes"


def _one_contact(event_time: str, attribute_time: str) -> dict[str, Any]:
    return {
        "objectTypes": [{"name": "Contact", "attributes": []}],
        "eventTypes": [{"name": "Call received", "attributes": []}],
        "objects": [obj("c1", "Contact", [("reason", attribute_time, "billing")])],
        "events": [event("e1", "Call received", event_time, rel(("c1", "contact")))],
    }


@pytest.mark.parametrize(
    ("tz", "event_time", "attribute_time", "seen"),
    [
        # 10:00 in New York is 15:00 UTC: the reason set at 10:30 UTC was set before the event
        ("America/New_York", "2024-01-01T10:00:00", "2024-01-01T10:30:00Z", True),
        # 10:00 in Tokyo is 01:00 UTC: the reason set at 05:00 UTC was not yet set
        ("Asia/Tokyo", "2024-01-01T10:00:00", "2024-01-01T05:00:00Z", False),
        # an attribute time without offset is in --tz too: 10:00 Tokyo = 01:00 UTC, before 01:30 UTC
        ("Asia/Tokyo", "2024-01-01T01:30:00Z", "2024-01-01T10:00:00", True),
        ("UTC", "2024-01-01T10:00:00", "2024-01-01T10:30:00Z", False),
    ],
)
def test_object_attributes_are_looked_up_in_utc_under_tz(
    engine: Engine, tmp_path: Path, tz: str, event_time: str, attribute_time: str, seen: bool
):
    """Event and attribute times without an offset are read in ``--tz`` before they are compared, as the
    canonical step reads the event's timestamp: an attribute is seen by the events after it in UTC."""
    path = write_json(tmp_path / "log.json", _one_contact(event_time, attribute_time))
    summary = read_events([path], engine, options=ReadOptions(mapping=OCEL2, tz=tz))
    assert summary.rows_kept == 1
    assert [r.get("reason") for r in rows(engine)] == ["billing" if seen else None]


def _ambiguous(events_reversed: bool = False) -> dict[str, Any]:
    """t1's first event names two customers (K2 before K1), a later one K3; t2 has two object-to-object
    customers; t3's earliest event (written last) names K2, its other one K3; t4 has one."""
    events = [
        event("e1", "Opened", "2024-03-04T10:00:00Z", rel(("t1", "contact"), ("K2", "cc"), ("K1", "from"))),
        event("e2", "Reply", "2024-03-04T11:00:00Z", rel(("t1", "contact"), ("K3", "cc"))),
        event("e3", "Opened", "2024-03-04T10:00:00Z", rel(("t2", "contact"))),
        event("e4", "Opened", "2024-03-04T12:00:00Z", rel(("t3", "contact"), ("K3", "from"))),
        event("e5", "Opened", "2024-03-04T12:00:00Z", rel(("t4", "contact"))),
        event("e6", "Reply", "2024-03-04T11:30:00Z", rel(("t3", "contact"), ("K2", "from"))),
    ]
    return {
        "objectTypes": [{"name": "Contact", "attributes": []}, {"name": "Customer", "attributes": []}],
        "eventTypes": [{"name": "Opened", "attributes": []}, {"name": "Reply", "attributes": []}],
        "objects": [
            obj("t1", "Contact"),
            obj("t2", "Contact", related=rel(("K3", "owner"), ("K2", "payer"))),
            obj("t3", "Contact"),
            obj("t4", "Contact", related=rel(("K1", "owner"))),
            obj("K1", "Customer"),
            obj("K2", "Customer"),
            obj("K3", "Customer"),
        ],
        "events": events[::-1] if events_reversed else events,
    }


def test_one_customer_per_contact_and_the_ambiguous_ones_told(engine: Engine, tmp_path: Path):
    """Every event of a contact gets one customer: the one its earliest event names (the smallest id on a
    tie), else its object-to-object one (the smallest id of several); a contact with several candidates
    lists them in ocel:customers on each row. The file's order decides nothing."""
    want = {
        "t1": ("K1", '["K1", "K2", "K3"]'),
        "t2": ("K2", '["K2", "K3"]'),
        "t3": ("K2", '["K2", "K3"]'),
        "t4": ("K1", None),
    }
    for reversed_ in (False, True):
        read(engine, write_json(tmp_path / "log.json", _ambiguous(reversed_)))
        got = {(r["contact_id"], r["customer_id"], r.get("ocel:customers")) for r in rows(engine)}
        assert got == {(c, k, listed) for c, (k, listed) in want.items()}


# --- object types and options ---------------------------------------------------------------------------
def test_the_contact_type_is_the_one_named_like_a_contact_or_must_be_given(engine: Engine, tmp_path: Path):
    doc = copy.deepcopy(LOG)
    doc["objectTypes"].append({"name": "Support ticket", "attributes": []})
    path = write_json(tmp_path / "log.json", doc)
    with pytest.raises(ConfigError, match=r"several object types.*'Contact'.*'Support ticket'"):
        read(engine, path)
    summary = read(
        engine, path, Mapping.from_dict({"reader": "ocel2", "reader_options": {"contact_type": "Contact"}})
    )
    assert summary.rows_kept == N_KEPT
    for name, kind in (("Case", "Contact"), ("Order", "no object type is named like")):
        renamed = json.loads(json.dumps(LOG).replace('"Contact"', json.dumps(name)))
        with Engine(threads=2) as other:
            if kind == "Contact":
                assert read(other, write_json(tmp_path / "r.json", renamed)).rows_kept == N_KEPT
            else:
                with pytest.raises(ConfigError, match=kind):
                    read(other, write_json(tmp_path / "r.json", renamed))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"contact_type": "Ticket"}, r"contact_type 'Ticket' is not an object type.*'Contact', 'Customer'"),
        ({"customer_type": "Client"}, r"customer_type 'Client' is not an object type"),
        ({"contact_type": "Contact", "customer_type": "Contact"}, "both 'Contact'"),
        ({"contact": "Contact"}, r"unknown reader_options \['contact'\]; known: contact_type, customer_type"),
    ],
)
def test_bad_reader_options_are_config_errors(engine: Engine, tmp_path: Path, options, message):
    path = write_json(tmp_path / "log.json", LOG)
    with pytest.raises(ConfigError, match=message):
        read(engine, path, Mapping.from_dict({"reader": "ocel2", "reader_options": options}))


def test_customer_type_chooses_or_turns_off_the_customer(engine: Engine, tmp_path: Path):
    path = write_json(tmp_path / "log.json", LOG)
    mapping = Mapping.from_dict({"reader": "ocel2", "reader_options": {"customer_type": ""}})
    read(engine, path, mapping)
    c1 = by_event(engine)
    assert "customer_id" not in c1["e1"] and c1["e1"]["Customer"] == "K1"  # then just another object type
    with Engine(threads=2) as other:
        mapping = Mapping.from_dict({"reader": "ocel2", "reader_options": {"customer_type": "Agent"}})
        read(other, path, mapping)
        assert by_event(other)["e3"]["customer_id"] == "ann"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"ocel:global-log": {}, "ocel:events": {}}, "OCEL 1.0"),
        ([{"ContactId": "x"}], "not an OCEL 2.0 JSON log"),
        ({"objectTypes": [], "eventTypes": [], "objects": [], "events": []}, "has no events"),
    ],
)
def test_what_is_not_an_ocel_2_log_is_an_input_error(engine: Engine, tmp_path: Path, content, message):
    with pytest.raises(InputError, match=message):
        read(engine, write_json(tmp_path / "log.json", content))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "<?xml version='1.0' encoding='UTF-8'?>\n<log>\n  <object-types>\n"
            '    <object-type name="Contact"><attributes/></object-type>\n  </object-types>\n'
            "  <event-types/>\n  <objects/>\n  <events/>\n</log>\n",
            r"OCEL 2\.0 XML is not read.*pm4py\.write_ocel2_json\(pm4py\.read_ocel2_xml",
        ),
        (
            '<log>\n  <global scope="event">\n'
            '    <string key="ocel:activity" value="__INVALID__"/>\n  </global>\n  <events/>\n</log>\n',
            r"an OCEL 1\.0 XML log.*pm4py\.write_ocel2_json\(pm4py\.read_ocel\(",
        ),
        (
            json.dumps({"ocel:global-log": {"ocel:version": "1.0"}, "ocel:events": {}, "ocel:objects": {}}),
            r"an OCEL 1\.0 log.*pm4py\.write_ocel2_json\(pm4py\.read_ocel\(",
        ),
    ],
)
def test_xml_and_ocel_1_logs_are_refused_with_how_to_convert_them(
    engine: Engine, tmp_path: Path, text: str, message: str
):
    path = tmp_path / "log.xmlocel"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read(engine, path)


def test_an_sqlite_file_without_the_ocel_tables_is_an_input_error(engine: Engine, tmp_path: Path):
    con = sqlite3.connect(tmp_path / "other.sqlite")
    con.execute("CREATE TABLE event (id TEXT)")
    con.commit()
    con.close()
    with pytest.raises(InputError, match="no table object, event_object"):
        read(engine, tmp_path / "other.sqlite")


def test_the_sqlite_file_is_opened_read_only(engine: Engine, tmp_path: Path):
    path = write_sqlite(tmp_path / "log.sqlite", LOG)
    before = path.read_bytes()
    path.chmod(0o444)
    read(engine, path)
    assert path.read_bytes() == before and not (tmp_path / "log.sqlite-journal").exists()


def test_signatures_name_what_the_formats_hold(tmp_path: Path):
    """The JSON signature's fields are in the first bytes of any writer's file (the two type lists come
    first in pm4py's order and in the specification's); the SQLite one names the format's own tables."""
    from cxray.io.detect import sample_fields

    fields = sample_fields(write_json(tmp_path / "log.json", LOG))
    assert all(f in fields for f in ocel.SIGNATURE)
    tables = sample_fields(write_sqlite(tmp_path / "log.sqlite", LOG))
    assert all(f in tables for f in ocel.SQLITE_SIGNATURE)


@pytest.mark.parametrize("layout", ["sorted keys", "events first"])
def test_a_large_log_whose_type_lists_are_past_the_sample_is_recognised(
    engine: Engine, tmp_path: Path, layout
):
    """Written with sorted keys (pm4py's ``sort_keys``: eventTypes, events, objectTypes, objects) or events
    first, a log over the sampled megabyte has no objectTypes in the sample: its events say OCEL 2.0."""
    from cxray.io.detect import SAMPLE_BYTES, detect

    doc = copy.deepcopy(LOG)
    note = attrs(note="x" * 4000)
    many = [copy.deepcopy(doc["events"][2]) | {"id": f"x{i}", "attributes": note} for i in range(300)]
    doc["events"] = doc["events"] + many
    if layout == "events first":
        doc = {"events": doc.pop("events")} | doc
    path = tmp_path / "big.jsonocel"
    path.write_text(json.dumps(doc, sort_keys=layout == "sorted keys"), encoding="utf-8")
    assert path.stat().st_size > SAMPLE_BYTES
    assert detect(path) == "ocel2"
    summary = read_events([path], engine)
    assert summary.adapters == {str(path): "ocel2"} and summary.rows_kept == N_KEPT + len(many)


def test_diagnose_reads_an_ocel_log_from_the_cli(tmp_path: Path):
    path = write_json(tmp_path / "log.jsonocel", LOG)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["diagnose", str(path), "--mapping", "ocel2", "--out", str(out), "--quiet"]
    )
    assert result.exit_code == EXIT_OK, result.output
    doc = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    assert doc["input"]["records_read"] == N_EVENTS and doc["input"]["rows_kept"] == N_KEPT
    assert doc["metrics"]["overall"]["contacts"] == 3


# --- the simulator's round trip ---------------------------------------------------------------------------
COMPARED = ("contacts", "journeys", "transfer_rate", "abandonment_rate", "escalation_rate", "fcr")


@pytest.fixture(scope="module")
def simulated():
    return simulate(load_scenario("default"), seed=7, days=7, customers=1500)


@pytest.mark.parametrize("objects", [(), ("queue", "team")])
def test_the_ocel_export_diagnoses_like_the_canonical_log(simulated, tmp_path: Path, objects):
    """write_ocel then this reader gives back every event (each related to one contact: no flattening
    copies), so every measure and the top findings match the canonical log's, queue and team written as
    event attributes or as objects."""
    path = tmp_path / "log.jsonocel"
    assert write_ocel(simulated.events, path, objects=objects) == simulated.events.num_rows
    analysis = AnalysisOptions(window_days=2)
    # this small centre's one pattern is minutes between steps, no parked work by WT01's default: let it
    # count, so that there are findings to compare
    short = DiagnoseOptions(detectors={"WT01": {"min_mean_hours": 0.05}})
    run = diagnose(path, short, read=ReadOptions(mapping=OCEL2), analysis=analysis)
    canonical = diagnose(simulated.events, short, analysis=analysis)
    assert run.input.records_read == run.input.rows_kept == simulated.events.num_rows
    got = {k: run.metrics.overall[k] for k in COMPARED}
    want = {k: canonical.metrics.overall[k] for k in COMPARED}
    assert got["fcr"] is not None and got["transfer_rate"] > 0 and got["abandonment_rate"] > 0
    assert got == pytest.approx(want, abs=0.01)
    assert run.metrics.overall == canonical.metrics.overall
    top = [(f["code"], f["where"], f["contacts_affected"]) for f in canonical.all_findings[:3]]
    assert top and [(f["code"], f["where"], f["contacts_affected"]) for f in run.all_findings[:3]] == top
