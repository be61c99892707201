"""MH01: multi-hop chains, contacts passed through three or more transfers without going back."""

from __future__ import annotations

from .. import schema as S
from ..errors import ConfigError
from ..sql import list_in_order, modal, num, sql_string
from .base import CUSTOMER_FELT, Detector, Finding
from .context import DetectorContext
from .registry import register_detector
from .stats import Thresholds, claims, examples, rnd


@register_detector
class MultiHop(Detector):
    """Contacts of a reason that pass through ``min_hops`` or more transfers (A → B → C → D).

    **Detects**: per reason, human-handled contacts with at least ``min_hops`` transfers between queues
    (teams) and no return (returns are PP01). Baseline: one transfer at most; legs after the second are
    avoidable.

    **Why it matters**: each hop is a new wait and a new explanation; long chains mean nobody at the front
    can resolve or even route the reason.

    **Example**: 60 "contract change" contacts went Tier 1 → Sales → Billing → Retention.
    """

    code = "MH01"
    reads = frozenset()
    stage_reads = frozenset({"legs"})
    name = "multi-hop"
    bucket = CUSTOMER_FELT
    entity_keys = ()  # chains across the process
    symptom = True  # of misroutes and ping-pong

    def __init__(self, *, min_hops: int = 3, thresholds: Thresholds = Thresholds()) -> None:  # noqa: B008
        if min_hops < 2:
            raise ConfigError(f"MH01 min_hops must be >= 2, got {min_hops}")
        self.min_hops = min_hops
        self.thresholds = thresholds

    def stage(self, ctx: DetectorContext) -> None:
        """The contacts routed through ``min_hops`` transfers or more without a revisit, with their path."""
        if not ctx.facts.has_routing:
            return
        legs = ctx.legs_table()
        ctx.engine.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {ctx.scratch("mh01")} AS
            WITH h AS (
                SELECT *, row_number() OVER (PARTITION BY {S.CONTACT_ID} ORDER BY leg_no) AS hop
                FROM {legs} WHERE has_route AND NOT is_self_service
            ), c AS (
                SELECT {S.CONTACT_ID}, coalesce(any_value({S.REASON}), '') AS r, count(*) AS n_legs,
                       sum(minutes) FILTER (WHERE hop > 2) AS minutes,
                       sum(cost) FILTER (WHERE hop > 2) AS cost,
                       array_to_string({list_in_order("leg_key", "hop")}, ' -> ') AS path,
                       bool_or(is_revisit) AS revisit
                FROM h GROUP BY {S.CONTACT_ID}
            )
            SELECT * FROM c WHERE n_legs - 1 >= {int(self.min_hops)} AND NOT revisit
            """
        )

    def detect(self, ctx: DetectorContext) -> list[Finding]:
        if not ctx.facts.has_routing:
            return []
        e, t, chains = ctx.engine, self.thresholds, ctx.scratch("mh01")
        rows = e.rows(
            f"""SELECT r, count(*) AS k, sum(minutes) AS minutes, sum(cost) AS cost, {modal("path")} AS path
                FROM {chains} GROUP BY r HAVING count(*) >= {num(t.min_excess)}
                ORDER BY coalesce(sum(cost), 0) DESC, k DESC, r LIMIT {int(t.max_findings)}"""
        )
        out = []
        for row in rows:
            r = str(row["r"])
            mine = f"SELECT * FROM {chains} WHERE r = {sql_string(r)}"
            top_path = e.scalar(
                f"SELECT path FROM ({mine}) GROUP BY path ORDER BY count(*) DESC, path LIMIT 1"
            )
            out.append(
                self.finding(
                    title=f"Multi-hop chains of {self.min_hops}+ transfers" + (f" for {r}" if r else ""),
                    where={S.REASON: r} if r else {},
                    contacts_affected=int(row["k"]),
                    evidence={
                        "contacts": int(row["k"]),
                        "minutes_after_second_leg": rnd(row["minutes"], 1),
                        "baseline": "one transfer at most: legs after the second are avoidable",
                        "flow": [top_path],
                        "examples": examples(e, mine),
                    },
                    claims_sql=claims(mine, share="1.0", units=0),
                )
            )
        return out
