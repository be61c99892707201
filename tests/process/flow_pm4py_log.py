"""Real XES logs for the pm4py oracle, loaded into the canonical table from pm4py's own dataframe.

``load_pm4py_events`` stands in for ``cxray.io.read_events`` until the readers land; switching to them
changes only this file (and ``conftest.py``). pm4py (AGPL) is imported in tests only.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from cxray import schema as S
from cxray.engine import Engine
from cxray.schema import canonical_arrow_schema

CASE, NAME, TIME = "case:concept:name", "concept:name", "time:timestamp"


@cache
def read_pm4py(path: Path) -> pd.DataFrame:
    """pm4py's dataframe of a XES log (default reader: rustxes, which agrees with ``iterparse`` on these
    logs). pm4py sorts it by (case, timestamp, file position), so its row order is file order on ties."""
    pm4py = pytest.importorskip("pm4py")
    return pm4py.read_xes(str(path))


def canonical_from_pm4py(df: pd.DataFrame, *, shuffle_seed: int | None = 0) -> pa.Table:
    """The canonical events table of a pm4py dataframe; ``source_row`` is the dataframe's row order.

    Rows are shuffled (seeded) so that a test passes only if the flow map orders events by
    ``(timestamp, source_row)`` itself rather than trusting the order rows were inserted in.
    """
    n = len(df)
    ts = df[TIME].dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
    given = {
        S.CONTACT_ID: pa.array(df[CASE].astype(str).to_numpy(), pa.string()),
        S.ACTIVITY: pa.array(df[NAME].astype(str).to_numpy(), pa.string()),
        S.TIMESTAMP: pa.array(ts.to_numpy(), pa.timestamp("us")),
        S.SOURCE_ROW: pa.array(np.arange(1, n + 1), pa.int64()),
        S.SOURCE_FILE: pa.array(["pm4py"] * n, pa.string()),
    }
    schema = canonical_arrow_schema()
    table = pa.table(
        [given.get(f.name, pa.nulls(n, f.type)) for f in schema],
        schema=schema,
    )
    if shuffle_seed is not None:
        table = table.take(np.random.default_rng(shuffle_seed).permutation(n))
    return table


def load_pm4py_events(engine: Engine, path: Path) -> pd.DataFrame:
    """Create ``events`` in ``engine`` from the XES log at ``path``; return pm4py's dataframe of it."""
    df = read_pm4py(path)
    engine.register("_pm4py_events", canonical_from_pm4py(df))
    engine.execute(f"CREATE OR REPLACE TABLE {S.EVENTS_TABLE} AS SELECT * FROM _pm4py_events")
    engine.con.unregister("_pm4py_events")
    return df
