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
