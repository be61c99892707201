"""Survey scores per segment and week, each with its response count and a 95% confidence interval.

A score without its interval invites reading noise as news: a team's NPS of 20 from 12 responses is
anywhere between about -25 and 65. The three scores, on the scales of :data:`SCALES`:

* **NPS** (``nps``): % promoters (9-10) minus % detractors (0-6), in points from -100 to 100. Interval:
  normal approximation with the variance of a difference of two multinomial shares,
  ``var = (p+ + p- - (p+ - p-)^2) / n`` (times 100 for points), clipped to the scale.
* **CSAT top-2-box** (``csat_top2``): the share of 4-5 answers on 1-5, from 0 to 1. Interval: Wilson
  score interval, which stays inside 0..1 and keeps its coverage for small n and shares near 0 or 1.
* **CES mean** (``ces_mean``): the mean answer on 1-7 (CES 2.0 agreement scale, higher = easier).
  Interval: ``mean ± t(0.975, n-1) · s / √n`` (Student's t, computed here without scipy); none for n < 2.

Each response also counts as *bad* or not (:data:`BAD_MAX`): a detractor, a CSAT 1-3, a CES 1-3. The
drop alerts (:mod:`cxray.voc.alerts`) watch that share. All aggregation is one DuckDB ``GROUPING SETS``
query: overall and per dimension value, by week and over the whole period. A response whose segment value
is NULL (unmatched, or the contact lacks it) counts in ``overall`` and in no segment of that dimension.

>>> from cxray.engine import Engine
>>> with Engine() as e:
...     e.execute("CREATE TABLE voc_responses AS SELECT * FROM (VALUES "
...               "('nps', 10.0, 'billing'), ('nps', 9.0, 'billing'), ('nps', 3.0, 'billing'), "
...               "('nps', 7.0, 'billing')) t(survey_type, score, reason)")
...     rows = segment_scores(e, dimensions=("reason",), by_week=False)
>>> [(r["dimension"], r["value_key"], r["responses"], r["value"]) for r in rows]
[('overall', None, 4, 25.0), ('reason', 'billing', 4, 25.0)]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from statistics import NormalDist
from typing import Any, Final

from typing_extensions import TypedDict

from .. import schema as S
from ..engine import Engine
from ..errors import ConfigError
from ..sql import ident, num, sql_string
from .responses import RESPONSES, SCALES

__all__ = [
    "BAD_MAX",
    "DIMENSIONS",
    "GOOD_MIN",
    "METRICS",
    "SCALES",
    "ScoreRow",
    "SegmentCounts",
    "nps_interval",
    "score_with_interval",
    "segment_counts",
    "segment_scores",
    "t_quantile",
    "wilson_interval",
]

#: The score each survey type is summarised by.
METRICS: Final[dict[str, str]] = {"nps": "nps", "csat": "csat_top2", "ces": "ces_mean"}
#: The highest answer that counts as *bad*: an NPS detractor (0-6), CSAT not top-2-box (1-3), CES low (1-3).
BAD_MAX: Final[dict[str, float]] = {"nps": 6, "csat": 3, "ces": 3}
#: The lowest answer that counts as *good*: an NPS promoter (9-10), CSAT top-2-box (4-5), CES high (5-7).
GOOD_MIN: Final[dict[str, float]] = {"nps": 9, "csat": 4, "ces": 5}
#: The segment dimensions scores are broken down by (columns of ``voc_responses``).
DIMENSIONS: Final[tuple[str, ...]] = (S.REASON, S.CHANNEL, S.QUEUE, S.TEAM)

_SURVEY_TYPE: Final = "survey_type"
_SCORE: Final = "score"
_WEEK: Final = "week"
_Z95: Final = NormalDist().inv_cdf(0.975)


class ScoreRow(TypedDict):
    """One score of one segment in one week (or the whole period)."""

    survey_type: str
    metric: str  # "nps" | "csat_top2" | "ces_mean"
    dimension: str  # "overall" or a dimension: "reason" | "channel" | "queue" | "team"
    value_key: str | None  # the segment's value; None for overall
    week: str | None  # ISO date of the week's Monday; None for the whole period
    responses: int
    value: float | None  # NPS in points, CSAT top-2 as a share 0-1, CES mean on 1-7
    lower: float | None  # 95% confidence interval; None where undefined (CES with one response)
    upper: float | None


class SegmentCounts(TypedDict):
    """The sufficient statistics of one segment-week: what scores and alerts are computed from.

    ``unit`` is a response's contribution to its score (NPS: +100 promoter, 0 passive, -100 detractor;
    CSAT: 1 top-2-box, else 0; CES: the answer), so every score is ``unit_sum / responses``.
    """

    survey_type: str
    dimension: str
    value_key: str | None
    week: date | None
    responses: int
    bad: int  # answers at or below BAD_MAX
    good: int  # answers at or above GOOD_MIN
    unit_sum: float
    unit_sum_bad: float  # the part of unit_sum from bad answers
    unit_sd: float | None  # sample standard deviation of unit (None for one response)


def segment_counts(
    engine: Engine,
    table: str = RESPONSES,
    *,
    dimensions: Sequence[str] = DIMENSIONS,
    by_week: bool = True,
    overall_period: bool = True,
    min_responses: int = 1,
) -> list[SegmentCounts]:
    """Counts per survey type × (overall and each dimension value) × (week, and the whole period).

    One ``GROUPING SETS`` query; rows with an unknown survey type or a score outside its scale are left
    out (the reader rejects them before; this keeps the statistics valid on any table). Unordered.
    """
    cols = set(engine.columns(table))
    missing = [d for d in dimensions if d not in cols]
    if missing:
        raise ConfigError(f"{table} has no column {missing[0]!r} to break scores down by")
    if not by_week and not overall_period:
        return []
    dims = [f"CAST({ident(d)} AS VARCHAR) AS d{i}" for i, d in enumerate(dimensions)]
    in_scale = " OR ".join(
        f"({_SURVEY_TYPE} = {sql_string(t)} AND {_SCORE} BETWEEN {num(lo)} AND {num(hi)})"
        for t, (lo, hi) in SCALES.items()
    )
    bad = _case_by_type(lambda t: f"{_SCORE} <= {num(BAD_MAX[t])}")
    good = _case_by_type(lambda t: f"{_SCORE} >= {num(GOOD_MIN[t])}")
    unit = _case_by_type(
        lambda t: {
            "nps": f"CASE WHEN {_SCORE} >= {num(GOOD_MIN[t])} THEN 100.0 "
            f"WHEN {_SCORE} <= {num(BAD_MAX[t])} THEN -100.0 ELSE 0.0 END",
            "csat": f"CASE WHEN {_SCORE} >= {num(GOOD_MIN[t])} THEN 1.0 ELSE 0.0 END",
            "ces": f"CAST({_SCORE} AS DOUBLE)",
        }[t]
    )
    week_sel = f"{ident(_WEEK)} AS wk" if by_week else "NULL::DATE AS wk"
    week_out = "CASE WHEN GROUPING(wk) = 0 THEN wk END" if by_week else "NULL::DATE"
    sets: list[str] = []
    groupings: list[list[str]] = [[], *([f"d{i}"] for i in range(len(dimensions)))]
    for keys in groupings:
        if by_week:
            sets.append("(" + ", ".join(["st", *keys, "wk"]) + ")")
        if overall_period:
            sets.append("(" + ", ".join(["st", *keys]) + ")")
    # The grouped dimension is the one whose GROUPING() bit is 0; a NULL value there is an unknown segment.
    dimension = (
        "CASE "
        + " ".join(f"WHEN GROUPING(d{i}) = 0 THEN {sql_string(d)}" for i, d in enumerate(dimensions))
        + " ELSE 'overall' END"
        if dimensions
        else "'overall'"
    )
    value_key = f"COALESCE({', '.join(f'd{i}' for i in range(len(dimensions)))})" if dimensions else "NULL"
    unknown = [f"(GROUPING(d{i}) = 0 AND d{i} IS NULL)" for i in range(len(dimensions))]
    if by_week:  # a response without a week (the contract has none) is in no week
        unknown.append("(GROUPING(wk) = 0 AND wk IS NULL)")
    known = " AND ".join(f"NOT {u}" for u in unknown)
    sql = f"""
        WITH r AS (
            SELECT {_SURVEY_TYPE} AS st, {week_sel}, {", ".join([*dims, ""])}
                   {unit} AS u, {bad} AS is_bad, {good} AS is_good
            FROM {ident(table)}
            WHERE {in_scale}
        )
        SELECT st AS survey_type, {dimension} AS dimension, {value_key} AS value_key,
               {week_out} AS week,
               count(*) AS responses,
               count(*) FILTER (WHERE is_bad) AS bad,
               count(*) FILTER (WHERE is_good) AS good,
               sum(u) AS unit_sum,
               coalesce(sum(u) FILTER (WHERE is_bad), 0.0) AS unit_sum_bad,
               stddev_samp(u) AS unit_sd
        FROM r
        GROUP BY GROUPING SETS ({", ".join(sets)})
        HAVING count(*) >= {int(min_responses)} {"AND " + known if known else ""}
    """
    out: list[SegmentCounts] = []
    for row in engine.rows(sql):
        row["unit_sum"] = float(row["unit_sum"])
        row["unit_sum_bad"] = float(row["unit_sum_bad"])
        row["unit_sd"] = _finite_or_none(row["unit_sd"])
        out.append(SegmentCounts(**row))  # type: ignore[typeddict-item]
    return out


def segment_scores(
    engine: Engine,
    table: str = RESPONSES,
    *,
    dimensions: Sequence[str] = DIMENSIONS,
    by_week: bool = True,
    min_responses: int = 1,
) -> list[ScoreRow]:
    """NPS, CSAT top-2-box and CES mean with 95% intervals: overall and per dimension value, over the
    whole period and (``by_week``) per ISO week; groups under ``min_responses`` are left out.

    Ordered by survey type (nps, csat, ces), dimension (overall first, then as given), value, then the
    whole period before its weeks in date order.
    """
    counts = segment_counts(
        engine, table, dimensions=dimensions, by_week=by_week, min_responses=min_responses
    )
    type_order = {t: i for i, t in enumerate(SCALES)}
    dim_order = {d: i for i, d in enumerate(["overall", *dimensions])}
    counts.sort(
        key=lambda c: (
            type_order[c["survey_type"]],
            dim_order[c["dimension"]],
            c["value_key"] or "",
            c["week"] is not None,
            c["week"] or date.min,
        )
    )
    rows: list[ScoreRow] = []
    for c in counts:
        value, lower, upper = score_with_interval(c)
        week = c["week"]
        rows.append(
            ScoreRow(
                survey_type=c["survey_type"],
                metric=METRICS[c["survey_type"]],
                dimension=c["dimension"],
                value_key=c["value_key"],
                week=week.isoformat() if week is not None else None,
                responses=c["responses"],
                value=value,
                lower=lower,
                upper=upper,
            )
        )
    return rows


def score_with_interval(c: SegmentCounts) -> tuple[float, float | None, float | None]:
    """The score of a group and its 95% interval, by the method of its survey type."""
    n = c["responses"]
    kind = c["survey_type"]
    if kind == "nps":
        return nps_interval(c["good"], c["bad"], n)
    if kind == "csat":
        lo, hi = wilson_interval(n - c["bad"], n)
        return (n - c["bad"]) / n, lo, hi
    mean = c["unit_sum"] / n
    sd = c["unit_sd"]
    if n < 2 or sd is None:
        return mean, None, None
    half = t_quantile(0.975, n - 1) * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def wilson_interval(successes: int, n: int, z: float = _Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial share (Wilson 1927), inside 0..1 for any count.

    >>> [round(x, 4) for x in wilson_interval(8, 10)]
    [0.4902, 0.9433]
    """
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def nps_interval(promoters: int, detractors: int, n: int, z: float = _Z95) -> tuple[float, float, float]:
    """NPS in points and its normal-approximation interval, clipped to -100..100.

    The shares of promoters and detractors are two cells of one multinomial, so
    ``var(p+ - p-) = (p+ + p- - (p+ - p-)^2) / n``.

    >>> [round(x, 2) for x in nps_interval(5, 2, 10)]
    [30.0, -18.41, 78.41]
    """
    pp, pd = promoters / n, detractors / n
    d = pp - pd
    half = z * math.sqrt(max(0.0, pp + pd - d * d) / n)
    return 100 * d, max(-100.0, 100 * (d - half)), min(100.0, 100 * (d + half))


@lru_cache(maxsize=4096)
def t_quantile(q: float, df: float) -> float:
    """The ``q`` quantile of Student's t with ``df`` degrees of freedom (``q`` in 0..1).

    Below 100 degrees of freedom, Newton's method on the exact tail (a regularised incomplete beta),
    started from the normal quantile: for ``q > 0.5`` the tail is convex there, so the steps rise
    monotonically to the root; from 100 on, the Cornish-Fisher expansion. Agrees with
    ``scipy.stats.t.ppf`` to 1e-8 (tests); scipy is not a dependency.

    >>> round(t_quantile(0.975, 1), 4), round(t_quantile(0.975, 9), 4), round(t_quantile(0.975, 1e9), 4)
    (12.7062, 2.2622, 1.96)
    """
    if not 0 < q < 1 or df <= 0:
        raise ValueError(f"t_quantile needs 0 < q < 1 and df > 0, got q={q}, df={df}")
    if q < 0.5:
        return -t_quantile(1 - q, df)
    if q == 0.5:
        return 0.0
    z = NormalDist().inv_cdf(q)
    if df >= 100:  # Cornish-Fisher expansion (Abramowitz & Stegun 26.7.5): within 1e-9 from df = 100 on
        g = (
            (z**3 + z) / 4,
            (5 * z**5 + 16 * z**3 + 3 * z) / 96,
            (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384,
            (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160,
        )
        return z + sum(gk / df ** (k + 1) for k, gk in enumerate(g))
    tail, t = 1 - q, z
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    for _ in range(500):
        pdf = math.exp(log_c - (df + 1) / 2 * math.log1p(t * t / df))
        step = (_t_tail(t, df) - tail) / pdf
        t += step
        if abs(step) <= 1e-13 * max(1.0, t):
            break
    return t


def _t_tail(t: float, df: float) -> float:
    """P(T > t) for t >= 0."""
    return 0.5 * _betainc(df / 2, 0.5, df / (df + t * t))


def _betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta I_x(a, b) (continued fraction, Numerical Recipes §6.4)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1 - front * _betacf(b, a, 1 - x) / b


def _betacf(a: float, b: float, x: float) -> float:
    """Lentz's evaluation of the incomplete beta continued fraction."""
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 1000):
        # Each step m applies the even then the odd coefficient of the fraction.
        even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        for coef in (even, odd):
            d = 1 + coef * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + coef / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return h


def _case_by_type(expr: Any) -> str:
    """``CASE survey_type WHEN 'nps' THEN expr('nps') ... END`` over the known survey types."""
    whens = " ".join(f"WHEN {sql_string(t)} THEN {expr(t)}" for t in SCALES)
    return f"CASE {_SURVEY_TYPE} {whens} END"


def _finite_or_none(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None
