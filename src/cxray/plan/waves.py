"""The sequence: waves of initiatives that respect dependencies and how much change the operation can carry.

Each wave holds at most ``capacity`` initiatives (the context's ``change_capacity``; three unless it says
otherwise, to keep the roadmap narrow). Initiatives are taken by priority: one goes into the first wave
after every initiative it depends on, while that wave has room. What waits says why: the initiative it
waits for, or the capacity. One that depends on an initiative off the roadmap, or on a cycle, is never
scheduled and says so. We do not know how long an initiative takes, so a wave is an order, not a date.

>>> plan = waves([{"id": "a", "depends_on": []}, {"id": "c", "depends_on": []},
...               {"id": "b", "depends_on": ["a"]}], capacity=1, cut=set())
>>> [(w["wave"], w["initiatives"]) for w in plan.waves]
[(1, ['a']), (2, ['c']), (3, ['b'])]
>>> plan.waits["b"]
'waits for a (wave 1); wave 2 was full (change capacity 1)'
>>> plan.waits["c"]
'wave 1 was full (change capacity 1)'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from typing_extensions import TypedDict

#: Initiatives in flight at once when the context does not say (the method's narrow roadmap: 3-5).
DEFAULT_CAPACITY: Final = 3


class WaveDoc(TypedDict):
    wave: int
    initiatives: list[str]


@dataclass
class Schedule:
    """The waves, each scheduled initiative's wave, why each waits or is never scheduled, and warnings."""

    waves: list[WaveDoc] = field(default_factory=list)
    wave_of: dict[str, int] = field(default_factory=dict)
    waits: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def waves(initiatives: Sequence[Mapping[str, Any]], *, capacity: int, cut: set[str]) -> Schedule:
    """Schedule ``initiatives`` (on the roadmap, by priority) in waves of at most ``capacity``.

    ``cut`` holds the ids off the roadmap: an initiative depending on one is blocked, and says so. A
    dependency on an id this plan does not have (another month's initiative) is a warning, not an error.
    """
    out = Schedule()
    ids = [i["id"] for i in initiatives]
    deps: dict[str, list[str]] = {}
    for i in initiatives:
        known = []
        for d in i["depends_on"]:
            if d in ids or d in cut:
                known.append(d)
            else:
                out.warnings.append(f"{i['id']} depends on {d}, which this plan does not have: ignored")
        deps[i["id"]] = known
    blocked = _blocked(ids, deps, cut)
    out.waits.update(blocked)
    pending = [i for i in ids if i not in blocked]
    held_back: dict[str, list[str]] = {}
    wave = 0
    while pending:
        wave += 1
        taken: list[str] = []
        for iid in pending:
            ready = all(out.wave_of.get(d, wave) < wave for d in deps[iid])
            if ready and len(taken) < capacity:
                taken.append(iid)
            elif ready:
                held_back.setdefault(iid, []).append(f"wave {wave} was full (change capacity {capacity})")
        for iid in taken:
            out.wave_of[iid] = wave
        out.waves.append({"wave": wave, "initiatives": taken})
        pending = [i for i in pending if i not in taken]
    for iid, w in out.wave_of.items():
        reasons = [f"{d} (wave {out.wave_of[d]})" for d in deps[iid]]
        why = [f"waits for {', '.join(reasons)}"] if reasons else []
        why += held_back.get(iid, [])[-1:]
        if why and w > 1:
            out.waits[iid] = "; ".join(why)
    return out


def _blocked(ids: list[str], deps: dict[str, list[str]], cut: set[str]) -> dict[str, str]:
    """Initiatives that can never start: each depends, perhaps through others, on a cut one or a cycle."""
    blocked: dict[str, str] = {}
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(iid: str, path: list[str]) -> str | None:
        if iid in cut:
            return f"depends on {iid}, which is off the roadmap"
        if state.get(iid) == 1:
            return "depends on a cycle: " + " → ".join([*path[path.index(iid) :], iid])
        if state.get(iid) == 2:
            return blocked.get(iid)
        state[iid] = 1
        why = None
        for d in deps.get(iid, []):
            why = why or visit(d, [*path, iid])
        state[iid] = 2
        if why:
            blocked[iid] = why
        return why

    for iid in ids:
        visit(iid, [])
    return blocked


__all__ = ["DEFAULT_CAPACITY", "Schedule", "WaveDoc", "waves"]
