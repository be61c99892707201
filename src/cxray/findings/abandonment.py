"""AB01: abandonment hot spots, a queue whose callers give up at certain hours of the day."""

from __future__ import annotations

from .. import schema as S
from ..sql import num, sql_string
from .base import OPERATING_MODEL, Detector, Finding, claims_select
from .context import DetectorContext
from .registry import register_detector
from .stats import Thresholds, baseline_cells_sql, claims, examples, rnd


@register_detector
class AbandonmentHotSpot(Detector):
    """A queue whose abandonment rate at some hours of the day is far above its own rate at other hours.

    **Detects**: per (queue, hour of day of the contact's start, in the data's own clock), the share of
    contacts abandoned, against the same queue's rate at all other open hours (so a queue's usual level is
    not blamed). The significant hours of a queue form one finding. Contacts that start while the centre
    is closed (opening hours inferred by ``cxray.quality``) are left out: a call into a closed centre is
    not a staffing problem.

    **Why it matters**: abandoned customers call back (each retry is a contact) or give up unserved; a peak
    under-staffed by a few agents drives both.

    **Example**: Sales abandons 34% of calls at 10:00-11:59 against 6% at other hours; the retries within 7
    days are the avoidable contacts.
    """

    code = "AB01"
    reads = frozenset({"next"})
    name = "abandonment-hot-spot"
    bucket = OPERATING_MODEL

    def __init__(self, *, thresholds: Thresholds = Thresholds(min_lift=2.0)) -> None:  # noqa: B008 - frozen
        self.thresholds = thresholds

    def detect(self, ctx: DetectorContext) -> list[Finding]:
        if not ctx.facts.has_outcome:
            return []
        e, t, c = ctx.engine, self.thresholds, S.CONTACTS_TABLE
        cells = ctx.scratch("ab01")
        dim = ctx.route_dim
        q = S.FINAL_QUEUE if dim == S.QUEUE else S.FINAL_TEAM
        zone = ctx.quality.clock_zone

        def hour(ts: str) -> str:  # hour of day in the data's own clock
            return f"hour(timezone({sql_string(zone)}, {ts} AT TIME ZONE 'UTC'))"

        open_ = f"NOT {ctx.quality.out_of_hours_sql()}"
        cell = f"""
            SELECT {q} AS v, {hour(S.START_TS)} AS h, count(*) AS n,
                   count(*) FILTER (WHERE {S.IS_ABANDONED}) AS k
            FROM {c} WHERE {q} IS NOT NULL AND {open_} GROUP BY 1, 2"""
        e.execute(f"CREATE OR REPLACE TEMP TABLE {cells} AS {baseline_cells_sql(cell, within='v')}")
        # A cell passes on lift and z; the excess threshold applies to the queue's significant hours together.
        lift = float(t.min_lift)
        fb = "least(greatest(coalesce(b, 0), 0.001), 0.999)"
        e.execute(
            f"""ALTER TABLE {cells} ADD COLUMN hot BOOLEAN;
                UPDATE {cells} SET hot = k - n * coalesce(b, 0) > 0 AND k >= {lift} * n * {fb}
                   AND (k - n * {fb}) / sqrt(greatest(n * {fb} * (1 - {fb}), 1e-9)) >= {num(t.min_z)}"""
        )
        rows = e.rows(
            f"""SELECT v, list(h ORDER BY h) AS hours, sum(n) AS n, sum(k) AS k, sum(n * b) AS expected,
                       sum(k - n * b) AS excess
                FROM {cells} WHERE hot GROUP BY v HAVING sum(k - n * b) >= {num(t.min_excess)}
                ORDER BY excess DESC, v LIMIT {int(t.max_findings)}"""
        )
        nxt = ctx.next_table() if ctx.facts.has_customer else None
        out = []
        for row in rows:
            v = str(row["v"])
            abandoned = f"""
                SELECT k.{S.CONTACT_ID}, greatest(0.0, (x.k - x.n * x.b) / nullif(x.k, 0)) AS share,
                       k.{S.WORK_S} / 60.0 AS minutes, k.{S.COST} AS cost
                FROM (SELECT * FROM {c} WHERE {open_}) k
                JOIN {cells} x ON x.v = k.{q} AND x.h = {hour("k." + S.START_TS)}
                WHERE x.hot AND k.{S.IS_ABANDONED} AND k.{q} = {sql_string(v)}
            """
            if nxt:
                # The avoidable contact is the retry; an abandon with no retry is a lost customer, no cost.
                cols = claims_select("n.next_contact_id", "a.share", "1", "n.next_minutes", "n.next_cost")
                claims_sql = f"""SELECT {cols}
                             FROM ({abandoned}) a JOIN {nxt} n USING ({S.CONTACT_ID}) WHERE n.follows"""
                retries = int(e.scalar(f"SELECT count(*) FROM ({claims_sql})") or 0)
            else:
                claims_sql = claims(abandoned, share="share")
                retries = None
            hours = [int(h) for h in row["hours"]]
            span = ", ".join(f"{h:02d}:00" for h in hours)
            out.append(
                self.finding(
                    title=f"Abandonment hot spot: {dim} {v} at {span} ({ctx.quality.clock_label}) "
                    f"({row['k'] / row['n']:.0%} abandoned)",
                    where={dim: v},
                    contacts_affected=int(row["k"]),
                    evidence={
                        "hours": hours,
                        "clock": ctx.quality.clock_label,
                        "contacts": int(row["n"]),
                        "abandoned": int(row["k"]),
                        "abandon_rate": rnd(row["k"] / row["n"]),
                        "baseline": "the same queue's abandonment rate at its other hours",
                        "baseline_rate": rnd(row["expected"] / row["n"]),
                        "excess_abandoned": rnd(row["excess"], 1),
                        "retries_within_window": retries,
                        "examples": examples(e, abandoned),
                    },
                    hidden_by_kpi="daily service level and abandonment averages dilute the peak-hour "
                    "collapse",
                    claims_sql=claims_sql,
                )
            )
        return out
