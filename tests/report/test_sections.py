"""The report's sections on a real (simulated) diagnosis: incentives, documented vs actual, evidence,
metric definitions and data quality; each checked against the document it was drawn from."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from report_doc import make_doc
from sim_doc import sim_doc

from cxray import schema as S
from cxray.report import pseudonymise, render_html
from cxray.report.conformance_view import overlay
from cxray.report.evidence import cell, evidence_rows, fix_sentence
from cxray.report.incentives_view import incentives_view
from cxray.report.view import flow_view, summary_sentence

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _section(page: str, sid: str) -> str:
    m = re.search(rf'<section id="{sid}">(.*?)</section>', page, re.S)
    assert m is not None, sid
    return m.group(1)


def _text(fragment: str) -> str:
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment))


def test_incentives_table_flags_exactly_the_parties_a_finding_names():
    doc = sim_doc()
    inc = doc["incentives"]
    named = {v for f in inc["findings"] for v in f["where"].values()}
    assert named, "the default centre plants misaligned incentives"
    view = incentives_view(doc)
    assert [r["party"] for r in view["rows"]] == [p["party"] for p in inc["parties"]]
    assert {r["party"] for r in view["rows"] if r["findings"]} == named
    section = _section(render_html(doc), "incentives")
    assert section.count('<tr class="flag">') == len(named)
    bot = next(p for p in inc["parties"] if p["party"] == "bot")
    assert f"{100 * bot['containment']:.1f}%" in section  # the bot's KPI, containment, as a share


def test_incentives_escape_party_names_and_kpis():
    doc = sim_doc()
    doc["incentives"]["parties"][0]["party"] = PAYLOAD
    doc["incentives"]["parties"][0]["kpi"] = PAYLOAD
    page = render_html(doc)
    assert PAYLOAD not in page and "<img src=x" not in page
    assert _text(_section(page, "incentives")).count(PAYLOAD) == 2


def test_conformance_says_inferred_or_documented_and_lists_costly_deviations():
    inferred = render_html(sim_doc())
    text = _text(_section(inferred, "conformance"))
    assert "inferred" in text and "Inferred happy paths" in text
    doc = sim_doc(documented=True)
    conf = doc["conformance"]
    text = " ".join(_text(_section(render_html(doc), "conformance")).split())
    assert "retail service, as documented" in text and "Inferred happy paths" not in text
    assert f"{100 * conf['fitness']:.1f}%" in text
    top = conf["undocumented_transitions"][0]
    assert f"{top['from']} {top['to']} {top['count']:,} {top['contacts']:,}" in text
    assert top["examples"][0] in text


def test_overlay_marks_the_transitions_no_contact_was_allowed_to_take():
    """Oracle: the conformance flow itself; every such edge is on the map or counted as unplaced."""
    doc = sim_doc(documented=True)
    fv = flow_view(doc["flow"])
    names = [n["name"] if n["kind"] == "step" else n["kind"] for n in fv["nodes"]]
    got = {(names[a], names[b]): n for a, b, n, _ in overlay(doc, fv)["edges"]}
    expected = {
        (e["from"], e["to"]): e["count"]
        for e in doc["conformance"]["flow"]
        if e["count"] and not e["conforming"]
    }
    assert got == expected and got  # the simulated centre never follows the documented model exactly
    assert ("IVR menu", "Authenticate") not in got  # documented
    doc["conformance"]["flow"].append(
        {"from": "Not an activity", "to": "end", "count": 3, "contacts": 3, "conforming": 0}
    )
    assert overlay(doc, fv)["unplaced"] == 1


def test_conformance_payloads_are_escaped():
    doc = sim_doc(documented=True)
    doc["conformance"]["undocumented_transitions"][0]["from"] = PAYLOAD
    doc["conformance"]["model"]["name"] = PAYLOAD
    page = render_html(doc)
    assert "<img src=x" not in page
    assert _text(_section(page, "conformance")).count(PAYLOAD) == 2


@pytest.mark.parametrize("key", ["incentives", "conformance"])
def test_an_absent_section_says_so(key):
    doc = make_doc()  # the hand-written document has neither: both are empty
    assert doc[key] == {}
    assert "Not in this diagnosis" in _text(_section(render_html(doc), key))


def test_avoidable_contacts_are_whole_and_left_out_when_zero():
    b = dict(make_doc()["breakdowns"][0], title="T", avoidable_cost=10.0, share_of_avoidable_cost=0.1,
             avoidable_minutes=12.0)  # fmt: skip
    assert "1,925 avoidable contacts" in summary_sentence(dict(b, avoidable_contacts=1925.19), "EUR")
    assert "contacts" not in summary_sentence(dict(b, avoidable_contacts=0.0), "EUR")
    assert "contacts" not in fix_sentence(dict(b, avoidable_contacts=0.4), "EUR")
    page = render_html(sim_doc())
    assert not re.search(r"\d\.\d\d (avoidable )?contacts", _text(page))  # never "1,925.19 contacts"


def test_list_and_map_evidence_become_nested_tables_not_counts():
    by_reason = [{"reason": "a", "n": 10, "rate": 0.25}, {"reason": "b", "n": 4, "rate": 0.5}]
    c = cell("by_reason", by_reason)
    assert c == {
        "kind": "table",
        "columns": ["reason", "n", "rate"],
        "rows": [["a", "10", "25.0%"], ["b", "4", "50.0%"]],
    }
    assert cell("gross", {"contacts": 3, "cost": 2.5})["rows"] == [["contacts", "3"], ["cost", "2.50"]]
    doc = sim_doc()
    page = render_html(doc)
    assert "items</td>" not in page and '<table class="nested">' in page
    # every evidence key of every breakdown is shown: examples and flow apart, baselines in their own table
    for b in doc["breakdowns"]:
        shown = {k for k, _ in evidence_rows(b)}
        assert {k.replace("_", " ") for k in b["evidence"] if k not in ("examples", "flow", "currency")
                and not k.startswith("baseline")} == shown  # fmt: skip


def test_missing_dimension_values_read_none_and_in_memory_source_is_named():
    doc = make_doc()
    doc["metrics"]["by_team"][0]["team"] = None
    doc["input"]["files"] = ["<table>"]
    page = render_html(doc)
    assert ">None<" not in page and "(none)" in page
    assert "in-memory table" in _text(_section(page, "data-quality")) and "&lt;table&gt;" not in page


def test_every_metric_links_to_its_definition():
    doc = sim_doc()
    page = render_html(doc)
    anchors = set(re.findall(r'<tr id="metric-([a-z_]+)">', page))
    assert anchors == set(doc["metrics"]["overall"])
    assert set(re.findall(r'href="#metric-([a-z_]+)"', page)) <= anchors
    defs = doc["metrics"]["definitions"]
    row = re.search(r'<tr id="metric-fcr">(.*?)</tr>', page, re.S)
    assert row is not None and htmllib.escape(defs["fcr"], quote=False) in row.group(1)


def test_redaction_pseudonymises_examples_wherever_they_are_listed():
    doc = sim_doc(documented=True)
    ids = {x for b in doc["breakdowns"] for x in b["evidence"].get("examples", [])}
    ids |= {x for r in doc["conformance"]["undocumented_transitions"] for x in r["examples"]}
    assert ids
    page = render_html(doc, redact=True)
    assert not [x for x in ids if x in page]
    assert pseudonymise(sorted(ids)[0]) in page


def test_flow_filters_and_sankey_come_from_the_new_aggregates():
    doc = sim_doc()
    fv = flow_view(doc["flow"])
    assert set(fv["dims"]) == {S.REASON, S.CHANNEL, S.TEAM, S.QUEUE}
    for dim, values in fv["dims"].items():
        assert [v["value"] for v in values] == list(
            doc["flow"]["by"][dim]
        )  # most contacts first, as produced
    page = render_html(doc)
    assert "journey_paths), which this diagnosis does not carry" not in page


def test_a_grouped_breakdown_lists_the_symptoms_it_absorbed():
    """A breakdown grouping several findings names its failure point and lists each symptom under it."""
    doc = make_doc()
    text = _text(_section(render_html(doc), "breakdowns"))
    assert "One failure point, queue Tier 1" in text
    assert "Repeat contacts concentrated in queue Tier 1" in text
    doc["breakdowns"][1]["symptoms"] = []
    assert "Repeat contacts concentrated" not in _text(_section(render_html(doc), "breakdowns"))
