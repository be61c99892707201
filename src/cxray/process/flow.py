"""The flow map: how work actually moves between steps (directly-follows graph, start/end, variants).

This is process discovery as the field defines it, so the counts are checked against pm4py on real
logs (``tests/process``): the DFG, its mean and median times and the variant counts must agree exactly.
Everything is aggregated in SQL; Python only shapes the small results into the JSON document.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from typing_extensions import TypedDict

from .. import schema as S
from ..engine import Engine
from ..errors import ConfigError
from ..ordered import IS_LAST, NEXT_ACTIVITY
from ..sql import ident
from .rework import ActivityRow, LoopRow, activity_stats, self_loops
from .steps import GAP_S, GAP_US, POS, ordered_steps

_C, _A, _T = ident(S.CONTACT_ID), ident(S.ACTIVITY), ident(S.TIMESTAMP)
_VARIANTS: Final = "_cx_flow_variants"

#: One edge of the directly-follows graph, with the seconds between its two events.
Edge = TypedDict(
    "Edge", {"from": str, "to": str, "count": int, "mean_s": float | None, "median_s": float | None}
)


class Variant(TypedDict):
    activities: list[str]
    count: int
    share: float
    mean_duration_s: float | None


class FlowMap(TypedDict):
    """What :func:`flow_map` discovers (see its docstring for each key)."""

    n_events: int
    n_contacts: int
    activities: list[ActivityRow]
    start: dict[str, int]
    end: dict[str, int]
    dfg: list[Edge]
    variants: list[Variant]
    n_variants: int
    loops: list[LoopRow]
    self_loops: list[ActivityRow]
    rework_contacts: int


class FlowSlice(TypedDict):
    """The flow map of one value of a dimension (``cxray.process.slices.flow_by``)."""

    n_contacts: int
    n_edges: int
    dfg: list[Edge]
    start: dict[str, int]
    end: dict[str, int]


class FlowDoc(FlowMap):
    """``flow`` in ``diagnosis.json``: the flow map, and per dimension and value its slice."""

    by: dict[str, dict[str, FlowSlice]]


def flow_map(engine: Engine, *, top_variants: int = 50) -> FlowMap:
    """Discover the flow of the canonical ``events`` table.

    Parameters
    ----------
    engine:
        An engine holding the ``events`` table (contact_id, activity and timestamp non-null).
    top_variants:
        How many variants to list, most frequent first; 0 lists all. ``n_variants`` is always the total.

    Returns
    -------
    dict
        ``n_events``, ``n_contacts``;
        ``activities``: ``[{activity, count, contacts}]`` (events and contacts per activity);
        ``start`` / ``end``: ``{activity: contacts}`` of first / last activities;
        ``dfg``: ``[{from, to, count, mean_s, median_s}]``, one edge per pair of consecutive events of a
        contact, with the seconds between them;
        ``variants``: ``[{activities, count, share, mean_duration_s}]`` where a variant is the full
        activity sequence of a contact and ``count`` counts contacts; ``n_variants``;
        ``loops``, ``self_loops``: rework per activity, see :mod:`cxray.process.rework`;
        ``rework_contacts``: contacts that repeat any activity.
        Every list is sorted by its count descending, then by name, so the document is deterministic.

    >>> from cxray.engine import Engine
    >>> from cxray.testing import load_rows
    >>> e = Engine()
    >>> load_rows(e, [
    ...     {"contact_id": "c1", "timestamp": "2024-01-01T09:00:00", "activity": "Start"},
    ...     {"contact_id": "c1", "timestamp": "2024-01-01T09:05:00", "activity": "End"},
    ... ])
    >>> flow_map(e)["dfg"]
    [{'from': 'Start', 'to': 'End', 'count': 1, 'mean_s': 300.0, 'median_s': 300.0}]
    """
    if top_variants < 0:
        raise ConfigError(f"top_variants must be >= 0, got {top_variants}")
    with ordered_steps(engine) as steps, _variant_table(engine, steps) as traces:
        n_events, n_contacts = _sizes(engine, steps)
        variants, n_variants, rework_contacts = _variants(engine, traces, top_variants, n_contacts)
        activities, loops = activity_stats(engine, traces)
        return {
            "n_events": n_events,
            "n_contacts": n_contacts,
            "activities": activities,
            "start": _endpoints(engine, steps, f"{POS} = 1"),
            "end": _endpoints(engine, steps, IS_LAST),
            "dfg": _dfg(engine, steps),
            "variants": variants,
            "n_variants": n_variants,
            "loops": loops,
            "self_loops": self_loops(engine, steps),
            "rework_contacts": rework_contacts,
        }


def _sizes(engine: Engine, steps: str) -> tuple[int, int]:
    row = engine.rows(f"SELECT count(*) AS n, count(*) FILTER (WHERE {POS} = 1) AS c FROM {steps}")[0]
    return int(row["n"]), int(row["c"])


def _endpoints(engine: Engine, steps: str, where: str) -> dict[str, int]:
    rows = engine.rows(
        f"""
        SELECT {_A} AS activity, count(*) AS n FROM {steps} WHERE {where}
        GROUP BY {_A} ORDER BY n DESC, activity
        """
    )
    return {r["activity"]: r["n"] for r in rows}


def _dfg(engine: Engine, steps: str) -> list[Edge]:
    rows = engine.rows(
        f"""
        SELECT {_A} AS src, {NEXT_ACTIVITY} AS dst, count(*) AS n,
               avg({GAP_US}) / 1e6 AS mean_s, median({GAP_S}) AS median_s
        FROM {steps} WHERE NOT {IS_LAST}
        GROUP BY {_A}, {NEXT_ACTIVITY}
        ORDER BY n DESC, src, dst
        """
    )
    return [
        {"from": r["src"], "to": r["dst"], "count": r["n"], "mean_s": r["mean_s"], "median_s": r["median_s"]}
        for r in rows
    ]


@contextmanager
def _variant_table(engine: Engine, steps: str) -> Iterator[str]:
    """A temporary table of the variants: per variant its contacts ``n``, mean duration, and ``trace``,
    the activities of one of its contacts in order; dropped after the block.

    Contacts are grouped by a key of their sequence, not by the sequence itself: its length and the
    sum of ``hash(position, activity)`` over its events (a set of (position, activity) pairs is the
    sequence; two different variants share a 64-bit-hash sum with odds of about 1e-19 per pair). Only
    one contact per variant has its activity list built. Whatever is a property of the sequence (rework,
    an activity's events and contacts) is counted per variant and weighed by its contacts, not per event.
    """
    engine.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_VARIANTS} AS
        WITH traces AS (
            SELECT {_C}, count(*) AS len, sum(hash({POS}, {_A})) AS h,
                   epoch_us(max({_T})) - epoch_us(min({_T})) AS duration_us
            FROM {steps} GROUP BY {_C}
        ), v AS (
            SELECT len, h, count(*) AS n, avg(duration_us) / 1e6 AS mean_duration_s, min({_C}) AS rep
            FROM traces GROUP BY len, h
        ), named AS (
            SELECT {_C} AS rep, list({_A} ORDER BY {POS}) AS trace
            FROM {steps} WHERE {_C} IN (SELECT rep FROM v) GROUP BY {_C}
        )
        SELECT rep, n, mean_duration_s, trace FROM v JOIN named USING (rep)
        """
    )
    try:
        yield _VARIANTS
    finally:
        engine.execute(f"DROP TABLE IF EXISTS {_VARIANTS}")


def _variants(
    engine: Engine, traces: str, top_variants: int, n_contacts: int
) -> tuple[list[Variant], int, int]:
    """The top variants of ``traces`` (:func:`_variant_table`), their total number, and the contacts
    whose variant repeats an activity."""
    limit = f"LIMIT {int(top_variants)}" if top_variants else ""
    rows = engine.rows(
        f"""
        SELECT trace, n, mean_duration_s,
               count(*) OVER () AS n_variants,
               sum(n) FILTER (WHERE len(list_distinct(trace)) < len(trace)) OVER () AS rework_contacts
        FROM {traces}
        ORDER BY n DESC, trace
        {limit}
        """
    )
    variants: list[Variant] = [
        {
            "activities": list(r["trace"]),
            "count": r["n"],
            "share": r["n"] / n_contacts,
            "mean_duration_s": r["mean_duration_s"],
        }
        for r in rows
    ]
    if not rows:
        return [], 0, 0
    return variants, int(rows[0]["n_variants"]), int(rows[0]["rework_contacts"] or 0)
