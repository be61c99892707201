"""Initiative follow-up: each initiative's success measure re-measured after the change (issue 18, item 6).

``cxray plan`` gives every initiative a success measure beyond CSAT/NPS (``plan.json``:
``initiatives[].success_measure``: measure, direction, scope, baseline, target, owner; docs/plan.md §5).
A plan nobody comes back to is a wish list, so the audit reads that file and measures each one again on
the contacts of the after period (``audit_contacts``; optionally of one group), with the same definitions
as ``cxray.metrics`` (docs/metrics.md), and says for each:

- ``met``: the value is at or past the target (lower for a ``down`` measure, higher for ``up``);
- ``worse``: the whole interval is on the bad side of the baseline: worse beyond noise;
- ``not yet``: neither (also when the plan has no target yet: the reason says so);
- ``not measurable here``: the audit cannot compute it, with why. A measure the plan took from a
  detector's evidence (its scope is the failure point, not ``overall``: ``TR01 transfer rate`` at
  ``Orders → Billing``) is that detector's own number, computed with its peer baselines and hot spots;
  only a new diagnosis of the after period measures it again the same way, so it is not approximated here.

Each measurable item also carries the governance cadence's views of the same number (``views``): per week
(the stabilisation weeks after a launch), per month and per quarter of the period, each with its interval,
so a weekly review, a monthly one and a quarterly one read one definition.

Rates carry a Wilson interval (:func:`cxray.voc.scores.wilson_interval`); means a normal-approximation one.
``met`` reads the point value against the target (a target is a management line, not a test), ``worse``
needs the interval, so that a noisy week does not read as a relapse.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final, Literal

from .. import schema as S
from ..engine import Engine
from ..errors import InputError
from ..sql import ident, in_list
from ..voc.scores import wilson_interval
from .segments import AUDIT_CONTACTS as _AUDIT
from .segments import AUDIT_GROUP as _GROUP
from .segments import AUDIT_PERIOD as _PERIOD

__all__ = [
    "CADENCES",
    "METRICS",
    "FollowUp",
    "FollowUpItem",
    "PlanMeasure",
    "Point",
    "contacts_with_journeys_sql",
    "follow_up",
    "load_plan",
    "plan_measures",
]

_Z: Final = 1.959963984540054
Status = Literal["met", "not yet", "worse", "not measurable here"]
#: The governance cadence: the views of each success measure, by the period its contacts start in.
CADENCES: Final = ("week", "month", "quarter")


@dataclass(frozen=True)
class Point:
    """A success measure over the contacts starting in one week, month or quarter (``start``: day one)."""

    start: str
    value: float | None
    low: float | None
    high: float | None
    n: int


_c = ident
_IDENTIFIED = f"{_c(S.CUSTOMER_ID)} IS NOT NULL"
_UNCENSORED = f"NOT {_c(S.IS_CENSORED)}"
#: Business metrics the audit computes from contacts: (kind, numerator, denominator) aggregates over the rows
#: of :func:`contacts_with_journeys_sql` (a mean has no denominator), as ``cxray.metrics`` defines them; FCR
#: counts each journey once, at its first contact. Scorecards share them: one definition per measure.
METRICS: Final[dict[str, tuple[Literal["rate", "mean"], str, str]]] = {
    "fcr": (
        "rate",
        f"count_if({_c(S.CONTACT_SEQ)} = 1 AND {_IDENTIFIED} AND NOT j_censored AND NOT j_failed "
        "AND j_n = 1)",
        f"count_if({_c(S.CONTACT_SEQ)} = 1 AND {_IDENTIFIED} AND NOT j_censored)",
    ),
    "repeat_contact_rate": (
        "rate",
        f"count_if({_c(S.HAS_REPEAT)} AND {_UNCENSORED} AND {_IDENTIFIED})",
        f"count_if({_UNCENSORED} AND {_IDENTIFIED})",
    ),
    "reported_fcr": (
        "rate",
        f"count_if({_c(S.IS_REPORTED_RESOLVED)})",
        f"count_if({_c(S.FINAL_OUTCOME)} IS NOT NULL)",
    ),
    "transfer_rate": ("rate", f"count_if({_c(S.IS_TRANSFERRED)})", f"count({_c(S.IS_TRANSFERRED)})"),
    "ping_pong_rate": ("rate", f"count_if({_c(S.IS_PING_PONG)})", f"count({_c(S.IS_PING_PONG)})"),
    "escalation_rate": ("rate", f"count_if({_c(S.IS_ESCALATED)})", f"count({_c(S.IS_ESCALATED)})"),
    "abandonment_rate": ("rate", f"count_if({_c(S.IS_ABANDONED)})", f"count({_c(S.IS_ABANDONED)})"),
    "containment_rate": ("rate", f"count_if({_c(S.IS_CONTAINED)})", f"count_if({_c(S.IS_SELF_SERVICE)})"),
    "true_containment_rate": (
        "rate",
        f"count_if({_c(S.IS_TRUE_CONTAINED)})",
        f"count_if({_c(S.IS_SELF_SERVICE)} AND {_UNCENSORED} AND {_c(S.IS_TRUE_CONTAINED)} IS NOT NULL)",
    ),
    "handle_time_mean_s": ("mean", _c(S.HANDLE_S), ""),
    "cost_per_contact": ("mean", _c(S.COST), ""),
}


@dataclass(frozen=True)
class PlanMeasure:
    """One initiative's success measure as ``plan.json`` records it (``InitiativeDoc.success_measure``)."""

    initiative: str
    title: str
    status: str  # roadmap or cut
    owner: str | None
    measure: str
    label: str
    direction: Literal["down", "up"]
    scope: str
    baseline: float | None
    target: float | None


@dataclass(frozen=True)
class FollowUpItem:
    """An initiative's success measure re-measured: value, interval, contacts counted, and the status."""

    initiative: str
    title: str
    owner: str | None
    measure: str
    label: str
    direction: Literal["down", "up"]
    scope: str
    baseline: float | None
    target: float | None
    value: float | None
    low: float | None
    high: float | None
    n: int
    status: Status
    reason: str
    views: dict[str, tuple[Point, ...]] | None = None  # per cadence (CADENCES), oldest first
    kind: Literal["rate", "mean", ""] = ""  # how the numbers read: a share, a mean ("" unmeasurable)


@dataclass(frozen=True)
class FollowUp:
    """Every initiative of the plan, re-measured, and how many are met, not yet, worse or not measurable."""

    items: tuple[FollowUpItem, ...]
    period: str
    group: str | None
    counts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_plan(path: str | Path) -> tuple[PlanMeasure, ...]:
    """The success measures of a ``plan.json`` written by ``cxray plan``; an unreadable or malformed file is
    an ``InputError`` naming it."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the plan: {exc.strerror or exc}", path=path) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: line {exc.lineno}: {exc.msg}", path=path) from None
    return plan_measures(doc, path=path)


def plan_measures(doc: Any, *, path: str | Path | None = None) -> tuple[PlanMeasure, ...]:
    """The success measures of a parsed ``plan.json`` document, in its initiatives' order."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("initiatives"), list):
        raise InputError("not a plan.json: expected an object with a list 'initiatives'", path=path)
    out = []
    for i, item in enumerate(doc["initiatives"]):
        where = f"initiatives[{i}]"
        m = item.get("success_measure") if isinstance(item, Mapping) else None
        if not isinstance(m, Mapping) or not isinstance(item.get("id"), str):
            raise InputError(f"{where}: expected an id and a success_measure object", path=path)
        missing = [k for k in ("measure", "direction", "baseline", "target") if k not in m]
        if missing or m["direction"] not in ("down", "up"):
            raise InputError(
                f"{where}.success_measure: missing or invalid {missing or 'direction'}", path=path
            )
        out.append(
            PlanMeasure(
                initiative=item["id"],
                title=str(item.get("title", "")),
                status=str(item.get("status", "")),
                owner=m.get("owner") or item.get("owner"),
                measure=str(m["measure"]),
                label=str(m.get("label") or m["measure"]),
                direction=m["direction"],
                scope=str(m.get("scope") or "overall"),
                baseline=_number(m["baseline"]),
                target=_number(m["target"]),
            )
        )
    return tuple(out)


def follow_up(
    engine: Engine,
    measures: tuple[PlanMeasure, ...],
    *,
    period: Literal["before", "after"] = "after",
    group: Literal["pilot", "control"] | None = None,
) -> FollowUp:
    """Re-measure each success measure on ``audit_contacts`` of ``period`` (and ``group``; None: all).

    Only business metrics over the whole operation (scope ``overall``) are re-measured; see the module
    docstring for why a detector's own number is not.
    """
    if not engine.has_table(_AUDIT):
        raise InputError(f"follow-up needs the {_AUDIT} table: build it with the audit pipeline first")
    items = tuple(_item(engine, m, period, group) for m in measures)
    counts = {s: sum(1 for it in items if it.status == s) for s in ("met", "not yet", "worse")}
    counts["not measurable here"] = sum(1 for it in items if it.status == "not measurable here")
    return FollowUp(items, period, group, counts)


def _item(engine: Engine, m: PlanMeasure, period: str, group: str | None) -> FollowUpItem:
    views: dict[str, tuple[Point, ...]] | None = None
    kind: Literal["rate", "mean", ""] = ""

    def done(status: Status, reason: str, value: float | None = None, iv: tuple[Any, Any] = (None, None),
             n: int = 0) -> FollowUpItem:  # fmt: skip
        return FollowUpItem(m.initiative, m.title, m.owner, m.measure, m.label, m.direction, m.scope,
                            m.baseline, m.target, value, iv[0], iv[1], n, status, reason, views,
                            kind)  # fmt: skip

    if m.scope != "overall":
        return done(
            "not measurable here",
            f"{m.label} is its detector's own number at {m.scope}; re-run cxray diagnose on the after "
            "period to measure it the same way",
        )
    spec = METRICS.get(m.measure)
    if spec is None:
        return done("not measurable here", f"the audit does not compute {m.measure} from the contacts table")
    value, iv, n = _measure(engine, spec, period, group)
    if value is not None:
        views = {c: _series(engine, spec, period, group, c) for c in CADENCES}
        kind = spec[0]
    if value is None:
        return done(
            "not measurable here", f"no contacts count towards {m.measure} in the {period} period", n=n
        )
    fmt = _formatter(spec[0], m.measure)
    shown = (
        f"{fmt(value)} (interval {fmt(iv[0])} to {fmt(iv[1])}, n = {n})" if iv[0] is not None else fmt(value)
    )
    down = m.direction == "down"
    low, high = iv
    judged = m.baseline is not None and low is not None and high is not None
    if judged and ((low > m.baseline) if down else (high < m.baseline)):  # type: ignore[operator]
        return done("worse", f"{shown}: worse than the baseline {fmt(m.baseline)} beyond noise", value, iv, n)
    if m.target is not None and ((value <= m.target) if down else (value >= m.target)):
        return done("met", f"{shown}: at or past the target {fmt(m.target)}", value, iv, n)
    if m.target is None:
        base = f" (baseline {fmt(m.baseline)})" if m.baseline is not None else ""
        return done("not yet", f"{shown}{base}: no target set in the plan's context", value, iv, n)
    return done("not yet", f"{shown}: short of the target {fmt(m.target)}", value, iv, n)


def _measure(
    engine: Engine, spec: tuple[str, str, str], period: str, group: str | None
) -> tuple[float | None, tuple[float | None, float | None], int]:
    """The measure over the whole period: value, interval, contacts counted (None, (None, None), 0 when
    none count)."""
    (point,) = _points(engine, spec, period, group, "'all'") or (Point("all", None, None, None, 0),)
    return point.value, (point.low, point.high), point.n


def _series(
    engine: Engine, spec: tuple[str, str, str], period: str, group: str | None, cadence: str
) -> tuple[Point, ...]:
    """The measure per ``cadence`` (week, month, quarter) of its contacts' start, oldest first."""
    return _points(engine, spec, period, group, f"CAST(date_trunc('{cadence}', {_c(S.START_TS)}) AS DATE)")


def _points(
    engine: Engine, spec: tuple[str, str, str], period: str, group: str | None, bucket: str
) -> tuple[Point, ...]:
    """The measure per value of ``bucket`` (SQL over the contacts), in its order: a rate with its Wilson
    interval, a mean with a normal one (none under two contacts)."""
    kind, num, den = spec
    where = f"{_c(_PERIOD)} = ?" + (f" AND {_c(_GROUP)} = ?" if group else "")
    params = [period, *([group] if group else [])]
    source = f"(SELECT * FROM {contacts_with_journeys_sql()} WHERE {where})"
    if kind == "rate":
        select = f"{num} AS x, {den} AS n, NULL AS sd"
    else:
        select = f"avg({num}) AS x, count({num}) AS n, stddev_samp({num}) AS sd"
    rows = engine.rows(f"SELECT {bucket} AS b, {select} FROM {source} GROUP BY 1 ORDER BY 1", params)
    out = []
    for r in rows:
        n = int(r["n"] or 0)
        if not n:
            out.append(Point(str(r["b"]), None, None, None, 0))
        elif kind == "rate":
            x = int(r["x"] or 0)
            low, high = wilson_interval(x, n, _Z)
            out.append(Point(str(r["b"]), x / n, low, high, n))
        else:
            mean = float(r["x"])
            if n < 2 or r["sd"] is None:
                out.append(Point(str(r["b"]), mean, None, None, n))
            else:
                half = _Z * float(r["sd"]) / math.sqrt(n)
                out.append(Point(str(r["b"]), mean, mean - half, mean + half, n))
    return tuple(out)


def contacts_with_journeys_sql() -> str:
    """``audit_contacts`` with its journey's contacts (``j_n``), censoring and failure (``j_censored``,
    ``j_failed``: of the journey's last contact), as a parenthesised subquery for :data:`METRICS`."""
    bad = in_list((S.ABANDONED, S.UNRESOLVED))
    j, last = _c(S.JOURNEY_ID), f"FILTER (WHERE NOT {_c(S.HAS_REPEAT)})"
    return f"""(SELECT a.*, j.j_n, j.j_censored, j.j_failed FROM {_AUDIT} a JOIN (
            SELECT {j}, count(*) AS j_n,
                   coalesce(bool_or({_c(S.IS_CENSORED)}) {last}, false) AS j_censored,
                   coalesce(bool_or(coalesce({_c(S.FINAL_OUTCOME)} IN {bad}, false)) {last}, false)
                       AS j_failed
            FROM {_AUDIT} GROUP BY {j}) j USING ({j}))"""


def _formatter(kind: str, measure: str) -> Any:
    if kind == "rate":
        return lambda x: f"{x:.1%}"
    unit = " s" if measure.endswith("_s") else ""
    return lambda x: f"{x:,.2f}{unit}"


def _number(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
        return None
    return float(x)
