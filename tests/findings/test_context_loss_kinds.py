"""CL01 compares step kinds, not names; a step a queue does on every arrival is its routine, not rework."""

from __future__ import annotations

from datetime import timedelta

import pytest
from findings_golden import LOW, T0, run, steps

from cxray import schema as S
from cxray.findings import find_breakdowns
from cxray.findings.context_loss import ContextLoss
from cxray.io import Mapping, ReadOptions, read_events
from cxray.journeys import build_journeys
from cxray.process.step_kinds import StepKinds

H = timedelta(hours=1)


def _verification_log(repeated: int, *, fresh: int = 0, first: str = "Bot authenticated") -> list[dict]:
    """Bot → Q1: ``repeated`` of 20 re-verify as "Security check"; bot → Q2: 1 of 20 as "ID&V".

    ``fresh`` more contacts reach Q1 from a bot that did not verify them: Q1 verifies every one.
    """
    rows = []
    for i in range(20):
        again = ["Security check", "Handle"] if i < repeated else ["Handle"]
        rows += steps(f"c{i}", T0 + i * H, [("bot", [first, "Intent"]), ("Q1", again)])
        again2 = ["ID&V", "Handle"] if i < 1 else ["Handle"]
        rows += steps(f"d{i}", T0 + i * H, [("bot", [first, "Intent"]), ("Q2", again2)])
    for i in range(fresh):
        rows += steps(f"f{i}", T0 + i * H, [("bot", ["Intent"]), ("Q1", ["Security check", "Handle"])])
    return rows


def test_verification_under_other_names_is_one_kind_repeated(engine):
    """'Bot authenticated' then 'Security check' is identity verified twice, though no name repeats."""
    (f,) = run(engine, _verification_log(15), ContextLoss(thresholds=LOW))["all_findings"]
    assert f["where"] == {S.ACTIVITY: "Security check", S.QUEUE: "Q1", "to": "Q1", "from": "bot"}
    assert f["contacts_affected"] == 15
    ev = f["evidence"]
    assert ev["step_kind"] == "authenticate"
    assert ev["repeated_steps"] == [
        "'Bot authenticated' then 'Security check' (both authenticate), 15 contacts"
    ]
    assert ev["baseline_rate"] == pytest.approx(1 / 20) and ev["baseline_share"] is None
    assert "'Bot authenticated' then 'Security check'" in f["title"]


@pytest.mark.parametrize("name", ["KBA check", "Identity verification", "Verify caller", "Auth", "2FA"])
def test_any_verification_name_before_the_handoff_counts(engine, name):
    (f,) = run(engine, _verification_log(15, first=name), ContextLoss(thresholds=LOW))["all_findings"]
    assert f["evidence"]["step_kind"] == "authenticate" and f["contacts_affected"] == 15


def test_verifying_a_customer_the_first_time_is_not_a_routine_that_excuses_the_repeat(engine):
    """Q1 verifies all 20 customers nobody verified before; the 15 re-verified still are lost context."""
    (f,) = run(engine, _verification_log(15, fresh=20), ContextLoss(thresholds=LOW))["all_findings"]
    assert f["contacts_affected"] == 15 and f["evidence"]["baseline_rate"] == pytest.approx(1 / 20)


def test_steps_of_other_kinds_are_the_legs_own_work(engine):
    """'Wait - User' twice is waiting (hold), never lost context, unless ``kinds`` says to compare it."""
    rows = []
    for i in range(20):
        again = ["Wait - User", "Handle"] if i < 15 else ["Handle"]
        rows += steps(f"c{i}", T0 + i * H, [("A", ["Handle", "Wait - User"]), ("Q1", again)])
        rows += steps(f"d{i}", T0 + i * H, [("A", ["Handle", "Wait - User"]), ("Q2", ["Handle"])])
    assert run(engine, rows, ContextLoss(thresholds=LOW, per_leg_share=1.0))["all_findings"] == []
    detector = ContextLoss(thresholds=LOW, per_leg_share=1.0, kinds=("authenticate", "hold"))
    (f,) = run(engine, rows, detector)["all_findings"]
    assert f["evidence"]["step_kind"] == "hold" and f["where"]["to"] == "Q1"


def test_a_user_vocabulary_makes_its_own_names_a_kind(engine):
    """No built-in phrase names a memorable word; a user file's phrases make both names verification."""
    rows = []
    for i in range(20):
        again = ["Memorable word OK", "Handle"] if i < 15 else ["Handle"]
        rows += steps(f"c{i}", T0 + i * H, [("bot", ["Secret answer", "Intent"]), ("Q1", again)])
        rows += steps(f"d{i}", T0 + i * H, [("bot", ["Secret answer", "Intent"]), ("Q2", ["Handle"])])
    assert run(engine, rows, ContextLoss(thresholds=LOW))["all_findings"] == []  # different names
    mine = StepKinds.from_dict({"kinds": {"authenticate": {"match": ["memorable word*", "secret answer"]}}})
    (f,) = run(engine, rows, ContextLoss(thresholds=LOW, step_kinds=mine))["all_findings"]
    assert f["evidence"]["repeated_steps"][0].startswith("'Secret answer' then 'Memorable word OK'")


# --- routine is not rework ---------------------------------------------------------------------------------
def _routine_log(q1_fresh_logged: int) -> list[dict]:
    """ "Logged" (no kind) is done before the handoff in 40 contacts: Q1 repeats it in all 20 of its own,
    Q2 in none; of 20 other handoffs into Q1 (never logged before) Q1 logs ``q1_fresh_logged``."""
    rows = []
    for i in range(20):
        rows += steps(f"a{i}", T0 + i * H, [("A", ["Handle", "Logged"]), ("Q1", ["Logged", "Handle"])])
        rows += steps(f"b{i}", T0 + i * H, [("A", ["Handle", "Logged"]), ("Q2", ["Handle"])])
        fresh = ["Logged", "Handle"] if i < q1_fresh_logged else ["Handle"]
        rows += steps(f"c{i}", T0 + i * H, [("A", ["Handle"]), ("Q1", fresh)])
    return rows


def test_a_step_the_queue_does_on_every_arrival_is_its_routine(engine):
    """Q1 logs every case it receives, done before or not: its repeats are the process, not lost context."""
    detector = ContextLoss(thresholds=LOW, per_leg_share=1.0)
    assert run(engine, _routine_log(20), detector)["all_findings"] == []


def test_a_step_repeated_above_the_queues_routine_is_a_finding_that_says_both(engine):
    """Q1 logs 5 of 20 fresh arrivals (25%) but 20 of 20 already logged: excess over 25%, stated."""
    (f,) = run(engine, _routine_log(5), ContextLoss(thresholds=LOW, per_leg_share=1.0))["all_findings"]
    ev = f["evidence"]
    assert f["where"][S.ACTIVITY] == "Logged" and f["where"]["to"] == "Q1"
    assert ev["step_kind"] is None and ev["repeated_steps"] == ["'Logged' again, 20 contacts"]
    assert ev["share"] == 1.0 and ev["baseline_share"] == pytest.approx(0.25)
    assert ev["baseline_rate"] == pytest.approx(0.25) and ev["other_queues_rate"] == 0.0
    assert "routine" in ev["baseline"]
    assert f["avoidable_minutes"] == pytest.approx((20 - 20 * 0.25) * 5.0, abs=0.01)


@pytest.mark.slow
def test_bpic2013_routine_statuses_are_not_context_loss(engine, shared_data):
    """BPIC 2013: "Accepted - Assigned" is set whenever a team takes an incident; G97 does it on half its
    arrivals whether or not it was set before. Neither by kind (it is an assignment) nor by name (its
    routine) is it context lost on the handoff into G97."""
    path = shared_data / "bpic2013" / "BPI_Challenge_2013_incidents.xes"
    read_events([path], engine, options=ReadOptions(mapping=Mapping.builtin("bpic2013-incidents")))
    build_journeys(engine)

    def context_loss(detector: ContextLoss) -> list[dict]:
        return find_breakdowns(engine, detectors=[detector])["all_findings"]

    assert context_loss(ContextLoss()) == []  # its statuses are assignment, hold, queue wait, resolution
    by_name = context_loss(ContextLoss(step_kinds=StepKinds.from_dict({"builtin": False})))
    assert not [f for f in by_name if f["where"]["to"] == "G97"]
    assert not [f for f in by_name if "into G97: 'Accepted - Assigned'" in f["title"]]
    for f in by_name:  # what is left repeats more than its queue's routine, and says so
        ev = f["evidence"]
        assert ev["step_kind"] is None and ev["share"] > ev["baseline_rate"] >= (ev["baseline_share"] or 0)


def test_a_vocabulary_file_given_as_an_option_reaches_every_detector(engine, tmp_path):
    """``AnalysisOptions.step_kinds`` (``--step-kinds``, ``analysis.step_kinds`` in ``--config``) teaches
    CL01 this centre's name for verifying a caller; a bad file fails before any data is read."""
    from cxray import diagnose
    from cxray.errors import ConfigError
    from cxray.options import AnalysisOptions
    from cxray.testing import load_rows

    vocabulary = tmp_path / "kinds.yaml"
    vocabulary.write_text("kinds:\n  authenticate:\n    match: [palabra clave]\n", encoding="utf-8")
    rows = _verification_log(15, first="Palabra clave comprobada")
    load_rows(engine, rows)
    build_journeys(engine)
    plain = find_breakdowns(engine, detectors=[ContextLoss(thresholds=LOW)])
    assert plain["all_findings"] == []  # 'Palabra clave comprobada' is no kind the built-ins know
    taught = find_breakdowns(
        engine, options=AnalysisOptions(step_kinds=str(vocabulary)), detectors=[ContextLoss(thresholds=LOW)]
    )
    (f,) = taught["all_findings"]
    assert f["evidence"]["step_kind"] == "authenticate"
    broken = tmp_path / "broken.yaml"
    broken.write_text("kinds: [1, 2]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.yaml"):
        diagnose(tmp_path / "missing.csv", analysis=AnalysisOptions(step_kinds=str(broken)))
