"""The business case: what each initiative is worth a year, what it costs, and when it pays back.

The diagnosis covers a period (weeks, usually); a leadership team decides on years. Every number of the
period is scaled to a year by ``365 / period days`` (``annualisation``), the period running from the first
event to the end of what was analysed (``data_quality.period``).

- The **baseline** is the operation as it runs: contacts, the variable cost the log prices, the fixed costs
  the context file adds (BPO, technology, leadership...), and the avoidable work the breakdowns found.
- An initiative's **benefit** is its breakdown's avoidable work a year times the share of it the initiative
  removes (``business_case.realisation`` in the context: low, expected, high, each at most 1). The
  breakdowns are de-duplicated, so the benefits add up and never exceed the avoidable work found.
- Its **costs** are the context file's one-off and yearly run costs; where the context is silent, the
  catalogue band's placeholder (:data:`BAND_COSTS`), flagged as such, so a draft never passes for a quote.
- **Payback** = one-off cost / (expected benefit - run cost) x 12 months, only when both are money.

Benefits are in the unit of the diagnosis' ``measure``: money when the log was priced, else handled minutes
(or contacts), which no cost in money can be set against.

>>> case = initiative_case(
...     {"avoidable_cost": 1000.0, "avoidable_contacts": 50.0, "customer_days_waited": 0.0,
...      "avoidable_minutes": 900.0, "customers_affected": 20},
...     cost_band="medium", one_off_cost=12_000.0, run_cost=2_000.0,
...     baseline={"measure": "cost", "currency": "EUR", "annualisation": 10.0},
...     context=PlanContext(),
... )
>>> case["benefit"], case["payback_months"], case["payback"]
({'low': 2500.0, 'expected': 5000.0, 'high': 7500.0}, 48.0, 'pays back in 48.0 months (expected)')
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Final, cast

from typing_extensions import TypedDict

from ..diagnosis import DiagnosisDocument
from ..findings.finder import BreakdownDoc
from .context import PlanContext

#: Placeholder (one-off, yearly run) cost per catalogue band, in the diagnosis currency: a typical point
#: inside each band (small < 25k, medium 25k-150k, large > 150k one-off), used only until a context file
#: gives the real figures. Never a quote: every case built on one says ``costs_are_placeholders``.
BAND_COSTS: Final[dict[str, tuple[float, float]]] = {
    "small": (15_000.0, 3_000.0),
    "medium": (75_000.0, 15_000.0),
    "large": (250_000.0, 50_000.0),
}
# The breakdown field holding the avoidable work in each measure's unit.
_WORK: Final = {"cost": "avoidable_cost", "minutes": "avoidable_minutes", "contacts": "avoidable_contacts"}
_TOTAL_WORK: Final = {
    "cost": "total_avoidable_cost",
    "minutes": "total_avoidable_minutes",
    "contacts": "total_avoidable_contacts",
}


class Range(TypedDict):
    low: float
    expected: float
    high: float


class BaselineDoc(TypedDict):
    """The operation as it runs, a year: what the initiatives' benefits are a share of."""

    currency: str  # "" when the diagnosis measured minutes or contacts, not money
    measure: str  # cost, minutes or contacts: the unit of the avoidable work and the benefits
    period_days: float
    annualisation: float  # 365 / period_days
    contacts: int
    annual_contacts: float
    cost_per_contact: float | None
    cost_per_resolution: float | None
    variable_cost: float | None  # priced handled work in the period
    annual_variable_cost: float | None
    fixed_costs: dict[str, float]  # yearly, from the context file
    annual_fixed_cost: float
    annual_cost_to_serve: float | None  # variable + fixed
    full_cost_per_contact: float | None  # cost to serve / contacts, fixed costs included
    annual_avoidable_cost: float  # in the unit of ``measure``
    annual_avoidable_contacts: float


class MoveDoc(TypedDict):
    """A metric the initiative moves a year, at the expected realisation (negative: it falls)."""

    metric: str
    label: str
    annual_change: float
    unit: str


class RetentionDoc(TypedDict):
    """Retention, where the context values a retained customer: never counted in ``benefit``, since how
    many customers a breakdown drives away is not in the log. Instead, the break-even: how many of the
    customers it touches must stay (who would have left) for retention alone to cover the one-off cost."""

    customers_affected: int
    value_per_customer: float
    break_even_customers: int | None
    sentence: str


class InitiativeCaseDoc(TypedDict):
    """One initiative's case."""

    annual_avoidable_cost: float  # in the unit of the baseline's ``measure``
    benefit: Range  # a year
    one_off_cost: float | None
    run_cost: float | None  # a year
    costs_are_placeholders: bool
    cost_source: str
    payback_months: float | None
    payback: str
    moves: list[MoveDoc]
    retention: RetentionDoc | None


class BusinessCaseDoc(TypedDict):
    """The case of all the initiatives given, together."""

    baseline: BaselineDoc
    realisation: Range
    benefit: Range
    one_off_cost: float
    run_cost: float
    costs_are_placeholders: bool
    payback_months: float | None
    payback: str
    initiatives: int


def baseline(doc: DiagnosisDocument, context: PlanContext) -> BaselineDoc:
    """The yearly baseline of one diagnosis, with the context's fixed costs added to the cost to serve."""
    summary: Any = doc.get("breakdown_summary") or {}
    overall: dict[str, Any] = doc.get("metrics", {}).get("overall", {})
    measure = str(summary.get("measure") or "cost")
    money = measure == "cost"
    days = _period_days(doc)
    factor = round(365 / days, 4)
    contacts = int(overall.get("contacts") or summary.get("contacts") or 0)
    variable = _num(overall.get("cost_total")) if money else None
    fixed = dict(context.organisation.fixed_costs)
    annual_fixed = round(float(sum(fixed.values())), 2)
    annual_variable = None if variable is None else round(variable * factor, 2)
    to_serve = None if annual_variable is None else round(annual_variable + annual_fixed, 2)
    annual_contacts = round(contacts * factor, 1)
    return {
        "currency": str(summary.get("currency") or "") if money else "",
        "measure": measure,
        "period_days": days,
        "annualisation": factor,
        "contacts": contacts,
        "annual_contacts": annual_contacts,
        "cost_per_contact": _num(overall.get("cost_per_contact")) if money else None,
        "cost_per_resolution": _num(overall.get("cost_per_resolved_journey")) if money else None,
        "variable_cost": variable,
        "annual_variable_cost": annual_variable,
        "fixed_costs": fixed,
        "annual_fixed_cost": annual_fixed,
        "annual_cost_to_serve": to_serve,
        "full_cost_per_contact": (
            round(to_serve / annual_contacts, 2) if to_serve is not None and annual_contacts else None
        ),
        "annual_avoidable_cost": round(float(summary.get(_TOTAL_WORK.get(measure, ""), 0.0)) * factor, 2),
        "annual_avoidable_contacts": round(float(summary.get("total_avoidable_contacts", 0.0)) * factor, 1),
    }


def initiative_case(
    breakdown: BreakdownDoc,
    *,
    cost_band: str,
    one_off_cost: float | None,
    run_cost: float | None,
    baseline: BaselineDoc,
    context: PlanContext,
) -> InitiativeCaseDoc:
    """The case of the initiative fixing ``breakdown``; ``one_off_cost``/``run_cost`` are the context's
    (None: the band's placeholder)."""
    measure = baseline["measure"]
    factor = baseline["annualisation"]
    r = context.business_case.realisation
    annual = round(_field(breakdown, _WORK.get(measure, "avoidable_cost")) * factor, 2)
    benefit: Range = {
        "low": round(annual * r.low, 2),
        "expected": round(annual * r.expected, 2),
        "high": round(annual * r.high, 2),
    }
    band = BAND_COSTS.get(cost_band)
    guessed = [k for k, v in (("one-off", one_off_cost), ("run", run_cost)) if v is None]
    placeholder = bool(guessed) and band is not None
    if band is not None:
        one_off_cost = band[0] if one_off_cost is None else one_off_cost
        run_cost = band[1] if run_cost is None else run_cost
    if not guessed:
        source = "context"
    elif band is None:
        source = f"unknown: no placeholder for band {cost_band!r}"
    elif len(guessed) == 2:
        source = f"catalogue band {cost_band!r} (placeholder)"
    else:
        source = f"context, {guessed[0]} cost from catalogue band {cost_band!r} (placeholder)"
    months, sentence = _payback(one_off_cost, run_cost, benefit["expected"], baseline)
    if placeholder and months is not None:
        sentence += "; costs are placeholders"
    value = context.organisation.value_per_retained_customer
    customers = int(_field(breakdown, "customers_affected"))
    retention = None if value is None else _retention(customers, value, one_off_cost)
    return {
        "annual_avoidable_cost": annual,
        "benefit": benefit,
        "one_off_cost": one_off_cost,
        "run_cost": run_cost,
        "costs_are_placeholders": placeholder,
        "cost_source": source,
        "payback_months": months,
        "payback": sentence,
        "moves": _moves(breakdown, benefit["expected"], baseline, r.expected),
        "retention": retention,
    }


def total_case(
    cases: list[InitiativeCaseDoc], baseline: BaselineDoc, context: PlanContext
) -> BusinessCaseDoc:
    """All the initiatives together: benefits and costs add up (their breakdowns do not overlap)."""
    r = context.business_case.realisation
    benefit: Range = {
        "low": round(float(sum(c["benefit"]["low"] for c in cases)), 2),
        "expected": round(float(sum(c["benefit"]["expected"] for c in cases)), 2),
        "high": round(float(sum(c["benefit"]["high"] for c in cases)), 2),
    }
    unknown = sum(1 for c in cases if c["one_off_cost"] is None or c["run_cost"] is None)
    one_off = round(float(sum(c["one_off_cost"] or 0.0 for c in cases)), 2)
    run = round(float(sum(c["run_cost"] or 0.0 for c in cases)), 2)
    placeholder = any(c["costs_are_placeholders"] for c in cases)
    if not cases:
        months, sentence = None, "no initiatives: nothing to pay back"
    elif unknown:
        months, sentence = None, f"no payback: the costs of {unknown} initiative(s) are unknown"
    else:
        months, sentence = _payback(one_off, run, benefit["expected"], baseline)
        if placeholder and months is not None:
            every = all(c["costs_are_placeholders"] for c in cases)
            sentence += "; costs are placeholders" if every else "; costs are partly placeholders"
    return {
        "baseline": baseline,
        "realisation": {"low": r.low, "expected": r.expected, "high": r.high},
        "benefit": benefit,
        "one_off_cost": one_off,
        "run_cost": run,
        "costs_are_placeholders": placeholder,
        "payback_months": months,
        "payback": sentence,
        "initiatives": len(cases),
    }


def _payback(
    one_off: float | None, run: float | None, expected: float, base: BaselineDoc
) -> tuple[float | None, str]:
    if base["measure"] != "cost":
        return None, (
            f"no payback: the benefits are in {base['measure']}, the costs in money; "
            "price the handled work (docs/costs.md) to compare them"
        )
    if one_off is None or run is None:
        return None, "no payback: the costs are unknown"
    unit = f" {base['currency']}" if base["currency"] else ""
    net = expected - run
    if net <= 0:
        return None, (
            f"never pays back at the expected realisation: the run cost ({run:,.0f}{unit} a year) is at "
            f"least the expected benefit ({expected:,.0f}{unit} a year)"
        )
    if not one_off:
        return 0.0, "pays back at once: no one-off cost"
    months = round(one_off / net * 12, 1)
    return months, f"pays back in {months:.1f} months (expected)"


def _retention(customers: int, value: float, one_off: float | None) -> RetentionDoc:
    """How many affected customers must stay for retention alone to cover the one-off cost."""
    if one_off is None or value <= 0:
        need, sentence = None, "the one-off cost is unknown: no break-even on retention"
    else:
        need = math.ceil(one_off / value)
        if need > customers:
            sentence = (
                f"retention alone cannot cover its one-off cost: that takes {need:,} customers kept, more "
                f"than the {customers:,} it touches"
            )
        else:
            sentence = (
                f"keeping {need:,} of the {customers:,} customers it touches ({need / customers:.1%}), who "
                f"would otherwise leave, covers its one-off cost on retention alone"
            )
    return {
        "customers_affected": customers,
        "value_per_customer": value,
        "break_even_customers": need,
        "sentence": sentence,
    }


def _moves(b: BreakdownDoc, expected: float, base: BaselineDoc, share: float) -> list[MoveDoc]:
    factor, money = base["annualisation"], base["measure"] == "cost"
    contacts = round(_field(b, "avoidable_contacts") * factor * share, 1)
    days = round(_field(b, "customer_days_waited") * factor * share, 1)
    rows: list[tuple[str, str, float, str]] = [
        ("contacts", "contacts avoided a year", contacts, "contacts"),
        ("customer_days_waited", "customer-days waited beyond the baseline", days, "customer-days"),
    ]
    if base["measure"] in ("cost", "minutes"):
        metric, label = (
            ("cost_to_serve", "cost to serve") if money else ("handled_minutes", "handled minutes")
        )
        rows.insert(1, (metric, f"{label} a year", expected, base["currency"] if money else "minutes"))
    return [
        {"metric": metric, "label": label, "annual_change": -amount, "unit": unit}
        for metric, label, amount, unit in rows
        if amount
    ]


def _period_days(doc: DiagnosisDocument) -> float:
    """Days from the first event to the end of the analysed data (at least 1, so a day's log is a day)."""
    period: Any = doc.get("data_quality", {}).get("period") or {}
    inp: Any = doc.get("input") or {}
    start = _when(period.get("data_start")) or _when(inp.get("time_start"))
    end = _when(period.get("analysed_end")) or _when(period.get("data_end")) or _when(inp.get("time_end"))
    if start is None or end is None:
        return 1.0
    if (start.tzinfo is None) != (end.tzinfo is None):
        start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    return max(1.0, round((end - start).total_seconds() / 86400, 3))


def _when(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def _field(b: BreakdownDoc, key: str) -> float:
    return float(cast("dict[str, Any]", b).get(key) or 0.0)


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


__all__ = [
    "BAND_COSTS",
    "BaselineDoc",
    "BusinessCaseDoc",
    "InitiativeCaseDoc",
    "MoveDoc",
    "Range",
    "RetentionDoc",
    "baseline",
    "initiative_case",
    "total_case",
]
