"""PP01: ping-pong, contacts bounced between two queues or teams and back."""

from __future__ import annotations

from .. import schema as S
from ..sql import num, sql_string
from .base import CUSTOMER_FELT, Detector, Finding
from .context import DetectorContext
from .registry import register_detector
from .stats import Thresholds, claims, examples, rnd


@register_detector
class PingPong(Detector):
    """Contacts handed from one queue (team) to another and back again: A → B → A.

    **Detects**: contacts whose sequence of queues (teams when the log has no queue) returns to one it
    already visited. Each contact is filed under its first return, ``from`` the queue it returned to,
    ``to`` the one it bounced off. Baseline: a contact needs each queue once, so every revisited leg is
    avoidable work.

    **Why it matters**: nobody owns the contact; the customer waits in two queues and explains twice, and
    each side's transfer looks reasonable in its own report.

    **Example**: 140 incidents went Service Desk → 2nd line → Service Desk; the 180 revisited legs cost
    310 agent minutes.
    """

    code = "PP01"
    reads = frozenset()
    stage_reads = frozenset({"legs"})
    name = "ping-pong"
    bucket = CUSTOMER_FELT
    entity_keys = ()  # a pair of queues: pairs of one detector roll up (grouping.PAIR_KEYS)

    def __init__(self, *, thresholds: Thresholds = Thresholds()) -> None:  # noqa: B008 - frozen
        self.thresholds = thresholds

    def stage(self, ctx: DetectorContext) -> None:
        """The contacts that come back to a queue (team): the first pair, the revisited legs' work, and
        their legs' teams."""
        if not ctx.facts.has_routing:
            return
        e, legs, pairs = ctx.engine, ctx.legs_table(), ctx.scratch("pp01")
        e.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {pairs} AS
            WITH first_return AS (
                SELECT {S.CONTACT_ID}, arg_min(leg_key, leg_no) AS a, arg_min(prev_key, leg_no) AS b
                FROM {legs} WHERE is_revisit AND has_route GROUP BY {S.CONTACT_ID}
            )
            SELECT f.{S.CONTACT_ID}, f.a, f.b, coalesce(c.{S.REASON}, '') AS r,
                   sum(l.minutes) AS minutes, sum(l.cost) AS cost, count(*) AS revisits
            FROM first_return f JOIN {legs} l USING ({S.CONTACT_ID})
            JOIN {S.CONTACTS_TABLE} c USING ({S.CONTACT_ID})
            WHERE l.is_revisit
            GROUP BY ALL
            """
        )
        e.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {ctx.scratch("pp01_teams")} AS
            SELECT l.{S.CONTACT_ID}, l.leg_key, l.{S.TEAM} AS team, count(*) AS n FROM {legs} l
            WHERE l.{S.TEAM} IS NOT NULL AND l.{S.CONTACT_ID} IN (SELECT {S.CONTACT_ID} FROM {pairs})
            GROUP BY 1, 2, 3
            """
        )

    def detect(self, ctx: DetectorContext) -> list[Finding]:
        if not ctx.facts.has_routing:
            return []
        e, t, pairs, legs = ctx.engine, self.thresholds, ctx.scratch("pp01"), ctx.scratch("pp01_teams")
        rows = e.rows(
            f"""
            SELECT a, b, count(*) AS k, sum(revisits) AS revisits, sum(minutes) AS minutes,
                   arg_min(r, (-n_r, r)) AS top_reason, max(n_r) AS top_n
            FROM (SELECT *, count(*) OVER (PARTITION BY a, b, r) AS n_r FROM {pairs})
            GROUP BY a, b HAVING count(*) >= {num(t.min_excess)}
            ORDER BY coalesce(sum(cost), 0) DESC, coalesce(sum(minutes), 0) DESC, k DESC, a, b
            LIMIT {int(t.max_findings)}
            """
        )
        out = []
        for row in rows:
            a, b = str(row["a"]), str(row["b"])
            mine = f"SELECT * FROM {pairs} WHERE a = {sql_string(a)} AND b = {sql_string(b)}"
            teams = e.rows(
                f"""SELECT l.leg_key, l.team, CAST(sum(l.n) AS BIGINT) AS n FROM {legs} l
                    JOIN ({mine}) m USING ({S.CONTACT_ID})
                    GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 4"""
            )
            dim = ctx.route_dim
            where = {"from": a, "to": b}
            if row["top_reason"] and row["top_n"] >= 0.8 * row["k"]:
                where[S.REASON] = str(row["top_reason"])
            out.append(
                self.finding(
                    title=f"Ping-pong between {dim} {a} and {b}",
                    where=where,
                    contacts_affected=int(row["k"]),
                    evidence={
                        "dimension": dim,
                        "contacts": int(row["k"]),
                        "revisited_legs": int(row["revisits"]),
                        "revisited_minutes": rnd(row["minutes"], 1),
                        "baseline": "each queue (team) visited once per contact: revisited legs are "
                        "avoidable",
                        "teams": [
                            {"leg": t_["leg_key"], "team": t_["team"], "legs": t_["n"]} for t_ in teams
                        ],
                        "flow": [f"{a} -> {b} -> {a}"],
                        "examples": examples(e, mine),
                    },
                    hidden_by_kpi="each side's transfer rate looks normal; nobody's KPI owns the return",
                    claims_sql=claims(mine, share="1.0", units=0),
                )
            )
        return out
