"""Planted changes (``changes:``): each kind plants what it says, measured on the generated events alone."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from cxray.errors import ConfigError
from cxray.simulate import load_scenario, simulate
from cxray.simulate.change import BotLaunch, HandleTimeRise, PilotEffect, SeasonalShift
from cxray.simulate.scenario import Scenario

DATE = dt.date(2024, 3, 18)  # day 14 of the default centre (a Monday)
PILOT = {"queue": "Billing phone"}
SIZE = {"days": 28, "customers": 40_000}


def centre(*changes, honest: bool = False) -> Scenario:
    """The default centre with ``changes``; ``honest`` records every unresolved contact as unresolved."""
    s = load_scenario("default")
    if honest:
        s = dataclasses.replace(s, behaviour=dataclasses.replace(s.behaviour, honesty_p=1.0))
    return dataclasses.replace(s, changes=tuple(changes))


def query(events: pa.Table, sql: str) -> list[tuple]:
    """Run ``sql`` over the events (table ``ev``; ``c``: each contact's start and period)."""
    con = duckdb.connect()
    con.register("ev", events)
    con.execute(
        "CREATE TEMP TABLE c AS SELECT contact_id, min(timestamp) AS start, "
        f"min(timestamp) >= TIMESTAMP '{DATE} 00:00:00' AS after FROM ev GROUP BY 1"
    )
    return con.execute(sql).fetchall()


def handling_ratio(events: pa.Table, where: str) -> tuple[float, float]:
    """Agent handling after / before, in ``where`` (the segment) and elsewhere.

    A planted factor moves the log of every draw alike, so the ratio is the exponent of the mean log
    difference within strata (queue, team, reason, final or transfer leg, status chase): the reason mix
    drifting in time (repeats pile up after the first days) and the lognormal tail do not swamp it.
    """
    rows = query(
        events,
        f"""WITH k AS (SELECT contact_id, bool_or(activity = 'Case status checked') AS chase,
                              bool_or(activity = 'Back-office case opened') AS bo FROM ev GROUP BY 1),
                 h AS (SELECT coalesce({where}, false) AS seg, queue, team, reason,
                              outcome IS NULL AND NOT bo AS leg,
                              chase, c.after, ln(duration_s) AS x
                       FROM ev JOIN c USING (contact_id) JOIN k USING (contact_id)
                       WHERE activity = 'Agent handling' AND duration_s > 0),
                 s AS (SELECT seg, avg(x) FILTER (after) - avg(x) FILTER (NOT after) AS d,
                              count(*) FILTER (after) AS n
                       FROM h GROUP BY seg, queue, team, reason, leg, chase)
            SELECT seg, exp(sum(d * n) / sum(n)) FROM s WHERE d IS NOT NULL GROUP BY seg""",
    )
    m = dict(rows)
    return m[True], m[False]


def contact_handle_did(events: pa.Table, where: str) -> float:
    """DiD of the mean contact handle_s (sum of durations) of handled contacts: segment vs the rest."""
    rows = query(
        events,
        f"""WITH h AS (SELECT contact_id, sum(duration_s) AS handle_s,
                              bool_or(activity = 'Agent handling' AND coalesce({where}, false)) AS seg,
                              bool_or(activity = 'Agent handling') AS handled
                       FROM ev GROUP BY 1)
            SELECT seg, after, avg(handle_s) FROM h JOIN c USING (contact_id) WHERE handled GROUP BY ALL""",
    )
    m = {(seg, after): v for seg, after, v in rows}
    return (m[(True, True)] - m[(True, False)]) - (m[(False, True)] - m[(False, False)])


def record(sim, name: str) -> dict:
    return next(r for r in sim.ground_truth["changes"] if r["name"] == name)


# --- opt-in and determinism ---------------------------------------------------------------------------------
def test_no_changes_leaves_the_log_byte_for_byte():
    """The same seed gives the same events and ground truth with and without an empty changes list."""
    plain = simulate(load_scenario("default"), seed=5, days=10, customers=15_000)
    empty = simulate(centre(), seed=5, days=10, customers=15_000)
    assert plain.events.equals(empty.events)
    assert plain.ground_truth == empty.ground_truth and "changes" not in plain.ground_truth


def test_an_empty_changes_list_in_yaml_loads(tmp_path: Path):
    """``changes: []`` in a scenario file is the scenario without changes."""
    text = Path("src/cxray/simulate/scenarios/default.yaml").read_text(encoding="utf-8")
    (tmp_path / "s.yaml").write_text(text + "changes: []\n", encoding="utf-8")
    assert load_scenario(tmp_path / "s.yaml") == load_scenario("default")


def test_same_seed_same_output_with_changes(tmp_path: Path):
    """Changes draw from streams derived from the seed: two runs write identical files."""
    s = centre(
        PilotEffect(date=DATE, segment=PILOT, transfer_points=5, resolution_points=5),
        BotLaunch(date=DATE, segment={"reason": "billing_question"}),
        SeasonalShift(date=DATE, volume_pct=10),
    )
    a, b = (simulate(s, seed=2, days=21, customers=15_000) for _ in range(2))
    assert a.events.equals(b.events)
    a.write(tmp_path / "a")
    b.write(tmp_path / "b")
    for name in ("events.csv", "ground_truth.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert len(json.loads((tmp_path / "a" / "ground_truth.json").read_text())["changes"]) == 3


# --- pilot_effect -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pilot():
    s = centre(
        PilotEffect(name="pilot", date=DATE, segment=PILOT, handle_time_pct=-20, resolution_points=10),
        honest=True,
    )
    return simulate(s, seed=11, **SIZE)


def test_pilot_cuts_handle_time_in_its_segment_only(pilot):
    """Agent handling in the pilot queue falls by 20% from the date; elsewhere it stays where it was."""
    seg, rest = handling_ratio(pilot.events, "queue = 'Billing phone'")
    assert seg / rest == pytest.approx(0.8, abs=0.04)
    assert rest == pytest.approx(1.0, abs=0.04)


def test_pilot_truth_gives_the_effect_in_audit_units():
    """Across seeds, a DiD of the contacts' mean handle_s recovers the recorded handle seconds per contact."""
    did, truth = [], []
    for seed in (11, 12, 13):
        s = centre(PilotEffect(name="pilot", date=DATE, segment=PILOT, handle_time_pct=-20))
        sim = simulate(s, seed=seed, **SIZE)
        did.append(contact_handle_did(sim.events, "queue = 'Billing phone'"))
        effect = record(sim, "pilot")["effect"]
        truth.append(effect["handle_s_per_contact"])
        # the contact's handle_s includes IVR, details and wrap-up: its relative fall is smaller than 20%
        assert -20 < effect["handle_time_pct"] < -5
    assert all(t < -50 for t in truth)
    assert sum(did) / 3 == pytest.approx(sum(truth) / 3, abs=15)


def test_pilot_raises_resolution_by_its_points(pilot):
    """The unresolved share of the pilot queue's final handlings falls by the recorded points (DiD)."""
    rows = query(
        pilot.events,
        """SELECT queue = 'Billing phone', c.after, avg((outcome = 'unresolved')::INT) FROM ev JOIN c
           USING (contact_id) WHERE activity = 'Agent handling' AND outcome IN ('resolved', 'unresolved')
             AND contact_id NOT IN (SELECT contact_id FROM ev WHERE activity = 'Case status checked')
           GROUP BY ALL""",
    )
    m = {(seg, after): v for seg, after, v in rows}
    did = 100 * ((m[(True, True)] - m[(True, False)]) - (m[(False, True)] - m[(False, False)]))
    effect = record(pilot, "pilot")["effect"]
    assert 8 <= effect["resolution_points"] <= 10  # capped at 100% where resolve_p was above 0.9
    assert -did == pytest.approx(effect["resolution_points"], abs=3.5)
    assert 0 < effect["fcr_points_measured"] <= effect["fcr_points"] <= effect["resolution_points"] + 1e-9


def test_pilot_transfer_points_move_the_transfer_rate():
    """``transfer_points`` adds transfers out of the pilot queue: its transfer rate rises by about that."""
    sim = simulate(centre(PilotEffect(name="t", date=DATE, segment=PILOT, transfer_points=8)), seed=4, **SIZE)
    rows = query(
        sim.events,
        """WITH f AS (SELECT contact_id, arg_min(queue, timestamp) AS first_queue,
                             bool_or(activity = 'Transfer') AS moved
                      FROM ev WHERE activity IN ('Agent handling', 'Transfer') GROUP BY 1)
           SELECT first_queue = 'Billing phone', after, avg(moved::INT) FROM f JOIN c USING (contact_id)
           GROUP BY ALL""",
    )
    m = {(seg, after): v for seg, after, v in rows}
    did = 100 * ((m[(True, True)] - m[(True, False)]) - (m[(False, True)] - m[(False, False)]))
    effect = record(sim, "t")["effect"]
    assert effect["transfers_added"] > 100 and effect["transfers_dropped"] == 0
    assert did == pytest.approx(effect["transfer_points"], abs=3)
    assert effect["transfer_points"] == pytest.approx(8, abs=3)


# --- seasonal_shift -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def season():
    base = simulate(centre(), seed=8, **SIZE)
    shifted = simulate(
        centre(
            SeasonalShift(name="season", date=DATE, volume_pct=25, handle_time_pct=10),
            PilotEffect(name="pilot", date=DATE, segment=PILOT, handle_time_pct=-20),
        ),
        seed=8,
        **SIZE,
    )
    return base, shifted


def test_seasonal_shift_moves_every_segment(season):
    """From the date, volume rises 25% and every front queue's handling 10%, against the same seed without."""
    base, shifted = season

    def per_queue(sim):
        rows = query(
            sim.events,
            """SELECT queue, c.after, exp(avg(ln(duration_s))), count(DISTINCT contact_id) FROM ev JOIN c
               USING (contact_id) WHERE activity = 'Agent handling' AND duration_s > 0 GROUP BY ALL""",
        )
        return {(q, a): (h, n) for q, a, h, n in rows}

    b, s = per_queue(base), per_queue(shifted)
    for queue in ("Orders phone", "Technical phone", "General chat", "Email"):
        ratio = (s[(queue, True)][0] / s[(queue, False)][0]) / (b[(queue, True)][0] / b[(queue, False)][0])
        assert ratio == pytest.approx(1.10, abs=0.05), queue
    volume = [query(x.events, "SELECT sum(after::INT) / sum((NOT after)::INT) FROM c")[0][0] for x in season]
    assert volume[1] / volume[0] == pytest.approx(1.25, abs=0.06)
    assert record(shifted, "season")["effect"]["volume_pct"] == 25


def test_under_a_season_naive_before_after_is_wrong_and_did_is_right(season):
    """Pilot -20% in a +10% season: naive after/before reads about -12%, the ratio against control -20%."""
    seg, rest = handling_ratio(season[1].events, "queue = 'Billing phone'")
    assert seg == pytest.approx(0.88, abs=0.04)  # naive: 0.8 x 1.1
    assert abs(seg - 0.8) > 0.05
    assert seg / rest == pytest.approx(0.8, abs=0.04)


# --- bot_launch ---------------------------------------------------------------------------------------------
def test_bot_launch_shifts_work_to_longer_handoffs():
    """A share of the segment meets the bot, some are contained, the rest take longer with an agent."""
    launch = BotLaunch(
        name="bot", date=DATE, segment=PILOT, share=0.6, containment=0.3, handoff_handle_pct=40
    )
    sim = simulate(centre(launch), seed=6, **SIZE)
    effect = record(sim, "bot")["effect"]
    ((to_bot, contained, handed, before),) = query(
        sim.events,
        """SELECT count(DISTINCT contact_id) FILTER (activity = 'Bot: conversation started'),
                  count(DISTINCT contact_id) FILTER (activity = 'Bot: answer given'),
                  count(DISTINCT contact_id) FILTER (activity = 'Bot: handoff to agent'),
                  count(DISTINCT contact_id) FILTER (activity LIKE 'Bot:%' AND NOT after)
           FROM ev JOIN c USING (contact_id) WHERE channel <> 'chat'""",
    )
    assert before == 0
    assert (to_bot, contained, handed) == (effect["n_to_bot"], effect["n_contained"], effect["n_handed_off"])
    assert record(sim, "bot")["n_contacts"] == to_bot
    assert contained / to_bot == pytest.approx(0.3, abs=0.04)
    # every bot event of the launch answers in front of the pilot queue, so the segment keeps its contacts
    ((queues,),) = query(sim.events, "SELECT list(DISTINCT queue) FROM ev WHERE activity LIKE 'Bot:%' "
                         "AND channel <> 'chat'")  # fmt: skip
    assert queues == ["Billing phone"]
    # handed-off contacts' first agent handles 40% longer than the queue's other contacts after the date
    rows = query(
        sim.events,
        """WITH first AS (SELECT contact_id, ln(arg_min(duration_s, timestamp)) AS d FROM ev
                          WHERE activity = 'Agent handling' AND queue = 'Billing phone' GROUP BY 1),
                bot AS (SELECT DISTINCT contact_id FROM ev WHERE activity = 'Bot: handoff to agent'
                        AND channel = 'phone')
           SELECT contact_id IN (SELECT contact_id FROM bot), avg(d) FROM first JOIN c USING (contact_id)
           WHERE after GROUP BY ALL""",
    )
    m = dict(rows)
    assert math.exp(m[True] - m[False]) == pytest.approx(1.4, abs=0.1)
    assert effect["handle_s_per_contact"] > 0


# --- handle_time_rise ---------------------------------------------------------------------------------------
def test_handle_time_rise_on_a_team():
    """A team's agent handling rises 25% from the date, the rest does not; the truth's pct matches a DiD."""
    sim = simulate(
        centre(HandleTimeRise(name="slip", date=DATE, segment={"team": "Nexa BPO"}, handle_time_pct=25)),
        seed=9,
        **SIZE,
    )
    seg, rest = handling_ratio(sim.events, "team = 'Nexa BPO'")
    assert seg / rest == pytest.approx(1.25, abs=0.05)
    effect = record(sim, "slip")["effect"]
    did = contact_handle_did(sim.events, "team = 'Nexa BPO'")
    assert did == pytest.approx(effect["handle_s_per_contact"], abs=15)
    assert 8 < effect["handle_time_pct"] < 25


# --- configuration errors -----------------------------------------------------------------------------------
BAD = {
    "{kind: nope, date: 2024-03-18}": "changes[0].kind: unknown kind 'nope'",
    "{kind: pilot_effect, date: 2024-03-18, segment: {queue: Email}, handle_pct: 5}": (
        "changes[0]: unknown key(s) handle_pct"
    ),
    "{kind: pilot_effect, date: '2024-03-40', segment: {queue: Email}}": "changes[0].date: expected a date",
    "{kind: pilot_effect, date: 2024-03-01, segment: {queue: Email}}": "changes[0].date: 2024-03-01 must",
    "{kind: pilot_effect, segment: {queue: Email}}": "changes[0]: missing key(s) date",
    "{kind: pilot_effect, date: 2024-03-18, segment: {desk: X}}": "changes[0].segment.desk: unknown segment",
    "{kind: pilot_effect, date: 2024-03-18, segment: {queue: Nope}}": "changes[0].segment.queue: 'Nope' is",
    "{kind: pilot_effect, date: 2024-03-18}": "changes[0].segment: a pilot_effect needs a segment",
    "{kind: seasonal_shift, date: 2024-03-18, segment: {team: Tier 2}}": "changes[0].segment: a seasonal",
    "{kind: bot_launch, date: 2024-03-18, segment: {team: Tier 2}}": "changes[0].segment.team: a bot_launch",
    "{kind: bot_launch, date: 2024-03-18, segment: {reason: fraud_report}, share: 1.5}": "changes[0].share:",
    "{kind: handle_time_rise, date: 2024-03-18, segment: {team: Tier 2}, handle_time_pct: -100}": (
        "changes[0].handle_time_pct: -100.0 must be > -100"
    ),
    "{kind: pilot_effect, date: 2024-03-18, segment: {queue: Email}, resolution_points: 120}": (
        "changes[0].resolution_points: 120.0 must be within"
    ),
    "[not, a, mapping]": "changes[0]: expected a mapping with a 'kind'",
}


@pytest.mark.parametrize(("entry", "message"), BAD.items())
def test_bad_changes_are_config_errors_naming_the_key(tmp_path: Path, entry: str, message: str):
    """Unknown kinds and keys, bad dates, unknown segment columns or values: a ConfigError naming the key."""
    text = Path("src/cxray/simulate/scenarios/default.yaml").read_text(encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(f"{text}changes:\n  - {entry}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"s\.yaml") as info:
        load_scenario(path)
    assert message in str(info.value)


def test_a_change_in_yaml_is_the_typed_change(tmp_path: Path):
    """A YAML ``changes`` entry loads into its dataclass, with a date and a segment."""
    text = Path("src/cxray/simulate/scenarios/default.yaml").read_text(encoding="utf-8")
    path = tmp_path / "s.yaml"
    entry = "{kind: pilot_effect, date: 2024-03-18, segment: {queue: Billing phone}, handle_time_pct: -20}"
    path.write_text(f"{text}changes:\n  - {entry}\n", encoding="utf-8")
    (change,) = load_scenario(path).changes
    assert change == PilotEffect(date=DATE, segment=PILOT, handle_time_pct=-20)
