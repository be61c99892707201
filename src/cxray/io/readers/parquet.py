"""Parquet: read by DuckDB straight from the file (streamed, typed: a TIMESTAMP column needs no parsing)."""

from __future__ import annotations

from pathlib import Path

from ...engine import Engine
from ...errors import EngineError, InputError
from ...sql import ident
from ..options import ReadOptions
from . import ROW, RawSource, source_name


def load(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
    literal = "'" + str(path).replace("'", "''") + "'"
    try:
        names = [r["column_name"] for r in engine.rows(f"DESCRIBE SELECT * FROM read_parquet({literal})")]
        # a source column named as the row number (``__cx_row``, any case) is kept, renamed, as in
        # register_arrow
        cols = ", ".join(
            f"{ident(n)} AS {ident(source_name(n))}" if n.lower() == ROW else ident(n) for n in names
        )
        if "file_row_number" in (n.lower() for n in names):  # DuckDB's own option would clash with it
            number, scan = "row_number() OVER ()", f"read_parquet({literal})"
        else:
            number, scan = "file_row_number + 1", f"read_parquet({literal}, file_row_number = true)"
        engine.execute(
            f'CREATE OR REPLACE TEMP VIEW "{view}" AS SELECT {cols}, {number} AS {ROW} FROM {scan}'
        )
        engine.execute(f'SELECT * FROM "{view}" LIMIT 0')
    except EngineError as exc:
        raise InputError(f"cannot read as Parquet: {exc.__cause__ or exc}", path=path) from None
    return RawSource(path=str(path), view=view)
