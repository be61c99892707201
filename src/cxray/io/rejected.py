"""Rejected rows: kept in a ``rejected`` table with a reason and their raw values, written as rejected.csv."""

from __future__ import annotations

from pathlib import Path

from .. import schema as S
from ..engine import Engine
from ..sql import ident, lit
from .canonical import COLUMN, FILE, REASON, RECORD, REJECTED, STAGE, VALUE
from .plan import FilePlan
from .readers import ROW, reserved

FIXED = (S.SOURCE_FILE, S.SOURCE_ROW, "reason", "column", "value")


def build_rejected(engine: Engine, plans: list[FilePlan], rejecting: set[int] | None = None) -> None:
    """One row per rejected source row: where, why, which column, the bad value, then every raw value.

    ``rejecting``: the indexes of the files with a rejected staged row, when known; the others' sources
    are not read again (a reader's view may be a query, costly to run twice), only their columns named.
    """
    parts = []
    for plan in plans:
        raw = ", ".join(f"CAST(r.{ident(c)} AS VARCHAR) AS {ident(_raw_name(c))}" for c in plan.types)
        none = rejecting is not None and plan.index not in rejecting
        parts.append(
            f"SELECT s.{FILE}, s.{S.SOURCE_FILE}, s.{S.SOURCE_ROW}, s.{REASON} AS reason, "
            f"s.{COLUMN} AS {ident('column')}, s.{VALUE} AS value{', ' + raw if raw else ''} "
            f"FROM {STAGE} s JOIN {ident(plan.source.view)} r ON r.{ROW} = s.{RECORD} "
            f"WHERE s.{FILE} = {plan.index} AND s.{REASON} IS NOT NULL{' AND false' if none else ''}"
        )
        for line, text in plan.source.malformed:
            parts.append(
                f"SELECT {plan.index} AS {FILE}, {lit(plan.source.path)} AS {S.SOURCE_FILE}, "
                f"CAST({'NULL' if line is None else line} AS BIGINT) AS {S.SOURCE_ROW}, "
                f"'malformed_row' AS reason, CAST(NULL AS VARCHAR) AS {ident('column')}, "
                f"{lit(text)} AS value"
            )
    union = "\nUNION ALL BY NAME\n".join(f"({p})" for p in parts)
    engine.execute(
        f"CREATE OR REPLACE TABLE {REJECTED} AS SELECT * EXCLUDE ({FILE}) FROM ({union}) "
        f"ORDER BY {FILE}, {S.SOURCE_ROW} NULLS LAST, reason"
    )


def _raw_name(column: str) -> str:
    return f"raw:{column}" if column.lower() in FIXED or reserved(column) else column


def write_rejected(engine: Engine, path: Path) -> int:
    """Write the ``rejected`` table as CSV (header always) and return the number of rows written.

    Columns: source_file, source_row, reason (``missing_contact_id``, ``bad_timestamp``...), column (the
    source column at fault), value (its raw text), then the row's raw values under their source names.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not engine.has_table(REJECTED):
        engine.execute(
            f"CREATE TABLE {REJECTED} ({S.SOURCE_FILE} VARCHAR, {S.SOURCE_ROW} BIGINT, reason VARCHAR, "
            f'"column" VARCHAR, value VARCHAR)'
        )
    engine.execute(f"COPY {REJECTED} TO {lit(str(path))} (HEADER, DELIMITER ',')")
    return int(engine.scalar(f"SELECT count(*) FROM {REJECTED}"))
