"""WT01: parked work, a status or step where cases sit idle far longer than anywhere else."""

from __future__ import annotations

from .. import schema as S
from ..process.step_kinds import STEP_KIND
from ..sketch import bucket_sql, median_sql
from ..sql import in_list, num
from .base import OPERATING_MODEL, Detector, Finding
from .context import DetectorContext
from .registry import register_detector
from .stats import Thresholds, rnd

#: Example contacts a finding names (``stats.examples``' number).
_EXAMPLES = 3

#: Step kinds whose idle time is not parked work: after a resolution the case waits only for confirmation
#: or auto-closure; in a queue it waits to be worked, which is the queue's own measure (BO01, abandonment);
#: after a "Status Change" record it waits in a status the log does not name (a finding "parked in
#: 'Status Change'" names no place to look: BPIC 2014's incidents ranked one fourth).
NOT_PARKED_KINDS = frozenset({"resolution", "queue_wait", "status_change"})


@register_detector
class ParkedWork(Detector):
    """An activity (status) after which cases wait far longer than after other activities.

    **Detects**: the idle time after each event (until the contact's next event, less the event's own
    ``duration_s``; none after an event that resolved or closed the case, by its outcome or its step
    kind, which only waits for confirmation, nor after a queue status, which waits to be worked, nor
    after a record of a status change, which does not say the status, nor in a bot or IVR), per activity:
    an activity whose median idle time is ``min_lift`` times the median idle time after all other
    activities, whose mean idle time is at least ``min_mean_hours`` (work parked, not a pause of seconds
    between steps; the mean, as the median of a status most cases leave at once is small however long
    the rest are parked), and that holds at least ``min_share`` of all idle time, with the teams that
    park most there. Medians are read from a quantile sketch (``cxray.sketch``: within 0.5% of the exact
    ones), days summed exactly. Elapsed
    time costs no handled minutes, so its avoidable cost comes from other detectors (BO01 prices the
    chasing contacts); this finding states the days.

    **Why it matters**: cases parked "waiting for the customer" or "awaiting assignment" stop the clock of
    nobody's KPI while the customer waits.

    **Example**: incidents spend 31% of their open time in "Accepted - Wait - User" (median 2.1 days after
    it, other statuses 0.2 days), most in teams G97 and G96.
    """

    code = "WT01"
    reads = frozenset()
    name = "parked-work"
    bucket = OPERATING_MODEL
    entity_keys = (S.ACTIVITY,)  # the status cases are parked in

    def __init__(
        self,
        *,
        min_share: float = 0.05,
        min_mean_hours: float = 1.0,
        thresholds: Thresholds = Thresholds(min_lift=3.0),  # noqa: B008 - frozen
    ) -> None:
        self.min_share = min_share
        self.min_mean_hours = min_mean_hours
        self.thresholds = thresholds

    def stage(self, ctx: DetectorContext) -> None:
        """The waits: each event's time until the contact's next event, where the wait is work parked,
        counted per (activity, team) in a quantile sketch (``cxray.sketch``) with their exact seconds, and
        per activity the contacts waiting and the first of them: counts that add up across partitions
        (a contact lies in one), so the driver of a Spark run never holds a row per event."""
        ev = ctx.events_table()
        # After a resolution the case waits for confirmation or auto-closure: nobody's work is parked. A
        # resolution is an event whose outcome says so, or a status of that step kind ('Resolved'); a queue
        # status ('Queued - Awaiting Assignment') is waiting to be worked, not work set aside; time in a bot
        # or IVR is the customer serving themselves. A step's own recorded work (duration_s: a call answered
        # and talked through until it ended) is not a wait either: only the time after it is.
        done = f"('{S.RESOLVED}', '{S.CLOSED}')"
        not_parked = (
            f"SELECT {S.ACTIVITY} FROM {ctx.step_kinds_table()} "
            f"WHERE {STEP_KIND} IN {in_list(sorted(NOT_PARKED_KINDS))}"
        )
        waits = "_cxray_fx_wt01_waits"  # for this stage only
        ctx.engine.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {waits} AS
            SELECT {S.CONTACT_ID}, {S.ACTIVITY} AS a, {S.TEAM} AS team,
                   greatest(date_diff('second', ts, next_ts) - CAST(coalesce({S.DURATION_S}, 0) AS BIGINT), 0)
                       AS s
            FROM {ev} WHERE next_ts IS NOT NULL AND coalesce({S.OUTCOME}, '') NOT IN {done}
              AND {S.ACTIVITY} NOT IN ({not_parked})
              AND coalesce(eff_actor, '') NOT IN {in_list(S.SELF_SERVICE)}
            """
        )
        try:
            # seconds are whole: their sums are exact, the same however the rows are split
            ctx.engine.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE {ctx.scratch("wt01")} AS
                SELECT a, team, {bucket_sql("s")} AS bucket, count(*) AS n, CAST(sum(s) AS BIGINT) AS s
                FROM {waits} GROUP BY ALL
                """
            )
            ctx.engine.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE {ctx.scratch("wt01_contacts")} AS
                SELECT a, count(DISTINCT {S.CONTACT_ID}) AS contacts,
                       min(DISTINCT {S.CONTACT_ID}, {_EXAMPLES}) AS first_ids
                FROM {waits} GROUP BY a
                """
            )
        finally:
            ctx.engine.execute(f"DROP TABLE IF EXISTS {waits}")

    def detect(self, ctx: DetectorContext) -> list[Finding]:
        e, t, idle = ctx.engine, self.thresholds, ctx.scratch("wt01")
        # medians read from the sketch (within a relative ACCURACY of the exact ones), the rest exact
        rows = e.rows(
            f"""
            WITH a AS (SELECT a, sum(n) AS n, sum(s) / 86400.0 AS total FROM {idle} GROUP BY a),
            tot AS (SELECT sum(s) / 86400.0 AS all_days FROM {idle}),
            m AS ({median_sql(idle, ["a"])}),
            -- one row per activity and partition (Spark's): contacts add up, the first ids merge
            c AS (SELECT a, sum(contacts) AS contacts,
                         list_slice(list_sort(flatten(list(first_ids))), 1, {_EXAMPLES}) AS first_ids
                  FROM {ctx.scratch("wt01_contacts")} GROUP BY a)
            SELECT a.*, m.median / 86400.0 AS med, c.contacts, c.first_ids,
                   total / nullif(all_days, 0) AS share
            FROM a JOIN m USING (a) JOIN c USING (a), tot
            WHERE total >= {num(self.min_share)} * all_days AND n >= {num(t.min_excess)}
            ORDER BY total DESC, a.a
            """
        )
        out = []
        for row in rows:
            a = str(row["a"])
            # the median wait after every other activity: the sketch's counts less this one's
            others = f"SELECT 0 AS k, bucket, n FROM {idle} WHERE a <> ?"
            medians = e.rows(
                f"SELECT median / 86400.0 AS base FROM ({median_sql(f'({others})', ['k'])})", [a]
            )
            if not medians or medians[0]["base"] is None:
                continue  # the only status anyone waits in: nothing to compare it with, not a finding
            base = medians[0]["base"]
            if row["med"] is None or row["med"] < t.min_lift * max(base, 1e-6) or row["med"] <= 0:
                continue
            if row["total"] * 24 < self.min_mean_hours * row["n"]:  # a pause between steps: nothing parked
                continue
            teams = e.rows(
                f"""SELECT team, sum(s) / 86400.0 AS days, sum(n) AS events FROM {idle}
                    WHERE a = ? AND team IS NOT NULL GROUP BY team ORDER BY 2 DESC, 1 LIMIT 5""",
                [a],
            )
            # the days beyond the baseline: exact in every bucket above it; in the one holding it, the
            # bucket's own excess (its values lie within 2 ACCURACY of one another)
            excess_days = e.scalar(
                f"""SELECT sum(greatest(s - n * ?, 0)) / 86400.0
                    FROM (SELECT bucket, sum(n) AS n, sum(s) AS s FROM {idle} WHERE a = ? GROUP BY bucket)""",
                [base * 86400.0, a],
            )
            where = {S.ACTIVITY: a}
            if teams:
                where[S.TEAM] = str(teams[0]["team"])
            out.append(
                self.finding(
                    title=f"Cases parked in {a!r}: {row['share']:.0%} of all waiting time",
                    where=where,
                    contacts_affected=int(row["contacts"]),
                    customer_days_waited=round(float(excess_days or 0.0), 1),
                    evidence={
                        "events": int(row["n"]),
                        "median_idle_days": rnd(row["med"], 3),
                        "total_idle_days": rnd(row["total"], 1),
                        "share_of_idle_time": rnd(row["share"]),
                        "baseline": "median idle time after all other activities",
                        "baseline_days": rnd(base, 3),
                        "teams": [
                            {"team": r["team"], "idle_days": rnd(r["days"], 1), "events": r["events"]}
                            for r in teams
                        ],
                        "excess_idle_days": rnd(excess_days, 1),
                        "examples": [str(x) for x in row["first_ids"]],
                    },
                    hidden_by_kpi="resolution-time SLAs are often paused in waiting statuses, so the wait is "
                    "not seen",
                )
            )
        return out[: t.max_findings]
