"""The touchpoint map, on event tables built by hand (durations, triggers, lanes, SLA breaches, handoffs,
findings, voice) and on one simulated centre (the bot and the back office in their lanes; the swimlanes
render, escaped)."""

from __future__ import annotations

import statistics

import pytest

from cxray.engine import Engine
from cxray.incentives.parties import Party
from cxray.process.step_kinds import StepKinds
from cxray.report.blueprint_view import blueprint_view
from cxray.report.html import _env
from cxray.voc.responses import RESPONSES
from cxray.voc.touchpoints import touchpoint_map, touchpoints_table
from cxray.voc.verbatims import VERBATIM_STEPS

KINDS = StepKinds.builtin()
COLUMNS = "contact_id, ts, activity, channel, team, actor_type, duration_s"


def _events(engine: Engine, rows: list[tuple]) -> None:
    """``events`` from (contact, minute, activity, channel, team, actor_type, duration_s) rows."""
    values = ", ".join(
        f"('{c}', TIMESTAMP '2024-03-04 09:00' + INTERVAL ({m}) SECOND, '{a}', "
        + ", ".join("NULL" if v is None else f"'{v}'" for v in (ch, team, actor))
        + f", {'NULL' if d is None else d})"
        for c, m, a, ch, team, actor, d in rows
    )
    engine.execute(
        f"""CREATE OR REPLACE TABLE events AS
        SELECT contact_id, ts AS timestamp, activity, channel, team, actor_type, CAST(duration_s AS DOUBLE)
               AS duration_s, CAST(NULL AS VARCHAR) AS customer_id, CAST(NULL AS VARCHAR) AS queue,
               CAST(NULL AS VARCHAR) AS reason, CAST(NULL AS VARCHAR) AS outcome,
               row_number() OVER () AS source_row
        FROM (VALUES {values}) t({COLUMNS})"""
    )


def _by(tps, touchpoint, owner=None):
    return next(t for t in tps if t["touchpoint"] == touchpoint and (owner is None or t["owner"] == owner))


@pytest.fixture
def engine():
    e = Engine(threads=2)
    yield e
    e.close()


# Five phone contacts: IVR menu -> queue wait (system, no duration: the time to the next event) -> agent
# authenticates -> (c4, c5) transferred to the back office. Times are seconds after 09:00.
ROWS = [
    ("c1", 0, "IVR menu", "phone", None, "ivr", 30), ("c1", 30, "Queue wait", "phone", None, "system", None),
    ("c1", 90, "Security check", "phone", "Care", "agent", 40),
    ("c2", 0, "IVR menu", "phone", None, "ivr", 50), ("c2", 50, "Queue wait", "phone", None, "system", None),
    ("c2", 250, "Security check", "phone", "Care", "agent", 60),
    ("c3", 0, "IVR menu", "phone", None, "ivr", 70), ("c3", 70, "Queue wait", "phone", None, "system", None),
    ("c3", 100, "Security check", "phone", "Care", "agent", 80),
    ("c4", 0, "IVR menu", "phone", None, "ivr", 90), ("c4", 90, "Queue wait", "phone", None, "system", None),
    ("c4", 190, "Security check", "phone", "Care", "agent", 100),
    ("c4", 400, "Refund review", "back_office", "Refunds", "back_office", 600),
    ("c5", 0, "Security check", "phone", "Care", "agent", 20),
    ("c5", 1000, "Refund review", "back_office", "Refunds", "back_office", 300),
    ("c5", 1500, "Email sent", "email", None, "customer", 5),
]  # fmt: skip


def test_durations_are_logged_or_the_time_to_the_next_event_with_median_and_p90_by_hand(engine):
    _events(engine, ROWS)
    tps = touchpoint_map(engine, step_kinds=KINDS, findings=[], parties=None)
    auth = _by(tps, "authenticate")
    assert auth["activities"] == ["Security check"] and auth["contacts"] == 5 and auth["events"] == 5
    assert auth["duration_basis"] == "duration_s"
    assert auth["median_s"] == 60 and auth["p90_s"] == pytest.approx(20 + 0.9 * 4 * 20)  # 20,40,60,80,100
    wait = _by(tps, "queue_wait")
    waits = [60, 200, 30, 100]  # the next event's time minus the wait's
    assert wait["duration_basis"] == "time to next event"
    assert wait["median_s"] == statistics.median(waits)
    assert wait["p90_s"] == pytest.approx(statistics.quantiles(waits, n=10, method="inclusive")[8])


def test_a_touchpoint_visited_twice_in_a_contact_counts_the_contact_once(engine):
    """Contacts are distinct contacts, events every visit: c1 passes the queue twice (left and back),
    c2 twice in a row; a NULL channel is its own touchpoint's."""
    rows = [
        ("c1", 0, "Queue wait", "phone", None, "system", None), ("c1", 10, "Security check", "phone", "Care",
         "agent", 20), ("c1", 40, "Queue wait", "phone", None, "system", None),
        ("c2", 0, "Queue wait", "phone", None, "system", None), ("c2", 5, "Queue wait", "phone", None,
         "system", None),
        ("c3", 0, "Queue wait", "phone", None, "system", None), ("c3", 5, "Queue wait", None, None, "system",
         None),
    ]  # fmt: skip
    _events(engine, rows)
    tps = touchpoint_map(engine, step_kinds=KINDS, findings=[], parties=None)
    wait = next(t for t in tps if t["touchpoint"] == "queue_wait" and t["channel"] == "phone")
    assert (wait["contacts"], wait["events"]) == (3, 5)
    assert (_by(tps, "authenticate")["contacts"], _by(tps, "authenticate")["events"]) == (1, 1)
    no_channel = [t for t in tps if t["touchpoint"] == "queue_wait" and t["channel"] != "phone"]
    assert [(t["contacts"], t["events"]) for t in no_channel] == [(1, 1)]


def test_the_trigger_is_the_touchpoint_most_often_right_before_with_its_share(engine):
    _events(engine, ROWS)
    tps = touchpoint_map(engine, step_kinds=KINDS, findings=[], parties=None)
    assert _by(tps, "authenticate")["trigger"] == {
        "touchpoint": "queue_wait", "channel": "phone", "owner": "system", "share": 0.8,
    }  # fmt: skip
    assert _by(tps, "IVR menu")["trigger"]["touchpoint"] == "contact start"
    assert _by(tps, "IVR menu")["trigger"]["share"] == 1.0


def test_lanes_follow_the_actor_type(engine):
    _events(engine, ROWS)
    tps = touchpoint_map(engine, step_kinds=KINDS, findings=[], parties=None)
    lanes = {(t["touchpoint"], t["owner"]): t["lane"] for t in tps}
    assert lanes == {
        ("IVR menu", "ivr"): "front stage",
        ("queue_wait", "system"): "support systems",
        ("authenticate", "Care"): "front stage",
        ("Refund review", "Refunds"): "back stage",
        ("Email sent", "customer"): "customer",
    }
    assert [t["touchpoint"] for t in tps[:2]] == ["authenticate", "IVR menu"]  # most contacts first
    assert len(touchpoint_map(engine, step_kinds=KINDS, findings=[], parties=None, limit=2)) == 2


def test_the_sla_breach_share_by_hand(engine):
    _events(engine, ROWS)
    tps = touchpoint_map(engine, step_kinds=KINDS, findings=[], parties=None, slas={"queue_wait": 90})
    wait = _by(tps, "queue_wait")
    assert wait["expected_s"] == 90 and wait["breaches_sla"] == 0.5  # 200 and 100 of 60, 200, 30, 100
    assert _by(tps, "authenticate")["expected_s"] is None and _by(tps, "authenticate")["breaches_sla"] is None


def test_handoffs_between_teams_with_their_delay(engine):
    _events(engine, ROWS)
    tps = touchpoint_map(engine, step_kinds=KINDS, findings=[], parties=None)
    # c4: Care at 190 -> Refunds at 400 (210 s); c5: Care at 0 -> Refunds at 1000 (1000 s).
    assert _by(tps, "Refund review")["handoffs_in"] == [
        {"owner": "Care", "handoffs": 2, "median_delay_s": 605.0}
    ]
    assert _by(tps, "authenticate")["handoffs_out"] == [
        {"owner": "Refunds", "handoffs": 2, "median_delay_s": 605.0}
    ]
    assert _by(tps, "authenticate")["handoffs_in"] == []  # the IVR and the queue are no team
    assert _by(tps, "Email sent")["handoffs_in"] == []


def test_ideal_outcome_from_the_owner_party_else_the_default(engine):
    _events(engine, ROWS)
    parties = [
        Party(name="Care", kpi="handle_time", target=300),
        Party(name="ivr", kpi="containment", target=0.4),
    ]
    tps = touchpoint_map(engine, step_kinds=KINDS, findings=[], parties=parties)
    assert _by(tps, "authenticate")["measured_by"] == "handle time (target 300 s)"
    assert _by(tps, "IVR menu")["ideal_outcome"] == "contained without a contact back"
    assert _by(tps, "IVR menu")["measured_by"] == "containment (target 40%)"
    assert _by(tps, "Refund review")["measured_by"] == "handle time"
    assert _by(tps, "queue_wait")["measured_by"] is None


def _finding(code: str, where: dict, rank: int | None = 1) -> dict:
    return {"code": code, "title": f"{code} title", "rank": rank, "where": where}


def test_findings_attach_by_activity_owner_and_from_to(engine):
    _events(engine, ROWS)
    findings = [
        _finding("RP01", {"activity": "Security check"}, rank=3),
        _finding("TR01", {"team": "Care"}, rank=1),
        _finding("PP01", {"from": "Care", "to": "Refunds"}, rank=None),
        _finding("XX01", {"queue": "Elsewhere", "activity": "Nope"}),
    ]
    tps = touchpoint_map(engine, step_kinds=KINDS, findings=findings, parties=None)
    auth = _by(tps, "authenticate")
    assert [f["code"] for f in auth["findings"]] == ["TR01", "RP01", "PP01"] and auth["findings_total"] == 3
    assert [f["code"] for f in _by(tps, "Refund review")["findings"]] == ["PP01"]
    assert _by(tps, "queue_wait")["findings"] == []


def test_voice_counts_negative_share_csat_and_themes_from_placed_verbatims(engine):
    _events(engine, ROWS)
    engine.execute(
        f"""CREATE TABLE {RESPONSES} AS SELECT * FROM (VALUES
            (1, 'c1', 'csat', 2.0, -0.6), (2, 'c2', 'csat', 5.0, 0.5), (3, 'c3', 'nps', 3.0, -0.04),
            (4, 'c4', 'csat', 4.0, -0.05)) t(response_id, contact_id, survey_type, score, sentiment)"""
    )
    # Placed on the authentication (seq 3) of c1-c4; r4 also on its back-office step (seq 4).
    engine.execute(
        f"""CREATE TABLE {VERBATIM_STEPS} AS SELECT * FROM (VALUES
            (1, 'c1', 'verification', 'authenticate', 'Security check', 3),
            (1, 'c1', 'wait', 'authenticate', 'Security check', 3),
            (2, 'c2', 'praise', 'authenticate', 'Security check', 3),
            (3, 'c3', 'verification', 'authenticate', 'Security check', 3),
            (4, 'c4', 'verification', 'authenticate', 'Security check', 3),
            (4, 'c4', 'status', NULL, 'Refund review', 4),
            (4, 'c4', 'unplaced', NULL, NULL, NULL))
            t(response_id, contact_id, theme, kind, activity, step_seq)"""
    )
    tps = touchpoint_map(engine, step_kinds=KINDS, findings=[], parties=None)
    voice = _by(tps, "authenticate")["voice"]
    assert voice == {
        "verbatims": 4,
        "negative_share": 0.5,  # r1 (-0.6) and r4 (-0.05, at the threshold) of 4
        "csat_responses": 3,
        "csat_top2": 0.6667,  # r2 (5) and r4 (4) of r1, r2, r4; shares to 4 places
        "themes": [{"theme": "verification", "verbatims": 3}, {"theme": "praise", "verbatims": 1}],
    }
    assert _by(tps, "Refund review")["voice"]["verbatims"] == 1
    assert _by(tps, "IVR menu")["voice"] == {
        "verbatims": 0, "negative_share": None, "csat_responses": 0, "csat_top2": None, "themes": [],
    }  # fmt: skip
    engine.execute(f"DROP TABLE {VERBATIM_STEPS}")
    assert (
        _by(touchpoint_map(engine, step_kinds=KINDS, findings=[], parties=None), "authenticate")["voice"]
        is None
    )


def test_the_csv_table_flattens_lists(engine):
    _events(engine, ROWS)
    table = touchpoints_table(touchpoint_map(engine, step_kinds=KINDS, findings=[], parties=None))
    rows = {r["touchpoint"]: r for r in table.to_pylist()}
    assert rows["authenticate"]["handoffs_out"] == "Refunds: 2 (median 605 s)"
    assert rows["authenticate"]["trigger"] == "queue_wait (phone, system)"
    assert rows["authenticate"]["trigger_share"] == 0.8 and table.num_rows == 5


# --- one simulated centre ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def simulated():
    from cxray import diagnose
    from cxray.simulate import load_scenario, simulate

    sim = simulate(load_scenario("default"), seed=7, days=14, customers=3000)
    with Engine(threads=2) as e:
        found = diagnose(sim.events, engine=e).to_dict()["all_findings"]
        yield touchpoint_map(e, step_kinds=KINDS, findings=found, parties=None, slas={"queue_wait": 60})


def test_on_the_simulated_centre_the_bot_is_front_stage_on_containment_and_the_back_office_back_stage(
    simulated,
):
    bot = [t for t in simulated if t["actor_type"] == "bot"]
    assert bot and all(t["lane"] == "front stage" and t["measured_by"] == "containment" for t in bot)
    office = [t for t in simulated if t["actor_type"] == "back_office"]
    assert office and all(t["lane"] == "back stage" for t in office)
    assert {t["owner"] for t in office} <= {"Refunds Back Office", "Accounts Back Office"}
    wait = [t for t in simulated if t["touchpoint"] == "queue_wait"]
    assert wait and all(t["lane"] == "support systems" and t["breaches_sla"] is not None for t in wait)
    assert len(simulated) <= 40 and any(t["handoffs_in"] for t in simulated)


def _render(blueprint) -> str:
    return _env.get_template("voc-blueprint.html.j2").render(blueprint=blueprint)


def test_the_blueprint_renders_in_four_lanes_with_a_hostile_owner_escaped(simulated):
    hostile = [{**simulated[0], "owner": "<script>alert(1)</script>"}, *simulated[1:]]
    html = _render(blueprint_view(hostile))
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for lane in ("Customer actions", "Front stage", "Back stage", "Support systems"):
        assert lane in html
    assert html.count('class="tp-box') == len(simulated)


def test_the_blueprint_without_touchpoints_says_so():
    assert "No touchpoints" in _render(None) and "No touchpoints" in _render(blueprint_view([]))
