"""Erlang-A (M/M/n+M, Palm's model): a queue's analytic waits and abandonment, and a simulation to check it.

The simulator samples each interval's waits from :func:`erlang_a` instead of simulating every queue event
by event, so the analytic values must be right: :func:`simulate_queue` is an exact FIFO multi-server
simulation of the same model that the tests hold it against.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError


@dataclass(frozen=True, kw_only=True)
class QueueStats:
    """Steady-state figures of a queue, per arriving customer (rates in the caller's time unit)."""

    p_wait: float  # P(an arrival finds every server busy and has to wait)
    p_abandon: float  # P(an arrival leaves before service)
    mean_wait: float  # mean time in queue over all arrivals (served and abandoned)
    mean_queue: float  # mean number waiting


def _check(arrival_rate: float, service_rate: float, patience_rate: float, servers: int) -> None:
    if arrival_rate < 0 or service_rate <= 0 or patience_rate <= 0 or servers < 1:
        raise ConfigError(
            "Erlang-A needs arrival_rate >= 0, service_rate > 0, patience_rate > 0 and servers >= 1; got "
            f"{arrival_rate}, {service_rate}, {patience_rate}, {servers}"
        )


def erlang_a(*, arrival_rate: float, service_rate: float, patience_rate: float, servers: int) -> QueueStats:
    """Exact Erlang-A figures from the birth-death chain of the number in system.

    State k has birth rate λ and death rate min(k, n)·μ + max(k − n, 0)·θ; the chain is truncated where its
    tail is negligible (it always is: abandonment makes the queue stable even when λ > nμ). By PASTA an
    arrival sees the stationary law, so P(wait) = P(k ≥ n); by Little, mean wait = E[queue] / λ, and every
    waiting customer leaves at rate θ, so P(abandon) = θ·E[queue] / λ.

    >>> s = erlang_a(arrival_rate=1.0, service_rate=0.1, patience_rate=0.5, servers=10)
    >>> round(s.p_abandon, 4), round(s.p_wait, 4)
    (0.1708, 0.3748)
    """
    _check(arrival_rate, service_rate, patience_rate, servers)
    lam, mu, theta, n = arrival_rate, service_rate, patience_rate, servers
    if lam == 0:
        return QueueStats(p_wait=0.0, p_abandon=0.0, mean_wait=0.0, mean_queue=0.0)
    excess = max(lam - n * mu, 0.0) / theta
    depth = int(excess + 12 * np.sqrt(lam / theta + excess + 1) + 60)
    k = np.arange(1, n + depth + 1, dtype=np.float64)
    deaths = np.minimum(k, n) * mu + np.maximum(k - n, 0) * theta
    log_p = np.concatenate([[0.0], np.cumsum(np.log(lam) - np.log(deaths))])
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    waiting = np.maximum(np.arange(p.size) - n, 0)
    mean_queue = float(p @ waiting)
    return QueueStats(
        p_wait=float(p[n:].sum()),
        p_abandon=theta * mean_queue / lam,
        mean_wait=mean_queue / lam,
        mean_queue=mean_queue,
    )


def simulate_queue(
    *,
    arrival_rate: float,
    service_rate: float,
    patience_rate: float,
    servers: int,
    arrivals: int = 100_000,
    warmup: int = 5_000,
    seed: int = 0,
) -> QueueStats:
    """Simulate the M/M/n+M queue customer by customer (FIFO) and measure what :func:`erlang_a` predicts.

    With FIFO service each customer takes the server that frees first after all earlier customers who stayed,
    and abandons when that moment is later than their patience, so one pass over the arrivals with a heap of
    server free-times is exact. The first ``warmup`` customers are not measured (the queue starts empty).
    """
    _check(arrival_rate, service_rate, patience_rate, servers)
    rng = np.random.default_rng(seed)
    total = arrivals + warmup
    times = np.cumsum(rng.exponential(1 / arrival_rate, total)).tolist()
    services = rng.exponential(1 / service_rate, total).tolist()
    patience = rng.exponential(1 / patience_rate, total).tolist()
    free = [0.0] * servers  # the time each server next becomes free
    waited = abandoned = 0
    wait_sum = 0.0
    area_start = times[warmup]
    for i in range(total):
        arrival = times[i]
        start = max(arrival, free[0])
        wait = start - arrival
        leaves = wait > patience[i]
        if not leaves:
            heapq.heapreplace(free, start + services[i])
        if i < warmup:
            continue
        waited += wait > 0
        abandoned += leaves
        wait_sum += patience[i] if leaves else wait
    span = times[-1] - area_start
    lam_hat = arrivals / span if span > 0 else arrival_rate
    return QueueStats(
        p_wait=waited / arrivals,
        p_abandon=abandoned / arrivals,
        mean_wait=wait_sum / arrivals,
        mean_queue=wait_sum / arrivals * lam_hat,
    )
