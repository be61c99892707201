"""Core metrics: a hand-computed log, disabled metrics, breakdown properties and one real log."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

import pytest

from cxray import schema as S
from cxray.errors import EngineError
from cxray.journeys import build_journeys
from cxray.metrics import METRICS, SPECS, core_metrics
from cxray.options import AnalysisOptions
from cxray.testing import events_table, load_rows

T0 = datetime(2024, 1, 1, 9, 0, 0)


def ev(contact: str, days: float, minutes: float = 0, **columns):
    ts = T0 + timedelta(days=days, minutes=minutes)
    return {S.CONTACT_ID: contact, S.TIMESTAMP: ts, S.ACTIVITY: "step", **columns}


def hand_log() -> list[dict]:
    """Seven contacts; the expected numbers in ``test_overall_metrics_by_hand`` are worked out from it."""
    agent = {"actor_type": "agent", "channel": "phone"}
    bot = {"actor_type": "bot", "channel": "bot", "outcome": "contained"}
    return [
        ev("c1", 0, customer_id="u1", queue="Q1", duration_s=60, **agent),
        ev("c1", 0, 1, customer_id="u1", queue="Q2", duration_s=60, outcome="resolved", **agent),
        ev("c2", 3, customer_id="u1", queue="Q2", duration_s=60, outcome="resolved", **agent),
        ev("c3", 1, customer_id="u2", **bot),
        ev("c4", 2, customer_id="u2", channel="chat", outcome="abandoned"),
        ev("c5", 2, customer_id="u3", **bot),
        ev("c6", 30, customer_id="u4", queue="A", duration_s=100, outcome="escalated", **agent),
        ev("c6", 30, 1, customer_id="u4", queue="B", duration_s=100, **agent),
        ev("c6", 30, 2, customer_id="u4", queue="A", duration_s=100, outcome="resolved", **agent),
        ev("c7", 33),
    ]


@pytest.fixture
def measured(engine):
    load_rows(engine, hand_log())
    build_journeys(engine)
    return core_metrics(engine)


def test_overall_metrics_by_hand(measured):
    """Journeys c1+c2, c3+c4, c5, c6, c7; data ends day 33, so c6 and c7 are censored."""
    assert measured.overall == {
        "contacts": 7,
        "journeys": 5,
        "contacts_per_journey": 1.4,
        "fcr": pytest.approx(0.3333),  # of uncensored journeys c1, c3, c5 only c5
        "reported_fcr": 0.5,  # of the 6 contacts with an outcome, c1, c2 and c6 end resolved
        "unidentified_share": pytest.approx(0.1429),  # c7 has no customer
        "repeat_contact_rate": 0.4,  # c1 and c3 of uncensored c1..c5
        "transfer_rate": pytest.approx(0.2857),  # c1 (Q1→Q2), c6 (A→B→A)
        "ping_pong_rate": pytest.approx(0.1429),  # c6
        "escalation_rate": pytest.approx(0.1429),  # c6
        "abandonment_rate": pytest.approx(0.1429),  # c4
        "containment_rate": 1.0,  # c3, c5 of self-service c3, c5
        "true_containment_rate": 0.5,  # c3 was followed by c4 within 7 days
        "handle_time_mean_s": 160.0,  # (120 + 60 + 300) / 3
        "handle_time_median_s": 120.0,
        "cost_total": 9.0,  # 2 + 1 + 5 agent minutes, two bot sessions at 0.50
        "cost_per_contact": 1.8,  # over the 5 contacts with a cost
        "cost_per_resolved_journey": 2.0,  # (3 + 0.5 + 0.5) / 2 resolved (c1, c5)
        "censored_contacts": 2,
    }
    assert measured.disabled == {}
    assert set(measured.definitions) == set(METRICS)


def test_breakdown_by_channel_by_hand(measured):
    rows = measured.by_channel
    assert [r["channel"] for r in rows] == ["phone", "bot", "chat", None]
    by = {r["channel"]: r for r in rows}
    assert (by["phone"]["contacts"], by["phone"]["journeys"], by["phone"]["fcr"]) == (3, 2, 0.0)
    assert (by["bot"]["contacts"], by["bot"]["journeys"], by["bot"]["fcr"]) == (2, 2, 0.5)
    assert (by["chat"]["contacts"], by["chat"]["journeys"], by["chat"]["contacts_per_journey"]) == (
        1,
        0,
        None,
    )
    assert by["chat"]["abandonment_rate"] == 1.0
    assert by["bot"]["true_containment_rate"] == 0.5


def test_breakdowns_partition_contacts_and_journeys(measured):
    total = measured.overall
    for dim in ("channel", "queue"):
        rows = measured.by(dim)
        assert sum(r["contacts"] for r in rows) == total["contacts"], dim
        assert sum(r["journeys"] for r in rows) == total["journeys"], dim
        assert sum(r["censored_contacts"] for r in rows) == total["censored_contacts"], dim
        assert sum(r["cost_total"] or 0 for r in rows) == pytest.approx(total["cost_total"]), dim
    assert measured.by_team == [] and measured.by_reason == []  # the log has no team or reason


def test_result_is_strict_json(measured):
    text = json.dumps(measured.to_dict(), allow_nan=False)
    assert json.loads(text) == json.loads(json.dumps(measured.to_dict()))


def test_one_metric_carries_its_value_definition_and_why_disabled(measured):
    """``Metrics.metric`` gives one metric whole; an unknown name fails loudly, not as None."""
    fcr = measured.metric("fcr")
    assert (fcr.value, fcr.disabled) == (measured.overall["fcr"], None)
    assert "resolved with one contact" in fcr.definition
    with pytest.raises(KeyError, match="unknown metric"):
        measured.metric("fcr_rate")


def test_every_metric_has_one_spec_with_its_definition_and_requirements():
    """The spec table is the one place a metric is defined: names unique, each defined in words."""
    assert len(set(METRICS)) == len(SPECS) and all(s.definition for s in SPECS)
    assert {s.name for s in SPECS if not s.needs} == {
        "contacts",
        "cost_total",
        "cost_per_contact",
        "censored_contacts",
    }


def test_metrics_without_optional_inputs_are_disabled(engine):
    load_rows(engine, [ev("a", 0), ev("a", 0, 5), ev("b", 20)])
    build_journeys(engine)
    m = core_metrics(engine)
    disabled = m.disabled
    assert disabled["fcr"] == "needs customer_id"
    assert disabled["repeat_contact_rate"] == "needs customer_id"
    assert disabled["abandonment_rate"] == "needs outcome"
    assert disabled["containment_rate"] == "needs outcome; needs actor_type or channel"
    assert disabled["transfer_rate"] == "needs queue, team or outcome"
    assert disabled["ping_pong_rate"] == "needs queue or team"
    assert disabled["handle_time_mean_s"] == "needs duration_s"
    assert disabled["cost_per_resolved_journey"] == "needs customer_id"  # costs are estimated from touches
    assert "cost_total" not in disabled and m.cost_basis == "estimated_from_touches"
    assert set(disabled) == set(METRICS) - {"contacts", "censored_contacts", "cost_total", "cost_per_contact"}
    # Three events of unknown actor type: 3 touches x 5 minutes x EUR 1.00, over 2 contacts.
    assert m.overall == {name: None for name in disabled} | {
        "contacts": 2,
        "censored_contacts": 1,
        "cost_total": 15.0,
        "cost_per_contact": 7.5,
    }
    assert all(m.by(d) == [] for d in ("channel", "team", "reason", "queue"))


def test_customer_only_log_still_measures_fcr_and_repeats(engine):
    """Without outcomes, resolution is repeat-based: a journey is resolved when no repeat followed."""
    load_rows(engine, [ev("a", 0, customer_id="u"), ev("b", 2, customer_id="u"), ev("c", 5, customer_id="v"),
                       ev("z", 30)])  # fmt: skip
    build_journeys(engine)
    m = core_metrics(engine)
    assert "fcr" not in m.disabled and "abandonment_rate" in m.disabled
    assert m.overall["fcr"] == 0.5 and m.overall["repeat_contact_rate"] == pytest.approx(0.3333)


def test_requires_the_journey_tables(engine):
    load_rows(engine, [ev("a", 0)])
    with pytest.raises(EngineError, match="build_journeys"):
        core_metrics(engine)


def test_random_log_properties(engine):
    """On a random log: rates lie in [0, 1], fcr ≤ 1 - share of multi-contact journeys, groups add up."""
    rng = random.Random(5)
    rows = []
    for i in range(400):
        day = rng.uniform(0, 90)
        for k in range(rng.randint(1, 4)):
            rows.append(
                ev(
                    f"c{i:03d}",
                    day,
                    k * 7,
                    customer_id=rng.choice([None, *(f"u{j}" for j in range(60))]),
                    channel=rng.choice(["phone", "chat", "bot"]),
                    team=rng.choice(["T1", "T2", None]),
                    reason=rng.choice(["billing", "move"]),
                    outcome=rng.choice(["resolved", "abandoned", "contained", "escalated", None]),
                    actor_type=rng.choice(["bot", "agent", None]),
                    duration_s=rng.choice([None, 45.0, 400.0]),
                )
            )
    engine.register("_rows", events_table(rows))
    engine.execute(f"CREATE TABLE {S.EVENTS_TABLE} AS SELECT * FROM _rows")
    build_journeys(engine, options=AnalysisOptions(window_days=10))
    m = core_metrics(engine, options=AnalysisOptions(window_days=10))
    o = m.overall
    for name, value in o.items():
        if name.endswith("_rate") or name == "fcr":
            assert 0 <= value <= 1, name
    assert o["contacts"] == 400
    for dim in ("channel", "team", "reason"):
        assert sum(r["contacts"] for r in m.by(dim)) == 400
        assert sum(r["journeys"] for r in m.by(dim)) == o["journeys"]
    uncensored = engine.scalar(f"SELECT count(*) FROM {S.JOURNEYS_TABLE} WHERE NOT {S.IS_CENSORED}")
    single = engine.scalar(
        f"SELECT count(*) FROM {S.JOURNEYS_TABLE} WHERE NOT {S.IS_CENSORED} AND {S.N_CONTACTS} = 1"
    )
    assert o["fcr"] <= single / uncensored + 1e-4
    assert "10 days" in m.definitions["repeat_contact_rate"]


@pytest.mark.slow
def test_bpic2016_repeat_rate_matches_pandas(engine, shared_data):
    """BPIC 2016 complaints (one row per contact): the repeat-contact rate equals an independent pandas
    computation of chained 7-day windows per customer, any reason, with right-censoring."""
    pd = pytest.importorskip("pandas")
    path = shared_data / "bpic2016-complaints" / "BPI2016_Complaints.csv"
    raw = pd.read_csv(path, sep=";", encoding="latin-1", dtype=str)
    events = pd.DataFrame(
        {
            S.CONTACT_ID: raw["ComplaintID"],
            S.TIMESTAMP: pd.to_datetime(raw["ContactDate"]),
            S.ACTIVITY: "complaint",
            S.CUSTOMER_ID: raw["CustomerID"],
            S.CHANNEL: raw["ContactChannelID"],
            S.REASON: raw["ComplaintTheme_EN"],
        }
    )
    load_rows(engine, events.to_dict("records"))
    options = AnalysisOptions(window_days=7, any_reason=True)
    build_journeys(engine, options=options)
    got = core_metrics(engine, options=options).overall

    # Independent: per contact start/end, per customer cumulative max end, next contact within 7 days.
    window = pd.Timedelta(days=7)
    c = events.groupby(S.CONTACT_ID).agg(
        start=(S.TIMESTAMP, "min"), end=(S.TIMESTAMP, "max"), customer=(S.CUSTOMER_ID, "first")
    )
    c = c.reset_index().sort_values(["customer", "start", S.CONTACT_ID])
    c["max_end"] = c.groupby("customer")["end"].cummax()
    c["next_start"] = c.groupby("customer")["start"].shift(-1)
    c["repeat"] = c["next_start"].notna() & (c["next_start"] <= c["max_end"] + window)
    uncensored = c[c["end"] <= events[S.TIMESTAMP].max() - window]
    expected = uncensored["repeat"].mean()
    assert got["contacts"] == len(c) == events[S.CONTACT_ID].nunique()
    assert got["censored_contacts"] == len(c) - len(uncensored)
    assert got["repeat_contact_rate"] == pytest.approx(round(expected, 4), abs=1e-9)
    assert got["journeys"] == len(c) - int(c["repeat"].sum())
