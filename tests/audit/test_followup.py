"""Initiative follow-up: a plan.json's success measures re-measured after the change, with known answers."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cxray.audit.followup import follow_up, load_plan, plan_measures
from cxray.engine import Engine
from cxray.errors import InputError
from cxray.journeys import build_journeys
from cxray.plan.initiatives import InitiativeDoc, MeasureDoc
from cxray.testing import load_rows

CHANGE = datetime(2026, 3, 16)


def stage(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """The audit contract's tables: team P is the pilot (others: no group), period by the change date."""
    load_rows(engine, rows)
    build_journeys(engine)
    engine.execute(
        """CREATE OR REPLACE TABLE audit_contacts AS
        SELECT c.*, CASE first_team WHEN 'P' THEN 'pilot' END AS audit_group,
               CASE WHEN start_ts >= ? THEN 'after' ELSE 'before' END AS audit_period, 0 AS audit_week
        FROM contacts c""",
        [CHANGE],
    )


def ev(cid: str, cust: str, ts: datetime, **kw: Any) -> dict[str, Any]:
    base = {"contact_id": cid, "customer_id": cust, "timestamp": ts, "activity": "Handle", "team": "P"}
    return {**base, "reason": "billing", "queue": "Q1", "outcome": "resolved", **kw}


def after_log() -> list[dict[str, Any]]:
    """100 customers after the change; 30 come back the next day (the first 26 of those abandoned the first
    time); 13 single contacts are transferred Q1 → Q2. Before the change: 20 abandoned contacts, which the
    follow-up must not count. A late contact of another team marks the end of the data (censoring)."""
    rows: list[dict[str, Any]] = []
    day = CHANGE + timedelta(days=1)
    for i in range(100):
        t = day + timedelta(minutes=5 * i)
        first = ev(f"a{i}", f"k{i}", t, outcome="abandoned" if i < 26 else "resolved")
        rows.append(first)
        if i < 30:
            rows.append(ev(f"r{i}", f"k{i}", t + timedelta(days=1)))
        if 70 <= i < 83:
            rows.append(ev(f"a{i}", f"k{i}", t + timedelta(minutes=1), queue="Q2"))
    for i in range(20):
        rows.append(ev(f"b{i}", f"kb{i}", CHANGE - timedelta(days=10, minutes=-i), outcome="abandoned"))
    rows.append(ev("end", "z", CHANGE + timedelta(days=40), team="X"))
    return rows


def initiative(iid: str, measure: str, direction: str, baseline: float | None, target: float | None,
               scope: str = "overall", owner: str | None = "Jo Bloggs") -> dict[str, Any]:  # fmt: skip
    """An initiative as plan.json writes it (the fields the follow-up reads, named as in cxray.plan)."""
    success = {
        "measure": measure, "label": measure.replace("_", " "), "direction": direction, "scope": scope,
        "baseline": baseline, "target": target, "target_source": "context" if target is not None else None,
        "owner": owner,
    }  # fmt: skip
    return {"id": iid, "title": f"Fix {iid}", "status": "roadmap", "owner": owner, "success_measure": success}


PLAN = {
    "draft": False,
    "initiatives": [
        initiative("TR-met", "transfer_rate", "down", 0.30, 0.20),
        initiative("AB-worse", "abandonment_rate", "down", 0.05, 0.02),
        initiative("FCR-notyet", "fcr", "up", 0.60, 0.80),
        initiative("RP-notarget", "repeat_contact_rate", "down", 0.20, None),
        initiative("TR01-orders", "transfer_rate", "down", 0.4, 0.1, scope="Orders → Billing"),
        initiative("CPJ", "contacts_per_journey", "down", 1.5, 1.2),
    ],
}


def test_the_fixture_uses_the_plan_types_field_names() -> None:
    """The hand-built plan.json only uses keys cxray.plan's InitiativeDoc and MeasureDoc define."""
    for item in PLAN["initiatives"]:
        assert set(item) <= InitiativeDoc.__required_keys__ | InitiativeDoc.__optional_keys__
        assert set(item["success_measure"]) == MeasureDoc.__required_keys__ | MeasureDoc.__optional_keys__


def test_each_initiative_is_met_not_yet_worse_or_not_measurable(tmp_path: Path) -> None:
    """Transfer rate 13/130 meets 20%; abandonment 26/130 is worse than 5% beyond noise; FCR 70/100 is short
    of 80%; a repeat rate without a target is not yet; a detector's own number and an uncomputed metric are
    not measurable here, with why."""
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(PLAN), encoding="utf-8")
    with Engine() as e:
        stage(e, after_log())
        got = follow_up(e, load_plan(path), group="pilot")
    items = {it.initiative: it for it in got.items}
    assert items["TR-met"].status == "met" and items["TR-met"].value == pytest.approx(13 / 130)
    assert items["TR-met"].n == 130 and items["TR-met"].owner == "Jo Bloggs"
    assert items["AB-worse"].status == "worse" and items["AB-worse"].value == pytest.approx(26 / 130)
    assert items["AB-worse"].low is not None and items["AB-worse"].low > 0.05
    assert items["FCR-notyet"].status == "not yet" and items["FCR-notyet"].value == pytest.approx(0.70)
    assert items["FCR-notyet"].n == 100
    assert items["RP-notarget"].status == "not yet" and "no target" in items["RP-notarget"].reason
    assert items["RP-notarget"].value == pytest.approx(30 / 130)
    assert items["TR01-orders"].status == "not measurable here"
    assert "Orders → Billing" in items["TR01-orders"].reason
    assert items["CPJ"].status == "not measurable here" and "contacts_per_journey" in items["CPJ"].reason
    assert got.counts == {"met": 1, "not yet": 2, "worse": 1, "not measurable here": 2}
    assert got.to_dict()["items"][0]["status"] == "met"


def test_the_before_period_is_measured_apart() -> None:
    """Measured on the before period instead, the 20 abandoned contacts give an abandonment rate of 100%."""
    with Engine() as e:
        stage(e, after_log())
        got = follow_up(e, plan_measures(PLAN), period="before", group="pilot")
    items = {it.initiative: it for it in got.items}
    assert items["AB-worse"].value == pytest.approx(1.0) and items["AB-worse"].n == 20


def test_a_malformed_plan_is_an_input_error_naming_the_file(tmp_path: Path) -> None:
    """Not JSON, no initiatives, or a success measure without its fields: InputError with the path."""
    bad = tmp_path / "plan.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"plan\.json"):
        load_plan(bad)
    with pytest.raises(InputError, match="initiatives"):
        plan_measures({"lanes": []})
    broken = {"initiatives": [{"id": "x", "success_measure": {"measure": "fcr"}}]}
    with pytest.raises(InputError, match=r"initiatives\[0\]\.success_measure"):
        plan_measures(broken)


def test_each_measure_has_weekly_monthly_and_quarterly_views() -> None:
    """Six weeks after the change (Monday 16 March 2026 on), 10 contacts a week, k of them abandoned in week
    k: the weekly view reads k/10; March (weeks 0-2) and April (3-5), Q1 and Q2 pool them; every view's
    counts add up to the item's."""
    rows = []
    for week in range(6):
        for i in range(10):
            t = CHANGE + timedelta(weeks=week, days=1, minutes=7 * i)
            outcome = "abandoned" if i < week else "resolved"
            rows.append(ev(f"w{week}-{i}", f"k{week}-{i}", t, outcome=outcome))
    rows.append(ev("end", "z", CHANGE + timedelta(days=80), team="X"))
    plan = {"initiatives": [initiative("AB", "abandonment_rate", "down", 0.05, 0.02)]}
    with Engine() as e:
        stage(e, rows)
        (item,) = follow_up(e, plan_measures(plan), group="pilot").items
    assert item.views is not None
    weeks = item.views["week"]
    assert [p.start for p in weeks] == [str((CHANGE + timedelta(weeks=k)).date()) for k in range(6)]
    assert [p.value for p in weeks] == pytest.approx([k / 10 for k in range(6)])
    assert all(p.low is not None and p.low <= p.value <= p.high for p in weeks)
    months = item.views["month"]
    assert [(p.start, p.n) for p in months] == [("2026-03-01", 30), ("2026-04-01", 30)]
    assert [p.value for p in months] == pytest.approx([3 / 30, 12 / 30])
    assert [p.start for p in item.views["quarter"]] == ["2026-01-01", "2026-04-01"]
    for points in item.views.values():
        assert sum(p.n for p in points) == item.n == 60
