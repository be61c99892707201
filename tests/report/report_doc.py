# ruff: noqa: E501 - a data fixture, laid out as rows for reading
"""A realistic, hand-written diagnosis document for report tests: it fits ``docs/diagnosis.schema.json``
(``tests/report/test_view.py`` checks it does), so the report is tested on the shape the pipeline writes.
"""

from __future__ import annotations

import copy
from typing import Any

_EDGES = [  # from, to, count, median seconds
    ("IVR menu", "Bot: intent", 5200, 20),
    ("Bot: intent", "Bot: authenticate", 4100, 35),
    ("Bot: authenticate", "Agent: authenticate", 2300, 140),
    ("Bot: authenticate", "Bot: self-service", 1500, 15),
    ("Bot: self-service", "Contained", 1300, 5),
    ("Bot: intent", "Tier 1", 900, 160),
    ("Agent: authenticate", "Tier 1", 2250, 60),
    ("Tier 1", "Resolved", 1800, 10),
    ("Tier 1", "Transfer", 1100, 30),
    ("Transfer", "Tier 2", 1000, 300),
    ("Tier 2", "Transfer", 240, 40),
    ("Transfer", "Tier 1", 180, 280),
    ("Tier 2", "Resolved", 520, 15),
    ("Tier 2", "Vendor review", 260, 3600),
    ("Vendor review", "Back office case", 210, 86400),
    ("Back office case", "Status chase", 140, 172800),
    ("Status chase", "Back office case", 90, 7200),
    ("Back office case", "Resolved", 160, 3600),
    ("Tier 1", "Back office case", 310, 120),
    ("Tier 1", "Callback", 120, 1800),
    ("Callback", "Tier 1", 95, 60),
    ("IVR menu", "Abandoned", 420, 95),
    ("Bot: intent", "Abandoned", 260, 45),
    ("Transfer", "Abandoned", 150, 420),
    ("Tier 2", "Tier 2", 60, 300),
    ("Vendor review", "Resolved", 40, 900),
    ("Status chase", "Abandoned", 12, 60),
    ("Callback", "Abandoned", 9, 30),
]
_START = {"IVR menu": 5820, "Tier 1": 300, "Status chase": 62}
_END = {"Resolved": 2520, "Contained": 1300, "Abandoned": 851, "Back office case": 30, "Tier 1": 4}


def _dfg(scale: float, drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    out = []
    for src, dst, n, med in _EDGES:
        if src in drop or dst in drop or round(n * scale) == 0:
            continue
        out.append(
            {"from": src, "to": dst, "count": round(n * scale), "mean_s": med * 1.4, "median_s": float(med)}
        )
    return sorted(out, key=lambda e: (-e["count"], e["from"], e["to"]))


def _metric_row(**kw: Any) -> dict[str, Any]:
    row = {
        "contacts": 1000, "journeys": 800, "contacts_per_journey": 1.25, "fcr": 0.71, "repeat_contact_rate": 0.22,
        "transfer_rate": 0.18, "ping_pong_rate": 0.04, "escalation_rate": 0.05, "abandonment_rate": 0.09,
        "containment_rate": 0.32, "true_containment_rate": 0.21, "handle_time_mean_s": 412.0,
        "handle_time_median_s": 300.0, "cost_total": 6400.0, "cost_per_contact": 6.4,
        "cost_per_resolved_journey": 9.1, "censored_contacts": 40,
    }  # fmt: skip
    row.update(kw)
    return row


def make_doc() -> dict[str, Any]:
    """A fresh copy each call (tests may poke payloads into it)."""
    breakdowns = [
        {
            "rank": 1,
            "code": "FC01",
            "title": "False containment in the billing bot",
            "bucket": "technology design",
            "where": {"channel": "bot", "reason": "billing"},
            "contacts_affected": 1300,
            "avoidable_contacts": 610,
            "avoidable_minutes": 5490.0,
            "avoidable_cost": 5490.0,
            "share_of_avoidable_cost": 0.34,
            "customers_affected": 590,
            "evidence": {
                "contained": 1300,
                "came_back_within_7_days": 610,
                "repeat_rate": 0.47,
                "baseline": {
                    "metric": "repeat rate after containment",
                    "value": 0.12,
                    "scope": "other reasons",
                },
                "examples": ["C-10023", "C-10458", "C-11902"],
                "flow": ["Bot: self-service -> Contained -> Tier 1"],
            },
            "hidden_by_kpi": "bot containment rate counts them as successes",
        },
        {
            "rank": 2,
            "code": "TR01",
            "title": "Tier 1 transfers billing disputes to Tier 2 and back",
            "bucket": "operating-model choice",
            "where": {"queue": "Tier 1", "from": "Tier 1", "to": "Tier 2"},
            "contacts_affected": 1100,
            "avoidable_contacts": 420,
            "avoidable_minutes": 3800.0,
            "avoidable_cost": 4100.0,
            "share_of_avoidable_cost": 0.254,
            "customers_affected": 400,
            "evidence": {
                "transfer_rate": 0.38,
                "ping_pong_contacts": 180,
                "baseline": 0.11,
                "examples": ["C-20001", "C-20417"],
                "flow": ["Tier 1 -> Transfer -> Tier 2 -> Transfer -> Tier 1"],
            },
            "hidden_by_kpi": "average handle time — each leg is short, so AHT looks good",
        },
        {
            "rank": 3,
            "code": "BO01",
            "title": "Customers chase back-office cases parked at the vendor",
            "bucket": "customer-felt friction",
            "where": {"team": "Vendor B", "activity": "Status chase"},
            "contacts_affected": 210,
            "avoidable_contacts": 140,
            "avoidable_minutes": 1680.0,
            "avoidable_cost": 2200.0,
            "share_of_avoidable_cost": 0.136,
            "customers_affected": 130,
            "evidence": {
                "median_age_days": 4.2,
                "status_chases": 140,
                "by_vendor": {"Vendor A": 20, "Vendor B": 120},
                "examples": ["C-30077"],
            },
            "hidden_by_kpi": None,
        },
        {
            "rank": 4,
            "code": "AB01",
            "title": "Abandonment after transfer",
            "bucket": "customer-felt friction",
            "where": {"activity": "Transfer"},
            "contacts_affected": 150,
            "avoidable_contacts": 150,
            "avoidable_minutes": 900.0,
            "avoidable_cost": 1300.0,
            "share_of_avoidable_cost": 0.08,
            "customers_affected": 150,
            "evidence": {
                "abandon_rate_after_transfer": 0.14,
                "baseline": {"value": 0.05, "scope": "all queues"},
            },
            "hidden_by_kpi": "service level counts only the first queue",
        },
    ]
    by_channel = [
        _metric_row(channel="phone", contacts=4200),
        _metric_row(channel="chat", contacts=1900, fcr=0.64),
    ]
    by_team = [
        _metric_row(team="Tier 1", contacts=3200),
        _metric_row(team="Vendor B", contacts=410, fcr=0.52),
    ]
    by_reason = [
        _metric_row(reason="billing", contacts=2600, repeat_contact_rate=0.31),
        _metric_row(reason="move"),
    ]
    doc = {
        "cxray_version": "0.1.0",
        "options": {"analysis": {"window_days": 7.0, "any_reason": False, "top_variants": 50},
                    "costs": {"currency": "EUR"}, "read": {"mapping": None}},
        "input": {
            "rows_read": 61234, "rows_kept": 60990, "rows_rejected": 200, "duplicates_dropped": 44,
            "rejected_by_reason": {"timestamp unreadable": 150, "contact_id missing": 50},
            "files": ["events-2024-q1.csv"], "time_start": "2024-01-01T00:02:11Z", "time_end": "2024-03-31T23:58:40Z",
            "fields_present": ["customer_id", "channel", "queue", "team", "actor_type", "reason", "outcome", "duration_s"],
            "attributes": ["verbatim"], "records_read": 61234, "missing_markers": {}, "encoding_repairs": 0,
            "nul_bytes_stripped": 0,
            "adapters": {},
            "detected": [],
            "records_left_out": {},
            "likely_columns": {},
            "phone_ids": {},
            "per_file": [{"file": "events-2024-q1.csv", "rows_read": 61234, "rows_kept": 60990,
                          "rows_rejected": 200, "duplicates_dropped": 44,
                          "columns": {"contact_id": "Conversation Id", "channel": "'phone' (constant)"},
                          "clock": "UTC", "day_order": None, "dates_ambiguous": False}],
        },
        "breakdowns": breakdowns,
        "breakdown_summary": {
            "pareto_share": 0.81, "total_avoidable_cost": 16150.0,
            "set_aside": [{"title": "Fraud escalations wait 3 days", "reason": "touches 0.4% of contacts"}],
        },
        "metrics": {
            "overall": _metric_row(contacts=6182, journeys=4975),
            "by_channel": by_channel, "by_team": by_team, "by_reason": by_reason, "by_queue": [],
            "definitions": {"fcr": "journeys resolved with one contact / journeys not censored",
                            "repeat_contact_rate": "uncensored contacts followed by another within 7 days",
                            "contacts": "number of contacts"},
            "disabled": {"ping_pong_rate": "needs queue or team"}, "cost_basis": "handle_time",
            "journey_paths": [
                {"path": ["phone", "IVR", "bot", "tier 1"], "outcome": "resolved", "journeys": 1500},
                {"path": ["phone", "IVR", "bot"], "outcome": "repeat", "journeys": 610},
                {"path": ["phone", "IVR", "bot"], "outcome": "resolved", "journeys": 690},
                {"path": ["phone", "tier 1", "tier 2"], "outcome": "resolved", "journeys": 520},
                {"path": ["chat", "bot", "tier 1", "back office"], "outcome": "repeat", "journeys": 140},
                {"path": ["chat", "bot", "tier 1"], "outcome": "resolved", "journeys": 700},
                {"path": ["phone", "tier 1", "tier 2", "vendor", "back office"], "outcome": "resolved", "journeys": 160},
                {"path": ["phone", "IVR"], "outcome": "abandoned", "journeys": 420},
                {"path": ["chat", "bot"], "outcome": "abandoned", "journeys": 260},
            ],
        },
        "flow": {
            "n_events": 60990, "n_contacts": 6182, "dfg": _dfg(1.0), "start": dict(_START), "end": dict(_END),
            "variants": [
                {"activities": ["IVR menu", "Bot: intent", "Bot: authenticate", "Bot: self-service", "Contained"],
                 "count": 1300, "share": 0.21, "mean_duration_s": 70.0},
                {"activities": ["IVR menu", "Bot: intent", "Bot: authenticate", "Agent: authenticate", "Tier 1",
                                "Resolved"], "count": 1200, "share": 0.19, "mean_duration_s": 600.0},
            ],
            "n_variants": 212,
            "by": {
                "channel": {
                    "phone": {"n_contacts": 4200, "dfg": _dfg(0.7), "start": {"IVR menu": 4074, "Tier 1": 126},
                              "end": {"Resolved": 1800, "Contained": 910, "Abandoned": 600}},
                    "chat": {"n_contacts": 1900, "dfg": _dfg(0.3, drop=("IVR menu",)),
                             "start": {"Bot: intent": 1560, "Tier 1": 90}, "end": {"Resolved": 720, "Contained": 390}},
                },
                "reason": {
                    "billing": {"n_contacts": 2600, "dfg": _dfg(0.45), "start": {"IVR menu": 2500, "Tier 1": 100},
                                "end": {"Resolved": 1100, "Contained": 600}},
                    "move": {"n_contacts": 900, "dfg": _dfg(0.15, drop=("Vendor review", "Status chase")),
                             "start": {"IVR menu": 900}, "end": {"Resolved": 400}},
                },
                "team": {
                    "Tier 1": {"n_contacts": 3200, "dfg": _dfg(0.5, drop=("Vendor review",)),
                               "start": {"IVR menu": 3000}, "end": {"Resolved": 1500}},
                },
            },
        },
        "data_quality": {
            "warnings": [], "bulk_identities": [], "bulk_kept": False, "excluded_contacts": 0, "excluded_events": 0,
            "period": {"data_start": "2024-01-01T00:02:11", "data_end": "2024-03-31T23:58:40",
                       "analysed_end": "2024-03-31T23:58:40", "censor_end": "2024-03-31T23:58:40",
                       "tail_start": None, "outlier_events": 0},
            "clock": "data clock", "opening_hours": {}, "out_of_hours_contacts": 0, "unidentified_contacts": 0,
            "unidentified_share": 0.0, "long_journeys": 0, "unknown_outcome_contacts": 0,
            "unknown_actor_type_contacts": 0, "mixed_customer_contacts": 0,
        },
        "incentives": {},
        "conformance": {},
        "voc": make_voc(),
    }  # fmt: skip
    for b in breakdowns:
        b.setdefault("customer_days_waited", 0.0)
        b["role"] = "cause"
    doc["all_findings"] = copy.deepcopy(breakdowns)
    for b in breakdowns:
        b.update(cause=b["title"], scope="finding", share_of_waiting=0.0, symptoms=[])
    # The transfers breakdown is one failure point with a symptom grouped under it (findings.grouping).
    breakdowns[1].update(
        cause="queue Tier 1",
        scope="entity",
        symptoms=[
            {
                "code": "RP01",
                "title": "Repeat contacts concentrated in queue Tier 1",
                "where": {"queue": "Tier 1"},
                "contacts_affected": 300,
                "avoidable_contacts": 40.0,
                "avoidable_minutes": 300.0,
                "avoidable_cost": 250.0,
                "customer_days_waited": 0.0,
            }
        ],
    )
    flow = doc["flow"]
    flow.update(activities=[], loops=[], self_loops=[], rework_contacts=0)
    for values in flow["by"].values():
        for part in values.values():
            part["n_edges"] = len(part["dfg"])
    return copy.deepcopy(doc)


def make_voc() -> dict[str, Any]:
    """A VoC section with one drop beyond noise, one breakdown felt, two steps and a contact alert whose
    comment is hostile (escaping) and names a contact (redaction)."""
    return {
        "available": True,
        "input": {
            "sources": ["event log", "surveys.csv"], "rows_read": 1210, "rows_kept": 1200, "rows_rejected": 10,
            "rejected_by_reason": {"score outside the survey type's scale": 10},
            "rejected_examples": [{"source": "surveys.csv", "row": 7, "column": "score", "value": "11",
                                   "reason": "score outside the survey type's scale"}],
            "by_type": {"csat": 1000, "nps": 200}, "matched_by_contact": 1100, "matched_by_customer": 60,
            "unmatched": 40,
        },
        "scales": {"nps": [0, 10], "csat": [1, 5], "ces": [1, 7]},
        "scores": [
            {"survey_type": "csat", "metric": "csat_top2", "dimension": "overall", "value_key": None, "week": None,
             "responses": 1000, "value": 0.71, "lower": 0.68, "upper": 0.74},
            {"survey_type": "nps", "metric": "nps", "dimension": "overall", "value_key": None, "week": None,
             "responses": 200, "value": 12.5, "lower": 1.5, "upper": 23.5},
        ],
        "alerts": [
            {"metric": "csat_top2", "segment": {"queue": "Tier 1"}, "period_start": "2024-02-12", "value": 0.41,
             "expected": 0.72, "lower": 0.55, "upper": 0.86, "responses": 80, "bad_share": 0.59,
             "expected_bad_share": 0.28, "bad_limit": 0.45, "sigma_z": 1.0, "p_value": 1e-9, "q_value": 1e-7,
             "explained_by": None},
        ],
        "alert_stats": {"tests": 120, "segments": 9, "alerts": 1, "method": "Laney p′ chart ...", "fdr": 0.05},
        "pairings": [
            {"metric": "csat_top2", "segment": {"queue": "Tier 1"}, "period_start": "2024-02-12",
             "operations": [{"metric": "repeat_contact_rate", "week": 0.2, "rest": 0.19, "z": 0.3, "worse": False}],
             "operations_moved": False,
             "reading": "survey movement, not a business change: repeat contacts, transfers and cost per "
                        "contact did not move that week"},
        ],
        "contact_alerts": [
            {"response_id": 9, "contact_id": "C-10023", "customer_id": "U-77", "ts": "2024-02-13T10:00:00",
             "survey_type": "csat", "score": 1.0, "sentiment": -0.8,
             "verbatim": "<script>alert('voc')</script> nobody called me back", "reason": "billing"},
        ],
        "contact_alerts_total": 1,
        "sentiment": {"method": "VADER 3.3.2 (MIT), lexicon-based, English", "scored": 600, "distinct_texts": 410},
        "sentiment_by": {"queue": [{"value": "Tier 1", "responses": 300, "verbatims": 200, "mean_sentiment": -0.2,
                                    "negative_share": 0.4}]},
        "steps": [
            {"activity": "Authenticate", "kind": "authenticate", "theme": "verification", "verbatims": 40,
             "negative_share": 0.6, "mean_score": 2.1, "examples": ["Had to give my details twice <b>again</b>"]},
            {"activity": "Transfer", "kind": "transfer", "theme": "transfer", "verbatims": 25,
             "negative_share": 0.7, "mean_score": 2.4, "examples": ["Passed around"]},
        ],
        "verbatim_stats": {"verbatims": 600, "mapped": 560, "unplaced": 10, "unmapped": 30,
                           "by_theme": {"verification": 40, "transfer": 25}},
        "breakdowns": [
            {"rank": 1, "code": "TR01", "title": "Queue Tier 1 transfers billing contacts onward",
             "survey_type": "csat", "metric": "csat_top2", "affected": {"responses": 120, "value": 0.5},
             "unaffected": {"responses": 880, "value": 0.74}, "difference": -0.24, "lower": -0.33,
             "upper": -0.15, "verdict": "felt"},
        ],
        "touchpoints": [make_touchpoint()],
        "lead_lag": {"leading": "fcr", "lagging": "csat_top2", "weeks": ["2024-01-01", "2024-01-08"],
                     "leading_series": [0.7, 0.72], "lagging_series": [0.7, 0.71], "best_lag_weeks": None,
                     "correlation": None,
                     "reading": "too few weeks with both first-contact resolution and survey scores to pair them"},
    }  # fmt: skip


def make_touchpoint() -> dict[str, Any]:
    """One touchpoint of the blueprint, its owner's name hostile (escaping)."""
    return {
        "touchpoint": "queue_wait", "activities": ["Queue wait"], "channel": "phone",
        "owner": "<img src=x onerror=alert(1)>", "actor_type": "system", "lane": "support systems",
        "trigger": {"touchpoint": "authenticate", "channel": "phone", "owner": "ivr", "share": 0.8}, "contacts": 900, "events": 950,
        "median_step": 3.0, "expected_s": 120.0, "median_s": 240.0, "p90_s": 900.0,
        "duration_basis": "time to next event", "breaches_sla": 0.6, "ideal_outcome": "answered quickly",
        "measured_by": "handle time", "handoffs_in": [], "handoffs_out": [],
        "findings": [{"code": "AB01", "title": "Abandonment peak", "rank": 2}], "findings_total": 1,
        "voice": None,
    }  # fmt: skip
