"""Survey drops that the segment's own history does not explain, and contacts to call back now.

A weekly score always moves; most moves are sampling noise and, across hundreds of segments, a few look
alarming by chance. A drop is alerted only when it clears three bars:

1. **Minimum sample.** A week is tested with at least ``min_responses`` (30) responses, and a segment
   (overall, or one value of reason, channel, queue or team, per survey type) when each tested week has
   at least ``min_weeks`` (4) other such weeks as its history.
2. **Control limits from the segment's own history: a Laney p′ chart** on the week's *bad share* (NPS
   detractors 0-6, CSAT 1-3, CES 1-3; Laney 2002, "Improved control charts for attributes", Quality
   Engineering 14(4):531-537). For week *i* with *n_i* responses: ``σ_i = √(p̄(1 − p̄)/n_i)``,
   ``z_i = (p_i − p̄)/σ_i``, ``σ_z = mean |z_i − z_{i−1}| / 1.128`` (the moving range of consecutive
   tested weeks) and ``UCL_i = p̄ + sigma·σ_i·σ_z``. With ``σ_z = 1`` this is the plain p-chart
   (Montgomery, *Introduction to Statistical Quality Control*, §7.2; :func:`p_chart_limits`); ``σ_z`` > 1
   widens the limits by the week-to-week variation that sampling alone does not explain (survey weeks are
   rarely binomial: mix of reasons, campaigns, seasonality), which is what keeps a p-chart on large weekly
   samples from flagging every week. Two choices of ours, both toward fewer false alarms:

   * **Leave one out.** ``p̄`` and ``σ_z`` of the week tested come from the segment's *other* tested
     weeks (before and after it: a retrospective, Phase I analysis), so that a large drop inflates
     neither its own baseline nor its own spread.
   * **σ_z is floored at 1** (``sigma_z_floor``): an estimate below 1 from a few weeks is mostly
     estimation noise, and limits narrower than the binomial ones would raise false alarms. Set the floor
     to 0 for Laney's chart as published.

   A baseline with no bad answer at all (or only bad ones) is moved half an answer inward
   (``0.5 / Σn``) so that its σ is not zero.
3. **False discoveries controlled across all segments.** Each tested week gets a one-sided p-value,
   ``1 − Φ(z_i / σ_z)``; Benjamini-Hochberg (1995) turns them into q-values across *all* tests of the run
   (every survey type, segment and week). An alert is a week above its UCL *and* with ``q ≤ fdr`` (0.05)
   (*and* its score below ``lower``, below).

Measured (``tests/voc/test_alerts.py``): on constant-rate binomial weeks (30-200 responses, 104,000 tests)
0.032% of tested weeks are alerted (0.22% by the 3-sigma limit alone); on overdispersed weeks (a beta
around the rate, concentration 200) 0.17%, as Laney's σ_z absorbs most of the extra spread; a bad share
doubled from 20% to 40% in one segment-week of 100 responses is alerted at that segment and week.

**Limits in the score's own unit.** ``value``, ``expected``, ``lower`` and ``upper`` are NPS points, the
CSAT top-2 share or the CES mean. Each score is a mix: ``score = (1 − b)·m_good + b·m_bad`` for a bad
share ``b``, with ``m_bad`` and ``m_good`` the mean score unit within the bad and within the other
answers (NPS: −100 and 100 × promoters / non-detractors; CSAT: 0 and 1; CES: the mean answers). With the
baseline's ``m``, ``expected`` is the baseline's score, ``lower`` the score at the bad share's UCL and
``upper`` at its LCL (so ``lower < expected < upper``; for CSAT ``lower = 1 − UCL``). A week is alerted only
when, besides the test above, its **score is below ``lower``**: more detractors offset by more promoters
is not an NPS drop. So for every metric an alert has ``value < lower``. The bad-share figures are
reported beside them (``bad_share``, ``expected_bad_share``, ``bad_limit``).

Contact alerts (:func:`contact_alerts`) are the real-time rule instead: one response with a score at or
below its type's threshold and, when the table has a sentiment column, a verbatim at or below the
sentiment threshold: a customer to call back, whatever the segment's trend.

>>> [round(x, 4) for x in benjamini_hochberg([0.01, 0.04, 0.03, 0.5])]
[0.04, 0.0533, 0.0533, 0.5]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import numpy as np
from typing_extensions import TypedDict

from .. import schema as S
from ..contract import Identifier
from ..engine import Engine
from ..errors import ConfigError
from ..sql import ident, num, sql_string
from .responses import RESPONSES, SCALES
from .scores import BAD_MAX, DIMENSIONS, GOOD_MIN, METRICS, SegmentCounts, segment_counts

__all__ = [
    "CONTACT_SCORE_THRESHOLDS",
    "D2",
    "AlertDoc",
    "AlertOptions",
    "AlertStats",
    "ChartLimits",
    "ContactAlertDoc",
    "SegmentTests",
    "benjamini_hochberg",
    "contact_alerts",
    "find_drops",
    "laney_limits",
    "p_chart_limits",
    "score_alerts",
]

#: The bias constant d2 for moving ranges of two: E|X_i − X_{i−1}| = 1.128 σ for normal X.
D2: Final = 1.128
#: A response is an intervention candidate at or below these scores (NPS detractor 0-6, CSAT 1-2, CES 1-2).
CONTACT_SCORE_THRESHOLDS: Final[dict[str, float]] = {"nps": 6, "csat": 2, "ces": 2}

_METHOD: Final = (
    "Laney p′ chart on the weekly bad share (detractors, CSAT 1-3, CES 1-3), leave-one-out baseline "
    "from the segment's other weeks, σ_z floored at {floor:g}, {sigma:g}-sigma limits, one-sided "
    "p-values with Benjamini-Hochberg FDR across all segment-weeks; alert = above the upper limit, "
    "q ≤ fdr and the score below its lower limit."
)
# The mean unit of a bad / other answer when a week's history has none (only in degenerate data).
_FALLBACK_MEANS: Final[dict[str, tuple[float, float]]] = {"nps": (-100.0, 50.0), "csat": (0.0, 1.0)}


@dataclass(frozen=True)
class AlertOptions:
    """How sure a drop must be before it is alerted."""

    #: Responses a week needs to be tested (and to count in a segment's history).
    min_responses: int = 30
    #: Other tested weeks a week needs as its history (at least 2: a moving range needs two points).
    min_weeks: int = 4
    #: The false discovery rate controlled across all segment-weeks tested (Benjamini-Hochberg).
    fdr: float = 0.05
    #: Width of the control limits in (Laney-adjusted) standard errors.
    sigma: float = 3.0
    #: The least σ_z used: 1 keeps limits never narrower than the binomial p-chart; 0 is Laney's own.
    sigma_z_floor: float = 1.0

    def __post_init__(self) -> None:
        if self.min_responses < 1:
            raise ConfigError(f"voc alerts: min_responses must be at least 1, got {self.min_responses}")
        if self.min_weeks < 2:
            raise ConfigError(f"voc alerts: min_weeks must be at least 2, got {self.min_weeks}")
        if not 0 < self.fdr < 1:
            raise ConfigError(f"voc alerts: fdr must be between 0 and 1, got {self.fdr}")
        if self.sigma <= 0 or self.sigma_z_floor < 0:
            raise ConfigError(f"voc alerts: sigma must be > 0 and sigma_z_floor >= 0, got {self}")


class AlertDoc(TypedDict):
    """One segment-week whose score dropped beyond its control limit, in the score's own unit."""

    metric: str  # "nps" | "csat_top2" | "ces_mean": the score that dropped
    segment: dict[str, str]  # {} for overall, else {dimension: value}
    period_start: str  # ISO date of the week's Monday
    value: float  # the week's score
    expected: float  # the score of the segment's other tested weeks together
    lower: float  # the score at the bad share's upper control limit: value < lower is the drop
    upper: float  # the score at the bad share's lower control limit
    responses: int
    bad_share: float  # the week's share of bad answers (detractors; CSAT 1-3; CES 1-3)
    expected_bad_share: float  # p̄ of the other weeks
    bad_limit: float  # the upper control limit on the bad share
    sigma_z: float  # Laney's σ_z used (after the floor)
    p_value: float  # one-sided, 1 − Φ(z / σ_z)
    q_value: float  # Benjamini-Hochberg over every test of the run
    #: The more specific alerted segment that explains this one's drop: without its responses this segment's
    #: week is within its limit (``cxray.voc.perception.explain_nested``); None: a drop of its own.
    explained_by: dict[str, str] | None


class AlertStats(TypedDict):
    """What was tested, so that "no alert" reads as "tested and quiet", not "not looked at"."""

    tests: int  # segment-weeks tested
    segments: int  # segments (survey type × overall or dimension value) with enough history
    alerts: int
    method: str
    fdr: float


class ContactAlertDoc(TypedDict):
    """One response that calls for an intervention with its customer."""

    response_id: int
    contact_id: Identifier | None
    customer_id: Identifier | None
    ts: str  # ISO timestamp of the response (UTC)
    survey_type: str
    score: float
    sentiment: float | None  # compound score -1..1, None when the table has no sentiment column
    verbatim: str | None
    reason: str | None


@dataclass(frozen=True)
class ChartLimits:
    """Control limits of a chart of shares: one centre line, limits per sample (sizes may differ)."""

    center: float
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    sigma_z: float  # 1 for the plain p-chart


@dataclass(frozen=True)
class SegmentTests:
    """The leave-one-out Laney tests of one segment's weeks; arrays over its *tested* weeks.

    ``index`` gives each tested week's position in the series passed to :func:`find_drops`.
    """

    index: np.ndarray
    p: np.ndarray
    p_bar: np.ndarray
    lcl: np.ndarray
    ucl: np.ndarray
    sigma_z: np.ndarray
    p_value: np.ndarray
    q_value: np.ndarray
    alert: np.ndarray


def p_chart_limits(bad: Sequence[float], n: Sequence[float], sigma: float = 3.0) -> ChartLimits:
    """The p-chart (Shewhart): ``p̄ ± sigma·√(p̄(1 − p̄)/n_i)``, with ``p̄ = Σbad / Σn``, clipped to 0..1.

    Montgomery's orange-juice cans (Example 7.1, 30 samples of 50): p̄ = 0.2313, limits 0.0524..0.4102.

    >>> cans = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11, 20, 18, 24, 15, 9,
    ...         12, 7, 13, 9, 6]
    >>> lim = p_chart_limits(cans, [50] * 30)
    >>> round(lim.center, 4), round(lim.lower[0], 4), round(lim.upper[0], 4)
    (0.2313, 0.0524, 0.4102)
    """
    return laney_limits(bad, n, sigma, sigma_z=1.0)


def laney_limits(
    bad: Sequence[float], n: Sequence[float], sigma: float = 3.0, *, sigma_z: float | None = None
) -> ChartLimits:
    """Laney's p′ chart: the p-chart's limits times ``σ_z``, the moving-range spread of the samples'
    z-scores (``mean |z_i − z_{i−1}| / 1.128``), as published (no floor). ``sigma_z`` overrides it."""
    b, m = _arrays(bad, n)
    p_bar = float(b.sum() / m.sum())
    se = np.sqrt(p_bar * (1 - p_bar) / m)
    if sigma_z is None:
        if len(b) < 2:
            raise ValueError("Laney's σ_z needs at least two samples")
        z = (b / m - p_bar) / se
        sigma_z = float(np.mean(np.abs(np.diff(z))) / D2)
    half = sigma * se * sigma_z
    return ChartLimits(
        center=p_bar,
        lower=tuple(float(x) for x in np.maximum(0.0, p_bar - half)),
        upper=tuple(float(x) for x in np.minimum(1.0, p_bar + half)),
        sigma_z=sigma_z,
    )


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg (1995) q-values: the smallest FDR at which each test would be a discovery.

    ``q_(i) = min over k ≥ i of m·p_(k)/k`` for the p-values sorted ascending, capped at 1.
    """
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    q = np.empty(m)
    q[order] = q_sorted
    return [float(x) for x in q]


def find_drops(
    series: Sequence[tuple[Sequence[float], Sequence[float]]], options: AlertOptions = AlertOptions()
) -> list[SegmentTests | None]:
    """Test every segment's weeks and control the FDR across all of them.

    ``series`` holds one ``(bad, n)`` pair of arrays per segment, weeks in time order. Returns, per
    segment, its tests, or None when it has too little history. ``alert`` marks weeks above their UCL
    with a q-value at most ``options.fdr`` (:func:`score_alerts` then also asks the score to fall below
    its lower limit).
    """
    partial: list[dict[str, np.ndarray] | None] = []
    for bad, n in series:
        b, m = _arrays(bad, n)
        keep = np.flatnonzero(m >= options.min_responses)
        if len(keep) < options.min_weeks + 1:
            partial.append(None)
            continue
        partial.append({"index": keep, **_loo_tests(b[keep], m[keep], options)})
    all_p = [t["p_value"] for t in partial if t is not None]
    q_all = np.asarray(benjamini_hochberg(np.concatenate(all_p).tolist() if all_p else []), dtype=float)
    out: list[SegmentTests | None] = []
    at = 0
    for t in partial:
        if t is None:
            out.append(None)
            continue
        q = q_all[at : at + len(t["p_value"])]
        at += len(q)
        alert = (t["p"] > t["ucl"]) & (q <= options.fdr)
        out.append(SegmentTests(q_value=q, alert=alert, **t))
    return out


def _loo_tests(b: np.ndarray, m: np.ndarray, options: AlertOptions) -> dict[str, np.ndarray]:
    """Each week tested against a Laney chart of the segment's other weeks (vectorised: rows = week out)."""
    k = len(b)
    p = b / m
    rest_n = m.sum() - m
    p_bar = (b.sum() - b) / rest_n
    p_bar = np.clip(p_bar, 0.5 / rest_n, 1 - 0.5 / rest_n)  # a baseline of 0 or 1 has no spread
    se = np.sqrt(p_bar[:, None] * (1 - p_bar[:, None]) / m[None, :])  # se[j, i]: week i, baseline "not j"
    z = (p[None, :] - p_bar[:, None]) / se
    mr = np.abs(np.diff(z, axis=1))  # mr[j, i] = |z[j, i+1] - z[j, i]|
    rows = np.arange(k)
    touches = (np.arange(k - 1)[None, :] == rows[:, None]) | (np.arange(1, k)[None, :] == rows[:, None])
    mr_sum = np.where(touches, 0.0, mr).sum(axis=1)
    inner = rows[1:-1]  # without week j, its neighbours become consecutive
    mr_sum[inner] += np.abs(z[inner, inner + 1] - z[inner, inner - 1])
    sigma_z = np.maximum(options.sigma_z_floor, mr_sum / (k - 2) / D2)
    own_se = se[rows, rows]
    half = options.sigma * own_se * sigma_z
    z_own = z[rows, rows] / sigma_z
    p_value = np.array([0.5 * math.erfc(x / math.sqrt(2)) for x in z_own])
    return {
        "p": p,
        "p_bar": p_bar,
        "lcl": np.maximum(0.0, p_bar - half),
        "ucl": np.minimum(1.0, p_bar + half),
        "sigma_z": sigma_z,
        "p_value": p_value,
    }


def score_alerts(
    engine: Engine,
    table: str = RESPONSES,
    *,
    dimensions: Sequence[str] = DIMENSIONS,
    options: AlertOptions = AlertOptions(),
) -> tuple[list[AlertDoc], AlertStats]:
    """Weekly score drops beyond each segment's own history (method: the module docstring).

    Alerts are ordered most significant first (p-value, then metric, segment and week).
    """
    counts = segment_counts(engine, table, dimensions=dimensions, by_week=True, overall_period=False)
    segments: dict[tuple[str, str, str | None], list[SegmentCounts]] = {}
    for c in counts:
        segments.setdefault((c["survey_type"], c["dimension"], c["value_key"]), []).append(c)
    keys = sorted(segments, key=_segment_order(dimensions))
    weeks = [sorted(segments[k], key=lambda c: c["week"] or date.min) for k in keys]
    tests = find_drops([([c["bad"] for c in w], [c["responses"] for c in w]) for w in weeks], options)
    alerts: list[tuple[tuple[Any, ...], AlertDoc]] = []
    n_tests = n_segments = 0
    for rank, (key, rows, t) in enumerate(zip(keys, weeks, tests, strict=True)):
        if t is None:
            continue
        n_segments += 1
        n_tests += len(t.index)
        tested = [rows[i] for i in t.index]
        for j in np.flatnonzero(t.alert):
            doc = _alert_doc(key, tested, int(j), t)
            if not doc["value"] < doc["lower"]:  # more bad answers, yet the score itself held up
                continue
            alerts.append(((doc["p_value"], rank, doc["period_start"]), doc))
    alerts.sort(key=lambda a: a[0])
    stats = AlertStats(
        tests=n_tests,
        segments=n_segments,
        alerts=len(alerts),
        method=_METHOD.format(floor=options.sigma_z_floor, sigma=options.sigma),
        fdr=options.fdr,
    )
    return [doc for _, doc in alerts], stats


def _alert_doc(
    key: tuple[str, str, str | None], weeks: list[SegmentCounts], j: int, t: SegmentTests
) -> AlertDoc:
    """The alert of tested week ``j``, its limits turned into the score's unit (see the module docstring)."""
    kind, dimension, value_key = key
    week = weeks[j]
    others = weeks[:j] + weeks[j + 1 :]
    rest_n = sum(c["responses"] for c in others)
    rest_bad = sum(c["bad"] for c in others)
    rest_unit = sum(c["unit_sum"] for c in others)
    rest_unit_bad = sum(c["unit_sum_bad"] for c in others)
    lo, hi = SCALES[kind]
    fallback = ((lo + BAD_MAX[kind]) / 2, (GOOD_MIN[kind] + hi) / 2)
    fallback_bad, fallback_good = _FALLBACK_MEANS.get(kind, fallback)
    n, bad = week["responses"], week["bad"]
    # The baseline's mean unit within its bad and within its other answers (see the module docstring).
    mean_bad = rest_unit_bad / rest_bad if rest_bad else fallback_bad
    mean_good = (rest_unit - rest_unit_bad) / (rest_n - rest_bad) if rest_n > rest_bad else fallback_good

    def score_at(share: float) -> float:
        return (1 - share) * mean_good + share * mean_bad

    period = week["week"]
    assert period is not None  # weekly counts only
    return AlertDoc(
        metric=METRICS[kind],
        segment={} if dimension == "overall" else {dimension: str(value_key)},
        period_start=period.isoformat(),
        value=week["unit_sum"] / n,
        expected=rest_unit / rest_n,
        lower=score_at(float(t.ucl[j])),
        upper=score_at(float(t.lcl[j])),
        responses=n,
        bad_share=bad / n,
        expected_bad_share=float(t.p_bar[j]),
        bad_limit=float(t.ucl[j]),
        sigma_z=float(t.sigma_z[j]),
        p_value=float(t.p_value[j]),
        q_value=float(t.q_value[j]),
        explained_by=None,
    )


def contact_alerts(
    engine: Engine,
    table: str = RESPONSES,
    *,
    sentiment_column: str | None = "sentiment",
    score_threshold: Mapping[str, float] | None = None,
    sentiment_threshold: float = -0.3,
    limit: int = 200,
) -> tuple[list[ContactAlertDoc], int]:
    """Responses that call for an intervention now, and how many there are in all.

    A response qualifies with a score at or below its type's threshold (:data:`CONTACT_SCORE_THRESHOLDS`,
    overridden per type by ``score_threshold``) and, when ``sentiment_column`` is in the table, a
    sentiment at or below ``sentiment_threshold`` (a response without a sentiment then does not qualify:
    the rule asks for both signals). The first ``limit`` are returned, most negative first: lowest
    sentiment, then lowest score on its scale, then earliest, then response id.
    """
    thresholds = {**CONTACT_SCORE_THRESHOLDS, **(score_threshold or {})}
    unknown = sorted(set(thresholds) - set(SCALES))
    if unknown:
        raise ConfigError(
            f"voc contact alerts: unknown survey type {unknown[0]!r} (known: {', '.join(SCALES)})"
        )
    has_sentiment = sentiment_column is not None and sentiment_column in engine.columns(table)
    sentiment = f"CAST({ident(sentiment_column)} AS DOUBLE)" if has_sentiment and sentiment_column else "NULL"
    low_score = " OR ".join(
        f"(survey_type = {sql_string(t)} AND score <= {num(v)})" for t, v in thresholds.items()
    )
    where = f"({low_score})" + (f" AND {sentiment} <= {num(sentiment_threshold)}" if has_sentiment else "")
    position = (
        "CASE survey_type "
        + " ".join(
            f"WHEN {sql_string(t)} THEN (score - {num(lo)}) / {num(hi - lo)}"
            for t, (lo, hi) in SCALES.items()
        )
        + " END"
    )
    total = int(engine.scalar(f"SELECT count(*) FROM {ident(table)} WHERE {where}"))
    rows = engine.rows(
        f"""
        SELECT response_id, {S.CONTACT_ID} AS contact_id, {S.CUSTOMER_ID} AS customer_id, ts, survey_type,
               CAST(score AS DOUBLE) AS score, {sentiment} AS sentiment, verbatim, {S.REASON} AS reason
        FROM {ident(table)}
        WHERE {where}
        ORDER BY sentiment ASC NULLS LAST, {position} ASC, ts ASC NULLS LAST, response_id ASC
        LIMIT {int(limit)}
        """
    )
    docs = [
        ContactAlertDoc(
            response_id=int(r["response_id"]),
            contact_id=r["contact_id"],
            customer_id=r["customer_id"],
            ts=r["ts"].isoformat() if r["ts"] is not None else "",
            survey_type=r["survey_type"],
            score=float(r["score"]),
            sentiment=None if r["sentiment"] is None else float(r["sentiment"]),
            verbatim=r["verbatim"],
            reason=r["reason"],
        )
        for r in rows
    ]
    return docs, total


def _segment_order(dimensions: Sequence[str]) -> Any:
    type_order = {t: i for i, t in enumerate(SCALES)}
    dim_order = {d: i for i, d in enumerate(["overall", *dimensions])}
    return lambda k: (type_order[k[0]], dim_order[k[1]], k[2] or "")


def _arrays(bad: Sequence[float], n: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    b, m = np.asarray(bad, dtype=float), np.asarray(n, dtype=float)
    if b.shape != m.shape or b.ndim != 1:
        raise ValueError("bad and n must be 1-d sequences of the same length")
    if np.any(m <= 0) or np.any(b < 0) or np.any(b > m):
        raise ValueError("each sample needs n > 0 and 0 <= bad <= n")
    return b, m
