"""The HTML report escapes every value from data and embeds its JSON safely."""

import json
import re

from cxray.report import render_html

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _doc():
    overall = {
        "contacts": 10,
        "journeys": 8,
        "fcr": 0.5,
        "repeat_contact_rate": 0.2,
        "transfer_rate": 0.1,
        "abandonment_rate": 0.0,
        "containment_rate": None,
        "true_containment_rate": None,
        "cost_per_resolved_journey": 3.5,
    }
    return {
        "cxray_version": "test",
        "options": {"analysis": {"window_days": 7}, "costs": {"currency": "EUR"}},
        "input": {
            "rows_read": 3,
            "rows_kept": 3,
            "rows_rejected": 0,
            "duplicates_dropped": 0,
            "rejected_by_reason": {},
            "files": [PAYLOAD],
            "fields_present": [],
            "time_start": None,
            "time_end": None,
        },
        "breakdowns": [
            {
                "rank": 1,
                "code": "XX01",
                "title": PAYLOAD,
                "bucket": "technology design",
                "where": {"queue": PAYLOAD},
                "avoidable_contacts": 1,
                "avoidable_minutes": 2.0,
                "avoidable_cost": 2.0,
                "share_of_avoidable_cost": 1.0,
                "contacts_affected": 1,
                "hidden_by_kpi": PAYLOAD,
            }
        ],
        "breakdown_summary": {},
        "metrics": {"overall": overall, "by_team": [dict(overall, team=PAYLOAD)], "disabled": {}},
        "flow": {
            "n_contacts": 1,
            "n_variants": 1,
            "dfg": [{"from": PAYLOAD, "to": "b", "count": 1, "mean_s": 1.0, "median_s": 1.0}],
            "variants": [{"activities": [PAYLOAD, "b"], "count": 1}],
        },
    }


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
