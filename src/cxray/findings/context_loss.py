"""CL01: context loss at a handoff, steps done before the handoff done again after it."""

from __future__ import annotations

from typing import Any

from .. import schema as S
from ..process.step_kinds import STEP_KIND, StepKinds, stage_step_kinds
from ..sql import in_list, num, sql_string
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

#: A leg entered by a handoff to a human from another route (legs aliased ``l``).
_HANDOFF = "l.leg_no > 1 AND NOT l.is_self_service AND l.prev_key IS NOT NULL"

#: The kinds whose repeat after a handoff is lost context: once per contact is enough.
CONTEXT_KINDS: tuple[str, ...] = ("authenticate", "gather_details")


@register_detector
class ContextLoss(Detector):
    """A step (authentication, gathering details) repeated after a handoff into one queue.

    **Detects**: per (step, receiving queue or team), how often a step already done earlier in the
    contact is done again in the leg after a handoff (bot → agent, IVR → agent or agent → agent). A step
    is its *kind* when its activity has one of ``kinds`` (``Bot authenticated`` then ``Security check``
    are both ``authenticate``; ``cxray.process.step_kinds``), else its activity name; activities of the
    other kinds (queue wait, hold, transfer...) are the leg's own work and never compared. Baseline: the
    step's repeat rate after handoffs into the other queues; for a step compared by name, at least the
    rate at which the receiving queue does it on handoffs where it was not done before (its routine: a
    status every team sets when it takes a case is the process, not lost context). Name steps that at
    least ``per_leg_share`` of all human legs do anyway (handling) are skipped.

    **Why it matters**: the customer proves who they are and tells the story twice; the agent spends
    minutes the previous leg already spent.

    **Example**: 61% of chats handed from the bot to queue Billing re-run identity verification
    ("Bot authenticated" then "Security check"; other queues 4%).
    """

    code = "CL01"
    reads = frozenset()
    stage_reads = frozenset({"legs", "leg_activities"})
    name = "context-loss"
    bucket = TECHNOLOGY

    def __init__(
        self,
        *,
        per_leg_share: float = 0.5,
        kinds: tuple[str, ...] = CONTEXT_KINDS,
        step_kinds: StepKinds | None = None,
        thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen
    ) -> None:
        self.per_leg_share = per_leg_share
        self.kinds = kinds
        self.step_kinds = step_kinds
        self.thresholds = thresholds

    def stage(self, ctx: DetectorContext) -> None:
        """Per contact, each handoff leg beside the steps done on an earlier leg (repeated on it or not);
        per step, the human legs doing it, and per (step, receiving queue) the handoff legs doing it:
        counts, which partitions' add up. ``detect`` takes the population's routine steps out."""
        e, la, legs = ctx.engine, ctx.leg_activities_table(), ctx.legs_table()
        # this detector's own vocabulary over the activities the run's table names, else the run's
        kt = ctx.step_kinds_table()
        if own := self.step_kinds:
            kt = stage_step_kinds(e, ctx.staged("cl01_kinds"), kinds=own, source=kt)
        steps, handoffs = "_cxray_fx_cl01_steps", "_cxray_fx_cl01_handoffs"  # for this stage only
        compared = in_list(self.kinds)
        # One row per (contact, leg, step): a step is a compared kind, or an activity without a kind. The
        # leg activities have one row per (contact, leg, activity) already: only the kinds are grouped (a
        # grouping of every row took 2.7 s at 10M events, for a few legs doing two steps of one kind).
        e.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {steps} AS
            SELECT x.{S.CONTACT_ID}, x.leg_no, false AS by_kind, x.{S.ACTIVITY} AS s,
                   x.{S.ACTIVITY} AS step_name, x.minutes, x.cost
            FROM {la} x LEFT JOIN {kt} k USING ({S.ACTIVITY})
            WHERE k.{STEP_KIND} IS NULL
            UNION ALL
            SELECT x.{S.CONTACT_ID}, x.leg_no, true AS by_kind, k.{STEP_KIND} AS s,
                   min(x.{S.ACTIVITY}) AS step_name, sum(x.minutes) AS minutes, sum(x.cost) AS cost
            FROM {la} x JOIN {kt} k USING ({S.ACTIVITY})
            WHERE k.{STEP_KIND} IN {compared}
            GROUP BY 1, 2, 3, 4
            """
        )
        try:
            # ``steps`` has one row per (contact, leg, step): counting its rows counts distinct legs. Each
            # handoff leg beside each step done on an earlier leg: kept as a row where the leg does it
            # again (the findings' examples and claims), counted where it does not.
            e.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE {handoffs} AS
                WITH last AS (
                    SELECT {S.CONTACT_ID}, max(leg_no) AS last_handoff FROM {legs} l WHERE {_HANDOFF}
                    GROUP BY 1
                ), occ AS (
                    -- Only a step done before a contact's last handoff can be repeated on one: the rest
                    -- (most steps: most contacts have no handoff) is not grouped. A step has one row per
                    -- leg, so leg_no cannot tie (a pair key cost four times as much at 10M events).
                    SELECT x.{S.CONTACT_ID}, x.by_kind, x.s, min(x.leg_no) AS first_leg,
                           arg_min(x.step_name, x.leg_no) AS before_name
                    FROM {steps} x JOIN last USING ({S.CONTACT_ID}) WHERE x.leg_no < last.last_handoff
                    GROUP BY 1, 2, 3
                )
                SELECT l.{S.CONTACT_ID}, l.leg_no, l.leg_key AS x, l.prev_key, o.by_kind, o.s,
                       o.before_name, d.step_name AS after_name, d.s IS NOT NULL AS again, d.minutes, d.cost
                FROM {legs} l JOIN occ o ON o.{S.CONTACT_ID} = l.{S.CONTACT_ID} AND o.first_leg < l.leg_no
                LEFT JOIN {steps} d ON d.{S.CONTACT_ID} = l.{S.CONTACT_ID} AND d.leg_no = l.leg_no
                     AND d.s = o.s AND d.by_kind = o.by_kind
                WHERE {_HANDOFF}
                """
            )
            e.execute(
                f"CREATE OR REPLACE TEMP TABLE {ctx.scratch('cl01_again')} AS "
                f"SELECT * EXCLUDE (again) FROM {handoffs} WHERE again"
            )
            e.execute(
                f"CREATE OR REPLACE TEMP TABLE {ctx.scratch('cl01_tries')} AS "
                f"SELECT by_kind, s, x, count(*) AS n FROM {handoffs} GROUP BY 1, 2, 3"
            )
            e.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE {ctx.scratch("cl01_per_leg")} AS
                SELECT x.s, count(*) AS legs_with
                FROM {steps} x JOIN {legs} l USING ({S.CONTACT_ID}, leg_no)
                WHERE NOT l.is_self_service AND NOT x.by_kind GROUP BY 1
                """
            )
            e.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE {ctx.scratch("cl01_done")} AS
                SELECT d.by_kind, d.s, l.leg_key AS x, count(*) AS done
                FROM {steps} d JOIN {legs} l USING ({S.CONTACT_ID}, leg_no)
                WHERE {_HANDOFF} AND NOT d.by_kind GROUP BY 1, 2, 3
                """
            )
            e.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE {ctx.scratch("cl01_legs")} AS
                SELECT l.leg_key AS x, count(*) FILTER (WHERE {_HANDOFF}) AS h,
                       count(*) FILTER (WHERE NOT l.is_self_service) AS human
                FROM {legs} l GROUP BY 1
                """
            )
        finally:
            for table in (steps, handoffs):
                e.execute(f"DROP TABLE IF EXISTS {table}")

    def detect(self, ctx: DetectorContext) -> list[Finding]:
        e, t = ctx.engine, self.thresholds
        again, tries, per_leg = (
            ctx.scratch("cl01_again"),
            ctx.scratch("cl01_tries"),
            ctx.scratch("cl01_per_leg"),
        )
        legs, routine = ctx.scratch("cl01_legs"), ctx.scratch("cl01_routine")
        cells, dups = ctx.scratch("cl01"), ctx.scratch("cl01_dups")
        # Name steps most human legs do anyway (handling) are the leg's work, not context lost.
        e.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {routine} AS
            SELECT s FROM {per_leg} GROUP BY s
            HAVING sum(legs_with) >= {num(self.per_leg_share)} * (SELECT sum(human) FROM {legs})
            """
        )
        e.execute(
            f"""CREATE OR REPLACE TEMP TABLE {dups} AS
                SELECT * FROM {again} WHERE by_kind OR s NOT IN (SELECT s FROM {routine})"""
        )
        cell = f"""
            SELECT t.by_kind, t.s, t.x, CAST(t.n AS BIGINT) AS n, coalesce(d.k, 0) AS k
            FROM (SELECT by_kind, s, x, sum(n) AS n FROM {tries}
                  WHERE by_kind OR s NOT IN (SELECT s FROM {routine}) GROUP BY 1, 2, 3) t
            LEFT JOIN (SELECT by_kind, s, x, count(*) AS k FROM {dups} GROUP BY 1, 2, 3) d
                 USING (by_kind, s, x)"""
        # Routine: how often the receiving queue does a name step on any handoff (``done``) out of all
        # its handoffs (``h``); without the repeats, what it does where the step was not done before.
        e.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {cells} AS
            WITH c AS ({baseline_cells_sql(cell, within="by_kind, s")}),
            h AS (SELECT x, sum(h) AS h FROM {legs} GROUP BY 1 HAVING sum(h) > 0),
            done AS (
                SELECT by_kind, s, x, sum(done) AS done FROM {ctx.scratch("cl01_done")} GROUP BY 1, 2, 3
            ), r AS (
                SELECT c.*, CASE WHEN NOT c.by_kind AND h.h > c.n
                                 THEN coalesce(done.done - c.k, 0) / (h.h - c.n) END AS routine
                FROM c LEFT JOIN h USING (x) LEFT JOIN done USING (by_kind, s, x)
            )
            SELECT * EXCLUDE (b), b AS other_b, greatest(b, coalesce(routine, 0)) AS b FROM r
            """
        )
        rows = e.rows(
            f"""SELECT *, k / n AS rate, {z_sql("k", "n", "b")} AS z, {share_column()} FROM {cells}
                WHERE {significant_sql("k", "n", "b", t)}
                ORDER BY k - n * b DESC, s, x LIMIT {int(t.max_findings)}"""
        )
        return [self._finding(ctx, self.step_kinds or ctx.step_kinds, row, dups) for row in rows]

    def _finding(
        self, ctx: DetectorContext, vocabulary: StepKinds, row: dict[str, Any], dups: str
    ) -> Finding:
        e = ctx.engine
        by_kind, s, x = bool(row["by_kind"]), str(row["s"]), str(row["x"])
        mine = (
            f"SELECT * FROM {dups} WHERE by_kind = {'true' if by_kind else 'false'} "
            f"AND s = {sql_string(s)} AND x = {sql_string(x)}"
        )
        froms = e.rows(
            f'SELECT prev_key AS "from", count(*) AS n FROM ({mine}) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3'
        )
        pairs = e.rows(
            f"SELECT before_name, after_name, count(*) AS n FROM ({mine}) "
            "GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 3"
        )
        after = str(pairs[0]["after_name"]) if pairs else s
        where = {S.ACTIVITY: after, ctx.route_dim: x, "to": x}
        if froms:
            where["from"] = str(froms[0]["from"])
        kind = s if by_kind else None
        label = vocabulary.label(s) if by_kind else repr(s)
        step = vocabulary.label(s) if by_kind else s
        first = pairs[0] if pairs else None
        said = label
        if kind and first and first["before_name"] != first["after_name"]:
            said = f"{label} ({first['before_name']!r} then {first['after_name']!r})"
        elif kind and first:
            said = repr(first["after_name"])
        routine = row["routine"]
        other = f"rate of repeating {label} after handoffs into other queues"
        is_routine = routine is not None and routine > (row["other_b"] or 0)
        return self.finding(
            title=f"Context lost on handoff into {x}: {said} repeated ({row['rate']:.0%})",
            where=where,
            contacts_affected=int(row["k"]),
            evidence={
                "step_kind": kind,
                "repeated_steps": [_pair(p, kind) for p in pairs],
                "handoffs": int(row["n"]),
                "repeated": int(row["k"]),
                "repeat_rate": rnd(row["rate"]),
                "share": rnd(row["rate"]),
                "baseline": (
                    f"rate at which {x} does {label} on handoffs where it was not done before (routine)"
                    if is_routine
                    else other
                ),
                "baseline_rate": rnd(row["b"]),
                "baseline_share": rnd(routine),
                "other_queues_rate": rnd(row["other_b"]),
                "z": rnd(row["z"], 2),
                "flow": [f"{f_['from']} ({step}) -> {x} ({step} again)" for f_ in froms],
                "examples": examples(e, mine),
            },
            hidden_by_kpi="handle time counts the repeated step as normal work; no KPI sees it twice",
            claims_sql=claims(mine, share=num(row["share"]), units=0),
        )


def _pair(p: dict[str, Any], kind: str | None) -> str:
    """``'Bot authenticated' then 'Security check' (both authenticate), 15 contacts``."""
    before, after, n = p["before_name"], p["after_name"], int(p["n"])
    if before == after:
        return f"{before!r} again, {n} contacts"
    both = f" (both {kind})" if kind else ""
    return f"{before!r} then {after!r}{both}, {n} contacts"
