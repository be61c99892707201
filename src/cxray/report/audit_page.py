"""The audit as a page: ``audit.html``, one self-contained printable file (like ``plan.html``).

``render_audit_html(document)`` renders ``templates/audit.html.j2`` with the report's Jinja2 environment
(autoescape, StrictUndefined), so every segment, queue or trigger name from the data is escaped; the page
has no script and no link outside itself. When triggers were judged, the roll-back decision and the
triggers come first; then one row per measure: the pilot's own before/after (naive) beside the
difference-in-differences effect with its interval, the parallel-trends check and the verdict.
:func:`audit_view` arranges ``audit.json`` for it, numbers formatted in each measure's unit.

>>> fmt_effect(0.0123, "rate"), fmt_level(0.5, "rate"), fmt_effect(-12.0, "seconds")
('+1.23 pts', '50.0%', '−12.0 s')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .fmt import DASH

if TYPE_CHECKING:
    from ..audit.document import AuditDocument

__all__ = ["audit_view", "fmt_effect", "fmt_level", "render_audit_html"]

_VERDICT_CLASS = {
    "improved": "ok",
    "worse": "bad",
    "no detectable change": "flat",
    "insufficient data": "na",
}


def _minus(text: str) -> str:
    return text.replace("-", "−")


def fmt_level(value: float | None, unit: str) -> str:
    """A cell mean in its unit: a rate as a percentage, seconds, money or a score."""
    if value is None:
        return DASH
    if unit == "rate":
        return f"{100 * value:.1f}%"
    if unit == "seconds":
        return f"{value:,.1f} s"
    return _minus(f"{value:,.2f}")


def fmt_effect(value: float | None, unit: str) -> str:
    """A signed difference in its unit: a rate's in percentage points."""
    if value is None:
        return DASH
    if unit == "rate":
        return _minus(f"{100 * value:+.2f} pts")
    if unit == "seconds":
        return _minus(f"{value:+,.1f} s")
    return _minus(f"{value:+,.2f}")


def _ci(low: float | None, high: float | None, unit: str, *, pct: bool = False) -> str:
    if low is None or high is None:
        return "no interval"
    if pct:
        return _minus(f"{low:+.1%} to {high:+.1%}")
    return f"{fmt_effect(low, unit)} to {fmt_effect(high, unit)}"


def _trends(pt: Mapping[str, Any], unit: str) -> tuple[str, str, str]:
    """The parallel-trends check: a word, its evidence, and its class."""
    status = pt["status"]
    if status == "too_few_weeks":
        return (
            "not checked",
            f"{pt['weeks_pilot']}/{pt['weeks_control']} weeks before (pilot/control)",
            "na",
        )
    if status != "ok":
        return ("not checked", status.replace("_", " "), "na")
    gap = f"slope gap {fmt_effect(pt['difference'], unit)}/wk, {_ci(pt['ci_low'], pt['ci_high'], unit)}"
    if pt["holds"]:
        return ("holds", gap, "ok")
    return ("diverged", gap, "bad")


def _measure_row(m: Mapping[str, Any]) -> dict[str, Any]:
    unit, est = m["unit"], m["estimate"]
    row: dict[str, Any] = {
        "name": m["name"],
        "label": m["label"],
        "definition": m["definition"],
        "better": "higher" if m["higher_is_better"] else "lower",
        "verdict": m["verdict"],
        "verdict_class": _VERDICT_CLASS.get(m["verdict"], "na"),
        "disabled": m["disabled"],
    }
    if est is None:
        return {**row, "has_estimate": False}
    naive = est["naive"]
    relative = est["relative"]
    trends, trends_detail, trends_class = _trends(est["parallel_trends"], unit)
    return {
        **row,
        "has_estimate": True,
        "pilot": f"{fmt_level(est['pilot_before'], unit)} → {fmt_level(est['pilot_after'], unit)}",
        "control": f"{fmt_level(est['control_before'], unit)} → {fmt_level(est['control_after'], unit)}",
        "n": f"{est['n_pilot_before']:,}/{est['n_pilot_after']:,} · {est['n_control_before']:,}/"
        f"{est['n_control_after']:,}",
        "customers": f"{est['customers_pilot']:,} · {est['customers_control']:,}",
        "naive": DASH if naive is None else fmt_effect(naive["estimate"], unit),
        "naive_ci": "" if naive is None else _ci(naive["low"], naive["high"], unit),
        "effect": fmt_effect(est["effect"], unit),
        "effect_ci": _ci(est["ci_low"], est["ci_high"], unit),
        "relative": DASH if relative is None else _minus(f"{relative['estimate']:+.1%}"),
        "relative_ci": "" if relative is None else _ci(relative["low"], relative["high"], unit, pct=True),
        "trends": trends,
        "trends_detail": trends_detail,
        "trends_class": trends_class,
        "note": est["note"],
    }


def audit_view(doc: Mapping[str, Any]) -> dict[str, Any]:
    """What the page shows, arranged from ``audit.json``'s dict: rows per measure, the decision first."""
    measures = [_measure_row(m) for m in doc["measures"]]
    decision = doc["decision"]
    seg = doc["segments"]
    cells = {(c["group"], c["period"]): c for c in seg["cells"]}
    return {
        "doc": doc,
        "measures": measures,
        "decision": decision,
        "roll_back": bool(decision and decision["roll_back"]),
        # The summary after its leading "roll back: " or "keep: ", which the banner says in bold.
        "decision_detail": decision["summary"].partition(": ")[2] or decision["summary"] if decision else "",
        "triggers": doc["triggers"],
        "seg": seg,
        "cells": [
            {"group": g, "period": p, **({"contacts": 0, "customers": 0} | dict(cells.get((g, p), {})))}
            for g in ("pilot", "control")
            for p in ("before", "after")
        ],
        "changed": [m for m in measures if m["verdict"] in ("improved", "worse")],
        "trends_broken": [m["label"] for m in measures if m.get("trends_class") == "bad"],
    }


def render_audit_html(document: AuditDocument | Mapping[str, Any]) -> str:
    """``audit.html``: the audit (``cxray.audit.audit``) as one self-contained, printable page."""
    from .html import _env  # the report's environment (autoescape, the fmt filter)

    doc = document if isinstance(document, Mapping) else document.to_dict()
    return _env.get_template("audit.html.j2").render(av=audit_view(doc), d=doc)
