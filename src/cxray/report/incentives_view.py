"""Incentives vs outcomes for the page: each party's KPI beside what its work leads to.

Reads ``doc["incentives"]`` (:func:`cxray.incentives.assess_incentives`): parties with their KPI and
outcomes, and the misalignment findings. A party is flagged when a finding names it, so the table
shows at a glance who is rewarded for what the customer does not need.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import schema as S
from .fmt import fmt

# KPI -> (label, format kind, whether higher is better); unknown KPIs show their own name, unformatted.
KPI_LABELS = {
    "containment": ("containment", "pct", True),
    "handle_time": ("handle time", "s", False),
    "cost_per_contact": ("cost per contact", "money", False),
    "speed_to_close": ("speed to close", "s", False),
}
# Outcome columns: key, heading, format kind.
OUTCOMES = (
    ("true_resolution", "true resolution", "pct"),
    ("repeat_rate", "repeat rate", "pct"),
    ("transfer_out_rate", "transfer-out", "pct"),
    ("cost_per_resolved", "cost per resolved", "money"),
    (S.SURVEY_SCORE, "survey score", ""),
)


def _named_party(finding: Mapping[str, Any]) -> str | None:
    if finding.get("party"):
        return str(finding["party"])
    where = finding.get("where")
    if isinstance(where, dict):
        for key in (S.TEAM, S.ACTOR_TYPE):
            if where.get(key) is not None:
                return str(where[key])
    return None


def incentives_view(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """Rows for the incentives table, or None when the document carries no party."""
    inc = doc.get("incentives")
    if not isinstance(inc, dict):
        return None
    parties = [p for p in inc.get("parties") or [] if isinstance(p, dict) and p.get("party") is not None]
    if not parties:
        return None
    findings = [f for f in inc.get("findings") or [] if isinstance(f, dict)]
    by_party: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        name = _named_party(f)
        if name is not None:
            by_party.setdefault(name, []).append(
                {"code": f.get("code"), "title": f.get("title"), "rank": f.get("rank")}
            )
    rows = []
    for p in parties:
        kpi = str(p.get("kpi") or "")
        kpi_label, kind, higher = KPI_LABELS.get(kpi, (kpi, "", None))
        rows.append(
            {
                "party": str(p["party"]),
                "kpi": kpi_label,
                "better": None if higher is None else ("higher" if higher else "lower"),
                "kpi_value": fmt(p.get("kpi_value"), kind),
                "kpi_target": fmt(p.get("kpi_target"), kind) if p.get("kpi_target") is not None else "",
                "outcomes": [fmt(p.get(key), kind) for key, _, kind in OUTCOMES],
                "contacts": p.get("touched"),
                "findings": by_party.get(str(p["party"]), []),
            }
        )
    return {
        "rows": rows,
        "headings": [h for _, h, _ in OUTCOMES],
        "kpi_source": inc.get("kpi_source"),
        "n_misaligned": sum(1 for r in rows if r["findings"]),
        "currency": inc.get("currency") or "",
    }
