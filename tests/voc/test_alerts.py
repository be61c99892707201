"""Drop vs noise: control limits checked against a textbook chart, false alarms measured on simulated noise,
planted drops found, and the real-time contact rule."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxray.engine import Engine
from cxray.errors import ConfigError
from cxray.voc.alerts import (
    AlertOptions,
    benjamini_hochberg,
    contact_alerts,
    find_drops,
    laney_limits,
    p_chart_limits,
    score_alerts,
)
from cxray.voc.scores import segment_scores

# Montgomery, Introduction to Statistical Quality Control (6th ed.), Example 7.1 / Table 7.1: nonconforming
# orange-juice cans in 30 samples of n = 50 (R qcc: data(orangejuice), the trial samples).
ORANGE_JUICE = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11, 20, 18, 24, 15, 9,
                12, 7, 13, 9, 6]  # fmt: skip


# --- control limits -----------------------------------------------------------------------------------------


def test_p_chart_reproduces_montgomery_example_7_1() -> None:
    """p̄ = 347/1500 = 0.2313, UCL = 0.4102, LCL = 0.0524; samples 15 and 23 are out of control."""
    assert sum(ORANGE_JUICE) == 347
    lim = p_chart_limits(ORANGE_JUICE, [50] * 30)
    assert lim.center == pytest.approx(0.2313, abs=5e-5)
    assert lim.upper == pytest.approx([0.4102] * 30, abs=5e-5)
    assert lim.lower == pytest.approx([0.0524] * 30, abs=5e-5)
    out = [i + 1 for i, d in enumerate(ORANGE_JUICE) if d / 50 > lim.upper[i] or d / 50 < lim.lower[i]]
    assert out == [15, 23]


def test_laney_sigma_z_by_hand() -> None:
    """bad 2, 4, 6 of 10: p̄ = 0.4, σ = √(0.024), z = −1.291, 0, 1.291, σ_z = 1.291/1.128 = 1.1445."""
    lim = laney_limits([2, 4, 6], [10, 10, 10])
    sigma_z = (0.2 / math.sqrt(0.024)) / 1.128
    assert lim.sigma_z == pytest.approx(sigma_z) == pytest.approx(1.14449, abs=1e-5)
    assert lim.upper[0] == pytest.approx(0.4 + 3 * math.sqrt(0.024) * sigma_z)
    assert lim.lower[0] == 0.0  # 0.4 − 0.532 clipped


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 500), st.floats(0, 1)), min_size=2, max_size=40))
def test_laney_with_unit_sigma_z_is_the_p_chart(samples: list[tuple[int, float]]) -> None:
    """With σ_z = 1 the p′ limits are exactly the p-chart's, for any sample sizes."""
    n = [size for size, _ in samples]
    bad = [round(size * share) for size, share in samples]
    assert laney_limits(bad, n, sigma_z=1.0) == p_chart_limits(bad, n)


def test_laney_widens_limits_when_overdispersed() -> None:
    """Weekly rates that vary beyond binomial noise (beta-distributed) give σ_z > 1 and wider limits."""
    rng = np.random.default_rng(7)
    n = rng.integers(200, 400, size=40)
    bad = rng.binomial(n, rng.beta(20, 60, size=40))
    laney, plain = laney_limits(bad, n), p_chart_limits(bad, n)
    assert laney.sigma_z > 1.5
    assert all(lu > pu for lu, pu in zip(laney.upper, plain.upper, strict=True))
    # Binomial data with a constant rate: σ_z close to 1.
    assert laney_limits(rng.binomial(n, 0.25), n).sigma_z == pytest.approx(1.0, abs=0.25)


def test_leave_one_out_uses_the_other_weeks() -> None:
    """Each week's baseline and σ_z are Laney's chart of the segment's other weeks (σ_z floor 0 here)."""
    rng = np.random.default_rng(3)
    n = rng.integers(40, 120, size=12)
    bad = rng.binomial(n, 0.3)
    bad[5] = n[5] * 0.8  # a big drop must not inflate its own baseline
    (tests,) = find_drops([(bad, n)], AlertOptions(sigma_z_floor=0.0))
    assert tests is not None
    for j in range(12):
        others = [i for i in range(12) if i != j]
        ref = laney_limits(bad[others], n[others])
        assert tests.p_bar[j] == pytest.approx(ref.center)
        assert tests.sigma_z[j] == pytest.approx(ref.sigma_z)
        se = math.sqrt(ref.center * (1 - ref.center) / n[j])
        assert tests.ucl[j] == pytest.approx(min(1.0, ref.center + 3 * se * ref.sigma_z))
    assert tests.alert.tolist() == [i == 5 for i in range(12)]


def test_minimum_sample_and_history() -> None:
    """Weeks under ``min_responses`` are not tested; a segment needs ``min_weeks`` other tested weeks."""
    n = [100, 100, 10, 100, 100]
    few = find_drops([([20, 20, 9, 20, 20], n)], AlertOptions(min_weeks=4))
    assert few == [None]  # four tested weeks: three of history each
    (ok,) = find_drops([([20, 20, 9, 20, 20], n)], AlertOptions(min_weeks=3))
    assert ok is not None and ok.index.tolist() == [0, 1, 3, 4]


# --- Benjamini-Hochberg -------------------------------------------------------------------------------------


def test_benjamini_hochberg_by_hand() -> None:
    """p = 0.04, 0.01, 0.9 (m = 3): sorted m·p/k = 0.03, 0.06, 0.9; step-up minimum keeps them."""
    assert benjamini_hochberg([0.04, 0.01, 0.9]) == pytest.approx([0.06, 0.03, 0.9])
    # 0.01, 0.035, 0.036: m·p/k = 0.03, 0.0525, 0.036 → the second takes the third's 0.036.
    assert benjamini_hochberg([0.036, 0.01, 0.035]) == pytest.approx([0.036, 0.03, 0.036])
    assert benjamini_hochberg([]) == []
    assert benjamini_hochberg([0.5, 0.9]) == pytest.approx([0.9, 0.9])


def test_benjamini_hochberg_paper_example() -> None:
    """Benjamini & Hochberg (1995), §4: 15 p-values at q = 0.05 reject the four smallest."""
    p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719,
         0.6528, 0.7590, 1.000]  # fmt: skip
    q = benjamini_hochberg(p)
    assert [x <= 0.05 for x in q] == [True] * 4 + [False] * 11


# --- simulated noise and planted drops ----------------------------------------------------------------------


def _simulate(seed: int, *, segments: int = 20, weeks: int = 26, concentration: float | None = None):
    """Segments with a constant bad share (5-40%) and 30-200 responses a week; with ``concentration``,
    each week's share is drawn from a beta around it (overdispersed noise)."""
    rng = np.random.default_rng(seed)
    series = []
    for _ in range(segments):
        p = rng.uniform(0.05, 0.4)
        n = rng.integers(30, 201, size=weeks)
        rate = rng.beta(p * concentration, (1 - p) * concentration, size=weeks) if concentration else p
        series.append((rng.binomial(n, rate), n))
    return series


def _false_alarms(seeds: range, **kw) -> tuple[int, int]:
    tests = alerts = 0
    for seed in seeds:
        for t in find_drops(_simulate(seed, **kw)):
            if t is not None:
                tests += len(t.index)
                alerts += int(t.alert.sum())
    return alerts, tests


def test_false_alarm_rate_on_binomial_noise() -> None:
    """200 seeds × 20 segments × 26 weeks of constant-rate binomial weeks (104,000 tests): 33 alerts, a
    measured false-alarm rate of 0.032% of tested weeks (3-sigma alone, without BH: 0.22%)."""
    alerts, tests = _false_alarms(range(200))
    assert tests == 200 * 20 * 26
    assert alerts / tests <= 0.001


def test_false_alarm_rate_on_overdispersed_noise() -> None:
    """Weekly shares varying beyond sampling (beta, concentration 200; 52,000 tests): Laney's σ_z absorbs
    most of it, measured 0.17% of tested weeks alerted (a plain p-chart would flag several %)."""
    alerts, tests = _false_alarms(range(100), concentration=200)
    assert alerts / tests <= 0.005


def test_planted_drop_is_found_at_its_segment_and_week() -> None:
    """20 segments × 26 weeks of n = 100 at 20% bad; segment 7, week 13 doubles to 40/100: alerted in all
    20 seeds, beside 5 ordinary weeks of 20 × 519 tested (0.05%). With a binomial draw at 40% instead of
    exactly 40, 81.5% of 200 seeds find it."""
    extra = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        series = []
        for s in range(20):
            n = np.full(26, 100)
            bad = rng.binomial(n, 0.2)
            if s == 7:
                bad[13] = 40
            series.append((bad, n))
        found = [(s, int(w)) for s, t in enumerate(find_drops(series)) if t for w in t.index[t.alert]]
        assert (7, 13) in found, seed
        extra += len(found) - 1
    assert extra <= 10


# --- the whole path through DuckDB --------------------------------------------------------------------------


def _responses_table(engine: Engine, seed: int = 11) -> None:
    """12 weeks × 4 teams × 3 survey types, 80 responses each; planted: team t2's CSAT in week 8 and
    team t3's NPS in week 5 (many more bad answers), reason r1's CES in week 10."""
    rng = np.random.default_rng(seed)
    weeks = [date(2024, 1, 1) + timedelta(days=7 * w) for w in range(12)]
    cols: dict[str, list] = {k: [] for k in ("survey_type", "score", "week", "team", "reason")}
    dist = {  # answer probabilities: ordinary weeks, planted weeks
        "nps": (np.arange(11), [0.03] * 7 + [0.14] * 2 + [0.275] * 2, [0.1] * 7 + [0.1] * 2 + [0.05] * 2),
        "csat": (np.arange(1, 6), [0.03, 0.05, 0.12, 0.4, 0.4], [0.15, 0.15, 0.2, 0.25, 0.25]),
        "ces": (
            np.arange(1, 8),
            [0.02, 0.03, 0.05, 0.1, 0.3, 0.3, 0.2],
            [0.15, 0.15, 0.2, 0.1, 0.2, 0.1, 0.1],
        ),
    }
    planted = {("csat", "t2", 8), ("nps", "t3", 5)}
    for kind, (values, ordinary, bad) in dist.items():
        for w, week in enumerate(weeks):
            for team in ("t1", "t2", "t3", "t4"):
                for reason in ("r1", "r2"):
                    drop = (kind, team, w) in planted or (kind == "ces" and reason == "r1" and w == 10)
                    probs = np.asarray(bad if drop else ordinary, dtype=float)
                    scores = rng.choice(values, size=40, p=probs / probs.sum())
                    cols["survey_type"] += [kind] * 40
                    cols["score"] += scores.astype(float).tolist()
                    cols["week"] += [week] * 40
                    cols["team"] += [team] * 40
                    cols["reason"] += [reason] * 40
    engine.register("src", pa.table(cols))
    engine.execute(
        """CREATE TABLE voc_responses AS
           SELECT row_number() OVER () AS response_id, NULL::VARCHAR AS contact_id,
                  NULL::VARCHAR AS customer_id, CAST(week AS TIMESTAMP) AS ts, CAST(week AS DATE) AS week,
                  survey_type, score,
                  NULL::VARCHAR AS verbatim, reason, 'phone' AS channel, 'q' AS queue, team FROM src"""
    )
    engine.unregister("src")


def test_score_alerts_find_the_planted_drops(engine: Engine) -> None:
    """Each planted drop is alerted at its segment and week; no ordinary team-week is; every alert reads
    value < lower in its own unit, with CSAT's lower = 1 − the bad share's UCL."""
    _responses_table(engine)
    alerts, stats = score_alerts(engine, dimensions=("reason", "team"))
    found = {(a["metric"], tuple(a["segment"].items()), a["period_start"]) for a in alerts}
    assert ("csat_top2", (("team", "t2"),), "2024-02-26") in found
    assert ("nps", (("team", "t3"),), "2024-02-05") in found
    assert ("ces_mean", (("reason", "r1"),), "2024-03-11") in found
    planted_weeks = {"2024-02-26", "2024-02-05", "2024-03-11"}
    assert all(a["period_start"] in planted_weeks for a in alerts), found
    assert stats["segments"] == 3 * (1 + 2 + 4) and stats["tests"] == stats["segments"] * 12
    assert stats["alerts"] == len(alerts) and stats["fdr"] == 0.05
    scores = {
        (r["metric"], r["dimension"], r["value_key"], r["week"]): r["value"]
        for r in segment_scores(engine, dimensions=("reason", "team"))
    }
    for a in alerts:
        assert a["value"] < a["lower"] < a["expected"] < a["upper"], a
        assert a["bad_share"] > a["bad_limit"] and a["q_value"] <= 0.05
        dim, key = next(iter(a["segment"].items()), ("overall", None))
        assert a["value"] == pytest.approx(scores[(a["metric"], dim, key, a["period_start"])])
        if a["metric"] == "csat_top2":
            assert a["lower"] == pytest.approx(1 - a["bad_limit"])
    assert [a["p_value"] for a in alerts] == sorted(a["p_value"] for a in alerts)


def _nps_weeks(engine: Engine, test_week: tuple[int, int, int]) -> None:
    """8 weeks of 100 NPS answers: 20 detractors, 40 passives, 40 promoters, except week 6 (given)."""
    values = []
    for w in range(8):
        det, pas, pro = test_week if w == 6 else (20, 40, 40)
        values += [(w, 3.0)] * det + [(w, 7.0)] * pas + [(w, 10.0)] * pro
    engine.register("src", pa.table({"w": [w for w, _ in values], "score": [s for _, s in values]}))
    engine.execute(
        """CREATE OR REPLACE TABLE voc_responses AS
           SELECT row_number() OVER () AS response_id, DATE '2024-01-01' + CAST(7 * w AS INTEGER) AS week,
                  'nps' AS survey_type, score, 'r' AS reason FROM src"""
    )
    engine.unregister("src")


def test_more_detractors_offset_by_promoters_is_no_nps_drop(engine: Engine) -> None:
    """Detractors 20% → 45% is beyond the UCL (0.32), but with promoters up to 55% the NPS (10) stays
    above its lower limit (0.68·50 − 32 = 2): no alert. With promoters down to 15% (NPS −30) it is one."""
    _nps_weeks(engine, (45, 0, 55))
    assert score_alerts(engine, dimensions=())[0] == []
    _nps_weeks(engine, (45, 40, 15))
    (alert,), stats = score_alerts(engine, dimensions=())
    assert stats == {"tests": 8, "segments": 1, "alerts": 1, "method": stats["method"], "fdr": 0.05}
    assert alert["period_start"] == "2024-02-12" and alert["segment"] == {}
    assert (alert["value"], alert["expected"], alert["bad_share"]) == (-30.0, 20.0, 0.45)
    assert alert["bad_limit"] == pytest.approx(0.2 + 3 * 0.04)
    assert alert["lower"] == pytest.approx(0.68 * 50 - 32)
    assert alert["upper"] == pytest.approx(0.92 * 50 - 8)


def test_score_alerts_quiet_without_history(engine: Engine) -> None:
    """Too few responses per week: nothing is tested, and the stats say so."""
    _responses_table(engine)
    alerts, stats = score_alerts(engine, dimensions=("team",), options=AlertOptions(min_responses=1000))
    assert alerts == [] and stats["tests"] == 0 and stats["segments"] == 0


def test_alert_options_are_validated() -> None:
    with pytest.raises(ConfigError, match="min_weeks"):
        AlertOptions(min_weeks=1)
    with pytest.raises(ConfigError, match="fdr"):
        AlertOptions(fdr=0)


# --- contact alerts -----------------------------------------------------------------------------------------


def _contacts(engine: Engine, *, sentiment: bool) -> None:
    engine.execute(
        """CREATE OR REPLACE TABLE voc_responses AS SELECT * FROM (VALUES
            (1, 'c1', 'u1', TIMESTAMP '2024-01-02 10:00', 'nps', 2.0, 'transferred 3 times', 'billing', -0.8),
            (2, 'c2', 'u2', TIMESTAMP '2024-01-02 11:00', 'nps', 6.0, 'meh', 'billing', -0.2),
            (3, 'c3', 'u3', TIMESTAMP '2024-01-02 09:00', 'csat', 1.0, 'never again', 'move', -0.8),
            (4, 'c4', 'u4', TIMESTAMP '2024-01-02 12:00', 'ces', 2.0, 'so hard', 'move', -0.5),
            (5, 'c5', 'u5', TIMESTAMP '2024-01-02 12:00', 'csat', 3.0, 'bad', 'move', -0.9),
            (6, NULL, 'u6', TIMESTAMP '2024-01-02 13:00', 'nps', 0.0, NULL, NULL, NULL),
            (7, 'c7', 'u7', TIMESTAMP '2024-01-02 08:00', 'nps', 9.0, 'terrible hold music', 'billing', -0.9)
        ) t(response_id, contact_id, customer_id, ts, survey_type, score, verbatim, reason, sentiment)"""
    )
    if not sentiment:
        engine.execute("ALTER TABLE voc_responses DROP COLUMN sentiment")


def test_contact_alerts_need_low_score_and_negative_sentiment(engine: Engine) -> None:
    """Score at or below its type's threshold and sentiment ≤ −0.3; most negative first, ties by score."""
    _contacts(engine, sentiment=True)
    docs, total = contact_alerts(engine)
    # 1 (nps 2, −0.8), 3 (csat 1, −0.8), 4 (ces 2, −0.5); not 2 (sentiment −0.2), 5 (csat 3 > 2),
    # 6 (no sentiment), 7 (nps 9). Ties at −0.8: csat 1 is lower on its scale (0.0) than nps 2 (0.2).
    assert [d["response_id"] for d in docs] == [3, 1, 4] and total == 3
    assert docs[0] == {
        "response_id": 3,
        "contact_id": "c3",
        "customer_id": "u3",
        "ts": "2024-01-02T09:00:00",
        "survey_type": "csat",
        "score": 1.0,
        "sentiment": -0.8,
        "verbatim": "never again",
        "reason": "move",
    }
    docs, total = contact_alerts(engine, limit=1)
    assert len(docs) == 1 and total == 3
    docs, total = contact_alerts(engine, score_threshold={"csat": 3}, sentiment_threshold=-0.1)
    assert [d["response_id"] for d in docs] == [5, 3, 1, 4, 2] and total == 5


def test_contact_alerts_without_sentiment_use_the_score_alone(engine: Engine) -> None:
    """No sentiment column: every low score qualifies, lowest on its scale first, then earliest."""
    _contacts(engine, sentiment=False)
    docs, total = contact_alerts(engine)
    assert [d["response_id"] for d in docs] == [3, 6, 4, 1, 2] and total == 5
    assert all(d["sentiment"] is None for d in docs)
    with pytest.raises(ConfigError, match="xyz"):
        contact_alerts(engine, score_threshold={"xyz": 1})
