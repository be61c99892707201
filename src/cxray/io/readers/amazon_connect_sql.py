"""The Amazon Connect adapter's fast path: the same flattening as ``amazon_connect`` in DuckDB SQL.

Parsing a million contact records one Python dict at a time takes minutes; DuckDB reads the same JSON
(``read_json_objects``, gzip included) and flattens it in seconds. This module does exactly what
``amazon_connect._latest`` / ``_flatten`` / ``_events`` do, row for row, in the same row order and with the
same columns, and ``tests/io/test_amazon_connect.py`` checks that both paths give identical tables.

It is only a fast path: ``flatten`` returns None whenever the input needs the careful reader (text that is
not JSON, a value that is not an object, a non-UTF-8 encoding, bytes DuckDB refuses), and the Python reader
then runs, naming every malformed record.

The records are read typed first: ``read_json`` with the fields of the contact-record data model as
columns (``_COLUMNS``) parses each record straight into them, the attributes kept as JSON; a record whose
fields have other JSON types than the model's (a ``Queue`` that is text, not an object) makes that read
fail, and the records are read again as JSON objects, each field then extracted by path (slower, as
forgiving as the Python reader). Both give the same fields.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from ... import schema as S
from ...engine import Engine
from ...errors import EngineError
from ...sql import ident, lit, pair_key
from .. import missing
from ..mapping import Mapping
from . import MARKED, ROW
from .amazon_connect import (
    ACW,
    CHANNELS,
    CONFERENCE,
    CONNECTED,
    CONSULT,
    CONSULT_TALK_S,
    DISCONNECTED,
    EXTERNAL,
    HOLD,
    INITIATED,
    LEG_TYPE,
    NOUNS,
    QUEUED,
    RECORDED,
)

#: The fields read, as JSON paths under the record (``amazon_connect._events`` reads the same ones).
_PATHS = (
    "ContactId", "InitialContactId", "PreviousContactId", "InitiationTimestamp", "LastUpdateTimestamp",
    "InitiationMethod", "Channel", "DisconnectReason", "CustomerEndpoint.Address", "DisconnectTimestamp",
    "Queue.Name", "Queue.EnqueueTimestamp", "Agent.Username", "Agent.RoutingProfile.Name",
    "Agent.ConnectedToAgentTimestamp", "Agent.AgentInteractionDuration", "Agent.CustomerHoldDuration",
    "Agent.AfterContactWorkStartTimestamp", "Agent.AfterContactWorkDuration", "TransferCompletedTimestamp",
    "ExternalThirdParty.ExternalThirdPartyInteractionDuration",
)  # fmt: skip


class _Tables(NamedTuple):
    """The work tables behind one view: a leg's fields per record as read, the older deliveries' record
    numbers, the legs' order and each leg's first event number, as SQL identifiers. They stay while the
    view is read (it is a view over them); ``names`` lists them for ``RawSource.owned``."""

    view: str

    def name(self, part: str) -> str:
        return f"{self.view}__{part}"

    @property
    def names(self) -> list[str]:
        return [self.name(part) for part in ("wide", "older", "order", "base")]

    @property
    def values(self) -> str:
        """The view of the categories' values (``_values_sql``) as a SQL identifier."""
        return ident(self.name("values"))

    @property
    def wide(self) -> str:
        return ident(self.name("wide"))

    @property
    def legs(self) -> str:
        """SQL: the legs, numbered (``n``, 1-based) in the files' order, with every field of ``wide``."""
        return f"SELECT rowid + 1 AS n, * FROM {self.wide}"

    @property
    def older(self) -> str:
        return ident(self.name("older"))

    @property
    def order(self) -> str:
        return ident(self.name("order"))

    @property
    def base(self) -> str:
        return ident(self.name("base"))


def _columns() -> str:
    """``read_json``'s columns for :data:`_PATHS`: nested fields as STRUCTs of VARCHAR (a number or a
    nested value reads as its JSON text, as ``json_extract_string`` gives it), ``Attributes`` as JSON."""
    tree: dict[str, dict] = {}
    for path in _PATHS:
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})

    def typed(node: dict) -> str:
        if not node:
            return "VARCHAR"
        return "STRUCT(" + ", ".join(f"{ident(k)} {typed(v)}" for k, v in node.items()) + ")"

    tree["Attributes"] = {}
    fields = [f"{lit(k)}: {lit('JSON' if k == 'Attributes' else typed(v))}" for k, v in tree.items()]
    return "{" + ", ".join(fields) + "}"


_COLUMNS = _columns()


class Flat(NamedTuple):
    """What the fast path built: the tables behind the view, the records read, the events of older
    deliveries, the attribute columns and the view of the categories' values (``RawSource.values``)."""

    tables: list[str]
    records: int
    older_rows: int
    attributes: list[str]
    values: str | None


def flatten(
    files: list[Path], gzipped: list[bool], engine: Engine, mapping: Mapping, view: str
) -> Flat | None:
    """Expose the flattened rows as ``view``, in ``amazon_connect``'s order and columns plus ``ROW``, their
    carried columns cleaned once per leg (``io.missing``) and the markers met listed in ``MARKED``; None
    when the records need the Python reader.

    The view unnests the legs as the canonical step reads it, once (it reads its source again only to
    show rejected rows): materialising four million events in a table of their own took longer than
    computing them. A leg's fields (and its event count) are computed once, as its record is read, and
    stored in place of the record (``_wide``): the older deliveries, the transfer order, the numbering and
    the view all read them there. The categories' values come from the legs too (``_values_sql``, the view
    ``Flat.values``): reading the view for them cost 0.77 s at a million records, rewriting the staged
    columns instead 0.93 s, the legs' values 0.1 s.
    """
    t = _Tables(view)
    settings = dict(mapping.reader_options)
    words = re.compile(missing.pattern(mapping, missing.kept_words(mapping, S.ACTIVITY)))
    if any(words.fullmatch(w) for w in _FIXED_ACTIVITIES):
        return None  # the mapping calls one of the reader's own activities missing: the Python reader cleans
        # every event's, as the canonical step would
    built = None
    try:
        records, older_rows, keys = _flatten(files, gzipped, engine, settings, t) or (0, 0, None)
        if keys is None:
            return None
        _number_legs(engine, t)
        engine.execute(f"CREATE OR REPLACE TEMP VIEW {ident(view)} AS {_events_sql(keys, mapping, t)}")
        values: str | None = t.name("values")
        try:
            engine.execute(f"CREATE OR REPLACE TEMP VIEW {t.values} AS {_values_sql(mapping, t, view)}")
        except EngineError:  # the staged columns are rewritten instead: slower, the same events
            values = None
        built = Flat(t.names, records, older_rows, [f"Attributes.{k}" for k in keys], values)
        return built
    except EngineError:
        return None
    finally:
        if built is None:
            for name in (t.name("values"), view):
                engine.execute(f"DROP VIEW IF EXISTS {ident(name)}")
            for table in t.names:
                engine.execute(f"DROP TABLE IF EXISTS {ident(table)}")


#: ``read_json``'s largest record, which sizes its buffers (two of it each): 128 MiB instead of the default
#: 16 MiB made reading and storing a million records in file order (the batches DuckDB then merges into
#: row groups) 0.85 s of CPU cheaper of about 8 (five interleaved pairs, 2 threads), for 100-200 MB more
#: memory. With more threads the buffers in flight cost more than they save: the default is kept there.
_BIG_RECORD = 128 * 2**20
_BIG_RECORD_THREADS = 4  # at most


def _read(files: list[Path], gzipped: list[bool], layout: str, typed: bool, threads: int = 0) -> str:
    """One ``read_json`` (``typed``: the data model's columns) or ``read_json_objects`` (one JSON value a
    record, as ``j``) per run of files with the same compression, in file order; ``threads``: the
    engine's (``_BIG_RECORD``)."""
    parts: list[str] = []
    run: list[Path] = []
    for k, file in enumerate(files):
        run.append(file)
        if k + 1 == len(files) or gzipped[k + 1] != gzipped[k]:
            listed = "[" + ", ".join(lit(str(f)) for f in run) + "]"
            options = f"format = {lit(layout)}, compression = {'gzip' if gzipped[k] else 'none'!r}"
            if 0 < threads <= _BIG_RECORD_THREADS:
                options += f", maximum_object_size = {_BIG_RECORD}"
            parts.append(
                f"SELECT * FROM read_json({listed}, {options}, columns = {_COLUMNS})"
                if typed
                else f"SELECT json AS j FROM read_json_objects({listed}, {options})"
            )
            run = []
    return " UNION ALL ".join(parts)


def _nz(expr: str) -> str:
    """``expr`` as text, None when blank (``records.text``)."""
    blank = f"{expr} = '' OR (starts_with({expr}, ' ') AND trim({expr}) = '')"  # trim only where it can
    return f"CASE WHEN {blank} THEN NULL ELSE {expr} END"


def _flatten(
    files: list[Path], gzipped: list[bool], engine: Engine, settings: dict[str, str], t: _Tables
) -> tuple[int, int, list[str]] | None:
    named = [k for k in _named(settings) if k]
    if not all(_plain(k) for k in named):
        return None
    # JSON Lines read twice as fast as objects written back to back (Firehose), so that is tried first, and
    # typed before as objects (module docstring). A leg's fields are computed as the records are read and
    # stored once: the legs, the order and the view read them (computing them again for the view took a
    # second of CPU at 1M). The record number is the row id (the table keeps the files' order).
    attempts = [
        (layout, typed) for layout in ("newline_delimited", "unstructured") for typed in (True, False)
    ]
    threads = int(engine.scalar("SELECT current_setting('threads')"))
    for k, (layout, typed) in enumerate(attempts):
        try:
            read = _read(files, gzipped, layout, typed, threads)
            engine.execute(f"CREATE OR REPLACE TEMP TABLE {t.wide} AS {_wide(read, typed, settings)}")
            break
        except EngineError:
            if k + 1 == len(attempts):
                raise
    records = int(engine.scalar(f"SELECT count(*) FROM {t.wide}"))
    if records == 0:
        return None
    if engine.scalar(f"SELECT count(*) FROM {t.wide} WHERE NOT is_object"):
        return None  # a JSON value that is not a record: the Python reader names it
    # per ContactId delivered more than once, the latest delivery (later one on a tie) is kept: an
    # aggregate, not a sort, over one number (the update's microseconds, then the record's) rather than a
    # pair, which took twice as long; only the few older deliveries are listed
    latest = pair_key(f"coalesce(epoch_us(updated), {_NO_TIME})", "n")  # n < 2**32
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {t.older} AS
        WITH legs AS NOT MATERIALIZED (SELECT n, cid, updated FROM ({t.legs}) WHERE cid IS NOT NULL),
        twice AS (SELECT cid FROM legs GROUP BY cid HAVING count(*) > 1),
        delivered AS (SELECT * FROM legs SEMI JOIN twice USING (cid))
        SELECT n FROM delivered WHERE n NOT IN (SELECT arg_max(n, {latest}) FROM delivered GROUP BY cid)"""
    )
    older_rows = int(
        engine.scalar(f"SELECT coalesce(sum(k), 0) FROM ({t.legs}) SEMI JOIN {t.older} USING (n)")
    )
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {t.order} AS {_order_sql(t)}")
    keys = _attribute_keys(engine, named, t)
    return None if not all(_plain(k) for k in keys) else (records, older_rows, keys)


#: Before every update time (``epoch_us`` of 0001-01-01 is -6.2e16): a record without one loses.
_NO_TIME = -(2**62)


def _named(settings: dict[str, str]) -> tuple[str | None, str | None, str | None]:
    """The contact attributes the reader options name as the customer, the reason and the outcome."""
    return (
        settings.get("customer_attribute"),
        settings.get("reason_attribute"),
        settings.get("outcome_attribute"),
    )


def _wide(read: str, typed: bool, settings: dict[str, str]) -> str:
    """Every field of a leg, per record of ``read`` (``_read``), in the record order."""
    customer_key, reason_key, outcome_key = _named(settings)
    named = [k for k in (customer_key, reason_key, outcome_key) if k]
    if typed:  # the fields are columns: a nested one a STRUCT field, the named attributes read from their
        # JSON by one multi-path extraction (one parse of it)
        field = {p: ".".join(ident(part) for part in p.split(".")) for p in _PATHS}
        field |= {f"Attributes.{_quoted(k)}": f"nv[{i + 1}]" for i, k in enumerate(named)}
        listed = "[" + ", ".join(lit(f"$.{_quoted(k)}") for k in named) + "]"
        nv = f"json_extract_string(Attributes, {listed})" if named else "CAST(NULL AS VARCHAR[])"
        parsed = f"SELECT *, Attributes AS attrs, {nv} AS nv, true AS is_object FROM ({read})"
    else:  # each record parsed once: every field read by one multi-path extraction
        paths = [*_PATHS, *(f"Attributes.{_quoted(k)}" for k in named)]
        field = {p: f"v[{i + 1}]" for i, p in enumerate(paths)}
        listed = "[" + ", ".join(lit("$." + p) for p in paths) + "]"
        parsed = (
            f"SELECT json_extract_string(j, {listed}) AS v, json_extract(j, '$.Attributes') AS attrs, "
            f"json_type(j) = 'OBJECT' AS is_object FROM ({read})"
        )

    def attribute(key: str | None) -> str:
        return "NULL" if key is None else _nz(field["Attributes." + _quoted(key)])

    def text(name: str) -> str:
        return _nz(field[name])

    def number(name: str) -> str:
        return f"TRY_CAST({field[name]} AS DOUBLE)"

    # an external leg's endpoint is the party dialled, not the customer
    external = f"upper(coalesce({text('InitiationMethod')}, '')) = {lit(EXTERNAL)}"
    endpoint = f"CASE WHEN {external} THEN NULL ELSE {text('CustomerEndpoint.Address')} END"

    return f"""WITH parsed AS NOT MATERIALIZED ({parsed}), fields AS (
        SELECT attrs, is_object,
            {text("ContactId")} AS cid, {text("InitialContactId")} AS initial,
            {text("PreviousContactId")} AS prev, {text("InitiationTimestamp")} AS started,
            TRY_CAST({field["InitiationTimestamp"]} AS TIMESTAMPTZ) AS initiated,
            TRY_CAST({field["LastUpdateTimestamp"]} AS TIMESTAMPTZ) AS updated,
            upper(coalesce({text("InitiationMethod")}, '')) AS method,
            upper(coalesce({text("Channel")}, '')) AS chan,
            {text("DisconnectReason")} AS disconnect_reason,
            {text("DisconnectTimestamp")} AS ended,
            {text("Queue.Name")} AS queue_name, {text("Queue.EnqueueTimestamp")} AS enqueued,
            {text("Agent.Username")} AS username, {text("Agent.RoutingProfile.Name")} AS team,
            {text("Agent.ConnectedToAgentTimestamp")} AS connected,
            {number("Agent.AgentInteractionDuration")} AS work,
            {number("Agent.CustomerHoldDuration")} AS hold,
            {text("Agent.AfterContactWorkStartTimestamp")} AS acw_start,
            {number("Agent.AfterContactWorkDuration")} AS acw,
            {text("TransferCompletedTimestamp")} AS transfer_done,
            {number("ExternalThirdParty.ExternalThirdPartyInteractionDuration")} AS third_party,
            {attribute(customer_key) if customer_key else endpoint} AS customer,
            {attribute(reason_key)} AS reason_value,
            {attribute(outcome_key)} AS outcome_value
        FROM parsed
        )
        SELECT *, {_N_EVENTS} AS k FROM fields"""


def _plain(key: str) -> bool:
    """Whether a contact-attribute key can be quoted in a JSON path (a quote or backslash in it cannot)."""
    return '"' not in key and "\\" not in key


def _quoted(key: str) -> str:
    return f'"{key}"'


def _attribute_keys(engine: Engine, used: list[str], t: _Tables) -> list[str]:
    """The contact-attribute keys of the kept records (those in the order), in the order the Python reader
    meets them: by (contact's first record, leg, place in the record). Records share a few lists of keys,
    so each list is placed first (its earliest record) and only those few lists are unnested: unnesting
    every record's keys took twice as long."""
    skip = " AND key NOT IN (" + ", ".join(lit(k) for k in used) + ")" if used else ""
    rows = engine.fetchall(
        f"""WITH lists AS (
            SELECT akeys, min({pair_key("o.first", "o.leg")}) AS placed
            FROM (SELECT n, json_keys(attrs) AS akeys FROM ({t.legs})) JOIN {t.order} o USING (n)
            GROUP BY akeys
        ), keyed AS (
            SELECT unnest(akeys) AS key, generate_subscripts(akeys, 1) AS pos, placed FROM lists
        )
        SELECT key FROM keyed WHERE true{skip} GROUP BY key ORDER BY min((placed, pos))"""
    )
    return [r[0] for r in rows]


def _order_sql(t: _Tables) -> str:
    """Each kept record's place: (its contact's first record, its leg index, whether a later leg the
    customer moved to follows), the legs of a contact joined by ``InitialContactId`` or the
    ``PreviousContactId`` chain; in a contact of several legs, a side leg's kind (``leg_type``,
    ``amazon_connect._side``) and a main leg's next main leg's start (``next_start``, as parsed and as
    given), which dates this leg's later events."""
    # the walk starts one step in, from the legs that name a previous one (a leg naming none is its own
    # root). Most contacts have one leg, whose root is its own id: only the roots that a leg other than
    # the root names are counted and numbered (one window), not every root (grouping a million ids took
    # most of this statement); a leg is followed when a later main leg is
    ts = "TRY_CAST({} AS TIMESTAMPTZ)".format
    side = f"""CASE WHEN p.cid IS NULL OR s.legs < 2 THEN NULL
            WHEN s.method = {lit(EXTERNAL)} THEN CASE WHEN {ts("p.acw_start")} > {ts("s.ended")} THEN
                CASE WHEN coalesce(p.hold, 0) - coalesce(s.third_party, 0) > {CONSULT_TALK_S}
                    THEN {lit(CONSULT)} ELSE {lit(CONFERENCE)} END END
            WHEN s.connected IS NULL AND s.acw_start IS NULL THEN
                CASE WHEN {ts("p.acw_start")} > {ts("s.ended")} THEN {lit(CONSULT)} END
            WHEN {ts("p.acw_start")} > {ts("s.acw_start")} THEN
                CASE WHEN coalesce(s.work, 0) <= {CONSULT_TALK_S}
                    THEN {lit(CONSULT)} ELSE {lit(CONFERENCE)} END
        END"""
    return f"""WITH RECURSIVE kept AS NOT MATERIALIZED (
            SELECT n, cid, initial, prev, initiated, started, k, method, ended, connected, acw_start, work,
                hold, third_party
            FROM ({t.legs}) ANTI JOIN {t.older} USING (n)
        ), prevmap AS (
            SELECT cid, prev FROM kept WHERE cid IS NOT NULL
        ), walk(cid, cur, path) AS (
            SELECT cid, prev, [cid, prev] FROM kept
            WHERE cid IS NOT NULL AND initial IS NULL AND prev IS NOT NULL AND prev <> cid
            UNION ALL
            SELECT w.cid, p.prev, list_append(w.path, p.prev)
            FROM walk w JOIN prevmap p ON p.cid = w.cur
            WHERE p.prev IS NOT NULL AND NOT list_contains(w.path, p.prev)
        ), roots AS (
            SELECT cid, arg_max(cur, len(path)) AS root FROM walk GROUP BY cid
        ), placed AS (
            SELECT l.*, coalesce(l.initial, r.root, l.cid) AS root,
                l.cid IS NOT NULL AND l.initiated IS NOT NULL AS leg
            FROM kept l LEFT JOIN roots r ON r.cid = l.cid
        ), shared AS (
            -- a kept id is one leg's: two legs of one root cannot both be named by it
            SELECT DISTINCT root FROM placed WHERE leg AND root <> cid
        ), sized AS (
            SELECT root, min(n) AS first, count(*) AS legs FROM placed SEMI JOIN shared USING (root)
            WHERE leg GROUP BY root
        ), multi AS (
            SELECT * FROM placed JOIN sized USING (root) WHERE leg
        ), sided AS (
            -- a leg's previous leg is one of its contact's: only the legs of contacts of several legs
            -- are joined (a hash table of every record's id cost a tenth of the read at 1M records)
            SELECT s.*, {side} AS {LEG_TYPE}
            FROM multi s LEFT JOIN (SELECT cid, acw_start, hold FROM multi) p ON p.cid = s.prev
        ), legs AS (
            SELECT n, root, n AS first, 0 AS leg, false AS followed, k, NULL::VARCHAR AS {LEG_TYPE},
                NULL::TIMESTAMPTZ AS next_start, NULL::VARCHAR AS next_started
            FROM placed ANTI JOIN shared USING (root) WHERE leg
            UNION ALL
            SELECT n, root, first, row_number() OVER (PARTITION BY root ORDER BY initiated, n) - 1,
                next_start IS NOT NULL, k, {LEG_TYPE}, next_start, next_started
            FROM (
                SELECT *, CASE WHEN {LEG_TYPE} IS NULL THEN lead(initiated) OVER main END AS next_start,
                    CASE WHEN {LEG_TYPE} IS NULL THEN lead(started) OVER main END AS next_started
                FROM sided WINDOW main AS (PARTITION BY root, {LEG_TYPE} IS NULL ORDER BY initiated, n)
            )
        )
        SELECT * FROM legs
        UNION ALL SELECT n, root, n, 0, false, k, NULL, NULL, NULL FROM placed WHERE NOT leg"""


_VALID = "cid IS NOT NULL AND started IS NOT NULL AND initiated IS NOT NULL"
#: The events a leg gives (``_events_sql`` lists them): the start, then per field present one more.
_N_EVENTS = (
    f"1 + CASE WHEN {_VALID} THEN (enqueued IS NOT NULL)::INT + (connected IS NOT NULL)::INT "
    "+ (connected IS NOT NULL AND coalesce(hold, 0) <> 0)::INT + (ended IS NOT NULL)::INT "
    "+ (acw_start IS NOT NULL)::INT ELSE 0 END"
)


def _number_legs(engine: Engine, t: _Tables) -> None:
    """``t.base``: per kept leg, the events before it in (its contact's first record, leg) order: the prefix
    sum that numbers the events as the Python reader does. One sort of the legs, in NumPy: a window over
    the whole table runs on one thread and took seconds at a million legs. Its rows are the order's, row
    for row, to be read beside them (``POSITIONAL JOIN``, not a join on the record number)."""
    legs = engine.numpy(f"SELECT first, leg, k FROM {t.order}")  # none is NULL
    first, leg, k = legs["first"], legs["leg"], legs["k"]
    order = np.lexsort((leg, first))
    before = np.empty(len(k), dtype=np.int64)
    before[order] = np.cumsum(k[order]) - k[order]
    # from the array's buffer: pa.array and pa.table on NumPy values import pandas (a third of a second)
    column = pa.Array.from_buffers(pa.int64(), len(before), [None, pa.py_buffer(before)])
    engine.copy_in(t.name("base"), pa.Table.from_arrays([column], names=["b"]))


#: Per leg, the columns its events carry (``amazon_connect._events``), before cleaning: (column, SQL,
#: whether it is a canonical column, trimmed, or an attribute kept as it is). NULL where no event has it.
_CARRIED = (
    (S.CONTACT_ID, f"CASE WHEN {_VALID} THEN root ELSE cid END", True),
    (S.CUSTOMER_ID, f"CASE WHEN {_VALID} THEN customer END", True),
    (S.REASON, f"CASE WHEN {_VALID} THEN reason_value END", True),
    (S.QUEUE, f"CASE WHEN {_VALID} AND {LEG_TYPE} IS NULL THEN queue_name END", True),  # a side leg: none
    (S.ACTOR, f"CASE WHEN {_VALID} AND (connected IS NOT NULL OR acw_start IS NOT NULL) THEN username END",
     True),
    (S.TEAM, f"CASE WHEN {_VALID} AND (connected IS NOT NULL OR acw_start IS NOT NULL) THEN team END", True),
    ("ContactId", "cid", False),
    ("InitiationMethod", "CASE WHEN method = '' THEN NULL ELSE method END", False),
    ("DisconnectReason", "disconnect_reason", False),
)  # fmt: skip


def _activity_sql() -> str:
    """SQL: a leg's first event's activity from its ``method`` and ``chan`` (``amazon_connect.INITIATED``)."""
    method_activity = " ".join(
        f"WHEN method = {lit(code)} THEN {lit(text)}" for code, text in INITIATED.items() if "{" not in text
    )
    nouns = " ".join(f"WHEN {lit(c)} THEN {lit(n)}" for c, n in NOUNS.items())
    noun = f"CASE chan {nouns} ELSE 'contact' END"
    nouned = " ".join(
        f"WHEN method = {lit(code)} THEN {lit(text.split('{')[0])} || {noun}"
        for code, text in INITIATED.items()
        if "{" in text
    )
    return (
        f"CASE {nouned} {method_activity} WHEN method = '' THEN 'Contact initiated' "
        "ELSE upper(replace(method, '_', ' ')[1]) || lower(replace(method, '_', ' ')[2:]) END"
    )


def _channel_sql() -> str:
    return (
        "CASE chan "
        + " ".join(f"WHEN {lit(c)} THEN {lit(v)}" for c, v in CHANNELS.items())
        + " WHEN '' THEN NULL ELSE lower(chan) END"
    )


#: A leg's outcome when its ``Attributes`` name none and it ended: transferred on, or left in the queue; a
#: side leg's none.
_ABANDONED = (
    f"CASE WHEN {LEG_TYPE} IS NOT NULL THEN NULL "
    "WHEN followed OR transfer_done IS NOT NULL THEN 'transferred' "
    "WHEN enqueued IS NOT NULL AND connected IS NULL THEN 'abandoned' END"
)


def _carried(keys: list[str]) -> list[tuple[str, str, bool]]:
    """Every column a leg's events carry (:data:`_CARRIED`, then the channel, the first event's activity,
    the outcome and the attributes ``keys``), as :data:`_CARRIED` lists them."""
    return [
        *_CARRIED,
        (S.CHANNEL, f"CASE WHEN {_VALID} THEN {_channel_sql()} END", True),
        (S.ACTIVITY, _activity_sql(), True),  # the first event's; the others' are fixed words
        (S.OUTCOME, f"CASE WHEN {_VALID} AND ended IS NOT NULL THEN coalesce(outcome_value, {_ABANDONED}) "
                    "END", True),
        *((f"Attributes.{k}", _nz(f"av[{i + 1}]"), False) for i, k in enumerate(keys)),
    ]  # fmt: skip


class _Cleaning(NamedTuple):
    """Per carried column, its SQL names before cleaning (``raw``), its blank-or-marker flag (``flag``) and
    its cleaned value (``clean``), and the SQL that computes the flags (``tests``, over ``raw``) and the
    cleaned values (``cleaned``, over the flags) as ``io.missing`` cleans them."""

    raw: dict[str, str]
    flag: dict[str, str]
    clean: dict[str, str]
    tests: str
    cleaned: str


def _cleaning(carried: list[tuple[str, str, bool]], mapping: Mapping) -> _Cleaning:
    c = {name: ident(f"__cx_c_{i}") for i, (name, _, _) in enumerate(carried)}  # cleaned, per leg
    f = {name: ident(f"__cx_f_{i}") for i, (name, _, _) in enumerate(carried)}  # blank or a marker
    raw = {name: ident(f"__cx_o_{i}") for i, (name, _, _) in enumerate(carried)}
    keep = {name: missing.kept_words(mapping, name) if trim else frozenset() for name, _, trim in carried}
    tests = ", ".join(f"{missing.test_sql(raw[n], mapping, keep[n])} AS {f[n]}" for n in raw)
    cleaned = ", ".join(
        f"CASE WHEN {f[n]} THEN NULL ELSE {missing.trim_sql(raw[n]) if trim else raw[n]} END AS {c[n]}"
        for n, _, trim in carried
    )
    return _Cleaning(raw, f, c, tests, cleaned)


#: The activities of a leg's events after its first (``_events_sql``), which no cleaning touches.
_FIXED_ACTIVITIES = (QUEUED, CONNECTED, HOLD, DISCONNECTED, ACW)


def _values_sql(mapping: Mapping, t: _Tables, view: str) -> str:
    """Rows with ``view``'s columns that hold every value its text columns of few values (the canonical
    step's categories) take, one value a row, every other column NULL: those columns are computed per leg
    and cleaned once per value, so their distinct values come from the million legs, not the four million
    events (``canonical.source_categories`` learns the categories from them instead of reading the view
    again). A value it lists may be on no event (an outcome of ``abandoned`` when no leg is): the type then
    holds one value more, which changes no query."""
    names = (S.CHANNEL, S.ACTIVITY, S.OUTCOME, S.REASON, S.QUEUE, S.ACTOR, S.TEAM)
    outcome = f"CASE WHEN {_VALID} AND ended IS NOT NULL THEN outcome_value END"  # with the words below
    carried = [(n, outcome if n == S.OUTCOME else sql, trim) for n, sql, trim in _carried([]) if n in names]
    cl = _cleaning(carried, mapping)
    outs = ", ".join(f"{sql} AS {cl.raw[n]}" for n, sql, _ in carried)
    sets = ", ".join(f"({cl.raw[n]})" for n in cl.raw)
    # the outcome words are cleaned as a leg's outcome is (a mapping may call one missing); the other
    # events' activities and the actor types are not cleaned by the view either
    outcomes = " UNION ALL ".join(
        f"SELECT {lit(w)} AS {cl.raw[S.OUTCOME]}" for w in ("transferred", "abandoned")
    )
    fixed = [(S.ACTIVITY, w) for w in _FIXED_ACTIVITIES] + [(S.ACTOR_TYPE, w) for w in ("agent", "system")]
    words = " ".join(f"UNION ALL BY NAME SELECT {lit(w)} AS {ident(n)}" for n, w in fixed)
    shown = ", ".join(f"{cl.clean[n]} AS {ident(n)}" for n in cl.raw)
    # a side leg's queue is on none of its events: those few legs' kinds are joined in
    sides = f"SELECT n, {LEG_TYPE} FROM {t.order} WHERE {LEG_TYPE} IS NOT NULL"
    return f"""WITH carried AS (
            SELECT {outs} FROM ({t.legs}) LEFT JOIN ({sides}) USING (n)
        ), found AS (
            SELECT * FROM carried GROUP BY GROUPING SETS ({sets})
            UNION ALL BY NAME ({outcomes})
        ), flagged AS (
            SELECT *, {cl.tests} FROM found
        ), legs AS (
            SELECT {cl.cleaned} FROM flagged
        )
        SELECT * FROM {ident(view)} WHERE false
        UNION ALL BY NAME SELECT {shown} FROM legs {words}"""


def _events_sql(keys: list[str], mapping: Mapping, t: _Tables) -> str:
    # every attribute of a leg read by one extraction of its attributes, per leg (before its events are
    # unnested)
    values = (
        "json_extract_string(l.attrs, [" + ", ".join(lit(f"$.{_quoted(k)}") for k in keys) + "])"
        if keys
        else "CAST(NULL AS VARCHAR[])"
    )
    carried = _carried(keys)
    cl = _cleaning(carried, mapping)
    c, f, raw = cl.clean, cl.flag, cl.raw
    shown = missing.NOT_BLANK
    met = ", ".join(f"CASE WHEN {f[n]} AND regexp_matches({raw[n]}, {shown}) THEN {lit(n)} END" for n in raw)
    flagged = " OR ".join(f[n] for n in raw)
    outs = ", ".join(f"{sql} AS {raw[n]}" for n, sql, _ in carried)
    attributes = "".join(f", {c[f'Attributes.{k}']} AS {ident('Attributes.' + k)}" for k in keys)
    agent = "kind >= 2 AND kind <> 4"  # connected, on hold, after-contact work
    # each leg's carried columns are cleaned once (io.missing) and its markers listed (only on a leg with a
    # flag: a list per leg cost as much as the tests) on its first event only, so they count once per
    # record. A leg's events are the kinds of its mask (``_KINDS``), unnested in the order the Python
    # reader gives them, each event's columns picked by its kind (a list of six structs per leg, filtered
    # after unnesting, took 0.2 s more at 1M records). ROW numbers the events in the Python reader's order
    # without sorting them: a leg's events follow the events of every leg before it in (its contact's
    # first record, leg) order, in their listed order. (A record that cannot give events gives its single
    # rejected row: its mask is 0.)
    return f"""WITH joined AS (
            SELECT l.*, o.first, o.leg, o.followed, o.root, o.b, o.{LEG_TYPE}, o.next_start, o.next_started,
                {values} AS av
            FROM ({t.legs}) l JOIN (SELECT * FROM {t.order} POSITIONAL JOIN {t.base}) o USING (n)
        ), carried AS (
            SELECT n, b, started, enqueued, connected, ended, acw_start, work, hold, acw, {_VALID} AS valid,
                {LEG_TYPE}, next_started, {_MOVED} AS moved_mask, {outs}
            FROM joined
        ), flagged AS (
            SELECT *, {cl.tests} FROM carried
        ), legs AS (
            SELECT *, {cl.cleaned}, CAST(n AS VARCHAR) AS record,
                CASE WHEN {flagged} THEN NULLIF(list_filter([{met}], lambda x: x IS NOT NULL), []) END AS met,
                {_KINDS}[1 + {_MASK}] AS kinds
            FROM flagged
        ), events AS (
            SELECT *, unnest(kinds) AS kind, generate_subscripts(kinds, 1) AS i FROM legs
        ), dated AS (
            SELECT *, CASE kind WHEN 0 THEN started WHEN 1 THEN enqueued WHEN 4 THEN ended
                WHEN 5 THEN acw_start ELSE connected END AS recorded,
                moved_mask IS NOT NULL AND (moved_mask >> kind) & 1 = 1 AS moved
            FROM events
        )
        SELECT {c[S.CONTACT_ID]} AS {S.CONTACT_ID}, {c[S.CUSTOMER_ID]} AS {S.CUSTOMER_ID},
            {c[S.CHANNEL]} AS {S.CHANNEL}, {c[S.REASON]} AS {S.REASON},
            CASE WHEN moved THEN next_started ELSE recorded END AS {S.TIMESTAMP},
            CASE kind WHEN 0 THEN {c[S.ACTIVITY]} WHEN 1 THEN {lit(QUEUED)} WHEN 2 THEN {lit(CONNECTED)}
                WHEN 3 THEN {lit(HOLD)} WHEN 4 THEN {lit(DISCONNECTED)} ELSE {lit(ACW)} END AS {S.ACTIVITY},
            {c[S.QUEUE]} AS {S.QUEUE}, CASE WHEN {agent} THEN {c[S.ACTOR]} END AS {S.ACTOR},
            CASE WHEN {agent} THEN 'agent' WHEN valid THEN 'system' END AS {S.ACTOR_TYPE},
            CASE WHEN {agent} THEN {c[S.TEAM]} END AS {S.TEAM},
            CASE kind WHEN 2 THEN work WHEN 3 THEN hold WHEN 5 THEN acw END AS {S.DURATION_S},
            CASE WHEN kind = 4 THEN {c[S.OUTCOME]} END AS {S.OUTCOME}, {c["ContactId"]} AS ContactId,
            {c["InitiationMethod"]} AS InitiationMethod, {c["DisconnectReason"]} AS DisconnectReason,
            record AS ctr_record, {LEG_TYPE}, CASE WHEN moved THEN recorded END AS {RECORDED}{attributes},
            b + i AS {ROW}, CASE WHEN i = 1 THEN met END AS {MARKED}
        FROM dated"""


#: Which of a leg's events are dated after the next leg the caller moved to began (``next_start``), as
#: bits by event kind (0 the start ... 5 after-contact work, as ``_KINDS``); NULL for a leg no other
#: follows. Per leg, not per event: the events then carry one integer instead of the next leg's times.
_MOVED = (
    "CASE WHEN next_start IS NOT NULL THEN "
    + " + ".join(
        f"{1 << k} * coalesce(TRY_CAST({col} AS TIMESTAMPTZ) > next_start, false)::INT"
        for k, col in enumerate(("started", "enqueued", "connected", "connected", "ended", "acw_start"))
    )
    + " END"
)
#: A leg's events after its start, as bits of one number: queued, connected, on hold, disconnected,
#: after-contact work (the conditions of :data:`_N_EVENTS`, which counts them); ``_KINDS[1 + mask]``
#: lists the events it gives (0: the start, then each bit's, 1 to 5), in their order.
_MASK = (
    "CASE WHEN valid THEN (enqueued IS NOT NULL)::INT + 2 * (connected IS NOT NULL)::INT "
    "+ 4 * (connected IS NOT NULL AND coalesce(hold, 0) <> 0)::INT + 8 * (ended IS NOT NULL)::INT "
    "+ 16 * (acw_start IS NOT NULL)::INT ELSE 0 END"
)
_KINDS = (
    "["
    + ", ".join(
        f"[{', '.join(['0', *(str(j) for j in range(1, 6) if m >> (j - 1) & 1)])}]" for m in range(32)
    )
    + "]"
)
