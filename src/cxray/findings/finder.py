"""Run the detectors, price their claims in one currency, de-duplicate, rank, and summarise.

De-duplication: every contact carrying avoidable work is allocated to exactly one finding, the one with
the largest gross avoidable cost among those claiming it (then minutes, contacts, detector order), so the
shares of avoidable cost sum to at most 1 and no contact is counted twice. A finding that loses more than
``merge_ratio`` of its gross cost that way is reported as merged into the finding that took most of it.
"""

from __future__ import annotations

import dataclasses
import functools
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import duckdb
from typing_extensions import TypedDict

from .. import schema as S
from ..costs import CostModel
from ..engine import Engine, arrow_from_lists
from ..errors import ConfigError, EngineError
from ..journeys import LogFacts
from ..options import AnalysisOptions
from ..quality import DataQuality
from ..sql import exact
from .base import CLAIM_COLUMNS, Detector, Finding, FindingDoc
from .context import SHARED, DetectorContext, StagedTables
from .grouping import Breakdown, DetectorRole, group_findings
from .registry import default_detectors

if TYPE_CHECKING:
    from ..incentives import IncentiveAssessment

R = TypeVar("R")

CLAIMS = "_cxray_fx_claims"
RAW_CLAIMS = "_cxray_fx_raw_claims"  # each finding's claims as read (``_read_claims``)


class SetAsideDoc(TypedDict):
    code: str
    title: str
    reason: str


class BreakdownSummary(TypedDict):
    """``breakdown_summary`` in ``diagnosis.json``: totals over all findings and what the top explains."""

    measure: Literal["cost", "minutes", "contacts"]
    cost_basis: str
    currency: str
    total_avoidable_cost: float
    total_avoidable_minutes: float
    total_avoidable_contacts: float
    total_customer_days_waited: float
    open_days: float
    n_findings: int
    n_merged: int
    n_breakdowns: int
    top: int
    pareto_share: float
    set_aside: list[SetAsideDoc]
    contacts: int


class SymptomDoc(TypedDict):
    """A finding a breakdown absorbed: what it is, where, and its own (already de-duplicated) numbers."""

    code: str
    title: str
    where: dict[str, str]
    contacts_affected: int
    avoidable_contacts: float
    avoidable_minutes: float
    avoidable_cost: float
    customer_days_waited: float


class BreakdownDoc(FindingDoc):
    """A ranked breakdown: its lead finding (the cause) with the numbers of the whole failure point, the
    failure point named (``cause``), its ``scope`` (one finding, one entity, or process-wide) and the
    findings it absorbed (``symptoms``)."""

    cause: str
    scope: Literal["finding", "entity", "process"]
    share_of_waiting: float
    symptoms: list[SymptomDoc]


class FinderResult(TypedDict):
    breakdowns: list[BreakdownDoc]
    summary: BreakdownSummary
    all_findings: list[FindingDoc]


@dataclass(frozen=True, kw_only=True)
class FinderOptions:
    """How findings are combined.

    Attributes
    ----------
    merge_ratio:
        A finding keeping less than this share of its gross avoidable cost after de-duplication is merged.
    rare_share, severe_factor:
        A finding touching less than ``rare_share`` of all contacts whose avoidable cost per affected
        contact is at least ``severe_factor`` times the median of all findings is *set aside* as rare but
        severe: ranked after the others and named in the summary with the reason. A painful journey that
        few customers take deserves less attention than a mediocre one that creates repeats all day.
    rollup_min:
        Findings about pairs (ping-pong between two teams) of one detector roll up into one process-wide
        breakdown when there are at least this many (``cxray.findings.grouping``).
    """

    merge_ratio: float = 0.5
    rare_share: float = 0.01
    severe_factor: float = 3.0
    rollup_min: int = 3

    def __post_init__(self) -> None:
        if (
            not 0 <= self.merge_ratio <= 1
            or not 0 <= self.rare_share <= 1
            or self.severe_factor < 0
            or self.rollup_min < 2
        ):
            raise ConfigError(f"invalid finder options: {self}")


def find_breakdowns(
    engine: Engine,
    *,
    options: AnalysisOptions = AnalysisOptions(),  # noqa: B008 - frozen
    costs: CostModel = CostModel(),  # noqa: B008 - frozen
    detectors: list[Detector] | None = None,
    top: int = 5,
    finder: FinderOptions = FinderOptions(),
    quality: DataQuality | None = None,
    incentives: IncentiveAssessment | None = None,
    keep_contacts: bool = False,
    staged: StagedTables | None = None,
) -> FinderResult:
    """The breakdowns behind most avoidable cost, from ``events``, ``contacts`` and ``journeys``.

    Returns ``{"breakdowns": [...top findings as dicts], "summary": {...}, "all_findings": [...]}``.
    ``detectors`` defaults to one instance of every registered detector. The tables ``contacts`` and
    ``journeys`` must have been built (``journeys.build_journeys``) with the same options and costs.
    ``quality``: what the data-quality guards found (opening hours keep closed-hour contacts out of the
    abandonment hot spots). ``incentives``: the run's incentives assessment, which the IN detectors read
    (staged on demand with the default parties when None). ``keep_contacts`` leaves the table
    ``finding_contacts`` (``code, title, contact_id``): the contacts each finding claims avoidable work
    on, before de-duplication, for analyses that compare them with the rest (the voice of the customer).
    ``staged``: the detectors' tables already in the engine (``stage_breakdowns``, run with the same
    ``detectors`` in the same order): their ``stage`` is not run again, and built-in detectors read no
    events then.
    """
    if top < 1:
        raise ConfigError(f"top must be >= 1, got {top}")
    needed = (S.CONTACTS_TABLE, S.JOURNEYS_TABLE) + (() if staged else (S.EVENTS_TABLE,))
    for table in needed:
        if not engine.has_table(table):
            raise ConfigError(f"table {table!r} is missing: build journeys before finding breakdowns")
    ctx = DetectorContext(
        engine=engine,
        options=options,
        costs=costs,
        quality=quality or DataQuality(),
        incentives=incentives,
        whole_log=staged.facts if staged else None,
    )
    if staged:
        ctx.adopt(staged)
    try:
        found: list[Finding] = []
        chosen = detectors if detectors is not None else default_detectors()
        roles = {
            d.code: DetectorRole(
                points=d.failure_points, symptom=d.is_symptom, downstream=d.downstream_points
            )
            for d in chosen
        }
        engine.execute(
            f"CREATE OR REPLACE TEMP TABLE {RAW_CLAIMS} (fid BIGINT, {S.CONTACT_ID} VARCHAR, share DOUBLE, "
            "units DOUBLE, minutes DOUBLE, cost DOUBLE)"
        )
        for k, detector in enumerate(chosen):
            if staged and k in staged.by_detector:
                ctx.take(staged.by_detector[k])
            else:
                _run(detector, functools.partial(detector.stage, ctx))
            new = _run(detector, functools.partial(detector.detect, ctx))
            _read_claims(engine, new, first=len(found))
            found.extend(new)
            ctx.release_scratch()
            later = [None if d.reads is None else d.reads | d.stage_reads for d in chosen[k + 1 :]]
            if all(r is not None for r in later):  # every detector still to run said what it reads
                ctx.release_shared({name for r in later if r is not None for name in r})
        priced = _price(engine, found, finder)
        if keep_contacts:
            _keep_contacts(engine, found)
    finally:
        ctx.close()
        engine.execute(f"DROP TABLE IF EXISTS {CLAIMS}")
        engine.execute(f"DROP TABLE IF EXISTS {RAW_CLAIMS}")
    basis = "handle_time" if ctx.facts.has_duration else "estimated_from_touches"
    return _summarise(engine, priced, top, finder, costs, basis, roles)


#: The contacts each finding claims (``find_breakdowns(keep_contacts=True)``).
FINDING_CONTACTS = "finding_contacts"


def _keep_contacts(engine: Engine, found: list[Finding]) -> None:
    names = arrow_from_lists(
        {
            "fid": ("BIGINT", range(len(found))),
            "code": ("VARCHAR", [f.code for f in found]),
            "title": ("VARCHAR", [f.title for f in found]),
        }
    )
    engine.register("_cx_fx_names", names)
    try:
        has_claims = engine.has_table(CLAIMS)
        engine.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {FINDING_CONTACTS} AS
            SELECT DISTINCT n.code, n.title, c.contact_id FROM {CLAIMS} c JOIN _cx_fx_names n USING (fid)
            """
            if has_claims
            else f"CREATE OR REPLACE TEMP TABLE {FINDING_CONTACTS} "
            "(code VARCHAR, title VARCHAR, contact_id VARCHAR)"
        )
    finally:
        engine.unregister("_cx_fx_names")


def stage_breakdowns(
    engine: Engine,
    *,
    facts: LogFacts,
    options: AnalysisOptions = AnalysisOptions(),  # noqa: B008 - frozen
    costs: CostModel = CostModel(),  # noqa: B008 - frozen
    detectors: list[Detector] | None = None,
) -> StagedTables:
    """The tables ``find_breakdowns`` reads from events, built from this engine's ``events``, ``contacts``
    and ``journeys``: the shared tables the detectors read and each detector's ``stage``.

    Per customer, so that a partition of customers (a Spark task) stages its part and the union of the
    partitions' tables is what the whole log would stage. ``facts``: the whole log's. The tables returned
    stay in the engine, the rest (what only the stages read) is dropped; a laptop has no use for this:
    ``find_breakdowns`` stages as it goes, keeping less at once.
    """
    ctx = DetectorContext(engine=engine, options=options, costs=costs, whole_log=facts)
    chosen = detectors if detectors is not None else default_detectors()
    # only what ``detect`` reads: what only a ``stage`` reads is built for it here and left behind
    reads = [d.reads for d in chosen]
    shared = set(SHARED) if any(r is None for r in reads) else {n for r in reads if r is not None for n in r}
    built = {SHARED[name] for name in shared}
    for name in sorted(shared):
        getattr(ctx, f"{name}_table")()
    own = {k: _run(d, functools.partial(ctx.stage, d)) for k, d in enumerate(chosen)}
    staged = StagedTables(
        facts=facts, shared=frozenset(built), by_detector={k: t for k, t in own.items() if t}
    )
    ctx.close(keep=staged.tables)  # what only the stages read goes
    return staged


def _run(detector: Detector, step: Callable[[], R]) -> R:
    """``step()``, a detector's ``stage`` or ``detect``; an engine failure, or a value a SQL helper
    refused, names the detector."""
    try:
        return step()
    except (EngineError, duckdb.Error, ValueError, TypeError, ArithmeticError) as exc:
        label = f"{detector.code or type(detector).__name__} ({detector.name or 'unnamed'})"
        raise EngineError(f"detector {label} failed: {exc}") from exc


def _read_claims(engine: Engine, new: list[Finding], *, first: int) -> None:
    """Each finding's claims, read as soon as its detector returns it (findings numbered from ``first``),
    clipped to the contract's ranges, so that the detector's own tables can go before the next one runs;
    a claims query that fails names its detector and finding."""
    for k, f in enumerate(new):
        if not f.claims_sql:
            continue
        try:
            engine.execute(
                f"""INSERT INTO {RAW_CLAIMS}
                SELECT {first + k}, CAST(contact_id AS VARCHAR),
                       least(greatest(coalesce(CAST(share AS DOUBLE), 0), 0), 1),
                       least(greatest(coalesce(CAST(units AS DOUBLE), 0), 0), 1),
                       coalesce(CAST(minutes AS DOUBLE), 0), coalesce(CAST(cost AS DOUBLE), 0)
                FROM (SELECT {", ".join(CLAIM_COLUMNS)} FROM ({f.claims_sql}))"""
            )
        except EngineError as own:
            raise EngineError(f"detector {f.code}: claims of {f.title!r} failed: {own}") from own


def _price(engine: Engine, found: list[Finding], finder: FinderOptions) -> list[Finding]:
    """Fill the avoidable numbers from the claims, each contact allocated to one finding."""
    claimed = [i for i, f in enumerate(found) if f.claims_sql]
    if not claimed:
        return found
    engine.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {CLAIMS} AS
        WITH c AS (
            -- Summed as decimals: exact, so the totals (and which finding keeps a contact) do not
            -- depend on the order rows arrive in, which varies with threads and engines.
            SELECT fid, contact_id, max({exact("share * units", 9)}) AS units,
                   sum({exact("share * minutes", 9)}) AS minutes, sum({exact("share * cost", 9)}) AS cost
            FROM {RAW_CLAIMS} WHERE share > 0 GROUP BY fid, contact_id
        ), g AS (
            SELECT fid, sum(cost) AS g_cost, sum(minutes) AS g_min, sum(units) AS g_units FROM c GROUP BY fid
        )
        SELECT c.*, g.g_cost, g.g_min, g.g_units,
               row_number() OVER (PARTITION BY c.contact_id
                                  ORDER BY g.g_cost DESC, g.g_min DESC, g.g_units DESC, c.fid) = 1 AS kept
        FROM c JOIN g USING (fid)
        """
    )
    net = {
        r["fid"]: r
        for r in engine.rows(
            f"""
            SELECT a.fid, CAST(any_value(a.g_cost) AS DOUBLE) AS g_cost,
                   CAST(any_value(a.g_min) AS DOUBLE) AS g_min,
                   CAST(any_value(a.g_units) AS DOUBLE) AS g_units,
                   CAST(coalesce(sum(a.cost) FILTER (WHERE a.kept), 0) AS DOUBLE) AS cost,
                   CAST(coalesce(sum(a.minutes) FILTER (WHERE a.kept), 0) AS DOUBLE) AS minutes,
                   CAST(coalesce(sum(a.units) FILTER (WHERE a.kept), 0) AS DOUBLE) AS units,
                   count(DISTINCT k.{S.CUSTOMER_ID}) FILTER (WHERE a.kept) AS customers
            FROM {CLAIMS} a LEFT JOIN {S.CONTACTS_TABLE} k USING ({S.CONTACT_ID})
            GROUP BY a.fid ORDER BY a.fid
            """
        )
    }
    # Who took each finding's lost contacts: the finding kept for those contacts, by cost taken.
    takers = {
        r["fid"]: r["taker"]
        for r in engine.rows(
            f"""
            WITH lost AS (
                SELECT l.fid, w.fid AS taker, sum(l.cost) AS c, sum(l.minutes) AS m, sum(l.units) AS u
                FROM {CLAIMS} l JOIN {CLAIMS} w ON w.contact_id = l.contact_id AND w.kept
                WHERE NOT l.kept GROUP BY l.fid, w.fid
            ), r AS (
                SELECT fid, taker,
                       row_number() OVER (PARTITION BY fid ORDER BY c DESC, m DESC, u DESC, taker) AS rn
                FROM lost
            )
            SELECT fid, taker FROM r WHERE rn = 1 ORDER BY fid
            """
        )
    }
    out: list[Finding] = []
    for i, f in enumerate(found):
        row = net.get(i)
        if not f.claims_sql:
            out.append(f)
            continue
        row = row or {
            "g_cost": 0,
            "g_min": 0,
            "g_units": 0,
            "cost": 0,
            "minutes": 0,
            "units": 0,
            "customers": 0,
        }
        evidence = dict(f.evidence)
        evidence["gross_avoidable"] = {
            "contacts": round(row["g_units"], 2),
            "minutes": round(row["g_min"], 1),
            "cost": round(row["g_cost"], 2),
        }
        gross = row["g_cost"] if row["g_cost"] > 0 else row["g_min"] if row["g_min"] > 0 else row["g_units"]
        kept = row["cost"] if row["g_cost"] > 0 else row["minutes"] if row["g_min"] > 0 else row["units"]
        if gross > 0 and kept < finder.merge_ratio * gross and i in takers:
            taker = found[takers[i]]
            evidence["merged_into"] = {"code": taker.code, "title": taker.title}
        out.append(
            dataclasses.replace(
                f,
                avoidable_contacts=round(row["units"], 2),
                avoidable_minutes=round(row["minutes"], 1),
                avoidable_cost=round(row["cost"], 2),
                customers_affected=int(row["customers"]),
                evidence=evidence,
            )
        )
    return out


def _key(f: Finding) -> tuple[Any, ...]:
    return (
        -f.avoidable_cost,
        -f.avoidable_minutes,
        -f.avoidable_contacts,
        -f.contacts_affected,
        f.code,
        f.title,
    )


def _summarise(
    engine: Engine,
    found: list[Finding],
    top: int,
    finder: FinderOptions,
    costs: CostModel,
    basis: str,
    roles: dict[str, DetectorRole],
) -> FinderResult:
    """Group the priced findings into breakdowns (``findings.grouping``), rank them, and summarise.

    A breakdown made only of merged findings (most of their contacts taken by a finding elsewhere) is
    listed, unranked, as before grouping: its work is counted where it went. Breakdowns rank by the larger
    of their share of the avoidable work (cost, else minutes, else contacts: the summary's ``measure``)
    and their ``share_of_waiting``, the days customers waited beyond the baseline over all the days
    contacts were open (``open_days``): one is paid by the operation, the other felt by the customer,
    and neither is converted into the other.
    """
    n_contacts = int(engine.scalar(f"SELECT count(*) FROM {S.CONTACTS_TABLE}") or 0)
    groups = group_findings(
        sorted(found, key=_key), lambda code: roles.get(code, DetectorRole()), rollup_min=finder.rollup_min
    )
    live = [g for g in groups if any("merged_into" not in f.evidence for f in g.members)]
    merged_only = [g for g in groups if g not in live]
    # Totals over the ranked breakdowns (a merged finding's work is mostly counted where it went).
    total_cost = sum(g.avoidable_cost for g in live)
    total_min = sum(g.avoidable_minutes for g in live)
    total_units = sum(g.avoidable_contacts for g in live)
    total_days = sum(g.customer_days_waited for g in live)
    # What the excess waiting is a share of: all the days the contacts were open.
    open_days = float(
        engine.scalar(
            f"SELECT sum(date_diff('second', {S.START_TS}, {S.END_TS})) / 86400.0 FROM {S.CONTACTS_TABLE}"
        )
        or 0.0
    )
    measure: Literal["cost", "minutes", "contacts"] = (
        "cost" if total_cost > 0 else "minutes" if total_min > 0 else "contacts"
    )
    work = {"cost": "avoidable_cost", "minutes": "avoidable_minutes", "contacts": "avoidable_contacts"}[
        measure
    ]
    total_work = {"cost": total_cost, "minutes": total_min, "contacts": total_units}[measure]

    def order(g: Breakdown) -> tuple[float, ...]:
        weight = max(_share(getattr(g, work), total_work), _share(g.customer_days_waited, open_days))
        return (-weight, -g.avoidable_cost, -g.avoidable_minutes, -g.avoidable_contacts,
                -g.customer_days_waited)  # fmt: skip

    live.sort(key=lambda g: (order(g), g.lead.code, g.lead.title))
    severities = [_severity(g) for g in live if g.avoidable_cost > 0]
    bar = finder.severe_factor * statistics.median(severities) if severities else 0.0
    rare = [
        g
        for g in live
        if n_contacts
        and g.avoidable_cost > 0
        and g.contacts_affected < finder.rare_share * n_contacts
        and _severity(g) >= bar
    ]
    live = [g for g in live if g not in rare] + rare
    n_main = len(live) - len(rare)
    head = live[: min(top, n_main)] if n_main else []
    set_aside: list[SetAsideDoc] = [
        {
            "code": g.lead.code,
            "title": g.lead.title,
            "reason": (
                f"rare but severe: touches {g.contacts_affected / n_contacts:.1%} of contacts "
                f"({g.contacts_affected}) at {_severity(g):.2f} {costs.currency} avoidable per affected "
                f"contact (at least {finder.severe_factor:g}x the median breakdown); its total "
                f"{g.avoidable_cost:.2f} is worth a look but not before the breakdowns that touch many"
            ),
        }
        for g in live[n_main:]
    ]
    docs = [_breakdown_doc(g, rank, total_cost, open_days) for rank, g in enumerate(head, start=1)]
    summary: BreakdownSummary = {
        "measure": measure,
        "cost_basis": basis,
        "currency": costs.currency,
        "total_avoidable_cost": round(total_cost, 2),
        "total_avoidable_minutes": round(total_min, 1),
        "total_avoidable_contacts": round(total_units, 2),
        # Elapsed waiting is felt by customers and paid by no one: a measure of its own, never cost.
        "total_customer_days_waited": round(total_days, 1),
        "open_days": round(open_days, 1),
        "n_findings": len(found),
        "n_merged": sum(1 for f in found if "merged_into" in f.evidence),
        "n_breakdowns": len(live),
        "top": len(head),
        "pareto_share": round(sum(b["share_of_avoidable_cost"] for b in docs), 4),
        "set_aside": set_aside,
        "contacts": n_contacts,
    }
    all_findings = [
        dataclasses.replace(
            f,
            rank=rank,
            share_of_avoidable_cost=_share(f.avoidable_cost, total_cost, 4),
            role="cause" if f is g.lead else "symptom",
        ).to_dict()
        for rank, g in enumerate(live, start=1)
        for f in g.members
    ]
    all_findings += [f.to_dict() for g in merged_only for f in g.members]  # unranked, as merged
    return {"breakdowns": docs, "summary": summary, "all_findings": all_findings}


def _share(part: float, total: float, digits: int | None = None) -> float:
    value = part / total if total else 0.0
    return round(value, digits) if digits is not None else value


def _severity(g: Breakdown) -> float:
    return g.avoidable_cost / g.contacts_affected if g.contacts_affected else 0.0


def _breakdown_doc(g: Breakdown, rank: int, total_cost: float, open_days: float) -> BreakdownDoc:
    """A breakdown in ``diagnosis.json``: its lead finding's identity and evidence, the numbers of the
    whole failure point, and the findings it absorbed as symptoms."""
    lead = dataclasses.replace(
        g.lead,
        rank=rank,
        avoidable_contacts=round(g.avoidable_contacts, 2),
        avoidable_minutes=round(g.avoidable_minutes, 1),
        avoidable_cost=round(g.avoidable_cost, 2),
        share_of_avoidable_cost=_share(g.avoidable_cost, total_cost, 4),
        customer_days_waited=round(g.customer_days_waited, 1),
        contacts_affected=g.contacts_affected,
        customers_affected=g.customers_affected,
        role="cause",
    ).to_dict()
    symptoms: list[SymptomDoc] = [
        {
            "code": f.code,
            "title": f.title,
            "where": dict(f.where),
            "contacts_affected": f.contacts_affected,
            "avoidable_contacts": f.avoidable_contacts,
            "avoidable_minutes": f.avoidable_minutes,
            "avoidable_cost": f.avoidable_cost,
            "customer_days_waited": f.customer_days_waited,
        }
        for f in g.symptoms
    ]
    if g.scope == "process":
        lead["title"] = f"{g.lead.title.rstrip('.')}, and {len(g.symptoms)} more pairs across the process"
    return {
        **lead,
        "cause": g.cause,
        "scope": g.scope,
        "share_of_waiting": _share(g.customer_days_waited, open_days, 4),
        "symptoms": symptoms,
    }
