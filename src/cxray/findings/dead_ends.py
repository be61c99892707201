"""DE01: dead ends, contacts that stop with no outcome at all."""

from __future__ import annotations

import math

from .. import schema as S
from ..errors import ConfigError
from ..sketch import bucket_sql, quantile_bound_sql
from ..sql import num, sql_string, timestamp
from .base import CUSTOMER_FELT, Detector, Finding, claims_select
from .context import DetectorContext
from .registry import register_detector
from .stats import Thresholds, baseline_cells_sql, claims, examples, rnd, share_column, significant_sql, z_sql


def _silent_for(open_s: float | None) -> str:
    """A title's note of how long the dead ends have been silent, where that is days (case work)."""
    days = (open_s or 0.0) / 86400
    return f", silent for {math.floor(days):.0f}+ days" if days >= 1 else ""


@register_detector
class DeadEnd(Detector):
    """Contacts that end with no outcome recorded, concentrated at one last step.

    **Detects**: per last activity, the share of contacts ending there without any outcome (not censored;
    cases still with a back office are open work, aged by BO01, not dead ends); baseline: the dead-end
    rate of contacts ending at any other activity. Avoidable contacts are the
    customer's next contact within the window (they had to come back).

    A contact has only stopped once its silence outlasts the waits after its last step: one silent for
    less than the time within which ``open_quantile`` (95%) of the contacts that went on from that step
    went on may still go on (a ticket "In Progress" for a month, where the next event after "In Progress"
    often comes months later), so it is open work, counted apart (``still_open``), neither a dead end nor
    a finished contact. On an extract of open cases that is most of them; on calls and chats, whose next
    step comes within minutes, it is the contacts of the data's last minutes.

    **Why it matters**: a contact that just stops (a dropped chat, a web form that leads nowhere, a ticket
    closed by nobody) leaves the customer without an answer and is invisible to outcome-based KPIs.

    **Example**: 80% of chats whose last step is "Upload document" end with no outcome (elsewhere 3%).
    """

    code = "DE01"
    reads = frozenset({"next"})
    name = "dead-end"
    bucket = CUSTOMER_FELT
    entity_keys = (S.ACTIVITY,)  # the step contacts end at

    def __init__(
        self,
        *,
        thresholds: Thresholds = Thresholds(min_lift=2.0),  # noqa: B008 - frozen
        open_quantile: float = 0.95,
    ) -> None:
        if not 0.0 < open_quantile <= 1.0:
            raise ConfigError(f"DE01 open_quantile must be in (0, 1], got {open_quantile!r}")
        self.thresholds = thresholds
        self.open_quantile = open_quantile

    def stage(self, ctx: DetectorContext) -> None:
        """Each finished contact's last activity, whether it has an outcome, how long it has been silent
        and its work; and the waits between a step and the next, counted per step in a quantile sketch
        (``cxray.sketch``), whose counts add up across partitions."""
        if not ctx.facts.has_outcome:
            return
        ev, c = ctx.events_table(), S.CONTACTS_TABLE
        end = timestamp(ctx.facts.data_end)
        ctx.engine.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {ctx.scratch("de01_waits")} AS
            SELECT {S.ACTIVITY} AS a, {bucket_sql("epoch(next_ts - ts)")} AS bucket, count(*) AS n
            FROM {ev} WHERE next_ts IS NOT NULL GROUP BY ALL
            """
        )
        ctx.engine.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {ctx.scratch("de01_last")} AS
            SELECT k.{S.CONTACT_ID}, l.a, k.{S.FINAL_OUTCOME} IS NULL AS dead,
                   epoch({end} - k.{S.END_TS}) AS silent_s,
                   k.{S.WORK_S} / 60.0 AS minutes,
                   k.{S.COST} AS cost
            FROM (SELECT {S.CONTACT_ID}, arg_max({S.ACTIVITY}, seq) AS a,
                         arg_max(eff_actor, seq) AS last_actor,
                         arg_max({S.CHANNEL}, seq) AS last_channel
                  FROM {ev} GROUP BY 1) l
            JOIN {c} k USING ({S.CONTACT_ID})
            WHERE NOT k.{S.IS_CENSORED} AND l.last_actor IS DISTINCT FROM {sql_string(S.BACK_OFFICE)}
              AND l.last_channel IS DISTINCT FROM {sql_string(S.BACK_OFFICE)}
            """
        )

    def detect(self, ctx: DetectorContext) -> list[Finding]:
        if not ctx.facts.has_outcome:
            return []
        e, t = ctx.engine, self.thresholds
        staged, cells = ctx.scratch("de01_last"), ctx.scratch("de01")
        last = ctx.scratch("de01_ends")
        # Per step, the wait within which open_quantile of the contacts that went on went on (read from
        # the waits' sketch: at most 1% above it)
        waits = quantile_bound_sql(ctx.scratch("de01_waits"), ["a"], self.open_quantile)
        e.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {last} AS
            SELECT l.*, coalesce(l.silent_s < q.bound, false) AS open, q.bound AS open_s
            FROM {staged} l LEFT JOIN ({waits}) q USING (a)
            """
        )
        cell = f"""SELECT a, count(*) FILTER (WHERE NOT open) AS n,
                          count(*) FILTER (WHERE dead AND NOT open) AS k,
                          count(*) FILTER (WHERE open) AS still_open, max(open_s) AS open_s
                   FROM {last} GROUP BY a"""
        e.execute(f"CREATE OR REPLACE TEMP TABLE {cells} AS {baseline_cells_sql(cell)}")
        rows = e.rows(
            f"""SELECT *, k / n AS rate, {z_sql("k", "n", "b")} AS z, {share_column()} FROM {cells}
                WHERE {significant_sql("k", "n", "b", t)}
                ORDER BY k - n * b DESC, a LIMIT {int(t.max_findings)}"""
        )
        nxt = ctx.next_table() if ctx.facts.has_customer else None
        out = []
        for row in rows:
            a = str(row["a"])
            share = num(row["share"])
            dead = f"SELECT * FROM {last} WHERE dead AND NOT open AND a = {sql_string(a)}"
            if nxt:
                cols = claims_select("n.next_contact_id", share, "1", "n.next_minutes", "n.next_cost")
                claims_sql = f"""SELECT {cols}
                             FROM ({dead}) d JOIN {nxt} n USING ({S.CONTACT_ID}) WHERE n.follows"""
            else:
                claims_sql = claims(dead, share=share)
            out.append(
                self.finding(
                    title=f"Dead end after {a!r}: {row['rate']:.0%} of contacts ending there have no outcome"
                    + _silent_for(row["open_s"]),
                    where={S.ACTIVITY: a},
                    contacts_affected=int(row["k"]),
                    evidence={
                        "contacts": int(row["n"]),
                        "no_outcome": int(row["k"]),
                        "dead_end_rate": rnd(row["rate"]),
                        "baseline": "no-outcome rate of contacts ending at any other activity",
                        "baseline_rate": rnd(row["b"]),
                        "z": rnd(row["z"], 2),
                        "still_open": int(row["still_open"]),
                        "open_within_days": None if row["open_s"] is None else rnd(row["open_s"] / 86400),
                        "examples": examples(e, dead),
                    },
                    hidden_by_kpi="outcome-based KPIs (resolution, containment) skip contacts with no "
                    "outcome",
                    claims_sql=claims_sql,
                )
            )
        return out
