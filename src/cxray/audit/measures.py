"""The headline measures an audit compares, as one observation per unit from ``audit_contacts``.

Each measure is what ``cxray.metrics`` reports, taken apart into the units it averages, so the audit's
cell means are the diagnosis' numbers for that group and period and the bootstrap can resample customers:

==========================  ==================================================================================
``fcr``                     a journey's ``is_fcr`` (resolved with one contact), one unit per journey of an
                            identified customer, not censored; group and period of its first contact
``repeat_contact_rate``     ``has_repeat`` of uncensored contacts of identified customers
``transfer_rate``           ``is_transferred`` of every contact
``ping_pong_rate``          ``is_ping_pong`` of every contact
``escalation_rate``         ``is_escalated`` of every contact
``abandonment_rate``        ``is_abandoned`` of every contact
``true_containment_rate``   ``is_true_contained`` of uncensored self-service contacts with a customer
``handle_time``             ``handle_s`` of contacts a human handled (every contact with a handle time when
                            the log has no actor type or channel)
``cost_per_contact``        ``cost`` of contacts with a known cost
``cost_per_resolution``     a ratio of sums: the ``cost`` of uncensored journeys of identified customers
                            with a known cost over those of them resolved (``is_resolved``), one unit per
                            journey weighted by whether it was resolved (``did``'s ``weight``)
``survey_<type>``           the contact's mean survey score of that type (``csat``, ``nps``...) when the log
                            carries a ``survey_score`` attribute (``survey_score`` without a type)
``outcome=VALUE``           (when a trigger names it) 1 for a contact with an event of that outcome
                            (case-insensitive), over every contact: an error rate
==========================  ==================================================================================

A measure whose inputs the log lacks is disabled with ``metrics.disabled_metrics``' reason (``needs
customer_id``...).

The cluster of a unit is its customer; a contact without a customer id is its own cluster.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Final

import numpy as np

from .. import schema as S
from ..engine import Engine
from ..errors import ConfigError
from ..journeys import log_facts
from ..metrics import disabled_metrics
from ..sql import ident, sql_string
from .segments import AUDIT_CONTACTS, AUDIT_GROUP, AUDIT_PERIOD, AUDIT_WEEK
from .triggers import MEASURES, OUTCOME_PREFIX

__all__ = ["SPECS", "MeasureSpec", "Observations", "observe"]


@dataclass(frozen=True)
class MeasureSpec:
    """One measure: its name (as in ``triggers.MEASURES``), the unit value in SQL over ``audit_contacts``
    (alias ``a``; ``j`` is the contact's journey), which units count, and which way is better."""

    name: str
    label: str
    unit: str  # rate, seconds, money or score
    higher_is_better: bool
    value: str
    where: str
    definition: str
    metric: str  # the metrics.py name whose disabled reason applies ("" for none)
    weight: str = ""  # SQL of each unit's denominator, for a ratio of sums ("": a mean over units)


_ID = f"a.{S.CUSTOMER_ID} IS NOT NULL"
_UNCENSORED = f"NOT a.{S.IS_CENSORED}"


def _rate(column: str) -> str:
    return f"CAST(a.{column} AS DOUBLE)"


#: The measures built from the contacts and journeys tables, in the page's order.
SPECS: Final[tuple[MeasureSpec, ...]] = (
    MeasureSpec(
        "fcr", "First-contact resolution", "rate", True, f"CAST(j.{S.IS_FCR} AS DOUBLE)",
        f"a.{S.CONTACT_SEQ} = 1 AND {_ID} AND NOT j.{S.IS_CENSORED}",
        "journeys of identified customers resolved with one contact / their uncensored journeys", "fcr",
    ),
    MeasureSpec(
        "repeat_contact_rate", "Repeat contacts", "rate", False, _rate(S.HAS_REPEAT),
        f"{_UNCENSORED} AND {_ID}",
        "uncensored contacts of identified customers followed by another contact in their journey",
        "repeat_contact_rate",
    ),
    MeasureSpec(
        "transfer_rate", "Transfers", "rate", False, _rate(S.IS_TRANSFERRED), "TRUE",
        "contacts whose queue (or team) changed, or with an outcome 'transferred'", "transfer_rate",
    ),
    MeasureSpec(
        "ping_pong_rate", "Ping-pong", "rate", False, _rate(S.IS_PING_PONG), "TRUE",
        "contacts whose queue (or team) sequence returns X→Y→X", "ping_pong_rate",
    ),
    MeasureSpec(
        "escalation_rate", "Escalations", "rate", False, _rate(S.IS_ESCALATED), "TRUE",
        "contacts with an outcome 'escalated'", "escalation_rate",
    ),
    MeasureSpec(
        "abandonment_rate", "Abandonment", "rate", False, _rate(S.IS_ABANDONED), "TRUE",
        "contacts whose final outcome is 'abandoned'", "abandonment_rate",
    ),
    MeasureSpec(
        "true_containment_rate", "True containment", "rate", True, _rate(S.IS_TRUE_CONTAINED),
        f"a.{S.IS_SELF_SERVICE} AND {_UNCENSORED} AND a.{S.IS_TRUE_CONTAINED} IS NOT NULL",
        "uncensored self-service contacts contained with no other contact of the customer within the window",
        "true_containment_rate",
    ),
    MeasureSpec(
        "handle_time", "Handle time", "seconds", False, f"CAST(a.{S.HANDLE_S} AS DOUBLE)",
        f"a.{S.HANDLE_S} IS NOT NULL AND coalesce(a.{S.IS_HUMAN_HANDLED}, TRUE)",
        "handle seconds (sum of duration_s) of contacts a human handled", "handle_time_mean_s",
    ),
    MeasureSpec(
        "cost_per_contact", "Cost per contact", "money", False, f"CAST(a.{S.COST} AS DOUBLE)",
        f"a.{S.COST} IS NOT NULL", "cost of contacts with a known cost (the cost model's)",
        "cost_per_contact",
    ),
    MeasureSpec(
        "cost_per_resolution", "Cost per resolution", "money", False, f"CAST(j.{S.COST} AS DOUBLE)",
        f"a.{S.CONTACT_SEQ} = 1 AND {_ID} AND NOT j.{S.IS_CENSORED} AND j.{S.IS_RESOLVED} IS NOT NULL",
        "cost of uncensored journeys of identified customers / those of them resolved (a ratio of sums)",
        "cost_per_resolved_journey", weight=f"CAST(j.{S.IS_RESOLVED} AS DOUBLE)",
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Observations:
    """One measure's units: value, group (pilot True), period (after True), cluster and week, aligned."""

    spec: MeasureSpec
    value: np.ndarray
    pilot: np.ndarray
    after: np.ndarray
    customer: np.ndarray
    week: np.ndarray
    disabled: str | None = None  # why the log cannot give this measure (then the arrays are empty)
    weight: np.ndarray | None = None  # each unit's denominator for a ratio of sums (None: a mean)


def _survey_specs(engine: Engine) -> list[MeasureSpec]:
    """One score measure per survey type the events carry (scales differ, so they are never pooled)."""
    columns = set(engine.columns(S.EVENTS_TABLE))
    if S.SURVEY_SCORE not in columns:
        return []
    types: list[str | None] = [None]
    if S.SURVEY_TYPE in columns:
        rows = engine.rows(
            f"SELECT DISTINCT lower(trim({S.SURVEY_TYPE})) AS t FROM {S.EVENTS_TABLE} "
            f"WHERE TRY_CAST({S.SURVEY_SCORE} AS DOUBLE) IS NOT NULL ORDER BY t NULLS LAST"
        )
        types = [r["t"] for r in rows] or [None]
    specs = []
    for t in types:
        name = "survey_score" if t is None else f"survey_{t}"
        kind = "" if t is None else f" AND lower(trim(e.{S.SURVEY_TYPE})) = {sql_string(t)}"
        value = (
            f"(SELECT avg(TRY_CAST(e.{S.SURVEY_SCORE} AS DOUBLE)) FROM {S.EVENTS_TABLE} e "
            f"WHERE e.{S.CONTACT_ID} = a.{S.CONTACT_ID}{kind})"
        )
        label = "Survey score" if t is None else f"Survey: {t.upper() if len(t) <= 4 else t}"
        specs.append(
            MeasureSpec(name, label, "score", True, value, f"{value} IS NOT NULL",
                        f"the contact's mean {t or 'survey'} score, over contacts with one", "")
        )  # fmt: skip
    return specs


def _outcome_specs(engine: Engine, names: tuple[str, ...]) -> list[MeasureSpec]:
    """One rate per ``outcome=VALUE`` measure; a value no event carries is a ConfigError naming those
    that do (a typo would otherwise read as a rate of 0 that never fires)."""
    if not names:
        return []
    if S.OUTCOME not in set(engine.columns(S.EVENTS_TABLE)):
        raise ConfigError(f"{names[0]}: the log has no outcome column to count")
    seen = engine.rows(
        f"SELECT lower(trim({S.OUTCOME})) AS o, count(*) AS n FROM {S.EVENTS_TABLE} "
        f"WHERE {S.OUTCOME} IS NOT NULL GROUP BY 1 ORDER BY n DESC, o"
    )
    known = {r["o"] for r in seen}
    specs = []
    for name in dict.fromkeys(names):
        value = name[len(OUTCOME_PREFIX) :].strip().lower()
        if value not in known:
            top = ", ".join(repr(r["o"]) for r in seen[:12]) or "none"
            close = difflib.get_close_matches(value, sorted(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{name}: no event has the outcome {value!r}{hint}; the log's outcomes: {top}")
        flag = (
            f"CAST(a.{S.CONTACT_ID} IN (SELECT {S.CONTACT_ID} FROM {S.EVENTS_TABLE} "
            f"WHERE lower(trim({S.OUTCOME})) = {sql_string(value)}) AS DOUBLE)"
        )
        specs.append(
            MeasureSpec(name, f"Outcome '{value}'", "rate", False, flag, "TRUE",
                        f"contacts with an event whose outcome is '{value}'", "")
        )  # fmt: skip
    return specs


def observe(engine: Engine, *, outcomes: tuple[str, ...] = ()) -> list[Observations]:
    """Every measure's units from ``audit_contacts`` (pilot and control only), disabled ones included;
    ``outcomes``: the ``outcome=VALUE`` measures to add (those the triggers name)."""
    facts = log_facts(engine)
    has_resolved = bool(
        engine.scalar(f"SELECT count(*) > 0 FROM {S.CONTACTS_TABLE} WHERE {S.IS_REPORTED_RESOLVED}")
    )
    disabled = disabled_metrics(facts, has_resolved=has_resolved)
    out = []
    for spec in (*SPECS, *_survey_specs(engine), *_outcome_specs(engine, outcomes)):
        assert spec.name in MEASURES or spec.unit == "score" or spec.name.startswith(OUTCOME_PREFIX)
        why = disabled.get(spec.metric) if spec.metric else None
        if why is not None:
            empty = np.empty(0)
            out.append(Observations(spec, empty, empty.astype(bool), empty.astype(bool), empty, empty, why))
            continue
        weight = f"{spec.weight} AS d, " if spec.weight else ""
        has_weight = f" AND {spec.weight} IS NOT NULL" if spec.weight else ""
        table = engine.arrow(
            f"""
            SELECT {spec.value} AS v, {weight}
                   a.{AUDIT_GROUP} = 'pilot' AS pilot, a.{AUDIT_PERIOD} = 'after' AS after,
                   coalesce(a.{S.CUSTOMER_ID}, 'contact:' || a.{S.CONTACT_ID}) AS customer,
                   a.{AUDIT_WEEK} AS week
            FROM {ident(AUDIT_CONTACTS)} a
            LEFT JOIN {S.JOURNEYS_TABLE} j ON j.{S.JOURNEY_ID} = a.{S.JOURNEY_ID}
            WHERE a.{AUDIT_GROUP} IS NOT NULL AND ({spec.where}) AND {spec.value} IS NOT NULL
              {has_weight}
            ORDER BY a.{S.CONTACT_ID}
            """
        )
        d = table.column("d").to_numpy(zero_copy_only=False).astype(float) if spec.weight else None
        out.append(
            Observations(
                spec,
                value=table.column("v").to_numpy(zero_copy_only=False).astype(float),
                pilot=table.column("pilot").to_numpy(zero_copy_only=False).astype(bool),
                after=table.column("after").to_numpy(zero_copy_only=False).astype(bool),
                customer=np.asarray(table.column("customer").to_pylist(), dtype=object),
                week=table.column("week").to_numpy(zero_copy_only=False).astype(float),
                weight=d,
            )
        )
    return out
