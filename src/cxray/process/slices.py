"""The flow map per reason, channel, team and queue: what the report's flow-map filters show.

A manager asks "how does *billing* flow?" or "what happens to work that touches the vendor?". Each
answer is the flow map of a sub-log, so each slice is defined as exactly that: the directly-follows
graph, start and end activities of the events of the contacts that belong to the value, all of their
events (a contact is never cut in pieces, or its hand-offs would vanish). Membership:

- ``reason`` and ``channel``: the contact's own value in ``contacts`` (its first reason, its entry
  channel), so each contact sits in one value;
- any other column (``team``, ``queue``...): every value the contact touched, so a contact passed from
  Tier 1 to a vendor appears under both.

All slices of all dimensions come from one pass over the ordered steps joined to the membership, in SQL;
only the top values and top edges reach Python. ``tests/process/test_slices.py`` checks each slice
against :func:`cxray.process.flow_map` run on the filtered events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

from .. import schema as S
from ..engine import Engine
from ..errors import ConfigError, InputError
from ..ordered import IS_LAST, NEXT_ACTIVITY
from ..sql import ident
from .flow import FlowSlice
from .steps import GAP_S, GAP_US, POS, ordered_steps

_MEMBERS: Final = "_cx_slices_members"
_BITS: Final = "_cx_slices_bits"  # (dim, value) -> its bit in a contact's mask
_MASKS: Final = "_cx_slices_masks"  # contact -> its mask: a bit per member value
_SPREAD: Final = "_cx_slices_spread"  # mask -> its (dim, value) rows
_RUNS: Final = "_cx_slices_runs"  # steps counted per (mask, edge, gap)
# Dimensions whose membership is the contact's single value in ``contacts`` (column there).
_CONTACT_VALUE: Final = {S.REASON: S.REASON, S.CHANNEL: S.ENTRY_CHANNEL}
_DIMENSIONS: Final = tuple(c for c in S.OPTIONAL_TEXT if c != S.CUSTOMER_ID)
_C, _A = ident(S.CONTACT_ID), ident(S.ACTIVITY)


def flow_by(
    engine: Engine,
    *,
    dims: Sequence[str] = (S.REASON, S.CHANNEL, S.TEAM, S.QUEUE),
    top_values: int = 20,
    max_edges: int = 200,
) -> dict[str, dict[str, FlowSlice]]:
    """The flow map of each value of each dimension present in the log.

    Parameters
    ----------
    engine:
        Holds ``events`` and ``contacts`` (run :func:`cxray.journeys.build_journeys` first).
    dims:
        Canonical text columns to slice by (not ``customer_id``); a dimension without any value in the
        log is left out of the result.
    top_values:
        Values kept per dimension, most contacts first (ties by value).
    max_edges:
        Edges kept per slice, busiest first as in ``flow_map``; ``n_edges`` tells how many there were.

    Returns
    -------
    dict
        ``{dim: {value: {"n_contacts", "n_edges", "dfg": [{from, to, count, mean_s, median_s}],
        "start": {activity: contacts}, "end": {activity: contacts}}}}``, values in order of
        ``n_contacts`` descending, then value; lists and maps sorted as in ``flow_map``.

    >>> from cxray.engine import Engine
    >>> from cxray.journeys import build_journeys
    >>> from cxray.testing import load_rows
    >>> e = Engine()
    >>> load_rows(e, [
    ...     {"contact_id": "c1", "timestamp": "2024-01-01T09:00:00", "activity": "Ask", "reason": "bill"},
    ...     {"contact_id": "c1", "timestamp": "2024-01-01T09:05:00", "activity": "Pay"},
    ... ])
    >>> build_journeys(e)
    >>> flow_by(e)["reason"]["bill"]["dfg"]
    [{'from': 'Ask', 'to': 'Pay', 'count': 1, 'mean_s': 300.0, 'median_s': 300.0}]
    """
    unknown = [d for d in dims if d not in _DIMENSIONS]
    if unknown:
        raise ConfigError(f"cannot slice the flow by {unknown}; known: {', '.join(_DIMENSIONS)}")
    if top_values < 1 or max_edges < 1:
        raise ConfigError(f"top_values and max_edges must be >= 1, got {top_values} and {max_edges}")
    if not engine.has_table(S.CONTACTS_TABLE):
        raise InputError("flow_by needs the contacts table: run build_journeys first")
    dims = list(dict.fromkeys(dims))
    if not dims:
        return {}
    try:
        _members(engine, dims, top_values)
        with ordered_steps(engine) as steps:
            sizes = engine.rows(
                f"""SELECT dim, value, count(*) AS n FROM {_MEMBERS}
                GROUP BY dim, value ORDER BY dim, n DESC, value"""
            )
            out: dict[str, dict[str, FlowSlice]] = {d: {} for d in dims}
            for r in sizes:
                out[r["dim"]][r["value"]] = {
                    "n_contacts": int(r["n"]),
                    "n_edges": 0,
                    "dfg": [],
                    "start": {},
                    "end": {},
                }
            masked = _masks(engine)
            _add_dfg(engine, steps, out, max_edges, masked)
            _add_endpoints(engine, steps, out, "start", f"{POS} = 1", masked)
            _add_endpoints(engine, steps, out, "end", IS_LAST, masked)
    finally:
        for table in (_MEMBERS, _BITS, _MASKS, _SPREAD, _RUNS):
            engine.execute(f"DROP TABLE IF EXISTS {table}")
    return {d: out[d] for d in dims if out[d]}


def _membership_sql(dim: str) -> str:
    """(dim, value, contact_id) rows of one dimension, one per contact and value."""
    if dim in _CONTACT_VALUE:
        col = ident(_CONTACT_VALUE[dim])
        return f"SELECT '{dim}' AS dim, {col} AS value, {_C} FROM {S.CONTACTS_TABLE} WHERE {col} IS NOT NULL"
    col = ident(dim)
    return (
        f"SELECT DISTINCT '{dim}' AS dim, {col} AS value, {_C} FROM {S.EVENTS_TABLE} WHERE {col} IS NOT NULL"
    )


def _members(engine: Engine, dims: list[str], top_values: int) -> None:
    """Membership of the top values of every dimension, as one temporary table."""
    union = " UNION ALL ".join(_membership_sql(d) for d in dims)
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_MEMBERS} AS
        WITH m AS ({union}),
        top AS (
            SELECT dim, value FROM m GROUP BY dim, value
            QUALIFY row_number() OVER (PARTITION BY dim ORDER BY count(*) DESC, value) <= {int(top_values)}
        )
        SELECT m.* FROM m JOIN top USING (dim, value)"""
    )


#: Below this many member values (every dimension's kept values), a contact's memberships fit in one
#: HUGEINT mask (a bit each).
_MASK_BITS: Final = 127
#: The runs replace the join when they are at most this share of the steps: a run is sorted once per member
#: value of its mask, a step only hashed once per member value of its contact.
RUNS_SHARE: float = 0.25


def _masks(engine: Engine) -> bool:
    """Each contact's member values as one number, when they fit (:data:`_MASK_BITS`).

    Contacts with the same member values (the same *mask*: a bit per value) fall in the same slices, so
    what is counted per contact can be counted per mask first and only then spread over the mask's values
    (:data:`_SPREAD`): a few hundred masks on the simulated centre, not a row per contact and value.
    """
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_BITS} AS
        SELECT dim, value, CAST(row_number() OVER (ORDER BY dim, value) - 1 AS INTEGER) AS bit
        FROM (SELECT DISTINCT dim, value FROM {_MEMBERS})"""
    )
    if not 0 < int(engine.scalar(f"SELECT count(*) FROM {_BITS}")) <= _MASK_BITS:
        return False
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_MASKS} AS
        SELECT {_C}, sum(1::HUGEINT << bit) AS mask FROM {_MEMBERS} JOIN {_BITS} USING (dim, value)
        GROUP BY {_C}"""
    )
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_SPREAD} AS
        SELECT m.mask, b.dim, b.value
        FROM (SELECT DISTINCT mask FROM {_MASKS}) m JOIN {_BITS} b ON (m.mask >> b.bit) & 1 = 1"""
    )
    return True


def _add_dfg(
    engine: Engine, steps: str, out: dict[str, dict[str, FlowSlice]], max_edges: int, masked: bool
) -> None:
    edges = (masked and _edges_by_runs(engine, steps)) or _edges_joined(steps)
    rows = engine.rows(
        f"""WITH e AS ({edges})
        SELECT *, count(*) OVER (PARTITION BY dim, value) AS n_edges FROM e
        QUALIFY row_number() OVER (PARTITION BY dim, value ORDER BY n DESC, src, dst) <= {int(max_edges)}
        ORDER BY dim, value, n DESC, src, dst"""
    )
    for r in rows:
        part = out[r["dim"]][r["value"]]
        part["n_edges"] = int(r["n_edges"])
        part["dfg"].append(
            {
                "from": r["src"],
                "to": r["dst"],
                "count": r["n"],
                "mean_s": r["mean_s"],
                "median_s": r["median_s"],
            }
        )


def _edges_joined(steps: str) -> str:
    """SQL: each slice's edges, from every step joined to every member value of its contact."""
    return f"""SELECT m.dim, m.value, s.{_A} AS src, s.{NEXT_ACTIVITY} AS dst, count(*) AS n,
               avg(s.{GAP_US}) / 1e6 AS mean_s, median(s.{GAP_S}) AS median_s
        FROM {steps} s JOIN {_MEMBERS} m USING ({_C})
        WHERE NOT s.{IS_LAST}
        GROUP BY m.dim, m.value, s.{_A}, s.{NEXT_ACTIVITY}"""


def _edges_by_runs(engine: Engine, steps: str) -> str | None:
    """SQL: the same edges as :func:`_edges_joined`, from runs of steps that no slice tells apart; None
    where that would not be cheaper (call after :func:`_masks`).

    Steps of contacts with the same mask, between the same two activities and with the same gap, count
    the same in every slice: they are counted once per (mask, edge, gap) and only those runs are spread
    over the mask's values. On the simulated centre the runs are a twentieth of the steps (at 10M events
    3.8 s -> 2.0 s); where gaps rarely repeat (times to the millisecond) the join is kept. The median is
    the gap at the middle place of the runs in gap order (interpolated between the two middle ones, as
    ``median`` does); the mean the exact sum over the count.
    """
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_RUNS} AS
        SELECT mask, s.{_A} AS src, s.{NEXT_ACTIVITY} AS dst, s.{GAP_US} AS gap, count(*) AS w
        FROM {steps} s JOIN {_MASKS} USING ({_C})
        WHERE NOT s.{IS_LAST}
        GROUP BY ALL"""
    )
    # against the steps the join would spread: those of contacts with a mask, the runs' weights
    runs, total = engine.fetchall(f"SELECT count(*), coalesce(sum(w), 0) FROM {_RUNS}")[0]
    if runs > RUNS_SHARE * total:
        return None
    # places counted from 0: the middle ones are (n - 1) // 2 and n // 2 (the same when n is odd); the gap
    # at place p is the first whose running count passes p
    return f"""WITH spread AS (
            SELECT sp.dim, sp.value, r.src, r.dst, r.gap, sum(r.w) AS w
            FROM {_RUNS} r JOIN {_SPREAD} sp USING (mask)
            GROUP BY ALL
        ), placed AS (
            SELECT *, sum(w) OVER (PARTITION BY dim, value, src, dst ORDER BY gap ROWS UNBOUNDED PRECEDING)
                   AS upto,
                   sum(w) OVER (PARTITION BY dim, value, src, dst) AS n
            FROM spread
        ), middle AS (
            SELECT dim, value, src, dst, any_value(n) AS n, sum(gap::HUGEINT * w) AS total,
                   min(gap) FILTER (WHERE upto > (n - 1) // 2) / 1e6 AS lo,
                   min(gap) FILTER (WHERE upto > n // 2) / 1e6 AS hi
            FROM placed GROUP BY ALL
        )
        SELECT dim, value, src, dst, n, CAST(total AS DOUBLE) / n / 1e6 AS mean_s,
               lo + (hi - lo) * 0.5 AS median_s
        FROM middle"""


def _add_endpoints(
    engine: Engine,
    steps: str,
    out: dict[str, dict[str, FlowSlice]],
    key: Literal["start", "end"],
    where: str,
    masked: bool,
) -> None:
    if masked:  # counted per mask, then spread over its values (_masks)
        counted = f"""SELECT sp.dim, sp.value, e.activity, sum(e.n) AS n
            FROM (SELECT mask, s.{_A} AS activity, count(*) AS n FROM {steps} s JOIN {_MASKS} USING ({_C})
                  WHERE {where} GROUP BY ALL) e
            JOIN {_SPREAD} sp USING (mask)
            GROUP BY ALL"""
    else:
        counted = f"""SELECT m.dim, m.value, s.{_A} AS activity, count(*) AS n
            FROM {steps} s JOIN {_MEMBERS} m USING ({_C})
            WHERE {where}
            GROUP BY m.dim, m.value, s.{_A}"""
    rows = engine.rows(f"SELECT * FROM ({counted}) ORDER BY dim, value, n DESC, activity")
    for r in rows:
        out[r["dim"]][r["value"]][key][r["activity"]] = r["n"]


__all__ = ["flow_by"]
