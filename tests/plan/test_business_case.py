"""The business case: yearly baseline, benefits within the avoidable cost, placeholder costs, payback."""

from __future__ import annotations

from typing import Any

import pytest

from cxray.plan.business_case import (
    BAND_COSTS,
    BaselineDoc,
    InitiativeCaseDoc,
    baseline,
    initiative_case,
    total_case,
)
from cxray.plan.context import PlanContext


def _doc(
    *,
    start: str = "2024-01-01T00:00:00",
    end: str = "2024-01-11T00:00:00",
    measure: str = "cost",
    avoidable: float = 100.0,
) -> Any:
    """A hand-made diagnosis: 10 days, 200 contacts costing 1,000, 100 avoidable."""
    return {
        "input": {"fields_present": ["customer_id"], "time_start": None, "time_end": None},
        "data_quality": {
            "period": {"data_start": start, "data_end": end, "analysed_end": end},
            "warnings": [],
        },
        "breakdowns": [],
        "breakdown_summary": {
            "measure": measure,
            "currency": "EUR",
            "total_avoidable_cost": avoidable if measure == "cost" else 0.0,
            "total_avoidable_minutes": 300.0,
            "total_avoidable_contacts": 20.0,
            "contacts": 200,
        },
        "metrics": {
            "overall": {
                "contacts": 200,
                "cost_total": 1000.0,
                "cost_per_contact": 5.0,
                "cost_per_resolved_journey": 8.0,
            }
        },
    }


def _breakdown(cost: float = 100.0, **kw: Any) -> Any:
    b = {
        "avoidable_cost": cost,
        "avoidable_minutes": 300.0,
        "avoidable_contacts": 20.0,
        "customer_days_waited": 5.0,
        "customers_affected": 10,
    }
    return b | kw


def _case(
    base: BaselineDoc,
    *,
    one_off: float | None = None,
    run: float | None = None,
    context: PlanContext | None = None,
    band: str = "small",
    **kw: Any,
) -> InitiativeCaseDoc:
    return initiative_case(
        _breakdown(**kw),
        cost_band=band,
        one_off_cost=one_off,
        run_cost=run,
        baseline=base,
        context=context or PlanContext(),
    )


def test_period_and_annualisation_from_the_data_quality_period() -> None:
    """Ten days of data scale to a year by 36.5; a log shorter than a day counts as one day."""
    base = baseline(_doc(), PlanContext())
    assert base["period_days"] == 10.0
    assert base["annualisation"] == 36.5
    assert base["annual_contacts"] == 7300.0
    assert base["annual_variable_cost"] == 36_500.0
    assert base["annual_avoidable_cost"] == 3650.0
    assert base["annual_avoidable_contacts"] == 730.0
    assert base["cost_per_contact"] == 5.0 and base["cost_per_resolution"] == 8.0
    half = baseline(_doc(start="2024-01-01T00:00:00", end="2024-01-01T12:00:00"), PlanContext())
    assert half["period_days"] == 1.0 and half["annualisation"] == 365.0


def test_fixed_costs_add_to_the_cost_to_serve() -> None:
    """Fixed costs from the context come on top of the priced work, and into the full cost per contact."""
    ctx = PlanContext.from_dict(
        {"organisation": {"fixed_costs": {"technology": 20_000, "leadership": 16_500}}}
    )
    base = baseline(_doc(), ctx)
    assert base["annual_fixed_cost"] == 36_500.0
    assert base["annual_cost_to_serve"] == 73_000.0
    assert base["full_cost_per_contact"] == 10.0
    assert baseline(_doc(), PlanContext())["annual_cost_to_serve"] == 36_500.0


def test_payback_by_hand() -> None:
    """100 avoidable in 10 days is 3,650 a year; half, less 650 run cost, repays 6,000 in 61.3 months."""
    case = _case(baseline(_doc(), PlanContext()), one_off=6000.0, run=650.0)
    assert case["annual_avoidable_cost"] == 3650.0
    assert case["benefit"] == {"low": 912.5, "expected": 1825.0, "high": 2737.5}
    assert case["payback_months"] == pytest.approx(6000 / (1825 - 650) * 12, abs=0.05)
    assert case["payback"] == "pays back in 61.3 months (expected)"


def test_context_costs_are_used_and_not_flagged() -> None:
    case = _case(baseline(_doc(), PlanContext()), one_off=1.0, run=2.0, band="large")
    assert (case["one_off_cost"], case["run_cost"]) == (1.0, 2.0)
    assert not case["costs_are_placeholders"]
    assert case["cost_source"] == "context"


@pytest.mark.parametrize("one_off, run", [(None, None), (5000.0, None), (None, 100.0)])
def test_missing_costs_take_the_band_placeholder_and_are_flagged(
    one_off: float | None, run: float | None
) -> None:
    case = _case(baseline(_doc(), PlanContext()), one_off=one_off, run=run, band="medium")
    assert case["one_off_cost"] == (one_off if one_off is not None else BAND_COSTS["medium"][0])
    assert case["run_cost"] == (run if run is not None else BAND_COSTS["medium"][1])
    assert case["costs_are_placeholders"]
    assert "placeholder" in case["cost_source"] and "'medium'" in case["cost_source"]
    total = total_case([case], baseline(_doc(), PlanContext()), PlanContext())
    assert total["costs_are_placeholders"]


def test_an_unknown_band_leaves_the_cost_unknown() -> None:
    base = baseline(_doc(), PlanContext())
    case = _case(base, band="huge")
    assert case["one_off_cost"] is None and case["payback_months"] is None
    assert not case["costs_are_placeholders"] and "unknown" in case["cost_source"]
    total = total_case([case, _case(base, one_off=1.0, run=0.0)], base, PlanContext())
    assert total["payback_months"] is None and "unknown" in total["payback"]


def test_never_pays_back_when_run_cost_eats_the_benefit() -> None:
    case = _case(baseline(_doc(), PlanContext()), one_off=1000.0, run=5000.0)
    assert case["payback_months"] is None
    assert "never pays back" in case["payback"]


def test_minutes_cannot_pay_back_money() -> None:
    """A diagnosis measured in minutes gives benefits in minutes, against which no cost in money is set."""
    base = baseline(_doc(measure="minutes"), PlanContext())
    assert base["currency"] == "" and base["annual_cost_to_serve"] is None
    assert base["annual_avoidable_cost"] == 300.0 * 36.5
    case = _case(base, one_off=1000.0, run=0.0)
    assert case["benefit"]["expected"] == 300.0 * 36.5 / 2
    assert case["payback_months"] is None
    assert "minutes" in case["payback"]
    assert {m["metric"] for m in case["moves"]} >= {"handled_minutes", "contacts"}
    assert total_case([case], base, PlanContext())["payback_months"] is None


def test_realisation_from_the_context_and_retention_outside_the_benefit() -> None:
    ctx = PlanContext.from_dict(
        {
            "business_case": {"realisation": {"low": 0.1, "expected": 0.2, "high": 1.0}},
            "organisation": {"value_per_retained_customer": 100},
        }
    )
    base = baseline(_doc(), ctx)
    case = _case(base, one_off=2_050.0, run=0.0, context=ctx)
    assert case["benefit"] == {"low": 365.0, "expected": 730.0, "high": 3650.0}
    retention = case["retention"]
    assert retention is not None and retention["customers_affected"] == 10
    assert retention["break_even_customers"] == 21  # 2,050 / 100, rounded up: 20 would not cover it
    assert "cannot cover" in retention["sentence"]  # more customers than the breakdown touches
    cheap = _case(base, one_off=450.0, run=0.0, context=ctx)["retention"]
    assert cheap is not None and cheap["break_even_customers"] == 5
    assert cheap["sentence"].startswith("keeping 5 of the 10 customers it touches (50.0%)")
    moves = {m["metric"]: m for m in case["moves"]}
    assert moves["cost_to_serve"]["annual_change"] == -730.0
    assert moves["contacts"]["annual_change"] == -(20 * 36.5 * 0.2)
    assert moves["customer_days_waited"]["annual_change"] == -(5 * 36.5 * 0.2)
    assert "retention_value_at_risk" not in moves  # retention is never a benefit
    assert _case(base, one_off=0.0, run=0.0)["retention"] is None


def test_total_adds_up_and_pays_back_on_the_totals() -> None:
    base = baseline(_doc(avoidable=200.0), PlanContext())
    cases = [
        _case(base, one_off=3000.0, run=100.0, cost=60.0),
        _case(base, one_off=1000.0, run=0.0, cost=40.0),
    ]
    total = total_case(cases, base, PlanContext())
    assert total["initiatives"] == 2
    assert total["benefit"]["expected"] == pytest.approx(100 * 36.5 * 0.5)
    assert (total["one_off_cost"], total["run_cost"]) == (4000.0, 100.0)
    assert total["payback_months"] == pytest.approx(4000 / (1825 - 100) * 12, abs=0.05)
    assert not total["costs_are_placeholders"]
    assert total["realisation"] == {"low": 0.25, "expected": 0.5, "high": 0.75}
    empty = total_case([], base, PlanContext())
    assert empty["payback_months"] is None and empty["benefit"]["expected"] == 0.0
    assert isinstance(empty["one_off_cost"], float) and isinstance(base["annual_fixed_cost"], float)


def test_no_one_off_cost_pays_back_at_once() -> None:
    case = _case(baseline(_doc(), PlanContext()), one_off=0.0, run=0.0)
    assert case["payback_months"] == 0.0 and "at once" in case["payback"]


def test_simulated_benefits_stay_within_the_avoidable_cost(doc: Any) -> None:
    """Over a real diagnosis: low <= expected <= high, and all together never more than the avoidable cost."""
    for realisation in ({}, {"low": 0.9, "expected": 1.0, "high": 1.0}):
        ctx = PlanContext.from_dict({"business_case": {"realisation": realisation}})
        base = baseline(doc, ctx)
        assert base["currency"] == "EUR" and base["measure"] == "cost"
        assert 20 <= base["period_days"] <= 28 and base["annualisation"] == pytest.approx(
            365 / base["period_days"], rel=1e-3
        )
        cases = [
            initiative_case(
                b, cost_band="medium", one_off_cost=None, run_cost=None, baseline=base, context=ctx
            )
            for b in doc["breakdowns"]
        ]
        assert cases
        for c in cases:
            assert (
                c["benefit"]["low"]
                <= c["benefit"]["expected"]
                <= c["benefit"]["high"]
                <= c["annual_avoidable_cost"]
            )
            assert c["costs_are_placeholders"]
        total = total_case(cases, base, ctx)
        assert total["benefit"]["low"] <= total["benefit"]["expected"] <= total["benefit"]["high"]
        assert total["benefit"]["high"] <= sum(c["annual_avoidable_cost"] for c in cases) + 0.01
        assert total["benefit"]["expected"] <= base["annual_avoidable_cost"] + 0.01
        assert total["one_off_cost"] == len(cases) * BAND_COSTS["medium"][0]
        assert base["annual_cost_to_serve"] == base["annual_variable_cost"]
