"""Shared SQL for "this segment is worse than its baseline": excess, lift and a binomial z-score.

A segment with ``k`` symptomatic contacts out of ``n`` is compared with a baseline rate ``b`` measured
elsewhere (the same reason in other teams, the same queue in other hours...). The excess ``k - n·b`` is
what fixing it would avoid; each symptomatic contact is avoidable with probability ``(k - n·b) / k``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import schema as S
from ..engine import Engine
from ..errors import ConfigError
from ..sql import num
from .base import claims_select


@dataclass(frozen=True, kw_only=True)
class Thresholds:
    """When a segment counts as a breakdown rather than noise.

    Attributes
    ----------
    min_excess:
        Symptomatic contacts above the baseline expectation (``k - n·b``).
    min_lift:
        Segment rate over baseline rate (``k / (n·b)``).
    min_z:
        Binomial z-score of the excess (baseline floored at 0.1% so a clean baseline still tests).
    max_findings:
        Findings a detector returns at most, largest excess first.
    """

    min_excess: float = 10.0
    min_lift: float = 1.5
    min_z: float = 3.0
    max_findings: int = 10

    def __post_init__(self) -> None:
        if self.min_excess < 0 or self.min_lift < 1 or self.min_z < 0 or self.max_findings < 1:
            raise ConfigError(f"invalid detector thresholds: {self}")


def floor_rate(b: str) -> str:
    return f"least(greatest(coalesce({b}, 0), 0.001), 0.999)"


def excess_sql(k: str, n: str, b: str) -> str:
    return f"({k} - {n} * coalesce({b}, 0))"


def z_sql(k: str, n: str, b: str) -> str:
    fb = floor_rate(b)
    return f"(({k} - {n} * {fb}) / sqrt(greatest({n} * {fb} * (1 - {fb}), 1e-9)))"


def significant_sql(k: str, n: str, b: str, t: Thresholds) -> str:
    """SQL boolean: the segment's excess passes all three thresholds."""
    return (
        f"({excess_sql(k, n, b)} >= {num(t.min_excess)} "
        f"AND {k} >= {num(t.min_lift)} * {n} * {floor_rate(b)} "
        f"AND {z_sql(k, n, b)} >= {num(t.min_z)})"
    )


def baseline_cells_sql(cells: str, within: str | None = None) -> str:
    """SQL: every cell of ``cells`` (a query with grouping columns, ``n`` cases and ``k`` hits) with ``b``,
    the hit rate of all *other* cells (of the same ``within`` column when given): the leave-one-out
    baseline a segment is compared with. Cells with no other cell to compare with are left out."""
    if within:
        tot = f"SELECT {within}, sum(n) AS nn, sum(k) AS kk FROM cell GROUP BY {within}"
        source = f"cell JOIN tot USING ({within})"
    else:
        tot, source = "SELECT sum(n) AS nn, sum(k) AS kk FROM cell", "cell, tot"
    return (
        f"WITH cell AS ({cells}), tot AS ({tot}) "
        f"SELECT cell.*, (kk - k) / nullif(nn - n, 0) AS b FROM {source} WHERE nn > n"
    )


def avoidable_share_sql(k: str, n: str, b: str) -> str:
    """SQL: the share of each symptomatic contact that is avoidable, ``max(0, (k - n·b) / k)``."""
    return f"greatest(0.0, {excess_sql(k, n, b)} / nullif({k}, 0))"


def share_column() -> str:
    """SQL select item ``share`` over a cells table (``k``, ``n``, ``b``): the avoidable share of each
    symptomatic contact, 0 for a cell without any. Computed in SQL, where a missing baseline (a cell with
    nothing to compare with) counts as 0, then pasted into the claims with :func:`cxray.sql.num`."""
    return f"coalesce({avoidable_share_sql('k', 'n', 'b')}, 0.0) AS share"


def examples(engine: Engine, sql: str, params: list[Any] | None = None, *, n: int = 3) -> list[str]:
    """The first ``n`` contact ids (sorted) that ``sql`` (selecting ``contact_id``) returns."""
    rows = engine.rows(f"SELECT DISTINCT contact_id FROM ({sql}) ORDER BY 1 LIMIT {int(n)}", params)
    return [str(r["contact_id"]) for r in rows]


def claims(source: str, *, share: str = "1.0", units: int = 0) -> str:
    """A claims query over ``source`` (with ``contact_id, minutes, cost``); see ``Finding.claims_sql``."""
    cols = claims_select(S.CONTACT_ID, share, str(int(units)), "minutes", "cost")
    return f"SELECT {cols} FROM ({source})"


def rnd(value: Any, digits: int = 4) -> float | None:
    """A float rounded for evidence (None stays None)."""
    return None if value is None else round(float(value), digits)
