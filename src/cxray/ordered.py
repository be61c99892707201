"""The ordered events of every contact, computed once and shared by journeys, the flow map and the finder.

Ordering 10M events by contact is the most expensive thing cxray does, and journeys, discovery and
breakdown detectors all need the same order, the next event and the handoff legs. So one pass of
window functions (one sort; the running leg number in a narrow second pass) materialises
:data:`ORDERED_TABLE`; later calls reuse it for as long as the ``events`` table is the same table
(same catalog oid and row count) and rebuild it when it was replaced.

Order within a contact is ``(timestamp, source_row)`` as the data contract says (``activity`` only
makes a broken contract deterministic too): ties keep the source order, which is what pm4py does, so
DFG and variant counts agree with it on logs with equal timestamps.

At 10M events the ordered table and ``events`` are the two largest tables of a run, and the ordered
one copies most of the other. :func:`fold_events` lets a run keep one copy: the ordered table then also
carries the rest of the event columns, and ``events`` becomes a view over it (read-only: whoever writes
to ``events`` after that calls :func:`unfold_events` first, which makes it a table again).

This module sits at the bottom of the layers (beside ``engine`` and ``schema``) so that ``journeys``,
``process`` and ``findings`` share the sort without importing one another.
"""

from __future__ import annotations

import weakref
from typing import Final, Literal

from . import schema as S
from .costs import effective_actor_type_sql
from .engine import Engine
from .sql import ident

ORDERED_TABLE: Final = "_cxray_ordered_events"

# Columns of the ordered table besides the event's own (see :func:`ordered_events`).
NEXT_ACTIVITY: Final = "next_activity"  # activity of the next event of the contact; NULL on the last
IS_LAST: Final = "is_last"  # the contact's last event

# What each engine's ordered table was built from: events (oid, row count; FOLDED when ``events`` is a
# view over it) and the route column.
_BUILT_FROM: weakref.WeakKeyDictionary[Engine, tuple[int, int, str | None]] = weakref.WeakKeyDictionary()
_FOLDED: Final = (-1, -1)
_TRIMMED: Final = (-2, -2)  # a view over what release_ordered_events left of the table
# Engines whose next ordered table may take the events' place (see fold_events).
_FOLDING: weakref.WeakSet[Engine] = weakref.WeakSet()
# Columns the ordered table has under these names; the event columns it copies (timestamp as ts).
_OWN: Final = (
    "ts",
    "route",
    "eff_actor",
    "seq",
    "next_ts",
    NEXT_ACTIVITY,
    IS_LAST,
    "leg_key",
    "leg_no",
    "new_leg",
    "new_route",
    "new_handler",
)
_ORDERED_ONLY: Final = [c for c in _OWN if c not in ("ts", "new_leg")]
_COPIED: Final = (
    S.CONTACT_ID,
    S.TIMESTAMP,
    S.ACTIVITY,
    S.CUSTOMER_ID,
    S.REASON,
    S.CHANNEL,
    S.QUEUE,
    S.TEAM,
    S.OUTCOME,
    S.DURATION_S,
)


def _fingerprint(engine: Engine) -> tuple[int, int] | None:
    """The events table's catalog oid (new when it is replaced) and live row count (changes on
    INSERT/DELETE; ``estimated_size`` does not see deletes). An UPDATE in place is not seen: readers
    write ``events`` once, and whoever changes it in place calls :func:`release_ordered_events`."""
    rows = engine.fetchall(
        "SELECT table_oid FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [S.EVENTS_TABLE]
    )
    if len(rows) != 1:
        return None
    count = engine.fetchall(f"SELECT count(*) FROM {ident(S.EVENTS_TABLE)}")[0][0]
    return int(rows[0][0]), int(count)


def _ordered_sql(route: str, carried: list[str]) -> list[str]:
    """The statements that build the table. ``carried``: the other event columns the table also holds
    (when it takes the events' place).

    One sort serves every window of the first statement. The running leg count needs a second window
    pass over what the first computed: over the narrow (contact, seq, new_leg) alone, written back into
    the wide table by row id, it costs a tenth of a second pass over every column (at 10M events: 0.9 s
    and an UPDATE of 0.9 s, where re-sorting the wide rows took 4-5 s and spilled). The count is an
    INTEGER: sum() gives a HUGEINT (16 bytes a row, and every leg table keyed on it after).
    """
    c, a, t = ident(S.CONTACT_ID), ident(S.ACTIVITY), ident(S.TIMESTAMP)
    more = "".join(f", {ident(x)}" for x in carried)
    w = f"PARTITION BY {c} ORDER BY {t}, {ident(S.SOURCE_ROW)}, {a}"
    key = f"coalesce({route}, eff_actor)"
    legs = "_cxray_ordered_legs"
    return [
        f"""
        CREATE OR REPLACE TEMP TABLE {ORDERED_TABLE} AS
        SELECT {c}, {t} AS ts, {a}, {S.CUSTOMER_ID}, {S.REASON}, {S.CHANNEL}, {S.QUEUE}, {S.TEAM},
               {S.OUTCOME}, {S.DURATION_S}, {route} AS route, eff_actor{more},
               row_number() OVER w AS seq,
               lead({t}) OVER w AS next_ts,
               lead({a}) OVER w AS {NEXT_ACTIVITY},
               NOT lead(true, 1, false) OVER w AS {IS_LAST},
               last_value({key} IGNORE NULLS) OVER (w ROWS UNBOUNDED PRECEDING) AS leg_key,
               CASE WHEN {key} IS NOT NULL
                         AND {key} IS DISTINCT FROM lag({key} IGNORE NULLS) OVER w
                    THEN 1 ELSE 0 END AS new_leg,
               CAST(NULL AS INTEGER) AS leg_no,
               {route} IS NOT NULL AND {route} IS DISTINCT FROM lag({route} IGNORE NULLS) OVER w AS new_route,
               (eff_actor IS DISTINCT FROM lag(eff_actor) OVER w
                OR {S.TEAM} IS DISTINCT FROM lag({S.TEAM}) OVER w) AS new_handler
        FROM (SELECT *, {effective_actor_type_sql()} AS eff_actor FROM {ident(S.EVENTS_TABLE)})
        WINDOW w AS ({w})
        """,
        f"""
        CREATE OR REPLACE TEMP TABLE {legs} AS
        SELECT rowid AS r,
               CAST(sum(new_leg) OVER (PARTITION BY {c} ORDER BY seq ROWS UNBOUNDED PRECEDING) AS INTEGER)
                   AS leg_no
        FROM {ORDERED_TABLE}
        """,
        f"UPDATE {ORDERED_TABLE} SET leg_no = l.leg_no FROM {legs} l WHERE {ORDERED_TABLE}.rowid = l.r",
        f"DROP TABLE {legs}",
        f"ALTER TABLE {ORDERED_TABLE} DROP COLUMN new_leg",
    ]


def ordered_events(engine: Engine, *, route: str | Literal["auto"] | None = "auto") -> str:
    """The name of the ordered events table of ``engine``, built now unless still current.

    ``route`` is the column handoffs are keyed on (queue or team; None: none); ``"auto"`` picks queue,
    else team, from the data (:func:`cxray.schema.route_column`), as ``journeys.route_column`` does
    (which passes the whole log's choice when ``events`` holds one partition).

    One row per event: ``contact_id, seq`` (1-based order in the contact), ``ts, next_ts`` (the
    contact's next event), ``activity, next_activity, is_last``, ``customer_id, reason, channel, queue,
    team, outcome, duration_s``, ``eff_actor`` (actor type, the channel standing in: see
    ``costs.effective_actor_type_sql``), ``route`` (queue, else team when the log has no queue),
    ``leg_key`` (route, else actor type, carried forward over NULLs) and ``leg_no`` (1-based handoff
    leg: it grows where the key changes; 0 before the first key), ``new_route`` (the event has a route
    other than the contact's route before it: the start of a visit to a queue or team), ``new_handler``
    (its actor type or team is not the previous event's in the contact, NULL counting as a value: the
    events where a journey's path of parties can change). After
    :func:`fold_events`, also every other event column (``events`` reads them from it).
    """
    if route == "auto":
        # EXISTS stops at the first value: asked on every call, a count of each column over 10M events
        # took 0.8 s in all
        table = ident(S.EVENTS_TABLE)
        has = engine.fetchall(
            f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {S.QUEUE} IS NOT NULL), "
            f"EXISTS (SELECT 1 FROM {table} WHERE {S.TEAM} IS NOT NULL)"
        )[0]
        route = S.route_column(has_queue=has[0], has_team=has[1])
    built, folded = _BUILT_FROM.get(engine), _folded(engine)
    if folded == _FOLDED and built is not None and built[2] == route and engine.has_table(ORDERED_TABLE):
        return ORDERED_TABLE
    if folded is not None:  # trimmed, or another route: build again from the events, a table again
        unfold_events(engine)
    events = _fingerprint(engine)
    key = None if events is None else (*events, route)
    if key is not None and _BUILT_FROM.get(engine) == key and engine.has_table(ORDERED_TABLE):
        return ORDERED_TABLE
    columns = engine.columns(S.EVENTS_TABLE)
    carried = [x for x in columns if x.lower() not in _COPIED]
    fold = (
        events is not None
        and engine in _FOLDING
        and not {x.lower() for x in carried} & set(_OWN)  # an event column named like one of its own
    )
    for sql in _ordered_sql(ident(route) if route else "CAST(NULL AS VARCHAR)", carried if fold else []):
        engine.execute(sql)
    if fold:
        view = ", ".join(f"ts AS {ident(x)}" if x == S.TIMESTAMP else ident(x) for x in columns)
        engine.execute(f"DROP TABLE {ident(S.EVENTS_TABLE)}")
        engine.execute(f"CREATE VIEW {ident(S.EVENTS_TABLE)} AS SELECT {view} FROM {ORDERED_TABLE}")
        _BUILT_FROM[engine] = (*_FOLDED, route)
    elif key is not None:
        _BUILT_FROM[engine] = key
    return ORDERED_TABLE


def fold_events(engine: Engine) -> None:
    """Let the next ordered table of ``engine`` hold the only copy of the events.

    It then carries every event column, and ``events`` becomes a view over it (same columns, same rows,
    not in source order): at 10M events one table of about 2 GB less. ``diagnose`` asks for it; a log
    with an attribute named like one of the ordered table's own columns (``seq``, ``route``...) keeps
    two tables.
    """
    _FOLDING.add(engine)


def folded_columns(engine: Engine) -> list[str] | None:
    """The columns of ``events`` when it is a view over the whole ordered table (:func:`fold_events`),
    else None."""
    return engine.columns(S.EVENTS_TABLE) if _folded(engine) == _FOLDED else None


def adopt_ordered_events(
    engine: Engine, source: str, columns: list[str], route: str | None, *, types: dict[str, str] | None = None
) -> None:
    """Make ``source`` the ordered table of ``engine`` and ``events`` (its ``columns``) a view over it, as
    :func:`fold_events` leaves them, without sorting again.

    ``source`` holds rows of folded ordered tables built elsewhere with ``route`` (Spark's partitions:
    every contact lies in one, so each contact's rows are exactly what one table over all events gives).
    A later call for another route unfolds and builds again, as for a table built here. ``types``: column
    -> SQL type to cast to as the rows are copied (the ENUMs a read stores text in: an Arrow hand-over
    brings text back)."""
    forget_events(engine)
    engine.execute(f"DROP TABLE IF EXISTS {ident(S.EVENTS_TABLE)}")
    present = {c.lower() for c in engine.columns(source)}
    casts = ", ".join(
        f"CAST({ident(c)} AS {t}) AS {ident(c)}" for c, t in (types or {}).items() if c.lower() in present
    )
    replace = f" REPLACE ({casts})" if casts else ""
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {ORDERED_TABLE} AS SELECT *{replace} FROM {source}")
    view = ", ".join(f"ts AS {ident(x)}" if x == S.TIMESTAMP else ident(x) for x in columns)
    engine.execute(f"CREATE VIEW {ident(S.EVENTS_TABLE)} AS SELECT {view} FROM {ORDERED_TABLE}")
    _FOLDING.add(engine)
    _BUILT_FROM[engine] = (*_FOLDED, route)


def unfold_events(engine: Engine) -> None:
    """``events`` a table again when it is a view over the ordered table (its rows copied out; the
    ordered table dropped): call it before writing to ``events``. Nothing to do otherwise."""
    if _folded(engine) is None:
        return
    staged = "_cxray_events_unfolded"
    engine.execute(f"CREATE OR REPLACE TABLE {staged} AS SELECT * FROM {ident(S.EVENTS_TABLE)}")
    engine.execute(f"DROP VIEW {ident(S.EVENTS_TABLE)}")
    engine.execute(f"ALTER TABLE {staged} RENAME TO {ident(S.EVENTS_TABLE)}")
    engine.execute(f"DROP TABLE IF EXISTS {ORDERED_TABLE}")
    _BUILT_FROM.pop(engine, None)


def forget_events(engine: Engine) -> None:
    """Before a new log is read into ``engine``: drop ``events`` when it is a view over the ordered table
    (readers create ``events`` as a table), and the ordered table."""
    if _folded(engine) is not None:
        engine.execute(f"DROP VIEW {ident(S.EVENTS_TABLE)}")
    engine.execute(f"DROP TABLE IF EXISTS {ORDERED_TABLE}")
    _BUILT_FROM.pop(engine, None)


def release_ordered_events(engine: Engine) -> None:
    """Drop the shared ordered table (its memory goes back; the next user rebuilds it).

    When ``events`` is a view over it (:func:`fold_events`), only the ordered table's own columns go:
    ``events`` still reads the rest.
    """
    folded = _folded(engine)
    if folded == _FOLDED:
        for column in _ORDERED_ONLY:
            engine.execute(f"ALTER TABLE {ORDERED_TABLE} DROP COLUMN {column}")
        _BUILT_FROM[engine] = (*_TRIMMED, None)
    elif folded is None:
        engine.execute(f"DROP TABLE IF EXISTS {ORDERED_TABLE}")
        _BUILT_FROM.pop(engine, None)


def _folded(engine: Engine) -> tuple[int, int] | None:
    """:data:`_FOLDED` or :data:`_TRIMMED` while ``events`` is this module's view, else None."""
    built = _BUILT_FROM.get(engine)
    if built is None or built[:2] not in (_FOLDED, _TRIMMED):
        return None
    views = "SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT internal"
    return built[:2] if engine.scalar(views, [S.EVENTS_TABLE]) else None


__all__ = [
    "IS_LAST",
    "NEXT_ACTIVITY",
    "ORDERED_TABLE",
    "adopt_ordered_events",
    "fold_events",
    "folded_columns",
    "forget_events",
    "ordered_events",
    "release_ordered_events",
    "unfold_events",
]
