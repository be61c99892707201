"""Artefacts that are contacts of their own: bulk identities and night calls into a closed centre.

They are added to the generator after the centre has run, outside its queueing model: a bulk caller's
contacts do not take agents from anyone (a monitoring system's tickets are closed in seconds), and night
callers meet no agent at all. Both are numbered with the centre's own contacts (ids follow start time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import schema as S
from .artefacts import Artefacts
from .assemble import Assembled
from .batch import NORMAL, Batch
from .events import (
    ACD_ACTOR,
    IVR_ACTOR,
    NO_ACTOR,
    O_ABANDONED,
    O_RESOLVED,
    T_AGENT,
    T_CUSTOMER,
    T_IVR,
    T_SYSTEM,
    A,
)
from .generate import Generator
from .model import EMAIL, PHONE, Model
from .opening import is_closed
from .scenario import Scenario
from .waits import DAY, HOUR

BULK_MAX_S = 600.0  # a bulk contact (IVR or email, wait, handling, wrap-up) lasts less than this
NIGHT_MAX_S = 600.0  # a night call (IVR, wait, hang-up) lasts less than this


@dataclass(frozen=True)
class BulkIdentity:
    """One bulk customer: where its contacts go and the generator ids of those contacts."""

    customer: int
    reason: int
    channel: int
    queue: int
    team: int
    share: float
    contacts: np.ndarray


@dataclass
class AddedContacts:
    """The contacts the artefacts added (generator ids), to be named once the log is assembled."""

    base_contacts: int
    base_phone_contacts: int
    bulk: list[BulkIdentity] = field(default_factory=list)
    night: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    night_queued: int = 0

    def truth(self, out: Assembled, s: Scenario, a: Artefacts) -> dict[str, Any]:
        """The ground truth of the added contacts, with the names the log gives them."""
        table = out.table
        contact = table.column(S.CONTACT_ID).to_numpy(zero_copy_only=False)
        customer = table.column(S.CUSTOMER_ID).to_numpy(zero_copy_only=False)
        bulk = []
        for b in self.bulk:
            ids = out.contact_names(b.contacts)
            row = int(np.flatnonzero(contact == ids[0])[0]) if ids else -1
            bulk.append(
                {
                    "customer_id": customer[row] if ids else None,
                    S.QUEUE: s.queues[b.queue].name,
                    S.TEAM: s.teams[b.team].name,
                    S.REASON: s.reasons[b.reason].name,
                    S.CHANNEL: "phone" if b.channel == PHONE else "email",
                    "share": b.share,
                    "n_contacts": len(ids),
                    "contact_ids": ids,
                }
            )
        night = out.contact_names(self.night)
        return {
            "base_contacts": self.base_contacts,
            "bulk_identities": bulk,
            "night_calls": {
                "closed_hours": list(a.closed_hours) if a.closed_hours is not None else None,
                "share": a.night_call_share,
                "base_phone_contacts": self.base_phone_contacts,
                "n_contacts": len(night),
                "n_queued": self.night_queued,
                "n_abandoned": len(night),
                "contact_ids": night,
            },
        }


def add_contacts(
    gen: Generator, a: Artefacts, rng: np.random.Generator, night_rng: np.random.Generator, *, customers: int
) -> AddedContacts:
    """Add the bulk identities' contacts (drawn from ``rng``) and night calls (``night_rng``) to ``gen``."""
    channel = np.concatenate(gen.contacts["channel"]) if gen.n_contacts else np.empty(0, np.int64)
    added = AddedContacts(base_contacts=gen.n_contacts, base_phone_contacts=int((channel == PHONE).sum()))
    places = _bulk_places(gen.m)
    used: set[tuple[int, int, int, int]] = set()
    for k in range(a.bulk_customers if places else 0):
        share = float(rng.uniform(*a.bulk_share))
        n = round(share * added.base_contacts)
        place = _pick_place(rng, places, used)
        used.add(place)
        cid = _bulk_contacts(gen, rng, a, customers + k, place, n)
        added.bulk.append(BulkIdentity(customers + k, *place, share=share, contacts=cid))
    if a.closed_hours is not None and a.night_call_share > 0:
        n = round(a.night_call_share * added.base_phone_contacts)
        added.night, added.night_queued = _night_calls(gen, night_rng, a, n, customers=customers)
    return added


def _bulk_places(m: Model) -> list[tuple[tuple[int, int, int, int], float, int]]:
    """Every (reason, channel, queue, team) a phone call or email can reach: its volume and planted names.

    A bulk identity goes where the fewest planted breakdowns act (counting names of reasons, queues and
    teams), so a finding about it is the artefact's and cannot be credited to a planted breakdown.
    """
    s = m.scenario
    planted = {v for b in s.breakdowns if b.enabled for v in b.entities().values()}
    places = []
    for r, reason in enumerate(s.reasons):
        for ch in (PHONE, EMAIL):
            q = int(m.route[r, ch])
            if q < 0 or m.queue_channel[q] != ch:
                continue
            shares = np.diff(m.queue_team_cdf[q], prepend=0.0)
            for team in np.flatnonzero(shares > 0):
                names = (reason.name, s.queues[q].name, s.teams[team].name)
                weight = float(m.reason_share[r] * m.reason_channel[r, ch] * shares[team])
                places.append(((r, ch, q, int(team)), weight, sum(name in planted for name in names)))
    return places


def _pick_place(
    rng: np.random.Generator,
    places: list[tuple[tuple[int, int, int, int], float, int]],
    used: set[tuple[int, int, int, int]],
) -> tuple[int, int, int, int]:
    """A place among the least planted ones not used yet (any, once all are), by volume."""
    free = [p for p in places if p[0] not in used] or places
    fewest = min(p[2] for p in free)
    pool = [p for p in free if p[2] == fewest]
    weight = np.array([p[1] for p in pool]) + 1e-12
    return pool[int(rng.choice(len(pool), p=weight / weight.sum()))][0]


def _new(gen: Generator, customer: np.ndarray, reason: np.ndarray, channel: int, t: np.ndarray) -> np.ndarray:
    """New contacts of ``gen``, one journey each (a ticket or a call is an issue of its own)."""
    n = t.size
    batch = Batch(
        journey=gen.n_journeys + np.arange(n, dtype=np.int64),
        customer=customer.astype(np.int64),
        reason=reason.astype(np.int64),
        channel=np.full(n, channel, dtype=np.int64),
        t=t,
        kind=np.full(n, NORMAL, dtype=np.int64),
        seq=np.zeros(n, dtype=np.int64),
        case_queue=np.full(n, -1, dtype=np.int64),
    )
    gen.n_journeys += n
    return gen._new_contacts(batch)


def _bulk_contacts(
    gen: Generator,
    rng: np.random.Generator,
    a: Artefacts,
    customer: int,
    place: tuple[int, int, int, int],
    n: int,
) -> np.ndarray:
    """``n`` short contacts of one customer in one place, at the channel's busy hours while open."""
    m, ev = gen.m, gen.events
    r, ch, q, team = place
    hours = m.hour_cdf[ch] - np.concatenate([[0.0], m.hour_cdf[ch][:-1]])
    if a.closed_hours is not None:
        hours = hours * ~is_closed(np.arange(24) * HOUR, a.closed_hours)
    hours = hours if hours.sum() > 0 else np.ones(24)
    hour = rng.choice(24, size=n, p=hours / hours.sum())
    t = np.sort(rng.integers(0, gen.days, n) * DAY + hour * HOUR + rng.random(n) * (HOUR - BULK_MAX_S))
    cid = _new(gen, np.full(n, customer), np.full(n, r), ch, t)
    agent = m.team_agent_offset[team] + rng.integers(0, m.team_agents[team], n)
    if ch == PHONE:
        d = rng.uniform(20, 70, n)
        ev.add(cid, t, A["IVR menu"], actor_type=T_IVR, actor=IVR_ACTOR, duration=d)
    else:
        d = np.zeros(n)
        ev.add(cid, t, A["Email received"], actor_type=T_CUSTOMER, duration=0.0)
    t = t + d
    ev.add(cid, t, A["Queue wait"], actor_type=T_SYSTEM, actor=ACD_ACTOR, queue=q)
    t = t + rng.uniform(10, 120, n)
    handle = rng.uniform(60, 240, n)
    agent_step = {"actor_type": T_AGENT, "actor": agent, "queue": q, "team": team}
    ev.add(cid, t, A["Agent handling"], outcome=O_RESOLVED, duration=handle, **agent_step)
    ev.add(cid, t + handle, A["After-contact work"], duration=rng.uniform(10, 40, n), **agent_step)
    return cid


def _night_calls(
    gen: Generator, rng: np.random.Generator, a: Artefacts, n: int, *, customers: int
) -> tuple[np.ndarray, int]:
    """``n`` calls while closed: IVR, then most wait in a queue and all hang up. Returns ids and queued."""
    m, ev = gen.m, gen.events
    assert a.closed_hours is not None
    weight = m.reason_share * m.reason_channel[:, PHONE] * (m.route[:, PHONE] >= 0)
    if n == 0 or weight.sum() <= 0:
        return np.empty(0, np.int64), 0
    start, end = a.closed_hours
    length = ((end - start) % 24) * HOUR - NIGHT_MAX_S  # a call ends before opening
    lo = np.arange(-1, gen.days + 1) * DAY + start * HOUR
    lo, hi = np.maximum(lo, 0.0), np.minimum(lo + length, gen.horizon - NIGHT_MAX_S)
    lo, span = lo[hi > lo], (hi - lo)[hi > lo]
    if span.size == 0:
        return np.empty(0, np.int64), 0
    night = rng.choice(span.size, size=n, p=span / span.sum())
    t = np.sort(lo[night] + rng.random(n) * span[night])
    reason = rng.choice(weight.size, size=n, p=weight / weight.sum())
    cid = _new(gen, rng.integers(0, customers, n), reason, PHONE, t)
    queued = rng.random(n) < a.night_queue_share
    ivr = rng.uniform(20, 70, n)
    outcome = np.where(queued, -1, O_ABANDONED)  # a caller who hangs up in the IVR ends the call there
    ev.add(cid, t, A["IVR menu"], actor_type=T_IVR, actor=IVR_ACTOR, outcome=outcome, duration=ivr)
    q, c, t = m.route[reason[queued], PHONE], cid[queued], (t + ivr)[queued]
    ev.add(c, t, A["Queue wait"], actor_type=T_SYSTEM, actor=ACD_ACTOR, queue=q)
    wait = np.minimum(rng.exponential(90.0, c.size), NIGHT_MAX_S - 100)
    ev.add(
        c, t + wait, A["Abandoned"], actor_type=T_CUSTOMER, actor=NO_ACTOR, queue=q, outcome=O_ABANDONED,
        duration=0.0,
    )  # fmt: skip
    return cid, int(queued.sum())
