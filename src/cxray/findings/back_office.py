"""BO01: back-office aging, slow cases whose customers keep calling to chase them."""

from __future__ import annotations

from .. import schema as S
from ..errors import ConfigError
from ..process.step_kinds import STEP_KIND
from ..sql import modal, num, pair_key, sql_string, timestamp
from .base import OPERATING_MODEL, Detector, Finding
from .context import DetectorContext
from .registry import register_detector
from .stats import Thresholds, claims, examples, rnd

#: The step kind of a customer asking where their case is.
STATUS_CHECK = "status_check"


@register_detector
class BackOfficeAging(Detector):
    """A back-office queue whose cases sit long while their customers contact the front line to chase them.

    **Detects**: back-office work items (contacts with a back-office event or channel) by queue (team),
    their open time (until the data ends for a case with no outcome yet), and the status-chasing
    contacts: other contacts of the same customer that start while the case is
    open. Baseline: the median open time of back-office cases in the other queues (``target_days`` when
    there is no other); a chase arriving after the case would have closed at that pace is avoidable.

    **Why it matters**: a queue the front line cannot see generates calls that only ask "where is my case?",
    each one paid for and each one a customer losing trust.

    **Example**: Claims back office cases take a median 9.5 days (other back offices 2.0); 420 chasing
    calls came after day 2.
    """

    code = "BO01"
    reads = frozenset()
    name = "back-office-aging"
    bucket = OPERATING_MODEL
    entity_keys = (S.QUEUE, S.TEAM, S.ACTIVITY)  # the back office, and the status its cases wait in

    def __init__(
        self,
        *,
        target_days: float = 2.0,
        thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen
    ) -> None:
        if not target_days > 0:
            raise ConfigError(f"BO01 target_days must be > 0, got {target_days}")
        self.target_days = target_days
        self.thresholds = thresholds

    def stage(self, ctx: DetectorContext) -> None:
        """The back-office cases (queue, longest wait, how long open) and the customers' contacts while a
        case was open (chases), each marked when it asked for the case's status."""
        if not (ctx.facts.has_customer and ctx.facts.has_self_service_signal):
            return
        e, ev, c = ctx.engine, ctx.events_table(), S.CONTACTS_TABLE
        items, chases = ctx.scratch("bo01_items"), ctx.scratch("bo01_chases")
        bo = sql_string(S.BACK_OFFICE)
        is_bo = f"(eff_actor = {bo} OR lower({S.CHANNEL}) = {bo})"
        # the whole log's last timestamp (a partition's events may end earlier)
        data_end = timestamp(ctx.facts.data_end)
        # Idle time after an event: until the next one; for an open case's last event, until the data ends.
        # In microseconds, the earlier event first on a tie (seq < 2**32), as one number (sql.pair_key).
        until = f"coalesce(next_ts, CASE WHEN {S.OUTCOME} IS NULL THEN {data_end} ELSE ts END)"
        idle = pair_key(f"epoch_us({until}) - epoch_us(ts)", "-seq")
        e.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {items} AS
            WITH bo AS (
                -- only the contacts with back-office work are grouped
                SELECT {S.CONTACT_ID},
                       arg_max(route, seq) FILTER (WHERE {is_bo}) AS q,  -- arg_max skips NULL routes
                       arg_max({S.ACTIVITY}, {idle}) AS waiting_activity
                FROM {ev} WHERE {S.CONTACT_ID} IN (SELECT {S.CONTACT_ID} FROM {ev} WHERE {is_bo})
                GROUP BY {S.CONTACT_ID}
            ), k AS (
                -- A case with no outcome yet is still open: it ages until the data ends.
                SELECT {S.CONTACT_ID}, {S.CUSTOMER_ID}, {S.START_TS},
                       CASE WHEN {S.FINAL_OUTCOME} IS NULL THEN {data_end} ELSE {S.END_TS} END AS {S.END_TS},
                       {S.FINAL_OUTCOME} IS NULL AS is_open
                FROM {c}
            )
            SELECT bo.*, k.{S.CUSTOMER_ID}, k.{S.START_TS}, k.{S.END_TS}, k.is_open,
                   date_diff('second', k.{S.START_TS}, k.{S.END_TS}) / 86400.0 AS days
            FROM bo JOIN k USING ({S.CONTACT_ID}) WHERE bo.q IS NOT NULL
            """
        )
        # Which chases asked for the case's status (step kind status_check, whatever the system calls it):
        # the customer waiting on the case, not a new request that happens to fall in its time.
        asked = f"""
            SELECT DISTINCT x.{S.CONTACT_ID} FROM {ev} x JOIN {ctx.step_kinds_table()} k USING ({S.ACTIVITY})
            WHERE k.{STEP_KIND} = {sql_string(STATUS_CHECK)}"""
        e.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {chases} AS
            SELECT i.q, i.{S.CONTACT_ID} AS case_id, x.{S.CONTACT_ID},
                   date_diff('second', i.{S.START_TS}, x.{S.START_TS}) / 86400.0 AS after_days,
                   x.{S.WORK_S} / 60.0 AS minutes, x.{S.COST} AS cost,
                   x.{S.CONTACT_ID} IN ({asked}) AS asked
            FROM {items} i JOIN {c} x ON x.{S.CUSTOMER_ID} = i.{S.CUSTOMER_ID}
             AND x.{S.START_TS} > i.{S.START_TS} AND x.{S.START_TS} < i.{S.END_TS}
             AND x.{S.CONTACT_ID} <> i.{S.CONTACT_ID}
            WHERE x.{S.CONTACT_ID} NOT IN (SELECT {S.CONTACT_ID} FROM {items})
            """
        )

    def detect(self, ctx: DetectorContext) -> list[Finding]:
        if not (ctx.facts.has_customer and ctx.facts.has_self_service_signal):
            return []
        e, t = ctx.engine, self.thresholds
        items, chases = ctx.scratch("bo01_items"), ctx.scratch("bo01_chases")
        queues = e.rows(
            f"""SELECT q, count(*) AS n, median(days) AS med, quantile_cont(days, 0.9) AS p90,
                       {modal("waiting_activity")} AS activity, count(*) FILTER (WHERE is_open) AS still_open
                FROM {items} GROUP BY q ORDER BY q"""
        )
        if not queues:
            return []
        asked = {
            r["q"]: int(r["n"])
            for r in e.rows(
                f"SELECT q, count(DISTINCT {S.CONTACT_ID}) AS n FROM {chases} WHERE asked GROUP BY q"
            )
        }
        out = []
        for qrow in queues:
            q = str(qrow["q"])
            others = [r["med"] for r in queues if r["q"] != q and r["med"] is not None]
            base = sorted(others)[len(others) // 2] if others else self.target_days
            base = max(base, 1e-6)
            med = qrow["med"] or 0.0
            mine = f"SELECT * FROM {chases} WHERE q = {sql_string(q)} AND after_days > {num(base)}"
            n_chase = int(e.scalar(f"SELECT count(*) FROM {chases} WHERE q = ?", [q]) or 0)
            n_avoid = int(e.scalar(f"SELECT count(*) FROM ({mine})") or 0)
            if n_avoid < t.min_excess or med < t.min_lift * base:
                continue
            waited = e.scalar(f"SELECT sum(greatest(days - ?, 0)) FROM {items} WHERE q = ?", [base, q])
            dim = ctx.route_dim
            out.append(
                self.finding(
                    title=f"Back-office {dim} {q}: cases take {med:.1f} days, customers chase",
                    where={dim: q, S.ACTIVITY: str(qrow["activity"])},
                    contacts_affected=n_chase,
                    customer_days_waited=round(float(waited or 0.0), 1),
                    evidence={
                        "cases": int(qrow["n"]),
                        "still_open": int(qrow["still_open"]),
                        "median_days": rnd(med, 2),
                        "p90_days": rnd(qrow["p90"], 2),
                        "baseline": "median open time of back-office cases in other queues"
                        if others
                        else f"target of {self.target_days} days (no other back-office queue)",
                        "baseline_days": rnd(base, 2),
                        "chasing_contacts": n_chase,
                        "status_checks": asked.get(q, 0),
                        "chasing_after_baseline": n_avoid,
                        "longest_wait_activity": qrow["activity"],
                        "examples": examples(e, f"SELECT case_id AS contact_id FROM ({mine})"),
                    },
                    hidden_by_kpi="front-line FCR counts each status call as resolved; the back office's "
                    "backlog KPI does not see the calls it causes",
                    claims_sql=claims(mine, share="1.0", units=1),
                )
            )
        out.sort(key=lambda f: (-f.evidence["chasing_after_baseline"], f.title))
        return out[: t.max_findings]
