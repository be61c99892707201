"""One-page Markdown briefs: what a sponsor reads and signs for one initiative (``briefs/<id>.md``).

Every field of the plan's brief (:class:`cxray.plan.BriefDoc`) under its own heading, then the lane, owner
and wave, the initiative's business case and the five questions, answered or saying what would answer
them. Text from the data or the context file (queue, owner and system names) goes through :func:`md`, so
a name can neither open raw HTML nor start a heading, list or table of its own.

>>> md("<b>Refunds & co</b> *1*")
'&lt;b&gt;Refunds &amp; co&lt;/b&gt; \\\\*1\\\\*'
>>> brief_filename("BO01-refunds-bo"), brief_filename("../../etc/passwd"), brief_filename("")
('BO01-refunds-bo.md', 'etc-passwd.md', 'initiative.md')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..plan import InitiativeDoc, PlanDocument

TO_BE_SET = "to be set"
# Characters Markdown reads as markup inline: escapes, code, emphasis, links and images, table cells. (An
# underscore inside a word is not emphasis, and metric names are full of them: left as they are.)
_INLINE = re.compile(r"([\\`*\[\]|])")
# What would start a block of its own at the beginning of a line (or of a list item's text).
_BLOCK_START = re.compile(r"^(\s*)([#+=~-]|\d+[.)])")


def md(text: Any) -> str:
    """``text`` as literal Markdown text on one line: HTML characters as entities, markup escaped."""
    s = " ".join(str(text).split())
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _INLINE.sub(r"\\\1", s)
    return _BLOCK_START.sub(lambda m: m[1] + "\\" + m[2], s)


def brief_filename(initiative_id: str) -> str:
    """A safe file name for an initiative's brief: ``<id>.md``, the id reduced to letters, digits, ``.``,
    ``_`` and ``-`` (never a path, never hidden)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", initiative_id).strip("-.")
    slug = re.sub(r"\.{2,}", ".", slug)
    return f"{slug or 'initiative'}.md"


def _number(value: float | None) -> str:
    return TO_BE_SET if value is None else f"{value:g}"


def _money(value: float | None) -> str:
    if value is None:
        return "unknown"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def _bullets(items: Iterable[Any], empty: str) -> list[str]:
    lines = [f"- {md(x)}" for x in items]
    return lines or [f"- {empty}"]


def brief_markdown(initiative: InitiativeDoc, plan: PlanDocument) -> str:
    """The brief of one initiative of ``plan`` (``cxray.plan.make_plan``), as Markdown."""
    i = initiative
    b = i["brief"]
    m = b["success_measure"]
    c = i["case"]
    base = plan["business_case"]["baseline"]
    unit = md(base["currency"] if base["measure"] == "cost" else base["measure"])
    money = f" {md(plan['currency'])}" if plan["currency"] else ""
    out = [f"# {md(i['id'])}: {md(i['fix'])}", ""]
    if plan["draft"]:
        out += ["> **Draft:** no context file was given; owners, costs and decisions are still to be asked."]
        out.append("")
    if i["cut"]:
        cut = i["cut"]
        out += [f"> **Off the roadmap** ({md(cut['rule'])}): {md(cut['label'])}. {md(cut['reason'])}.", ""]
    owner = md(i["owner"]) if i["owner"] else "**owner needed**"
    if i["owner"] and i["owner_function"]:
        owner += f" ({md(i['owner_function'])})"
    wave = f"wave {i['wave']}" if i["wave"] is not None else "not scheduled"
    if i["waits"]:
        wave += f" ({md(i['waits'])})"
    out += [
        f"- **Lane:** {md(i['lane_label'])}",
        f"- **Owner:** {owner}",
        f"- **Wave:** {wave}",
        f"- **Priority:** {i['priority']:g} ({', '.join(_screens(i))})",
    ]
    if i["concept"]:
        out.append("- **Still a concept:** it cannot yet answer all five questions (below).")
    out += ["", "## Current-state defect", "", md(b["defect"]), "", "### Evidence", ""]
    out += _bullets(b["evidence"], "none recorded")
    out += ["", "## Target workflow", "", md(b["target_workflow"]), "", "## Impacted systems", ""]
    out += _bullets(b["systems"], "none declared")
    out += ["", "## Required approvals", ""]
    out += _bullets(b["approvals"], "none declared")
    out += ["", "## Dependencies", ""]
    out += _bullets(b["dependencies"], "none")
    out += ["", "## Delivery risks", ""]
    out += _bullets(b["delivery_risks"], "none identified")
    target = _number(m["target"])
    if m["target"] is not None and m["target_source"]:
        target += f" ({md(m['target_source'])})"
    bm = i["business_metric"]
    now = f", {_number(bm['value'])} overall" if bm["value"] is not None else ", not computable from this log"
    out += [
        "",
        "## Success measure",
        "",
        f"- **Measure:** {md(m['label'])} (`{m['measure']}`, {m['direction']}), {md(m['scope'])}",
        f"- **Owner:** {md(m['owner']) if m['owner'] else TO_BE_SET}",
        f"- **Baseline:** {_number(m['baseline'])}",
        f"- **Target:** {target}",
        f"- **Business metric that should move:** `{bm['metric']}` ({bm['direction']}){now}"
        + (f": {md(bm['definition'])}" if bm["definition"] else ""),
        "",
        "## Business case",
        "",
        f"- **Benefit a year ({unit}):** low {_money(c['benefit']['low'])}, expected "
        f"{_money(c['benefit']['expected'])}, high {_money(c['benefit']['high'])}",
        f"- **One-off cost:** {_money(c['one_off_cost'])}{money}",
        f"- **Run cost a year:** {_money(c['run_cost'])}{money}",
        f"- **Costs from:** {md(c['cost_source'])}"
        + (" — **placeholders, not a quote**" if c["costs_are_placeholders"] else ""),
        f"- **Payback:** {md(c['payback'])}",
    ]
    for move in c["moves"]:
        out.append(f"- {md(move['label'])}: {move['annual_change']:+,.0f} {md(move['unit'])}")
    if c["retention"]:
        out.append(f"- **Retention (not in the benefit):** {md(c['retention']['sentence'])}")
    out += ["", "## The five questions", ""]
    for n, q in enumerate(i["questions"], 1):
        answer = md(q["answer"]) if q["answer"] else f"*unanswered:* {md(q['needs'] or '')}"
        out.append(f"{n}. **{md(q['question'])}** {answer}")
    version = _INLINE.sub(r"\\\1", str(plan["cxray_version"]))  # inline markup only: it starts with a digit
    out += ["", f"*cxray {version}: the whole plan is in plan.json and plan.html.*", ""]
    return "\n".join(out)


def _screens(i: InitiativeDoc) -> list[str]:
    screens = (i["customer_effect"], i["operational_effect"], i["delivery_complexity"], i["dependency_risk"])
    names = ("customer effect", "operational effect", "delivery complexity", "dependency risk")
    return [f"{n} {s['score']}/5" for n, s in zip(names, screens, strict=True)]


__all__ = ["TO_BE_SET", "brief_filename", "brief_markdown", "md"]
