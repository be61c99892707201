"""Spreadsheets (.xlsx, .xlsm, .xls): one sheet, read through calamine (``fastexcel``), every value as text
as the cell stores it, then the same canonical step as a CSV export.

Analysts get exports as workbooks as often as CSV, and saving a sheet as CSV by hand loses time and
sometimes the dates (a regional Excel writes them day first). Read as text, nothing is guessed here: a date
cell is ``2025-03-01 09:00:00``, a number ``45231.5``, an id typed as text ``0012`` stays ``0012``; dates
and durations are parsed later in SQL like any CSV's. Number formats are not applied (a number formatted
``000000`` reads ``1001``, not ``001001``; ``0%`` on 0.5 reads ``0.5``); a column of booleans reads
``TRUE``/``FALSE``, as Excel shows them. A column
of times or durations (Excel keeps them as fractions of a day, which calamine writes as date-times of
1899-1900, or 1904 in a Mac workbook) is written as clocks, ``09:05:07`` or ``1417:00:00``, so that a time
column joins its date column and a handle time reads as seconds; a column of dates as dates
(``2025-03-01``). A formula's error value (``#DIV/0!``) is an empty cell. OpenDocument sheets (.ods) are
not read: calamine reads their time and duration cells as empty, which would lose handle times silently.

The sheet: the one ``sheet`` names (the options', else the mapping's; its name in any case, or its 1-based
number), else the workbook's only visible sheet with any value; a workbook of several such sheets must name
one (reading the wrong sheet silently would be worse). Like a report's CSV, a title above the header (at
most ``MAX_TITLE_LINES`` rows, each with at most half the header's filled cells, blank rows included) is
skipped and counted (``title_lines``); empty rows are skipped (they hold no value); rows keep their
numbers below the header (``source_row``: Excel's row number minus the header's), so a rejected row is
found in the sheet.
"""

from __future__ import annotations

import functools
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

#: A date, time or date-time cell as calamine writes it when read as text.
_DATE_TIME = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$"
#: A fraction of a day as calamine writes it: a date-time before 1901 (1900 date system: serials below 60
#: from 1899-12-31, from 61 on from 1899-12-30, its own quirk) or in 1904 (a Mac workbook's 1904 system).
_CLOCK = r"^(1899-12-3[01]|1900-\d\d-\d\d|1904-\d\d-\d\d) "
_ZEROS = (("1904-01-01", "1904-01-01"), ("1900-03-01", "1899-12-30"), ("1800-01-01", "1899-12-31"))
_MIDNIGHT = r"^\d{4}-\d\d-\d\d 00:00:00$"
#: Rows looked at to find the header.
_SCAN = 50


def load(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
    import fastexcel

    try:
        workbook = fastexcel.read_excel(path)
    except (fastexcel.FastExcelError, OSError) as exc:
        raise InputError(
            f"cannot read as a spreadsheet{_not_a_workbook(path)}: {_first_line(exc)}", path=path
        ) from None
    named = options.sheet or (options.mapping.sheet if options.mapping is not None else None)
    table = _sheet(workbook, named, path)
    if table.num_rows == 0 or table.num_columns == 0:
        raise InputError("the sheet holds no rows", path=path)
    head = [list(row.values()) for row in table.slice(0, _SCAN).to_pylist()]
    titles = _title_rows(head)
    header = column_names([_cell(v) for v in head[titles]])
    body = table.slice(titles + 1)
    kept, numbers = _drop_empty(body)
    columns = [_booleans(_dates(_clocks(_blanks(kept.column(i))))) for i in range(kept.num_columns)]
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
        same = [n for n in names if n == named] or [
            n for n in names if n.strip().lower() == named.strip().lower()
        ]
        chosen: int | str | None = same[0] if same else None
        if chosen is None and named.isdigit() and 1 <= int(named) <= len(names):
            chosen = int(named) - 1
        if chosen is None:
            raise InputError(f"no sheet {named!r}; the workbook's sheets: {', '.join(names)}", path=path)
        return _load(workbook, chosen, path)[0]
    loaded = [(name, *_load(workbook, name, path)) for name in names]
    filled = [(name, table) for name, table, visible in loaded if visible and table.num_rows]
    if len(filled) > 1:
        shown = ", ".join(repr(name) for name, _ in filled)
        raise InputError(
            f"the workbook has {len(filled)} sheets with values ({shown}): name the sheet of events with "
            "--sheet NAME (or sheet: in the mapping)",
            path=path,
        )
    return filled[0][1] if filled else pa.table({})


def _load(workbook: Any, sheet: int | str, path: Path) -> tuple[pa.Table, bool]:
    """A sheet as text, and whether it is visible."""
    import fastexcel

    try:
        loaded = workbook.load_sheet(sheet, header_row=None, dtypes="string")
        return loaded.to_arrow(), getattr(loaded, "visible", "visible") == "visible"
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
    """A column of times or durations as clocks: ``1899-12-31 09:05:07`` is ``09:05:07``, ``1900-01-01
    02:03:00`` is ``26:03:00``, a 61-day duration (``1900-03-01 00:00:00``) ``1464:00:00``. Only when every
    date-time of the column is such a fraction of a day: a date column's placeholder ``1900-01-01`` among
    real dates stays a date (and is then an outlier, not a clock), its text values stay as they are."""
    stamped = pc.match_substring_regex(column, _DATE_TIME)
    if not pc.any(stamped).as_py():
        return column
    clocks = pc.and_(stamped, pc.match_substring_regex(column, _CLOCK))
    if pc.sum(stamped).as_py() != pc.sum(clocks).as_py():
        return column  # a real date among them: a date column
    values, clocks = _array(column), _array(clocks)
    text = pc.replace_substring(values, " ", "T")
    at = pc.cast(pc.if_else(clocks, text, None), pa.timestamp("ms"))  # not a clock: null
    ms = pc.cast(at, pa.int64())
    since = pa.array([None] * len(ms), pa.int64())
    for start, zero in _ZEROS:  # the first zero whose range holds the value
        bound = pc.cast(pc.cast(pa.scalar(start), pa.timestamp("ms")), pa.int64())
        origin = pc.cast(pc.cast(pa.scalar(zero), pa.timestamp("ms")), pa.int64())
        take = pc.and_(pc.is_null(since), pc.greater_equal(ms, bound))
        since = pc.if_else(take, pc.subtract(ms, origin), since)
    hours = pc.divide(since, 3_600_000)
    minutes = pc.divide(pc.subtract(since, pc.multiply(hours, 3_600_000)), 60_000)
    millis = pc.subtract(since, pc.add(pc.multiply(hours, 3_600_000), pc.multiply(minutes, 60_000)))
    seconds, fraction = (
        pc.divide(millis, 1000),
        pc.subtract(millis, pc.multiply(pc.divide(millis, 1000), 1000)),
    )

    def two(n: pa.Array) -> pa.Array:
        return pc.utf8_lpad(pc.cast(n, pa.string()), 2, "0")

    clock = pc.binary_join_element_wise(two(hours), two(minutes), two(seconds), ":")
    shown = pc.if_else(
        pc.equal(fraction, 0),
        clock,
        pc.binary_join_element_wise(clock, pc.utf8_lpad(pc.cast(fraction, pa.string()), 3, "0"), "."),
    )
    return pa.chunked_array([pc.if_else(clocks, shown, values)])


def _array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _dates(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column of dates (every value at midnight: calamine writes a date cell as a date-time) as dates,
    ``2025-03-01``, as Excel shows them: a wide layout's date column is joined to a time of day."""
    valid = column.drop_null()
    if len(valid) == 0 or not pc.all(pc.match_substring_regex(valid, _MIDNIGHT)).as_py():
        return column
    return pc.utf8_slice_codeunits(column, 0, 10)


def _not_a_workbook(path: Path) -> str:
    """What a file named like a workbook is when it is none: "Export to Excel" of Jira, Salesforce and
    many web tools writes an HTML table or XML under .xls, and some write CSV."""
    try:
        with path.open("rb") as f:
            head = f.read(512).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    except OSError:
        return ""
    if head.startswith((b"<html", b"<!doctype", b"<table", b"<meta", b"<?xml", b"<workbook")):
        return (
            " (it is a web page or XML, not a workbook: open it in Excel and save it as .xlsx, or export CSV)"
        )
    if head and b"\x00" not in head and not head.startswith(b"pk"):
        return " (it is text, not a workbook: if it is CSV, name it .csv)"
    return ""


def _booleans(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column of booleans (calamine writes ``true``/``false``) as Excel shows them and saves them as
    CSV, ``TRUE``/``FALSE``: a mapping's ``outcome_values: {TRUE: resolved}`` reads both alike."""
    valid = column.drop_null()
    if len(valid) == 0 or not pc.all(pc.is_in(valid, pa.array(["true", "false"]))).as_py():
        return column
    return pc.utf8_upper(column)


def _cell(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
