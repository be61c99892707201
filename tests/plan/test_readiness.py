"""Readiness: data items scored from the diagnosis, organisation items from the context, the rest risks."""

from __future__ import annotations

from typing import Any

import pytest

from cxray.plan.context import PlanContext
from cxray.plan.readiness import QUESTIONS, ReadinessItem, readiness

FIELDS = ["customer_id", "channel", "queue", "team", "outcome"]


def _row(dim: str, key: str | None, contacts: int, **kw: Any) -> dict[str, Any]:
    return {dim: key, "contacts": contacts, "unidentified_share": 0.0, "fcr": 0.7, "reported_fcr": 0.72} | kw


def _doc(*, unidentified: float = 0.0, fields: list[str] = FIELDS, warnings: int = 0, **metrics: Any) -> Any:
    """100 contacts over phone and chat, 10 of them without a queue."""
    m = {
        "overall": {"contacts": 100, "unidentified_share": unidentified, "fcr": 0.7, "reported_fcr": 0.72},
        "by_channel": [_row("channel", "phone", 60), _row("channel", "chat", 40)],
        "by_queue": [_row("queue", "Billing", 90), _row("queue", None, 10)],
        "by_team": [_row("team", "A", 100)],
    } | metrics
    return {
        "input": {"fields_present": fields},
        "data_quality": {
            "unidentified_share": unidentified,
            "warnings": [
                {"code": f"W{i}", "message": "", "count": 1, "examples": []} for i in range(warnings)
            ],
        },
        "metrics": m,
    }


def _by_key(items: list[ReadinessItem]) -> dict[str, ReadinessItem]:
    return {i["key"]: i for i in items}


def test_forty_percent_unidentified_is_not_ready() -> None:
    item = _by_key(readiness(_doc(unidentified=0.4), PlanContext())["data"])["customer_id"]
    assert item["status"] == "not ready" and item["value"] == 0.6
    assert any(
        r.startswith("Customer ids on contacts - not ready")
        for r in readiness(_doc(unidentified=0.4), PlanContext())["risks"]
    )


@pytest.mark.parametrize(
    "unidentified, status", [(0.05, "ready"), (0.06, "partial"), (0.3, "partial"), (0.31, "not ready")]
)
def test_share_thresholds(unidentified: float, status: str) -> None:
    assert (
        _by_key(readiness(_doc(unidentified=unidentified), PlanContext())["data"])["customer_id"]["status"]
        == status
    )


def test_queue_or_team_share_counts_the_missing_row() -> None:
    data = _by_key(readiness(_doc(by_team=[]), PlanContext())["data"])
    assert data["queue_team"]["value"] == 0.9 and data["queue_team"]["status"] == "partial"
    assert _by_key(readiness(_doc(), PlanContext())["data"])["queue_team"]["status"] == "ready"
    absent = _by_key(readiness(_doc(fields=["customer_id", "channel", "outcome"]), PlanContext())["data"])
    assert absent["queue_team"]["value"] == 0.0 and absent["queue_team"]["status"] == "not ready"


def test_a_channel_without_ids_cannot_be_followed() -> None:
    channels = [_row("channel", "phone", 60), _row("channel", "chat", 40, unidentified_share=1.0)]
    item = _by_key(readiness(_doc(by_channel=channels), PlanContext())["data"])["cross_channel"]
    assert item["status"] == "not ready" and item["value"] == 0.0
    assert "chat" in item["reason"]


def test_outcome_gap_and_missing_outcomes() -> None:
    data = _by_key(readiness(_doc(), PlanContext())["data"])
    assert data["outcomes"]["status"] == "ready"
    channels = [_row("channel", "phone", 60), _row("channel", "chat", 40, reported_fcr=0.95)]
    gap = _by_key(readiness(_doc(by_channel=channels), PlanContext())["data"])["outcomes"]
    assert gap["status"] == "partial" and gap["value"] == pytest.approx(0.25)
    assert "chat" in gap["reason"] and "95.0%" in gap["reason"]
    none = _by_key(readiness(_doc(fields=["customer_id", "channel", "queue"]), PlanContext())["data"])
    assert none["outcomes"]["status"] == "not ready"


@pytest.mark.parametrize("n, status", [(0, "ready"), (2, "partial"), (3, "not ready")])
def test_quality_warnings(n: int, status: str) -> None:
    item = _by_key(readiness(_doc(warnings=n), PlanContext())["data"])["quality_warnings"]
    assert item["status"] == status and item["value"] == n
    if n:
        assert "W0" in item["reason"]


def test_empty_context_leaves_the_organisation_unknown_and_risky() -> None:
    result = readiness(_doc(), PlanContext())
    org = result["organisation"]
    assert [i["key"] for i in org] == ["vendor", "decision_rights", "change_capacity"]
    assert all(i["status"] == "unknown" for i in org)
    assert [i["label"] for i in org] == list(QUESTIONS.values())
    for item in org:
        assert any(item["label"] in r and "unknown is a risk" in r for r in result["risks"])
    assert len(result["risks"]) == 3  # the data of _doc() is ready


def test_answers_flip_the_organisation_items() -> None:
    ctx = PlanContext.from_dict(
        {
            "readiness": {
                "vendor": "yes, the BPO contract allows it",
                "decision_rights": "the CX board",
                "change_capacity": "two at a time",
            }
        }
    )
    result = readiness(_doc(), ctx)
    assert all(i["status"] == "ready" for i in result["organisation"])
    assert _by_key(result["organisation"])["vendor"]["reason"] == "yes, the BPO contract allows it"
    assert result["risks"] == []


def test_organisation_section_answers_decision_rights_and_capacity() -> None:
    rights = {"policy": "COO", "funding": "CFO", "workflow": "Head of CX", "channel": "Digital"}
    full = readiness(
        _doc(), PlanContext.from_dict({"organisation": {"decision_rights": rights, "change_capacity": 3}})
    )
    items = _by_key(full["organisation"])
    assert items["decision_rights"]["status"] == "ready" and "COO" in items["decision_rights"]["reason"]
    assert items["change_capacity"]["status"] == "ready" and items["change_capacity"]["value"] == 3
    some = readiness(_doc(), PlanContext.from_dict({"organisation": {"decision_rights": {"policy": "COO"}}}))
    item = _by_key(some["organisation"])["decision_rights"]
    assert item["status"] == "partial" and "funding" in item["reason"]


def test_simulated_diagnosis(doc: Any) -> None:
    """The simulated contact centre identifies every customer; nothing said of the organisation is a risk."""
    result = readiness(doc, PlanContext())
    data = _by_key(result["data"])
    assert data["customer_id"]["status"] == "ready"
    assert data["cross_channel"]["status"] == "ready"
    assert list(data) == ["customer_id", "queue_team", "cross_channel", "outcomes", "quality_warnings"]
    assert all(i["status"] in ("ready", "partial", "not ready", "unknown") for i in result["data"])
    assert len(result["risks"]) == sum(
        1 for i in result["data"] + result["organisation"] if i["status"] != "ready"
    )
