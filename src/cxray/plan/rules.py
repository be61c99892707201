"""What keeps an initiative off the roadmap, and what it must answer to be more than a concept.

**The five questions** (docs/plan.md): which journey or contact reason; which operating defect it removes;
which business metric should move; which teams approve and deliver; how success is measured beyond
CSAT/NPS. The diagnosis answers the first three where it can; people answer the owner and the target. An
initiative that cannot answer all five is *still a concept*: on the roadmap, marked.

**The cut rules**, each a fact someone declared, never a guess: an initiative comes off the roadmap (not
"deferred") when

- ``owner``: it has no named owner outside the CX function, once the context names owners at all (a context
  without ``initiatives`` is a draft, and its owners are asked for instead);
- ``policy``: it depends on a policy decision not yet taken (``policy_decided: false``);
- ``vague-ai``: it is an AI use case (``ai_use_case: true``) that cannot answer the five questions;
- ``platform``: it is a platform purchase that has not passed workflow validation (``platform_validated:
  false``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from typing_extensions import TypedDict

from .context import PlanContext
from .initiatives import describe_where

CutRule = Literal["owner", "policy", "vague-ai", "platform"]
#: Each cut rule in the words shown beside a cut initiative.
CUT_RULES: Final[dict[str, str]] = {
    "owner": "no named owner outside the CX function",
    "policy": "depends on an undefined policy decision",
    "vague-ai": "a vague AI use case",
    "platform": "a platform purchase that has not passed workflow validation",
}
#: The five questions, by key, in the method's order.
QUESTIONS: Final[dict[str, str]] = {
    "journey": "Which journey or contact reason does it change?",
    "defect": "Which operating defect does it remove?",
    "metric": "Which business metric should move?",
    "teams": "Which teams approve and deliver it?",
    "measure": "How is success measured beyond CSAT/NPS?",
}


class CutDoc(TypedDict):
    rule: CutRule
    label: str
    reason: str


class QuestionDoc(TypedDict):
    key: str
    question: str
    answer: str | None
    #: What would answer it, when nothing does yet.
    needs: str | None


def questions(initiative: Mapping[str, Any], definitions: Mapping[str, str]) -> list[QuestionDoc]:
    """The five questions, answered from the initiative (the diagnosis and the context) where they can be."""
    where = initiative["where"]
    metric = initiative["business_metric"]
    measure = initiative["success_measure"]
    out: list[QuestionDoc] = []

    def ask(key: str, answer: str | None, needs: str) -> None:
        out.append(
            {"key": key, "question": QUESTIONS[key], "answer": answer, "needs": None if answer else needs}
        )

    journey = describe_where(where)
    ask(
        "journey",
        journey or None,
        "a process-wide breakdown: name the journey or contact reason to start with",
    )
    ask("defect", initiative["title"], "")
    moved = None
    if metric["value"] is not None:
        moved = f"{metric['metric']} ({metric['direction']}; now {metric['value']:g}): {metric['definition']}"
    ask(
        "metric",
        moved,
        f"{metric['metric']} cannot be computed from this log: name the metric that should move",
    )
    teams = None
    if initiative["owner"]:
        function = f" ({initiative['owner_function']})" if initiative["owner_function"] else ""
        approvals = ", ".join(initiative["approvals"]) or "none declared"
        teams = f"delivered by {initiative['owner']}{function}; approved by {approvals}"
    ask("teams", teams, "name the owner and the function they sit in (context: initiatives[].owner)")
    success = None
    if measure["baseline"] is not None and measure["target"] is not None:
        success = (
            f"{measure['label']} ({measure['scope']}) from {measure['baseline']:g} to {measure['target']:g}"
            + (" (the peer baseline)" if measure["target_source"] == "peer baseline" else "")
        )
    ask(
        "measure",
        success,
        f"set a target for {measure['label']} (now {measure['baseline']:g}; context: initiatives[].target)"
        if measure["baseline"] is not None
        else f"a measure this log can compute, with a baseline and a target (no {measure['measure']} here)",
    )
    return out


def cut(initiative: Mapping[str, Any], questions: list[QuestionDoc], context: PlanContext) -> CutDoc | None:
    """The first cut rule the initiative breaks, with the facts that break it; None when it stays."""

    def rule(name: CutRule, reason: str) -> CutDoc:
        return {"rule": name, "label": CUT_RULES[name], "reason": reason}

    owner, function = initiative["owner"], initiative["owner_function"]
    if context.initiatives and not owner:
        return rule("owner", "the context names no owner for it")
    cx = {f.casefold() for f in context.organisation.cx_functions}
    if owner and function and function.casefold() in cx:
        return rule("owner", f"owned by {owner} in {function}, inside the CX function")
    if initiative["policy_decided"] is False:
        return rule("policy", "it waits on a policy decision not yet taken (policy_decided: false)")
    unanswered = [q["key"] for q in questions if q["answer"] is None]
    if initiative["ai_use_case"] and unanswered:
        return rule("vague-ai", f"an AI use case that cannot answer: {', '.join(unanswered)}")
    if initiative["platform_validated"] is False:
        return rule("platform", "the platform has not passed workflow validation (platform_validated: false)")
    return None


__all__ = ["CUT_RULES", "QUESTIONS", "CutDoc", "CutRule", "QuestionDoc", "cut", "questions"]
