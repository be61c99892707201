"""Adoption of a new step by the pilot's contacts after the change: shares, intervals, the curve's shape."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from cxray.audit.adoption import AdoptionOptions, AdoptionSpec, adoption
from cxray.engine import Engine
from cxray.errors import ConfigError
from cxray.journeys import build_journeys
from cxray.testing import load_rows
from cxray.voc.scores import wilson_interval

CHANGE = datetime(2026, 3, 16)  # a Monday: week 2 of data starting on 2 March


def stage(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """The audit contract's tables: pilot = first team starting 'P', control = 'C', period by the change."""
    load_rows(engine, rows)
    build_journeys(engine)
    engine.execute(
        """CREATE OR REPLACE TABLE audit_contacts AS
        SELECT c.*, CASE WHEN first_team LIKE 'P%' THEN 'pilot' WHEN first_team = 'C' THEN 'control' END
                    AS audit_group,
               CASE WHEN start_ts >= ? THEN 'after' ELSE 'before' END AS audit_period,
               CAST(date_diff('day', date_trunc('week', min(start_ts) OVER ()), date_trunc('week', start_ts))
                    / 7 AS INTEGER) AS audit_week
        FROM contacts c""",
        [CHANGE],
    )


def contact(
    cid: str, start: datetime, activities: list[str], team: str, reason: str = "billing"
) -> list[dict]:
    return [
        {"contact_id": cid, "timestamp": start + timedelta(minutes=k), "activity": a, "team": team,
         "reason": reason, "customer_id": cid}
        for k, a in enumerate(activities)
    ]  # fmt: skip


def weekly_log(rates: list[float], *, n: int = 100, team: str = "P1") -> list[dict]:
    """Week 0 and 1 before the change (nobody takes the step), then one week per rate after it: that share
    of the week's contacts go Open → Bot verify → Handle, the others Open → Handle."""
    rows: list[dict] = []
    start = CHANGE - timedelta(days=14)
    for w in range(2):
        for i in range(20):
            rows += contact(f"pre{w}-{i}", start + timedelta(days=7 * w, hours=i), ["Open", "Handle"], team)
    for w, rate in enumerate(rates):
        for i in range(n):
            steps = ["Open", "Bot verify", "Handle"] if i < round(rate * n) else ["Open", "Handle"]
            rows += contact(f"{team}-w{w}-{i}", CHANGE + timedelta(days=7 * w, minutes=10 * i), steps, team)
    return rows


def test_a_step_taken_by_30_then_60_percent_is_ramping_with_wilson_intervals() -> None:
    """30% in the first week after, 60% in the second: the curve says so, and the last week is still
    rising beyond noise."""
    with Engine() as e:
        stage(e, weekly_log([0.3, 0.6]))
        got = adoption(e, AdoptionSpec(activity="Bot verify"), options=AdoptionOptions(window=1))
    assert [(s.week, s.eligible, s.taking) for s in got.curve] == [(2, 100, 30), (3, 100, 60)]
    assert got.curve[0].share == pytest.approx(0.3)
    assert (got.curve[1].low, got.curve[1].high) == pytest.approx(wilson_interval(60, 100))
    assert got.overall is not None and got.overall.share == pytest.approx(0.45)
    assert got.summary.shape == "ramping" and got.summary.peak_week == 3
    assert got.summary.difference == pytest.approx(0.3)
    assert got.summary.low is not None and got.summary.low > 0
    assert "still rising" in got.summary.sentence
    assert got.to_dict()["overall"]["taking"] == 90


def test_a_curve_that_levels_off_is_a_plateau_and_too_few_weeks_is_too_early() -> None:
    """30, 60, 60, 61%: the last two weeks against the two before are still rising (window 2), the last
    week against the one before is a plateau (window 1); one week alone is too early."""
    with Engine() as e:
        stage(e, weekly_log([0.3, 0.6, 0.6, 0.61]))
        one = adoption(e, AdoptionSpec(activity="Bot verify"), options=AdoptionOptions(window=1))
        two = adoption(e, AdoptionSpec(activity="Bot verify"), options=AdoptionOptions(window=2))
        stage(e, weekly_log([0.5]))
        early = adoption(e, AdoptionSpec(activity="Bot verify"))
    assert one.summary.shape == "plateau" and "levelled off" in one.summary.sentence
    assert two.summary.shape == "ramping"
    assert early.summary.shape == "too early"


def test_by_team_and_week_and_only_pilot_contacts_after_are_eligible() -> None:
    """Two pilot teams at 20% and 80%, a control team at 100% (not eligible): teams apart, and the
    contacts before the change never count."""
    rows = weekly_log([0.2], team="P1") + weekly_log([0.8], team="P2")
    rows += [dict(r, contact_id="ctl-" + r["contact_id"], team="C") for r in weekly_log([1.0], team="P3")]
    with Engine() as e:
        stage(e, rows)
        got = adoption(e, AdoptionSpec(activity="Bot verify"))
    teams = {s.team: s for s in got.by_team}
    assert set(teams) == {"P1", "P2"}
    assert (teams["P1"].taking, teams["P1"].eligible) == (20, 100)
    assert (teams["P2"].taking, teams["P2"].eligible) == (80, 100)
    assert got.overall is not None and got.overall.eligible == 200
    assert {(s.team, s.week) for s in got.by_team_week} == {("P1", 2), ("P2", 2)}


def test_step_kind_path_and_reason_filter() -> None:
    """By kind, 'Bot authenticated' and 'ID&V' both count; a path needs its activities consecutive; a reason
    filter narrows the eligible contacts."""
    rows = contact("k1", CHANGE + timedelta(days=1), ["Open", "ID&V", "Handle"], "P1")
    rows += contact("k2", CHANGE + timedelta(days=1, hours=1), ["Open", "Bot authenticated", "Handle"], "P1")
    rows += contact("k3", CHANGE + timedelta(days=1, hours=2), ["Open", "Note", "Bot authenticated"], "P1")
    rows += contact("k4", CHANGE + timedelta(days=1, hours=3), ["Open", "Handle"], "P1", reason="moving")
    with Engine() as e:
        stage(e, rows)
        kind = adoption(e, AdoptionSpec(step_kind="authenticate"))
        path = adoption(e, AdoptionSpec(path=("Open", "Bot authenticated")))
        billing = adoption(e, AdoptionSpec(step_kind="authenticate", reasons=("billing",)))
        with pytest.raises(ConfigError, match="unknown step kind"):
            adoption(e, AdoptionSpec(step_kind="teleport"))
    assert kind.overall is not None and (kind.overall.taking, kind.overall.eligible) == (3, 4)
    assert path.overall is not None and path.overall.taking == 1
    assert billing.overall is not None and (billing.overall.taking, billing.overall.eligible) == (3, 3)


def test_a_spec_names_exactly_one_thing() -> None:
    """Two names, none, or a one-step path are configuration mistakes."""
    for bad in ({}, {"activity": "A", "step_kind": "hold"}, {"path": ("A",)}):
        with pytest.raises(ConfigError):
            AdoptionSpec(**bad)
