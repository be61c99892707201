"""RP01: repeat contacts concentrated in a team, vendor, queue or channel."""

from __future__ import annotations

from .. import schema as S
from ..errors import ConfigError
from ..sql import num, sql_string
from .base import OPERATING_MODEL, Detector, Finding, claims_select
from .context import DetectorContext
from .registry import register_detector
from .stats import Thresholds, examples, floor_rate, rnd

# The contact-level column that places a contact in each dimension.
_COLUMN = {S.TEAM: S.FINAL_TEAM, S.QUEUE: S.FINAL_QUEUE, S.CHANNEL: S.ENTRY_CHANNEL}

# Abandoned and contained contacts have their own detectors (AB01, FC01): their comebacks are not
# repeats here.
_OWN = f"NOT coalesce({S.IS_ABANDONED}, false) AND NOT coalesce({S.IS_CONTAINED}, false)"


@register_detector
class RepeatConcentration(Detector):
    """Repeat contacts concentrated in one team, vendor, queue or channel.

    **Detects**: a team (owner at close), queue or entry channel whose contacts are followed by a repeat
    contact of the same journey more often than the same reasons are elsewhere. The baseline is
    indirectly standardised: for each reason, its repeat rate in the *other* teams (queues, channels),
    so a team is not blamed for handling hard reasons.

    **Why it matters**: every repeat is a contact the customer should not have needed, and the cost
    lands on whoever picks up the next call; a vendor paid on handle time can look efficient while
    exporting its unresolved work.

    **Example**: Vendor A's billing contacts are followed by a repeat 31% of the time, billing elsewhere
    12%: 19 points of Vendor A's billing volume are avoidable repeats.
    """

    code = "RP01"
    reads = frozenset()
    name = "repeat-concentration"
    bucket = OPERATING_MODEL
    symptom = True  # repeats follow from a failure where they concentrate

    def __init__(
        self,
        *,
        dimensions: tuple[str, ...] = (S.TEAM, S.QUEUE, S.CHANNEL),
        thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen
    ) -> None:
        unknown = [d for d in dimensions if d not in _COLUMN]
        if unknown:
            raise ConfigError(f"RP01 dimensions must be among {sorted(_COLUMN)}, got {unknown}")
        self.dimensions = dimensions
        self.thresholds = thresholds

    def detect(self, ctx: DetectorContext) -> list[Finding]:
        if not ctx.facts.has_customer:
            return []
        out: list[Finding] = []
        for dim in self.dimensions:
            out += self._dimension(ctx, dim)
        return out

    def _dimension(self, ctx: DetectorContext, dim: str) -> list[Finding]:
        t, e, col = self.thresholds, ctx.engine, _COLUMN[dim]
        cells = ctx.scratch(f"rp01_{dim}")
        e.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {cells} AS
            WITH base AS (
                SELECT {col} AS v, coalesce({S.REASON}, '') AS r, {S.HAS_REPEAT} AS rep
                FROM {S.CONTACTS_TABLE}
                WHERE NOT {S.IS_CENSORED} AND {col} IS NOT NULL AND {S.CUSTOMER_ID} IS NOT NULL AND {_OWN}
            ), cell AS (
                SELECT v, r, count(*) AS n, count(*) FILTER (WHERE rep) AS k FROM base GROUP BY v, r
            ), tot AS (SELECT r, sum(n) AS nn, sum(k) AS kk FROM cell GROUP BY r)
            SELECT cell.*, (kk - k) / nullif(nn - n, 0) AS b
            FROM cell JOIN tot USING (r)
            WHERE nn > n
            """
        )
        fb = floor_rate("b")
        rows = e.rows(
            f"""
            WITH v AS (
                SELECT v, sum(n) AS n, sum(k) AS k, sum(n * b) AS expected,
                       sum(n * {fb} * (1 - {fb})) AS var,
                       arg_min(r, (-(k - n * b), r)) AS top_reason,  -- ties: the first by name
                       max(k - n * b) AS top_excess,
                       sum(greatest(k - n * b, 0)) AS pos_excess
                FROM {cells} GROUP BY v
            )
            SELECT *, k - expected AS excess, (k - expected) / sqrt(greatest(var, 1e-9)) AS z FROM v
            WHERE k - expected >= {num(t.min_excess)}
              AND k >= {num(t.min_lift)} * greatest(expected, 1e-9)
              AND (k - expected) / sqrt(greatest(var, 1e-9)) >= {num(t.min_z)}
            ORDER BY excess DESC, v LIMIT {int(t.max_findings)}
            """
        )
        return [self._finding(ctx, dim, col, cells, row) for row in rows]

    def _finding(self, ctx: DetectorContext, dim: str, col: str, cells: str, row: dict) -> Finding:
        e, value = ctx.engine, str(row["v"])
        by_reason = e.rows(
            f"SELECT r AS reason, n, k, k / n AS rate, b AS baseline_rate FROM {cells} WHERE v = ? "
            "ORDER BY k - n * b DESC, r LIMIT 5",
            [value],
        )
        where = {dim: value}
        if row["pos_excess"] > 0 and row["top_excess"] >= 0.8 * row["pos_excess"] and row["top_reason"]:
            where[S.REASON] = str(row["top_reason"])
        c, n = S.CONTACTS_TABLE, S.CONTACTS_TABLE
        repeating = f"""
            SELECT c.{S.CONTACT_ID}, c.{S.JOURNEY_ID}, c.{S.CONTACT_SEQ}, c.{S.FINAL_OUTCOME},
                   greatest(0.0, (x.k - x.n * x.b) / nullif(x.k, 0)) AS share
            FROM {c} c JOIN {cells} x ON x.v = c.{col} AND x.r = coalesce(c.{S.REASON}, '')
            WHERE c.{col} = {sql_string(value)} AND c.{S.HAS_REPEAT} AND NOT c.{S.IS_CENSORED}
              AND c.{S.CUSTOMER_ID} IS NOT NULL AND {_OWN}
        """
        nx_cost = f"nx.{S.COST}"
        claims = f"""
            SELECT {claims_select(f"nx.{S.CONTACT_ID}", "rp.share", "1", f"nx.{S.WORK_S} / 60.0", nx_cost)}
            FROM ({repeating}) rp JOIN {n} nx
              ON nx.{S.JOURNEY_ID} = rp.{S.JOURNEY_ID} AND nx.{S.CONTACT_SEQ} = rp.{S.CONTACT_SEQ} + 1
        """
        resolved = e.scalar(
            f"SELECT avg(CASE WHEN {S.FINAL_OUTCOME} = ? THEN 1.0 ELSE 0.0 END) FROM ({repeating})",
            [S.RESOLVED],
        )
        hidden = None
        if resolved is not None and resolved >= 0.5:
            hidden = (
                f"{resolved:.0%} of these contacts were closed as 'resolved': per-contact resolution and "
                "handle-time KPIs count them as success"
            )
        return self.finding(
            title=f"Repeat contacts concentrated in {dim} {value}",
            where=where,
            contacts_affected=int(row["k"]),
            evidence={
                "dimension": dim,
                "contacts": int(row["n"]),
                "followed_by_repeat": int(row["k"]),
                "repeat_rate": rnd(row["k"] / row["n"]),
                "expected_repeats": rnd(row["expected"], 1),
                "baseline": "the same reasons' repeat rate in other values of " + dim,
                "baseline_rate": rnd(row["expected"] / row["n"]),
                "z": rnd(row["z"], 2),
                "by_reason": [
                    {k: (rnd(v) if isinstance(v, float) else v) for k, v in r.items()} for r in by_reason
                ],
                "examples": examples(e, repeating),
            },
            hidden_by_kpi=hidden,
            claims_sql=claims,
        )
