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
from ..ordered import NEXT_ACTIVITY, activity_repeats
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


def activity_stats(engine: Engine, steps: str) -> tuple[list[ActivityRow], list[LoopRow]]:
    """Per activity, from its events in ``steps`` (the ordered steps, :func:`.steps.ordered_steps`) and
    the contacts that repeat it (:func:`cxray.ordered.activity_repeats`): an activity's contacts are
    its events less its repeats.

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
    repeats = activity_repeats(engine)
    rows = engine.rows(
        f"""
        WITH done AS (
            SELECT {_A}, count(*) AS events FROM {steps} GROUP BY {_A}
        ), again AS (
            SELECT {_A}, count(*) AS rework_contacts, sum(k - 1) AS repeats FROM {repeats} GROUP BY {_A}
        )
        SELECT {_A} AS activity, events, events - coalesce(repeats, 0) AS contacts,
               coalesce(rework_contacts, 0) AS rework_contacts, coalesce(repeats, 0) AS repeats
        FROM done LEFT JOIN again USING ({_A})
        ORDER BY events DESC, activity
        """
    )
    activities: list[ActivityRow] = [
        {"activity": r["activity"], "count": int(r["events"]), "contacts": r["contacts"]} for r in rows
    ]
    looped = sorted(
        (r for r in rows if r["rework_contacts"]),
        key=lambda r: (-r["rework_contacts"], -r["repeats"], r["activity"]),
    )
    loops: list[LoopRow] = [
        {
            "activity": r["activity"],
            "contacts": r["rework_contacts"],
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
