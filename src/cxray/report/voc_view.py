"""The voice of the customer for the page: drops beyond noise beside the operation, breakdowns customers
feel, and what they say at each step.

Reads ``doc["voc"]`` (:class:`cxray.voc.VocDoc`). Scores are shown in their own unit (NPS points, CSAT as a
top-2-box share, CES as a mean), each with its interval or its control limits, so a reader never compares
a number without its noise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .blueprint_view import blueprint_view
from .fmt import fmt

#: How each score metric is labelled and formatted.
METRIC_LABELS = {
    "nps": ("NPS", "pts"),
    "csat_top2": ("CSAT (top-2-box)", "pct"),
    "ces_mean": ("CES (mean)", ""),
}
# Steps listed, most talked-about first.
_STEPS = 8
_CONTACT_ALERTS = 5
# Touchpoints drawn as swimlanes (touchpoints.csv holds every one).
_BLUEPRINT = 40


def score(value: Any, metric: str) -> str:
    """A score in its metric's unit: ``fmt`` of a share, NPS points with a sign."""
    kind = METRIC_LABELS.get(metric, (metric, ""))[1]
    if value is None:
        return fmt(None)
    if kind == "pts":
        return f"{value:+.0f}"
    return fmt(value, kind)


def segment_label(segment: Mapping[str, str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in segment.items()) or "all responses"


def voc_view(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the section shows; None when the document has no ``voc`` section (an older diagnosis)."""
    v = doc.get("voc")
    if not isinstance(v, Mapping):
        return None
    pairings = {
        (p["metric"], tuple(sorted(p["segment"].items())), p["period_start"]): p for p in v["pairings"]
    }
    alerts = [
        {
            "metric": METRIC_LABELS.get(a["metric"], (a["metric"], ""))[0],
            "segment": segment_label(a["segment"]),
            "week": a["period_start"],
            "value": score(a["value"], a["metric"]),
            "expected": score(a["expected"], a["metric"]),
            "limits": f"{score(a['lower'], a['metric'])} to {score(a['upper'], a['metric'])}",
            "responses": a["responses"],
            "q": a["q_value"],
            "pairing": pairings.get(_key(a)),
            "explained_by": None if a["explained_by"] is None else segment_label(a["explained_by"]),
        }
        for a in sorted(v["alerts"], key=lambda a: a["explained_by"] is not None)  # causes first
    ]
    overall = [
        {
            "metric": METRIC_LABELS.get(r["metric"], (r["metric"], ""))[0],
            "value": score(r["value"], r["metric"]),
            "interval": f"{score(r['lower'], r['metric'])} to {score(r['upper'], r['metric'])}",
            "responses": r["responses"],
        }
        for r in v["scores"]
        if r["dimension"] == "overall" and r["week"] is None
    ]
    felt = [
        {
            **b,
            "label": METRIC_LABELS.get(b["metric"], (b["metric"], ""))[0],
            "affected_score": score(b["affected"]["value"], b["metric"]),
            "unaffected_score": score(b["unaffected"]["value"], b["metric"]),
            "gap": None
            if b["difference"] is None
            else f"{score(b['difference'], b['metric'])} ({score(b['lower'], b['metric'])} to "
            f"{score(b['upper'], b['metric'])})",
        }
        for b in v["breakdowns"]
    ]
    return {
        "available": v["available"],
        "input": v["input"],
        "overall": overall,
        "alerts": alerts,
        "stats": v["alert_stats"],
        "felt": felt,
        "steps": v["steps"][:_STEPS],
        "more_steps": max(0, len(v["steps"]) - _STEPS),
        "verbatim_stats": v["verbatim_stats"],
        "contact_alerts": v["contact_alerts"][:_CONTACT_ALERTS],
        "contact_alerts_total": v["contact_alerts_total"],
        "lead_lag": v["lead_lag"],
        "sentiment": v["sentiment"],
        "blueprint": blueprint_view(v["touchpoints"][:_BLUEPRINT]),
        "touchpoints_total": len(v["touchpoints"]),
    }


def _key(item: Mapping[str, Any]) -> tuple[str, tuple[tuple[str, str], ...], str]:
    return item["metric"], tuple(sorted(item["segment"].items())), str(item["period_start"])


__all__ = ["METRIC_LABELS", "score", "segment_label", "voc_view"]
