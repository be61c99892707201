"""One reader per format. Each exposes the file to SQL as a view of its source columns plus ``__cx_row``.

The raw shape is the same for every format: the file's own columns, untouched (strings for text
formats, typed for Parquet/XES), and ``ROW``, the 1-based record number. Mapping, parsing, rejection
and de-duplication happen once, in SQL, in ``canonical.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from ...engine import Engine
from ...errors import InputError
from ..options import ReadOptions

ROW = "__cx_row"
#: Internal column names are ``__cx_`` + ASCII letters, digits and underscores (any case, in SQL). A source
#: column so named is renamed ``<name> (source)`` (the row number, here) or kept under that name as an
#: attribute (``plan.py``), so no source column can take the place of an internal one.
_RESERVED = re.compile(r"__cx_\w*", re.ASCII | re.IGNORECASE)


def reserved(name: str) -> bool:
    """Whether ``name`` is in the internal namespace (``__cx_*``, any case)."""
    return _RESERVED.fullmatch(name) is not None


def source_name(name: str) -> str:
    """The name a source column keeps when it would clash with an internal one."""
    return f"{name} (source)" if reserved(name) else name


@dataclass
class RawSource:
    """A file exposed as view ``view``; ``malformed`` holds CSV lines that could not be split."""

    path: str
    view: str
    malformed: list[tuple[int | None, str]] = field(default_factory=list)
    tables: list[pa.Table] = field(default_factory=list)  # keeps registered Arrow data alive
    encoding_repairs: int = 0  # undecodable bytes (sequences) replaced by U+FFFD
    nul_bytes_stripped: int = 0


def file_format(path: Path) -> str:
    """csv, parquet, jsonl or xes, from the file name."""
    name = path.name.lower().removesuffix(".gz")
    suffix = name.rsplit(".", 1)[-1] if "." in name else ""
    if suffix in ("csv", "tsv", "txt", "tab"):
        return "csv"
    if suffix in ("parquet", "pq"):
        return "parquet"
    if suffix in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if suffix == "xes":
        return "xes"
    raise InputError(
        "unknown file type; expected .csv/.tsv/.txt, .parquet, .jsonl/.ndjson or .xes(.gz)", path=path
    )


def open_source(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
    """Expose ``path`` as ``view``; a missing, empty or unreadable file is an InputError naming it."""
    if not path.is_file():
        raise InputError("file not found", path=path)
    if path.stat().st_size == 0:
        raise InputError("file is empty", path=path)
    fmt = file_format(path)
    if fmt == "csv":
        from .delimited import load
    elif fmt == "parquet":
        from .parquet import load
    elif fmt == "jsonl":
        from .jsonl import load
    else:
        from .xes import load
    return load(path, engine, view, options)


def register_arrow(engine: Engine, view: str, table: pa.Table, path: Path) -> RawSource:
    """Register an Arrow table of source columns, numbering its rows 1..n as ``ROW``."""
    if any(c.lower() == ROW for c in table.column_names):  # a source column, not ours: keep it, renamed
        table = table.rename_columns([source_name(c) if c.lower() == ROW else c for c in table.column_names])
    table = table.append_column(ROW, pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64)))
    # DuckDB refuses register() while a result is half-fetched (Engine.scalar leaves one): finish it.
    engine.rows("SELECT 1")
    engine.register(view, table)
    return RawSource(path=str(path), view=view, tables=[table])
