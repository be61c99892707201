"""Activities and rework: how often each step is done, and done again within the same contact.

Repeated work is the cheapest breakdown signal a flow map gives: each repeat is effort the customer
did not ask for. Two shapes are reported: any repeat of an activity within a contact (``loops``,
whatever happened in between) and immediate repeats (``self_loops``, an edge a -> a in the DFG).
Whether a repeat is a failure needs outcomes, which the breakdown finder judges, not this module.
"""

from __future__ import annotations

from typing_extensions import TypedDict

from .. import schema as S
from ..engine import Engine
from ..ordered import NEXT_ACTIVITY
from ..sql import ident

_C, _A = ident(S.CONTACT_ID), ident(S.ACTIVITY)


class ActivityRow(TypedDict):
    activity: str
    count: int
    contacts: int


class LoopRow(TypedDict):
    activity: str
    contacts: int
    repeats: int
    share: float


def activity_stats(engine: Engine, variants: str) -> tuple[list[ActivityRow], list[LoopRow]]:
    """Per activity, from ``variants`` (a table of ``n`` contacts and their ``trace``, the activities in
    order, per variant: the flow map's): how often a variant does the activity is a property of its
    sequence, weighed by its contacts.

    Returns
    -------
    activities:
        ``[{activity, count, contacts}]``: events, and contacts in which the activity occurs;
        sorted by count descending, then activity.
    loops:
        ``[{activity, contacts, repeats, share}]`` for activities occurring 2+ times in some contact:
        ``contacts`` with such a repeat, ``repeats`` = occurrences beyond the first summed over
        contacts, ``share`` = ``contacts`` / contacts in which the activity occurs at all;
        sorted by contacts descending, repeats descending, then activity.
    """
    rows = engine.rows(
        f"""
        WITH per_variant AS (
            SELECT v.rep, any_value(v.n) AS n, a.activity, count(*) AS k
            FROM {variants} v, unnest(v.trace) AS a(activity) GROUP BY v.rep, a.activity
        )
        SELECT activity, sum(k * n) AS events, sum(n) AS contacts,
               coalesce(sum(n) FILTER (WHERE k > 1), 0) AS rework_contacts,
               coalesce(sum((k - 1) * n) FILTER (WHERE k > 1), 0) AS repeats
        FROM per_variant GROUP BY activity
        ORDER BY events DESC, activity
        """
    )
    activities: list[ActivityRow] = [
        {"activity": r["activity"], "count": int(r["events"]), "contacts": int(r["contacts"])} for r in rows
    ]
    looped = sorted(
        (r for r in rows if r["rework_contacts"]),
        key=lambda r: (-r["rework_contacts"], -r["repeats"], r["activity"]),
    )
    loops: list[LoopRow] = [
        {
            "activity": r["activity"],
            "contacts": int(r["rework_contacts"]),
            "repeats": int(r["repeats"]),
            "share": r["rework_contacts"] / r["contacts"],
        }
        for r in looped
    ]
    return activities, loops


def self_loops(engine: Engine, steps: str) -> list[ActivityRow]:
    """``[{activity, count, contacts}]``: DFG edges a -> a and the contacts having at least one;
    sorted by count descending, contacts descending, then activity."""
    rows = engine.rows(
        f"""
        SELECT {_A} AS activity, count(*) AS n, count(DISTINCT {_C}) AS contacts
        FROM {steps} WHERE {_A} = {NEXT_ACTIVITY}
        GROUP BY {_A} ORDER BY n DESC, contacts DESC, activity
        """
    )
    return [{"activity": r["activity"], "count": r["n"], "contacts": r["contacts"]} for r in rows]
