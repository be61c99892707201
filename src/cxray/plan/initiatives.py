"""From breakdowns to initiatives: one candidate fix per breakdown, in a lane, with its screens scored.

The first step of the plan (docs/plan.md): each ranked breakdown of a diagnosis proposes the initiative the
catalogue (``catalogue.yaml``, data) gives for its lead finding's detector, with a stable id built from the
detector code and the failure point, so a context file can refer to it. Two of the four screens are
computed from the diagnosis, each with the reason shown:

- **customer effect** (1-5): the share of contacts the breakdown touches, raised one step when customers
  feel it (its bucket is customer-felt friction, or customers waited beyond the baseline);
- **operational effect** (1-5): its share of the avoidable cost found.

Delivery complexity and dependency risk are the catalogue's typical values until a context file says
otherwise (a later step); the priority combines the four (:func:`priority`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any, Final, Literal

from typing_extensions import TypedDict

from .. import schema as S
from ..diagnosis import DiagnosisDocument
from ..errors import ConfigError
from ..findings.base import CUSTOMER_FELT
from ..findings.finder import BreakdownDoc
from ..yamlio import load_yaml

Lane = Literal["immediate", "redesign", "platform", "policy"]
#: The four lanes, in the order a leadership team reads them.
LANES: Final[dict[str, str]] = {
    "immediate": "immediate operational fix",
    "redesign": "cross-functional service redesign",
    "platform": "platform and data change",
    "policy": "policy and governance change",
}
COST_BANDS: Final = ("small", "medium", "large")
_KEYS: Final = {"fix", "lane", "systems", "approvals", "complexity", "dependency_risk", "cost_band"}
# Upper bounds of the shares that score 1, 2, 3 and 4 (above the last: 5).
_CONTACT_STEPS: Final = (0.01, 0.03, 0.08, 0.15)
_COST_STEPS: Final = (0.05, 0.10, 0.20, 0.35)


@dataclass(frozen=True)
class CatalogueEntry:
    """The candidate initiative for one detector's breakdowns."""

    code: str
    fix: str
    lane: Lane
    systems: tuple[str, ...]
    approvals: tuple[str, ...]
    complexity: int
    dependency_risk: int
    cost_band: str


@cache
def catalogue() -> dict[str, CatalogueEntry]:
    """The built-in catalogue, by detector code (``cxray/plan/catalogue.yaml``)."""
    text = files("cxray.plan").joinpath("catalogue.yaml").read_text(encoding="utf-8")
    return parse_catalogue(load_yaml(text, path="catalogue.yaml"), path="catalogue.yaml")


def parse_catalogue(data: Any, *, path: str | None = None) -> dict[str, CatalogueEntry]:
    """Entries from ``{initiatives: {CODE: {...}}}``; unknown keys and bad values are a ConfigError."""
    if (
        not isinstance(data, dict)
        or set(data) != {"initiatives"}
        or not isinstance(data["initiatives"], dict)
    ):
        raise ConfigError("expected one key, initiatives: a mapping of detector codes", path=path)
    out = {}
    for code, body in data["initiatives"].items():
        where = f"initiatives.{code}"
        if not isinstance(body, dict) or set(body) != _KEYS:
            missing, extra = sorted(_KEYS - set(body or {})), sorted(set(body or {}) - _KEYS)
            raise ConfigError(f"{where}: missing {missing}, unknown {extra}", path=path)
        if body["lane"] not in LANES or body["cost_band"] not in COST_BANDS:
            raise ConfigError(f"{where}: lane one of {list(LANES)}, cost_band one of {COST_BANDS}", path=path)
        for k in ("complexity", "dependency_risk"):
            if body[k] not in (1, 2, 3, 4, 5):
                raise ConfigError(f"{where}.{k}: expected 1 to 5, got {body[k]!r}", path=path)
        out[str(code)] = CatalogueEntry(
            code=str(code),
            fix=str(body["fix"]),
            lane=body["lane"],
            systems=tuple(map(str, body["systems"])),
            approvals=tuple(map(str, body["approvals"])),
            complexity=body["complexity"],
            dependency_risk=body["dependency_risk"],
            cost_band=body["cost_band"],
        )
    return out


class Screen(TypedDict):
    """One of the four screens: a score from 1 (little) to 5 (much) and why."""

    score: int
    reason: str


class InitiativeDoc(TypedDict):
    """An initiative in ``plan.json``."""

    id: str
    breakdown_rank: int | None
    code: str
    title: str
    fix: str
    lane: Lane
    lane_label: str
    systems: list[str]
    approvals: list[str]
    cost_band: str
    customer_effect: Screen
    operational_effect: Screen
    delivery_complexity: Screen
    dependency_risk: Screen
    priority: float
    avoidable_cost: float
    avoidable_contacts: float
    customer_days_waited: float


@dataclass(frozen=True)
class PlanWeights:
    """How the four screens combine into a priority (docs/plan.md): effects count for, effort against."""

    customer_effect: float = 1.0
    operational_effect: float = 1.0
    delivery_complexity: float = 0.5
    dependency_risk: float = 0.5


@dataclass(frozen=True)
class PlanOptions:
    weights: PlanWeights = field(default_factory=PlanWeights)


def initiative_id(b: BreakdownDoc) -> str:
    """A stable id: the detector code and the failure point, e.g. ``BO01-refunds-bo``."""
    point = b["where"].get(S.QUEUE) or b["where"].get(S.TEAM) or "-".join(str(v) for v in b["where"].values())
    slug = re.sub(r"[^a-z0-9]+", "-", str(point).lower()).strip("-")
    return f"{b['code']}-{slug}" if slug else b["code"]


def _step(share: float, steps: tuple[float, ...]) -> int:
    return 1 + sum(share > s for s in steps)


def customer_effect(b: BreakdownDoc, contacts: int) -> Screen:
    share = b["contacts_affected"] / contacts if contacts else 0.0
    score = _step(share, _CONTACT_STEPS)
    reason = f"touches {share:.1%} of contacts ({b['contacts_affected']:,})"
    felt = b["bucket"] == CUSTOMER_FELT or b["share_of_waiting"] > 0
    if felt and score < 5:
        score += 1
        reason += "; customers feel it" + (
            f" ({b['customer_days_waited']:,.0f} days waited beyond the baseline)"
            if b["share_of_waiting"]
            else ""
        )
    return {"score": score, "reason": reason}


def operational_effect(b: BreakdownDoc) -> Screen:
    share = b["share_of_avoidable_cost"]
    reason = f"{share:.1%} of the avoidable cost found"
    if b["avoidable_contacts"]:
        reason += f", {b['avoidable_contacts']:,.0f} avoidable contacts"
    return {"score": _step(share, _COST_STEPS), "reason": reason}


def priority(screens: dict[str, Screen], weights: PlanWeights) -> float:
    """Weighted effects minus weighted effort, on the screens' 1-5 scale (higher: do it sooner)."""
    signed = {"customer_effect": 1, "operational_effect": 1, "delivery_complexity": -1, "dependency_risk": -1}
    return round(sum(sign * getattr(weights, k) * screens[k]["score"] for k, sign in signed.items()), 2)


def initiatives(doc: DiagnosisDocument, options: PlanOptions | None = None) -> list[InitiativeDoc]:
    """One initiative per ranked breakdown with a catalogue entry, by priority (then breakdown rank)."""
    options = options or PlanOptions()
    contacts = int(doc["breakdown_summary"].get("contacts") or 0)
    out: list[InitiativeDoc] = []
    for b in doc["breakdowns"]:
        entry = catalogue().get(b["code"])
        if entry is None:
            continue  # a user's own detector without a catalogue entry: no candidate fix to propose
        screens: dict[str, Screen] = {
            "customer_effect": customer_effect(b, contacts),
            "operational_effect": operational_effect(b),
            "delivery_complexity": {"score": entry.complexity, "reason": "typical for this fix (catalogue)"},
            "dependency_risk": {"score": entry.dependency_risk, "reason": "typical for this fix (catalogue)"},
        }
        out.append(
            {
                "id": initiative_id(b),
                "breakdown_rank": b["rank"],
                "code": b["code"],
                "title": b["title"],
                "fix": entry.fix,
                "lane": entry.lane,
                "lane_label": LANES[entry.lane],
                "systems": list(entry.systems),
                "approvals": list(entry.approvals),
                "cost_band": entry.cost_band,
                "customer_effect": screens["customer_effect"],
                "operational_effect": screens["operational_effect"],
                "delivery_complexity": screens["delivery_complexity"],
                "dependency_risk": screens["dependency_risk"],
                "priority": priority(screens, options.weights),
                "avoidable_cost": b["avoidable_cost"],
                "avoidable_contacts": b["avoidable_contacts"],
                "customer_days_waited": b["customer_days_waited"],
            }
        )
    out.sort(key=lambda i: (-i["priority"], i["breakdown_rank"] or 10**9, i["id"]))
    return out


__all__ = [
    "LANES",
    "CatalogueEntry",
    "InitiativeDoc",
    "PlanOptions",
    "PlanWeights",
    "Screen",
    "catalogue",
    "initiative_id",
    "initiatives",
    "parse_catalogue",
    "priority",
]
