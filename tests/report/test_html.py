"""The HTML report escapes every value from data and embeds its JSON safely."""

import json
import re

from report_doc import make_doc

from cxray.report import render_html
from test_contract import validate

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _doc():
    """A whole document (it fits the schema) with the payload in every kind of field the page shows."""
    doc = make_doc()
    doc["input"]["files"] = [PAYLOAD, "crm.xlsx"]
    first = dict(doc["input"]["per_file"][0], file=PAYLOAD, columns={"contact_id": PAYLOAD})
    doc["input"]["per_file"] = [first, dict(first, file="crm.xlsx")]  # a table row each: several files
    b = doc["breakdowns"][0]
    b.update(title=PAYLOAD, where={"queue": PAYLOAD}, hidden_by_kpi=PAYLOAD)
    b["evidence"]["examples"] = [PAYLOAD]
    doc["metrics"]["by_team"] = [dict(doc["metrics"]["overall"], team=PAYLOAD)]
    doc["flow"]["dfg"][0]["from"] = PAYLOAD
    doc["flow"]["variants"][0]["activities"] = [PAYLOAD, "b"]
    validate(doc)
    return doc


def test_payload_in_any_field_is_escaped_never_markup():
    html = render_html(_doc())
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert" in html
    # the only script elements are the report's own: two JSON islands, the inlined chart library, its driver
    assert re.findall(r"<script\b[^>]*>", html) == [
        '<script type="application/json" id="cxray-data">',
        '<script type="application/json" id="cxray-view">',
        '<script id="echarts-lib">',
        '<script id="cxray-charts">',
    ]


def test_embedded_json_cannot_close_its_script_and_round_trips():
    html = render_html(_doc())
    island = re.search(r'<script type="application/json" id="cxray-data">(.*?)</script>', html, re.S)
    assert island is not None
    assert "</" not in island.group(1)
    assert json.loads(island.group(1))["breakdowns"][0]["title"] == PAYLOAD


def test_redacted_report_has_no_raw_email():
    doc = _doc()
    doc["breakdowns"][0]["title"] = "customers like ann@example.com wait"
    html = render_html(doc, redact=True)
    assert "ann@example.com" not in html and "[email]" in html


def test_warnings_to_fix_come_first_apart_from_those_handled():
    """A warning the user must fix (told, not handled) is not shown under 'how it was handled': the first
    page says to fix it before trusting the numbers, above the handled ones."""
    doc = make_doc()
    doc["data_quality"]["warnings"] = [
        {"code": "bulk_identities", "message": "2 ids left out", "count": 80, "examples": [],
         "handled": True},
        {"code": "reused_contact_ids", "message": "ids restart daily", "count": 40, "examples": [],
         "handled": False},
    ]  # fmt: skip
    validate(doc)
    html = render_html(doc)
    fix, handled = html.index('id="dq-to-fix"'), html.index('id="dq-warnings-summary"')
    assert fix < handled < html.index("ids left out")
    assert "ids restart daily" in html[fix:handled] and "ids left out" not in html[fix:handled]
    doc["data_quality"]["warnings"] = doc["data_quality"]["warnings"][:1]
    assert 'id="dq-to-fix"' not in render_html(doc)
    del doc["data_quality"]["warnings"][0]["handled"]  # a document from before the field: as shown then
    assert 'id="dq-warnings-summary"' in render_html(doc)


def test_the_file_table_says_each_files_clock_as_the_summary_does():
    from cxray.summary import clock_text

    doc = make_doc()
    first = doc["input"]["per_file"][0]
    doc["input"]["per_file"] = [
        dict(first, clock="offset"),
        dict(first, file="crm.csv", clock="Europe/Paris", day_order="day first"),
    ]
    validate(doc)
    html = render_html(doc)
    assert f"<td>{clock_text('offset')}</td>" in html and "<td>with their UTC offset</td>" in html
    assert "<td>in Europe/Paris, day first</td>" in html  # and how its numeric dates were read
