"""Arrow out of DuckDB for the Spark stages: :meth:`Engine.arrow` (``to_arrow_table``, which DuckDB 1.4
and 2.0 both support), kept as a function for the stages that import it."""

from __future__ import annotations

import pyarrow as pa

from ..engine import Engine


def arrow(engine: Engine, sql: str) -> pa.Table:
    """Run a query and return an Arrow table; DuckDB errors become :class:`EngineError`."""
    return engine.arrow(sql)
