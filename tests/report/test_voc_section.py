"""The Customer voice section: drops beside the operation, breakdowns felt, what customers say by step;
every verbatim escaped, contact ids pseudonymised on a redacted page."""

from __future__ import annotations

import re

from report_doc import make_doc

from cxray.report import render_html
from cxray.report.voc_view import score, voc_view
from cxray.voc import empty_voc


def _section(page: str) -> str:
    match = re.search(r'<section id="voc">(.*?)</section>', page, re.S)
    assert match, "no voc section"
    return match.group(1)


def test_the_section_shows_the_drop_with_its_reading_the_felt_breakdown_and_the_steps():
    body = _section(render_html(make_doc()))
    assert "Tier 1" in body and "2024-02-12" in body and "survey movement, not a business change" in body
    assert 'href="#breakdown-1"' in body and ">felt<" in body
    assert "Authenticate" in body and "verification" in body and "Customers to call back" in body
    assert "1,200 survey responses" in body and "10 rejected" in body


def test_verbatims_are_escaped_and_ids_pseudonymised_when_redacted():
    page = render_html(make_doc())
    assert "<script>alert('voc')" not in page and "&lt;script&gt;alert(" in page
    assert "<b>again</b>" not in page
    redacted = _section(render_html(make_doc(), redact=True))
    assert "C-10023" not in redacted and "U-77" not in redacted


def test_a_diagnosis_without_surveys_says_how_to_give_them():
    doc = make_doc()
    doc["voc"] = empty_voc()
    body = _section(render_html(doc))
    assert "No survey responses" in body and "--surveys" in body


def test_an_alert_explained_by_a_narrower_one_says_so_and_comes_after_it():
    doc = make_doc()
    wide = dict(doc["voc"]["alerts"][0], segment={}, explained_by={"queue": "Tier 1"})
    doc["voc"]["alerts"] = [wide, *doc["voc"]["alerts"]]
    rows = voc_view(doc)["alerts"]
    assert [r["explained_by"] for r in rows] == [None, "queue Tier 1"]
    assert "the same drop as queue Tier 1" in _section(render_html(doc))


def test_scores_read_in_their_own_unit():
    assert (score(0.714, "csat_top2"), score(12.4, "nps"), score(5.21, "ces_mean"), score(None, "nps")) == (
        "71.4%", "+12", "5.21", "—",
    )  # fmt: skip


def test_the_touchpoint_map_is_drawn_with_or_without_surveys_and_escapes_owners():
    doc = make_doc()
    for voc in (doc["voc"], {**empty_voc(), "touchpoints": doc["voc"]["touchpoints"]}):
        body = _section(render_html({**doc, "voc": voc}))
        assert "Touchpoint map" in body and "queue_wait" in body and "touchpoints.csv" in body
        assert "<img src=x" not in body and "&lt;img src=x" in body


def test_a_box_turns_red_for_a_ranked_breakdown_not_for_any_finding():
    from cxray.report.blueprint_view import blueprint_view

    tp = make_doc()["voc"]["touchpoints"][0]
    unranked = {**tp, "findings": [{"code": "LP01", "title": "a finding below the top", "rank": None}],
                "breaches_sla": 0.0}  # fmt: skip
    (box,) = [b for lane in blueprint_view([unranked])["lanes"] for b in lane["boxes"]]
    assert box["findings"] == 1 and box["breakdowns"] == [] and not box["slow"]
    (ranked,) = [b for lane in blueprint_view([tp])["lanes"] for b in lane["boxes"]]
    assert ranked["breakdowns"] == [2]
