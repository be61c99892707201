"""A mergeable quantile sketch for non-negative durations, in SQL, with a relative error bound.

Spark's partitions merge the flow map's DFG medians with it; DE01 reads from it how long contacts
usually wait after a step, counted per partition in one run as in the other.

Quantiles are the one thing partitions cannot merge exactly without shipping every value. Each value
``x > 0`` falls in the log-spaced bucket ``i = ceil(ln x / ln g)`` with ``g = (1 + a) / (1 - a)``, zero in a
bucket of its own; a partition ships ``(key, bucket, count)`` and partitions merge by adding counts
(the DDSketch idea: Masson, Rim & Lee, VLDB 2019). Every value of bucket ``i`` lies in ``(g^(i-1), g^i]``,
whose representative ``2 g^i / (g + 1)`` is within a relative ``a`` of it.

The median is read as DuckDB's ``median`` (``quantile_cont(0.5)``) defines it: the mean of the values at
0-based ranks ``floor((n-1)/2)`` and ``ceil((n-1)/2)``. Both come from the right bucket, so the estimate is
within ``a`` of each of them and, all values being non-negative, **within a relative ``a`` of the exact
median** (exact when it is zero). ``ACCURACY`` is that ``a``. A bucket index needs ``log(range) / 2a``
buckets at most per key: 0.5% covers a microsecond to a century in under 4,000.
"""

from __future__ import annotations

import math
from typing import Final

from .sql import num

#: Relative accuracy ``a`` of every median read from the sketch.
ACCURACY: Final = 0.005
_G: Final = (1 + ACCURACY) / (1 - ACCURACY)
_ZERO: Final = -(2**31)  # the zero bucket (NULL) where an index is compared: below every other


def bucket_sql(value: str) -> str:
    """The bucket of a non-negative ``value`` (NULL for zero: its own bucket, ordered first)."""
    return f"CASE WHEN {value} > 0 THEN CAST(ceil(ln({value}) / {math.log(_G)!r}) AS INTEGER) END"


def median_sql(sketch: str, keys: list[str]) -> str:
    """Per ``keys``, the median read from merged ``sketch`` rows ``(keys..., bucket, n)``."""
    k = ", ".join(keys)
    lo, hi = "(total - 1) // 2", "total // 2"

    def at(rank: str) -> str:
        return f"max(est) FILTER (WHERE cum - n <= {rank} AND cum > {rank})"

    return f"""
        WITH b AS (SELECT {k}, bucket, sum(n) AS n FROM {sketch} GROUP BY ALL),
        c AS (
            SELECT *, sum(n) OVER (PARTITION BY {k} ORDER BY bucket NULLS FIRST
                                   ROWS UNBOUNDED PRECEDING) AS cum,
                   sum(n) OVER (PARTITION BY {k}) AS total,
                   CASE WHEN bucket IS NULL THEN 0.0
                        ELSE 2 * pow({_G!r}, bucket) / {_G + 1!r} END AS est
            FROM b
        )
        SELECT {k}, ({at(lo)} + {at(hi)}) / 2 AS median FROM c GROUP BY ALL
    """


def quantile_bound_sql(sketch: str, keys: list[str], q: float) -> str:
    """Per ``keys``, ``bound``: the upper edge ``g^i`` of the bucket holding the ``q``-quantile (the
    ``ceil(q n)``-th smallest value) of merged ``sketch`` rows ``(keys..., bucket, n)``; 0 when that value
    is zero. Every value up to the quantile is at most ``bound``, and ``bound`` is less than ``g`` (1 +
    2a) times the quantile: a threshold that errs on the side of the longer wait."""
    if not 0.0 < q <= 1.0:
        raise ValueError(f"a quantile must be in (0, 1], got {q!r}")
    k = ", ".join(keys)
    return f"""
        WITH b AS (SELECT {k}, bucket, sum(n) AS n FROM {sketch} GROUP BY ALL),
        c AS (
            SELECT *, sum(n) OVER (PARTITION BY {k} ORDER BY bucket NULLS FIRST
                                   ROWS UNBOUNDED PRECEDING) AS cum,
                   sum(n) OVER (PARTITION BY {k}) AS total
            FROM b
        )
        SELECT {k}, CASE WHEN i = {_ZERO} THEN 0.0 ELSE pow({_G!r}, i) END AS bound
        FROM (SELECT {k}, min(coalesce(bucket, {_ZERO})) AS i FROM c
              WHERE cum >= ceil({num(q)} * total) GROUP BY ALL)
    """


__all__ = ["ACCURACY", "bucket_sql", "median_sql", "quantile_bound_sql"]
