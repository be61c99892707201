"""audit.html: every value escaped, the decision first, self-contained, and clean in a real browser."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from cxray.audit.did import DidOptions
from cxray.audit.run import AuditOptions, audit
from cxray.audit.triggers import parse_triggers
from cxray.report.audit_page import audit_view, render_audit_html

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "audit"))
from test_run import CHANGE, hand_log

PAYLOAD = '<img src=x onerror="window.__pwned=1;alert(1)"><script>window.__pwned=2</script>'
TRIGGERS = parse_triggers(
    "triggers:\n  - measure: handle_time\n    rise: any\n  - measure: transfer_rate\n    rise_points: 50\n"
    "  - measure: fcr\n    fall: any\n"
)


def _hostile_log() -> Any:
    """The hand-built log with the pilot queue and a control queue renamed to script payloads."""
    table = hand_log()
    queues = [
        PAYLOAD if q == "Q-Billing" else '"><svg onload=alert(3)>' if q == "Q-Care" else q
        for q in table["queue"].to_pylist()
    ]
    import pyarrow as pa

    return table.set_column(table.schema.get_field_index("queue"), "queue", pa.array(queues))


@pytest.fixture(scope="module")
def doc():
    options = AuditOptions(
        pilot=f"queue={PAYLOAD}",
        control='queue="><svg onload=alert(3)>',
        change_date=CHANGE,
        triggers=TRIGGERS,
        did=DidOptions(n_boot=200),
    )
    return audit(_hostile_log(), options)


@pytest.fixture(scope="module")
def page(doc) -> str:
    return render_audit_html(doc)


def test_hostile_segment_names_are_escaped_everywhere(page):
    assert "<script>window.__pwned" not in page and "<img src=x" not in page and "<svg onload" not in page
    assert "&lt;img src=x onerror=" in page and "&lt;svg onload=alert(3)&gt;" in page
    assert page.count("<script") == 0  # the page has no script at all


def test_the_page_is_self_contained_and_prints(page):
    assert "default-src 'none'" in page and "@page { size: A4" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)


def test_every_measure_has_a_row_with_naive_effect_trends_and_verdict(doc, page):
    for m in doc.measures:
        row = page[page.index(f'id="m-{m.name}"') :]
        row = row[: row.index("</tr>")]
        assert m.verdict in row
        if m.estimate is not None:
            assert "pts" in row or " s" in row or "." in row
            assert "not checked" in row  # the hand log has one week before the change


def test_the_decision_and_triggers_come_first_when_any_fired(doc, page):
    assert doc.decision is not None
    view = audit_view(doc.to_dict())
    assert view["roll_back"] == doc.decision.roll_back
    assert page.index('id="decision"') < page.index('id="triggers"') < page.index('id="measures"')
    word = "Roll back." if doc.decision.roll_back else "Keep."
    assert word in page


def test_without_triggers_there_is_no_decision():
    plain = audit(
        hand_log(), AuditOptions(pilot="queue=Q-Billing", change_date=CHANGE, did=DidOptions(n_boot=200))
    )
    html = render_audit_html(plain)
    assert 'id="decision"' not in html and 'id="triggers"' not in html and 'id="measures"' in html


def test_the_page_renders_from_the_json_dict_too(doc):
    assert render_audit_html(doc.to_dict()) == render_audit_html(doc)


@pytest.mark.browser
def test_the_page_loads_in_a_browser_without_running_data(browser, doc, page, tmp_path, artifacts):
    """Headless Chromium: no error, no dialog, no request outside the file, no payload ran."""
    path = tmp_path / "audit.html"
    path.write_text(page, encoding="utf-8")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        tab = context.new_page()
        errors: list[str] = []
        dialogs: list[str] = []
        requests: list[str] = []
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        tab.on("request", lambda r: requests.append(r.url))
        tab.goto(path.as_uri())
        tab.wait_for_selector("#measures table")
        assert errors == [] and dialogs == []
        assert all(url.startswith("file://") for url in requests)
        assert tab.evaluate("window.__pwned") is None
        assert tab.locator("#measures tr[id^=m-]").count() == len(doc.measures)
        assert PAYLOAD in tab.locator("header").inner_text()  # shown as text
        tab.screenshot(path=str(artifacts / "audit-page.png"), full_page=True)
    finally:
        context.close()
