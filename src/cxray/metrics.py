"""Core contact-centre metrics over the ``contacts`` and ``journeys`` tables (``build_journeys`` first).

Each metric is one SQL aggregate, computed overall and by channel (the contact's ``entry_channel``), team
(``final_team``: the owner at close), reason and queue (``final_queue``). Contact-level metrics count each
contact in its own group; journey-level metrics (``journeys``, ``contacts_per_journey``, ``fcr``,
``cost_per_resolved_journey``) count each journey once, in the group of its first contact, so that the
groups of a breakdown partition both the contacts and the journeys.

A metric whose inputs the log lacks is NULL and listed under ``disabled`` with the reason (e.g.
``"needs customer_id"``) rather than computed from nothing.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from typing_extensions import TypedDict

from . import schema as S
from .engine import Engine
from .errors import EngineError
from .journey_paths import JourneyPath
from .journeys import LogFacts, log_facts
from .options import AnalysisOptions

# Breakdown name → contact-level column, and the LogFacts flag saying the column carries data.
_DIMENSIONS: tuple[tuple[str, str, str], ...] = (
    ("channel", S.ENTRY_CHANNEL, "has_channel"),
    ("team", S.FINAL_TEAM, "has_team"),
    ("reason", S.REASON, "has_reason"),
    ("queue", S.FINAL_QUEUE, "has_queue"),
)
#: The dimensions metrics are broken down by.
DIMENSIONS: tuple[str, ...] = tuple(name for name, _, _ in _DIMENSIONS)

# FCR and repeats are measured over contacts with a customer id: a contact without one is its own
# journey and would always look resolved first time (the unidentified share is shown beside them).
_IDENTIFIED = f"{S.CUSTOMER_ID} IS NOT NULL"


@dataclass(frozen=True)
class Requirement:
    """What a log must carry for some metrics to be computed; a metric needing it is disabled otherwise."""

    reason: str
    holds: Callable[[LogFacts, bool], bool]  # (facts, some contact reported 'resolved') -> present


# In the order their reasons are listed when a metric lacks several.
_CUSTOMER = Requirement("needs customer_id", lambda f, _: f.has_customer)
_RESOLVED_LABEL = Requirement("needs an outcome 'resolved'", lambda f, r: f.has_outcome and r)
_OUTCOME = Requirement("needs outcome", lambda f, _: f.has_outcome)
_SELF_SERVICE = Requirement("needs actor_type or channel", lambda f, _: f.has_self_service_signal)
_ROUTING_OR_OUTCOME = Requirement("needs queue, team or outcome", lambda f, _: f.has_routing or f.has_outcome)
_ROUTING = Requirement("needs queue or team", lambda f, _: f.has_routing)
# Costs are still estimated from touches without durations (``cost_basis`` says so); handle times are not.
_DURATION = Requirement("needs duration_s", lambda f, _: f.has_duration)
_REQUIREMENTS = (
    _CUSTOMER,
    _RESOLVED_LABEL,
    _OUTCOME,
    _SELF_SERVICE,
    _ROUTING_OR_OUTCOME,
    _ROUTING,
    _DURATION,
)


@dataclass(frozen=True)
class MetricSpec:
    """One metric, whole: its SQL aggregate, the table it aggregates, its precision, its definition in
    words (``{w}`` is the repeat window) and what the log must carry for it."""

    name: str
    level: Literal["contact", "journey"]
    sql: str
    definition: str
    digits: int | None = 4  # decimal places; None keeps an integer count as it is
    needs: tuple[Requirement, ...] = ()


#: Every metric, in output order.
SPECS: tuple[MetricSpec, ...] = (
    MetricSpec("contacts", "contact", "count(*)", "number of contacts (distinct contact_id)", None),
    MetricSpec(
        "journeys", "journey", "count(*)",
        "number of journeys: a customer's contacts (same reason) chained within {w}", None, (_CUSTOMER,),
    ),
    MetricSpec(
        "contacts_per_journey", "journey", f"avg({S.N_CONTACTS})", "contacts / journeys", 3, (_CUSTOMER,)
    ),
    MetricSpec(
        "fcr", "journey",
        f"count_if({S.IS_FCR} AND {_IDENTIFIED}) "
        f"/ nullif(count_if(NOT {S.IS_CENSORED} AND {_IDENTIFIED}), 0)",
        "journeys of identified customers resolved with one contact / their journeys not censored "
        "(ending > {w} before the data ends)",
        4, (_CUSTOMER,),
    ),
    MetricSpec(
        "reported_fcr", "contact",
        f"count_if({S.IS_REPORTED_RESOLVED}) / nullif(count_if({S.FINAL_OUTCOME} IS NOT NULL), 0)",
        "contacts with an event whose outcome is 'resolved' / contacts with an outcome (what the systems' "
        "dispositions report, whether or not the customer came back; beside the measured fcr)",
        4, (_RESOLVED_LABEL,),
    ),
    MetricSpec(
        "repeat_contact_rate", "contact",
        f"count_if({S.HAS_REPEAT} AND NOT {S.IS_CENSORED} AND {_IDENTIFIED}) "
        f"/ nullif(count_if(NOT {S.IS_CENSORED} AND {_IDENTIFIED}), 0)",
        "uncensored contacts of identified customers followed by another contact in their journey "
        "(within {w}) / those contacts",
        4, (_CUSTOMER,),
    ),
    MetricSpec(
        "unidentified_share", "contact", f"count_if({S.CUSTOMER_ID} IS NULL) / count(*)",
        "contacts without a customer id / contacts (left out of fcr and repeat rate)", 4, (_CUSTOMER,),
    ),
    MetricSpec(
        "transfer_rate", "contact", f"avg(CAST({S.IS_TRANSFERRED} AS INTEGER))",
        "contacts whose queue (or team) changed, or with an outcome 'transferred' / contacts",
        4, (_ROUTING_OR_OUTCOME,),
    ),
    MetricSpec(
        "ping_pong_rate", "contact", f"avg(CAST({S.IS_PING_PONG} AS INTEGER))",
        "contacts whose collapsed queue (or team) sequence returns X→Y→X / contacts", 4, (_ROUTING,),
    ),
    MetricSpec(
        "escalation_rate", "contact", f"avg(CAST({S.IS_ESCALATED} AS INTEGER))",
        "contacts with an event outcome 'escalated' / contacts", 4, (_OUTCOME,),
    ),
    MetricSpec(
        "abandonment_rate", "contact", f"avg(CAST({S.IS_ABANDONED} AS INTEGER))",
        "contacts whose final outcome is 'abandoned' / contacts", 4, (_OUTCOME,),
    ),
    MetricSpec(
        "containment_rate", "contact",
        f"count_if({S.IS_CONTAINED}) / nullif(count_if({S.IS_SELF_SERVICE}), 0)",
        "self-service contacts ending 'contained' with no agent or back-office event / self-service "
        "contacts (as the bot or IVR reports it)",
        4, (_OUTCOME, _SELF_SERVICE),
    ),
    MetricSpec(
        "true_containment_rate", "contact",
        f"count_if({S.IS_TRUE_CONTAINED}) / nullif(count_if({S.IS_SELF_SERVICE} AND NOT {S.IS_CENSORED} "
        f"AND {S.IS_TRUE_CONTAINED} IS NOT NULL), 0)",
        "contained contacts with no other contact of the customer on any channel within {w} / uncensored "
        "self-service contacts with a customer",
        4, (_CUSTOMER, _OUTCOME, _SELF_SERVICE),
    ),
    MetricSpec(
        "handle_time_mean_s", "contact", f"avg({S.HANDLE_S})", "mean over contacts of the sum of duration_s",
        1, (_DURATION,),
    ),
    MetricSpec(
        "handle_time_median_s", "contact", f"median({S.HANDLE_S})",
        "median over contacts of the sum of duration_s", 1, (_DURATION,),
    ),
    MetricSpec(
        "cost_total", "contact", f"sum({S.COST})",
        "sum of contact costs (handled minutes × rate + bot session fee; without handle times, minutes "
        "estimated per touch by actor type: see cost_basis)",
        2,
    ),
    MetricSpec("cost_per_contact", "contact", f"avg({S.COST})", "cost_total / contacts with a known cost", 2),
    MetricSpec(
        "cost_per_resolved_journey", "journey",
        f"sum({S.COST}) FILTER (WHERE NOT {S.IS_CENSORED}) / nullif(count_if({S.IS_RESOLVED}), 0)",
        "cost of uncensored journeys / resolved journeys", 2, (_CUSTOMER,),
    ),
    MetricSpec(
        "censored_contacts", "contact", f"count_if({S.IS_CENSORED})",
        "contacts ending within {w} of the end of the data (their repeats are unknown)", None,
    ),
)  # fmt: skip

#: Output order of the metrics in every row.
METRICS: tuple[str, ...] = tuple(m.name for m in SPECS)
_BY_NAME = {m.name: m for m in SPECS}


def definitions(options: AnalysisOptions = AnalysisOptions()) -> dict[str, str]:  # noqa: B008 - frozen
    """Each metric's formula in words (copied into ``diagnosis.json`` and docs/metrics.md)."""
    w = f"{options.window_days:g} days"
    return {m.name: m.definition.format(w=w) for m in SPECS}


CostBasis = Literal["handle_time", "estimated_from_touches"]


def cost_basis(facts: LogFacts) -> CostBasis:
    """``handle_time`` when the log records work durations, else ``estimated_from_touches`` (costs.py)."""
    return "handle_time" if facts.has_duration else "estimated_from_touches"


def disabled_metrics(facts: LogFacts, *, has_resolved: bool = True) -> dict[str, str]:
    """Metric → why it cannot be computed from this log (absent when it can).

    ``has_resolved``: some contact's final outcome is ``resolved`` (a reported FCR needs the label).
    """
    out = {}
    for m in SPECS:
        missing = [r.reason for r in _REQUIREMENTS if r in m.needs and not r.holds(facts, has_resolved)]
        if missing:
            out[m.name] = "; ".join(missing)
    return out


@dataclass(frozen=True)
class Metric:
    """One metric of the whole operation: its value (None when disabled), definition and why disabled."""

    name: str
    value: float | int | None
    definition: str
    disabled: str | None = None


#: One row of a breakdown: the group's key under the dimension's name, then every metric.
MetricRow = dict[str, float | int | str | None]


class MetricsDoc(TypedDict):
    """``metrics`` in ``diagnosis.json``: :class:`Metrics`, field for field."""

    overall: dict[str, float | int | None]
    by_channel: list[MetricRow]
    by_team: list[MetricRow]
    by_reason: list[MetricRow]
    by_queue: list[MetricRow]
    definitions: dict[str, str]
    disabled: dict[str, str]
    cost_basis: CostBasis
    journey_paths: list[JourneyPath]


@dataclass(frozen=True, kw_only=True)
class Metrics:
    """The ``metrics`` section of a diagnosis: overall and per dimension, with definitions.

    Rows of ``by_*`` carry their key under the dimension's name (``"channel"``...) and are ordered by
    contacts (descending), then key; a dimension the log lacks is ``[]``.
    """

    overall: dict[str, float | int | None]
    by_channel: list[MetricRow] = field(default_factory=list)
    by_team: list[MetricRow] = field(default_factory=list)
    by_reason: list[MetricRow] = field(default_factory=list)
    by_queue: list[MetricRow] = field(default_factory=list)
    definitions: dict[str, str] = field(default_factory=dict)
    disabled: dict[str, str] = field(default_factory=dict)
    cost_basis: CostBasis = "handle_time"
    journey_paths: list[JourneyPath] = field(default_factory=list)

    def metric(self, name: str) -> Metric:
        """One overall metric with its definition and, when it could not be computed, why."""
        if name not in _BY_NAME:
            raise KeyError(f"unknown metric {name!r}; known: {', '.join(METRICS)}")
        return Metric(name, self.overall.get(name), self.definitions.get(name, ""), self.disabled.get(name))

    def by(self, dimension: str) -> list[MetricRow]:
        """The rows of one dimension: ``channel``, ``team``, ``reason`` or ``queue``."""
        if dimension not in DIMENSIONS:
            raise KeyError(f"unknown dimension {dimension!r}; known: {', '.join(DIMENSIONS)}")
        rows: list[MetricRow] = getattr(self, f"by_{dimension}")
        return rows

    def to_dict(self) -> MetricsDoc:
        return MetricsDoc(**dataclasses.asdict(self))  # type: ignore[typeddict-item]  # the same fields


def core_metrics(
    engine: Engine,
    *,
    options: AnalysisOptions = AnalysisOptions(),  # noqa: B008 - frozen, immutable default
    journey_paths: list[JourneyPath] | None = None,
) -> Metrics:
    """Measure the operation: overall, by channel/team/reason/queue, with definitions and disabled metrics.

    ``options`` must be those given to ``build_journeys``; ``journey_paths`` (``cxray.journey_paths``)
    are carried along for the report's journey Sankey.
    """
    for table in (S.CONTACTS_TABLE, S.JOURNEYS_TABLE):
        if not engine.has_table(table):
            raise EngineError(f"table {table!r} is missing: run journeys.build_journeys first")
    facts = log_facts(engine)
    has_resolved = bool(
        engine.scalar(f"SELECT count(*) > 0 FROM {S.CONTACTS_TABLE} WHERE {S.IS_REPORTED_RESOLVED}")
    )
    disabled = disabled_metrics(facts, has_resolved=has_resolved)
    by = {
        f"by_{name}": _measure(engine, column, name, disabled) if getattr(facts, flag) else []
        for name, column, flag in _DIMENSIONS
    }
    return Metrics(
        overall=_measure(engine, "1", None, disabled)[0],
        **by,
        definitions=definitions(options),
        disabled=disabled,
        cost_basis=cost_basis(facts),
        journey_paths=journey_paths or [],
    )


def _measure(engine: Engine, group: str, name: str | None, disabled: dict[str, str]) -> list[dict[str, Any]]:
    contact = ",\n".join(f"{m.sql} AS {m.name}" for m in SPECS if m.level == "contact")
    journey = ",\n".join(f"{m.sql} AS {m.name}" for m in SPECS if m.level == "journey")
    journey_names = [m.name for m in SPECS if m.level == "journey" and m.name != "journeys"]
    rows = engine.rows(
        f"""
        WITH cm AS (
            SELECT {group} AS g, {contact} FROM {S.CONTACTS_TABLE} GROUP BY g
        ), jm AS (
            SELECT c.{group} AS g, {journey}
            FROM {S.JOURNEYS_TABLE} j
            JOIN (SELECT {S.JOURNEY_ID}, {group} FROM {S.CONTACTS_TABLE} WHERE {S.CONTACT_SEQ} = 1) c
              USING ({S.JOURNEY_ID})
            GROUP BY g
        )
        SELECT cm.*, coalesce(jm.journeys, 0) AS journeys,
               {", ".join(f"jm.{m}" for m in journey_names)}
        FROM cm LEFT JOIN jm ON cm.g IS NOT DISTINCT FROM jm.g
        ORDER BY cm.contacts DESC, cm.g ASC NULLS LAST
        """
        if name
        else f"""
        SELECT 1 AS g, * FROM (SELECT {contact} FROM {S.CONTACTS_TABLE}),
                              (SELECT {journey} FROM {S.JOURNEYS_TABLE})
        """
    )
    out = []
    for row in rows:
        values = {m: None if m in disabled else _clean(m, row[m]) for m in METRICS}
        out.append({name: row["g"], **values} if name else values)
    return out


def _clean(metric: str, value: Any) -> Any:
    """JSON-safe: Decimals to floats, NaN to None, rounded to the metric's precision."""
    digits = _BY_NAME[metric].digits
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and digits is None:
        return value
    number = float(value) if isinstance(value, Decimal | int | float) else value
    if isinstance(number, float):
        if not math.isfinite(number):
            return None
        return round(number, 4 if digits is None else digits)
    return number


__all__ = [
    "DIMENSIONS",
    "METRICS",
    "SPECS",
    "JourneyPath",
    "Metric",
    "MetricRow",
    "MetricSpec",
    "Metrics",
    "MetricsDoc",
    "core_metrics",
    "cost_basis",
    "definitions",
    "disabled_metrics",
]
