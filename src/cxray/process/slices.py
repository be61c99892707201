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
            _add_dfg(engine, steps, out, max_edges)
            _add_endpoints(engine, steps, out, "start", f"{POS} = 1")
            _add_endpoints(engine, steps, out, "end", IS_LAST)
    finally:
        engine.execute(f"DROP TABLE IF EXISTS {_MEMBERS}")
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


def _add_dfg(engine: Engine, steps: str, out: dict[str, dict[str, FlowSlice]], max_edges: int) -> None:
    rows = engine.rows(
        f"""WITH e AS (
            SELECT m.dim, m.value, s.{_A} AS src, s.{NEXT_ACTIVITY} AS dst, count(*) AS n,
                   avg(s.{GAP_US}) / 1e6 AS mean_s, median(s.{GAP_S}) AS median_s
            FROM {steps} s JOIN {_MEMBERS} m USING ({_C})
            WHERE NOT s.{IS_LAST}
            GROUP BY m.dim, m.value, s.{_A}, s.{NEXT_ACTIVITY}
        )
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


def _add_endpoints(
    engine: Engine, steps: str, out: dict[str, dict[str, FlowSlice]], key: Literal["start", "end"], where: str
) -> None:
    rows = engine.rows(
        f"""SELECT m.dim, m.value, s.{_A} AS activity, count(*) AS n
        FROM {steps} s JOIN {_MEMBERS} m USING ({_C})
        WHERE {where}
        GROUP BY m.dim, m.value, s.{_A}
        ORDER BY m.dim, m.value, n DESC, activity"""
    )
    for r in rows:
        out[r["dim"]][r["value"]][key][r["activity"]] = r["n"]


__all__ = ["flow_by"]
