"""Vendor evaluation: score the shortlist against the diagnosis's own breakdowns, not a feature list.

A vendor demo shows what the vendor does well; the diagnosis says what this operation needs. So a vendor is
scored on the plan's *scenarios* (``cxray.plan.scenarios``: one per initiative, written from its
breakdown's evidence), and its workflow fit is its scenario scores weighted by how many contacts each
scenario stands for. The five fit areas are then combined with the context's weights, and each weight is
moved by 20% to show whether the winner depends on how the areas were weighed (a lead that one weight can
flip is no lead).

>>> from cxray.plan.context import VendorContext
>>> ev = evaluate_vendors(
...     [VendorContext("A", scores={"workflow": 4, "data": 4}), VendorContext("B", scores={"workflow": 2})],
...     [],
...     {},
... )
>>> [(v["name"], v["total"], len(v["missing"])) for v in ev["vendors"]]
[('A', 2.2, 3), ('B', 1.2, 4)]
>>> ev["winner"], ev["robust"]
('A', True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Final

from typing_extensions import TypedDict

from ..errors import ConfigError
from .context import FIT_AREAS, VendorContext
from .scenarios import ScenarioDoc

#: How far each area weight is moved (relatively) to test whether the winner depends on it.
SENSITIVITY: Final = 0.2
#: Fits and totals are rounded to this many digits before they are compared: scores are whole numbers 1-5,
#: so a smaller gap is arithmetic noise, and equal rounded totals are a tie.
_DIGITS: Final = 4


class VendorScoreDoc(TypedDict):
    """One vendor: its score by area (workflow is its scenario fit when it was scored on scenarios)."""

    name: str
    area_scores: dict[str, float]
    #: Its scenario scores weighted by each scenario's volume; None when it was scored on none.
    scenario_fit: float | None
    #: Areas (counted as 1) and scenario ids it was not scored on.
    missing: list[str]
    #: sum(weight * area score), weights normalised: on the 1-5 scale.
    total: float


class SensitivityDoc(TypedDict):
    """Who wins when one area's weight moves by ``change`` (relative; the weights renormalised)."""

    area: str
    change: float
    winner: str | None
    changes_winner: bool


class VendorEvaluationDoc(TypedDict):
    """``vendor_evaluation`` in ``plan.json``."""

    areas: list[str]
    weights: dict[str, float]
    scenarios: list[str]
    vendors: list[VendorScoreDoc]
    winner: str | None
    sensitivity: list[SensitivityDoc]
    robust: bool
    verdict: str


# --- evaluation -----------------------------------------------------------------------------------------
def evaluate_vendors(
    vendors: Sequence[VendorContext], scenarios: list[ScenarioDoc], weights: Mapping[str, float]
) -> VendorEvaluationDoc | None:
    """Each vendor's fit by area, its weighted total, the winner and whether the weights decide it.

    ``weights``: area -> weight (``Weights.vendor_areas``); an area not given weighs 1.0, and the weights
    are normalised to sum to 1, so totals are on the 1-5 scale of the scores. A vendor's ``workflow``
    score is replaced by its scenario fit when it was scored on scenarios; an area it was not scored on
    counts as 1, the worst, so silence never helps. None when there are no vendors.
    """
    if not vendors:
        return None
    areas = list(FIT_AREAS)
    raw = _weights(weights)
    known = [sc["id"] for sc in scenarios]
    volume = {sc["id"]: sc["volume"] for sc in scenarios}
    scored = [_score(v, areas, known, volume, raw) for v in vendors]
    totals = {d["name"]: d["total"] for d in scored}

    def winner_at(w: dict[str, float]) -> str | None:
        return _winner({d["name"]: _total(d["area_scores"], w) for d in scored})

    winner = _winner(totals)
    sensitivity: list[SensitivityDoc] = []
    for area in areas:
        for change in (SENSITIVITY, -SENSITIVITY):
            moved = winner_at({**raw, area: raw[area] * (1 + change)})
            sensitivity.append(
                {"area": area, "change": change, "winner": moved, "changes_winner": moved != winner}
            )
    ranked = sorted(scored, key=lambda d: (-d["total"], d["name"]))
    robust = winner is not None and not any(s["changes_winner"] for s in sensitivity)
    norm = _normalised(raw)
    return {
        "areas": areas,
        "weights": {a: round(norm[a], _DIGITS) for a in areas},
        "scenarios": known,
        "vendors": ranked,
        "winner": winner,
        "sensitivity": sensitivity,
        "robust": robust,
        "verdict": _verdict(ranked, winner, sensitivity),
    }


def _weights(weights: Mapping[str, float]) -> dict[str, float]:
    unknown = sorted(set(weights) - set(FIT_AREAS))
    if unknown:
        raise ConfigError(f"vendor area weights: unknown area {unknown[0]!r} (known: {', '.join(FIT_AREAS)})")
    raw = {a: weights.get(a, 1.0) for a in FIT_AREAS}
    bad = [a for a, w in raw.items() if isinstance(w, bool) or not math.isfinite(w) or w < 0]
    if bad:
        raise ConfigError(
            f"vendor area weights: {bad[0]} must be a number of at least 0, got {raw[bad[0]]!r}"
        )
    if not sum(raw.values()):
        raise ConfigError("vendor area weights: at least one area must weigh more than 0")
    return raw


def _normalised(w: Mapping[str, float]) -> dict[str, float]:
    total = sum(w.values())
    return {a: x / total for a, x in w.items()}


def _total(scores: Mapping[str, float], weights: Mapping[str, float]) -> float:
    norm = _normalised(weights)
    return round(sum(norm[a] * scores[a] for a in norm), _DIGITS)


def _winner(totals: Mapping[str, float]) -> str | None:
    """The vendor with the highest total; None when two share it."""
    best = max(totals.values())
    top = [n for n, t in totals.items() if t == best]
    return top[0] if len(top) == 1 else None


def _check_score(vendor: str, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= 5:
        raise ConfigError(f"vendor {vendor!r}: {key} must be a score from 1 to 5, got {value!r}")
    return float(value)


def _score(
    v: VendorContext,
    areas: list[str],
    known: list[str],
    volume: Mapping[str, float],
    weights: Mapping[str, float],
) -> VendorScoreDoc:
    unknown = sorted(set(v.scenario_scores) - set(known))
    if unknown:
        raise ConfigError(
            f"vendor {v.name!r}: unknown scenario {unknown[0]!r} (known: {', '.join(known) or 'none'})"
        )
    bad_areas = sorted(set(v.scores) - set(areas))
    if bad_areas:
        raise ConfigError(f"vendor {v.name!r}: unknown area {bad_areas[0]!r} (known: {', '.join(areas)})")
    marks = {
        sid: _check_score(v.name, sid, v.scenario_scores[sid]) for sid in known if sid in v.scenario_scores
    }
    fit: float | None = None
    if marks:
        mass = sum(volume[sid] for sid in marks)
        # Volume-weighted: a scenario standing for 500 contacts counts ten times one standing for 50; with no
        # volume at all (an empty period), each scenario counts once.
        fit = (
            sum(volume[sid] * m for sid, m in marks.items()) / mass
            if mass
            else sum(marks.values()) / len(marks)
        )
        fit = round(fit, _DIGITS)
    scores: dict[str, float] = {}
    missing: list[str] = []
    for area in areas:
        if area == "workflow" and fit is not None:
            scores[area] = fit
        elif area in v.scores:
            scores[area] = _check_score(v.name, area, v.scores[area])
        else:
            scores[area] = 1.0
            missing.append(area)
    missing += [sid for sid in known if sid not in marks]
    return {
        "name": v.name,
        "area_scores": scores,
        "scenario_fit": fit,
        "missing": missing,
        "total": _total(scores, weights),
    }


def _verdict(ranked: list[VendorScoreDoc], winner: str | None, sensitivity: list[SensitivityDoc]) -> str:
    first = ranked[0]
    if len(ranked) == 1:
        return (
            f"{first['name']} is the only vendor scored ({first['total']:.2f} of 5): nothing to compare with."
        )
    second = ranked[1]
    if winner is None:
        tied = [d["name"] for d in ranked if d["total"] == first["total"]]
        return (
            f"No winner: {' and '.join(tied)} tie on {first['total']:.2f} of 5; score the scenarios or areas "
            "they differ on."
        )
    lead = f"{winner} leads on {first['total']:.2f} of 5, ahead of {second['name']} ({second['total']:.2f})"
    gaps = (
        f", though it was not scored on {len(first['missing'])} areas or scenarios"
        if first["missing"]
        else ""
    )
    flip = next((s for s in sensitivity if s["changes_winner"]), None)
    if flip is None:
        return f"{lead}, and stays ahead when any area's weight moves by {SENSITIVITY:.0%}{gaps}."
    other = f"makes {flip['winner']} the winner" if flip["winner"] else "ties it"
    return (
        f"{lead}, but the lead rests on the weights: {flip['area']} weighted {flip['change']:+.0%} "
        f"{other}{gaps}."
    )


__all__ = [
    "SENSITIVITY",
    "SensitivityDoc",
    "VendorEvaluationDoc",
    "VendorScoreDoc",
    "evaluate_vendors",
]
