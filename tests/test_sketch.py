"""The mergeable median sketch: within its stated relative accuracy of the exact median, and merging
partitions' sketches gives what one sketch of all the values gives."""

from __future__ import annotations

import math
import random

import numpy as np
import pyarrow as pa
import pytest

from cxray.engine import Engine
from cxray.sketch import _G, ACCURACY, bucket_sql, median_sql, quantile_bound_sql


def _sketch(engine: Engine, values: np.ndarray, parts: int) -> float:
    part = np.arange(len(values)) % parts
    engine.register("v", pa.table({"k": np.zeros(len(values), dtype=np.int64), "p": part, "x": values}))
    engine.execute(
        f"CREATE OR REPLACE TABLE s AS SELECT k, p, {bucket_sql('x')} AS bucket, count(*) AS n "
        "FROM v GROUP BY ALL"
    )
    return float(engine.rows(median_sql("s", ["k"]))[0]["median"])


@pytest.mark.parametrize("n", [1, 2, 3, 10, 101, 1000])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_median_within_accuracy(n: int, seed: int) -> None:
    """Log-normal gaps (seconds to days) with some zeros: the sketch median is within ACCURACY of numpy's."""
    rng = np.random.default_rng(seed)
    values = np.round(rng.lognormal(mean=5, sigma=3, size=n), 6)
    values[rng.random(n) < 0.1] = 0.0
    exact = float(np.median(values))
    with Engine(threads=1) as e:
        got = _sketch(e, values, parts=1)
        merged = _sketch(e, values, parts=7)
    assert got == pytest.approx(exact, rel=ACCURACY, abs=1e-12)
    assert merged == got


def test_all_zero_is_exact() -> None:
    """Zero has a bucket of its own: a median of zero comes back as exactly zero."""
    with Engine(threads=1) as e:
        assert _sketch(e, np.zeros(5), parts=2) == 0.0


def test_quantile_bound_is_just_above_the_quantile(engine: Engine) -> None:
    """Oracle: the ceil(q * n)-th smallest wait; the bound is above it, by less than g (DE01's open wait),
    and the same from seven partitions' sketches as from one."""
    rng = random.Random(7)
    waits = [rng.lognormvariate(8, 3) for _ in range(2000)] + [0.0, 0.2, 1.0, 2.0, 4.0]
    for q in (0.5, 0.9, 0.95, 1.0):
        exact = sorted(waits)[math.ceil(q * len(waits)) - 1]
        bounds = []
        for parts in (1, 7):
            engine.execute(
                f"""CREATE OR REPLACE TABLE s AS SELECT 0 AS k, i % {parts} AS p, {bucket_sql("w")} AS bucket,
                    count(*) AS n FROM unnest(?) WITH ORDINALITY t(w, i) GROUP BY ALL""",
                [waits],
            )
            ((bound,),) = engine.fetchall(f"SELECT bound FROM ({quantile_bound_sql('s', ['k'], q)})")
            bounds.append(bound)
        edge = bounds[0]
        assert exact < edge <= max(exact, 1.0) * 2**0.25 * (1 + 1e-12), q
        assert edge < exact * _G and bounds[1] == edge, q


def test_quantile_bound_of_zero_waits_is_zero(engine: Engine) -> None:
    engine.execute(f"CREATE TABLE s AS SELECT 0 AS k, {bucket_sql('0.0')} AS bucket, 5 AS n")
    assert engine.fetchall(f"SELECT bound FROM ({quantile_bound_sql('s', ['k'], 0.95)})") == [(0.0,)]
    with pytest.raises(ValueError, match="quantile"):
        quantile_bound_sql("s", ["k"], 0.0)
