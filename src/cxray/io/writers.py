"""The canonical events table written out for other process-mining tools: XES (IEEE 1849) or OCEL 2.0 JSON.

Both are built from the canonical Arrow table alone (``schema``: ``cxray.simulate`` output, or the
``events`` table a diagnosis read) and are deterministic: the same table gives the same bytes. A path ending
``.gz`` is written gzip-compressed (no file name or time in the gzip header). docs/adapters/ocel2.md
describes both shapes.

* **XES** (IEEE 1849-2016, https://xes-standard.org): one trace per ``contact_id`` (``concept:name``),
  traces in the order of their first event, events in ``(timestamp, source_row)`` order. Each event has
  ``concept:name`` = activity, ``time:timestamp`` (ISO 8601 with its UTC offset), ``lifecycle:transition``
  (``complete``, or the event's own ``lifecycle:transition`` attribute), ``org:resource`` = actor,
  ``org:group`` = team, and every other column as an attribute of its own name: text as ``string``,
  ``duration_s`` and other numbers as ``float``/``int``, booleans as ``boolean``, times as ``date``.
  Columns named ``case:<key>`` (trace attributes read from an XES log) go back on the trace as ``<key>``.
  A missing value is no attribute. pm4py, ProM and cxray's own XES reader read it back.
* **OCEL 2.0 JSON** (https://www.ocel-standard.org/): object types ``contact`` and ``customer`` (plus, on
  request, one per column named in ``objects``: ``queue``, ``team``, ``actor``...); one event per row, its
  type the activity, related to its contact (qualifier ``contact``) and its customer (``customer``); each
  contact object related to its customer. Every other column is an event attribute. The ``ocel2`` reader
  reads it back to the same events.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from itertools import groupby
from pathlib import Path
from typing import IO, Any

import pyarrow as pa

from .. import schema as S
from ..errors import ConfigError, InputError

#: XES keys the writer sets itself; a table column of one of these names is written as ``<key> (source)``.
XES_CONCEPT, XES_TIME, XES_RESOURCE, XES_GROUP, XES_LIFECYCLE = (
    "concept:name",
    "time:timestamp",
    "org:resource",
    "org:group",
    "lifecycle:transition",
)
XES_RESERVED = (XES_CONCEPT, XES_TIME, XES_RESOURCE, XES_GROUP)
XES_EXTENSIONS = (
    ("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
    ("Time", "time", "http://www.xes-standard.org/time.xesext"),
    ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
    ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
)
CASE_PREFIX = "case:"
CONTACT_TYPE, CUSTOMER_TYPE = "contact", "customer"
#: Columns ``write_ocel`` can write as objects (besides contact and customer).
OBJECT_COLUMNS = (S.QUEUE, S.TEAM, S.ACTOR, S.CHANNEL, S.REASON)

# XML 1.0 cannot hold these at all, not even as character references: written as U+FFFD.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_PLAIN = re.compile(r"[^&<>\"\x00-\x1f\ud800-\udfff\ufffe\uffff]*")
_XML_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
)


# --- shared ---------------------------------------------------------------------------------------------
def _check(events: pa.Table) -> None:
    missing = [c for c in S.REQUIRED if c not in events.column_names]
    if missing:
        raise InputError(f"the events table has no {', '.join(missing)} column (not a canonical table)")
    for c in S.REQUIRED:
        if events[c].null_count:
            raise InputError(f"the events table has {events[c].null_count} rows without {c}")


def _iso(t: datetime) -> str:
    """ISO 8601 with the UTC offset, milliseconds (microseconds when the time has them)."""
    if t.tzinfo is not None:
        t = t.astimezone(UTC).replace(tzinfo=None)
    fraction = f"{t.microsecond // 1000:03d}" if t.microsecond % 1000 == 0 else f"{t.microsecond:06d}"
    return f"{t:%Y-%m-%dT%H:%M:%S}.{fraction}+00:00"


def _kind(dtype: pa.DataType) -> str:
    """The XES / OCEL type a column's values are written as."""
    if pa.types.is_boolean(dtype):
        return "boolean"
    if pa.types.is_integer(dtype):
        return "int"
    if pa.types.is_floating(dtype) or pa.types.is_decimal(dtype):
        return "float"
    if pa.types.is_timestamp(dtype) or pa.types.is_date(dtype):
        return "date"
    return "string"


def _value(value: Any, kind: str) -> Any:
    """``value`` as the type ``kind`` says; None when it is missing (or a float NaN)."""
    if value is None:
        return None
    if kind == "float":
        number = float(value)
        return None if math.isnan(number) else number
    if kind == "date":
        when = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
        return _iso(when)
    if kind in ("int", "boolean"):
        return value
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _rows(events: pa.Table) -> list[dict[str, Any]]:
    """The rows in ``(contact's first time, contact_id, timestamp, source_row)`` order."""
    rows = events.to_pylist()
    for k, row in enumerate(rows):
        row["__order"] = (row[S.TIMESTAMP], row.get(S.SOURCE_ROW) or 0, k)
    first: dict[str, Any] = {}
    for row in rows:
        c = row[S.CONTACT_ID]
        first[c] = min(first.get(c, row[S.TIMESTAMP]), row[S.TIMESTAMP])
    rows.sort(key=lambda r: (first[r[S.CONTACT_ID]], r[S.CONTACT_ID], r["__order"]))
    return rows


def _attributes(events: pa.Table, skip: Sequence[str]) -> list[tuple[str, str]]:
    """(column, kind) of the columns written as attributes: canonical ones first, then the table's own."""
    names = [c for c in S.CANONICAL if c in events.column_names]
    names += [c for c in events.column_names if not S.is_canonical(c)]
    return [(c, _kind(events.schema.field(c).type)) for c in names if c not in skip]


@contextmanager
def _open(path: Path) -> Iterator[IO[str]]:
    """A text file to write, gzip-compressed (without name or time in the header) when ``path`` ends .gz."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw:
        if path.name.lower().endswith(".gz"):
            with (
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as packed,
                io.TextIOWrapper(packed, encoding="utf-8", newline="\n") as text,
            ):
                yield text
        else:
            with io.TextIOWrapper(raw, encoding="utf-8", newline="\n") as text:
                yield text


# --- XES ------------------------------------------------------------------------------------------------
@lru_cache(maxsize=1 << 16)  # keys and most values (channels, queues, actors) repeat
def _x(value: str) -> str:
    """Text as an XML attribute value: escaped, characters XML cannot hold replaced by U+FFFD."""
    if _PLAIN.fullmatch(value):
        return value
    return _NOT_XML.sub("\ufffd", value).translate(_XML_ESCAPES)


_XES_TAGS = {"string": "string", "float": "float", "int": "int", "boolean": "boolean", "date": "date"}


def _xes_attribute(key: str, value: Any, kind: str) -> str:
    if kind == "float":
        shown = "INF" if value == math.inf else "-INF" if value == -math.inf else repr(value)
    elif kind == "boolean":
        shown = "true" if value else "false"
    else:
        shown = str(value)
    return f'<{_XES_TAGS[kind]} key="{_x(key)}" value="{_x(shown)}"/>'


def write_xes(events: pa.Table, path: Path) -> int:
    """Write the canonical ``events`` as an XES log at ``path`` (``.xes``, or ``.xes.gz`` compressed).

    One trace per contact; returns the number of events written (every row of the table).

    >>> import tempfile, datetime as dt
    >>> t = pa.table({"contact_id": ["c1"], "timestamp": [dt.datetime(2024, 3, 4, 9)], "activity": ["A & B"]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_xes(t, Path(d) / "log.xes")
    1
    """
    _check(events)
    skip = (S.CONTACT_ID, S.TIMESTAMP, S.ACTIVITY, S.ACTOR, S.TEAM, XES_LIFECYCLE)
    columns = _attributes(events, skip)
    trace_columns = [(c, k) for c, k in columns if c.startswith(CASE_PREFIX) and c[len(CASE_PREFIX) :]]
    event_columns = [(c, k) for c, k in columns if (c, k) not in trace_columns]
    has = set(events.column_names)
    lifecycle = _kind(events.schema.field(XES_LIFECYCLE).type) if XES_LIFECYCLE in has else None
    n = 0
    with _open(path) as out:
        out.write(_xes_header())
        for contact, group in groupby(_rows(events), key=lambda r: r[S.CONTACT_ID]):
            trace = list(group)
            out.write(f"\t<trace>\n\t\t{_xes_attribute(XES_CONCEPT, str(contact), 'string')}\n")
            for column, kind in trace_columns:
                value = next((v for r in trace if (v := _value(r[column], kind)) is not None), None)
                if value is not None:
                    out.write(f"\t\t{_xes_attribute(column[len(CASE_PREFIX) :], value, kind)}\n")
            for row in trace:
                out.write(_xes_event(row, event_columns, lifecycle))
                n += 1
            out.write("\t</trace>\n")
        out.write("</log>\n")
    return n


def _xes_event(row: dict[str, Any], columns: list[tuple[str, str]], lifecycle: str | None) -> str:
    parts = [
        _xes_attribute(XES_CONCEPT, str(row[S.ACTIVITY]), "string"),
        _xes_attribute(XES_TIME, _iso(row[S.TIMESTAMP]), "date"),
    ]
    stage = _value(row.get(XES_LIFECYCLE), lifecycle) if lifecycle else None
    parts.append(_xes_attribute(XES_LIFECYCLE, stage if stage is not None else "complete", "string"))
    for column, key in ((S.ACTOR, XES_RESOURCE), (S.TEAM, XES_GROUP)):
        if row.get(column) is not None:
            parts.append(_xes_attribute(key, str(row[column]), "string"))
    for column, kind in columns:
        value = _value(row[column], kind)
        if value is not None:
            key = f"{column} (source)" if column in XES_RESERVED else column
            parts.append(_xes_attribute(key, value, kind))
    return "\t\t<event>\n\t\t\t" + "\n\t\t\t".join(parts) + "\n\t\t</event>\n"


def _xes_header() -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">',
    ]
    lines += [f'\t<extension name="{n}" prefix="{p}" uri="{u}"/>' for n, p, u in XES_EXTENSIONS]
    lines += [
        '\t<global scope="trace">',
        '\t\t<string key="concept:name" value="__INVALID__"/>',
        "\t</global>",
        '\t<global scope="event">',
        '\t\t<string key="concept:name" value="__INVALID__"/>',
        '\t\t<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>',
        '\t\t<string key="lifecycle:transition" value="complete"/>',
        "\t</global>",
        '\t<classifier name="Activity" keys="concept:name"/>',
        '\t<classifier name="Activity and lifecycle" keys="concept:name lifecycle:transition"/>',
        '\t<string key="concept:name" value="cxray events"/>',
    ]
    return "\n".join(lines) + "\n"


# --- OCEL 2.0 -------------------------------------------------------------------------------------------
_OCEL_TYPES = {"string": "string", "float": "float", "int": "integer", "boolean": "boolean", "date": "time"}


def write_ocel(events: pa.Table, path: Path, *, objects: Sequence[str] = ()) -> int:
    """Write the canonical ``events`` as an OCEL 2.0 JSON log at ``path`` (``.json``/``.jsonocel``, or
    ``.gz`` compressed); returns the number of events written (every row of the table).

    ``objects``: columns (of ``OBJECT_COLUMNS``: queue, team, actor, channel, reason) written as objects of
    a type of that name, related to each event with that value (qualifier = the column), instead of as
    event attributes. Object ids are the values themselves; a value already used as another object's id
    gets ``<type>:`` in front.
    """
    _check(events)
    wanted = list(dict.fromkeys(objects))
    bad = [c for c in wanted if c not in OBJECT_COLUMNS]
    if bad:
        raise ConfigError(
            f"OCEL export: cannot write {bad} as objects; choose from {', '.join(OBJECT_COLUMNS)}"
        )
    wanted = [c for c in wanted if c in events.column_names]
    skip = (S.CONTACT_ID, S.TIMESTAMP, S.ACTIVITY, S.CUSTOMER_ID, *wanted)
    columns = _attributes(events, skip)
    rows = _rows(events)
    rows.sort(key=lambda r: (r[S.TIMESTAMP], r["__order"][1:]))  # the log in time order, ties as the table
    ids = _Ids()
    contacts = {str(r[S.CONTACT_ID]): ids.of(CONTACT_TYPE, str(r[S.CONTACT_ID])) for r in rows}
    customer_of: dict[str, str] = {}
    for r in rows:
        if r.get(S.CUSTOMER_ID) is not None:
            customer_of.setdefault(str(r[S.CONTACT_ID]), ids.of(CUSTOMER_TYPE, str(r[S.CUSTOMER_ID])))
    event_types: dict[str, dict[str, str]] = {}
    lines = []
    for k, r in enumerate(rows, 1):
        attributes = []
        for column, kind in columns:
            value = _value(r[column], kind)
            if value is not None:
                attributes.append({"name": column, "value": value})
                event_types.setdefault(str(r[S.ACTIVITY]), {})[column] = _OCEL_TYPES[kind]
        event_types.setdefault(str(r[S.ACTIVITY]), {})
        related = [{"objectId": contacts[str(r[S.CONTACT_ID])], "qualifier": CONTACT_TYPE}]
        if r.get(S.CUSTOMER_ID) is not None:
            related.append(
                {"objectId": ids.of(CUSTOMER_TYPE, str(r[S.CUSTOMER_ID])), "qualifier": CUSTOMER_TYPE}
            )
        for column in wanted:
            if r[column] is not None:
                related.append({"objectId": ids.of(column, str(r[column])), "qualifier": column})
        event = {
            "id": f"e{k}",
            "type": str(r[S.ACTIVITY]),
            "time": _iso(r[S.TIMESTAMP]),
            "attributes": attributes,
            "relationships": related,
        }
        lines.append(_json(event))
    object_lines = []
    for otype, value, oid in ids.objects:
        obj: dict[str, Any] = {"id": oid, "type": otype, "attributes": []}
        if otype == CONTACT_TYPE and value in customer_of:
            obj["relationships"] = [{"objectId": customer_of[value], "qualifier": CUSTOMER_TYPE}]
        object_lines.append(_json(obj))
    types = [CONTACT_TYPE, CUSTOMER_TYPE, *wanted]
    header = {
        "objectTypes": [{"name": t, "attributes": []} for t in types],
        "eventTypes": [
            {"name": name, "attributes": [{"name": a, "type": t} for a, t in attrs.items()]}
            for name, attrs in sorted(event_types.items())
        ],
    }
    with _open(path) as out:
        out.write("{\n")
        for key, value in header.items():
            out.write(f"{_json(key)}: {_json(value)},\n")
        out.write('"objects": [\n' + ",\n".join(object_lines) + "\n],\n")
        out.write('"events": [\n' + ",\n".join(lines) + "\n]\n}\n")
    return len(rows)


class _Ids:
    """OCEL object ids, unique across types: the value itself, ``<type>:<value>`` when already taken."""

    def __init__(self) -> None:
        self.known: dict[tuple[str, str], str] = {}
        self.taken: set[str] = set()
        self.objects: list[tuple[str, str, str]] = []  # (type, value, id) in first-use order

    def of(self, otype: str, value: str) -> str:
        key = (otype, value)
        if key not in self.known:
            oid = value if value not in self.taken else f"{otype}:{value}"
            n = 2
            while oid in self.taken:
                oid, n = f"{otype}:{value}:{n}", n + 1
            self.known[key] = oid
            self.taken.add(oid)
            self.objects.append((otype, value, oid))
        return self.known[key]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)
