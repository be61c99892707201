"""The incentives assessment: each party's KPI beside the outcomes its work leads to.

Staging (events with their party; contacts with their closer and the customer's next contact), the party
table and each party's weekly halves, as one typed :class:`IncentiveAssessment`. The findings IN01-IN03 are
the detectors' (``cxray.findings.incentive_kpi``, ``incentive_containment``, ``incentive_trend``): they read
the assessment and price their follow-ups with :meth:`IncentiveAssessment.follow_ups`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from typing_extensions import TypedDict

from .. import schema as S
from ..costs import CostModel
from ..engine import Engine
from ..findings.base import FindingDoc, claims_select
from ..options import AnalysisOptions
from ..sql import days_us, dyadic, exact_sum, ident, in_list, integer, pair_key, sql_string
from .parties import KPIS, IncentiveOptions, Party

if TYPE_CHECKING:
    from ..findings.base import Finding
    from ..findings.context import DetectorContext

SURVEY_COLUMNS: Final = S.SURVEY_COLUMNS
#: The finding codes of the incentive detectors: the ``incentives`` section lists these findings.
INCENTIVE_CODES: Final = ("IN01", "IN02", "IN03")
#: The staged per-contact table while an assessment is open (``IncentiveAssessment.table``).
CONTACTS: Final = "_cx_inc_cc"
#: What ``stage_incentive_tables`` stages per customer: each contact's columns beyond its own in the
#: staged table, and each (party, contact) a party worked on (its own seconds there, the contact's closer
#: and containment).
EXTRAS: Final = "_cx_inc_extras"
TOUCHES: Final = "_cx_inc_touch"
_EVENTS: Final = "_cx_inc_pev"
_FAILED = (S.ABANDONED, S.UNRESOLVED)


class IncentivesDoc(TypedDict):
    """``incentives`` in ``diagnosis.json``: each party's KPI beside its outcomes, and the IN findings."""

    currency: str
    kpi_source: str
    parties: list[dict[str, Any]]
    findings: list[FindingDoc]


@dataclass(frozen=True, kw_only=True)
class IncentiveAssessment:
    """The party table of a run, and the staged per-contact table the incentive detectors query.

    ``parties``: one row per party (KPI beside outcomes; see the package docstring), sorted by contacts
    closed descending, then name. ``weekly``: per closing party, its first and second half of weeks
    (``1``, ``2``: ``weeks, handle_s, n, reps``). ``table`` (one row per contact: ``closer``, ``score``,
    ``next_id, next_start, next_handle, next_cost, next_closer``, ``followed``) lives until :meth:`close`.
    ``findings`` is filled by :func:`assess_incentives` only; in a diagnosis the detectors own them.
    """

    engine: Engine = field(repr=False, compare=False)
    table: str
    currency: str
    kpi_source: str
    parties: tuple[dict[str, Any], ...]
    weekly: dict[str, dict[int, Any]] = field(repr=False)
    thresholds: IncentiveOptions
    findings: tuple[Finding, ...] = ()

    @property
    def humans(self) -> list[dict[str, Any]]:
        """The parties that are not self-service (teams, vendors, actor types)."""
        return [p for p in self.parties if not p["self_service"]]

    def section(self, all_findings: list[FindingDoc]) -> IncentivesDoc:
        """The ``incentives`` section of diagnosis.json: the party table and the incentive findings as
        the breakdown ranking priced them (``all_findings``)."""
        return {
            "currency": self.currency,
            "kpi_source": self.kpi_source,
            "parties": list(self.parties),
            "findings": [f for f in all_findings if f["code"] in INCENTIVE_CODES],
        }

    def close(self) -> None:
        """Drop the staged table (the findings' claims read it: close after pricing them)."""
        self.engine.execute(f"DROP TABLE IF EXISTS {self.table}")

    # --- what the detectors ask ------------------------------------------------------------------
    def expected_repeats(self) -> dict[str, dict[str, float]]:
        """Per human party: its uncensored closes and repeats in reasons that other parties also close,
        and the repeats expected there at the other parties' rate for each reason (indirect
        standardisation, so a team given the hard reasons is not blamed for them)."""
        rows = self.engine.rows(
            f"""WITH b AS (
                SELECT closer, coalesce({S.REASON}, '') AS r, count(*) AS n,
                       count(*) FILTER (WHERE {S.HAS_REPEAT}) AS reps
                FROM {self.table} WHERE NOT {S.IS_CENSORED} AND closer IN (SELECT unnest(?)) GROUP BY ALL
            ), t AS (SELECT r, sum(n) AS n, sum(reps) AS reps FROM b GROUP BY r)
            SELECT b.closer, sum(b.n) AS n, sum(b.reps) AS reps,
                   {exact_sum("b.n * (t.reps - b.reps) / (t.n - b.n)")} AS expected
            FROM b JOIN t USING (r) WHERE t.n > b.n GROUP BY b.closer ORDER BY b.closer""",
            [[p["party"] for p in self.humans]],
        )
        return {r["closer"]: {k: float(r[k] or 0) for k in ("n", "reps", "expected")} for r in rows}

    def human_follow_rate(self) -> float:
        """The rate at which the human parties' uncensored closes are followed by another contact (any
        channel, any reason) within the window."""
        return float(
            self.engine.scalar(
                f"SELECT coalesce(avg(CAST(followed AS DOUBLE)), 0) FROM {self.table} "
                f"WHERE NOT {S.IS_CENSORED} AND closer IN (SELECT unnest(?))",
                [[q["party"] for q in self.humans]],
            )
        )

    def came_back(self, party: str) -> tuple[int, int]:
        """Of the contacts ``party`` closed as contained: those not truly contained, and those known."""
        false_n, known = self.engine.rows(
            f"SELECT count(*) FILTER (WHERE NOT {S.IS_TRUE_CONTAINED}) AS f, "
            f"count({S.IS_TRUE_CONTAINED}) AS k FROM {self.table} WHERE closer = ? AND {S.IS_CONTAINED}",
            [party],
        )[0].values()
        return int(false_n), int(known)

    def follow_ups(
        self, p: dict[str, Any], avoidable: float, *, evidence: dict[str, Any], match: str
    ) -> dict[str, Any]:
        """A finding's fields for party row ``p``: ``avoidable`` contacts priced at the mean handle and
        cost of the follow-ups in ``match`` (SQL over the staged table as ``c``), where those follow-ups
        landed (effort migration, ``evidence.migrates_to``) and the claims on them."""
        r = self.engine.rows(
            f"""SELECT count(*) AS n, count(DISTINCT c.{S.CUSTOMER_ID}) AS customers,
                   avg(c.next_handle) AS next_h, avg(c.next_cost) AS next_cost,
                   list_slice(list(c.{S.CONTACT_ID} ORDER BY c.{S.CONTACT_ID}), 1,
                              {integer(self.thresholds.examples)}) AS examples
            FROM {self.table} c WHERE c.closer = ? AND {match}""",
            [p["party"]],
        )[0]
        landing = self.engine.rows(
            f"""SELECT coalesce(c.next_closer, '(unknown)') AS party, count(*) AS contacts,
                   avg(c.next_handle) AS handle_s
            FROM {self.table} c WHERE c.closer = ? AND {match}
            GROUP BY ALL ORDER BY contacts DESC, party LIMIT 5""",
            [p["party"]],
        )
        own = p["handle_s"]
        migrates = [
            {"party": x["party"], "contacts": int(x["contacts"]), "handle_s": num(x["handle_s"], 1),
             "longer_than_own": num(ratio(x["handle_s"], own), 3) if own else None}
            for x in landing
        ]  # fmt: skip
        minutes = avoidable * (r["next_h"] or 0) / 60
        cost = avoidable * r["next_cost"] if r["next_cost"] is not None else None
        # The follow-ups are the avoidable work; each carries the avoidable fraction of them (the excess).
        share = min(1.0, avoidable / r["n"]) if r["n"] else 0.0
        columns = claims_select("c.next_id", repr(share), "1", "c.next_handle / 60.0", "c.next_cost")
        claims = (
            f"SELECT {columns} FROM {self.table} c "
            f"WHERE c.closer = {sql_string(p['party'])} AND c.next_id IS NOT NULL AND {match}"
        )
        return {
            "where": {S.ACTOR_TYPE if p["self_service"] else S.TEAM: p["party"]},
            "contacts_affected": int(r["n"]),
            "avoidable_contacts": round(avoidable, 1),
            "avoidable_minutes": round(minutes, 1),
            "avoidable_cost": 0.0 if cost is None else round(cost, 2),  # no costs known: nothing priced
            "customers_affected": int(r["customers"]),
            "evidence": {
                **evidence,
                "currency": self.currency,
                "migrates_to": migrates,
                "examples": r["examples"],
            },
            "claims_sql": claims,
        }


def stage_incentives(
    engine: Engine,
    *,
    parties: tuple[Party, ...] | None = None,
    options: AnalysisOptions = AnalysisOptions(),  # noqa: B008 - frozen
    costs: CostModel = CostModel(),  # noqa: B008 - frozen
    thresholds: IncentiveOptions = IncentiveOptions(),  # noqa: B008 - frozen
    table: str = CONTACTS,
    staged: tuple[str, str] | None = None,
) -> IncentiveAssessment:
    """Stage the per-contact table (as ``table``) and build the party table; the caller closes it.

    Needs ``contacts`` from :func:`cxray.journeys.build_journeys` (built here when missing).
    ``staged``: the ``extras`` and ``touches`` tables of :func:`stage_incentive_tables`, made from parts
    of the customers (Spark's partitions), read instead of the events (they stay the caller's).
    """
    if not engine.has_table(S.CONTACTS_TABLE):
        from ..journeys import build_journeys

        build_journeys(engine, options=options, costs=costs)
    extras, touches = staged or stage_incentive_tables(engine, options=options)
    try:
        engine.execute(
            f"""CREATE OR REPLACE TEMP TABLE {table} AS
            SELECT k.*, x.* EXCLUDE ({S.CONTACT_ID})
            FROM {S.CONTACTS_TABLE} k JOIN {extras} x USING ({S.CONTACT_ID})"""
        )
        rows = _party_table(engine, parties, table, touches)
        weekly = _weekly(engine, table)
    except BaseException:
        engine.execute(f"DROP TABLE IF EXISTS {table}")
        raise
    finally:
        if not staged:
            for name in (extras, touches):
                engine.execute(f"DROP TABLE IF EXISTS {name}")
    return IncentiveAssessment(
        engine=engine,
        table=table,
        currency=costs.currency,
        kpi_source="declared" if parties else "default",
        parties=tuple(rows),
        weekly=weekly,
        thresholds=thresholds,
    )


def assessment_for(ctx: DetectorContext) -> IncentiveAssessment:
    """The run's assessment (``ctx.incentives``); a detector run outside ``diagnose`` stages one with the
    default parties, once per context, dropped with the context's other staged tables."""
    if ctx.incentives is None:
        ctx.incentives = stage_incentives(
            ctx.engine, options=ctx.options, costs=ctx.costs, table=ctx.staged("incentive_contacts")
        )
    return ctx.incentives


def assess_incentives(
    engine: Engine,
    *,
    parties: tuple[Party, ...] | None = None,
    options: AnalysisOptions = AnalysisOptions(),  # noqa: B008 - frozen
    costs: CostModel = CostModel(),  # noqa: B008 - frozen
    thresholds: IncentiveOptions = IncentiveOptions(),  # noqa: B008 - frozen
) -> IncentiveAssessment:
    """The party table and the misalignment findings (IN01-IN03), on their own (outside ``diagnose``).

    Findings are sorted by avoidable cost descending, priced by the detectors themselves (not
    de-duplicated against other detectors: ``diagnose`` does that); the staged table is dropped.
    """
    import dataclasses

    from ..findings.incentive_containment import InflatedContainment
    from ..findings.incentive_kpi import KpiHidesRepeats
    from ..findings.incentive_trend import KpiImprovesOutcomeWorsens

    assessment = stage_incentives(
        engine, parties=parties, options=options, costs=costs, thresholds=thresholds
    )
    try:
        found = [
            dataclasses.replace(f, claims_sql=None)  # the staged table they read is dropped next
            for d in (KpiHidesRepeats(), InflatedContainment(), KpiImprovesOutcomeWorsens())
            for f in d.assess(assessment)
        ]
    finally:
        assessment.close()
    return dataclasses.replace(assessment, findings=tuple(sorted(found, key=finding_order)))


def finding_order(f: Finding) -> tuple[Any, ...]:
    """Incentive findings by avoidable cost descending, then contacts, code and title."""
    return (-(f.avoidable_cost or 0), -f.avoidable_contacts, f.code, f.title)


# --- staging ------------------------------------------------------------------------------------------
def _party_expr() -> str:
    ss = in_list(S.SELF_SERVICE)
    # The customer and the system are not parties anyone pays: their events never make a closer.
    not_parties = in_list((S.CUSTOMER, S.SYSTEM))
    return (
        f"CASE WHEN lower({S.ACTOR_TYPE}) IN {ss} THEN lower({S.ACTOR_TYPE}) "
        f"WHEN lower({S.CHANNEL}) IN {ss} AND {S.ACTOR_TYPE} IS NULL THEN lower({S.CHANNEL}) "
        f"WHEN {S.TEAM} IS NOT NULL THEN {S.TEAM} "
        f"WHEN lower({S.ACTOR_TYPE}) IN {not_parties} THEN NULL ELSE {S.ACTOR_TYPE} END"
    )


def _survey_column(engine: Engine) -> str | None:
    cols = {c.lower(): c for c in engine.columns(S.EVENTS_TABLE)}
    return next((cols[c] for c in SURVEY_COLUMNS if c in cols), None)


def stage_incentive_tables(
    engine: Engine,
    *,
    options: AnalysisOptions = AnalysisOptions(),  # noqa: B008 - frozen
    extras: str = EXTRAS,
    touches: str = TOUCHES,
) -> tuple[str, str]:
    """From ``events`` and ``contacts``: ``extras``, one row per contact (``contact_id``, its closer,
    survey score and the customer's next contact, any channel or reason, and whether that came within
    the window); ``touches``, each (party, contact) worked. Per
    customer, so parts of the customers (Spark's partitions) stage their share. Returns the two names."""
    try:
        _stage(engine, options, extras, touches)
    finally:
        engine.execute(f"DROP VIEW IF EXISTS {_EVENTS}")
    return extras, touches


def _stage(engine: Engine, options: AnalysisOptions, extras: str, touches: str = TOUCHES) -> None:
    """``stage_incentive_tables``, leaving the view of the events with their party (``_cx_inc_pev``)."""
    survey = _survey_column(engine)
    score = f"TRY_CAST({ident(survey)} AS DOUBLE)" if survey else "CAST(NULL AS DOUBLE)"
    engine.execute(
        # a view: its two readers each compute the party again, cheaper than storing 10M events' worth
        # (at 10M the table took 1 s to write)
        f"""CREATE OR REPLACE TEMP VIEW {_EVENTS} AS
        SELECT {S.CONTACT_ID}, "{S.TIMESTAMP}" AS ts, {S.SOURCE_ROW} AS r, {_party_expr()} AS party,
               {dyadic(S.DURATION_S)} AS dur, {score} AS score
        FROM {S.EVENTS_TABLE}"""
    )
    win = integer(days_us(options.window_days))
    last = pair_key("epoch_us(ts)", "coalesce(r, 0)", 40)  # source rows below 2**40
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {extras} AS
        WITH closer AS (
            -- the last party by (time, source row; a missing row, as in a table built by hand, first)
            -- that is not NULL: arg_max skips NULLs
            SELECT {S.CONTACT_ID}, arg_max(party, {last}) AS closer,
                   {dyadic("avg(score)")} AS score
            FROM {_EVENTS} GROUP BY {S.CONTACT_ID}
        ), nxt AS (
            -- the window sorts only what it reads; the contacts' other columns join back by id
            SELECT k.{S.CONTACT_ID}, k.{S.CUSTOMER_ID}, k.{S.END_TS}, cl.closer, cl.score,
                   lead(k.{S.CONTACT_ID}) OVER nxt AS next_id,
                   lead(k.{S.START_TS}) OVER nxt AS next_start,
                   lead(k.{S.HANDLE_S}) OVER nxt AS next_handle, lead(k.{S.COST}) OVER nxt AS next_cost,
                   lead(cl.closer) OVER nxt AS next_closer
            FROM (
                SELECT {S.CONTACT_ID}, {S.CUSTOMER_ID}, {S.START_TS}, {S.END_TS}, {S.HANDLE_S}, {S.COST}
                FROM {S.CONTACTS_TABLE}
            ) k JOIN closer cl USING ({S.CONTACT_ID})
            WINDOW nxt AS (PARTITION BY k.{S.CUSTOMER_ID} ORDER BY k.{S.START_TS}, k.{S.CONTACT_ID})
        )
        SELECT {S.CONTACT_ID}, closer, score, next_id, next_start, next_handle, next_cost, next_closer,
               {S.CUSTOMER_ID} IS NOT NULL AND next_id IS NOT NULL
               AND epoch_us(next_start) - epoch_us({S.END_TS}) <= {win} AS followed
        FROM nxt"""
    )
    # each (party, contact) first, then its contact's columns: joining every event to them took longer
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {touches} AS
        SELECT p.party, p.{S.CONTACT_ID}, p.own_s, x.closer,
               k.{S.IS_CONTAINED} AS contained, k.{S.IS_TRUE_CONTAINED} AS true_c
        FROM (
            SELECT party, {S.CONTACT_ID}, sum(dur) AS own_s FROM {_EVENTS}
            WHERE party IS NOT NULL GROUP BY party, {S.CONTACT_ID}
        ) p JOIN {extras} x USING ({S.CONTACT_ID}) JOIN {S.CONTACTS_TABLE} k USING ({S.CONTACT_ID})"""
    )


def _party_table(
    engine: Engine, parties: tuple[Party, ...] | None, table: str, touches: str
) -> list[dict[str, Any]]:
    failed = in_list(_FAILED)
    rows = engine.rows(
        f"""WITH touch AS (SELECT * FROM {touches}), t AS (
            SELECT party, count(*) AS touched, avg(own_s) AS handle_s,
                   count(*) FILTER (WHERE closer IS DISTINCT FROM party) AS transfers_out,
                   count(*) FILTER (WHERE contained) AS contained,
                   count(*) FILTER (WHERE true_c) AS true_contained,
                   count(true_c) AS containment_known
            FROM touch GROUP BY party
        ), k AS (
            SELECT closer AS party, count(*) AS closed,
                   count(*) FILTER (WHERE NOT {S.IS_CENSORED}) AS uncensored,
                   count(*) FILTER (WHERE NOT {S.IS_CENSORED} AND {S.HAS_REPEAT}) AS repeats,
                   count(*) FILTER (WHERE NOT {S.IS_CENSORED} AND NOT {S.HAS_REPEAT}
                                    AND coalesce({S.FINAL_OUTCOME}, '') NOT IN {failed}) AS resolved,
                   sum({S.COST}) AS cost, sum(next_cost) FILTER (WHERE {S.HAS_REPEAT}) AS repeat_cost,
                   avg(epoch_us({S.END_TS}) - epoch_us({S.START_TS})) / 1e6 AS close_s, avg(score) AS survey,
                   avg(next_handle) FILTER (WHERE followed) AS next_handle_s,
                   avg(next_cost) FILTER (WHERE followed) AS next_cost
            FROM {table} WHERE closer IS NOT NULL GROUP BY closer
        )
        SELECT t.party, t.touched, t.handle_s, t.transfers_out, t.contained, t.true_contained,
               t.containment_known, coalesce(k.closed, 0) AS closed, coalesce(k.uncensored, 0) AS uncensored,
               coalesce(k.repeats, 0) AS repeats, coalesce(k.resolved, 0) AS resolved, k.cost, k.repeat_cost,
               k.close_s, k.survey, k.next_handle_s, k.next_cost
        FROM t LEFT JOIN k USING (party) ORDER BY closed DESC, t.party"""
    )
    declared = {p.name: p for p in parties or ()}
    out = []
    for r in rows:
        self_service = r["party"] in S.SELF_SERVICE
        party = declared.get(r["party"]) or Party(
            name=r["party"], kpi="containment" if self_service else "handle_time"
        )
        rates = {
            "containment": ratio(r["contained"], r["touched"]),
            "handle_time": num(r["handle_s"], 1),
            "cost_per_contact": num(ratio(r["cost"], r["closed"]), 2),
            "speed_to_close": num(r["close_s"], 1),
        }
        cost_all = (r["cost"] or 0) + (r["repeat_cost"] or 0) if r["cost"] is not None else None
        out.append(
            {
                "party": r["party"],
                "self_service": self_service,
                "kpi": party.kpi,
                "kpi_value": rates[party.kpi],
                "kpi_target": party.target,
                "touched": int(r["touched"]),
                "closed": int(r["closed"]),
                "uncensored_closed": int(r["uncensored"]),
                "repeats_caused": int(r["repeats"]),
                "repeat_rate": ratio(r["repeats"], r["uncensored"]),
                "true_resolution": ratio(r["resolved"], r["uncensored"]),
                "containment": rates["containment"] if self_service else None,
                "true_containment": ratio(r["true_contained"], r["containment_known"])
                if self_service
                else None,
                "transfer_out_rate": ratio(r["transfers_out"], r["touched"]),
                "handle_s": rates["handle_time"],
                "cost_per_contact": rates["cost_per_contact"],
                "speed_to_close_s": rates["speed_to_close"],
                "cost_per_resolved": num(ratio(cost_all, r["resolved"]), 2),
                S.SURVEY_SCORE: num(r["survey"], 3),
                "repeat_handle_s": num(r["next_handle_s"], 1),
                "repeat_cost": num(r["next_cost"], 2),
            }
        )
    return out


def _weekly(engine: Engine, table: str) -> dict[str, dict[int, Any]]:
    """Per party closer: repeat rate and mean handle in the first and second half of its weeks."""
    rows = engine.rows(
        f"""WITH c AS (
            SELECT closer, date_trunc('week', {S.START_TS}) AS wk, {S.HAS_REPEAT} AS rep, {S.HANDLE_S} AS h,
                   {S.IS_CENSORED} AS cens
            FROM {table} WHERE closer IS NOT NULL
        ), h AS (
            SELECT *, CASE WHEN wk < (min(wk) OVER p + (max(wk) OVER p - min(wk) OVER p) / 2)
                      THEN 1 ELSE 2 END AS half,
                   count(DISTINCT wk) OVER p AS weeks
            FROM c WINDOW p AS (PARTITION BY closer)
        )
        SELECT closer, half, any_value(weeks) AS weeks, avg(h) AS handle_s,
               count(*) FILTER (WHERE NOT cens) AS n, count(*) FILTER (WHERE NOT cens AND rep) AS reps
        FROM h GROUP BY closer, half ORDER BY closer, half"""
    )
    out: dict[str, dict[int, Any]] = {}
    for r in rows:
        out.setdefault(r["closer"], {})[int(r["half"])] = r
    return out


def kpi_looks_good(p: dict[str, Any], peers: list[dict[str, Any]]) -> bool:
    """Party row ``p``'s KPI meets its target, or (no target) is at least as good as the peers' median."""
    value = p["kpi_value"]
    if value is None:
        return False
    higher = KPIS[p["kpi"]]
    ref = p["kpi_target"] if p["kpi_target"] is not None else median(peers, p["kpi"])
    if ref is None:
        return False
    return value >= ref if higher else value <= ref


_KPI_COLUMN: Final = {
    "containment": "containment",
    "handle_time": "handle_s",
    "cost_per_contact": "cost_per_contact",
    "speed_to_close": "speed_to_close_s",
}


def median(rows: list[dict[str, Any]], kpi: str) -> float | None:
    """The median of ``kpi`` over party rows (None when no row has it)."""
    values = sorted(v for v in (r[_KPI_COLUMN[kpi]] for r in rows) if v is not None)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def ratio(a: Any, b: Any) -> float | None:
    return None if a is None or not b else round(float(a) / float(b), 6)


def num(x: Any, digits: int) -> float | None:
    return None if x is None else round(float(x), digits)
