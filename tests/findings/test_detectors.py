"""Each built-in detector on hand-written logs: it fires where the breakdown is, and only there."""

from __future__ import annotations

from datetime import timedelta

import pytest
from findings_golden import LOW, T0, filler, run, steps

from cxray import schema as S
from cxray.errors import ConfigError
from cxray.findings.abandonment import AbandonmentHotSpot
from cxray.findings.back_office import BackOfficeAging
from cxray.findings.context_loss import ContextLoss
from cxray.findings.dead_ends import DeadEnd
from cxray.findings.false_containment import FalseContainment
from cxray.findings.loops import Rework
from cxray.findings.multi_hop import MultiHop
from cxray.findings.parked_work import ParkedWork
from cxray.findings.ping_pong import PingPong
from cxray.findings.repeats import RepeatConcentration
from cxray.findings.transfers import TransferHotSpot

H = timedelta(hours=1)
D = timedelta(days=1)


# --- RP01 ------------------------------------------------------------------------------------------------
def _repeat_log(a_repeats: int) -> list[dict]:
    rows = []
    for i in range(
        10
    ):  # team A handles 10 customers once; a_repeats of them call again the next day (team B)
        rows += steps(f"a{i}", T0 + i * H, [("A", ["Handle"])], customer=f"ca{i}")
        if i < a_repeats:
            rows += steps(f"a{i}-again", T0 + D + i * H, [("B", ["Handle"])], customer=f"ca{i}", minutes=10)
    for i in range(10):  # team B handles 10 other customers; one calls again
        rows += steps(f"b{i}", T0 + i * H, [("B", ["Handle"])], customer=f"cb{i}")
    rows += steps("b0-again", T0 + D + 20 * H, [("B", ["Handle"])], customer="cb0", minutes=10)
    return rows + filler()


def test_rp01_prices_the_excess_repeats_against_the_same_reason_elsewhere(engine):
    """Team A: 6 of 10 contacts repeat; elsewhere (B) 1 of 17: excess 6 - 10/17, each repeat 10 EUR."""
    out = run(engine, _repeat_log(6), RepeatConcentration(dimensions=(S.TEAM,), thresholds=LOW))
    (f,) = out["all_findings"]
    assert f["code"] == "RP01" and f["where"] == {S.TEAM: "A", S.REASON: "r"}
    assert f["contacts_affected"] == 6
    assert f["evidence"]["baseline_rate"] == pytest.approx(1 / 17, abs=1e-4)
    assert f["avoidable_contacts"] == pytest.approx(6 - 10 / 17, abs=0.01)
    assert f["avoidable_cost"] == pytest.approx((6 - 10 / 17) * 10.0, abs=0.01)
    assert f["avoidable_minutes"] == pytest.approx((6 - 10 / 17) * 10.0, abs=0.1)
    assert f["customers_affected"] == 6
    assert f["evidence"]["examples"] == ["a0", "a1", "a2"]
    assert "resolved" in f["hidden_by_kpi"]
    assert f["share_of_avoidable_cost"] == 1.0 and f["rank"] == 1


def test_rp01_silent_when_the_team_repeats_like_everyone_else(engine):
    assert run(engine, _repeat_log(1), RepeatConcentration(thresholds=LOW))["all_findings"] == []


# --- TR01 ------------------------------------------------------------------------------------------------
def _transfer_log(transferred: int) -> list[dict]:
    rows = []
    for i in range(20):
        legs = (
            [("Q1", ["Handle", "Transfer"]), ("Q2", ["Handle"])] if i < transferred else [("Q1", ["Handle"])]
        )
        rows += steps(f"x{i}", T0 + i * H, legs, reason="x")
        rows += steps(f"y{i}", T0 + i * H, [("Q3", ["Handle"])], reason="y")
        rows += steps(f"z{i}", T0 + i * H, [("Q2", ["Handle"])], reason="x")
    return rows


def test_tr01_names_the_queue_the_reason_and_where_it_goes(engine):
    out = run(engine, _transfer_log(18), TransferHotSpot(thresholds=LOW))
    (f,) = out["all_findings"]
    assert f["where"] == {S.QUEUE: "Q1", "from": "Q1", S.REASON: "x", "to": "Q2", S.CHANNEL: "phone"}
    assert f["contacts_affected"] == 18
    assert f["evidence"]["baseline_rate"] == 0.0
    # The whole Q1 leg (2 events x 5 minutes) of each transferred contact is avoidable against a 0 baseline.
    assert f["avoidable_minutes"] == pytest.approx(18 * 10.0)
    assert f["avoidable_contacts"] == 0


def test_tr01_silent_on_occasional_transfers(engine):
    assert run(engine, _transfer_log(2), TransferHotSpot(thresholds=LOW))["all_findings"] == []


# --- PP01 / MH01 -----------------------------------------------------------------------------------------
def test_pp01_bounce_between_two_queues(engine):
    rows = []
    for i in range(12):
        rows += steps(f"p{i}", T0 + i * H, [("A", ["Handle"]), ("B", ["Handle"]), ("A", ["Handle"])])
    rows += steps("ok", T0, [("A", ["Handle"]), ("B", ["Handle"])])
    out = run(engine, rows, PingPong(thresholds=LOW))
    (f,) = out["all_findings"]
    assert f["where"] == {"from": "A", "to": "B", S.REASON: "r"}
    assert f["contacts_affected"] == 12
    assert f["avoidable_minutes"] == pytest.approx(12 * 5.0)  # the revisited A leg
    assert f["evidence"]["flow"] == ["A -> B -> A"]


def test_pp01_and_mh01_silent_on_single_transfers(engine):
    rows = []
    for i in range(12):
        rows += steps(f"p{i}", T0 + i * H, [("A", ["Handle"]), ("B", ["Handle"])])
    load = run(engine, rows, PingPong(thresholds=LOW))
    assert load["all_findings"] == []
    assert run(engine, rows, MultiHop(thresholds=LOW))["all_findings"] == []


def test_mh01_long_chains_without_return(engine):
    rows = []
    for i in range(12):
        rows += steps(f"m{i}", T0 + i * H, [(q, ["Handle"]) for q in ("A", "B", "C", "D")], reason="hard")
    (f,) = run(engine, rows, MultiHop(thresholds=LOW))["all_findings"]
    assert f["where"] == {S.REASON: "hard"}
    assert f["avoidable_minutes"] == pytest.approx(12 * 2 * 5.0)  # legs C and D
    assert f["evidence"]["flow"] == ["A -> B -> C -> D"]


# --- FC01 ------------------------------------------------------------------------------------------------
def _containment_log(came_back: int) -> list[dict]:
    rows = []
    for i in range(20):
        rows += steps(
            f"bot{i}", T0 + i * H, [("bot", ["Intent", "Answer"])], customer=f"u{i}", outcome=S.CONTAINED
        )
        if i < came_back:
            rows += steps(f"call{i}", T0 + D + i * H, [("Q", ["Handle"])], customer=f"u{i}", minutes=8)
        rows += steps(f"agent{i}", T0 + i * H, [("Q", ["Handle"])], customer=f"v{i}")
    rows += steps("agent-back", T0 + 2 * D, [("Q", ["Handle"])], customer="v0")
    return rows + filler()


def test_fc01_false_containment_against_agent_resolution(engine):
    out = run(engine, _containment_log(12), FalseContainment(thresholds=LOW))
    (f,) = out["all_findings"]
    assert f["where"] == {S.CHANNEL: "chat", S.REASON: "r"}
    assert f["contacts_affected"] == 12
    # Agent-resolved contacts of the reason: 20 first contacts, the 12 comeback calls and 1 more; 1 came back.
    assert f["evidence"]["baseline_rate"] == pytest.approx(1 / 33, abs=1e-4)
    assert f["avoidable_contacts"] == pytest.approx(12 - 20 / 33, abs=0.01)
    assert f["avoidable_cost"] == pytest.approx((12 - 20 / 33) * 8.0, abs=0.01)
    assert "containment" in f["hidden_by_kpi"]
    assert f["evidence"]["came_back_on"] == [{"channel": "phone", "contacts": 12}]


def test_fc01_silent_when_contained_customers_stay_away(engine):
    assert run(engine, _containment_log(1), FalseContainment(thresholds=LOW))["all_findings"] == []


def test_fc01_window_decides_what_counts_as_coming_back(engine):
    """A comeback 1 day later is outside a 0.5-day window."""
    assert (
        run(engine, _containment_log(12), FalseContainment(thresholds=LOW), window_days=0.5)["all_findings"]
        == []
    )


# --- CL01 ------------------------------------------------------------------------------------------------
def _context_log(repeated: int) -> list[dict]:
    rows = []
    for i in range(20):
        again = ["Authenticate", "Handle"] if i < repeated else ["Handle"]
        rows += steps(f"c{i}", T0 + i * H, [("bot", ["Authenticate", "Intent"]), ("Q1", again)])
        again2 = ["Authenticate", "Handle"] if i < 1 else ["Handle"]
        rows += steps(f"d{i}", T0 + i * H, [("bot", ["Authenticate", "Intent"]), ("Q2", again2)])
    return rows


def test_cl01_step_repeated_after_handoff_into_one_queue(engine):
    (f,) = run(engine, _context_log(15), ContextLoss(thresholds=LOW))["all_findings"]
    assert f["where"] == {S.ACTIVITY: "Authenticate", S.QUEUE: "Q1", "to": "Q1", "from": "bot"}
    assert f["contacts_affected"] == 15
    assert f["evidence"]["baseline_rate"] == pytest.approx(1 / 20)
    assert f["avoidable_minutes"] == pytest.approx((15 - 20 / 20) * 5.0, abs=0.01)


def test_cl01_silent_without_excess_and_on_per_leg_steps(engine):
    """'Handle' happens in every leg: it is the leg's work, never lost context."""
    assert run(engine, _context_log(1), ContextLoss(thresholds=LOW))["all_findings"] == []


# --- BO01 ------------------------------------------------------------------------------------------------
def _back_office_log(slow_days: float, chase: str = "Handle") -> list[dict]:
    rows = []
    for i in range(10):
        start = T0 + i * H
        for q, days in (("BO slow", slow_days), ("BO fast", 1.0)):
            rows += steps(
                f"{q}-{i}",
                start,
                [(q, ["Case queued", "Case closed"])],
                customer=f"{q}-u{i}",
                channel=S.BACK_OFFICE,
                actor_type=S.BACK_OFFICE,
                gap=timedelta(days=days),
            )
        for k in (2, 4):  # the slow queue's customers chase at day 2 and day 4 (if still open)
            if k < slow_days:
                rows += steps(f"chase{i}-{k}", start + k * D, [("Front", [chase])], customer=f"BO slow-u{i}")
    return rows + filler()


def test_bo01_slow_back_office_with_status_chasing(engine):
    (f,) = run(engine, _back_office_log(10.0), BackOfficeAging(thresholds=LOW))["all_findings"]
    assert f["where"] == {S.QUEUE: "BO slow", S.ACTIVITY: "Case queued"}
    assert f["evidence"]["baseline_days"] == pytest.approx(1.0)
    assert f["evidence"]["median_days"] == pytest.approx(10.0)
    assert f["contacts_affected"] == 20
    assert f["avoidable_contacts"] == 20  # both chases come after the 1-day baseline
    assert f["avoidable_cost"] == pytest.approx(20 * 5.0)


@pytest.mark.parametrize(
    ("chase", "asked"), [("Handle", 0), ("Order status enquiry", 20), ("Where is my refund", 20)]
)
def test_bo01_counts_the_chases_that_ask_for_the_status_by_step_kind(engine, chase, asked):
    """A chase whose step is a status check (by kind, whatever its name) is counted as asking for it."""
    (f,) = run(engine, _back_office_log(10.0, chase), BackOfficeAging(thresholds=LOW))["all_findings"]
    assert f["evidence"]["chasing_contacts"] == 20 and f["evidence"]["status_checks"] == asked


def test_bo01_silent_when_cases_close_fast(engine):
    assert run(engine, _back_office_log(1.5), BackOfficeAging(thresholds=LOW))["all_findings"] == []


def test_bo01_counts_open_cases_until_the_data_ends(engine):
    """A case queued and never closed is still ageing: its chasers count."""
    rows = []
    for i in range(10):
        rows += steps(
            f"open{i}",
            T0 + i * H,
            [("BO", ["Case queued"])],
            customer=f"u{i}",
            channel=S.BACK_OFFICE,
            actor_type=S.SYSTEM,
            outcome=None,
        )
        rows += steps(f"chase{i}", T0 + 5 * D + i * H, [("Front", ["Handle"])], customer=f"u{i}")
    (f,) = run(engine, rows + filler(), BackOfficeAging(thresholds=LOW))["all_findings"]
    assert f["evidence"]["still_open"] == 10 and f["avoidable_contacts"] == 10


# --- AB01 ------------------------------------------------------------------------------------------------
def _abandon_log(peak_abandoned: int) -> list[dict]:
    rows = []
    for i in range(20):
        day = T0.replace(hour=0) + i * D
        out = S.ABANDONED if i < peak_abandoned else S.RESOLVED
        rows += steps(f"peak{i}", day + 10 * H, [("Q", ["Queue wait"])], customer=f"p{i}", outcome=out)
        if i < peak_abandoned:
            rows += steps(f"retry{i}", day + 15 * H, [("Q", ["Handle"])], customer=f"p{i}")
        for h in (9, 11, 14):
            out = S.ABANDONED if (i == 0 and h == 9) else S.RESOLVED
            rows += steps(f"off{i}-{h}", day + h * H, [("Q", ["Handle"])], customer=f"o{i}-{h}", outcome=out)
    return rows


def test_ab01_peak_hour_against_the_same_queue_other_hours(engine):
    (f,) = run(engine, _abandon_log(10), AbandonmentHotSpot(thresholds=LOW))["all_findings"]
    assert f["where"] == {S.QUEUE: "Q"}
    assert f["evidence"]["hours"] == [10]
    assert f["contacts_affected"] == 10
    # Retries at 15:00 sit in a clean hour; baseline = 1 abandon / (60 + 10 retries) contacts at other hours.
    assert f["evidence"]["baseline_rate"] == pytest.approx(1 / 70, abs=1e-4)
    assert f["avoidable_contacts"] == pytest.approx(10 - 20 / 70, abs=0.01)


def test_ab01_silent_without_a_peak(engine):
    assert run(engine, _abandon_log(1), AbandonmentHotSpot(thresholds=LOW))["all_findings"] == []


# --- LP01 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("step", "title", "kind"),
    [
        ("Verify", "Rework: 'Verify' repeated within Q1 (75% of legs)", None),
        # a handover step twice in one team's leg: the same counts, titled as the case going from person
        # to person there (its step kind is a transfer)
        ("Reassignment", "Passed around within Q1: 'Reassignment' again in 75% of legs", "transfer"),
    ],
)
def test_lp01_rework_within_one_queue_and_not_elsewhere(engine, step, title, kind):
    rows = []
    for i in range(20):
        twice = [step, "Handle", step] if i < 15 else [step, "Handle"]
        rows += steps(f"a{i}", T0 + i * H, [("Q1", twice)])
        rows += steps(f"b{i}", T0 + i * H, [("Q2", [step, "Handle"])])
    (f,) = run(engine, rows, Rework(thresholds=LOW))["all_findings"]
    assert f["where"] == {S.ACTIVITY: step, S.QUEUE: "Q1"}
    assert f["avoidable_minutes"] == pytest.approx(15 * 5.0)
    assert f["title"] == title
    assert f["evidence"]["step_kind"] == kind and f["evidence"]["with_repeat"] == 15
    rows = [r for r in rows if r[S.CONTACT_ID].startswith("b")]
    assert run(engine, rows, Rework(thresholds=LOW))["all_findings"] == []


@pytest.mark.parametrize(
    "status",
    ["Queued - Awaiting Assignment", "Accepted - Wait - User", "Accepted - In Progress", "Status Change"],
)
def test_lp01_a_wait_repeated_is_not_work_repeated(engine, status):
    """A case queued (or put on hold) again within a leg waits twice: not rework, whatever the rates;
    the work step repeated beside it in the same legs still is."""
    rows = []
    for i in range(20):
        again = [status, "Verify", status, "Verify"] if i < 15 else [status, "Verify"]
        rows += steps(f"a{i}", T0 + i * H, [("Q1", again)])
        rows += steps(f"b{i}", T0 + i * H, [("Q2", [status, "Verify"])])
    found = run(engine, rows, Rework(thresholds=LOW))["all_findings"]
    assert [f["where"] for f in found] == [{S.ACTIVITY: "Verify", S.QUEUE: "Q1"}]


# --- DE01 ------------------------------------------------------------------------------------------------
def test_de01_contacts_that_just_stop(engine):
    rows = []
    for i in range(20):
        dead = i < 15
        rows += steps(
            f"u{i}",
            T0 + i * H,
            [("Web", ["Open form", "Upload"])],
            customer=f"c{i}",
            outcome=None if dead else S.RESOLVED,
        )
        if dead:
            rows += steps(f"u{i}-call", T0 + D + i * H, [("Q", ["Handle"])], customer=f"c{i}")
        rows += steps(f"v{i}", T0 + i * H, [("Q", ["Handle"])], customer=f"d{i}")
    rows += filler()
    (f,) = run(engine, rows, DeadEnd(thresholds=LOW))["all_findings"]
    assert f["where"] == {S.ACTIVITY: "Upload"}
    assert f["contacts_affected"] == 15
    assert f["avoidable_contacts"] == pytest.approx(15, abs=0.01)  # nobody else ends without an outcome
    no_dead = [r | {S.OUTCOME: S.RESOLVED} if r[S.ACTIVITY] == "Upload" else r for r in rows]
    assert run(engine, no_dead, DeadEnd(thresholds=LOW))["all_findings"] == []


def _tickets(recent_start: timedelta) -> list[dict]:
    """Tickets whose next step comes 20 days later: 20 closed, 10 stopped at 'In Progress' 40 days before
    the data's end, 10 more stopped there ``recent_start`` + 20 days after T0 (the data ends at T0 + 60)."""
    gap, rows = 20 * D, []
    for i in range(20):
        rows += steps(f"ok{i}", T0 + i * H, [("Desk", ["Open", "In Progress", "Closed"])], gap=gap)
    for i in range(10):
        rows += steps(f"old{i}", T0 + i * H, [("Desk", ["Open", "In Progress"])], outcome=None, gap=gap)
        rows += steps(
            f"new{i}", T0 + recent_start + i * H, [("Desk", ["Open", "In Progress"])], outcome=None, gap=gap
        )
    return rows + filler()


def test_de01_a_ticket_silent_for_less_than_the_usual_wait_is_open_not_dead(engine):
    """Silent for 10 days where the next step takes 20: open work, counted apart; silent for 40: dead."""
    (f,) = run(engine, _tickets(30 * D), DeadEnd(thresholds=LOW))["all_findings"]
    assert f["where"] == {S.ACTIVITY: "In Progress"}
    assert f["contacts_affected"] == f["evidence"]["no_outcome"] == 10
    assert f["evidence"]["still_open"] == 10
    assert sorted(f["evidence"]["examples"]) == ["old0", "old1", "old2"]
    # The wait within which 95% went on: 20 days, read from buckets at most 19% wide.
    assert 20 <= f["evidence"]["open_within_days"] <= 20 * 2**0.25
    assert "silent for 20+ days" in f["title"]
    # Silent as long as the old ones (the data's end 40 days after their last step): dead as well.
    (f,) = run(engine, _tickets(0 * D + 12 * H), DeadEnd(thresholds=LOW))["all_findings"]
    assert f["contacts_affected"] == 20 and f["evidence"]["still_open"] == 0


def test_de01_open_quantile_is_checked():
    with pytest.raises(ConfigError, match="open_quantile"):
        DeadEnd(open_quantile=0.0)


# --- WT01 ------------------------------------------------------------------------------------------------
def test_wt01_parking_status_names_the_team(engine):
    rows = []
    for i in range(20):
        start = T0 + i * H
        rows += steps(f"i{i}", start, [("G97", ["Accepted"])], outcome=None)
        rows += steps(f"i{i}", start + 10 * timedelta(minutes=1), [("G97", ["Wait - User"])], outcome=None)
        rows += steps(f"i{i}", start + 5 * D, [("G97", ["Completed"])])
    (f,) = run(engine, rows, ParkedWork(thresholds=LOW))["all_findings"]
    assert f["where"] == {S.ACTIVITY: "Wait - User", S.TEAM: "G97"}
    assert f["evidence"]["teams"][0]["team"] == "G97"
    assert f["avoidable_cost"] == 0  # elapsed time is not handled time
    soon = 5 * D - timedelta(minutes=20)  # completed 10 minutes after the wait: nobody parks
    flat = [r | {S.TIMESTAMP: r[S.TIMESTAMP] - soon} if r[S.ACTIVITY] == "Completed" else r for r in rows]
    assert run(engine, flat, ParkedWork(thresholds=LOW))["all_findings"] == []
    # a record that the status changed names no status to be parked in: its wait is no finding
    unnamed = [r | {S.ACTIVITY: "Status Change"} if r[S.ACTIVITY] == "Wait - User" else r for r in rows]
    assert run(engine, unnamed, ParkedWork(thresholds=LOW))["all_findings"] == []


def test_wt01_a_steps_own_work_is_no_wait(engine):
    """A step worked through until the next one (duration_s covers the gap: a call talked through, a case
    worked for three hours) is no wait: a simulated queue log ranked 'Answered' first, 95% of all
    waiting. And seconds between steps are no parked work (the 30 s after 'Started')."""
    rows = []
    for i in range(20):
        start = T0 + i * H
        rows += steps(f"c{i}", start, [("Q", ["Started"])], minutes=0, outcome=None)
        rows += steps(f"c{i}", start + timedelta(seconds=30), [("Q", ["Working"])], minutes=180, outcome=None)
        rows += steps(f"c{i}", start + timedelta(hours=3, seconds=30), [("Q", ["Ended"])], minutes=0)
    assert run(engine, rows, ParkedWork(thresholds=LOW))["all_findings"] == []
    # without the work recorded, the same three hours are a wait after 'Working'
    bare = [r | {S.DURATION_S: None} for r in rows]
    found = run(engine, bare, ParkedWork(thresholds=LOW))["all_findings"]
    assert [f["where"][S.ACTIVITY] for f in found] == ["Working"]
