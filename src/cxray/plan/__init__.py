"""The plan: from a diagnosis to a narrow, costed, owned roadmap a leadership team can act on (docs/plan.md).

Each ranked breakdown proposes one initiative from a catalogue of fixes (``initiatives``), placed in one of
four lanes and scored on four screens; the context file (``context``) says what people know that the data
cannot: owners, costs, dependencies, decisions. Then the cut rules and the five questions (``rules``), the
business case (``business_case``), execution readiness (``readiness``), waves (``waves``), a brief per
initiative (``brief``) and, when vendors are listed, their evaluation on scenarios from this diagnosis
(``vendors``). Without a context file the plan is a draft that says what it needs from people.

>>> from cxray.plan import LANES
>>> list(LANES)
['immediate', 'redesign', 'platform', 'policy']
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from typing_extensions import TypedDict

from .._version import __version__
from ..diagnosis import DiagnosisDocument
from ..errors import InputError
from .brief import BriefDoc, brief
from .business_case import BusinessCaseDoc, baseline, initiative_case, total_case
from .context import PlanContext, load_context
from .initiatives import LANES, InitiativeDoc, catalogue, propose
from .readiness import ReadinessDoc, readiness
from .rules import CUT_RULES, QUESTIONS, CutDoc, QuestionDoc, cut, questions
from .scenarios import ScenarioDoc, scenarios
from .vendors import VendorEvaluationDoc, evaluate_vendors
from .waves import DEFAULT_CAPACITY, WaveDoc, waves


class PlanDocument(TypedDict):
    """``plan.json`` (docs/plan.md)."""

    cxray_version: str
    currency: str
    #: True without a context file: every owner, cost and decision is still to be asked.
    draft: bool
    lanes: dict[str, str]
    weights: dict[str, Any]
    cut_rules: dict[str, str]
    questions: dict[str, str]
    capacity: int
    initiatives: list[InitiativeDoc]
    waves: list[WaveDoc]
    business_case: BusinessCaseDoc
    readiness: ReadinessDoc
    scenarios: list[ScenarioDoc]
    vendors: VendorEvaluationDoc | None
    needs_from_people: list[str]
    warnings: list[str]


def make_plan(doc: DiagnosisDocument, context: PlanContext | None = None) -> PlanDocument:
    """The plan of one diagnosis document (``Diagnosis.to_dict()`` or a ``diagnosis.json`` read back)."""
    context = context or PlanContext()
    currency = str(doc["breakdown_summary"].get("currency") or "")
    by_rank = {b["rank"]: b for b in doc["breakdowns"]}
    proposed, used = propose(doc, context)
    warnings = [
        f"context initiatives[{i}] (match {entry.match.given()}) matches no initiative of this plan"
        for i, entry in enumerate(context.initiatives)
        if i not in used
    ]
    base = baseline(doc, context)
    ready = readiness(doc, context)
    definitions = doc["metrics"]["definitions"]
    for i in proposed:
        b = by_rank[i["breakdown_rank"]]
        i["questions"] = questions(i, definitions)
        i["concept"] = any(q["answer"] is None for q in i["questions"])
        i["cut"] = cut(i, i["questions"], context)
        i["status"] = "cut" if i["cut"] else "roadmap"
        i["case"] = initiative_case(
            b,
            cost_band=i["cost_band"],
            one_off_cost=i["one_off_cost"],
            run_cost=i["run_cost"],
            baseline=base,
            context=context,
        )
    roadmap = [i for i in proposed if i["status"] == "roadmap"]
    capacity = context.organisation.change_capacity or DEFAULT_CAPACITY
    schedule = waves(roadmap, capacity=capacity, cut={i["id"] for i in proposed if i["cut"]})
    warnings += schedule.warnings
    for i in proposed:
        i["wave"] = schedule.wave_of.get(i["id"])
        i["waits"] = schedule.waits.get(i["id"])
        i["brief"] = brief(i, by_rank[i["breakdown_rank"]], currency, ready["risks"])
    found = scenarios([(i["id"], by_rank[i["breakdown_rank"]]) for i in roadmap], base["annualisation"])
    return {
        "cxray_version": __version__,
        "currency": currency,
        "draft": not context.given,
        "lanes": dict(LANES),
        "weights": dict(vars(context.weights)),
        "cut_rules": dict(CUT_RULES),
        "questions": dict(QUESTIONS),
        "capacity": capacity,
        "initiatives": cast("list[InitiativeDoc]", proposed),
        "waves": schedule.waves,
        "business_case": total_case([i["case"] for i in roadmap], base, context),
        "readiness": ready,
        "scenarios": found,
        "vendors": evaluate_vendors(context.vendors, found, context.weights.vendor_areas),
        "needs_from_people": needs_from_people(proposed, ready, context),
        "warnings": warnings,
    }


def needs_from_people(proposed: list[dict[str, Any]], ready: ReadinessDoc, context: PlanContext) -> list[str]:
    """What the plan still needs from people, one line per open question or unknown, most general first."""
    needs = []
    if not context.given:
        needs.append("a context file (docs/plan.md): owners, costs, dependencies, decisions, change capacity")
    for item in ready["organisation"]:
        if item["status"] == "unknown":
            needs.append(f"readiness: {item['label']}")
    for i in proposed:
        if i["status"] == "cut":
            continue
        for q in i["questions"]:
            if q["needs"]:
                needs.append(f"{i['id']}: {q['needs']}")
        if i["case"]["costs_are_placeholders"]:
            needs.append(
                f"{i['id']}: one-off and run costs (the catalogue's {i['cost_band']} band is a placeholder)"
            )
    return needs


def read_diagnosis(path: str | Path) -> DiagnosisDocument:
    """A ``diagnosis.json`` written by ``cxray diagnose``; InputError when it is not one."""
    p = Path(path)
    try:
        data: Any = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read the diagnosis: {exc}", path=p) from None
    needed = ("breakdowns", "breakdown_summary", "metrics", "data_quality", "input")
    missing = [k for k in needed if not isinstance(data, dict) or k not in data]
    if missing:
        raise InputError(f"not a diagnosis.json (no {', '.join(missing)})", path=p)
    doc: DiagnosisDocument = data
    return doc


__all__ = [
    "CUT_RULES",
    "LANES",
    "QUESTIONS",
    "BriefDoc",
    "CutDoc",
    "InitiativeDoc",
    "PlanContext",
    "PlanDocument",
    "QuestionDoc",
    "catalogue",
    "load_context",
    "make_plan",
    "read_diagnosis",
]
