"""The plan's renderers: ``plan.html``, the Markdown briefs and the report's optional plan section, on a plan
built from a simulated diagnosis with a context file full of hostile names."""

from __future__ import annotations

import copy
import html as htmllib
import re
from typing import Any

import pytest

from cxray import diagnose
from cxray.plan import PlanContext, PlanDocument, make_plan
from cxray.report import render_html
from cxray.report.briefs import brief_filename, brief_markdown, md
from cxray.report.plan_page import render_plan_html
from cxray.report.sections import SECTIONS
from cxray.simulate import load_scenario, simulate

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
HOSTILE = (SCRIPT, IMG)
BO = "BO01-refunds-bo"
BRIEF_HEADINGS = (
    "## Current-state defect",
    "### Evidence",
    "## Target workflow",
    "## Impacted systems",
    "## Required approvals",
    "## Dependencies",
    "## Delivery risks",
    "## Success measure",
)


def context(**extra: Any) -> PlanContext:
    """Owners for every initiative of the default centre; TR01 owned inside CX (cut by the owner rule),
    CL01 waiting on a policy decision (cut by the policy rule); hostile names for an owner and vendors."""
    return PlanContext.from_dict(
        {
            "organisation": {
                "cx_functions": ["Customer Service"],
                "fixed_costs": {"BPO": 120000, "technology": 40000, IMG: 1},
                "change_capacity": 2,
            },
            "initiatives": [
                {"match": {"code": "IN01"}, "owner": "Head of Partners", "owner_function": "Procurement"},
                {
                    "match": {"id": BO},
                    "owner": SCRIPT,
                    "owner_function": "Finance operations",
                    "target": 0.2,
                    "one_off_cost": 30000,
                    "run_cost": 500,
                },
                {"match": {"code": "PP01"}, "owner": "Tech lead", "owner_function": "IT"},
                {"match": {"code": "TR01"}, "owner": "CS manager", "owner_function": "Customer Service"},
                {
                    "match": {"code": "CL01"},
                    "owner": "Digital",
                    "owner_function": "IT",
                    "policy_decided": False,
                },
            ],
            "vendors": [
                {"name": SCRIPT, "scores": {"workflow": 4, "data": 3, "control": 5}},
                {"name": IMG, "scores": {"workflow": 2, "data": 4, "adoption": 3}},
            ],
            **extra,
        }
    )


@pytest.fixture(scope="module")
def doc() -> Any:
    centre = simulate(load_scenario("default"), seed=7, days=28, customers=3000)
    return diagnose(centre.events).to_dict()


@pytest.fixture(scope="module")
def plan(doc: Any) -> PlanDocument:
    return make_plan(doc, context())


@pytest.fixture(scope="module")
def draft(doc: Any) -> PlanDocument:
    return make_plan(doc)


@pytest.fixture(scope="module")
def page(plan: PlanDocument) -> str:
    return render_plan_html(plan)


def _section(page: str, sid: str) -> str:
    m = re.search(rf'<section id="{sid}">(.*?)</section>', page, re.S)
    assert m is not None, sid
    return m.group(1)


def _text(fragment: str) -> str:
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _no_raw(page: str) -> None:
    """No hostile string as it was written, and no tag of the page carries a handler or a script."""
    for s in HOSTILE:
        assert s not in page
    tags = re.findall(r"<[^>]+>", page)
    assert not [t for t in tags if re.match(r"<(img|script)\b", t) or "onerror" in t or "alert" in t]


def test_the_plan_page_has_every_initiative_and_the_cut_ones_with_their_rule(plan, page):
    """Every initiative is on the page; each cut one is under "Off the roadmap" with its rule's label."""
    cut = {i["id"]: i["cut"] for i in plan["initiatives"] if i["cut"]}
    assert set(cut) == {"TR01-orders-phone", "CL01-general-chat"}
    for i in plan["initiatives"]:
        assert i["id"] in _section(page, "initiatives")
    roadmap = _text(_section(page, "roadmap"))
    assert all(i["id"] in roadmap for i in plan["initiatives"] if not i["cut"])
    off = _text(_section(page, "cut"))
    for iid, c in cut.items():
        assert iid in off and c["label"] in off and c["reason"] in off
    assert "no named owner outside the CX function" in off
    assert "depends on an undefined policy decision" in off
    assert "TR01-orders-phone" not in roadmap


def test_the_plan_page_shows_the_case_readiness_vendors_and_needs(plan, page):
    case = _text(_section(page, "business-case"))
    base = plan["business_case"]["baseline"]
    assert f"{base['annual_cost_to_serve']:,.0f}" in case and "160,001" in case  # fixed costs add up
    assert plan["business_case"]["payback"] in case
    bo = next(i for i in plan["initiatives"] if i["id"] == BO)
    assert bo["case"]["payback"] in case and "30,000" in case
    assert "placeholder" in case  # the initiatives without costs in the context
    ready = _text(_section(page, "readiness"))
    assert all(
        item["reason"] in ready for item in plan["readiness"]["data"] + plan["readiness"]["organisation"]
    )
    vendors = _text(_section(page, "vendors"))
    assert plan["vendors"] is not None and plan["vendors"]["verdict"] in vendors
    assert SCRIPT in vendors and IMG in vendors  # shown as text
    assert all(s["id"] in _section(page, "scenarios") for s in plan["scenarios"])
    needs = _text(_section(page, "needs"))
    assert all(n in needs for n in plan["needs_from_people"])


def test_hostile_names_are_escaped_everywhere(plan, page, doc):
    """Owner, fixed-cost and vendor names from the context never reach the markup unescaped."""
    _no_raw(page)
    assert htmllib.escape(SCRIPT, quote=False) in page
    assert re.findall(r"<script\b", page) == []  # the plan page has no script at all
    section = _section(render_html(doc, plan=plan), "plan")
    _no_raw(section)
    assert SCRIPT in _text(section)  # BO01's owner, as text


def test_the_page_is_self_contained_and_prints(page):
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert "http://" not in page and "https://" not in page
    assert "@media print" in page and "Content-Security-Policy" in page


def test_draft_banner_without_context_only(draft, page):
    """Without a context file the plan says it is a draft, and why; with one it does not."""
    assert draft["draft"] is True
    draft_page = render_plan_html(draft)
    assert 'id="draft"' in draft_page and "Draft." in draft_page
    assert 'id="draft"' not in page
    assert 'href="#vendors"' not in draft_page and '<section id="vendors">' not in draft_page
    assert 'href="#vendors"' in page


def test_briefs_have_every_field_and_the_success_measure_numbers(plan, draft):
    bo = next(i for i in plan["initiatives"] if i["id"] == BO)
    text = brief_markdown(bo, plan)
    for heading in (*BRIEF_HEADINGS, "## Business case", "## The five questions"):
        assert f"\n{heading}\n" in text, heading
    measure = bo["brief"]["success_measure"]
    assert measure["baseline"] is not None and measure["target"] == 0.2
    assert f"**Baseline:** {measure['baseline']:g}" in text and "**Target:** 0.2" in text
    assert "**Owner:** &lt;script&gt;alert(1)&lt;/script&gt; (Finance operations)" in text
    assert "<script" not in text and "wave 1" in text.lower()
    for system in bo["brief"]["systems"]:
        assert f"- {md(system)}" in text
    assert all(md(line) in text for line in bo["brief"]["evidence"])
    for i in draft["initiatives"]:
        text = brief_markdown(i, draft)
        m = i["brief"]["success_measure"]
        target = "to be set" if m["target"] is None else f"{m['target']:g} ({m['target_source']})"
        assert f"- **Target:** {target}\n" in text and "- **Owner:** to be set\n" in text
        assert "**owner needed**" in text and "> **Draft:**" in text
        unanswered = [q for q in i["questions"] if q["answer"] is None]
        assert text.count("*unanswered:*") == len(unanswered)
        assert all(md(q["needs"]) in text for q in unanswered)


def test_brief_markdown_cannot_be_hijacked_by_a_name():
    """A name cannot open HTML, start a heading or list, or break a table cell."""
    assert md("# Heading") == "\\# Heading"
    assert md("- item\n# two") == "\\- item # two"  # one line, whatever the newlines: "#" is text
    assert md("a | b <i>") == "a \\| b &lt;i&gt;"
    assert md("[x](javascript:alert(1))") == "\\[x\\](javascript:alert(1))"
    assert brief_filename("BO01-refunds-bo") == "BO01-refunds-bo.md"
    for bad in ("../../etc/passwd", "/abs", ".hidden", "a/b\\c", "..", "", "é"):
        name = brief_filename(bad)
        assert "/" not in name and "\\" not in name and not name.startswith(".") and name.endswith(".md")
        assert ".." not in name


def test_the_report_has_the_plan_section_only_with_a_plan(doc, plan):
    """Without a plan: no section and no link; with one: both, last, with the roadmap and the cut list."""
    plain = render_html(doc)
    assert 'id="plan"' not in plain and 'href="#plan"' not in plain
    page = render_html(doc, plan=plan)
    nav = re.search(r'<nav class="no-print">(.*?)</nav>', page, re.S)
    assert nav is not None
    links = re.findall(r'<a href="#([^"]+)">', nav.group(1))
    assert links == [s.id for s in SECTIONS] and links[-1] == "plan"
    section = _text(_section(page, "plan"))
    assert "The plan: what to change first" in page
    assert all(i["id"] in section for i in plan["initiatives"])
    assert "no named owner outside the CX function" in section and "plan.json" in section
    assert f"{plan['business_case']['benefit']['expected']:,.0f}" in section
    draft_section = _text(_section(render_html(doc, plan=make_plan(doc)), "plan"))
    assert "Draft plan" in draft_section and "owner needed" in draft_section


def test_a_redacted_report_masks_the_plan_as_well(doc, plan):
    """An owner named by an email address shows masked in a redacted report, as free text is."""
    with_email = copy.deepcopy(plan)
    with_email["initiatives"][0]["owner"] = "ann@example.com"
    assert "ann@example.com" in render_html(doc, plan=with_email)
    section = _section(render_html(doc, plan=with_email, redact=True), "plan")
    assert "ann@example.com" not in section and "[email]" in section
