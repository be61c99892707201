"""Erlang-A: the analytic figures against a customer-by-customer simulation and a closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cxray.errors import ConfigError
from cxray.simulate import erlang_a, load_scenario, simulate_queue
from cxray.simulate.model import build_model
from cxray.simulate.waits import Waits

CASES = [
    # arrival rate, service rate, patience rate, servers (per second): under, near and over capacity
    (1 / 12, 1 / 300, 1 / 600, 30),
    (1 / 10, 1 / 300, 1 / 300, 28),
    (1 / 8, 1 / 300, 1 / 200, 30),
    (1 / 60, 1 / 240, 1 / 120, 2),
]


@pytest.mark.parametrize(("lam", "mu", "theta", "n"), CASES)
def test_simulated_queue_matches_erlang_a(lam, mu, theta, n):
    """A FIFO M/M/n+M simulation reproduces the analytic P(wait), P(abandon) and mean wait."""
    exact = erlang_a(arrival_rate=lam, service_rate=mu, patience_rate=theta, servers=n)
    sim = simulate_queue(arrival_rate=lam, service_rate=mu, patience_rate=theta, servers=n, arrivals=150_000)
    assert sim.p_wait == pytest.approx(exact.p_wait, abs=0.02)
    assert sim.p_abandon == pytest.approx(exact.p_abandon, rel=0.08, abs=0.004)
    assert sim.mean_wait == pytest.approx(exact.mean_wait, rel=0.08, abs=1.0)


def _erlang_c(lam: float, mu: float, n: int) -> float:
    a = lam / mu
    top = a**n / math.factorial(n) * n / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


def test_patient_customers_give_erlang_c():
    """With (almost) infinite patience Erlang-A is Erlang-C: P(wait) is the Erlang C formula."""
    s = erlang_a(arrival_rate=0.8, service_rate=0.1, patience_rate=1e-9, servers=10)
    assert s.p_wait == pytest.approx(_erlang_c(0.8, 0.1, 10), rel=1e-4)
    assert s.p_abandon < 1e-6


def test_identities_hold():
    """P(abandon) = θ·E[wait] (each waiting customer leaves at rate θ); more servers, less waiting."""
    s = erlang_a(arrival_rate=2.0, service_rate=0.1, patience_rate=0.05, servers=15)
    assert s.p_abandon == pytest.approx(0.05 * s.mean_wait)
    assert s.mean_queue == pytest.approx(2.0 * s.mean_wait)
    more = erlang_a(arrival_rate=2.0, service_rate=0.1, patience_rate=0.05, servers=25)
    assert more.p_wait < s.p_wait and more.p_abandon < s.p_abandon
    assert erlang_a(arrival_rate=0.0, service_rate=1.0, patience_rate=1.0, servers=1).p_wait == 0.0


@pytest.mark.parametrize(
    "bad", [{"servers": 0}, {"service_rate": 0.0}, {"patience_rate": -1.0}, {"arrival_rate": -1}]
)
def test_invalid_parameters_raise_config_error(bad):
    args = {"arrival_rate": 1.0, "service_rate": 0.1, "patience_rate": 0.1, "servers": 5} | bad
    with pytest.raises(ConfigError):
        erlang_a(**args)


def test_sampled_waits_reproduce_the_interval_figures():
    """The simulator's per-hop draw has Erlang-A's P(wait), P(abandon) and mean wait for its interval."""
    model = build_model(load_scenario("default"), customers=100_000)
    waits = Waits(model, days=1, start_weekday=0)
    exact = erlang_a(arrival_rate=1 / 10, service_rate=1 / 300, patience_rate=1 / 600, servers=28)
    nq = len(model.scenario.queues)
    waits.p_wait = np.full(nq * 24, exact.p_wait)
    waits.p_abandon = np.full(nq * 24, exact.p_abandon)
    queue = next(
        i for i, q in enumerate(model.scenario.queues) if q.channel == "phone" and q.patience_s == 600
    )
    n = 400_000
    draw = waits.draw(np.random.default_rng(0), np.full(n, queue), np.full(n, 10.5 * 3600))
    assert (draw.wait > 0).mean() == pytest.approx(exact.p_wait, abs=0.005)
    assert draw.abandon.mean() == pytest.approx(exact.p_abandon, rel=0.03)
    assert draw.wait.mean() == pytest.approx(exact.mean_wait, rel=0.03)
