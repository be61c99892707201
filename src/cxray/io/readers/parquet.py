"""Parquet: read by DuckDB straight from the file (streamed, typed: a TIMESTAMP column needs no parsing)."""

from __future__ import annotations

from pathlib import Path

from ...engine import Engine
from ...errors import EngineError, InputError
from ..options import ReadOptions
from . import ROW, RawSource


def load(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
    literal = "'" + str(path).replace("'", "''") + "'"
    try:
        engine.execute(
            f'CREATE OR REPLACE TEMP VIEW "{view}" AS SELECT * EXCLUDE (file_row_number), '
            f"file_row_number + 1 AS {ROW} FROM read_parquet({literal}, file_row_number = true)"
        )
        engine.execute(f'SELECT * FROM "{view}" LIMIT 0')
    except EngineError as exc:
        raise InputError(f"cannot read as Parquet: {exc.__cause__ or exc}", path=path) from None
    return RawSource(path=str(path), view=view)
