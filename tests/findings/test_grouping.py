"""Root-cause grouping (cxray.findings.grouping): findings naming one failure point are one breakdown."""

from __future__ import annotations

from cxray.findings import registered_detectors
from cxray.findings.base import OPERATING_MODEL, Finding
from cxray.findings.grouping import DetectorRole, group_findings


def f(code: str, cost: float, days: float = 0.0, **where: str) -> Finding:
    return Finding(
        code=code, title=f"{code} {where}", bucket=OPERATING_MODEL, where=where, avoidable_cost=cost,
        customer_days_waited=days, contacts_affected=int(cost),
    )  # fmt: skip


def role(code: str) -> DetectorRole:
    """What the built-in detector of that code declares (the real declarations, not test doubles)."""
    d = registered_detectors()[code]()
    return DetectorRole(d.failure_points, d.is_symptom, d.downstream_points)


def test_findings_at_one_queue_are_one_breakdown_led_by_the_mechanism():
    """A slow back office, the repeats in it and the waiting in its status: one breakdown, priced once,
    led by the mechanism (BO01) even though the repeats cost more."""
    found = [
        f("RP01", 50.0, queue="Refunds BO"),
        f("BO01", 20.0, 40.0, queue="Refunds BO", activity="Case waiting"),
        f("WT01", 0.0, 15.0, activity="Case waiting"),
        f("AB01", 30.0, queue="Orders phone"),
    ]
    groups = group_findings(found, role)
    assert len(groups) == 2
    bo = next(g for g in groups if g.lead.code == "BO01")
    assert {s.code for s in bo.symptoms} == {"RP01", "WT01"} and bo.scope == "entity"
    assert bo.cause == "queue Refunds BO"
    assert (bo.avoidable_cost, bo.customer_days_waited) == (70.0, 55.0)


def test_pairs_of_one_detector_roll_up_when_spread():
    """Three ping-pong pairs are one process-wide breakdown (worst first); two stay apart."""
    pairs = [
        f("PP01", c, **{"from": a, "to": b}) for c, a, b in ((9, "A", "B"), (5, "C", "D"), (3, "E", "F"))
    ]
    (rolled,) = group_findings(pairs, role)
    assert rolled.scope == "process" and rolled.lead.where == {"from": "A", "to": "B"}
    assert len(rolled.symptoms) == 2 and rolled.avoidable_cost == 17
    assert rolled.contacts_affected == 17  # each pair its own contacts: summed, not the largest
    assert len(group_findings(pairs[:2], role)) == 2
    assert len(group_findings(pairs, role, rollup_min=4)) == 3


def test_a_misroute_is_a_cause_and_takes_the_symptoms_where_it_lands():
    """Onward transfers of one reason are a misroute (a mechanism of their own); repeats piling up in the
    queue it sends them to, with no mechanism there, join it. Of all reasons, transfers are a symptom."""
    misroute = f(
        "TR01", 40.0, queue="Reservations", reason="refund", to="Bookings", **{"from": "Reservations"}
    )
    repeats = f("RP01", 60.0, queue="Bookings")
    (g,) = group_findings([repeats, misroute], role)
    assert g.lead is misroute and g.symptoms == (repeats,)
    everything = f("TR01", 40.0, team="G96", to="G97", **{"from": "G96"})
    rework = f("LP01", 10.0, team="G96", activity="In Progress")
    (h,) = group_findings([everything, rework], role)
    assert h.lead is rework and h.cause == "team G96"


def test_findings_naming_no_shared_point_stand_alone_and_order_is_kept():
    found = [
        f("FC01", 5.0, reason="billing", channel="chat"),
        f("MH01", 9.0),
        f("FC01", 4.0, reason="refund"),
    ]
    groups = group_findings(found, role)
    assert [g.lead for g in groups] == found and all(g.scope == "finding" for g in groups)
    assert group_findings(list(reversed(found)), role)[0].lead is found[2]  # deterministic, input order
