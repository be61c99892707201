"""The report in a real browser (headless Chromium): it loads cleanly, draws, filters, and never runs data."""

from __future__ import annotations

import pytest
from report_doc import make_doc

from cxray.report import render_html

pytestmark = pytest.mark.browser

# Each payload sets window.__pwned or opens a dialog if it ever runs, in HTML, attribute or SVG context.
PAYLOAD = '<img src=x onerror="window.__pwned=1;alert(1)"><script>window.__pwned=2</script>'
SVG_PAYLOAD = '"></text><script>window.__pwned=3</script><svg onload="window.__pwned=4">'


def _poisoned() -> dict:
    doc = make_doc()
    for e in doc["flow"]["dfg"]:  # an activity name everywhere it appears
        e["from"] = PAYLOAD if e["from"] == "Tier 2" else e["from"]
        e["to"] = SVG_PAYLOAD if e["to"] == "Resolved" else e["to"]
    doc["flow"]["by"]["channel"][PAYLOAD] = doc["flow"]["by"]["channel"].pop("chat")
    b = doc["breakdowns"][0]
    b["title"] = PAYLOAD
    b["evidence"]["verbatim"] = "customer wrote: " + SVG_PAYLOAD
    b["evidence"]["examples"] = [PAYLOAD]
    b["where"] = {"reason": SVG_PAYLOAD}
    doc["metrics"]["journey_paths"][0]["path"][2] = PAYLOAD
    return doc


def _show_all_tips(page, chart_id: str, n: int) -> None:
    for i in range(n):
        page.evaluate(
            "([id, i]) => echarts.getInstanceByDom(document.getElementById(id))"
            ".dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: i})",
            [chart_id, i],
        )


def test_loads_offline_without_errors_and_draws(open_report, artifacts):
    opened = open_report(render_html(make_doc()))
    page = opened.page
    assert opened.errors == [] and opened.dialogs == []
    assert all(url.startswith("file://") for url in opened.requests)  # nothing from the network
    assert page.get_attribute("html", "data-charts-ready") == "3"  # flow map, Sankey, Pareto
    assert page.locator("#summary ol.summary li").count() == 4
    assert "False containment in the billing bot" in page.locator("#summary").inner_text()
    flow_text = page.locator("#flowmap svg").text_content()
    assert "IVR menu" in flow_text and "5,820" in flow_text
    assert "resolved" in page.locator("#sankey svg").text_content()
    page.screenshot(path=str(artifacts / "report-full.png"), full_page=True)
    page.locator("#flow").screenshot(path=str(artifacts / "report-flow.png"))


def test_filter_slider_and_time_view_change_the_map(open_report):
    page = open_report(render_html(make_doc())).page
    note = page.locator("#flow-note")
    assert (
        "Showing 20 of 36 connections" in note.inner_text()
    )  # default detail hides 16 rare ones, and says so
    page.select_option("#flow-dim", "channel")
    page.select_option("#flow-value", label="chat (1,900)")
    assert "Contacts in this view: 1,900" in note.inner_text()
    assert "IVR menu" not in page.locator("#flowmap svg").text_content()  # chat never passes the IVR
    page.select_option("#flow-dim", "")
    page.locator("#flow-keep").fill("1")
    assert "Showing 1 of 36 connections" in note.inner_text()
    assert "35 rarer connections are hidden" in note.inner_text()
    page.locator("#flow-keep").fill("36")
    assert "Nothing is hidden." in note.inner_text()
    page.locator("#flow-keep").fill("20")
    page.check("input[name=flow-mode][value=time]")
    assert "5.0 min" in page.locator("#flowmap svg").text_content()  # Transfer → Tier 2, median 300 s


def test_payloads_in_names_and_verbatims_show_as_text_and_never_run(open_report):
    opened = open_report(render_html(_poisoned()))
    page = opened.page
    page.select_option("#flow-dim", "channel")
    page.select_option("#flow-value", index=1)
    assert any(PAYLOAD in o for o in page.locator("#flow-value option").all_text_contents())
    page.select_option("#flow-dim", "")
    _show_all_tips(page, "flowmap", 20)
    _show_all_tips(page, "sankey", 12)
    _show_all_tips(page, "pareto", 4)
    page.wait_for_timeout(100)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert opened.dialogs == [] and opened.errors == []
    assert PAYLOAD in page.locator("#summary").inner_text()
    assert SVG_PAYLOAD in page.locator("#breakdowns").inner_text()
    assert page.locator("main img, main iframe, svg script").count() == 0
    assert (
        "<img src=x onerror=" in page.locator("#flowmap svg").text_content()
    )  # the name, as (truncated) text


def test_overlay_toggle_highlights_the_undocumented_hand_offs(open_report, artifacts):
    """Ticking the overlay draws exactly the hand-offs the documented model lacks in red, says how many,
    and points at those the detail slider hides; payloads in the new sections stay text."""
    from sim_doc import sim_doc

    from cxray.report.conformance_view import overlay
    from cxray.report.view import flow_view

    doc = sim_doc(documented=True)
    doc["incentives"]["parties"][0]["party"] = PAYLOAD
    doc["conformance"]["undocumented_transitions"][0]["to"] = SVG_PAYLOAD
    n_off = len(overlay(doc, flow_view(doc["flow"]))["edges"])
    opened = open_report(render_html(doc))
    page = opened.page
    red = "#flowmap svg path[stroke='#d32f2f']"
    assert page.locator(red).count() == 0
    page.check("#flow-overlay")
    note = page.locator("#flow-note").inner_text()
    assert "outside the documented process" in note
    assert page.locator(red).count() > 0
    n_edges = len(flow_view(doc["flow"])["all"]["edges"])
    page.locator("#flow-keep").fill(str(n_edges))
    note = page.locator("#flow-note").inner_text()
    assert f"Highlighted in red: {n_off} hand-offs outside the documented process." in note
    assert "among the hidden" not in note
    page.locator("#flow").screenshot(path=str(artifacts / "report-flow-overlay.png"))
    page.locator("#conformance").screenshot(path=str(artifacts / "report-conformance.png"))
    page.locator("#incentives").screenshot(path=str(artifacts / "report-incentives.png"))
    page.uncheck("#flow-overlay")
    assert page.locator(red).count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert opened.errors == [] and opened.dialogs == []
    assert PAYLOAD in page.locator("#incentives").inner_text()
    assert SVG_PAYLOAD in page.locator("#conformance").inner_text()


def test_prints_to_a4_without_cutting_tables(open_report, artifacts):
    """Printed (A4, 10 mm margins: 718 CSS px), no table or chart runs past the page edge, and the PDF
    starts with the executive summary."""
    from sim_doc import sim_doc

    page = open_report(render_html(sim_doc(documented=True))).page
    page.set_viewport_size({"width": 718, "height": 1000})
    page.emulate_media(media="print")
    too_wide = page.evaluate(
        """() => [...document.querySelectorAll('table, .chart')]
            .filter(e => e.offsetParent !== null && e.getBoundingClientRect().right > 718 + 1)
            .map(e => (e.closest('section') || {}).id + ':' + e.tagName)"""
    )
    assert too_wide == []
    pdf = page.pdf(format="A4", margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"})
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 5
    (artifacts / "report.pdf").write_bytes(pdf)


def test_plan_page_loads_runs_no_name_and_prints_every_section(browser, tmp_path, artifacts):
    """plan.html, with owner, fixed-cost and vendor names that are payloads, loads from disk without an
    error or a request, runs none of them, and prints on A4 with every section and no table past the edge."""
    from sim_doc import sim_doc
    from test_plan_page import context

    from cxray.plan import make_plan
    from cxray.report.plan_page import plan_view, render_plan_html

    plan = make_plan(sim_doc(), context())
    plan["initiatives"][0]["owner"] = PAYLOAD
    plan["warnings"].append(SVG_PAYLOAD)
    path = tmp_path / "plan.html"
    path.write_text(render_plan_html(plan), encoding="utf-8")
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    dialogs: list[str] = []
    requests: list[str] = []
    page = ctx.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(path.as_uri())
        page.wait_for_timeout(100)
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert errors == [] and dialogs == []
        assert requests == [path.as_uri()]  # the page itself, nothing else
        assert page.locator("img, script, iframe").count() == 0
        assert PAYLOAD in page.locator("#roadmap").inner_text()
        assert SVG_PAYLOAD in page.locator("#warnings").inner_text()
        page.set_viewport_size({"width": 718, "height": 1000})
        page.emulate_media(media="print")
        ids = [sid for sid, _ in plan_view(plan)["sections"]]
        assert "vendors" in ids
        for sid in ids:
            assert page.locator(f"section#{sid}").is_visible(), sid
        assert not page.locator("nav").is_visible()
        too_wide = page.evaluate(
            """() => [...document.querySelectorAll('table, .cards')]
                .filter(e => e.getBoundingClientRect().right > 718 + 1)
                .map(e => (e.closest('section') || {}).id + ':' + e.tagName)"""
        )
        assert too_wide == []
        pdf = page.pdf(format="A4", margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"})
        assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 3
        (artifacts / "plan.pdf").write_bytes(pdf)
    finally:
        ctx.close()
