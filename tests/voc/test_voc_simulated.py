"""The voice of the customer on simulated centres: the planted drop is alerted where and when it was
planted, ordinary weeks stay quiet, and verbatims land on the steps the simulator wrote them about."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from cxray import diagnose
from cxray.engine import Engine
from cxray.io.options import ReadOptions
from cxray.process.step_kinds import StepKinds
from cxray.simulate import SurveyDrop, load_scenario, simulate
from cxray.voc.responses import SurveyOptions, build_responses
from cxray.voc.verbatims import VERBATIM_STEPS, map_verbatims

# The simulator's drivers that name one step of the path, and those about the contact as a whole.
STEP_DRIVERS = {"context", "transfers", "wait", "pending"}
CONTACT_DRIVERS = {"unresolved", "repeat"}


def _centre(drop: bool, seed: int):
    scenario = load_scenario("default")
    if drop:
        planted = SurveyDrop(name="drop", reason="billing_question", start_day=14, days=7, score_shift=-1.2)
        scenario = dataclasses.replace(scenario, breakdowns=(*scenario.breakdowns, planted))
    return simulate(scenario, seed=seed)


@pytest.fixture(scope="module")
def dropped():
    result = _centre(True, 7)
    return diagnose(result.events).to_dict()["voc"], result.ground_truth


def test_the_planted_drop_is_the_alert_at_its_segment_and_week(dropped):
    voc, truth = dropped
    (planted,) = [b for b in truth["breakdowns"] if b["kind"] == "survey_drop"]
    roots = [a for a in voc["alerts"] if a["explained_by"] is None]
    assert [(a["segment"], a["period_start"]) for a in roots] == [
        ({"reason": "billing_question"}, planted["survey"]["week_start"])
    ]
    assert roots[0]["value"] < roots[0]["lower"] and roots[0]["q_value"] < 1e-6
    # The same drop shows in the segments its responses belong to; each says where it came from.
    assert all(a["explained_by"] == {"reason": "billing_question"} for a in voc["alerts"] if a not in roots)
    # Only the scores moved: the pairing reads it as survey movement, not a change in the work.
    (pairing,) = [p for p in voc["pairings"] if p["segment"] == {"reason": "billing_question"}]
    assert not pairing["operations_moved"] and pairing["reading"].startswith("survey movement")


def test_ordinary_weeks_raise_no_alarm():
    """Seed 1 without a drop: no alert among the segment-weeks tested (over seeds 1-3: 0 of 250)."""
    voc = diagnose(_centre(False, 1).events).to_dict()["voc"]
    assert voc["alert_stats"]["tests"] >= 50 and voc["alerts"] == []


def test_verbatims_land_on_the_steps_they_were_written_about():
    """Against the simulator's ground truth (docs/voc.md): the step each verbatim names, exactly, for the
    drivers about one step (repeated details, transfers, waits, chasing); the contact, for those about
    the contact as a whole (still unresolved, calling again), whose step is a matter of definition."""
    result = simulate(load_scenario("default"), seed=7, days=14, customers=20000)
    driver = {t["contact_id"]: t["driver"] for t in result.ground_truth["verbatims"]["records"]}
    truth = {(t["contact_id"], t["source_row"]) for t in result.ground_truth["verbatims"]["records"]
             if t["source_row"] is not None}  # fmt: skip
    with Engine(threads=2) as engine:
        diagnose(result.events, engine=engine)
        build_responses(engine, SurveyOptions(), read=ReadOptions())
        map_verbatims(engine, step_kinds=StepKinds.builtin())
        placed = {
            (r["contact_id"], r["source_row"])
            for r in engine.rows(
                f"""
                SELECT m.contact_id, e.source_row FROM {VERBATIM_STEPS} m JOIN (
                    SELECT contact_id, source_row,
                           row_number() OVER (PARTITION BY contact_id ORDER BY timestamp, source_row) AS seq
                    FROM events) e ON e.contact_id = m.contact_id AND e.seq = m.step_seq
                """
            )
        }
    by = Counter(driver[c] for c, _ in truth)
    assert by["context"] and by["transfers"] and by["wait"] and by["unresolved"] and by["repeat"]
    step_truth = {t for t in truth if driver[t[0]] in STEP_DRIVERS}
    step_placed = {p for p in placed if p[0] in driver and driver[p[0]] in STEP_DRIVERS}
    hit = len(step_truth & step_placed)
    assert hit / len(step_placed) >= 0.85 and hit / len(step_truth) >= 0.9  # measured 0.89 and 0.95
    contacts = {c for c, _ in truth if driver[c] in CONTACT_DRIVERS}
    assert len(contacts & {c for c, _ in placed}) / len(contacts) >= 0.98  # measured 1.0
