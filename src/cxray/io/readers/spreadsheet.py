"""Spreadsheets (.xlsx, .xlsm, .xls, .ods): one sheet, read through calamine (``fastexcel``), every value
as text as the sheet shows it, then the same canonical step as a CSV export.

Analysts get exports as workbooks as often as CSV, and saving a sheet as CSV by hand loses time and
sometimes the dates (a regional Excel writes them day first). Read as text, nothing is guessed here: a date
cell is ``2025-03-01 09:00:00``, a number ``45231.5``, an id ``0012`` stays ``0012``; dates and durations
are parsed later in SQL like any CSV's. A cell formatted as a time or a duration (Excel keeps it as a
fraction of a day) is written as a clock, ``09:05:07`` or ``26:03:00``, and a column of dates as dates
(``2025-03-01``), so that a time column joins its date column and a handle time reads as seconds. A
formula's error value (``#DIV/0!``) is an empty cell.

The sheet: the one ``sheet`` names (the options', else the mapping's), else the workbook's only sheet with
any value; a workbook of several such sheets must name one (reading the wrong sheet silently would be
worse). Like a report's CSV, a title above the header (at most ``MAX_TITLE_LINES`` rows, each with at most
half the header's filled cells, blank rows included) is skipped and counted (``title_lines``); empty rows
are skipped (they hold no value); rows keep their numbers below the header (``source_row``: Excel's row
number minus the header's), so a rejected row is found in the sheet.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ...engine import Engine
from ...errors import InputError
from ..options import ReadOptions
from . import RawSource, register_arrow
from .delimited import MAX_TITLE_LINES, column_names

#: How calamine writes a cell kept as a fraction of a day (a time of day, a duration) when read as text:
#: days counted from 1899-12-31. Values before 1900-03-01 are no contact centre's dates.
_CLOCK = re.compile(r"^(1899-12-31|1900-0[12]-\d\d) (\d\d):(\d\d):(\d\d(?:\.\d+)?)$")
_CLOCK_ZERO = datetime(1899, 12, 31)
_MIDNIGHT = r"^\d{4}-\d\d-\d\d 00:00:00$"
#: Rows looked at to find the header.
_SCAN = 50


def load(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
    import fastexcel

    try:
        workbook = fastexcel.read_excel(path)
    except (fastexcel.FastExcelError, OSError) as exc:
        raise InputError(f"cannot read as a spreadsheet: {_first_line(exc)}", path=path) from None
    named = options.sheet or (options.mapping.sheet if options.mapping is not None else None)
    table = _sheet(workbook, named, path)
    if table.num_rows == 0 or table.num_columns == 0:
        raise InputError("the sheet holds no rows", path=path)
    head = [list(row.values()) for row in table.slice(0, _SCAN).to_pylist()]
    titles = _title_rows(head)
    header = column_names([_cell(v) for v in head[titles]])
    body = table.slice(titles + 1)
    kept, numbers = _drop_empty(body)
    columns = [_dates(_clocks(_blanks(kept.column(i)))) for i in range(kept.num_columns)]
    data = pa.Table.from_arrays(columns, names=header)
    keep = [
        name
        for name, raw in zip(header, head[titles], strict=True)
        if _cell(raw) or data[name].null_count < len(data)
    ]  # a column with neither a name nor a value is the sheet's formatting, not data
    source = register_arrow(engine, view, data.select(keep), path, rows=numbers)
    if titles:
        source.left_out = {"title_lines": titles}
    return source


def _sheet(workbook: Any, named: str | None, path: Path) -> pa.Table:
    """The sheet read as text: the one ``named`` (a name, or its 1-based number), else the only sheet with
    a value."""
    names = list(workbook.sheet_names)
    if named is not None:
        chosen: int | str | None = named if named in names else None
        if chosen is None and named.isdigit() and 1 <= int(named) <= len(names):
            chosen = int(named) - 1
        if chosen is None:
            raise InputError(f"no sheet {named!r}; the workbook's sheets: {', '.join(names)}", path=path)
        return _load(workbook, chosen, path)
    filled = [(name, table) for name in names if (table := _load(workbook, name, path)).num_rows]
    if len(filled) > 1:
        shown = ", ".join(repr(name) for name, _ in filled)
        raise InputError(
            f"the workbook has {len(filled)} sheets with values ({shown}): name the sheet of events with "
            "--sheet NAME (or sheet: in the mapping)",
            path=path,
        )
    return filled[0][1] if filled else pa.table({})


def _load(workbook: Any, sheet: int | str, path: Path) -> pa.Table:
    import fastexcel

    try:
        return workbook.load_sheet(sheet, header_row=None, dtypes="string").to_arrow()
    except (fastexcel.FastExcelError, OSError) as exc:
        raise InputError(f"cannot read sheet {sheet!r}: {_first_line(exc)}", path=path) from None


def _title_rows(head: list[list[Any]]) -> int:
    """The rows above the header: the first row with two or more filled cells is the header when every row
    above it has at most half as many and there are at most ``MAX_TITLE_LINES``; else the first row is."""
    widths = [sum(1 for v in row if _cell(v)) for row in head]
    first = next((i for i, w in enumerate(widths) if w >= 2), 0)
    if 0 < first <= MAX_TITLE_LINES and all(w <= widths[first] // 2 for w in widths[:first]):
        return first
    return 0


def _drop_empty(body: pa.Table) -> tuple[pa.Table, np.ndarray]:
    """The rows with a value, and their numbers below the header (1-based)."""
    numbers = np.arange(1, body.num_rows + 1, dtype=np.int64)
    if body.num_columns == 0:
        return body, numbers
    filled = functools.reduce(pc.or_, [pc.is_valid(_blanks(c)) for c in body.columns])
    if pc.all(filled).as_py():
        return body, numbers
    mask = filled.to_numpy(zero_copy_only=False)
    return body.filter(filled), numbers[mask]


def _blanks(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Empty text as missing, as a CSV's empty field is."""
    return pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)


def _clocks(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Cells calamine wrote as a date before 1900-03-01 (a time or a duration formatted as such) as
    clocks: ``1899-12-31 09:05:07`` is ``09:05:07``, ``1900-01-01 02:03:00`` is ``26:03:00``."""
    found = pc.match_substring_regex(column, _CLOCK.pattern)
    if not pc.any(found).as_py():
        return column
    values = column.to_pylist()
    for i, hit in enumerate(found.to_pylist()):
        if hit:
            m = _CLOCK.match(values[i])
            assert m is not None
            days = (datetime.fromisoformat(m.group(1)) - _CLOCK_ZERO).days
            values[i] = f"{days * 24 + int(m.group(2)):02d}:{m.group(3)}:{m.group(4)}"
    return pa.chunked_array([pa.array(values, pa.string())])


def _dates(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column of dates (every value at midnight: calamine writes a date cell as a date-time) as dates,
    ``2025-03-01``, as Excel shows them: a wide layout's date column is joined to a time of day."""
    valid = column.drop_null()
    if len(valid) == 0 or not pc.all(pc.match_substring_regex(valid, _MIDNIGHT)).as_py():
        return column
    return pc.utf8_slice_codeunits(column, 0, 10)


def _cell(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
