"""CL01: context loss at a handoff, steps done before the handoff done again after it."""

from __future__ import annotations

from .. import schema as S
from ..sql import num, sql_string
from .base import TECHNOLOGY, Detector, Finding
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


@register_detector
class ContextLoss(Detector):
    """A step (authentication, gathering details) repeated after a handoff into one queue.

    **Detects**: per (activity, receiving queue or team), how often an activity already done earlier in
    the contact is done again in the leg after a handoff (bot → agent or agent → agent). Baseline: the
    same activity's repeat rate after handoffs into the other queues. Steps that at least
    ``per_leg_share`` of all human legs do anyway (queue wait, handling) are the leg's own work and skipped.

    **Why it matters**: the customer proves who they are and tells the story twice; the agent spends
    minutes the previous leg already spent.

    **Example**: 61% of chats handed from the bot to queue Billing re-run "Authenticate" (other queues 4%).
    """

    code = "CL01"
    name = "context-loss"
    bucket = TECHNOLOGY

    def __init__(
        self,
        *,
        per_leg_share: float = 0.5,
        thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen
    ) -> None:
        self.per_leg_share = per_leg_share
        self.thresholds = thresholds

    def detect(self, ctx: DetectorContext) -> list[Finding]:
        e, t, la, legs = ctx.engine, self.thresholds, ctx.leg_activities_table(), ctx.legs_table()
        cells, dups = ctx.scratch("cl01"), ctx.scratch("cl01_dups")
        # ``la`` has one row per (contact, leg, activity): counting its rows counts distinct legs.
        e.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {dups} AS
            WITH occ AS (
                SELECT {S.CONTACT_ID}, {S.ACTIVITY} AS a, min(leg_no) AS first_leg FROM {la} GROUP BY 1, 2
            ), per_leg AS (
                -- Steps most human legs do anyway (queue wait, handling) are the leg's work.
                SELECT a FROM (
                    SELECT x.{S.ACTIVITY} AS a, count(*) AS legs_with
                    FROM {la} x JOIN {legs} l USING ({S.CONTACT_ID}, leg_no)
                    WHERE NOT l.is_self_service GROUP BY 1
                ) WHERE legs_with >= {num(self.per_leg_share)}
                        * (SELECT count(*) FROM {legs} WHERE NOT is_self_service)
            ), d AS (
                SELECT {S.CONTACT_ID}, leg_no, {S.ACTIVITY} AS a, minutes, cost FROM {la}
            )
            SELECT l.{S.CONTACT_ID}, l.leg_no, l.leg_key AS x, l.prev_key, o.a,
                   d.a IS NOT NULL AS again, d.minutes, d.cost
            FROM {legs} l JOIN occ o ON o.{S.CONTACT_ID} = l.{S.CONTACT_ID} AND o.first_leg < l.leg_no
            LEFT JOIN d ON d.{S.CONTACT_ID} = l.{S.CONTACT_ID} AND d.leg_no = l.leg_no AND d.a = o.a
            WHERE l.leg_no > 1 AND NOT l.is_self_service AND l.prev_key IS NOT NULL
              AND o.a NOT IN (SELECT a FROM per_leg)
            """
        )
        cell = f"SELECT a, x, count(*) AS n, count(*) FILTER (WHERE again) AS k FROM {dups} GROUP BY 1, 2"
        e.execute(f"CREATE OR REPLACE TEMP TABLE {cells} AS {baseline_cells_sql(cell, within='a')}")
        rows = e.rows(
            f"""SELECT *, k / n AS rate, {z_sql("k", "n", "b")} AS z, {share_column()} FROM {cells}
                WHERE {significant_sql("k", "n", "b", t)}
                ORDER BY k - n * b DESC, a, x LIMIT {int(t.max_findings)}"""
        )
        out = []
        for row in rows:
            a, x = str(row["a"]), str(row["x"])
            mine = f"SELECT * FROM {dups} WHERE again AND a = {sql_string(a)} AND x = {sql_string(x)}"
            froms = e.rows(
                f'SELECT prev_key AS "from", count(*) AS n FROM ({mine}) '
                "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3"
            )
            dim = ctx.route_dim
            where = {S.ACTIVITY: a, dim: x, "to": x}
            if froms:
                where["from"] = str(froms[0]["from"])
            share = num(row["share"])
            out.append(
                self.finding(
                    title=f"Context lost on handoff into {x}: {a!r} repeated ({row['rate']:.0%})",
                    where=where,
                    contacts_affected=int(row["k"]),
                    evidence={
                        "handoffs": int(row["n"]),
                        "repeated": int(row["k"]),
                        "repeat_rate": rnd(row["rate"]),
                        "baseline": f"rate of repeating {a!r} after handoffs into other queues",
                        "baseline_rate": rnd(row["b"]),
                        "z": rnd(row["z"], 2),
                        "flow": [f"{f_['from']} ({a}) -> {x} ({a} again)" for f_ in froms],
                        "examples": examples(e, mine),
                    },
                    hidden_by_kpi="handle time counts the repeated step as normal work; no KPI sees it twice",
                    claims_sql=claims(mine, share=share, units=0),
                )
            )
        return out
