"""OCEL 2.0 object-centric event logs (JSON or SQLite) in, one canonical event per contact and event out.

Written from the OCEL 2.0 standard (https://www.ocel-standard.org/, the specification at
https://www.ocel-standard.org/2.0/ocel20_specification.pdf, and the JSON and SQLite format pages);
docs/adapters/ocel2.md has the field by field mapping and the choices. In short:

* Input: the JSON format (``objectTypes``, ``eventTypes``, ``objects``, ``events``; gzip or not, told by the
  magic bytes) or the SQLite format (tables ``event``, ``object``, ``event_object``, ``object_object``,
  ``event_map_type``, ``object_map_type``, ``event_<Type>``, ``object_<Type>``), told by the SQLite magic
  bytes and opened read-only; or a folder of such files (event numbers run on across them).
* The contact is an object type (``contact_type``; by default the one type whose name says contact, case,
  ticket, conversation or interaction), the customer another (``customer_type``; by default the one type
  whose name says customer or client).
* Flattening: an event related to N contact objects gives N rows, one per contact, as flattening an OCEL on
  one object type does (pm4py ``ocel_flattening``; van der Aalst's "convergence"); ``ocel:eid`` keeps the
  event's id on each. An event related to no contact gives one row, rejected ``missing_contact_id``.
* activity = the event type; timestamp = the event's ``time`` as given; customer_id = one customer object
  per contact: the one related to the contact's earliest event that names one, else the contact's
  object-to-object one (either way round), the smallest id on a tie; a contact with several candidates
  carries them all in ``ocel:customers``.
* Times: every comparison (an object attribute's value as of an event) is made in UTC, times without an
  offset, events' and attributes' alike, read in ``--tz`` as the canonical step reads the timestamp.
* Event attributes named like a canonical column (``channel``, ``queue``, ``team``, ``actor``,
  ``actor_type``, ``reason``, ``outcome``, ``duration_s``) fill it; the others are kept under their names.
  The contact object's attributes (value as of the event's time) fill ``channel`` and ``reason`` when the
  event has none and are otherwise kept as ``<contact type>.<name>``; the customer's as
  ``<customer type>.<name>``. Related objects of other types are kept as a column named by the type
  (their ids); a type named ``queue``, ``team``, ``actor``... fills that column when no attribute did.
"""

from __future__ import annotations

import gzip
import json
import re
import sqlite3
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from ... import schema as S
from ...engine import Engine
from ...errors import ConfigError, InputError
from ..options import ReadOptions
from . import RawSource
from .records import MAX_SNIPPET, Parsed, Rows, files, json_values, read_text, register_rows
from .records import items as _items
from .records import number as _number
from .records import text as _text
from .records import time as _time

ADAPTER = "ocel2"
OPTIONS = ("contact_type", "customer_type")
#: The fields that, together, say a JSON file is an OCEL 2.0 log (auto-detection, ``detect.py``).
SIGNATURE = ("objectTypes", "eventTypes", "objectTypes.name", "eventTypes.name")
#: The events alone, for a JSON log whose type lists are not in the sampled first megabyte: a large one
#: written with sorted keys (``eventTypes``, ``events``, ``objectTypes``...) or events first. The fields of
#: an OCEL 2.0 event's relationship (``objectId``, ``qualifier``) are the format's own words.
EVENTS_SIGNATURE = (
    "events.id", "events.type", "events.time", "events.relationships.objectId",
    "events.relationships.qualifier",
)  # fmt: skip
#: The same for the SQLite format (``detect.py`` lists an SQLite file's tables as ``table:<name>``).
SQLITE_SIGNATURE = ("table:event", "table:event_object", "table:object_object", "table:event_map_type")
MORE_SIGNATURES = (SQLITE_SIGNATURE, EVENTS_SIGNATURE)
#: Words in an object type's name (any case) that make it the contact, or the customer, by default.
CONTACT_WORDS = ("contact", "case", "ticket", "conversation", "interaction")
CUSTOMER_WORDS = ("customer", "client")
#: Contact-level columns the contact object's attributes fill when the event does not.
CONTACT_LEVEL = (S.CHANNEL, S.REASON)
#: Canonical columns an event attribute of the same name fills (contact_id, timestamp and activity come
#: from the log's structure; an attribute so named is kept as ``<name> (attribute)``).
FROM_ATTRIBUTES = S.OPTIONAL
#: Canonical columns a related object of a type of the same name fills (its id).
FROM_OBJECTS = (S.CHANNEL, S.QUEUE, S.TEAM, S.ACTOR, S.ACTOR_TYPE, S.REASON, S.OUTCOME)
EVENT_ID, QUALIFIER = "ocel:eid", "ocel:qualifier"
#: The attribute listing a contact's candidate customers (JSON list, sorted) when it has more than one.
CUSTOMERS = "ocel:customers"
_SQLITE = b"SQLite format 3\x00"
_GZIP = b"\x1f\x8b"


@dataclass
class _Object:
    id: str
    type: str | None
    # name -> [(since, value)] sorted by time: OCEL object attributes change over time
    values: dict[str, list[tuple[datetime, Any]]] = field(default_factory=dict)
    relationships: list[str] = field(default_factory=list)  # object-to-object, this object the source
    times: dict[str, list[datetime]] = field(default_factory=dict)  # per attribute, sorted (``done``)

    def add(self, name: str, when: datetime | None, value: Any) -> None:
        """Set ``name`` from ``when`` (UTC; None, unreadable: from the start). A NULL sets nothing: the
        value set before stays (the SQLite format's change rows leave the other columns NULL)."""
        if value is not None:
            self.values.setdefault(name, []).append((when or datetime.min, value))

    def done(self) -> None:
        """Sort each attribute's history by time (stable: values set at one time keep their order)."""
        for name, history in self.values.items():
            history.sort(key=lambda tv: tv[0])
            self.times[name] = [t for t, _ in history]

    def at(self, when: datetime | None) -> dict[str, Any]:
        """Each attribute's value as of ``when``: the last one set at or before it (none before its first
        value; the first value when the event's time is unreadable)."""
        out: dict[str, Any] = {}
        for name, history in self.values.items():
            k = 1 if when is None else bisect_right(self.times[name], when)
            if k:
                out[name] = history[k - 1][1]
        return out


@dataclass
class _Event:
    number: int  # 1-based, across the files of a folder
    id: str | None
    type: str | None
    time: Any
    at: datetime | None = None  # ``time`` in UTC, ``--tz`` applied when it has no offset (``_utc``)
    attributes: list[tuple[str, Any]] = field(default_factory=list)
    relationships: list[tuple[str, str | None]] = field(default_factory=list)  # (object id, qualifier)


@dataclass
class _Log:
    types: list[str] = field(default_factory=list)  # object types, declared or used, first seen first
    objects: dict[str, _Object] = field(default_factory=dict)
    events: list[_Event] = field(default_factory=list)
    parsed: Parsed = field(default_factory=Parsed)  # malformed events, decoding repairs
    count: int = 0  # events read (malformed ones included)
    zone: tzinfo = UTC  # of times without an offset (``--tz``)

    def utc(self, value: Any) -> datetime | None:
        return _utc(value, self.zone)

    def type_seen(self, name: Any) -> None:
        if isinstance(name, str) and name not in self.types:
            self.types.append(name)


def load(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
    """Read an OCEL 2.0 file (or folder of them) into ``view``: one row per event and contact."""
    settings = dict(options.mapping.reader_options) if options.mapping is not None else {}
    unknown = sorted(set(settings) - set(OPTIONS))
    if unknown:
        raise ConfigError(f"{ADAPTER}: unknown reader_options {unknown}; known: {', '.join(OPTIONS)}")
    log = _Log(zone=ZoneInfo(options.effective_tz))
    for file in files(path):
        if _is_sqlite(file):
            _read_sqlite(file, log)
        else:
            _read_json(file, options, log)
    if log.count == 0:
        raise InputError("the OCEL log has no events", path=path)
    contact_type, customer_type = _types(log, settings)
    for o in log.objects.values():
        o.done()
    for event in log.events:
        event.at = log.utc(event.time)
    customers = _customers(log, contact_type, customer_type)
    rows = Rows()
    for event in log.events:
        for row in _rows(event, log, contact_type, customer_type, customers):
            rows.add(row)
    if rows.n == 0:
        raise InputError(f"no readable OCEL events ({len(log.parsed.malformed)} malformed)", path=path)
    records = log.count - len(log.parsed.malformed)  # the malformed ones are counted as such
    return register_rows(engine, view, rows, path, log.parsed, records=records)


# --- object types -------------------------------------------------------------------------------------
def _types(log: _Log, settings: dict[str, str]) -> tuple[str, str | None]:
    """(the contact's object type, the customer's or None), from the options or the type names."""
    known = ", ".join(repr(t) for t in log.types) or "none"
    contact = settings.get("contact_type")
    if contact is None:
        found = _named(log.types, CONTACT_WORDS)
        if len(found) != 1:
            why = "several object types could be" if found else "no object type is named like"
            raise ConfigError(
                f"{ADAPTER}: {why} the contact ({', '.join(CONTACT_WORDS)}); set reader_options "
                f"contact_type to one of the log's object types: {known}"
            )
        contact = found[0]
    elif contact not in log.types:
        raise ConfigError(f"{ADAPTER}: contact_type {contact!r} is not an object type of the log: {known}")
    customer = settings.get("customer_type")
    if customer is None:
        found = [t for t in _named(log.types, CUSTOMER_WORDS) if t != contact]
        return contact, found[0] if len(found) == 1 else None
    if not customer.strip():  # customer_type: "" turns the default off
        return contact, None
    if customer not in log.types:
        raise ConfigError(f"{ADAPTER}: customer_type {customer!r} is not an object type of the log: {known}")
    if customer == contact:
        raise ConfigError(f"{ADAPTER}: customer_type and contact_type are both {contact!r}")
    return contact, customer


def _named(types: Iterable[str], words: Sequence[str]) -> list[str]:
    return [t for t in types if any(w in t.lower() for w in words)]


# --- JSON ---------------------------------------------------------------------------------------------
def _read_json(file: Path, options: ReadOptions, log: _Log) -> None:
    text = read_text(file, options, log.parsed)
    if text.lstrip("\ufeff \t\r\n").startswith("<"):
        _not_xml(text, file)
    values = [v for v, _ in json_values(text)]
    doc = values[0] if len(values) == 1 else None
    if not isinstance(doc, dict) or not any(k in doc for k in SIGNATURE):
        if isinstance(doc, dict) and ("ocel:events" in doc or "ocel:global-log" in doc):
            raise InputError(f"an OCEL 1.0 log; {_CONVERT_1}", path=file)
        raise InputError(
            "not an OCEL 2.0 JSON log: expected one JSON object with objectTypes, eventTypes, objects "
            "and events",
            path=file,
        )
    for declared in _items(doc, "objectTypes"):
        log.type_seen(declared.get("name"))
    for o in _items(doc, "objects"):
        oid = _text(o.get("id"))
        if oid is None:
            continue  # nothing can refer to it
        obj = log.objects.setdefault(oid, _Object(oid, _text(o.get("type"))))
        log.type_seen(obj.type)
        for a in _items(o, "attributes"):
            if isinstance(a.get("name"), str):
                obj.add(a["name"], log.utc(a.get("time")), a.get("value"))
        obj.relationships += [r for r in (_text(x.get("objectId")) for x in _items(o, "relationships")) if r]
    raw = doc.get("events")
    for e in raw if isinstance(raw, list) else []:
        log.count += 1
        if not isinstance(e, dict):
            shown = json.dumps(e, ensure_ascii=False)
            log.parsed.malformed.append(
                (log.count, shown if len(shown) <= MAX_SNIPPET else shown[:MAX_SNIPPET] + "...")
            )
            continue
        event = _Event(log.count, _text(e.get("id")), _text(e.get("type")), e.get("time"))
        event.attributes = [(a["name"], a.get("value")) for a in _items(e, "attributes") if _named_ok(a)]
        event.relationships = [
            (oid, _text(r.get("qualifier")))
            for r in _items(e, "relationships")
            if (oid := _text(r.get("objectId"))) is not None
        ]
        log.events.append(event)


_CONVERT_1 = (
    "this reader reads OCEL 2.0 (JSON or SQLite): convert it with pm4py, "
    "pm4py.write_ocel2_json(pm4py.read_ocel('<this file>'), 'log.jsonocel')"
)


def _not_xml(text: str, file: Path) -> NoReturn:
    """Refuse an XML log with how to convert it: OCEL 2.0 XML (``<object-types>``...) or OCEL 1.0 XML."""
    head = text[:4096]
    if "ocel:" in head and "<object-types" not in head:
        raise InputError(f"an OCEL 1.0 XML log; {_CONVERT_1}", path=file)
    raise InputError(
        "an XML log (OCEL 2.0 XML is not read); this reader reads OCEL 2.0 JSON or SQLite: convert it "
        "with pm4py, pm4py.write_ocel2_json(pm4py.read_ocel2_xml('<this file>'), 'log.jsonocel')",
        path=file,
    )


def _named_ok(a: dict[str, Any]) -> bool:
    return isinstance(a.get("name"), str) and bool(a["name"].strip())


# --- SQLite -------------------------------------------------------------------------------------------
def _is_sqlite(file: Path) -> bool:
    try:
        with file.open("rb") as f:
            head = f.read(len(_SQLITE))
        if head[:2] == _GZIP:
            with gzip.open(file, "rb") as g:
                head = g.read(len(_SQLITE))
    except (OSError, EOFError):
        return False
    return head == _SQLITE


def _connect(file: Path) -> sqlite3.Connection:
    """The database opened read-only (a gzipped one is decompressed into memory)."""
    with file.open("rb") as f:
        gzipped = f.read(2) == _GZIP
    if not gzipped:
        return sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
    con = sqlite3.connect(":memory:")
    con.deserialize(gzip.decompress(file.read_bytes()))
    return con


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _read_sqlite(file: Path, log: _Log) -> None:
    try:
        con = _connect(file)
    except (OSError, sqlite3.Error) as exc:
        raise InputError(f"cannot open as SQLite: {exc}", path=file) from None
    try:
        _read_tables(con, file, log)
    except sqlite3.Error as exc:
        raise InputError(f"cannot read as an OCEL 2.0 SQLite log: {exc}", path=file) from None
    finally:
        con.close()


def _read_tables(con: sqlite3.Connection, file: Path, log: _Log) -> None:
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    missing = [t for t in ("event", "object", "event_object") if t not in tables]
    if missing:
        raise InputError(f"not an OCEL 2.0 SQLite log: no table {', '.join(missing)}", path=file)
    object_map = _type_map(con, tables, "object_map_type")
    for name in object_map:
        log.type_seen(name)
    for oid, otype in con.execute("SELECT ocel_id, ocel_type FROM object"):
        if (key := _text(oid)) is not None:
            log.objects.setdefault(key, _Object(key, _text(otype)))
            log.type_seen(_text(otype))
    for kind in {o.type for o in log.objects.values() if o.type} | set(object_map):
        table = _type_table(kind, object_map, "object", tables)
        if table is None:
            continue
        for row in _typed_rows(con, table):
            obj = log.objects.get(_text(row.pop("ocel_id")) or "")
            if obj is None:
                continue
            when, changed = row.pop("ocel_time", None), _text(row.pop("ocel_changed_field", None))
            names = (
                [n.strip() for n in changed.split(",")] if changed else [n for n in row if not _internal(n)]
            )
            for name in names:
                obj.add(name, log.utc(when), row.get(name))
    if "object_object" in tables:
        for source, target in con.execute("SELECT ocel_source_id, ocel_target_id FROM object_object"):
            obj = log.objects.get(_text(source) or "")
            if obj is not None and (tid := _text(target)) is not None:
                obj.relationships.append(tid)
    relationships: dict[str, list[tuple[str, str | None]]] = {}
    for eid, oid, qualifier in con.execute(
        "SELECT ocel_event_id, ocel_object_id, ocel_qualifier FROM event_object"
    ):
        if (e := _text(eid)) is not None and (o := _text(oid)) is not None:
            relationships.setdefault(e, []).append((o, _text(qualifier)))
    event_map = _type_map(con, tables, "event_map_type")
    listed = [
        (_text(eid), _text(etype)) for eid, etype in con.execute("SELECT ocel_id, ocel_type FROM event")
    ]
    details: dict[str, dict[str, Any]] = {}
    for kind in {k for _, k in listed if k}:
        table = _type_table(kind, event_map, "event", tables)
        if table is not None:
            for row in _typed_rows(con, table):
                if (key := _text(row.pop("ocel_id"))) is not None:
                    details[key] = row
    for eid, etype in listed:
        log.count += 1
        row = dict(details.get(eid or "", {}))
        event = _Event(log.count, eid, etype, row.pop("ocel_time", None))
        event.attributes = [(k, v) for k, v in row.items() if v is not None and not _internal(k)]
        event.relationships = relationships.get(eid or "", [])
        log.events.append(event)


def _internal(column: str) -> bool:
    """A column of the format itself (``ocel_*``; pm4py adds ``ocel:activity``), not an attribute."""
    return column.startswith(("ocel_", "ocel:"))


def _type_map(con: sqlite3.Connection, tables: set[str], table: str) -> dict[str, str]:
    """``ocel_type`` -> ``ocel_type_map`` (the suffix of the type's own table)."""
    if table not in tables:
        return {}
    return {
        t: m
        for t, m in ((_text(a), _text(b)) for a, b in con.execute(f"SELECT * FROM {_q(table)}"))
        if t and m
    }


def _type_table(name: str, mapping: dict[str, str], prefix: str, tables: set[str]) -> str | None:
    """The table of one event or object type: ``<prefix>_<ocel_type_map>`` (else the type's name with
    its non-word characters dropped, as the specification's examples map them)."""
    for suffix in (mapping.get(name), name, re.sub(r"\W", "", name)):
        if suffix and f"{prefix}_{suffix}" in tables:
            return f"{prefix}_{suffix}"
    return None


def _typed_rows(con: sqlite3.Connection, table: str) -> Iterable[dict[str, Any]]:
    """The rows of ``table`` as dicts; BOOLEAN columns' 1/0 as true/false (as the JSON format has them)."""
    booleans = {r[1] for r in con.execute(f"PRAGMA table_info({_q(table)})") if "BOOL" in str(r[2]).upper()}
    cursor = con.execute(f"SELECT * FROM {_q(table)}")
    names = [d[0] for d in cursor.description]
    for values in cursor:
        row = dict(zip(names, values, strict=True))
        for b in booleans:
            if isinstance(row.get(b), int):
                row[b] = bool(row[b])
        yield row


# --- times ------------------------------------------------------------------------------------------
def _utc(value: Any, zone: tzinfo) -> datetime | None:
    """``value`` as naive UTC: ISO 8601 text with its offset, or without one in ``zone`` (as the canonical
    step reads the timestamp under ``--tz``), so that event and attribute times compare in one clock;
    epoch milliseconds as UTC; None when unreadable."""
    if not isinstance(value, str):
        return _time(value)
    try:
        t = datetime.fromisoformat(value.strip())
        if t.tzinfo is None:
            t = t.replace(tzinfo=zone)
        return t.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        return None


# --- flattening ---------------------------------------------------------------------------------------
_Customers = dict[str, tuple["_Object", list[str]]]


def _rows(
    event: _Event, log: _Log, contact_type: str, customer_type: str | None, customers: _Customers
) -> list[dict[str, Any]]:
    """One row per contact object the event is related to (one row, without contact, when none)."""
    related: dict[str, str | None] = {}  # object id -> qualifier; a repeated relationship counted once
    for oid, qualifier in event.relationships:
        related.setdefault(oid, qualifier)
    objects = [log.objects[oid] for oid in related if oid in log.objects]  # unknown ids: no type, skipped
    contacts = [o for o in objects if o.type == contact_type]
    when = event.at
    base: dict[str, Any] = {
        S.TIMESTAMP: _text(event.time),
        S.ACTIVITY: event.type,
        EVENT_ID: event.id,
    }
    for name, value in event.attributes:
        if name in FROM_ATTRIBUTES:
            base[name] = _number(value) if name == S.DURATION_S else _text(value)
        else:
            base[_free(base, name, "attribute")] = _text(value)
    others: dict[str, list[str]] = {}
    for o in objects:
        if o.type and o.type not in (contact_type, customer_type):
            others.setdefault(o.type, []).append(o.id)
    for otype, ids in others.items():
        value = ids[0] if len(ids) == 1 else _text(ids)
        if otype in FROM_OBJECTS and base.get(otype) is None:
            base[otype] = value
        else:
            base[_free(base, otype, "object")] = value
    if not contacts:  # rejected (missing_contact_id): the event's own customers, shown as they are
        own = sorted(o.id for o in objects if customer_type and o.type == customer_type)
        return [
            {S.CONTACT_ID: None}
            | base
            | ({S.CUSTOMER_ID: _text(own) if len(own) > 1 else own[0]} if own else {})
        ]
    out = []
    for contact in contacts:
        row = {S.CONTACT_ID: contact.id} | base | {QUALIFIER: related[contact.id]}
        for name, value in contact.at(when).items():
            if name in CONTACT_LEVEL and row.get(name) is None:
                row[name] = _text(value)
            elif f"{contact_type}.{name}" not in row:
                row[f"{contact_type}.{name}"] = _text(value)
        if (chosen := customers.get(contact.id)) is not None:
            customer, candidates = chosen
            if row.get(S.CUSTOMER_ID) is not None:  # an event attribute: the object wins, the value is kept
                row[_free(row, S.CUSTOMER_ID, "attribute")] = row[S.CUSTOMER_ID]
            row[S.CUSTOMER_ID] = customer.id
            row |= _prefixed(customer, when)
            if candidates:
                row[CUSTOMERS] = _text(candidates)
        out.append(row)
    return out


def _free(row: dict[str, Any], name: str, kind: str) -> str:
    """``name``, or ``<name> (<kind>)`` when that column is canonical or already taken."""
    taken = name in row or S.is_canonical(name) or name in (EVENT_ID, QUALIFIER, CUSTOMERS)
    return f"{name} ({kind})" if taken else name


def _prefixed(obj: _Object, when: datetime | None) -> dict[str, Any]:
    return {f"{obj.type}.{name}": _text(value) for name, value in obj.at(when).items()}


def _customers(log: _Log, contact_type: str, customer_type: str | None) -> _Customers:
    """Contact id -> (its one customer object, every candidate customer id when there are several).

    One customer per contact, so that all its events agree and its journey is one customer's: the customer
    related to the contact's earliest event that names one (UTC; the smallest id on a tie), else the
    contact's own object-to-object customer, else a customer object naming the contact (the smallest id of
    several). Neither file order nor which event a row comes from decides. The candidates are every
    customer any of the three ways names, so that an ambiguous contact is told, not resolved silently.
    """
    if customer_type is None:
        return {}
    by_event: dict[str, list[tuple[datetime, str]]] = {}
    for event in log.events:
        related = {oid: log.objects[oid] for oid, _ in event.relationships if oid in log.objects}
        named = [o.id for o in related.values() if o.type == customer_type]
        for contact in (o for o in related.values() if o.type == contact_type):
            by_event.setdefault(contact.id, []).extend((event.at or datetime.max, c) for c in named)
    own: dict[str, set[str]] = {}
    naming: dict[str, set[str]] = {}
    for o in log.objects.values():
        if o.type == contact_type:
            own[o.id] = {
                r for r in o.relationships if getattr(log.objects.get(r), "type", None) == customer_type
            }
        elif o.type == customer_type:
            for target in o.relationships:
                naming.setdefault(target, set()).add(o.id)
    out: _Customers = {}
    for contact in (o for o in log.objects.values() if o.type == contact_type):
        timed = by_event.get(contact.id, [])
        linked = own.get(contact.id) or naming.get(contact.id) or set()
        candidates = sorted(
            {c for _, c in timed} | own.get(contact.id, set()) | naming.get(contact.id, set())
        )
        if not candidates:
            continue
        chosen = min(timed)[1] if timed else min(linked)
        out[contact.id] = (log.objects[chosen], candidates if len(candidates) > 1 else [])
    return out
