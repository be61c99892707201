"""Planted changes: what a pilot, a season, a bot launch or a slip does to the centre from a date on.

A breakdown (``breakdowns.py``) is friction present all along; a *change* starts on a date, so that an audit
(``cxray audit``) can be held to a known effect: a pilot's effect in its segment, a seasonal shift that moves
every segment at once (a naive before/after of the pilot is then wrong, a difference-in-differences against a
control is right), a bot launch that shifts work rather than removing it, a handle-time rise that a rollback
trigger should catch. A scenario opts in with a ``changes:`` list; without one nothing here runs and the
centre's log is the same, byte for byte.

Every change acts on contacts that *start* on or after its ``date`` (the audit's own rule for the after
period) and, but for ``seasonal_shift``, lie in its ``segment``: ``queue``, ``team``, ``channel`` and
``reason`` keys, all of which must match (a queue or team at the agent hop it names). Handle-time and
resolution effects draw nothing (they scale the same draw), and what a change does draw comes from a random
stream of its own, so the centre's own draws are those of the same seed until the changed contacts' futures
(repeats, retries) differ.

>>> PilotEffect(date=dt.date(2024, 3, 18), segment={"queue": "Billing phone"}, handle_time_pct=-20).kind
'pilot_effect'
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .events import BOT_ACTOR, O_CONTAINED, T_BOT, A, EventBuffer

if TYPE_CHECKING:
    from .assemble import Assembled
    from .generate import Generator
    from .model import Model
    from .scenario import Scenario

#: The columns a segment may name; a queue or team matches at an agent hop, a channel or reason per contact.
SEGMENT_COLUMNS = ("queue", "team", "channel", "reason")
INLINE_IDS = 2000  # above this many affected contacts, the record gives the count and leaves the ids out


@dataclass(frozen=True, kw_only=True)
class Change:
    """Common fields. ``kind`` is the YAML key that selects the class; ``name`` defaults to the kind."""

    kind: ClassVar[str] = ""
    needs_segment: ClassVar[bool] = True
    name: str = ""
    date: dt.date
    segment: dict[str, str] = field(default_factory=dict)

    def parameters(self) -> dict[str, float]:  # the sizes are numbers (the loader checked)
        """Its effect sizes: every field but the name, the date and the segment."""
        return {k: v for k, v in vars(self).items() if k not in ("name", "date", "segment")}

    def handle_pct(self) -> float:
        """The handle-time change of the agents' handling in the segment, in percent."""
        return float(getattr(self, "handle_time_pct", 0.0))

    def resolution_pts(self) -> float:
        """The change of the probability that the last agent resolves, in percentage points."""
        return float(getattr(self, "resolution_points", 0.0))


@dataclass(frozen=True, kw_only=True)
class PilotEffect(Change):
    """From ``date``, contacts in ``segment`` get the pilot's effect.

    ``handle_time_pct``: agent handling time in the segment changes by that percent (-20: a fifth
    shorter). ``resolution_points``: the last agent resolves with that many percentage points more (capped
    to 0..100), so fewer customers come back. ``transfer_points``: the share of contacts transferred on from
    their first queue changes by that many points (a transfer added to the reason's ``transfer_to``, else the
    escalation queue; or a planned transfer dropped).
    """

    kind: ClassVar[str] = "pilot_effect"
    handle_time_pct: float = 0.0
    resolution_points: float = 0.0
    transfer_points: float = 0.0


@dataclass(frozen=True, kw_only=True)
class SeasonalShift(Change):
    """From ``date``, every segment at once: issue volume, handle time and resolution shift together."""

    kind: ClassVar[str] = "seasonal_shift"
    needs_segment: ClassVar[bool] = False
    volume_pct: float = 0.0
    handle_time_pct: float = 0.0
    resolution_points: float = 0.0


@dataclass(frozen=True, kw_only=True)
class BotLaunch(Change):
    """From ``date``, ``share`` of the segment's phone and email contacts meet a bot before the queue.

    The bot contains ``containment`` of them (outcome ``contained``, no agent); the rest reach an agent after
    a bot failure and take ``handoff_handle_pct`` percent longer to handle: work shifts, it is not removed.
    """

    kind: ClassVar[str] = "bot_launch"
    share: float = 0.5
    containment: float = 0.3
    handoff_handle_pct: float = 25.0


@dataclass(frozen=True, kw_only=True)
class HandleTimeRise(Change):
    """From ``date``, agent handling time in ``segment`` rises by ``handle_time_pct`` percent."""

    kind: ClassVar[str] = "handle_time_rise"
    handle_time_pct: float = 20.0


KINDS: dict[str, type[Change]] = {
    cls.kind: cls for cls in (PilotEffect, SeasonalShift, BotLaunch, HandleTimeRise)
}


def problems(s: Scenario) -> list[str]:
    """What is wrong with the scenario's changes, each naming the key (``changes[1].segment.desk``)."""
    from .model import CHANNELS  # here, not above: the model imports the scenario, which holds the changes

    known = {
        "queue": {q.name for q in s.queues},
        "team": {t.name for t in s.teams},
        "channel": set(CHANNELS),
        "reason": {r.name for r in s.reasons},
    }
    out = []
    for i, c in enumerate(s.changes):
        where = f"changes[{i}]"
        if c.date <= s.start:
            out.append(
                f"{where}.date: {c.date} must be after the scenario's start {s.start} (a before period)"
            )
        if not c.needs_segment and c.segment:
            out.append(f"{where}.segment: a {c.kind} hits every segment at once; it takes no segment")
        if c.needs_segment and not c.segment:
            out.append(f"{where}.segment: a {c.kind} needs a segment ({', '.join(SEGMENT_COLUMNS)})")
        for column, value in c.segment.items():
            if column not in known:
                out.append(
                    f"{where}.segment.{column}: unknown segment column (known: {', '.join(SEGMENT_COLUMNS)})"
                )
            elif value not in known[column]:
                out.append(f"{where}.segment.{column}: {value!r} is not a known {column}")
        if isinstance(c, BotLaunch) and "team" in c.segment:
            out.append(
                f"{where}.segment.team: a bot_launch acts before any team; use queue, channel or reason"
            )
        for key, amount in c.parameters().items():
            if key.endswith("_pct") and amount <= -100:
                out.append(f"{where}.{key}: {amount} must be > -100")
            elif key.endswith("_points") and not -100 <= amount <= 100:
                out.append(f"{where}.{key}: {amount} must be within [-100, 100]")
            elif key in ("share", "containment") and not 0 <= amount <= 1:
                out.append(f"{where}.{key}: {amount} must be within [0, 1]")
    names = [c.name or c.kind for c in s.changes]
    if len(set(names)) != len(names):
        out.append("changes: names must be unique (give each change of a repeated kind a name)")
    return out


@dataclass
class Hop:
    """What the changes do at one agent hop of ``k`` contacts: per change, the rows it acts on."""

    on: list[np.ndarray]  # per change, (k,) bool
    handle: np.ndarray  # (k,) handle multiplier: the product of each change's 1 + percent / 100
    points: np.ndarray  # (k,) resolution probability added: the sum of the points over 100


class Planted:
    """The scenario's changes while the generator runs: their hooks, and what they did (for the truth)."""

    def __init__(self, model: Model, *, seed: int) -> None:
        # Imported here, not above: the model imports the scenario, which imports this module's classes.
        from .model import CHANNELS
        from .routes import TRANSFER
        from .waits import DAY

        self.channels, self.transfer, self.day = CHANNELS, TRANSFER, DAY
        s = model.scenario
        self.m = model
        self.changes = s.changes
        self.rng = np.random.default_rng(np.random.SeedSequence([seed, 20240304, 18]))
        self.at = np.array([(c.date - s.start).days * DAY for c in s.changes], dtype=float)
        names = {
            "queue": [q.name for q in s.queues],
            "team": [t.name for t in s.teams],
            "channel": list(CHANNELS),
            "reason": [r.name for r in s.reasons],
        }
        self.codes = [{k: names[k].index(v) for k, v in c.segment.items()} for c in s.changes]
        self.affected: list[list[np.ndarray]] = [[] for _ in s.changes]
        self.stats: list[dict[str, float]] = [defaultdict(float) for _ in s.changes]
        self.handled_by: list[list[np.ndarray]] = [[] for _ in s.changes]

    def _per_contact(self, j: int) -> bool:
        """Whether change ``j``'s segment is decided per contact (channel, reason, or none), not per hop."""
        return not ({"queue", "team"} & set(self.codes[j]))

    def _match(self, j: int, start: np.ndarray, **codes: np.ndarray) -> np.ndarray:
        on = start >= self.at[j]
        for column, code in self.codes[j].items():
            on &= codes[column] == code
        return on

    # --- arrivals -------------------------------------------------------------------------------------------
    def volume(self, days: int) -> np.ndarray:
        """Per day, the issue volume factor of the seasonal shifts under way (1 where none is)."""
        day = np.arange(days) * self.day
        factor = np.ones(days)
        for j, c in enumerate(self.changes):
            if isinstance(c, SeasonalShift):
                factor[day >= self.at[j]] *= 1 + c.volume_pct / 100
        return factor

    # --- front office ---------------------------------------------------------------------------------------
    def enter(
        self, ev: EventBuffer, cid: np.ndarray, ch: np.ndarray, r: np.ndarray, entry_queue: np.ndarray,
        start: np.ndarray, t: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """Contacts entering: record those in per-contact segments; run the bot launches.

        Returns (handed off by a launched bot, contained by it), each (n,) bool. A launched bot's events carry
        the contact's entry queue (the bot answers in front of that queue), so the contacts it contains stay
        in the queue's segment.
        """
        n = cid.size
        handed, contained = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        for j, c in enumerate(self.changes):
            on = self._match(j, start, queue=entry_queue, channel=ch, reason=r, team=np.full(n, -2))
            if self._per_contact(j) and not isinstance(c, BotLaunch):
                self.affected[j].append(cid[on])
            if not isinstance(c, BotLaunch):
                continue
            eligible = on & (ch != self.channels.index("chat")) & ~handed & ~contained
            go = np.flatnonzero(eligible & (self.rng.random(n) < c.share))
            self.affected[j].append(cid[go])
            keep = self.rng.random(go.size) < c.containment
            q = entry_queue[go]
            for activity, lo, hi, rows in (
                ("Bot: conversation started", 5, 20, go),
                ("Bot: intent recognised", 5, 15, go),
            ):
                d = lo + (hi - lo) * self.rng.random(rows.size)
                ev.add(
                    cid[rows], t[rows], A[activity], actor_type=T_BOT, actor=BOT_ACTOR, queue=q, duration=d
                )
                t[rows] += d
            for activity, mask, lo, hi, outcome in (
                ("Bot: answer given", keep, 20, 90, O_CONTAINED),
                ("Bot: handoff to agent", ~keep, 3, 10, -1),
            ):
                rows = go[mask]
                d = lo + (hi - lo) * self.rng.random(rows.size)
                ev.add(
                    cid[rows], t[rows], A[activity], actor_type=T_BOT, actor=BOT_ACTOR, queue=q[mask],
                    outcome=outcome, duration=d,
                )  # fmt: skip
                t[rows] += d
            contained[go[keep]] = True
            handed[go[~keep]] = True
            self.stats[j]["offered"] += go.size
            self.stats[j]["contained"] += int(keep.sum())
        return handed, contained

    # --- agent hops -----------------------------------------------------------------------------------------
    def hop(
        self, h: int, cid: np.ndarray, q: np.ndarray, team: np.ndarray, ch: np.ndarray, r: np.ndarray,
        start: np.ndarray, handed: np.ndarray,
    ) -> Hop:  # fmt: skip
        """The changes at hop ``h`` of these contacts (rows of the hop, after those who abandoned)."""
        k = cid.size
        on, handle, points = [], np.ones(k), np.zeros(k)
        for j, c in enumerate(self.changes):
            if isinstance(c, BotLaunch):  # the first agent after the bot failed: its handle is longer
                hit = handed & (h == 0)
                handle *= np.where(hit, 1 + c.handoff_handle_pct / 100, 1.0)
            else:
                hit = self._match(j, start, queue=q, team=team, channel=ch, reason=r)
                handle *= np.where(hit, 1 + c.handle_pct() / 100, 1.0)
                points += np.where(hit, c.resolution_pts() / 100, 0.0)
            if not self._per_contact(j) and not isinstance(c, BotLaunch):
                self.affected[j].append(cid[hit])
            on.append(hit)
        return Hop(on=on, handle=handle, points=points)

    def reroute(self, fx: Hop, route: np.ndarray, exit_: np.ndarray, rows: np.ndarray, r: np.ndarray) -> None:
        """At the first hop, add or drop transfers for a pilot's ``transfer_points`` (a stream of its own)."""
        for j, c in enumerate(self.changes):
            pts = getattr(c, "transfer_points", 0.0) / 100
            sel = rows[fx.on[j]]
            if pts == 0 or sel.size == 0:
                continue
            self.stats[j]["hop0"] += sel.size
            if pts > 0:  # to the reason's transfer queue, else its escalation queue, from single-hop routes
                to = np.where(self.m.transfer_to[r] >= 0, self.m.transfer_to[r], self.m.escalate_to[r])
                lone = fx.on[j] & (route[rows, 1] < 0)
                single, target = rows[lone], to[lone]
                p = min(pts * sel.size / max(single.size, 1), 1.0)
                add = (self.rng.random(single.size) < p) & (target >= 0) & (target != route[single, 0])
                route[single[add], 1] = target[add]
                exit_[single[add], 0] = self.transfer
                self.stats[j]["transfers_added"] += int(add.sum())
            else:
                moved = sel[exit_[sel, 0] == self.transfer]
                p = min(-pts * sel.size / max(moved.size, 1), 1.0)
                drop = moved[self.rng.random(moved.size) < p]
                route[drop, 1:-1] = route[drop, 2:]
                route[drop, -1] = -1
                exit_[drop, :-1] = exit_[drop, 1:]
                self.stats[j]["transfers_dropped"] += drop.size

    def resolve(self, fx: Hop, p: np.ndarray, final: np.ndarray, first: np.ndarray) -> np.ndarray:
        """The resolution probability with the changes' points (capped to [0, 1]), each change's share of
        the expected rise recorded over the final agent hops it acts on (and those of journeys' first
        contacts)."""
        with_all = np.clip(p + fx.points, 0.0, 1.0)
        for j, c in enumerate(self.changes):
            pts = c.resolution_pts() / 100
            on = fx.on[j] & final
            if pts == 0 or not on.any():
                continue
            without = np.clip(p + fx.points - pts, 0.0, 1.0)
            gain = (with_all - without)[on]
            self.stats[j]["final"] += on.sum()
            self.stats[j]["gain"] += gain.sum()
            self.stats[j]["gain_first"] += (with_all - without)[on & first].sum()
        return with_all

    def handled(self, fx: Hop, handle: np.ndarray, cid: np.ndarray) -> None:
        """Record each change's added handling seconds: the handle less the handle without that one change.

        Effects multiply (a pilot's -20% during a +10% season is 0.8 x 1.1), so each change's relative
        effect holds in every segment and period, and what it added is measured against the centre with
        every other change in place: the counterfactual a difference-in-differences estimates.
        """
        for j, c in enumerate(self.changes):
            pct = c.handoff_handle_pct if isinstance(c, BotLaunch) else c.handle_pct()
            if pct == 0 or not fx.on[j].any():
                continue
            mine = handle[fx.on[j]]
            self.stats[j]["handle_added"] += float((mine - mine / (1 + pct / 100)).sum())
            self.handled_by[j].append(cid[fx.on[j]])


def change_truth(scenario: Scenario, gen: Generator, out: Assembled) -> list[dict[str, Any]]:
    """``ground_truth["changes"]``: per change its kind, date, segment, parameters, the contacts it acted on
    and its planted effect in the units an audit measures (see docs/simulator.md, "Planted changes")."""
    plan = gen.plan
    assert plan is not None
    cols = gen.events.columns()
    keep = cols["t"] < gen.horizon  # the extract ends at the horizon, as the audit sees it
    seconds = np.nan_to_num(np.round(cols["duration"][keep]))
    handle_s = np.bincount(cols["contact"][keep], weights=seconds, minlength=gen.n_contacts)
    journey = np.concatenate(gen.contacts["journey"]) if gen.contacts["journey"] else np.empty(0, np.int64)
    first_of = np.full(int(journey.max()) + 1 if journey.size else 0, gen.n_contacts, dtype=np.int64)
    np.minimum.at(first_of, journey, np.arange(journey.size))  # contact ids follow creation: a journey's
    is_first = first_of[journey] == np.arange(journey.size)  # first contact has its smallest id
    b = scenario.behaviour
    looks_fcr_anyway = (1 - b.honesty_p) * (1 - b.repeat_p)  # unresolved, recorded resolved, never back
    records = []
    for j, c in enumerate(plan.changes):
        parts = plan.affected[j]
        ids = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
        ids = ids[out.contact_number[ids] >= 0]
        names = out.contact_names(ids)
        st = plan.stats[j]
        effect: dict[str, Any] = {}
        if plan.handled_by[j]:
            who = np.unique(np.concatenate(plan.handled_by[j]))
            who = who[out.contact_number[who] >= 0]
            added, total = st["handle_added"], float(handle_s[who].sum())
            effect["n_handled"] = int(who.size)
            effect["handle_s_per_contact"] = round(added / max(who.size, 1), 2)
            effect["handle_time_pct"] = round(100 * added / max(total - added, 1e-9), 2)
        if st["final"]:
            n_first = int(is_first[ids].sum())
            fcr = 100 * st["gain_first"] / max(n_first, 1)
            effect["resolution_points"] = round(100 * st["gain"] / st["final"], 2)
            effect["fcr_points"] = round(fcr, 2)
            effect["fcr_points_measured"] = round(fcr * (1 - looks_fcr_anyway), 2)
        if st["hop0"]:
            net = st["transfers_added"] - st["transfers_dropped"]
            effect["transfer_points"] = round(100 * net / st["hop0"], 2)
            effect["transfers_added"] = int(st["transfers_added"])
            effect["transfers_dropped"] = int(st["transfers_dropped"])
        if isinstance(c, SeasonalShift) and c.volume_pct:
            effect["volume_pct"] = c.volume_pct
        if isinstance(c, BotLaunch):
            effect["n_to_bot"] = int(st["offered"])
            effect["n_contained"] = int(st["contained"])
            effect["n_handed_off"] = int(st["offered"] - st["contained"])
        records.append(
            {
                "name": c.name or c.kind,
                "kind": c.kind,
                "date": c.date.isoformat(),
                "segment": dict(c.segment),
                "parameters": c.parameters(),
                "n_contacts": len(names),
                "contact_ids": names if len(names) <= INLINE_IDS else None,
                "effect": effect,
                "description": " ".join((type(c).__doc__ or "").split()),
            }
        )
    return records
