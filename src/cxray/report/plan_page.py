"""The plan as a page: ``plan.html``, one self-contained printable file for a leadership team.

``render_plan_html(plan)`` renders ``templates/plan.html.j2`` with the report's Jinja2 environment
(autoescape, StrictUndefined), so every value from the data or the context file (owner, queue and vendor
names) is escaped. The page has no script and no link outside itself; its Content-Security-Policy allows
neither, and it prints on A4. What it shows is :func:`plan_view`'s arrangement of ``plan.json``; the
report's own plan section (``templates/section-plan.html.j2``) reads the same view.

>>> plan_view({"initiatives": [], "waves": [], "business_case": {"baseline": {"measure": "minutes",
...     "currency": ""}}})["unit"]
'minutes'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..plan import InitiativeDoc, PlanDocument

#: The page's sections, in order: anchor and navigation label (``vendors`` only when vendors were listed).
PLAN_SECTIONS: tuple[tuple[str, str], ...] = (
    ("roadmap", "Roadmap"),
    ("initiatives", "Initiatives"),
    ("cut", "Off the roadmap"),
    ("business-case", "Business case"),
    ("readiness", "Readiness"),
    ("vendors", "Vendors"),
    ("scenarios", "Scenarios"),
    ("needs", "Needs from people"),
    ("warnings", "Warnings"),
)
#: The four screens, in the order the initiatives table shows them.
SCREENS: tuple[tuple[str, str], ...] = (
    ("customer_effect", "Customer effect"),
    ("operational_effect", "Operational effect"),
    ("delivery_complexity", "Delivery complexity"),
    ("dependency_risk", "Dependency risk"),
)


def plan_view(plan: Mapping[str, Any]) -> dict[str, Any]:
    """What the plan page and the report's plan section show, arranged: the document (``doc``), its waves
    with their initiatives, the roadmap initiatives never scheduled (``blocked``), the cut ones, and the
    unit of the benefits (the currency, or minutes or contacts when the log was not priced)."""
    initiatives: list[InitiativeDoc] = list(plan["initiatives"])
    by_id = {i["id"]: i for i in initiatives}
    roadmap = [i for i in initiatives if i.get("status") != "cut"]
    base = plan["business_case"]["baseline"]
    unit = base["currency"] if base["measure"] == "cost" else base["measure"]
    vendors = plan.get("vendors")
    return {
        "doc": plan,
        "waves": [
            {"wave": w["wave"], "initiatives": [by_id[x] for x in w["initiatives"] if x in by_id]}
            for w in plan["waves"]
        ],
        "roadmap": roadmap,
        "blocked": [i for i in roadmap if i.get("wave") is None],
        "cut": [i for i in initiatives if i.get("status") == "cut"],
        "unit": unit or "",
        "sections": [(k, label) for k, label in PLAN_SECTIONS if k != "vendors" or vendors],
        "screens": SCREENS,
    }


def render_plan_html(plan: PlanDocument) -> str:
    """``plan.html``: the plan (``cxray.plan.make_plan``) as one self-contained, printable page."""
    # The report's environment: html.py imports the report's sections, which read this module's view.
    from .html import _env

    return _env.get_template("plan.html.j2").render(pv=plan_view(plan), p=plan)


__all__ = ["PLAN_SECTIONS", "SCREENS", "plan_view", "render_plan_html"]
