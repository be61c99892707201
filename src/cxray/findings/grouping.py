"""Root causes, not symptoms: the findings that name one failure point become one breakdown.

A slow back office shows up as its own slowness, the repeats it generates, the transfers out of it and
the waiting in its status: four findings, one failure point. Ranking the findings would spend four of the
five slots on it. So the findings are grouped first, by an explicit rule (docs/breakdowns.md, "From
findings to breakdowns"):

1. **Same failure point.** Each detector declares which keys of its findings' ``where`` name the failure
   point (``Detector.entity_keys``: a queue or team, a step, a party). Two findings belong to one breakdown
   when they name the same one (queue and team names are one namespace, the *route*), transitively: a
   back office's slowness names its queue and the status its cases wait in, so the parked-work finding on
   that status joins it.
2. **Spread pairs roll up.** Findings about a pair (``from``/``to``, e.g. ping-pong between two teams)
   name no single failure point; when one detector finds at least ``rollup_min`` pairs they are one
   process-wide breakdown with the worst pairs inside, otherwise each stands alone.
3. **Symptoms are explained upstream.** Symptoms (repeats, say) at a failure point where no mechanism
   was found join the finding that sends work there (``Detector.downstream_points``: a misroute into
   the queue where the repeats pile up).
4. Anything else stands alone.

A breakdown's **cause** is its lead finding: the costliest of those whose detector finds a mechanism
(``Detector.symptom`` is False: a slow queue, a KPI that hides repeats) rather than a consequence (repeats,
transfers onward), else the costliest of all; the others are its **symptoms**. Its numbers are the sums of
its findings' (each contact is already allocated to one finding, so the breakdown is priced once).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from .. import schema as S
from .base import Finding

#: ``where`` keys whose values share one namespace: a queue and a team of one name are one route.
ROUTE_KEYS: Final = (S.QUEUE, S.TEAM)
#: The keys of a pair finding.
PAIR_KEYS: Final = ("from", "to")

Scope = Literal["finding", "entity", "process"]


#: A failure point: its kind (``route``, ``activity``, ``actor_type``..., or compound ``queue+reason``)
#: and its value.
Point = tuple[str, str]


def points_of(where: Mapping[str, str], entity_keys: tuple[str | tuple[str, ...], ...]) -> list[Point]:
    """The failure points a finding names: one per entry of ``entity_keys`` present in ``where`` (an
    entry that is a tuple of keys is one compound point, named only when all its keys are present).

    >>> points_of({"queue": "Refunds BO", "activity": "Case queued"}, ("queue", "team", "activity"))
    [('route', 'Refunds BO'), ('activity', 'Case queued')]
    >>> points_of({"team": "T1", "reason": "moving"}, (("team", "reason"),))
    [('route+reason', 'T1 / moving')]
    """
    out = []
    for entry in entity_keys:
        keys = entry if isinstance(entry, tuple) else (entry,)
        values = [where.get(k) for k in keys]
        if all(values):
            kind = "+".join("route" if k in ROUTE_KEYS else k for k in keys)
            out.append((kind, " / ".join(str(v) for v in values)))
    return out


@dataclass(frozen=True)
class DetectorRole:
    """What grouping needs to know of a detector, per finding (its ``where``): the failure points it names
    (by default those of ``Detector.entity_keys``), whether it is a consequence (a symptom) rather than a
    mechanism, and the points it sends work into (``downstream``: a misroute's destination)."""

    points: Callable[[Mapping[str, str]], list[Point]] = lambda where: points_of(where, ROUTE_KEYS)
    symptom: Callable[[Mapping[str, str]], bool] = lambda where: False
    downstream: Callable[[Mapping[str, str]], list[Point]] = lambda where: []


@dataclass(frozen=True)
class Breakdown:
    """One failure point: its lead finding (the cause) and the findings it explains (the symptoms)."""

    lead: Finding
    symptoms: tuple[Finding, ...] = ()
    scope: Scope = "finding"
    cause: str = ""

    @property
    def members(self) -> tuple[Finding, ...]:
        return (self.lead, *self.symptoms)

    @property
    def avoidable_cost(self) -> float:
        return sum(f.avoidable_cost for f in self.members)

    @property
    def avoidable_minutes(self) -> float:
        return sum(f.avoidable_minutes for f in self.members)

    @property
    def avoidable_contacts(self) -> float:
        return sum(f.avoidable_contacts for f in self.members)

    @property
    def customer_days_waited(self) -> float:
        return sum(f.customer_days_waited for f in self.members)

    @property
    def contacts_affected(self) -> int:
        """Contacts touched: at one failure point the most any of its findings touches (they overlap, a
        sum would overcount); across the process the sum over its pairs (each pair its own contacts)."""
        counts = [f.contacts_affected for f in self.members]
        return sum(counts) if self.scope == "process" else max(counts)

    @property
    def customers_affected(self) -> int:
        counts = [f.customers_affected for f in self.members]
        return sum(counts) if self.scope == "process" else max(counts)


def group_findings(
    findings: Iterable[Finding], role: Callable[[str], DetectorRole], *, rollup_min: int = 3
) -> list[Breakdown]:
    """The findings as breakdowns, by the module's rule; ``role(code)`` says what each detector declares.

    Deterministic: breakdowns come in the order of their first finding in ``findings``.
    """
    found = list(findings)
    roles = [role(f.code) for f in found]
    points = [r.points(f.where) for f, r in zip(found, roles, strict=True)]
    parent = list(range(len(found)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        a, b = root(i), root(j)
        parent[max(a, b)] = min(a, b)

    # 1. Same failure point.
    owner: dict[Point, int] = {}  # failure point -> the first finding naming it
    for i, named in enumerate(points):
        for point in named:
            join(owner.setdefault(point, i), i)
    # 2. Spread pairs of one detector roll up.
    pairs: dict[str, list[int]] = defaultdict(list)
    for i, f in enumerate(found):
        if not points[i] and all(f.where.get(k) for k in PAIR_KEYS):
            pairs[f.code].append(i)
    for members in pairs.values():
        if len(members) >= rollup_min:
            for i in members[1:]:
                join(members[0], i)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(found)):
        groups[root(i)].append(i)
    # 3. Symptoms with no mechanism at their failure point are explained upstream: a finding that sends
    #    work into that point (a misroute into the queue where the repeats pile up) takes them.
    symptom = [r.symptom(f.where) for f, r in zip(found, roles, strict=True)]
    feeds: dict[Point, int] = {}
    for i, f in enumerate(found):
        if not symptom[i]:
            for point in roles[i].downstream(f.where):
                feeds.setdefault(point, i)  # the first, i.e. the costliest, sender
    for key, members in list(groups.items()):
        if all(symptom[i] for i in members):
            sender = next((feeds[p] for i in members for p in points[i] if p in feeds), None)
            if sender is not None and root(sender) != key:
                groups[root(sender)].extend(groups.pop(key))
    return [_breakdown([found[i] for i in sorted(m)], role) for _, m in sorted(groups.items())]


def _label(lead: Finding, kind: str, value: str) -> str:
    """A failure point in words: ``queue Refunds BO``, ``step 'Wait - User'``, ``team T1, reason moving``."""
    if kind == S.ACTIVITY:
        return f"step {value!r}"
    parts = []
    for name, v in zip(kind.split("+"), value.split(" / "), strict=False):
        if name == "route":  # say queue or team as the lead's where does
            name = next((k for k in ROUTE_KEYS if lead.where.get(k) == v), "route")
        parts.append(f"{name.replace('_', ' ')} {v}")
    return ", ".join(parts)


def _cost_key(f: Finding) -> tuple[float, float, float, float, str, str]:
    return (
        -f.avoidable_cost,
        -f.avoidable_minutes,
        -f.avoidable_contacts,
        -f.customer_days_waited,
        f.code,
        f.title,
    )


def _breakdown(members: list[Finding], role: Callable[[str], DetectorRole]) -> Breakdown:
    if len(members) == 1:
        return Breakdown(lead=members[0], cause=members[0].title)
    causes = [f for f in members if not role(f.code).symptom(f.where)] or members
    lead = min(causes, key=_cost_key)
    rest = tuple(sorted((f for f in members if f is not lead), key=_cost_key))
    points = role(lead.code).points(lead.where)
    if points:
        return Breakdown(lead=lead, symptoms=rest, scope="entity", cause=_label(lead, *points[0]))
    return Breakdown(
        lead=lead,
        symptoms=rest,
        scope="process",
        cause=f"{len(members)} pairs across the process, worst {lead.where['from']} and {lead.where['to']}",
    )


__all__ = ["PAIR_KEYS", "ROUTE_KEYS", "Breakdown", "DetectorRole", "Point", "group_findings", "points_of"]
