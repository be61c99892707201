"""Helpers for testing analyses and detectors on small hand-written logs (shipped, like structlog.testing).

>>> from cxray.engine import Engine
>>> from cxray.testing import load_rows
>>> e = Engine()
>>> load_rows(e, [
...     {"contact_id": "c1", "timestamp": "2024-01-01T09:00:00", "activity": "Start"},
...     {"contact_id": "c1", "timestamp": "2024-01-01T09:05:00", "activity": "End"},
... ])
>>> e.scalar("SELECT count(*) FROM events")
2
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from . import schema as S
from .engine import Engine
from .schema import canonical_arrow_schema


def _ts(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(UTC).replace(tzinfo=None)
        return value
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def events_table(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Build a canonical events table from dicts; missing columns are NULL, ``source_row`` is the index."""
    rows = list(rows)
    attributes = sorted({k for r in rows for k in r if not S.is_canonical(k)})
    arrow_schema = canonical_arrow_schema(attributes)
    columns: dict[str, list[Any]] = {f.name: [] for f in arrow_schema}
    for i, row in enumerate(rows, start=1):
        for name in columns:
            if name == S.SOURCE_ROW:
                columns[name].append(row.get(name, i))
            elif name == S.SOURCE_FILE:
                columns[name].append(row.get(name, "test"))
            elif name == S.TIMESTAMP:
                columns[name].append(_ts(row.get(name)))
            else:
                columns[name].append(row.get(name))
    return pa.table(columns, schema=arrow_schema)


def load_rows(engine: Engine, rows: Iterable[Mapping[str, Any]]) -> None:
    """Create the canonical ``events`` table in ``engine`` from dicts (replacing any existing one)."""
    engine.register("_cxray_rows", events_table(rows))
    engine.execute(f"CREATE OR REPLACE TABLE {S.EVENTS_TABLE} AS SELECT * FROM _cxray_rows")
    engine.unregister("_cxray_rows")
