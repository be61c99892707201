"""Rework in the flow map: repeated activities and self-loops, hand-computed."""

from __future__ import annotations

from datetime import datetime, timedelta

from cxray import schema as S
from cxray.process import flow_map
from cxray.testing import load_rows

T0 = datetime(2024, 1, 1, 9, 0, 0)


def trace(contact: str, *activities: str) -> list[dict]:
    return [
        {S.CONTACT_ID: contact, S.TIMESTAMP: T0 + timedelta(minutes=i), S.ACTIVITY: a}
        for i, a in enumerate(activities)
    ]


def test_repeats_and_self_loops(engine):
    """c1 = A A A B (A twice repeated, self-loop A->A twice), c2 = A B A (A repeated, no self-loop),
    c3 = A B (no rework), c4 = B B (B repeated once, one self-loop)."""
    load_rows(
        engine,
        trace("c1", "A", "A", "A", "B")
        + trace("c2", "A", "B", "A")
        + trace("c3", "A", "B")
        + trace("c4", "B", "B"),
    )
    flow = flow_map(engine)
    assert flow["loops"] == [
        {"activity": "A", "contacts": 2, "repeats": 3, "share": 2 / 3},
        {"activity": "B", "contacts": 1, "repeats": 1, "share": 1 / 4},
    ]
    assert flow["self_loops"] == [
        {"activity": "A", "count": 2, "contacts": 1},
        {"activity": "B", "count": 1, "contacts": 1},
    ]
    assert flow["rework_contacts"] == 3
    assert flow["activities"] == [
        {"activity": "A", "count": 6, "contacts": 3},
        {"activity": "B", "count": 5, "contacts": 4},
    ]


def test_no_rework(engine):
    load_rows(engine, trace("c1", "A", "B", "C") + trace("c2", "C"))
    flow = flow_map(engine)
    assert flow["loops"] == [] and flow["self_loops"] == [] and flow["rework_contacts"] == 0
