"""Planted breakdowns show in the log with roughly their planted size, and vanish when switched off.

Each signal is measured with plain SQL over the events (tests/simulate/sim_signals.py), never from the
ground truth, so these tests check what a breakdown finder would see.
"""

from __future__ import annotations

import duckdb
import pytest
from sim_signals import connect, queue_path, run, signal

from cxray.simulate import load_scenario

SCENARIOS = ["default", "telco", "insurer"]
REPEAT_P = 0.85  # Behaviour.repeat_p in every built-in


def _planted(name: str):
    return [b for b in load_scenario(name).breakdowns if not b.decoy]


def _expect(b, scenario) -> tuple[float, float]:
    """The range the planted signal should fall in, from the planted parameters."""
    if b.kind == "vendor_pressure":  # repeat-rate gap ~ resolution drop × P(come back)
        gap = b.resolve_drop * REPEAT_P
        return 0.6 * gap, 1.15 * gap
    if b.kind == "false_containment":  # same-reason comebacks ~ false share × P(come back)
        return b.share * REPEAT_P - 0.09, b.share * REPEAT_P + 0.05
    if b.kind in ("misrouted_handoff", "ping_pong"):  # share of contacts, less those abandoned on the way
        return 0.8 * b.share, b.share + 0.03
    if b.kind == "context_loss":
        return b.share - 0.08, b.share + 0.05
    if b.kind == "back_office_black_hole":  # median wait in days ~ factor × the queue's usual median
        queue = next(q for q in scenario.queues if q.name == b.queue)
        usual = queue.wait_median_s / 86400
        return 0.7 * b.wait_factor * usual, 1.3 * b.wait_factor * usual
    if b.kind == "abandonment_hot_spot":  # abandonment in the hot hours over the other hours
        return 2.5, 20.0
    raise KeyError(b.kind)


@pytest.mark.parametrize(
    ("name", "b"), [(n, b) for n in SCENARIOS for b in _planted(n)], ids=lambda x: getattr(x, "name", x)
)
def test_planted_signal_has_its_size(name, b):
    """The signal of each planted breakdown is within its planted size's range, in every built-in centre."""
    low, high = _expect(b, load_scenario(name))
    assert low <= signal(run(name).events, b) <= high


@pytest.mark.parametrize("b", _planted("default"), ids=lambda b: b.name)
def test_switched_off_signal_is_gone(b):
    """With its switch off, a breakdown's signal drops to the baseline."""
    off = signal(run("default", off=b.name).events, b)
    baseline = {
        "vendor_pressure": 0.04,
        "false_containment": 0.12,  # the baseline 6% false containment, and other issues of the customer
        "misrouted_handoff": 0.0,
        "ping_pong": 0.0,
        "context_loss": 0.08,
        "abandonment_hot_spot": 1.5,
    }
    if b.kind == "back_office_black_hole":
        on = signal(run("default").events, b)
        assert on / off == pytest.approx(b.wait_factor, rel=0.25)
    else:
        assert off <= baseline[b.kind]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "b"),
    [(n, b) for n in ("telco", "insurer") for b in _planted(n)],
    ids=lambda x: getattr(x, "name", x),
)
def test_switched_off_signal_is_gone_elsewhere(name, b):
    """The same in the other centres (slow: one simulation per breakdown)."""
    low, _ = _expect(b, load_scenario(name))
    off = signal(run(name, off=b.name).events, b)
    if b.kind == "back_office_black_hole":
        assert signal(run(name).events, b) / off == pytest.approx(b.wait_factor, rel=0.25)
    else:
        assert off < max(low / 2, 0.001) or (b.kind == "abandonment_hot_spot" and off < 1.5)


def test_ground_truth_contacts_are_the_ones_showing_the_signal():
    """The misrouted and ping-pong contacts listed in the ground truth are exactly those the log shows."""
    result = run("default")
    scenario = load_scenario("default")
    truth = {b["name"]: set(b["contact_ids"]) for b in result.ground_truth["breakdowns"]}
    con = connect(result.events)
    queue_path(con)
    mis = scenario.breakdown("misrouted_payments")
    seen = {r[0] for r in con.execute(
        "SELECT contact_id FROM contacts JOIN qpath USING (contact_id) "
        "WHERE reason = ? AND channel = ? AND path[1] = ?",
        [mis.reason, mis.channel, mis.wrong_queue],
    ).fetchall()}  # fmt: skip
    assert seen == truth["misrouted_payments"]
    pp = scenario.breakdown("tech_ping_pong")
    bounced = {r[0] for r in con.execute(
        "SELECT contact_id FROM contacts JOIN qpath USING (contact_id) WHERE reason = ? "
        "AND contains('|' || array_to_string(path, '|') || '|', ?)",
        [pp.reason, f"|{pp.first}|{pp.second}|{pp.first}|"],
    ).fetchall()}  # fmt: skip
    assert bounced <= truth["tech_ping_pong"]
    assert len(bounced) >= 0.85 * len(truth["tech_ping_pong"])


def test_decoys_look_the_part():
    """The rare journey is rare but long; the healthy reason is big, contained and rarely repeated."""
    result = run("default")
    scenario = load_scenario("default")
    rare, healthy = scenario.breakdown("fraud_decoy"), scenario.breakdown("order_status_decoy")
    con = connect(result.events)
    queue_path(con)
    share, hops = con.execute(
        "SELECT avg((reason = ?)::INT), avg(len(path)) FILTER (WHERE reason = ?) "
        "FROM contacts LEFT JOIN qpath USING (contact_id)",
        [rare.reason, rare.reason],
    ).fetchone()
    assert share < 0.01 and hops >= 3
    big, contained, repeat = con.execute(
        "SELECT avg((reason = ?)::INT), avg(contained::INT) FILTER (WHERE reason = ? AND channel = 'chat'), "
        "(SELECT avg(has_repeat::INT) FROM repeats WHERE reason = ?) FROM contacts",
        [healthy.reason, healthy.reason, healthy.reason],
    ).fetchone()
    others = con.execute(
        "SELECT avg(has_repeat::INT) FROM repeats WHERE reason <> ?", [healthy.reason]
    ).fetchone()[0]
    assert big > 0.15 and contained > 0.5 and repeat < others / 2


def test_signals_hold_across_seeds():
    """The planted vendor gap is not one seed's luck."""
    b = load_scenario("default").breakdown("vendor_pressure")
    low, high = _expect(b, load_scenario("default"))
    for seed in (1, 2):
        assert low <= signal(run("default", seed=seed).events, b) <= high


def test_connect_is_plain_duckdb():
    assert isinstance(connect(run("default").events), duckdb.DuckDBPyConnection)
