"""The touchpoint map for the page: a service blueprint in four swimlanes.

Reads the touchpoints (``voc.touchpoints``, :class:`cxray.voc.touchpoints.TouchpointDoc`) and lays them out
for ``templates/voc-blueprint.html.j2``: one lane per role (customer actions, front stage, back stage,
support systems), each touchpoint a box in the column of its typical position in the journey (the rank of
its median step among all touchpoints, so boxes at the same step line up across lanes). Every value is
formatted here as text; the template escapes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .fmt import fmt

#: The lanes, top to bottom: (the touchpoint's ``lane``, the label on the page).
LANES: tuple[tuple[str, str], ...] = (
    ("customer", "Customer actions"),
    ("front stage", "Front stage"),
    ("back stage", "Back stage"),
    ("support systems", "Support systems"),
)
#: A touchpoint is flagged slow when at least this share of its events breach its SLA.
BREACH_FLAG = 0.25


def blueprint_view(touchpoints: Sequence[Mapping[str, Any]] | None) -> dict[str, Any] | None:
    """``{"columns", "lanes": [{"key", "label", "boxes"}], "touchpoints"}``; None without touchpoints.

    >>> v = blueprint_view([{"touchpoint": "IVR menu", "lane": "front stage", "median_step": 1.0,
    ...                      "channel": "phone", "owner": "ivr", "median_s": 45.0, "expected_s": 30.0,
    ...                      "breaches_sla": 0.9, "findings_total": 0, "voice": None, "contacts": 10}])
    >>> v["columns"], v["lanes"][1]["boxes"][0]["column"], v["lanes"][1]["boxes"][0]["slow"]
    (1, 1, True)
    >>> blueprint_view([]) is None
    True
    """
    if not touchpoints:
        return None
    steps = sorted({_step(t) for t in touchpoints})
    column = {s: i + 1 for i, s in enumerate(steps)}
    lanes = []
    for key, label in LANES:
        mine = [t for t in touchpoints if t.get("lane") == key]
        mine.sort(key=lambda t: (_step(t), -int(t.get("contacts") or 0)))
        lanes.append({"key": key, "label": label, "boxes": [_box(t, column[_step(t)]) for t in mine]})
    return {"columns": len(steps), "lanes": lanes, "touchpoints": len(touchpoints)}


def _step(t: Mapping[str, Any]) -> float:
    step = t.get("median_step")
    return float(step) if step is not None else float("inf")


def _box(t: Mapping[str, Any], column: int) -> dict[str, Any]:
    breaches, expected = t.get("breaches_sla"), t.get("expected_s")
    voice = t.get("voice") or None
    heard = voice is not None and bool(voice.get("verbatims"))
    findings = int(t.get("findings_total") or len(t.get("findings") or []))
    return {
        "column": column,
        "touchpoint": str(t.get("touchpoint")),
        "where": " · ".join(str(x) for x in (t.get("channel"), t.get("owner")) if x),
        "contacts": fmt(t.get("contacts")),
        "median": fmt(t.get("median_s"), "s"),
        "expected": fmt(expected, "s") if expected is not None else None,
        "breaches": fmt(breaches, "pct") if breaches is not None else None,
        "slow": breaches is not None and breaches >= BREACH_FLAG,
        "findings": findings,
        # The ranked breakdowns that touch it: these, not every finding, turn a box red (on a real log
        # with many teams most touchpoints carry some finding, and a map all in red says nothing).
        "breakdowns": sorted({int(f["rank"]) for f in t.get("findings") or [] if f.get("rank") is not None}),
        "finding_titles": [str(f.get("title")) for f in t.get("findings") or []],
        "voice": (
            {
                "verbatims": fmt(voice.get("verbatims")),
                "negative": fmt(voice.get("negative_share"), "pct"),
                "flag": (voice.get("negative_share") or 0) >= 0.5,
            }
            if heard and voice is not None
            else None
        ),
    }


__all__ = ["BREACH_FLAG", "LANES", "blueprint_view"]
