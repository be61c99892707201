"""The ordered events of every contact, computed once and shared by journeys, the flow map and the finder.

Ordering 10M events by contact is the most expensive thing cxray does, and journeys, discovery and
breakdown detectors all need the same order, the next event and the handoff legs. So one pass of
window functions (one sort) materialises :data:`ORDERED_TABLE`; later calls reuse it for as long as the
``events`` table is the same table (same catalog oid and row count) and rebuild it when it was replaced.

Order within a contact is ``(timestamp, source_row)`` as the data contract says (``activity`` only
makes a broken contract deterministic too): ties keep the source order, which is what pm4py does, so
DFG and variant counts agree with it on logs with equal timestamps.

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

# What each engine's ordered table was built from: events (oid, row count) and the route column.
_BUILT_FROM: weakref.WeakKeyDictionary[Engine, tuple[int, int, str | None]] = weakref.WeakKeyDictionary()


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


def _ordered_sql(route: str) -> str:
    c, a, t = ident(S.CONTACT_ID), ident(S.ACTIVITY), ident(S.TIMESTAMP)
    w = f"PARTITION BY {c} ORDER BY {t}, {ident(S.SOURCE_ROW)}, {a}"
    key = f"coalesce({route}, eff_actor)"
    # One sort serves every window of the inner SELECT; the running leg count needs a second pass. The
    # count is an INTEGER: sum() gives a HUGEINT (16 bytes a row, and every leg table keyed on it after).
    return f"""
        CREATE OR REPLACE TEMP TABLE {ORDERED_TABLE} AS
        WITH o AS (
            SELECT {c}, {t} AS ts, {a}, {S.CUSTOMER_ID}, {S.REASON}, {S.CHANNEL}, {S.QUEUE}, {S.TEAM},
                   {S.OUTCOME}, {S.DURATION_S}, {route} AS route, eff_actor,
                   row_number() OVER w AS seq,
                   lead({t}) OVER w AS next_ts,
                   lead({a}) OVER w AS {NEXT_ACTIVITY},
                   NOT lead(true, 1, false) OVER w AS {IS_LAST},
                   last_value({key} IGNORE NULLS) OVER (w ROWS UNBOUNDED PRECEDING) AS leg_key,
                   CASE WHEN {key} IS NOT NULL
                             AND {key} IS DISTINCT FROM lag({key} IGNORE NULLS) OVER w
                        THEN 1 ELSE 0 END AS new_leg
            FROM (SELECT *, {effective_actor_type_sql()} AS eff_actor FROM {ident(S.EVENTS_TABLE)})
            WINDOW w AS ({w})
        )
        SELECT * EXCLUDE (new_leg),
               CAST(sum(new_leg) OVER (PARTITION BY {c} ORDER BY seq ROWS UNBOUNDED PRECEDING) AS INTEGER)
                   AS leg_no
        FROM o
    """


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
    leg: it grows where the key changes; 0 before the first key).
    """
    if route == "auto":
        has = engine.fetchall(
            f"SELECT count({S.QUEUE}) > 0, count({S.TEAM}) > 0 FROM {ident(S.EVENTS_TABLE)}"
        )[0]
        route = S.route_column(has_queue=has[0], has_team=has[1])
    events = _fingerprint(engine)
    key = None if events is None else (*events, route)
    if key is not None and _BUILT_FROM.get(engine) == key and engine.has_table(ORDERED_TABLE):
        return ORDERED_TABLE
    engine.execute(_ordered_sql(ident(route) if route else "CAST(NULL AS VARCHAR)"))
    if key is not None:
        _BUILT_FROM[engine] = key
    return ORDERED_TABLE


def release_ordered_events(engine: Engine) -> None:
    """Drop the shared ordered table (its memory goes back; the next user rebuilds it)."""
    engine.execute(f"DROP TABLE IF EXISTS {ORDERED_TABLE}")
    _BUILT_FROM.pop(engine, None)


__all__ = ["IS_LAST", "NEXT_ACTIVITY", "ORDERED_TABLE", "ordered_events", "release_ordered_events"]
