"""Incentives on simulated centres: the planted vendor is flagged in every scenario, no other party is.

The scenarios plant a vendor paid on handle time that closes fast and unresolved (``vendor_pressure``);
no internal team is planted. Scenarios other than "default" were not used to tune the thresholds.
"""

from __future__ import annotations

from typing import Any

import pytest

from cxray import schema as S
from cxray.engine import Engine
from cxray.incentives import IncentiveAssessment, assess_incentives
from cxray.io import read_table
from cxray.journeys import build_journeys
from cxray.simulate import builtin_scenarios, load_scenario, simulate
from cxray.testing import load_rows


def _assess(scenario: str, seed: int) -> tuple[IncentiveAssessment, dict[str, Any]]:
    centre = load_scenario(scenario)
    sim = simulate(centre, seed=seed, days=30, customers=centre.customers // 3)
    with Engine(threads=2) as engine:
        read_table(sim.events, engine)
        build_journeys(engine)
        return assess_incentives(engine), sim.ground_truth


@pytest.mark.parametrize("seed", (1, 2))
@pytest.mark.parametrize("scenario", builtin_scenarios())
def test_planted_vendor_flagged_and_unplanted_parties_not(scenario: str, seed: int) -> None:
    assessed, truth = _assess(scenario, seed)
    planted = {
        b["entities"][S.TEAM] for b in truth["breakdowns"] if b["enabled"] and b["kind"] == "vendor_pressure"
    }
    assert planted, "every builtin scenario plants a vendor under handle-time pressure"
    human_flags = {f.where[S.TEAM] for f in assessed.findings if f.code in ("IN01", "IN03")}
    assert human_flags == planted
    vendor = next(p for p in assessed.parties if p["party"] in planted)
    peers = [p for p in assessed.parties if not p["self_service"] and p["party"] not in planted]
    # the KPI looks good (fastest of the front line) while the outcome is worse than every big peer's
    big = [p for p in peers if p["uncensored_closed"] >= vendor["uncensored_closed"] / 2]
    assert big and all(vendor["repeat_rate"] > p["repeat_rate"] for p in big)
    assert all(vendor["handle_s"] < p["handle_s"] for p in big)
    # containment findings only ever name self-service parties
    assert all(f.where.get(S.ACTOR_TYPE) in S.SELF_SERVICE for f in assessed.findings if f.code == "IN02")


def _contacts(prefix: str, team: str, reason: str, n: int, repeat_every: int) -> list[dict[str, Any]]:
    from datetime import datetime, timedelta

    rows: list[dict[str, Any]] = []
    t0 = datetime(2024, 1, 1, 9)
    for i in range(n):
        cust = f"{prefix}{i}"
        days = [i % 20] + ([i % 20 + 1] if i % repeat_every == 0 else [])
        for k, day in enumerate(days):  # the same team takes the repeat: no third party to compare with
            start = t0 + timedelta(days=day)
            base = {S.CONTACT_ID: f"{cust}-{k}", S.CUSTOMER_ID: cust, S.REASON: reason, S.TEAM: team,
                    S.ACTOR_TYPE: S.AGENT}  # fmt: skip
            rows.append({**base, S.TIMESTAMP: start, S.ACTIVITY: "open", S.DURATION_S: 0.0})
            rows.append({**base, S.TIMESTAMP: start + timedelta(minutes=3), S.ACTIVITY: "close",
                         S.DURATION_S: 180.0, S.OUTCOME: S.RESOLVED})  # fmt: skip
    return rows


def test_a_team_given_the_hard_reasons_is_not_blamed_for_them(engine: Engine) -> None:
    """Hard reasons come back for everyone; the team that gets most of them repeats no more than peers."""
    rows = (
        _contacts("a", "Specialist", "hard", 200, 2)  # 50% repeat, as the others on "hard"
        + _contacts("b", "Generalist", "hard", 40, 2)
        + _contacts("c", "Generalist", "easy", 200, 10)  # 10% repeat
        + _contacts("d", "Specialist", "easy", 20, 10)
    )
    far = _contacts("z", "Elsewhere", "zz", 1, 99)
    for r in far:
        r[S.TIMESTAMP] = r[S.TIMESTAMP].replace(month=4)
    load_rows(engine, rows + far)
    build_journeys(engine)
    assessed = assess_incentives(engine)
    spec = next(p for p in assessed.parties if p["party"] == "Specialist")
    gen = next(p for p in assessed.parties if p["party"] == "Generalist")
    assert spec["repeat_rate"] > 1.5 * gen["repeat_rate"]  # a pooled comparison would blame it
    assert not [f for f in assessed.findings if f.code == "IN01"]
