"""JSON Lines: one object per line; every field read as text (nested values as their JSON text)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ...engine import Engine
from ...errors import EngineError, InputError
from ..options import ReadOptions
from . import RawSource, register_arrow


def load(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
    literal = "'" + str(path).replace("'", "''") + "'"
    source = f"read_json({literal}, format = 'newline_delimited'"
    try:
        names = [r["column_name"] for r in engine.rows(f"DESCRIBE SELECT * FROM {source})")]
        cols = ", ".join("'" + n.replace("'", "''") + "': 'VARCHAR'" for n in names)
        # Insertion order is preserved (Engine sets it), so row i of the result is line i of the file.
        table = engine.con.sql(f"SELECT * FROM {source}, columns = {{{cols}}})").to_arrow_table()
    except EngineError as exc:
        raise InputError(f"cannot read as JSON Lines: {exc.__cause__ or exc}", path=path) from None
    except duckdb.Error as exc:
        raise InputError(f"cannot read as JSON Lines: {exc}", path=path) from None
    return register_arrow(engine, view, table, path)
