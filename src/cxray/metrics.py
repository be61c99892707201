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

import math
from decimal import Decimal
from typing import Any

from . import schema as S
from .engine import Engine
from .errors import EngineError
from .journeys import LogFacts, log_facts
from .options import AnalysisOptions

# Breakdown name → contact-level column, and the LogFacts flag saying the column carries data.
_DIMENSIONS: tuple[tuple[str, str, str], ...] = (
    ("channel", S.ENTRY_CHANNEL, "has_channel"),
    ("team", S.FINAL_TEAM, "has_team"),
    ("reason", S.REASON, "has_reason"),
    ("queue", S.FINAL_QUEUE, "has_queue"),
)

# FCR and repeats are measured over contacts with a customer id: a contact without one is its own
# journey and would always look resolved first time (the unidentified share is shown beside them).
_IDENTIFIED = f"{S.CUSTOMER_ID} IS NOT NULL"

_CONTACT_SQL: dict[str, str] = {
    "contacts": "count(*)",
    "repeat_contact_rate": (
        f"count_if({S.HAS_REPEAT} AND NOT {S.IS_CENSORED} AND {_IDENTIFIED}) "
        f"/ nullif(count_if(NOT {S.IS_CENSORED} AND {_IDENTIFIED}), 0)"
    ),
    "reported_fcr": (
        f"count_if({S.IS_REPORTED_RESOLVED}) / nullif(count_if({S.FINAL_OUTCOME} IS NOT NULL), 0)"
    ),
    "unidentified_share": f"count_if({S.CUSTOMER_ID} IS NULL) / count(*)",
    "transfer_rate": f"avg(CAST({S.IS_TRANSFERRED} AS INTEGER))",
    "ping_pong_rate": f"avg(CAST({S.IS_PING_PONG} AS INTEGER))",
    "escalation_rate": f"avg(CAST({S.IS_ESCALATED} AS INTEGER))",
    "abandonment_rate": f"avg(CAST({S.IS_ABANDONED} AS INTEGER))",
    "containment_rate": f"count_if({S.IS_CONTAINED}) / nullif(count_if({S.IS_SELF_SERVICE}), 0)",
    "true_containment_rate": (
        f"count_if({S.IS_TRUE_CONTAINED}) / nullif(count_if({S.IS_SELF_SERVICE} AND NOT {S.IS_CENSORED} "
        f"AND {S.IS_TRUE_CONTAINED} IS NOT NULL), 0)"
    ),
    "handle_time_mean_s": f"avg({S.HANDLE_S})",
    "handle_time_median_s": f"median({S.HANDLE_S})",
    "cost_total": f"sum({S.COST})",
    "cost_per_contact": f"avg({S.COST})",
    "censored_contacts": f"count_if({S.IS_CENSORED})",
}

_JOURNEY_SQL: dict[str, str] = {
    "journeys": "count(*)",
    "contacts_per_journey": f"avg({S.N_CONTACTS})",
    "fcr": (
        f"count_if({S.IS_FCR} AND {_IDENTIFIED}) / nullif(count_if(NOT {S.IS_CENSORED} AND {_IDENTIFIED}), 0)"
    ),
    "cost_per_resolved_journey": (
        f"sum({S.COST}) FILTER (WHERE NOT {S.IS_CENSORED}) / nullif(count_if({S.IS_RESOLVED}), 0)"
    ),
}

#: Output order of the metrics in every row.
METRICS: tuple[str, ...] = (
    "contacts",
    "journeys",
    "contacts_per_journey",
    "fcr",
    "reported_fcr",
    "repeat_contact_rate",
    "unidentified_share",
    "transfer_rate",
    "ping_pong_rate",
    "escalation_rate",
    "abandonment_rate",
    "containment_rate",
    "true_containment_rate",
    "handle_time_mean_s",
    "handle_time_median_s",
    "cost_total",
    "cost_per_contact",
    "cost_per_resolved_journey",
    "censored_contacts",
)

# Decimal places per metric kind: shares 4, seconds 1, money 2, ratios 3.
_DIGITS: dict[str, int] = {
    **{m: 4 for m in METRICS if m.endswith(("_rate", "_share", "fcr"))},
    "handle_time_mean_s": 1,
    "handle_time_median_s": 1,
    "cost_total": 2,
    "cost_per_contact": 2,
    "cost_per_resolved_journey": 2,
    "contacts_per_journey": 3,
}


def definitions(options: AnalysisOptions = AnalysisOptions()) -> dict[str, str]:  # noqa: B008 - frozen
    """Each metric's formula in words (copied into ``diagnosis.json`` and docs/metrics.md)."""
    w = f"{options.window_days:g} days"
    return {
        "contacts": "number of contacts (distinct contact_id)",
        "journeys": f"number of journeys: a customer's contacts (same reason) chained within {w}",
        "contacts_per_journey": "contacts / journeys",
        "fcr": f"journeys of identified customers resolved with one contact / their journeys not censored "
        f"(ending > {w} before the data ends)",
        "reported_fcr": "contacts with an event whose outcome is 'resolved' / contacts with an outcome (what "
        "the systems' dispositions report, whether or not the customer came back; beside the measured fcr)",
        "repeat_contact_rate": f"uncensored contacts of identified customers followed by another contact in "
        f"their journey (within {w}) / those contacts",
        "unidentified_share": "contacts without a customer id / contacts (left out of fcr and repeat rate)",
        "transfer_rate": "contacts whose queue (or team) changed, or with an outcome 'transferred' "
        "/ contacts",
        "ping_pong_rate": "contacts whose collapsed queue (or team) sequence returns X→Y→X / contacts",
        "escalation_rate": "contacts with an event outcome 'escalated' / contacts",
        "abandonment_rate": "contacts whose final outcome is 'abandoned' / contacts",
        "containment_rate": "self-service contacts ending 'contained' with no agent or back-office event "
        "/ self-service contacts (as the bot or IVR reports it)",
        "true_containment_rate": f"contained contacts with no other contact of the customer on any "
        f"channel within {w} / uncensored self-service contacts with a customer",
        "handle_time_mean_s": "mean over contacts of the sum of duration_s",
        "handle_time_median_s": "median over contacts of the sum of duration_s",
        "cost_total": "sum of contact costs (handled minutes × rate + bot session fee; without handle times, "
        "minutes estimated per touch by actor type: see cost_basis)",
        "cost_per_contact": "cost_total / contacts with a known cost",
        "cost_per_resolved_journey": "cost of uncensored journeys / resolved journeys",
        "censored_contacts": f"contacts ending within {w} of the end of the data (their repeats are unknown)",
    }


def cost_basis(facts: LogFacts) -> str:
    """``handle_time`` when the log records work durations, else ``estimated_from_touches`` (costs.py)."""
    return "handle_time" if facts.has_duration else "estimated_from_touches"


def disabled_metrics(facts: LogFacts, *, has_resolved: bool = True) -> dict[str, str]:
    """Metric → why it cannot be computed from this log (absent when it can).

    ``has_resolved``: some contact's final outcome is ``resolved`` (a reported FCR needs the label).
    """
    needs: dict[str, list[str]] = {}

    def need(reason: str, *metrics: str) -> None:
        for m in metrics:
            needs.setdefault(m, []).append(reason)

    journey_metrics = ("journeys", "contacts_per_journey", "fcr", "repeat_contact_rate", "unidentified_share")
    if not facts.has_customer:
        need("needs customer_id", *journey_metrics, "true_containment_rate", "cost_per_resolved_journey")
    if not (facts.has_outcome and has_resolved):
        need("needs an outcome 'resolved'", "reported_fcr")
    if not facts.has_outcome:
        need(
            "needs outcome",
            "escalation_rate",
            "abandonment_rate",
            "containment_rate",
            "true_containment_rate",
        )
    if not facts.has_self_service_signal:
        need("needs actor_type or channel", "containment_rate", "true_containment_rate")
    if not (facts.has_routing or facts.has_outcome):
        need("needs queue, team or outcome", "transfer_rate")
    if not facts.has_routing:
        need("needs queue or team", "ping_pong_rate")
    if not facts.has_duration:
        # Costs are still estimated from touches (``metrics.cost_basis`` says so); handle times are not.
        need("needs duration_s", "handle_time_mean_s", "handle_time_median_s")
    return {m: "; ".join(needs[m]) for m in METRICS if m in needs}


def core_metrics(
    engine: Engine,
    *,
    options: AnalysisOptions = AnalysisOptions(),  # noqa: B008 - frozen, immutable default
) -> dict[str, Any]:
    """Measure the operation: overall, by channel/team/reason/queue, with definitions and disabled metrics.

    Returns a JSON-serialisable dict ``{"overall", "by_channel", "by_team", "by_reason", "by_queue",
    "definitions", "disabled"}``. Breakdown rows carry their key under the breakdown's name
    (``"channel"``...) and are ordered by contacts (descending), then key; a breakdown whose column is
    empty in the log is ``[]``.
    ``options`` must be those given to ``build_journeys``.
    """
    for table in (S.CONTACTS_TABLE, S.JOURNEYS_TABLE):
        if not engine.has_table(table):
            raise EngineError(f"table {table!r} is missing: run journeys.build_journeys first")
    facts = log_facts(engine)
    has_resolved = bool(
        engine.scalar(f"SELECT count(*) > 0 FROM {S.CONTACTS_TABLE} WHERE {S.IS_REPORTED_RESOLVED}")
    )
    disabled = disabled_metrics(facts, has_resolved=has_resolved)
    result: dict[str, Any] = {"overall": _measure(engine, "1", None, disabled)[0]}
    for name, column, flag in _DIMENSIONS:
        result[f"by_{name}"] = _measure(engine, column, name, disabled) if getattr(facts, flag) else []
    result["definitions"] = definitions(options)
    result["disabled"] = disabled
    result["cost_basis"] = cost_basis(facts)
    return result


def _measure(engine: Engine, group: str, name: str | None, disabled: dict[str, str]) -> list[dict[str, Any]]:
    contact = ",\n".join(f"{sql} AS {m}" for m, sql in _CONTACT_SQL.items())
    journey = ",\n".join(f"{sql} AS {m}" for m, sql in _JOURNEY_SQL.items())
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
               {", ".join(f"jm.{m}" for m in _JOURNEY_SQL if m != "journeys")}
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
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and metric not in _DIGITS:
        return value
    number = float(value) if isinstance(value, Decimal | int | float) else value
    if isinstance(number, float):
        if not math.isfinite(number):
            return None
        return round(number, _DIGITS.get(metric, 4))
    return number


__all__ = ["METRICS", "core_metrics", "cost_basis", "definitions", "disabled_metrics"]
