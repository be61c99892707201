"""JSON Lines: one object per line; every field read as text (nested values as their JSON text)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ...engine import Engine
from ...errors import EngineError, InputError
from ..options import ReadOptions
from . import RawSource, register_arrow
from .delimited import decode_file, read_bytes


def load(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
    """Decoded as a delimited file is (``delimited.decode_file``): a bad byte replaced and counted, a NUL
    removed and counted; only then, from a repaired copy when anything was repaired, read by DuckDB."""
    raw = read_bytes(path)
    try:
        data, repairs, nuls = decode_file(raw, options.encoding)
    except LookupError as exc:  # an unknown encoding
        raise InputError(f"cannot read as JSON Lines: {exc}", path=path) from None
    if data == raw:
        source = _load(path, path, engine, view)
    else:
        with tempfile.TemporaryDirectory(prefix="cxray-") as tmp:
            repaired = Path(tmp) / "repaired.jsonl"
            repaired.write_bytes(data)
            del data
            source = _load(repaired, path, engine, view)
    source.encoding_repairs = repairs
    source.nul_bytes_stripped += nuls
    return source


def _load(file: Path, path: Path, engine: Engine, view: str) -> RawSource:
    literal = "'" + str(file).replace("'", "''") + "'"
    source = f"read_json({literal}, format = 'newline_delimited'"
    try:
        names = [r["column_name"] for r in engine.rows(f"DESCRIBE SELECT * FROM {source})")]
        cols = ", ".join("'" + n.replace("'", "''") + "': 'VARCHAR'" for n in names)
        # Insertion order is preserved (Engine sets it), so row i of the result is line i of the file.
        table = engine.arrow(f"SELECT * FROM {source}, columns = {{{cols}}})")
    except EngineError as exc:
        raise InputError(f"cannot read as JSON Lines: {exc.__cause__ or exc}", path=path) from None
    except duckdb.Error as exc:
        raise InputError(f"cannot read as JSON Lines: {exc}", path=path) from None
    # A JSON string may hold an escaped NUL (\u0000) that no byte scan sees: removed and counted too,
    # so none reaches the canonical log or the report.
    nuls, columns = 0, []
    for col in table.columns:
        n = int(pc.sum(pc.count_substring(col, "\x00")).as_py() or 0)
        columns.append(pc.replace_substring(col, "\x00", "") if n else col)
        nuls += n
    if nuls:
        table = pa.table(columns, names=table.column_names)
    raw = register_arrow(engine, view, table, path)
    raw.nul_bytes_stripped = nuls
    return raw
