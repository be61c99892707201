"""Survey scores per segment and week: NPS, CSAT top-2-box and CES mean, with hand-computed intervals."""

from __future__ import annotations

import math

import pytest

from cxray.engine import Engine
from cxray.errors import ConfigError
from cxray.voc.scores import (
    nps_interval,
    segment_counts,
    segment_scores,
    t_quantile,
    wilson_interval,
)

COLUMNS = (
    "response_id BIGINT, contact_id VARCHAR, customer_id VARCHAR, ts TIMESTAMP, week DATE, "
    "survey_type VARCHAR, score DOUBLE, verbatim VARCHAR, reason VARCHAR, channel VARCHAR, queue VARCHAR, "
    "team VARCHAR"
)
MON1, MON2 = "2024-03-04", "2024-03-11"


def make_responses(engine: Engine, rows: list[tuple[str, float, str | None, str]]) -> None:
    """``voc_responses`` from (survey_type, score, reason, week Monday) rows; other columns filled in."""
    engine.execute(f"CREATE OR REPLACE TABLE voc_responses ({COLUMNS})")
    for i, (kind, score, reason, week) in enumerate(rows):
        engine.execute(
            "INSERT INTO voc_responses VALUES (?, ?, ?, CAST(? AS DATE) + INTERVAL 1 DAY, CAST(? AS DATE), "
            "?, ?, NULL, ?, 'phone', 'q1', 't1')",
            [i, f"c{i}", f"u{i}", week, week, kind, score, reason],
        )


# NPS: 5 promoters (10, 9, 10, 9, 10), 2 passives (8, 7), 3 detractors (6, 0, 3) of 10.
NPS_SCORES = [10, 9, 8, 7, 6, 0, 10, 3, 9, 10]
# CSAT: 5 of 8 in the top-2 box (5, 4, 4, 5, 4).
CSAT_SCORES = [5, 4, 4, 3, 5, 2, 4, 1]
# CES: mean 5, squared deviations 4+1+0+0+4+1 = 10, s = √2.
CES_SCORES = [7, 6, 5, 5, 3, 4]


@pytest.fixture
def tiny(engine: Engine) -> Engine:
    rows = [("nps", s, "billing", MON1) for s in NPS_SCORES]
    rows += [
        ("csat", s, "billing" if i < 4 else "move", MON1 if i < 6 else MON2)
        for i, s in enumerate(CSAT_SCORES)
    ]
    rows += [("ces", s, None, MON2) for s in CES_SCORES]
    make_responses(engine, rows)
    return engine


def _one(rows, **match):
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


def test_nps_by_hand(tiny: Engine) -> None:
    """NPS = 50% − 30% = 20 points; var = (0.5 + 0.3 − 0.2²)/10 = 0.076, so 20 ± 1.96·√0.076·100."""
    row = _one(segment_scores(tiny), survey_type="nps", dimension="overall", week=None)
    assert row["metric"] == "nps" and row["responses"] == 10
    assert row["value"] == pytest.approx(20.0)
    half = 1.959964 * math.sqrt(0.076) * 100  # 54.0325
    assert row["lower"] == pytest.approx(20 - half, abs=1e-3)
    assert row["upper"] == pytest.approx(20 + half, abs=1e-3)
    assert row["lower"] == pytest.approx(-34.0325, abs=1e-3)


def test_csat_top2_wilson_by_hand(tiny: Engine) -> None:
    """CSAT top-2 = 5/8; Wilson: centre (p + z²/2n)/(1 + z²/n), half z/(1 + z²/n)·√(p(1−p)/n + z²/4n²)."""
    row = _one(segment_scores(tiny), survey_type="csat", dimension="overall", week=None)
    assert row["metric"] == "csat_top2" and row["responses"] == 8
    assert row["value"] == pytest.approx(0.625)
    z2 = 1.959964**2  # 3.841459
    centre = (0.625 + z2 / 16) / (1 + z2 / 8)  # 0.584449
    half = 1.959964 / (1 + z2 / 8) * math.sqrt(0.625 * 0.375 / 8 + z2 / 256)  # 0.278707
    assert (row["lower"], row["upper"]) == pytest.approx((centre - half, centre + half), abs=1e-5)
    assert (row["lower"], row["upper"]) == pytest.approx((0.305742, 0.863156), abs=1e-5)


def test_ces_mean_t_interval_by_hand(tiny: Engine) -> None:
    """CES mean 5 with s = √2, n = 6: 5 ± t(0.975, 5)·√2/√6 = 5 ± 2.570582·0.57735."""
    row = _one(segment_scores(tiny), survey_type="ces", dimension="overall", week=None)
    assert row["metric"] == "ces_mean" and row["responses"] == 6
    assert row["value"] == pytest.approx(5.0)
    half = 2.570582 * math.sqrt(2) / math.sqrt(6)  # 1.484126
    assert (row["lower"], row["upper"]) == pytest.approx((5 - half, 5 + half), abs=1e-5)


def test_segments_and_weeks(tiny: Engine) -> None:
    """Each reason and week is scored on its own; a NULL reason counts overall but in no reason segment."""
    rows = segment_scores(tiny)
    billing = _one(rows, survey_type="csat", dimension="reason", value_key="billing", week=MON1)
    assert billing["responses"] == 4 and billing["value"] == pytest.approx(0.75)  # 5, 4, 4, 3
    move_w1 = _one(rows, survey_type="csat", dimension="reason", value_key="move", week=MON1)
    move_w2 = _one(rows, survey_type="csat", dimension="reason", value_key="move", week=MON2)
    assert (move_w1["responses"], move_w1["value"]) == (2, 0.5)  # 5, 2
    assert (move_w2["responses"], move_w2["value"]) == (2, 0.5)  # 4, 1
    assert not [r for r in rows if r["survey_type"] == "ces" and r["dimension"] == "reason"]
    assert _one(rows, survey_type="ces", dimension="overall", week=MON2)["responses"] == 6
    # The channel, queue and team segments hold everything (all rows share one value).
    assert _one(rows, survey_type="nps", dimension="team", value_key="t1", week=None)["value"] == 20.0


def test_ordering_is_deterministic(tiny: Engine) -> None:
    """Rows come ordered by survey type, dimension (overall first), value, then the period before weeks."""
    rows = segment_scores(tiny)
    keys = [(r["survey_type"], r["dimension"], r["value_key"], r["week"]) for r in rows]
    assert keys[0] == ("nps", "overall", None, None)
    assert [k[0] for k in keys] == sorted((k[0] for k in keys), key=["nps", "csat", "ces"].index)
    csat = [k for k in keys if k[0] == "csat" and k[1] == "reason"]
    assert csat == [
        ("csat", "reason", "billing", None),
        ("csat", "reason", "billing", MON1),
        ("csat", "reason", "move", None),
        ("csat", "reason", "move", MON1),
        ("csat", "reason", "move", MON2),
    ]
    assert segment_scores(tiny) == rows


def test_min_responses_and_whole_period_only(tiny: Engine) -> None:
    """``min_responses`` drops small groups; ``by_week=False`` keeps only the whole-period rows."""
    rows = segment_scores(tiny, dimensions=("reason",), by_week=False, min_responses=5)
    assert {(r["survey_type"], r["dimension"], r["value_key"]) for r in rows} == {
        ("nps", "overall", None),
        ("nps", "reason", "billing"),
        ("csat", "overall", None),
        ("ces", "overall", None),
    }
    assert all(r["week"] is None for r in rows)


def test_out_of_scale_and_unknown_types_are_ignored(engine: Engine) -> None:
    """A score outside its scale or an unknown survey type never enters a statistic."""
    make_responses(engine, [("csat", 5, "a", MON1), ("csat", 9, "a", MON1), ("xyz", 3, "a", MON1)])
    rows = segment_scores(engine, dimensions=())
    assert [(r["survey_type"], r["responses"], r["value"]) for r in rows if r["week"] is None] == [
        ("csat", 1, 1.0)
    ]


def test_ces_single_response_has_no_interval(engine: Engine) -> None:
    """One CES answer has a mean but no spread: the interval is None, not zero-width."""
    make_responses(engine, [("ces", 6, "a", MON1)])
    row = segment_scores(engine, dimensions=(), by_week=False)[0]
    assert (row["value"], row["lower"], row["upper"]) == (6.0, None, None)


def test_missing_dimension_column_is_a_config_error(tiny: Engine) -> None:
    with pytest.raises(ConfigError, match="party"):
        segment_scores(tiny, dimensions=("party",))


def test_counts_carry_bad_and_unit_sums(tiny: Engine) -> None:
    """The sufficient statistics alerts use: bad answers and the score's unit sums (NPS ±100 per answer)."""
    counts = segment_counts(tiny, dimensions=(), by_week=False)
    nps = next(c for c in counts if c["survey_type"] == "nps")
    assert (nps["responses"], nps["bad"], nps["good"]) == (10, 3, 5)
    assert (nps["unit_sum"], nps["unit_sum_bad"]) == (200.0, -300.0)
    ces = next(c for c in counts if c["survey_type"] == "ces")
    assert ces["bad"] == 1 and ces["unit_sd"] == pytest.approx(math.sqrt(2))


def test_interval_helpers_stay_in_range() -> None:
    """All promoters or none: the NPS interval is clipped to ±100; Wilson stays inside 0..1."""
    assert nps_interval(3, 0, 3) == (100.0, 100.0, 100.0)
    lo, hi = wilson_interval(0, 5)
    assert lo == 0.0 and 0 < hi < 0.5
    lo, hi = wilson_interval(5, 5)
    assert 0.5 < lo < 1 and hi == 1.0


def test_t_quantile_matches_scipy() -> None:
    """The dependency-free t quantile agrees with scipy's to 1e-8 over small, large and fractional df."""
    stats = pytest.importorskip("scipy.stats")
    for df in [*range(1, 60), 99.0, 100.0, 250.0, 1000.0, 1e5, 1.5, 2.5]:
        for q in (0.6, 0.9, 0.975, 0.995, 0.025):
            assert t_quantile(q, df) == pytest.approx(stats.t.ppf(q, df), abs=1e-8), (q, df)


def test_t_quantile_published_values() -> None:
    """Textbook table values of t(0.975, df)."""
    assert t_quantile(0.975, 1) == pytest.approx(12.706, abs=1e-3)
    assert t_quantile(0.975, 5) == pytest.approx(2.571, abs=1e-3)
    assert t_quantile(0.975, 30) == pytest.approx(2.042, abs=1e-3)
