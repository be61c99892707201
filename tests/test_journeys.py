"""Contacts and journeys: every definition in journeys.py on hand-computed logs, plus properties."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

import pytest

from cxray import schema as S
from cxray.costs import CostModel
from cxray.journeys import build_journeys, log_facts
from cxray.options import AnalysisOptions
from cxray.testing import load_rows

T0 = datetime(2024, 1, 1, 9, 0, 0)
FAR = "2030-01-01T00:00:00"  # an anchor event far in the future: nothing before it is censored


def ev(contact: str, ts: datetime | str, activity: str = "step", **columns):
    return {S.CONTACT_ID: contact, S.TIMESTAMP: ts, S.ACTIVITY: activity, **columns}


def anchor():
    return ev("zz-anchor", FAR)


def at(days: float = 0, **delta) -> datetime:
    return T0 + timedelta(days=days, **delta)


def contacts(engine) -> dict[str, dict]:
    return {r[S.CONTACT_ID]: r for r in engine.rows(f"SELECT * FROM {S.CONTACTS_TABLE}")}


def journeys(engine) -> dict[str, dict]:
    return {r[S.JOURNEY_ID]: r for r in engine.rows(f"SELECT * FROM {S.JOURNEYS_TABLE}")}


def build(engine, rows, **options):
    load_rows(engine, rows)
    build_journeys(engine, options=AnalysisOptions(**options))
    return contacts(engine)


# --- contact level --------------------------------------------------------------------------------------


def test_contact_first_and_last_values_follow_event_order_with_ties(engine):
    """First/last non-NULL values use (timestamp, source_row): equal timestamps keep file order."""
    c = build(
        engine,
        [
            ev("c", at(0, minutes=5), queue="Q2", team="T2", outcome="resolved", duration_s=30),
            ev("c", at(0), channel="chat", customer_id="u1", reason="billing", queue="Q1"),
            ev("c", at(0), channel="phone", customer_id="u2", reason="move", team="T1"),
            ev("c", at(0, minutes=5), queue="Q3", outcome="transferred", duration_s=60),
            ev("c", at(0, minutes=5), team=None),
            anchor(),
        ],
    )["c"]
    assert c[S.START_TS] == at(0) and c[S.END_TS] == at(0, minutes=5)
    assert c[S.N_EVENTS] == 5
    assert c[S.ENTRY_CHANNEL] == "chat"
    assert c[S.CUSTOMER_ID] == "u1" and c[S.REASON] == "billing"
    assert c[S.FINAL_QUEUE] == "Q3" and c[S.FINAL_TEAM] == "T2" and c[S.FINAL_OUTCOME] == "transferred"
    assert c[S.FIRST_QUEUE] == "Q1" and c[S.FIRST_TEAM] == "T1"  # the first event has no team: skipped
    assert c[S.HANDLE_S] == 90.0


def test_handle_time_is_null_without_durations(engine):
    """In a log with handle times, a contact without any has none (NULL), one of zero seconds has 0; a
    log whose only durations are zeros has none at all: its costs are estimated from touches."""
    rows = [ev("a", at(0)), ev("a", at(0, minutes=1)), ev("b", at(0), duration_s=0), anchor()]
    c = build(engine, [*rows, ev("c", at(0), duration_s=60)])
    assert c["a"][S.HANDLE_S] is None and c["a"][S.COST] is None
    assert c["b"][S.HANDLE_S] == 0.0 and c["b"][S.COST] == 0.0
    zeros = build(engine, rows)
    assert zeros["b"][S.COST] == zeros["a"][S.COST] / 2 > 0  # one touch against two


def test_cost_uses_team_override_actor_rate_default_and_bot_fee(engine):
    """Cost = Σ duration/60 × (team override, else actor type, else default) + bot fee once."""
    load_rows(
        engine,
        [
            ev("c", at(0), actor_type="bot", duration_s=600),  # 10 min × 0.0, + 0.30 fee
            ev("c", at(0, minutes=10), actor_type="agent", team="Vendor A", duration_s=120),  # 2 × 0.50
            ev("c", at(0, minutes=12), actor_type="agent", team="In-house", duration_s=180),  # 3 × 1.20
            ev(
                "c", at(0, minutes=15), actor_type="back_office", duration_s=60
            ),  # 1 × 0.80 (built-in rate kept)
            ev("c", at(0, minutes=16), duration_s=30),  # 0.5 × 2.00 default
            ev("c", at(0, minutes=17), channel="bot", duration_s=60),  # bot via channel: 0, fee not twice
            anchor(),
        ],
    )
    model = CostModel(
        per_minute_by_actor_type={"agent": 1.2},
        per_minute_by_team={"Vendor A": 0.5},
        per_bot_session=0.3,
        default_per_minute=2.0,
    )
    build_journeys(engine, costs=model)
    c = contacts(engine)["c"]
    assert c[S.COST] == pytest.approx(0.3 + 1.0 + 3.6 + 0.8 + 1.0)
    assert c[S.HANDLE_S] == 1050.0


def test_seconds_and_costs_are_dyadic_so_later_sums_are_exact(engine):
    """A contact's handle time, work and cost, and a journey's, are multiples of 2**-20 (sql.dyadic):
    the sums over them do not move with the order a parallel aggregation adds them in."""
    rng = random.Random(7)
    rows = [
        ev(f"c{i % 40}", at(i % 40, seconds=i), customer_id=f"u{i % 9}", actor_type="agent",
           duration_s=rng.random() * 100)
        for i in range(400)
    ] + [anchor()]  # fmt: skip
    load_rows(engine, rows)
    build_journeys(engine, costs=CostModel(per_bot_session=0.35, default_per_minute=1.0 / 3))
    for table, columns in (
        (S.CONTACTS_TABLE, (S.HANDLE_S, S.WORK_S, S.COST)),
        (S.JOURNEYS_TABLE, (S.HANDLE_S, S.COST)),
    ):
        for column in columns:
            off = engine.scalar(
                f"SELECT count(*) FROM {table} WHERE {column} * 1048576 <> round({column} * 1048576)"
            )
            assert off == 0, (table, column)
    exact = math.fsum(r["duration_s"] for r in rows if r.get("duration_s") is not None)
    assert engine.scalar(f"SELECT sum({S.HANDLE_S}) FROM {S.CONTACTS_TABLE}") == pytest.approx(
        exact, abs=1e-3
    )


def test_transfers_count_queue_changes_skipping_nulls(engine):
    c = build(
        engine,
        [
            ev("a", at(0), queue="Q1"),
            ev("a", at(0, minutes=1)),
            ev("a", at(0, minutes=2), queue="Q1", team="T9"),
            ev("a", at(0, minutes=3), queue="Q2", team="T9"),
            ev("a", at(0, minutes=4), queue="Q3"),
            ev("b", at(0), team="T1"),  # queue is known in the log, so b's team changes do not count
            ev("b", at(0, minutes=1), team="T2"),
            ev("c", at(0), queue="Q1", outcome="transferred"),
            anchor(),
        ],
    )
    assert c["a"][S.N_TRANSFERS] == 2 and c["a"][S.IS_TRANSFERRED] is True
    assert c["b"][S.N_TRANSFERS] == 0 and c["b"][S.IS_TRANSFERRED] is False
    assert c["c"][S.N_TRANSFERS] == 0 and c["c"][S.IS_TRANSFERRED] is True  # by outcome


def test_transfers_fall_back_to_team_when_log_has_no_queue(engine):
    c = build(engine, [ev("a", at(0), team="T1"), ev("a", at(0, minutes=1), team="T2"), anchor()])
    assert c["a"][S.N_TRANSFERS] == 1 and c["a"][S.IS_TRANSFERRED] is True


@pytest.mark.parametrize(
    ("queues", "ping_pong", "transfers"),
    [
        (["A", "B", "A"], True, 2),
        (["A", "A", "B", "B", "B", "A"], True, 2),  # repeats collapse first
        (["A", "B", "C"], False, 2),
        (["A", "B", "C", "B"], True, 3),  # C→B→... no; B→C→B yes
        (["A", "B", "C", "A"], False, 3),  # a return, but not an immediate one
        (["A"], False, 0),
        (["A", "A"], False, 0),
    ],
)
def test_ping_pong_is_an_immediate_return_in_the_collapsed_sequence(engine, queues, ping_pong, transfers):
    rows = [ev("c", at(0, minutes=i), queue=q) for i, q in enumerate(queues)]
    c = build(engine, [*rows, anchor()])["c"]
    assert c[S.IS_PING_PONG] is ping_pong
    assert c[S.N_TRANSFERS] == transfers


def test_escalated_any_event_abandoned_final_outcome(engine):
    c = build(
        engine,
        [
            ev("a", at(0), outcome="escalated"),
            ev("a", at(0, minutes=1), outcome="resolved"),
            ev("b", at(0), outcome="abandoned"),
            ev("b", at(0, minutes=1), outcome="resolved"),  # came back: not abandoned
            ev("c", at(0), outcome="resolved"),
            ev("c", at(0, minutes=1), outcome="abandoned"),
            ev("c", at(0, minutes=2)),  # NULL outcome does not hide the last known one
            anchor(),
        ],
    )
    assert (c["a"][S.IS_ESCALATED], c["a"][S.IS_ABANDONED]) == (True, False)
    assert (c["b"][S.IS_ESCALATED], c["b"][S.IS_ABANDONED]) == (False, False)
    assert (c["c"][S.IS_ESCALATED], c["c"][S.IS_ABANDONED]) == (False, True)


def test_self_service_and_reported_containment(engine):
    c = build(
        engine,
        [
            ev("bot_ok", at(0), actor_type="bot", outcome="contained"),
            ev("ivr_chan", at(0), channel="ivr", outcome="contained"),  # actor type from channel
            ev("agent_on_bot_channel", at(0), channel="bot", actor_type="agent", outcome="contained"),
            ev("bot_then_agent", at(0), actor_type="bot"),
            ev("bot_then_agent", at(0, minutes=1), actor_type="agent", outcome="contained"),
            ev("bot_gave_up", at(0), actor_type="bot", outcome="contained"),
            ev("bot_gave_up", at(0, minutes=1), actor_type="bot", outcome="transferred"),
            ev("phone", at(0), channel="phone", outcome="resolved"),
            anchor(),
        ],
    )
    assert c["bot_ok"][S.IS_SELF_SERVICE] and c["bot_ok"][S.IS_CONTAINED]
    assert c["ivr_chan"][S.IS_SELF_SERVICE] and c["ivr_chan"][S.IS_CONTAINED]
    assert not c["agent_on_bot_channel"][S.IS_SELF_SERVICE] and not c["agent_on_bot_channel"][S.IS_CONTAINED]
    assert c["bot_then_agent"][S.IS_SELF_SERVICE] and c["bot_then_agent"][S.IS_CONTAINED] is False
    assert c["bot_gave_up"][S.IS_SELF_SERVICE] and c["bot_gave_up"][S.IS_CONTAINED] is False
    assert c["phone"][S.IS_SELF_SERVICE] is False and c["phone"][S.IS_TRUE_CONTAINED] is False


def test_true_containment_looks_at_any_channel_and_reason_within_the_window(engine):
    bot = {"actor_type": "bot", "outcome": "contained", "reason": "billing"}
    c = build(
        engine,
        [
            ev("u1_bot", at(0), customer_id="u1", **bot),
            ev("u1_call", at(3), customer_id="u1", channel="phone", reason="other"),  # 3 days later
            ev("u2_bot", at(0), customer_id="u2", **bot),
            ev("u2_call", at(7, seconds=1), customer_id="u2", channel="phone"),  # just outside 7 days
            ev("u3_bot", at(0), customer_id="u3", **bot),
            ev("u3_bot", at(0, minutes=10), customer_id="u3", **bot),
            ev("u3_call", at(0, minutes=5), customer_id="u3", channel="phone"),  # during the bot session
            ev("u4_call", at(0), customer_id="u4", channel="phone"),  # before the bot: does not count
            ev("u4_bot", at(1), customer_id="u4", **bot),
            ev("u5_bot", at(7), customer_id="u5", **bot),
            ev("u5_call", at(14), customer_id="u5"),  # exactly 7 days after: counts
            ev("anon_bot", at(0), **bot),
            ev("late_bot", at(60), customer_id="u6", **bot),
            ev("end", at(65)),
        ],
    )
    assert c["u1_bot"][S.IS_CONTAINED] and c["u1_bot"][S.IS_TRUE_CONTAINED] is False
    assert c["u2_bot"][S.IS_TRUE_CONTAINED] is True
    assert c["u3_bot"][S.IS_TRUE_CONTAINED] is False
    assert c["u4_bot"][S.IS_TRUE_CONTAINED] is True
    assert c["u5_bot"][S.IS_TRUE_CONTAINED] is False
    assert c["anon_bot"][S.IS_CONTAINED] and c["anon_bot"][S.IS_TRUE_CONTAINED] is None
    assert c["late_bot"][S.IS_CENSORED] and c["late_bot"][S.IS_TRUE_CONTAINED] is None


def test_flags_are_null_when_the_log_lacks_their_inputs(engine):
    c = build(engine, [ev("a", at(0)), ev("a", at(0, minutes=1)), anchor()])["a"]
    for flag in (S.N_TRANSFERS, S.IS_TRANSFERRED, S.IS_PING_PONG, S.IS_ESCALATED, S.IS_ABANDONED):
        assert c[flag] is None, flag
    for flag in (S.IS_SELF_SERVICE, S.IS_CONTAINED, S.IS_TRUE_CONTAINED):
        assert c[flag] is None, flag
    assert c[S.IS_CENSORED] is False and c[S.HAS_REPEAT] is False


# --- journeys -------------------------------------------------------------------------------------------


def test_window_boundary_exactly_n_days_joins(engine):
    c = build(
        engine,
        [
            ev("a1", at(0), customer_id="a"),
            ev("a2", at(7), customer_id="a"),  # exactly 7 days after a1's end: joins
            ev("b1", at(0), customer_id="b"),
            ev("b2", at(7, seconds=1), customer_id="b"),  # one second later: new journey
            anchor(),
        ],
    )
    assert c["a2"][S.JOURNEY_ID] == "a1" and c["a2"][S.CONTACT_SEQ] == 2 and c["a1"][S.HAS_REPEAT]
    assert c["b2"][S.JOURNEY_ID] == "b2" and c["b2"][S.CONTACT_SEQ] == 1 and not c["b1"][S.HAS_REPEAT]


def test_window_counts_from_the_end_of_the_previous_contact(engine):
    c = build(
        engine,
        [
            ev("a1", at(0), customer_id="a"),
            ev("a1", at(3), customer_id="a"),  # a long contact: ends day 3
            ev("a2", at(9), customer_id="a"),  # 6 days after its end, 9 after its start
            anchor(),
        ],
    )
    assert c["a2"][S.JOURNEY_ID] == "a1"


def test_repeats_chain(engine):
    """Each repeat extends the window: days 0, 6, 12, 18 are one journey; day 26 starts another."""
    days = {"c1": 0, "c2": 6, "c3": 12, "c4": 18, "c5": 26}
    c = build(engine, [*(ev(k, at(d), customer_id="u") for k, d in days.items()), anchor()])
    assert [c[k][S.JOURNEY_ID] for k in days] == ["c1"] * 4 + ["c5"]
    assert [c[k][S.CONTACT_SEQ] for k in days] == [1, 2, 3, 4, 1]
    assert [c[k][S.HAS_REPEAT] for k in days] == [True, True, True, False, False]
    j = journeys(engine)
    assert j["c1"][S.N_CONTACTS] == 4 and j["c1"][S.START_TS] == at(0) and j["c1"][S.END_TS] == at(18)


def test_overlapping_contacts_join_and_keep_the_later_end(engine):
    c = build(
        engine,
        [
            ev("long", at(0), customer_id="u"),
            ev("long", at(20), customer_id="u"),
            ev("short", at(1), customer_id="u"),  # inside the long one
            ev("later", at(25), customer_id="u"),  # 24 days after short ends, 5 after long ends
            anchor(),
        ],
    )
    assert {c[k][S.JOURNEY_ID] for k in ("long", "short", "later")} == {"long"}


def test_reason_separates_journeys_unless_any_reason(engine):
    rows = [
        ev("c1", at(0), customer_id="u", reason="billing"),
        ev("c2", at(1), customer_id="u", reason="move"),
        ev("c3", at(2), customer_id="u", reason="billing"),
        anchor(),
    ]
    c = build(engine, rows)
    assert [c[k][S.JOURNEY_ID] for k in ("c1", "c2", "c3")] == ["c1", "c2", "c1"]
    c = build(engine, rows, any_reason=True)
    assert [c[k][S.JOURNEY_ID] for k in ("c1", "c2", "c3")] == ["c1", "c1", "c1"]
    assert journeys(engine)["c1"][S.REASON] == "billing"


def test_reason_ignored_when_the_log_has_none(engine):
    c = build(engine, [ev("c1", at(0), customer_id="u"), ev("c2", at(1), customer_id="u"), anchor()])
    assert c["c2"][S.JOURNEY_ID] == "c1"


def test_contacts_without_customer_are_each_their_own_journey(engine):
    c = build(
        engine, [ev("x1", at(0)), ev("x2", at(0, minutes=1)), ev("x3", at(1), customer_id="u"), anchor()]
    )
    assert [c[k][S.JOURNEY_ID] for k in ("x1", "x2", "x3")] == ["x1", "x2", "x3"]
    assert all(c[k][S.CONTACT_SEQ] == 1 and not c[k][S.HAS_REPEAT] for k in ("x1", "x2"))


def test_same_start_is_ordered_by_contact_id(engine):
    c = build(engine, [ev("b", at(0), customer_id="u"), ev("a", at(0), customer_id="u"), anchor()])
    assert c["a"][S.CONTACT_SEQ] == 1 and c["b"][S.CONTACT_SEQ] == 2 and c["b"][S.JOURNEY_ID] == "a"


def test_censoring_at_the_boundary(engine):
    """data_end = last event; a contact is censored when it ends after data_end - window."""
    c = build(
        engine,
        [
            ev("open", at(0), customer_id="u1"),  # ends exactly data_end - 7 days: not censored
            ev("cens", at(0, seconds=1), customer_id="u2"),  # one second later: censored
            ev("last", at(7), customer_id="u3"),
        ],
    )
    assert c["open"][S.IS_CENSORED] is False
    assert c["cens"][S.IS_CENSORED] is True
    assert c["last"][S.IS_CENSORED] is True


def test_journey_resolution_fcr_and_censoring(engine):
    build(
        engine,
        [
            ev("fcr", at(0), customer_id="a", outcome="resolved"),
            ev("rep1", at(0), customer_id="b", outcome="resolved"),
            ev("rep2", at(2), customer_id="b", outcome="resolved"),
            ev("aband", at(0), customer_id="c", outcome="abandoned"),
            ev("unres1", at(0), customer_id="d", outcome="resolved"),
            ev("unres2", at(1), customer_id="d", outcome="unresolved"),
            ev("noout", at(0), customer_id="e", channel="chat"),
            ev("old", at(0), customer_id="f"),  # censored through its repeat near the end
            ev("new", at(20), customer_id="f", outcome="abandoned", channel="phone"),
            ev("end", at(22), outcome="resolved"),
        ],
    )
    j = journeys(engine)
    got = {k: (j[k][S.N_CONTACTS], j[k][S.IS_CENSORED], j[k][S.IS_RESOLVED], j[k][S.IS_FCR]) for k in j}
    assert got == {
        "fcr": (1, False, True, True),
        "rep1": (2, False, True, False),
        "aband": (1, False, False, False),
        "unres1": (2, False, False, False),
        "noout": (1, False, True, True),
        "old": (1, False, True, True),
        "new": (1, True, None, None),
        "end": (1, True, None, None),
    }
    assert j["noout"][S.ENTRY_CHANNEL] == "chat" and j["noout"][S.CUSTOMER_ID] == "e"


def test_journey_censored_by_its_last_contact_only(engine):
    build(engine, [ev("c1", at(0), customer_id="u"), ev("c2", at(5), customer_id="u"), ev("end", at(8))])
    c, j = contacts(engine), journeys(engine)
    assert c["c1"][S.IS_CENSORED] is False and c["c2"][S.IS_CENSORED] is True
    assert j["c1"][S.IS_CENSORED] is True and j["c1"][S.IS_FCR] is None
    build(engine, [ev("c1", at(0), customer_id="u"), ev("c2", at(5), customer_id="u"), ev("end", at(20))])
    j = journeys(engine)
    assert j["c1"][S.IS_CENSORED] is False and j["c1"][S.N_CONTACTS] == 2


def test_journey_sums_handle_time_and_cost(engine):
    build(
        engine,
        [
            ev("c1", at(0), customer_id="u", actor_type="agent", duration_s=60),
            ev("c2", at(1), customer_id="u", actor_type="agent", duration_s=120),
            ev("c2", at(1, minutes=2), customer_id="u", actor_type="agent"),
            anchor(),
        ],
    )
    j = journeys(engine)["c1"]
    assert j[S.HANDLE_S] == 180.0 and j[S.COST] == pytest.approx(3.0)


def test_rebuilding_replaces_the_tables(engine):
    build(engine, [ev("a", at(0)), anchor()])
    build(engine, [ev("b", at(0)), anchor()])
    assert set(contacts(engine)) == {"b", "zz-anchor"}
    assert not any(
        engine.has_table(t) for t in ("_cxray_jr_events", "_cxray_jr_contacts", "_cxray_jr_routes")
    )


# --- properties -----------------------------------------------------------------------------------------


def random_log(seed: int, n_contacts: int = 300) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n_contacts):
        start = at(rng.uniform(0, 120))
        customer = rng.choice([None, *(f"u{k}" for k in range(40))])
        reason = rng.choice(["billing", "move", None])
        for k in range(rng.randint(1, 5)):
            rows.append(
                ev(
                    f"c{i:04d}",
                    start + timedelta(hours=rng.choice([0, 1, 30, 200]) * k),
                    customer_id=customer,
                    reason=reason,
                    queue=rng.choice(["A", "B", "C", None]),
                    outcome=rng.choice(["resolved", "abandoned", "contained", None]),
                    actor_type=rng.choice(["bot", "agent", None]),
                    duration_s=rng.choice([None, 30.0, 300.0]),
                )
            )
    rng.shuffle(rows)
    for i, row in enumerate(rows, start=1):
        row[S.SOURCE_ROW] = i
    return rows


@pytest.mark.parametrize("any_reason", [False, True])
def test_journeys_partition_contacts_and_respect_the_window(engine, any_reason):
    """Every contact is in exactly one journey; inside a journey each start is within the window of the
    ends before it; a new journey of the same key starts after the window of everything before it."""
    rows = random_log(seed=7)
    window = timedelta(days=7)
    build(engine, rows, any_reason=any_reason, max_journey_days=10_000)  # the cut has its own test
    cs = sorted(contacts(engine).values(), key=lambda r: (r[S.START_TS], r[S.CONTACT_ID]))
    js = journeys(engine)
    assert len({r[S.CONTACT_ID] for r in rows}) == len(cs)
    assert sum(j[S.N_CONTACTS] for j in js.values()) == len(cs)
    assert {c[S.JOURNEY_ID] for c in cs} == set(js)
    seen: dict[str, list[int]] = {}
    max_end: dict[tuple, datetime] = {}
    for c in cs:
        seen.setdefault(c[S.JOURNEY_ID], []).append(c[S.CONTACT_SEQ])
        if c[S.CUSTOMER_ID] is None:
            assert c[S.JOURNEY_ID] == c[S.CONTACT_ID]
            continue
        key = (c[S.CUSTOMER_ID], None if any_reason else c[S.REASON])
        if key in max_end:
            joins = c[S.START_TS] <= max_end[key] + window
            assert (c[S.CONTACT_SEQ] > 1) is joins, c
        else:
            assert c[S.CONTACT_SEQ] == 1
        max_end[key] = max(max_end.get(key, c[S.END_TS]), c[S.END_TS])
    for jid, seqs in seen.items():
        assert seqs == list(range(1, len(seqs) + 1)) and js[jid][S.N_CONTACTS] == len(seqs)


def test_result_does_not_depend_on_row_order(engine):
    rows = random_log(seed=11, n_contacts=120)
    build(engine, rows)
    first = engine.rows(f"SELECT * FROM {S.CONTACTS_TABLE}"), engine.rows(f"SELECT * FROM {S.JOURNEYS_TABLE}")
    random.Random(3).shuffle(rows)  # the source_row of each row travels with it
    build(engine, rows)
    second = (
        engine.rows(f"SELECT * FROM {S.CONTACTS_TABLE}"),
        engine.rows(f"SELECT * FROM {S.JOURNEYS_TABLE}"),
    )
    assert first == second


def test_log_facts_reports_present_columns(engine):
    load_rows(engine, [ev("a", at(0), queue="Q", duration_s=1.0), ev("b", at(1))])
    facts = log_facts(engine)
    assert facts.has_queue and facts.has_duration and facts.has_routing
    assert not (facts.has_customer or facts.has_outcome or facts.has_self_service_signal)
    assert facts.data_end == at(1)
