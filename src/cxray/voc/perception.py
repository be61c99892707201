"""Perception beside operations: what customers said where the work broke, and whether scores move with it.

Three pairings, each with its uncertainty, because a survey is a sample and a leader should not chase noise:

- **Each breakdown**: the survey score of the contacts it touched (the contacts its findings claim, before
  de-duplication) against every other surveyed contact, with a 95% confidence interval of the difference.
  A breakdown customers feel shows as a gap; one they do not is agent- or cost-absorbed.
- **Each score alert** (a drop beyond noise, ``cxray.voc.alerts``): did the operation move with it in the
  same segment and week — repeat contacts, transfers, cost per contact against the segment's other weeks?
  A score that moved while none of them did is *survey movement*, not a business change: the method's
  pairing, so that a survey programme's swing is not reported as an improvement or a breakdown.
- **Leading and lagging, by week**: first-contact resolution (leading) against the survey score (lagging),
  with the lag in weeks at which they correlate best.

>>> round(_diff_ci(0.8, 0.04, 100, 0.6, 0.04, 100)[0], 3)
0.2
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final, Literal, cast

from typing_extensions import TypedDict

from .. import schema as S
from ..engine import Engine, arrow_from_lists
from ..findings.finder import FINDING_CONTACTS, BreakdownDoc
from ..sql import ident
from .alerts import AlertDoc
from .responses import RESPONSES

#: The score each survey type is read as: its name, and what a response contributes.
METRICS: Final[dict[str, str]] = {"nps": "nps", "csat": "csat_top2", "ces": "ces_mean"}
Z95: Final = 1.959964
#: Responses each group needs before the difference is tested.
MIN_RESPONSES: Final = 10
# A week-against-the-rest difference in an operational rate counts as moved beyond this |z|.
_MOVED_Z: Final = 3.0
_MAX_LAG: Final = 4


class GroupScore(TypedDict):
    responses: int
    value: float | None


class BreakdownVoiceDoc(TypedDict):
    """``voc.breakdowns[]``: affected vs unaffected contacts' score, per survey type."""

    rank: int | None
    code: str
    title: str
    survey_type: str
    metric: str
    affected: GroupScore
    unaffected: GroupScore
    difference: float | None
    lower: float | None
    upper: float | None
    #: felt: the affected contacts score lower beyond the sampling noise; too few responses: under
    #: ``MIN_RESPONSES`` in either group, no interval drawn.
    verdict: Literal["felt", "no difference found", "scored higher", "too few responses"]


class OperationsCheck(TypedDict):
    metric: str
    week: float | None
    rest: float | None
    z: float | None
    worse: bool


class PairingDoc(TypedDict):
    """One score alert beside the operation in its segment and week."""

    metric: str
    segment: dict[str, str]
    period_start: str
    operations: list[OperationsCheck]
    operations_moved: bool
    reading: str


class LeadLagDoc(TypedDict):
    leading: str
    lagging: str
    weeks: list[str]
    leading_series: list[float | None]
    lagging_series: list[float | None]
    best_lag_weeks: int | None
    correlation: float | None
    reading: str


# --- breakdowns -----------------------------------------------------------------------------------------
def breakdown_voice(engine: Engine, breakdowns: Sequence[BreakdownDoc]) -> list[BreakdownVoiceDoc]:
    """For each breakdown and survey type: its contacts' score against the other surveyed contacts'."""
    if not breakdowns or not engine.has_table(FINDING_CONTACTS):
        return []
    titles = [
        (i, t) for i, b in enumerate(breakdowns) for t in [b["title"], *(s["title"] for s in b["symptoms"])]
    ]
    engine.register(
        "_cx_voc_bt",
        arrow_from_lists(
            {"b": ("BIGINT", [i for i, _ in titles]), "title": ("VARCHAR", [t for _, t in titles])}
        ),
    )
    try:
        rows = engine.rows(
            f"""
            WITH hit AS (
                SELECT DISTINCT t.b, f.contact_id FROM _cx_voc_bt t JOIN {FINDING_CONTACTS} f USING (title)
            ), bs AS (SELECT DISTINCT b FROM _cx_voc_bt),
            r AS (SELECT * FROM {RESPONSES} WHERE contact_id IS NOT NULL)
            SELECT bs.b, r.survey_type, (hit.contact_id IS NOT NULL) AS affected, count(*) AS n,
                   avg(CASE WHEN r.score >= 9 THEN 1 ELSE 0 END) AS promoters,
                   avg(CASE WHEN r.score <= 6 THEN 1 ELSE 0 END) AS detractors,
                   avg(CASE WHEN r.score >= 4 THEN 1 ELSE 0 END) AS top2,
                   avg(r.score) AS mean, coalesce(var_samp(r.score), 0) AS var
            FROM bs CROSS JOIN r LEFT JOIN hit ON hit.b = bs.b AND hit.contact_id = r.contact_id
            GROUP BY ALL ORDER BY bs.b, r.survey_type, affected
            """
        )
    finally:
        engine.unregister("_cx_voc_bt")
    groups: dict[tuple[int, str], dict[bool, dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((int(r["b"]), r["survey_type"]), {})[bool(r["affected"])] = r
    out: list[BreakdownVoiceDoc] = []
    for (i, kind), g in sorted(groups.items()):
        b = breakdowns[i]
        a, u = g.get(True), g.get(False)
        va, vu = _value(kind, a), _value(kind, u)
        diff = lo = hi = None
        verdict: Literal["felt", "no difference found", "scored higher", "too few responses"]
        verdict = "too few responses"
        if va is not None and vu is not None and a and u and min(a["n"], u["n"]) >= MIN_RESPONSES:
            diff = va - vu
            _, lo, hi = _diff_ci(*_adjusted(kind, a), *_adjusted(kind, u))
            verdict = "felt" if hi < 0 else "scored higher" if lo > 0 else "no difference found"
        out.append(
            {
                "rank": b["rank"],
                "code": b["code"],
                "title": b["title"],
                "survey_type": kind,
                "metric": METRICS[kind],
                "affected": {"responses": int(a["n"]) if a else 0, "value": _round(va)},
                "unaffected": {"responses": int(u["n"]) if u else 0, "value": _round(vu)},
                "difference": _round(diff),
                "lower": _round(lo),
                "upper": _round(hi),
                "verdict": verdict,
            }
        )
    return out


def _value(kind: str, r: dict[str, Any] | None) -> float | None:
    """The group's score: NPS in points, CSAT top-2-box share, CES mean."""
    if not r or not r["n"]:
        return None
    if kind == "nps":
        return 100 * (float(r["promoters"]) - float(r["detractors"]))
    if kind == "csat":
        return float(r["top2"])
    return float(r["mean"])


def _adjusted(kind: str, r: dict[str, Any]) -> tuple[float, float, int]:
    """The group's score, variance and size for the interval, shares shrunk towards the middle (Agresti-
    Caffo: one success and one failure added) so that 4 of 4 satisfied is not a certainty."""
    n = int(r["n"])
    if kind == "nps":
        p = (float(r["promoters"]) * n + 1) / (n + 3)
        d = (float(r["detractors"]) * n + 1) / (n + 3)
        return 100 * (p - d), 100**2 * (p + d - (p - d) ** 2), n + 3
    if kind == "csat":
        p = (float(r["top2"]) * n + 1) / (n + 2)
        return p, p * (1 - p), n + 2
    return float(r["mean"]), float(r["var"]), n


def _diff_ci(va: float, vara: float, na: int, vb: float, varb: float, nb: int) -> tuple[float, float, float]:
    """Difference of two group scores with its 95% normal-approximation interval."""
    diff = va - vb
    se = math.sqrt(vara / max(na, 1) + varb / max(nb, 1))
    return diff, diff - Z95 * se, diff + Z95 * se


# --- alerts beside the operation ------------------------------------------------------------------------
#: (name, SQL over ``contacts`` of one contact, worse when higher)
_OPERATIONS: Final = (
    ("repeat_contact_rate", "CAST(has_repeat AS DOUBLE)"),
    ("transfer_rate", "CAST(is_transferred AS DOUBLE)"),
    ("cost_per_contact", "cost"),
)
#: A segment dimension of the responses table -> its column in ``contacts``.
_CONTACT_COLUMN: Final = {"reason": S.REASON, "channel": "entry_channel", "queue": "final_queue",
                          "team": "final_team"}  # fmt: skip


def pair_alerts(engine: Engine, alerts: Sequence[AlertDoc]) -> list[PairingDoc]:
    """For each score alert: whether repeat contacts, transfers or cost per contact moved (worse) in the
    same segment and week, against the segment's other weeks."""
    out: list[PairingDoc] = []
    for alert in alerts:
        segment = dict(alert["segment"])
        where = " AND ".join(f"{ident(_CONTACT_COLUMN[k])} = ?" for k in segment) or "TRUE"
        params = list(segment.values())
        aggregates = ", ".join(
            f"avg({sql}) AS {name}, coalesce(var_samp({sql}), 0) AS {name}_var" for name, sql in _OPERATIONS
        )
        rows = engine.rows(
            f"""
            SELECT (CAST(date_trunc('week', start_ts) AS DATE) = CAST(? AS DATE)) AS this_week,
                   count(*) AS n,
                   {aggregates}
            FROM {S.CONTACTS_TABLE} WHERE {where} AND NOT coalesce(is_censored, FALSE)
            GROUP BY ALL
            """,
            [alert["period_start"], *params],
        )
        week = next((r for r in rows if r["this_week"]), None)
        rest = next((r for r in rows if not r["this_week"]), None)
        checks: list[OperationsCheck] = []
        for name, _ in _OPERATIONS:
            w = None if week is None else week[name]
            o = None if rest is None else rest[name]
            z = None
            if week and rest and w is not None and o is not None:
                se = math.sqrt(
                    week[f"{name}_var"] / max(week["n"], 1) + rest[f"{name}_var"] / max(rest["n"], 1)
                )
                z = (float(w) - float(o)) / se if se > 0 else 0.0
            checks.append(
                {
                    "metric": name,
                    "week": _round(w),
                    "rest": _round(o),
                    "z": None if z is None else round(z, 2),
                    "worse": z is not None and z >= _MOVED_Z,
                }
            )
        moved = any(c["worse"] for c in checks)
        reading = (
            "the operation moved with it: "
            + ", ".join(c["metric"].replace("_", " ") for c in checks if c["worse"])
            + " worse that week"
            if moved
            else "survey movement, not a business change: repeat contacts, transfers and cost per contact "
            "did not move that week"
        )
        out.append(
            {
                "metric": alert["metric"],
                "segment": segment,
                "period_start": str(alert["period_start"]),
                "operations": checks,
                "operations_moved": moved,
                "reading": reading,
            }
        )
    return out


# --- nested alerts -------------------------------------------------------------------------------------
def explain_nested(engine: Engine, alerts: list[AlertDoc], *, sigma: float) -> list[AlertDoc]:
    """Mark each alert whose drop a more significant alert of the same week explains.

    One planted drop in a reason shows in every segment its responses belong to: its queue, its channel,
    the whole centre. Alerts are taken by significance; an alert of the same week and metric is explained by
    an earlier one when, without the responses of that segment, its week's bad share is back within its
    upper limit (the same baseline and σ_z, the limit recomputed for the responses left). The first alert
    of each week names the segment to look at; the others say where their drop came from.
    """
    out: list[AlertDoc] = [cast("AlertDoc", dict(a)) for a in alerts]
    for i, alert in enumerate(out):
        for source in out[:i]:
            if (
                source["explained_by"] is not None
                or source["period_start"] != alert["period_start"]
                or source["metric"] != alert["metric"]
                or not source["segment"]
                or _contains(source["segment"], alert["segment"])
            ):
                continue
            left = _week_without(engine, alert, source["segment"])
            if left is None:
                continue
            bad, n = left
            p = alert["expected_bad_share"]
            limit = p + sigma * alert["sigma_z"] * math.sqrt(p * (1 - p) / n) if n else 1.0
            if n == 0 or bad / n <= limit:
                alert["explained_by"] = dict(source["segment"])
                break
    return out


def _contains(outer: dict[str, str], inner: dict[str, str]) -> bool:
    """Whether segment ``outer`` is ``inner`` or wider (every key of ``outer`` in ``inner``)."""
    return all(inner.get(k) == v for k, v in outer.items())


_BAD = "CASE survey_type WHEN 'nps' THEN score <= 6 ELSE score <= 3 END"


def _week_without(engine: Engine, alert: AlertDoc, without: dict[str, str]) -> tuple[int, int] | None:
    kind = {v: k for k, v in METRICS.items()}.get(alert["metric"])
    if kind is None:
        return None
    inside = " AND ".join(f"{ident(k)} = ?" for k in alert["segment"]) or "TRUE"
    other = " AND ".join(f"{ident(k)} IS NOT DISTINCT FROM ?" for k in without)
    row = engine.rows(
        f"""
        SELECT count(*) FILTER (WHERE {_BAD} AND NOT ({other})) AS bad,
               count(*) FILTER (WHERE NOT ({other})) AS n, count(*) FILTER (WHERE {other}) AS shared
        FROM {RESPONSES} WHERE survey_type = ? AND week = CAST(? AS DATE) AND {inside}
        """,
        [
            *without.values(),
            *without.values(),
            *without.values(),
            kind,
            alert["period_start"],
            *alert["segment"].values(),
        ],
    )[0]
    if not row["shared"]:
        return None  # the two segments share no response that week: nothing of one explains the other
    return int(row["bad"]), int(row["n"])


# --- leading and lagging ----------------------------------------------------------------------------------
def lead_lag(engine: Engine, *, survey_type: str | None = None) -> LeadLagDoc | None:
    """Weekly first-contact resolution (journeys by start week) against the weekly survey score, and the
    lag (0 to 4 weeks, FCR first) at which they correlate best; None with fewer than 4 weeks of both."""
    types = [
        r[0]
        for r in engine.fetchall(f"SELECT survey_type FROM {RESPONSES} GROUP BY 1 ORDER BY count(*) DESC, 1")
    ]
    kind = survey_type or (types[0] if types else None)
    if kind is None:
        return None
    score = {"nps": "100 * (avg(CASE WHEN score >= 9 THEN 1 ELSE 0 END) "
                    "- avg(CASE WHEN score <= 6 THEN 1 ELSE 0 END))",
             "csat": "avg(CASE WHEN score >= 4 THEN 1 ELSE 0 END)", "ces": "avg(score)"}[kind]  # fmt: skip
    rows = engine.rows(
        f"""
        WITH f AS (
            SELECT CAST(date_trunc('week', start_ts) AS DATE) AS week, avg(CAST(is_fcr AS DOUBLE)) AS fcr
            FROM {S.JOURNEYS_TABLE} WHERE NOT is_censored AND customer_id IS NOT NULL GROUP BY 1
        ), s AS (
            SELECT week, {score} AS score FROM {RESPONSES} WHERE survey_type = ? GROUP BY 1
        )
        SELECT coalesce(f.week, s.week) AS week, f.fcr, s.score FROM f FULL JOIN s USING (week) ORDER BY 1
        """,
        [kind],
    )
    weeks = [str(r["week"]) for r in rows]
    fcr = [None if r["fcr"] is None else float(r["fcr"]) for r in rows]
    sc = [None if r["score"] is None else float(r["score"]) for r in rows]
    best: tuple[int, float] | None = None
    for lag in range(0, _MAX_LAG + 1):
        pairs = [
            (fcr[i], sc[i + lag])
            for i in range(len(rows) - lag)
            if fcr[i] is not None and sc[i + lag] is not None
        ]
        r = _pearson(pairs)
        if r is not None and len(pairs) >= 4 and (best is None or r > best[1]):
            best = (lag, r)
    if best is None:
        reading = "too few weeks with both first-contact resolution and survey scores to pair them"
    else:
        reading = (
            f"survey scores follow first-contact resolution {best[0]} week(s) later (r = {best[1]:.2f})"
            if best[1] >= 0.3
            else "survey scores do not follow first-contact resolution in this period "
            f"(best r = {best[1]:.2f})"
        )
    return {
        "leading": "fcr",
        "lagging": METRICS[kind],
        "weeks": weeks,
        "leading_series": [_round(v) for v in fcr],
        "lagging_series": [_round(v) for v in sc],
        "best_lag_weeks": None if best is None else best[0],
        "correlation": None if best is None else round(best[1], 3),
        "reading": reading,
    }


def _pearson(pairs: list[tuple[float | None, float | None]]) -> float | None:
    xs = [float(x) for x, _ in pairs if x is not None]
    ys = [float(y) for _, y in pairs if y is not None]
    if len(xs) < 3 or len(xs) != len(ys):
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    sy = math.sqrt(sum((y - my) ** 2 for y in ys))
    if sx == 0 or sy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (sx * sy)


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


__all__ = [
    "METRICS",
    "MIN_RESPONSES",
    "BreakdownVoiceDoc",
    "GroupScore",
    "LeadLagDoc",
    "OperationsCheck",
    "PairingDoc",
    "breakdown_voice",
    "explain_nested",
    "lead_lag",
    "pair_alerts",
]
