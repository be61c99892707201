"""Incentives vs. outcomes: is each party rewarded for what the customer needs?

A *party* is whoever a KPI is reported for: the bot or IVR (events with that actor type), else each
team or vendor (``team``), else the actor type. A contact's **closer** is the party of its last event
with one; repeats are attributed to the closer of the contact they follow, on any channel and for any
party, because closing a contact is what the party's KPI rewards.

For every party, its own KPI beside the outcomes its work leads to:

* KPI (declared in YAML or the default): ``containment`` (self-service: share of contacts touched that
  report contained; higher is better), ``handle_time`` (mean seconds of the party's own events per
  contact touched), ``cost_per_contact`` and ``speed_to_close`` (mean seconds start to end of contacts
  it closed); lower is better for the last three.
* Outcomes: ``repeat_rate`` (uncensored contacts it closed that the customer had to repeat, from
  ``contacts.has_repeat``), ``true_resolution`` (closed, not repeated, not abandoned/unresolved),
  ``true_containment`` (self-service), ``transfer_out_rate`` (contacts touched but closed by another
  party), ``cost_per_resolved`` (cost of contacts closed plus the repeats they caused, per true
  resolution) and ``survey_score`` (mean of a ``survey_score``/``csat`` attribute when present).

Findings (one currency with the breakdown finder: avoidable contacts, minutes and cost):

* ``IN01`` KPI at target (or at least as good as the peer median) while the repeat rate is worse than the
  other parties' rate for the same reasons (weighted by the party's reason mix, significant at ``min_z``);
  avoidable = the excess repeats; minutes and cost = of the repeat contacts.
* ``IN02`` reported containment above true containment: contacts the bot "contained" that came back;
  avoidable = those beyond the rate at which the human parties' closes are followed by a contact on any
  channel within the window (customers come back for new reasons too). The customer and the system are
  never parties: their events do not make a closer.
* ``IN03`` KPI improving while the outcome worsens: second half of the party's weeks vs the first.

Each finding's evidence says where the repeats land (``migrates_to``: the parties that closed them and
how much longer they took than the party's own contacts): effort migration.
Needs ``contacts`` from :func:`cxray.journeys.build_journeys` (built here when missing).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from . import schema as S
from .costs import CostModel
from .engine import Engine
from .errors import ConfigError
from .findings.base import Finding
from .options import AnalysisOptions
from .sql import ident, in_list, integer, sql_string
from .yamlio import load_yaml

KPIS: Final = {  # kpi -> True when higher is better
    "containment": True,
    "handle_time": False,
    "cost_per_contact": False,
    "speed_to_close": False,
}
_KPI_LABEL: Final = {k: k.replace("_", " ") for k in KPIS}
SURVEY_COLUMNS: Final = ("survey_score", "csat", "nps")
_P: Final = "_cx_inc_"
_FAILED = (S.ABANDONED, S.UNRESOLVED)


@dataclass(frozen=True, kw_only=True)
class Party:
    """A party and the KPI it is measured on; ``target`` in the KPI's unit (share, seconds, currency)."""

    name: str
    kpi: str
    target: float | None = None

    def __post_init__(self) -> None:
        if self.kpi not in KPIS:
            raise ConfigError(f"party {self.name!r}: unknown kpi {self.kpi!r} (known: {', '.join(KPIS)})")


@dataclass(frozen=True, kw_only=True)
class IncentiveOptions:
    """Thresholds for flagging: ``min_contacts`` uncensored closes, ``min_excess`` absolute repeat-rate
    excess over peers for the same reasons (significant at ``min_z``), ``min_gap`` containment minus true
    containment, ``examples`` contact ids per finding."""

    min_contacts: int = 20
    min_excess: float = 0.05
    min_z: float = 3.0
    min_gap: float = 0.10
    examples: int = 5


def load_parties(path: str | Path) -> tuple[Party, ...]:
    """Read ``parties: [{name, kpi, target}]`` from YAML; ConfigError naming the file and key."""
    p = Path(path)
    try:
        data = load_yaml(p.read_text(encoding="utf-8"), path=p)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read parties: {exc}", path=p) from exc
    if not isinstance(data, dict) or set(data) != {"parties"} or not isinstance(data["parties"], list):
        raise ConfigError("expected exactly one key 'parties' with a list", path=p)
    out = []
    for i, item in enumerate(data["parties"]):
        if not isinstance(item, dict) or not {"name", "kpi"} <= set(item) <= {"name", "kpi", "target"}:
            raise ConfigError(f"parties[{i}]: expected keys name, kpi and optional target", path=p)
        target = item.get("target")
        if target is not None and (isinstance(target, bool) or not isinstance(target, int | float)):
            raise ConfigError(f"parties[{i}].target: expected a number, got {target!r}", path=p)
        try:
            out.append(Party(name=str(item["name"]), kpi=str(item["kpi"]), target=target))
        except ConfigError as exc:
            raise ConfigError(f"parties[{i}].kpi: {exc.message}", path=p) from exc
    return tuple(out)


def assess_incentives(
    engine: Engine,
    *,
    parties: tuple[Party, ...] | None = None,
    options: AnalysisOptions = AnalysisOptions(),  # noqa: B008 - frozen
    costs: CostModel = CostModel(),  # noqa: B008 - frozen
    thresholds: IncentiveOptions = IncentiveOptions(),
    claims_table: str | None = None,
) -> dict[str, Any]:
    """A table per party (KPI beside outcomes) and the misalignment findings; see the module docstring.

    Returns ``{"currency", "parties": [...], "findings": [...], "kpi_source": "declared"|"default"}``;
    parties sorted by contacts closed descending, then name; findings by avoidable cost descending.
    With ``claims_table``, the findings' claims (the follow-up contacts each one counts as avoidable, in
    the breakdown finder's ``contact_id, share, units, minutes, cost`` form) are written to that temp
    table and each finding's ``claims_sql`` reads them, so the finder can de-duplicate them against the
    other detectors' claims; the caller drops the table.
    """
    if not engine.has_table(S.CONTACTS_TABLE):
        from .journeys import build_journeys

        build_journeys(engine, options=options, costs=costs)
    try:
        _stage(engine, options)
        table = _party_table(engine, parties)
        weekly = _weekly(engine)
        found = _findings(engine, table, weekly, thresholds, costs.currency)
        findings = _with_claims(engine, found, claims_table)
    finally:
        for name in ("pev", "cc"):
            engine.execute(f"DROP TABLE IF EXISTS {_P}{name}")
    return {
        "currency": costs.currency,
        "kpi_source": "declared" if parties else "default",
        "parties": table,
        "findings": findings,
    }


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


def _stage(engine: Engine, options: AnalysisOptions) -> None:
    """``pev``: events with their party; ``cc``: one row per contact with its closer, survey score and the
    customer's next contact (any channel or reason) within the window: its closer, handle and cost."""
    survey = _survey_column(engine)
    score = f"TRY_CAST({ident(survey)} AS DOUBLE)" if survey else "CAST(NULL AS DOUBLE)"
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_P}pev AS
        SELECT {S.CONTACT_ID}, "{S.TIMESTAMP}" AS ts, {S.SOURCE_ROW} AS r, {_party_expr()} AS party,
               {S.DURATION_S} AS dur, {score} AS score
        FROM {S.EVENTS_TABLE}"""
    )
    win = integer(round(options.window_days * 86_400 * 1_000_000))
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_P}cc AS
        WITH closer AS (
            SELECT {S.CONTACT_ID}, arg_max(party, (ts, r)) FILTER (WHERE party IS NOT NULL) AS closer,
                   avg(score) AS score
            FROM {_P}pev GROUP BY {S.CONTACT_ID}
        ), c AS (
            SELECT k.*, cl.closer, cl.score,
                   lead(k.{S.CONTACT_ID}) OVER nxt AS next_id, lead(k.{S.START_TS}) OVER nxt AS next_start,
                   lead(k.{S.HANDLE_S}) OVER nxt AS next_handle, lead(k.{S.COST}) OVER nxt AS next_cost,
                   lead(cl.closer) OVER nxt AS next_closer
            FROM {S.CONTACTS_TABLE} k JOIN closer cl USING ({S.CONTACT_ID})
            WINDOW nxt AS (PARTITION BY k.{S.CUSTOMER_ID} ORDER BY k.{S.START_TS}, k.{S.CONTACT_ID})
        )
        SELECT *, {S.CUSTOMER_ID} IS NOT NULL AND next_id IS NOT NULL
                  AND epoch_us(next_start) - epoch_us({S.END_TS}) <= {win} AS followed
        FROM c"""
    )


def _party_table(engine: Engine, parties: tuple[Party, ...] | None) -> list[dict[str, Any]]:
    failed = in_list(_FAILED)
    rows = engine.rows(
        f"""WITH touch AS (
            SELECT p.party, p.{S.CONTACT_ID}, sum(p.dur) AS own_s, any_value(c.closer) AS closer,
                   bool_or(c.{S.IS_CONTAINED}) AS contained, any_value(c.{S.IS_TRUE_CONTAINED}) AS true_c
            FROM {_P}pev p JOIN {_P}cc c USING ({S.CONTACT_ID})
            WHERE p.party IS NOT NULL GROUP BY p.party, p.{S.CONTACT_ID}
        ), t AS (
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
                   avg(epoch({S.END_TS}) - epoch({S.START_TS})) AS close_s, avg(score) AS survey,
                   avg(next_handle) FILTER (WHERE followed) AS next_handle_s,
                   avg(next_cost) FILTER (WHERE followed) AS next_cost
            FROM {_P}cc WHERE closer IS NOT NULL GROUP BY closer
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
            "containment": _ratio(r["contained"], r["touched"]),
            "handle_time": _num(r["handle_s"], 1),
            "cost_per_contact": _num(_ratio(r["cost"], r["closed"]), 2),
            "speed_to_close": _num(r["close_s"], 1),
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
                "repeat_rate": _ratio(r["repeats"], r["uncensored"]),
                "true_resolution": _ratio(r["resolved"], r["uncensored"]),
                "containment": rates["containment"] if self_service else None,
                "true_containment": _ratio(r["true_contained"], r["containment_known"])
                if self_service
                else None,
                "transfer_out_rate": _ratio(r["transfers_out"], r["touched"]),
                "handle_s": rates["handle_time"],
                "cost_per_contact": rates["cost_per_contact"],
                "speed_to_close_s": rates["speed_to_close"],
                "cost_per_resolved": _num(_ratio(cost_all, r["resolved"]), 2),
                "survey_score": _num(r["survey"], 3),
                "repeat_handle_s": _num(r["next_handle_s"], 1),
                "repeat_cost": _num(r["next_cost"], 2),
            }
        )
    return out


def _weekly(engine: Engine) -> dict[str, dict[int, Any]]:
    """Per party closer: repeat rate and mean handle in the first and second half of its weeks."""
    rows = engine.rows(
        f"""WITH c AS (
            SELECT closer, date_trunc('week', {S.START_TS}) AS wk, {S.HAS_REPEAT} AS rep, {S.HANDLE_S} AS h,
                   {S.IS_CENSORED} AS cens
            FROM {_P}cc WHERE closer IS NOT NULL
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


# --- findings -----------------------------------------------------------------------------------------
def _findings(
    engine: Engine,
    table: list[dict[str, Any]],
    weekly: dict[str, dict[int, Any]],
    th: IncentiveOptions,
    currency: str,
) -> list[Any]:
    out: list[dict[str, Any]] = []
    humans = [p for p in table if not p["self_service"]]
    expected = _expected_repeats(engine, [p["party"] for p in humans])
    for p in humans:
        e = expected.get(p["party"])
        if p["uncensored_closed"] < th.min_contacts or p["repeat_rate"] is None or not e or not e["n"]:
            continue
        peers = [q for q in humans if q["party"] != p["party"]]
        base = e["expected"] / e["n"]  # the peers' repeat rate for this party's mix of reasons
        rate = e["reps"] / e["n"]
        excess = rate - base
        z = (e["reps"] - e["expected"]) / max(e["n"] * base * (1 - base), 1e-9) ** 0.5
        if excess < th.min_excess or z < th.min_z or not _kpi_looks_good(p, peers):
            continue
        avoidable = e["reps"] - e["expected"]
        out.append(
            _finding(
                engine, "IN01", p, avoidable, th, currency,
                title=f"{p['party']}: {_KPI_LABEL[p['kpi']]} looks good while its closes come back "
                f"({p['repeat_rate']:.0%} repeat vs {base:.0%} elsewhere)",
                bucket="operating-model choice",
                hidden=f"{p['party']} is measured on {_KPI_LABEL[p['kpi']]}, which counts a quick close "
                "as success",
                evidence={"kpi_value": p["kpi_value"], "peer_kpi_median": _median(peers, p["kpi"]),
                          "repeat_rate": p["repeat_rate"], "baseline_repeat_rate": round(base, 6),
                          "baseline": "other parties' repeat rate for the same reasons, weighted by this "
                          "party's reason mix", "compared_closes": int(e["n"]), "z": round(z, 2)},
                match="c.followed",
            )
        )  # fmt: skip
    # A contained contact that comes back is avoidable only beyond the rate at which humans' closes are
    # followed by another contact: customers return for new reasons too.
    # True containment counts a contact on any channel for any reason, so the baseline does too.
    human_rate = engine.scalar(
        f"SELECT coalesce(avg(CAST(followed AS DOUBLE)), 0) FROM {_P}cc "
        f"WHERE NOT {S.IS_CENSORED} AND closer IN (SELECT unnest(?))",
        [[q["party"] for q in humans]],
    )
    for p in table:
        if not p["self_service"] or p["containment"] is None or p["true_containment"] is None:
            continue
        gap = p["containment"] - p["true_containment"]
        false_n, known = engine.rows(
            f"SELECT count(*) FILTER (WHERE NOT {S.IS_TRUE_CONTAINED}) AS f, "
            f"count({S.IS_TRUE_CONTAINED}) AS k FROM {_P}cc WHERE closer = ? AND {S.IS_CONTAINED}",
            [p["party"]],
        )[0].values()
        if gap < th.min_gap or false_n < th.min_contacts * th.min_gap:
            continue
        excess = max(0.0, false_n - human_rate * known)
        out.append(
            _finding(
                engine, "IN02", p, excess, th, currency,
                title=f"{p['party']}: containment {p['containment']:.0%} reported, "
                f"{p['true_containment']:.0%} true",
                bucket="technology design",
                hidden=f"{p['party']} containment counts contacts that came back within the window",
                evidence={"containment": p["containment"], "true_containment": p["true_containment"],
                          "came_back": int(false_n), "baseline_repeat_rate": round(human_rate, 6)},
                match=f"c.{S.IS_CONTAINED} AND NOT c.{S.IS_TRUE_CONTAINED} AND c.followed",
            )
        )  # fmt: skip
    for p in humans:
        halves = weekly.get(p["party"], {})
        if set(halves) != {1, 2} or min(halves[1]["n"], halves[2]["n"]) < th.min_contacts:
            continue
        h1, h2 = halves[1], halves[2]
        r1, r2 = h1["reps"] / h1["n"], h2["reps"] / h2["n"]
        faster = h1["handle_s"] and h2["handle_s"] is not None and h2["handle_s"] <= 0.9 * h1["handle_s"]
        if not faster or r2 - r1 < th.min_excess:
            continue
        out.append(
            _finding(
                engine, "IN03", p, (r2 - r1) * h2["n"], th, currency,
                title=f"{p['party']}: handle time fell {1 - h2['handle_s'] / h1['handle_s']:.0%} "
                f"while repeats rose from {r1:.0%} to {r2:.0%}",
                bucket="operating-model choice",
                hidden=f"{p['party']}'s handle-time trend reads as improvement",
                evidence={"handle_s": [round(h1["handle_s"], 1), round(h2["handle_s"], 1)],
                          "repeat_rate": [round(r1, 6), round(r2, 6)], "weeks": int(h1["weeks"])},
                match="c.followed",
            )
        )  # fmt: skip
    out.sort(key=lambda f: (-(f["avoidable_cost"] or 0), -f["avoidable_contacts"], f["code"], f["title"]))
    return out


def _with_claims(engine: Engine, found: list[dict[str, Any]], claims_table: str | None) -> list[Finding]:
    """Materialise the claims (the staged tables are dropped next) and point each finding at its own."""
    claims = [f.pop("_claims") for f in found]
    if claims_table is None:
        return [_as_finding(f) for f in found]
    union = " UNION ALL ".join(f"SELECT {i} AS finding, * FROM ({sql})" for i, sql in enumerate(claims))
    empty = "SELECT 0 AS finding, NULL AS contact_id, 0.0 AS share, 0 AS units, 0.0 AS minutes, 0.0 AS cost"
    engine.execute(
        f"CREATE OR REPLACE TEMP TABLE {claims_table} AS " + (union if claims else f"{empty} WHERE false")
    )
    for i, f in enumerate(found):
        f["claims_sql"] = (
            f"SELECT contact_id, share, units, minutes, cost FROM {claims_table} WHERE finding = {i}"
        )
    return [_as_finding(f) for f in found]


def _expected_repeats(engine: Engine, humans: list[str]) -> dict[str, dict[str, float]]:
    """Per human party: its uncensored closes and repeats in reasons that other parties also close, and
    the repeats expected there at the other parties' rate for each reason (indirect standardisation, so a
    team given the hard reasons is not blamed for them)."""
    rows = engine.rows(
        f"""WITH b AS (
            SELECT closer, coalesce({S.REASON}, '') AS r, count(*) AS n,
                   count(*) FILTER (WHERE {S.HAS_REPEAT}) AS reps
            FROM {_P}cc WHERE NOT {S.IS_CENSORED} AND closer IN (SELECT unnest(?)) GROUP BY ALL
        ), t AS (SELECT r, sum(n) AS n, sum(reps) AS reps FROM b GROUP BY r)
        SELECT b.closer, sum(b.n) AS n, sum(b.reps) AS reps,
               sum(b.n * (t.reps - b.reps) / (t.n - b.n)) AS expected
        FROM b JOIN t USING (r) WHERE t.n > b.n GROUP BY b.closer ORDER BY b.closer""",
        [humans],
    )
    return {r["closer"]: {k: float(r[k] or 0) for k in ("n", "reps", "expected")} for r in rows}


def _kpi_looks_good(p: dict[str, Any], peers: list[dict[str, Any]]) -> bool:
    value = p["kpi_value"]
    if value is None:
        return False
    higher = KPIS[p["kpi"]]
    ref = p["kpi_target"] if p["kpi_target"] is not None else _median(peers, p["kpi"])
    if ref is None:
        return False
    return value >= ref if higher else value <= ref


_KPI_COLUMN: Final = {
    "containment": "containment",
    "handle_time": "handle_s",
    "cost_per_contact": "cost_per_contact",
    "speed_to_close": "speed_to_close_s",
}


def _median(rows: list[dict[str, Any]], kpi: str) -> float | None:
    values = sorted(v for v in (r[_KPI_COLUMN[kpi]] for r in rows) if v is not None)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def _finding(
    engine: Engine,
    code: str,
    p: dict[str, Any],
    avoidable: float,
    th: IncentiveOptions,
    currency: str,
    *,
    title: str,
    bucket: str,
    hidden: str,
    evidence: dict[str, Any],
    match: str,
) -> dict[str, Any]:
    """Price ``avoidable`` contacts at the mean handle and cost of the follow-ups in ``match`` and say
    where those follow-ups landed (effort migration)."""
    r = engine.rows(
        f"""SELECT count(*) AS n, count(DISTINCT c.{S.CUSTOMER_ID}) AS customers,
               avg(c.next_handle) AS next_h, avg(c.next_cost) AS next_cost,
               list_slice(list(c.{S.CONTACT_ID} ORDER BY c.{S.CONTACT_ID}), 1, {th.examples}) AS examples
        FROM {_P}cc c WHERE c.closer = ? AND {match}""",
        [p["party"]],
    )[0]
    landing = engine.rows(
        f"""SELECT coalesce(c.next_closer, '(unknown)') AS party, count(*) AS contacts,
               avg(c.next_handle) AS handle_s
        FROM {_P}cc c WHERE c.closer = ? AND {match} GROUP BY ALL ORDER BY contacts DESC, party LIMIT 5""",
        [p["party"]],
    )
    own = p["handle_s"]
    migrates = [
        {"party": x["party"], "contacts": int(x["contacts"]), "handle_s": _num(x["handle_s"], 1),
         "longer_than_own": _num(_ratio(x["handle_s"], own), 3) if own else None}
        for x in landing
    ]  # fmt: skip
    minutes = avoidable * (r["next_h"] or 0) / 60
    cost = avoidable * r["next_cost"] if r["next_cost"] is not None else None
    # The follow-ups are the avoidable work; each carries the avoidable fraction of them (the excess).
    share = min(1.0, avoidable / r["n"]) if r["n"] else 0.0
    claims = (
        f"SELECT c.next_id AS contact_id, {share!r} AS share, 1 AS units, "
        f"c.next_handle / 60.0 AS minutes, c.next_cost AS cost FROM {_P}cc c "
        f"WHERE c.closer = {sql_string(p['party'])} AND c.next_id IS NOT NULL AND {match}"
    )
    return {
        "rank": None,
        "code": code,
        "title": title,
        "bucket": bucket,
        "where": {S.ACTOR_TYPE if p["self_service"] else S.TEAM: p["party"]},
        "contacts_affected": int(r["n"]),
        "avoidable_contacts": round(avoidable, 1),
        "avoidable_minutes": round(minutes, 1),
        "avoidable_cost": 0.0 if cost is None else round(cost, 2),  # no costs known: nothing priced
        "share_of_avoidable_cost": 0.0,  # the breakdown ranking fills it
        "customers_affected": int(r["customers"]),
        "evidence": {**evidence, "currency": currency, "migrates_to": migrates, "examples": r["examples"]},
        "hidden_by_kpi": hidden,
        "_claims": claims,
    }


def _as_finding(f: dict[str, Any]) -> Finding:
    return Finding(**f)


def _ratio(a: Any, b: Any) -> float | None:
    return None if a is None or not b else round(float(a) / float(b), 6)


def _num(x: Any, digits: int) -> float | None:
    return None if x is None else round(float(x), digits)
