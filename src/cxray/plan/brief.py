"""The one-page brief of an initiative on the roadmap: what a sponsor signs, in the method's fields.

Current-state defect with its evidence from the diagnosis, target workflow, impacted systems, required
approvals, dependencies, delivery risks, and the success measure with owner, baseline and target. The
brief is data here (in ``plan.json``); ``cxray.report.briefs`` writes it as ``briefs/<id>.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from typing_extensions import TypedDict

from ..findings.finder import BreakdownDoc
from .initiatives import MeasureDoc

# Evidence keys that are bookkeeping, not numbers a sponsor reads.
_SKIP = {"examples", "gross_avoidable", "flow", "merged_into", "baseline", "currency"}


class BriefDoc(TypedDict):
    defect: str
    evidence: list[str]
    target_workflow: str
    systems: list[str]
    approvals: list[str]
    dependencies: list[str]
    delivery_risks: list[str]
    success_measure: MeasureDoc


def evidence_lines(b: BreakdownDoc, currency: str) -> list[str]:
    """The breakdown's size and its detector's own numbers, one line each (scalars only)."""
    money = f" {currency}" if currency else ""
    lines = [
        f"{b['contacts_affected']:,} contacts affected ({b['customers_affected']:,} customers)",
        f"avoidable: {b['avoidable_contacts']:,.0f} contacts, {b['avoidable_minutes']:,.0f} minutes, "
        f"{b['avoidable_cost']:,.2f}{money} in the period",
    ]
    if b["customer_days_waited"]:
        lines.append(f"{b['customer_days_waited']:,.0f} customer-days waited beyond the baseline")
    baseline = b["evidence"].get("baseline")
    for key, value in b["evidence"].items():
        if key in _SKIP or isinstance(value, (dict, list)) or value is None:
            continue
        lines.append(
            f"{key.replace('_', ' ')}: {value:,.4g}" if isinstance(value, float) else f"{key}: {value}"
        )
    if isinstance(baseline, str):
        lines.append(f"compared with: {baseline}")
    if b["hidden_by_kpi"]:
        lines.append(f"why the dashboards miss it: {b['hidden_by_kpi']}")
    return lines


def brief(initiative: Mapping[str, Any], b: BreakdownDoc, currency: str, risks: list[str]) -> BriefDoc:
    """The brief of one initiative; ``risks`` are the plan-wide readiness risks that bear on every one."""
    delivery_risks = [
        f"{name.replace('_', ' ')} {initiative[name]['score']}/5: {initiative[name]['reason']}"
        for name in ("delivery_complexity", "dependency_risk")
        if initiative[name]["score"] >= 4
    ]
    delivery_risks += [
        f"open question: {q['question']} ({q['needs']})" for q in initiative["questions"] if q["needs"]
    ]
    if initiative["case"]["costs_are_placeholders"]:
        delivery_risks.append("costs are the catalogue's placeholder band until the owner estimates them")
    delivery_risks += risks
    return {
        "defect": b["title"] + (f" (cause: {b['cause']})" if b["cause"] != b["title"] else ""),
        "evidence": evidence_lines(b, currency),
        "target_workflow": initiative["target_workflow"],
        "systems": list(initiative["systems"]),
        "approvals": list(initiative["approvals"]),
        "dependencies": list(initiative["depends_on"]),
        "delivery_risks": delivery_risks,
        "success_measure": initiative["success_measure"],
    }


__all__ = ["BriefDoc", "brief", "evidence_lines"]
