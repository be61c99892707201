"""FC01: false containment, bot/IVR sessions reported "contained" whose customer contacts again."""

from __future__ import annotations

from .. import schema as S
from ..sql import num, sql_string
from .base import TECHNOLOGY, Detector, Finding, claims_select
from .context import DetectorContext
from .registry import register_detector
from .stats import Thresholds, examples, rnd, share_column, significant_sql, z_sql


@register_detector
class FalseContainment(Detector):
    """Self-service contacts counted as contained, after which the customer contacts again anyway.

    **Detects**: per (entry channel, reason), contained bot/IVR contacts followed by another contact of the
    same customer, on any channel and for any reason, within ``window_days``. Baseline: how often customers
    contact again after an agent-resolved contact of the same reason (some come back whatever happens).

    **Why it matters**: the bot's containment rate counts these as successes while the customer pays
    twice and the agent floor absorbs the call the bot was bought to avoid.

    **Example**: 45% of "delivery status" chats the bot contained came back by phone within 7 days, against
    9% after an agent resolved the same reason.
    """

    code = "FC01"
    reads = frozenset({"next"})
    name = "false-containment"
    bucket = TECHNOLOGY
    entity_keys = ()  # a reason the bot contains falsely: no queue or team is to blame

    def __init__(self, *, thresholds: Thresholds = Thresholds()) -> None:  # noqa: B008 - frozen
        self.thresholds = thresholds

    def detect(self, ctx: DetectorContext) -> list[Finding]:
        f = ctx.facts
        if not (f.has_customer and f.has_outcome and f.has_self_service_signal):
            return []
        e, t, nxt, c = ctx.engine, self.thresholds, ctx.next_table(), S.CONTACTS_TABLE
        cells = ctx.scratch("fc01")
        e.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {cells} AS
            WITH k AS (
                SELECT c.{S.CONTACT_ID}, coalesce(c.{S.REASON}, '') AS r, c.{S.ENTRY_CHANNEL} AS ch,
                       c.{S.IS_CONTAINED} AS contained, coalesce(n.follows, false) AS follows
                FROM {c} c LEFT JOIN {nxt} n USING ({S.CONTACT_ID})
                WHERE NOT c.{S.IS_CENSORED} AND c.{S.CUSTOMER_ID} IS NOT NULL
                  AND (c.{S.IS_CONTAINED}
                       OR (c.{S.FINAL_OUTCOME} = {sql_string(S.RESOLVED)}
                           AND NOT coalesce(c.{S.IS_CONTAINED}, false)))
            ), base AS (
                SELECT r, avg(CASE WHEN follows THEN 1.0 ELSE 0.0 END) AS b
                FROM k WHERE NOT contained GROUP BY r
            ), centre AS (
                SELECT avg(CASE WHEN follows THEN 1.0 ELSE 0.0 END) AS b0 FROM k WHERE NOT contained
            )
            SELECT ch, k.r, count(*) AS n, count(*) FILTER (WHERE follows) AS k,
                   least(coalesce(any_value(base.b), any_value(b0)), any_value(b0)) AS b
            FROM k LEFT JOIN base USING (r), centre
            WHERE contained GROUP BY ch, k.r
            """
        )
        rows = e.rows(
            f"""SELECT *, k / n AS rate, {z_sql("k", "n", "b")} AS z, {share_column()} FROM {cells}
                WHERE {significant_sql("k", "n", "b", t)}
                ORDER BY k - n * b DESC, ch, r LIMIT {int(t.max_findings)}"""
        )
        out = []
        for row in rows:
            ch, r = row["ch"], str(row["r"])
            ch_sql = (
                f"c.{S.ENTRY_CHANNEL} IS NULL" if ch is None else f"c.{S.ENTRY_CHANNEL} = {sql_string(ch)}"
            )
            symptomatic = f"""
                SELECT c.{S.CONTACT_ID}, n.next_contact_id, n.next_minutes, n.next_cost
                FROM {c} c JOIN {nxt} n USING ({S.CONTACT_ID})
                WHERE c.{S.IS_CONTAINED} AND NOT c.{S.IS_CENSORED} AND n.follows AND {ch_sql}
                  AND coalesce(c.{S.REASON}, '') = {sql_string(r)}
            """
            back = e.rows(
                f"""SELECT x.{S.ENTRY_CHANNEL} AS channel, count(*) AS contacts FROM ({symptomatic}) s
                    JOIN {c} x ON x.{S.CONTACT_ID} = s.next_contact_id
                    GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3"""
            )
            where = {S.CHANNEL: str(ch)} if ch is not None else {}
            if r:
                where[S.REASON] = r
            share = num(row["share"])
            cols = claims_select("next_contact_id", share, "1", "next_minutes", "next_cost")
            out.append(
                self.finding(
                    title=f"False containment: {row['rate']:.0%} of contained {r or 'self-service'} "
                    f"contacts on {ch} come back",
                    where=where,
                    contacts_affected=int(row["k"]),
                    evidence={
                        "contained": int(row["n"]),
                        "came_back": int(row["k"]),
                        "comeback_rate": rnd(row["rate"]),
                        "baseline": "contact-again rate after an agent-resolved contact "
                        "(lower of same reason, centre)",
                        "baseline_rate": rnd(row["b"]),
                        "z": rnd(row["z"], 2),
                        "window_days": ctx.options.window_days,
                        "came_back_on": back,
                        "flow": [f"{ch} (contained) -> {b_['channel']}" for b_ in back],
                        "examples": examples(e, symptomatic),
                    },
                    hidden_by_kpi=f"bot/IVR containment counts these {int(row['k'])} contacts as contained "
                    "(success)",
                    claims_sql=f"SELECT {cols} FROM ({symptomatic})",
                )
            )
        return out
