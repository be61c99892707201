"""XES and .xes.gz (IEEE 1849) via rustxes: one row per event in file order, trace attributes as ``case:*``.

rustxes converts ``time:timestamp`` to naive UTC. Columns come back in no fixed order, so they are
sorted here (determinism). rustxes panics (a ``BaseException``) on a malformed file: that becomes an
InputError naming the file.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import rustxes

from ...engine import Engine
from ...errors import InputError
from ..options import ReadOptions
from . import RawSource, register_arrow


def read_xes(path: Path) -> pa.Table:
    """The events of an XES file as an Arrow table (columns sorted by name, timestamps in microseconds)."""
    try:
        frame, _meta = rustxes.import_xes(str(path))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # rustxes panics (pyo3 PanicException derives from BaseException)
        detail = str(exc).split("`Err` value: ")[-1]
        raise InputError(f"cannot read as XES: {detail}", path=path) from None
    table = frame.to_arrow()
    table = table.select(sorted(table.column_names))
    columns = []
    for col in table.columns:
        if pa.types.is_timestamp(col.type):
            col = col.cast(pa.timestamp("us", col.type.tz), safe=False)
        elif pa.types.is_large_string(col.type) or pa.types.is_string_view(col.type):
            col = col.cast(pa.string())
        columns.append(col)
    return pa.table(columns, names=table.column_names)


def load(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
    table = read_xes(path)
    if table.num_rows == 0:
        raise InputError("the XES log has no events", path=path)
    return register_arrow(engine, view, table, path)
