"""Queue waits per hop: Erlang-A per queue and hour for phone and chat, lognormal backlogs otherwise.

The simulation runs twice. The first (pilot) pass has no waits and records when each real-time queue
gets work and how long it keeps an agent; from that, each queue is staffed per weekday and hour by the
square-root rule n = ⌈a + β√a⌉ on the *average* offered load a of that weekday-hour, as a planner would.
Each day-hour then gets its Erlang-A figures from its *own* arrivals, so busy days (the gamma day factor)
and planted understaffing show up as longer waits and more abandonment. Within an hour, a delayed
caller's wait is min(V, patience) with V exponential at the rate that reproduces Erlang-A's P(wait),
P(abandon) and mean wait exactly: ν = θ (P(wait) / P(abandon) − 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .breakdowns import AbandonmentHotSpot, BackOfficeBlackHole
from .erlang import erlang_a
from .model import Model

HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True)
class Draw:
    wait: np.ndarray  # seconds waited in the queue (until service, abandonment or the callback request)
    abandon: np.ndarray  # bool
    virtual: np.ndarray  # the wait until an agent would have answered
    patience: np.ndarray


class Waits:
    """Samples waits for hops; in pilot mode it only records the offered work."""

    def __init__(self, model: Model, *, days: int, start_weekday: int) -> None:
        self.m = model
        self.days = days
        self.start_weekday = start_weekday
        q = len(model.scenario.queues)
        self.arrivals = np.zeros(q * days * 24)
        self.service = np.zeros(q)
        self.served = np.zeros(q)
        self.p_wait: np.ndarray | None = None
        self.p_abandon: np.ndarray | None = None
        self.staff: np.ndarray | None = None
        self.deferred_factor = np.ones(q)
        for b in model.active(BackOfficeBlackHole):
            self.deferred_factor[model.queue(b.queue)] *= b.wait_factor

    @property
    def pilot(self) -> bool:
        return self.p_wait is None

    def cell(self, queue: np.ndarray, t: np.ndarray) -> np.ndarray:
        day = np.clip((t // DAY).astype(np.int64), 0, self.days - 1)
        hour = ((t % DAY) // HOUR).astype(np.int64)
        return (queue * self.days + day) * 24 + hour

    def record(self, queue: np.ndarray, t: np.ndarray, service: np.ndarray) -> None:
        """Pilot pass: note an arrival at a real-time queue and the agent time it took."""
        rt = self.m.queue_realtime[queue]
        np.add.at(self.arrivals, self.cell(queue[rt], t[rt]), 1.0)
        np.add.at(self.service, queue, service)
        np.add.at(self.served, queue, 1.0)

    def plan(self) -> None:
        """Staff every real-time queue and compute each day-hour's Erlang-A figures from the pilot."""
        m, days = self.m, self.days
        nq = len(m.scenario.queues)
        counts = self.arrivals.reshape(nq, days, 24)
        mean_service = np.where(self.served > 0, self.service / np.maximum(self.served, 1), 300.0)
        weekday = (self.start_weekday + np.arange(days)) % 7
        staff = np.zeros((nq, days, 24), dtype=np.int64)
        for wd in range(7):
            on = weekday == wd
            if not on.any():
                continue
            load = counts[:, on, :].mean(axis=1) * mean_service[:, None] / HOUR  # (Q, 24) erlangs
            need = np.ceil(load + m.queue_beta[:, None] * np.sqrt(load)).astype(np.int64)
            staff[:, on, :] = np.maximum(need, 1)[:, None, :]
        for b in m.active(AbandonmentHotSpot):
            hot, hours = m.queue(b.queue), list(b.hours)
            cut = np.floor(staff[hot][:, hours] * b.staffing_factor).astype(np.int64)
            staff[hot][:, hours] = np.maximum(cut, 1)
        p_wait = np.zeros(counts.shape)
        p_ab = np.zeros(counts.shape)
        cache: dict[tuple[int, int, int], tuple[float, float]] = {}
        for q in np.flatnonzero(m.queue_realtime).tolist():
            mu, theta = 1.0 / mean_service[q], 1.0 / m.queue_patience[q]
            for d in range(days):
                for h in range(24):
                    key = (int(q), int(counts[q, d, h]), int(staff[q, d, h]))
                    if key[1] == 0:
                        continue
                    if key not in cache:
                        s = erlang_a(
                            arrival_rate=key[1] / HOUR, service_rate=mu, patience_rate=theta, servers=key[2]
                        )
                        cache[key] = (s.p_wait, s.p_abandon)
                    p_wait[q, d, h], p_ab[q, d, h] = cache[key]
        self.p_wait, self.p_abandon, self.staff = p_wait.ravel(), p_ab.ravel(), staff

    def draw(self, rng: np.random.Generator, queue: np.ndarray, t: np.ndarray) -> Draw:
        n = len(queue)
        u, e1, e2, z = (
            rng.random(n),
            rng.standard_exponential(n),
            rng.standard_exponential(n),
            rng.normal(size=n),
        )
        if self.pilot:
            zero = np.zeros(n)
            return Draw(wait=zero, abandon=np.zeros(n, dtype=bool), virtual=zero, patience=zero + np.inf)
        assert self.p_wait is not None and self.p_abandon is not None
        m = self.m
        cell = self.cell(queue, t)
        pw, pa = self.p_wait[cell], self.p_abandon[cell]
        theta = 1.0 / m.queue_patience[queue]
        nu = theta * (pw / np.maximum(pa, 1e-12) - 1.0)
        patience = e1 / theta
        virtual = np.where(u < pw, e2 / np.maximum(nu, 1e-12), 0.0)
        realtime = m.queue_realtime[queue]
        backlog = (
            m.queue_wait_median[queue] * np.exp(m.queue_wait_sigma[queue] * z) * self.deferred_factor[queue]
        )
        virtual = np.where(realtime, virtual, backlog)
        abandon = realtime & (patience < virtual)
        wait = np.where(abandon, patience, virtual)
        return Draw(
            wait=wait, abandon=abandon, virtual=virtual, patience=np.where(realtime, patience, np.inf)
        )
