"""From breakdowns to initiatives: one candidate fix per breakdown, in a lane, with its screens scored.

Each ranked breakdown of a diagnosis proposes the initiative the catalogue (``catalogue.yaml``, data) gives
for its lead finding's detector, with a stable id built from the detector code and the failure point, so a
context file can refer to it (docs/plan.md). Two of the four screens are computed from the diagnosis, each
with the reason shown:

- **customer effect** (1-5): the share of contacts the breakdown touches, raised one step when customers
  feel it (its bucket is customer-felt friction, or customers waited beyond the baseline);
- **operational effect** (1-5): its share of the avoidable cost found.

Delivery complexity and dependency risk are the catalogue's typical values unless the context file says
otherwise, the risk one step higher for an initiative that waits on others; the priority combines the four
(:func:`priority`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Final, Literal

from typing_extensions import TypedDict

from .. import schema as S
from ..diagnosis import DiagnosisDocument
from ..errors import ConfigError
from ..findings.base import CUSTOMER_FELT
from ..findings.finder import BreakdownDoc
from ..metrics import MetricsDoc
from ..yamlio import load_yaml
from .context import Match, PlanContext, Weights

if TYPE_CHECKING:
    from .brief import BriefDoc
    from .business_case import InitiativeCaseDoc
    from .rules import CutDoc, QuestionDoc

Lane = Literal["immediate", "redesign", "platform", "policy"]
#: The four lanes, in the order a leadership team reads them.
LANES: Final[dict[str, str]] = {
    "immediate": "immediate operational fix",
    "redesign": "cross-functional service redesign",
    "platform": "platform and data change",
    "policy": "policy and governance change",
}
COST_BANDS: Final = ("small", "medium", "large")
_KEYS: Final = {
    "fix",
    "lane",
    "systems",
    "approvals",
    "complexity",
    "dependency_risk",
    "cost_band",
    "target_workflow",
    "metric",
    "direction",
    "measure",
    "measure_target",
    "measure_direction",
}
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
    #: How the work runs once the fix is in (the brief's target workflow).
    target_workflow: str
    #: The business metric that should move (a metric of ``diagnosis.json``) and which way.
    metric: str
    direction: Literal["down", "up"]
    #: How success is measured: the lead finding's own number (an evidence key) and its peer baseline's.
    measure: str | None
    measure_target: str | None
    measure_direction: Literal["down", "up"]


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
        for k in ("direction", "measure_direction"):
            if body[k] not in ("down", "up"):
                raise ConfigError(f"{where}.{k}: down or up, got {body[k]!r}", path=path)
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
            target_workflow=str(body["target_workflow"]),
            metric=str(body["metric"]),
            direction=body["direction"],
            measure=body["measure"],
            measure_target=body["measure_target"],
            measure_direction=body["measure_direction"],
        )
    return out


class Screen(TypedDict):
    """One of the four screens: a score from 1 (little) to 5 (much) and why."""

    score: int
    reason: str


class MeasureDoc(TypedDict):
    """How success is measured beyond CSAT/NPS: a number at the failure point, its baseline and target."""

    measure: str
    label: str
    direction: Literal["down", "up"]
    scope: str
    baseline: float | None
    target: float | None
    #: Where the target comes from: the context, the finding's peer baseline, or nobody yet (None).
    target_source: Literal["context", "peer baseline"] | None
    owner: str | None


class BusinessMetricDoc(TypedDict):
    """The business metric that should move, with its value over the whole operation."""

    metric: str
    direction: Literal["down", "up"]
    definition: str
    value: float | None


class InitiativeDoc(TypedDict):
    """An initiative in ``plan.json``: what the catalogue proposes, what the context says, how it scores.

    ``make_plan`` completes it: ``status`` and ``cut`` (the cut rules), ``questions`` and ``concept`` (the
    five questions), ``wave`` and ``waits`` (the sequence), ``case`` (the business case) and ``brief``.
    """

    id: str
    breakdown_rank: int | None
    code: str
    title: str
    where: dict[str, str]
    fix: str
    target_workflow: str
    lane: Lane
    lane_label: str
    owner: str | None
    owner_function: str | None
    systems: list[str]
    approvals: list[str]
    depends_on: list[str]
    cost_band: str
    one_off_cost: float | None
    run_cost: float | None
    policy_decided: bool | None
    ai_use_case: bool | None
    platform_validated: bool | None
    sources: dict[str, str]
    customer_effect: Screen
    operational_effect: Screen
    delivery_complexity: Screen
    dependency_risk: Screen
    priority: float
    business_metric: BusinessMetricDoc
    success_measure: MeasureDoc
    avoidable_cost: float
    avoidable_contacts: float
    customer_days_waited: float
    customers_affected: int
    status: Literal["roadmap", "cut"]
    cut: CutDoc | None
    questions: list[QuestionDoc]
    concept: bool
    wave: int | None
    waits: str | None
    case: InitiativeCaseDoc
    brief: BriefDoc


def initiative_id(b: BreakdownDoc) -> str:
    """A stable id: the detector code and the failure point, e.g. ``BO01-refunds-bo``."""
    point = b["where"].get(S.QUEUE) or b["where"].get(S.TEAM) or "-".join(str(v) for v in b["where"].values())
    slug = re.sub(r"[^a-z0-9]+", "-", str(point).lower()).strip("-")
    return f"{b['code']}-{slug}" if slug else b["code"]


def matches(match: Match, initiative_id: str, b: BreakdownDoc) -> bool:
    """Whether a context entry's ``match`` selects this initiative: every key given must hold.

    ``id`` and ``code`` compare with the initiative's; the others with its failure point (``where``), where
    a queue or team also matches either end of a transfer or hand-back (``from``, ``to``).
    """
    where = {k: str(v) for k, v in b["where"].items()}
    for key, value in match.given().items():
        if key == "id":
            ok = value == initiative_id
        elif key == "code":
            ok = value == b["code"]
        elif key in (S.QUEUE, S.TEAM):
            ok = value in (where.get(key), where.get("from"), where.get("to"))
        else:
            ok = value == where.get(key)
        if not ok:
            return False
    return True


def context_for(
    initiative_id: str, b: BreakdownDoc, context: PlanContext
) -> tuple[dict[str, Any], list[int]]:
    """What the context says of this initiative (later entries win, key by key) and which entries said it."""
    said: dict[str, Any] = {}
    used = []
    for i, entry in enumerate(context.initiatives):
        if matches(entry.match, initiative_id, b):
            used.append(i)
            said.update({k: v for k, v in vars(entry).items() if k != "match" and v is not None})
    return said, used


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


def delivery_complexity(entry: CatalogueEntry, said: dict[str, Any]) -> Screen:
    if "complexity" in said:
        return {"score": said["complexity"], "reason": "set in the context"}
    return {"score": entry.complexity, "reason": "typical for this fix (catalogue)"}


def dependency_risk(entry: CatalogueEntry, said: dict[str, Any], lane: str, context: PlanContext) -> Screen:
    """The catalogue's or the context's value, one step higher for each dependency people declared or left
    open: it waits on other initiatives; it is a platform change and nobody has said the vendors can make
    it (``readiness.vendor``)."""
    score, reason = (
        (said["dependency_risk"], "set in the context")
        if "dependency_risk" in said
        else (entry.dependency_risk, "typical for this fix (catalogue)")
    )
    raised = []
    if said.get("depends_on"):
        raised.append(f"waits on {', '.join(said['depends_on'])}")
    if lane == "platform" and context.readiness.vendor is None:
        raised.append("vendor capability unknown (readiness.vendor)")
    for why in raised:
        if score < 5:
            score += 1
            reason += f"; {why}"
    return {"score": score, "reason": reason}


def priority(screens: dict[str, Screen], weights: Weights) -> float:
    """Weighted effects minus weighted effort, on the screens' 1-5 scale (higher: do it sooner)."""
    signed = {"customer_effect": 1, "operational_effect": 1, "delivery_complexity": -1, "dependency_risk": -1}
    return round(sum(sign * getattr(weights, k) * screens[k]["score"] for k, sign in signed.items()), 2)


def describe_where(where: Mapping[str, Any]) -> str:
    """A failure point in words: ``reason payment_failed; Orders phone → Billing phone; channel phone``."""
    ends = (where.get("from"), where.get("to"))
    keys = ("reason", "queue", "team", "channel", "activity", "actor_type")
    shown = [k for k in keys if where.get(k) and not (k in ("queue", "team") and where[k] in ends)]
    parts = [f"{k} {where[k]}" for k in shown]
    if where.get("from") and where.get("to"):
        parts.insert(1 if where.get("reason") else 0, f"{where['from']} → {where['to']}")
    return "; ".join(parts)


def business_metric(entry: CatalogueEntry, metrics: MetricsDoc) -> BusinessMetricDoc:
    """The catalogue's business metric over the whole operation (None where the log cannot compute it)."""
    value = metrics["overall"].get(entry.metric)
    return {
        "metric": entry.metric,
        "direction": entry.direction,
        "definition": metrics["definitions"].get(entry.metric, ""),
        "value": float(value) if isinstance(value, (int, float)) else None,
    }


def success_measure(
    b: BreakdownDoc, entry: CatalogueEntry, said: Mapping[str, Any], overall: float | None
) -> MeasureDoc:
    """The lead finding's own number at its failure point, which the next diagnosis measures again, with
    its peer baseline as the default target; else the business metric, ``overall``."""
    where = describe_where(b["where"]) or "the whole operation"
    value = b["evidence"].get(entry.measure) if entry.measure else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        peer = b["evidence"].get(entry.measure_target) if entry.measure_target else None
        peer = peer if isinstance(peer, (int, float)) and not isinstance(peer, bool) else None
        measure, direction, scope = str(entry.measure), entry.measure_direction, where
        label = f"{b['code']} {measure.replace('_', ' ')}"
        baseline: float | None = float(value)
    else:
        peer, measure, direction, scope = None, entry.metric, entry.direction, "overall"
        label = entry.metric.replace("_", " ")
        baseline = overall
    target = said.get("target")
    return {
        "measure": measure,
        "label": label,
        "direction": direction,
        "scope": scope,
        "baseline": baseline,
        "target": target if target is not None else peer,
        "target_source": "context" if target is not None else ("peer baseline" if peer is not None else None),
        "owner": said.get("owner"),
    }


def propose(doc: DiagnosisDocument, context: PlanContext) -> tuple[list[dict[str, Any]], set[int]]:
    """One initiative per ranked breakdown with a catalogue entry, the context applied: the fields of
    :class:`InitiativeDoc` up to ``customers_affected``, by priority (then breakdown rank), and the
    indices of the context entries that matched something."""
    contacts = int(doc["breakdown_summary"].get("contacts") or 0)
    out: list[dict[str, Any]] = []
    used: set[int] = set()
    seen: dict[str, int] = {}
    for b in doc["breakdowns"]:
        entry = catalogue().get(b["code"])
        if entry is None:
            continue  # a user's own detector without a catalogue entry: no candidate fix to propose
        iid = initiative_id(b)
        seen[iid] = seen.get(iid, 0) + 1
        if seen[iid] > 1:  # two breakdowns of one detector at one point (rare): the ids stay unique
            iid = f"{iid}-{seen[iid]}"
        said, by = context_for(iid, b, context)
        used.update(by)
        lane = said.get("lane", entry.lane)
        screens: dict[str, Screen] = {
            "customer_effect": customer_effect(b, contacts),
            "operational_effect": operational_effect(b),
            "delivery_complexity": delivery_complexity(entry, said),
            "dependency_risk": dependency_risk(entry, said, lane, context),
        }
        from_context = sorted(k for k in said if k in _OVERRIDES)
        out.append(
            {
                "id": iid,
                "breakdown_rank": b["rank"],
                "code": b["code"],
                "title": b["title"],
                "where": {k: str(v) for k, v in b["where"].items()},
                "fix": entry.fix,
                "target_workflow": entry.target_workflow,
                "lane": lane,
                "lane_label": LANES[lane],
                "owner": said.get("owner"),
                "owner_function": said.get("owner_function"),
                "systems": list(said.get("systems", entry.systems)),
                "approvals": list(said.get("approvals", entry.approvals)),
                "depends_on": list(said.get("depends_on", ())),
                "cost_band": entry.cost_band,
                "one_off_cost": said.get("one_off_cost"),
                "run_cost": said.get("run_cost"),
                "policy_decided": said.get("policy_decided"),
                "ai_use_case": said.get("ai_use_case"),
                "platform_validated": said.get("platform_validated"),
                "sources": {k: ("context" if k in from_context else "catalogue") for k in _OVERRIDES},
                **screens,
                "priority": priority(screens, context.weights),
                "business_metric": (metric := business_metric(entry, doc["metrics"])),
                "success_measure": success_measure(b, entry, said, metric["value"]),
                "avoidable_cost": b["avoidable_cost"],
                "avoidable_contacts": b["avoidable_contacts"],
                "customer_days_waited": b["customer_days_waited"],
                "customers_affected": b["customers_affected"],
            }
        )
    out.sort(key=lambda i: (-i["priority"], i["breakdown_rank"] or 10**9, i["id"]))
    return out, used


# The fields a context entry can set instead of the catalogue (``sources`` says which did).
_OVERRIDES: Final = (
    "lane",
    "systems",
    "approvals",
    "complexity",
    "dependency_risk",
    "one_off_cost",
    "run_cost",
)


__all__ = [
    "LANES",
    "CatalogueEntry",
    "InitiativeDoc",
    "MeasureDoc",
    "Screen",
    "catalogue",
    "describe_where",
    "initiative_id",
    "matches",
    "parse_catalogue",
    "priority",
    "propose",
]
