"""Arrow out of DuckDB in a way DuckDB 1.4 and 2.0 both support (``Engine.arrow`` calls
``fetch_arrow_table``, which DuckDB 2.0 removed)."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from ..engine import Engine
from ..errors import EngineError


def arrow(engine: Engine, sql: str) -> pa.Table:
    """Run a query and return an Arrow table; DuckDB errors become :class:`EngineError`."""
    try:
        return engine.con.sql(sql).to_arrow_table()
    except duckdb.Error as exc:
        raise EngineError(f"DuckDB failed: {exc} (in: {' '.join(sql.split())[:160]}...)") from exc
