"""TR01: transfer hot spots, a queue that mostly passes a reason on (misrouted handoffs)."""

from __future__ import annotations

from collections.abc import Mapping

from .. import schema as S
from ..sql import num, sql_string
from .base import TECHNOLOGY, Detector, Finding
from .context import DetectorContext
from .grouping import points_of
from .registry import register_detector
from .stats import Thresholds, claims, examples, rnd, share_column, significant_sql, z_sql


@register_detector
class TransferHotSpot(Detector):
    """A queue (or team) that transfers a reason onward far more often than the rest of the centre.

    **Detects**: for each (queue, reason), the share of its human-handled legs that end in a transfer to
    another human leg, against the baseline of every other (queue, reason) in the centre. Contacts that
    bounce back (ping-pong, PP01) are left to that detector.

    **Why it matters**: a reason routed to the wrong queue is handled twice: the first agent's minutes are
    waste, the customer waits twice and repeats the story.

    **Example**: 78% of "card lost" contacts reaching queue General are transferred to Cards (centre-wide
    12%): the General leg of 66 points of them is avoidable with the right routing rule.
    """

    code = "TR01"
    reads = frozenset()
    stage_reads = frozenset({"legs"})
    name = "transfer-hot-spot"
    bucket = TECHNOLOGY
    # Onward transfers of one reason are a misroute of that reason: a failure point (queue and reason) and a
    # mechanism of its own, whose symptoms show where the contacts land. Of all reasons they are a
    # symptom of whatever fails at the transferring queue.
    symptom = True
    entity_keys = ((S.QUEUE, S.REASON), (S.TEAM, S.REASON))

    def failure_points(self, where: Mapping[str, str]) -> list[tuple[str, str]]:
        points = points_of(where, self.entity_keys)
        return points or points_of(where, (S.QUEUE, S.TEAM))

    def is_symptom(self, where: Mapping[str, str]) -> bool:
        return not where.get(S.REASON)

    def downstream_points(self, where: Mapping[str, str]) -> list[tuple[str, str]]:
        return [("route", where["to"])] if where.get(S.REASON) and where.get("to") else []

    def __init__(
        self,
        *,
        min_rate: float = 0.3,
        thresholds: Thresholds = Thresholds(min_lift=2.0),  # noqa: B008 - frozen
    ) -> None:
        self.min_rate = min_rate
        self.thresholds = thresholds

    def stage(self, ctx: DetectorContext) -> None:
        """Per (queue, reason) the routed human legs and those transferred onward (counts, which
        partitions' add up), and each leg transferred onward with its work and where it went."""
        if not ctx.facts.has_routing:
            return
        e, legs = ctx.engine, ctx.legs_table()
        onward = f"""l.next_key IS NOT NULL AND NOT l.next_self AND NOT coalesce(c.{S.IS_PING_PONG}, false)"""
        routed = f"""FROM {legs} l JOIN {S.CONTACTS_TABLE} c USING ({S.CONTACT_ID})
                     WHERE l.has_route AND NOT l.is_self_service"""
        e.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {ctx.scratch("tr01_counts")} AS
            SELECT l.leg_key AS v, coalesce(l.{S.REASON}, '') AS r, count(*) AS n,
                   count(*) FILTER (WHERE {onward}) AS k
            {routed} GROUP BY 1, 2
            """
        )
        e.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {ctx.scratch("tr01_onward")} AS
            SELECT l.{S.CONTACT_ID}, l.leg_key AS v, coalesce(l.{S.REASON}, '') AS r, l.minutes, l.cost,
                   l.next_key, c.{S.ENTRY_CHANNEL}
            {routed} AND {onward}
            """
        )

    def detect(self, ctx: DetectorContext) -> list[Finding]:
        if not ctx.facts.has_routing:
            return []
        e, t = ctx.engine, self.thresholds
        cells = ctx.scratch("tr01")
        e.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {cells} AS
            WITH cell AS (
                SELECT v, r, CAST(sum(n) AS BIGINT) AS n, CAST(sum(k) AS BIGINT) AS k
                FROM {ctx.scratch("tr01_counts")} GROUP BY 1, 2
            ), tot AS (SELECT sum(n) AS nn, sum(k) AS kk FROM cell)
            SELECT cell.*, (kk - k) / nullif(nn - n, 0) AS b FROM cell, tot
            """
        )
        rows = e.rows(
            f"""
            SELECT *, k / n AS rate, {z_sql("k", "n", "b")} AS z, {share_column()} FROM {cells}
            WHERE k >= {num(self.min_rate)} * n AND {significant_sql("k", "n", "b", t)}
            ORDER BY k - n * b DESC, v, r LIMIT {int(t.max_findings)}
            """
        )
        return [self._finding(ctx, row) for row in rows]

    def _finding(self, ctx: DetectorContext, row: dict) -> Finding:
        e, v, r = ctx.engine, str(row["v"]), str(row["r"])
        share = num(row["share"])
        symptomatic = f"""
            SELECT {S.CONTACT_ID}, minutes, cost, next_key, {S.ENTRY_CHANNEL}
            FROM {ctx.scratch("tr01_onward")} WHERE v = {sql_string(v)} AND r = {sql_string(r)}
        """
        dests = e.rows(
            f'SELECT next_key AS "to", count(*) AS contacts FROM ({symptomatic}) '
            "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3"
        )
        chans = e.rows(
            f"SELECT {S.ENTRY_CHANNEL} AS ch, count(*) AS n FROM ({symptomatic}) "
            "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
        )
        dim = ctx.route_dim
        where = {dim: v, "from": v}
        if r:
            where[S.REASON] = r
        if dests:
            where["to"] = str(dests[0]["to"])
        if chans and chans[0]["ch"] is not None and chans[0]["n"] >= 0.8 * row["k"]:
            where[S.CHANNEL] = str(chans[0]["ch"])
        reason_txt = f" {r}" if r else ""
        return self.finding(
            title=f"{dim.capitalize()} {v} transfers{reason_txt} contacts onward ({row['rate']:.0%})",
            where=where,
            contacts_affected=int(row["k"]),
            evidence={
                "legs": int(row["n"]),
                "transferred_onward": int(row["k"]),
                "transfer_rate": rnd(row["rate"]),
                "baseline": "transfer-onward rate of every other (queue, reason) in the centre",
                "baseline_rate": rnd(row["b"]),
                "z": rnd(row["z"], 2),
                "destinations": dests,
                "flow": [f"{v} -> {d['to']}" for d in dests],
                "examples": examples(e, symptomatic),
            },
            hidden_by_kpi=(
                "handle-time and occupancy KPIs count the minutes spent before the transfer as "
                "productive work"
            ),
            claims_sql=(claims(symptomatic, share=share, units=0)),
        )
