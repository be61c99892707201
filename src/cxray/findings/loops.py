"""LP01: loops and rework, a step done again within the same leg of a contact."""

from __future__ import annotations

from .. import schema as S
from ..process.step_kinds import STEP_KIND
from ..sql import in_list, num, sql_string
from .base import AGENT_ABSORBED, Detector, Finding
from .context import DetectorContext
from .registry import register_detector
from .stats import (
    Thresholds,
    baseline_cells_sql,
    claims,
    examples,
    rnd,
    share_column,
    significant_sql,
    z_sql,
)

#: Step kinds that are states a case is in, or the record of a move between them, not work done: a case
#: queued again or put on hold again within a leg waits twice (WT01 measures the waiting), one back "In
#: Progress" after a wait or a reassignment resumes its work, a second "Status Change" is the log's
#: bookkeeping; nobody did the work twice.
STATE_KINDS = frozenset({"queue_wait", "hold", "in_progress", "status_change"})
#: Step kinds that pass the case to someone: done again within one queue or team, the case went from
#: person to person there (BPIC 2014's 'Reassignment', BPIC 2013's 'Accepted - Assigned'), which the
#: finding says instead of calling it rework.
HANDOVER_KINDS = frozenset({"transfer", "assignment"})


@register_detector
class Rework(Detector):
    """An activity repeated within one leg (same queue or team, no handoff between) more than elsewhere.

    **Detects**: per (activity, queue or team), the share of legs doing the activity that do it twice or
    more; baseline: the same activity's repeat rate in the other queues. Repeats across a handoff are
    context loss (CL01); a state re-entered (queued, on hold or in progress again, by its step kind) or a
    status change recorded again is not work repeated.

    **Why it matters**: rework is effort nobody asked for; concentrated in one place it points at a broken
    tool, form or instruction there. A handover (a transfer or assignment step, by its kind) repeated
    within one queue or team is the case passed from person to person there: titled so.

    **Example**: in team Payments, 40% of legs run "Verify payment" twice (other teams 5%).
    """

    code = "LP01"
    reads = frozenset()
    stage_reads = frozenset({"leg_activities"})
    name = "rework"
    bucket = AGENT_ABSORBED

    def __init__(self, *, thresholds: Thresholds = Thresholds()) -> None:  # noqa: B008 - frozen
        self.thresholds = thresholds

    def stage(self, ctx: DetectorContext) -> None:
        """The repeated leg activities (the findings' examples and claims), and per (activity, queue) the
        legs doing it and those doing it twice or more: counts, which partitions' add up."""
        e, la = ctx.engine, ctx.leg_activities_table()
        states = f"""SELECT {S.ACTIVITY} FROM {ctx.step_kinds_table()}
                    WHERE {STEP_KIND} IN {in_list(sorted(STATE_KINDS))}"""
        work = f"leg_key IS NOT NULL AND {S.ACTIVITY} NOT IN ({states})"
        e.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {ctx.scratch("lp01_occ")} AS
            SELECT {S.CONTACT_ID}, leg_no, leg_key AS x, {S.ACTIVITY} AS a, times,
                   minutes - first_minutes AS minutes, cost - first_cost AS cost
            FROM {la} WHERE {work} AND times > 1
            """
        )
        e.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {ctx.scratch("lp01_counts")} AS
            SELECT {S.ACTIVITY} AS a, leg_key AS x, count(*) AS n, count(*) FILTER (WHERE times > 1) AS k
            FROM {la} WHERE {work} GROUP BY 1, 2
            """
        )

    def detect(self, ctx: DetectorContext) -> list[Finding]:
        e, t = ctx.engine, self.thresholds
        occ, cells = ctx.scratch("lp01_occ"), ctx.scratch("lp01")
        cell = (
            "SELECT a, x, CAST(sum(n) AS BIGINT) AS n, CAST(sum(k) AS BIGINT) AS k "
            f"FROM {ctx.scratch('lp01_counts')} GROUP BY 1, 2"
        )
        e.execute(f"CREATE OR REPLACE TEMP TABLE {cells} AS {baseline_cells_sql(cell, within='a')}")
        rows = e.rows(
            f"""SELECT *, k / n AS rate, {z_sql("k", "n", "b")} AS z, {share_column()} FROM {cells}
                WHERE {significant_sql("k", "n", "b", t)}
                ORDER BY k - n * b DESC, a, x LIMIT {int(t.max_findings)}"""
        )
        out = []
        for row in rows:
            a, x = str(row["a"]), str(row["x"])
            kind = ctx.step_kinds.kind(a)  # by name: the detect step reads no events (Spark's driver)
            title = (
                f"Passed around within {x}: {a!r} again in {row['rate']:.0%} of legs"
                if kind in HANDOVER_KINDS
                else f"Rework: {a!r} repeated within {x} ({row['rate']:.0%} of legs)"
            )
            mine = f"SELECT * FROM {occ} WHERE times > 1 AND a = {sql_string(a)} AND x = {sql_string(x)}"
            share = num(row["share"])
            dim = ctx.route_dim
            out.append(
                self.finding(
                    title=title,
                    where={S.ACTIVITY: a, dim: x},
                    contacts_affected=int(row["k"]),
                    evidence={
                        "legs": int(row["n"]),
                        "with_repeat": int(row["k"]),
                        "repeat_rate": rnd(row["rate"]),
                        "baseline": f"rate of repeating {a!r} within a leg in other queues",
                        "baseline_rate": rnd(row["b"]),
                        "z": rnd(row["z"], 2),
                        "step_kind": kind,
                        "flow": [f"{a} -> ... -> {a}"],
                        "examples": examples(e, mine),
                    },
                    claims_sql=claims(mine, share=share, units=0),
                )
            )
        return out
