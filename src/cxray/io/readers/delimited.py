"""CSV/TSV/.txt: decoded to UTF-8 (``decode_file``), delimiter and header sniffed on a sample, then one fast
pyarrow pass, all strings.

Encoding: UTF-8 (BOM or not), UTF-16 with a BOM, or cp1252 for a file without any valid non-ASCII UTF-8;
a byte that does not decode is replaced (U+FFFD) and counted, a NUL byte removed and counted, row by row:
one bad byte never fails the file nor changes how the rest of it is decoded.

Every value is read as text (nothing guessed: ``0012`` stays ``0012``, dates are parsed later in SQL);
empty fields are NULL. Quoted fields may hold delimiters, quotes (doubled) and newlines. Lines that do
not split into the header's number of fields are not dropped: they come back as ``malformed`` and are
rejected with reason ``malformed_row``, each with its record number; the rows after one keep theirs.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import threading
import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ...engine import Engine
from ...errors import InputError
from ..options import ReadOptions
from . import RawSource, register_arrow

SAMPLE_BYTES = 1 << 16
DELIMITERS = (",", ";", "\t", "|")


def load(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
    try:
        data, repairs, nuls = decode_file(read_bytes(path), options.encoding)
    except LookupError as exc:  # an unknown --encoding
        raise InputError(f"cannot read as CSV: {exc}", path=path) from None
    text = _decode_sample(data[:SAMPLE_BYTES], "utf-8")
    titles = title_lines(text, (options.delimiter,) if options.delimiter else DELIMITERS)
    if titles:  # a report's title above its header: the file starts at the header
        data = data[_line_offset(data, titles) :]
        text = _decode_sample(data[:SAMPLE_BYTES], "utf-8")
    delimiter = options.delimiter or sniff_delimiter(text)
    header = _header(text, delimiter, path)
    if _trailing_delimiter(text, delimiter, len(header)):  # every row ends in a delimiter, the header not
        header.append(f"column_{len(header) + 1}")
    malformed: list[tuple[int | None, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        malformed.append((row.number, row.text))
        return "skip"

    def read(*, serial: bool = False) -> pa.Table:
        return pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(
                encoding="utf-8", column_names=header, skip_rows=1, block_size=1 << 24, use_threads=not serial
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                newlines_in_values=True,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )

    try:
        table = read()
        rows = None
        if malformed:
            # Arrow knows where a line it cannot split is only when it parses on one thread: parse again
            # (only a file with such lines pays), so that they and the rows after them keep their record
            # numbers (``source_row``) instead of the rows after one moving up
            malformed.clear()
            table = read(serial=True)
            rows = record_numbers(table.num_rows, malformed)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"cannot read as CSV: {exc}", path=path) from None
    if lines := unclosed_quote(table, data, delimiter):
        record = int(rows[-1]) if rows is not None else table.num_rows
        raise InputError(
            f"record {record} opens a quoted value that is never closed: the rest of the file ({lines} "
            "lines) would be that one value; close the quote or remove it",
            path=path,
        )
    table, rows, headers = drop_repeated_headers(table, header, rows)
    source = register_arrow(engine, view, table, path, rows=rows)
    source.malformed = malformed
    left_out = {"title_lines": titles, "repeated_headers": headers}
    source.left_out = {why: n for why, n in left_out.items() if n}
    source.encoding_repairs, source.nul_bytes_stripped = repairs, nuls
    return source


def drop_repeated_headers(
    table: pa.Table, header: list[str], rows: np.ndarray | None
) -> tuple[pa.Table, np.ndarray | None, int]:
    """The table without its rows that repeat the header (every value its column's name, white space
    around the others aside: exports joined end to end, each with its header), the kept rows' record
    numbers, and how many went. Only the first column is compared on every row.

    >>> t = pa.table({"id": ["a", "id", "b"], "ts": ["1", " ts ", "2"]})
    >>> kept, rows, n = drop_repeated_headers(t, ["id", "ts"], None)
    >>> kept.column("id").to_pylist(), rows.tolist(), n
    (['a', 'b'], [1, 3], 1)
    """
    if not table.num_rows or not header:
        return table, rows, 0
    # the first column exactly as the header writes it (a file joined from its own exports repeats it so):
    # one comparison of 1M values takes about 0.005 s
    same = pc.equal(table.column(0), header[0])
    if not pc.any(same).as_py():
        return table, rows, 0
    for name, column in zip(header[1:], table.columns[1:], strict=False):
        same = pc.and_(same, pc.equal(pc.utf8_trim_whitespace(column), name.strip()))
    repeated = same.fill_null(False).to_numpy(zero_copy_only=False)
    n = int(repeated.sum())
    if not n:
        return table, rows, 0
    numbers = np.arange(1, table.num_rows + 1, dtype=np.int64) if rows is None else rows
    return table.filter(pa.array(~repeated)), numbers[~repeated], n


def record_numbers(kept: int, malformed: list[tuple[int | None, str]]) -> np.ndarray | None:
    """The record numbers (1-based, the header not counted) of the ``kept`` rows Arrow split, given the
    lines it could not (``malformed``, numbered by Arrow from the header on, turned into record numbers in
    place); None when Arrow gave no number to one of them (the rows are then numbered 1..kept)."""
    numbers = [n for n, _ in malformed]
    if any(n is None or n < 2 for n in numbers):
        return None
    records = [int(n) - 1 for n in numbers if n is not None]
    malformed[:] = [(r, text) for r, (_, text) in zip(records, malformed, strict=True)]
    rows = np.setdiff1d(np.arange(1, kept + len(records) + 1, dtype=np.int64), np.array(records, np.int64))
    return rows if len(rows) == kept else None


def unclosed_quote(table: pa.Table, data: bytes, delimiter: str) -> int:
    """The lines after the first in the last record's values when the file ends inside a quoted value
    (the lines swallowed), else 0.

    Arrow ends such a value at the end of the file without a word: one stray opening quote and every
    line after it became a single value of one record, the rows it held read as none. Only a last record
    with a line break in a value can be that; then Python's ``csv`` (strict) reads the file again to tell
    it from a quoted value that does close (both split quotes the same way)."""
    if table.num_rows == 0:
        return 0
    last = table.slice(table.num_rows - 1).to_pylist()[0].values()
    texts = [v for v in last if isinstance(v, str) and "\n" in v]
    if not texts:
        return 0
    text = io.StringIO(data.decode("utf-8", errors="replace"), newline="")
    limit = csv.field_size_limit(max(len(data), 131072))  # the swallowed rest of a file is one long field
    try:
        for _ in csv.reader(text, delimiter=delimiter, quotechar='"', doublequote=True, strict=True):
            pass
    except csv.Error as exc:  # only the end of the file inside quotes counts
        if "unexpected end of data" in str(exc):
            return sum(1 for v in texts for line in v.split("\n")[1:] if line.strip())
    finally:
        csv.field_size_limit(limit)
    return 0


def read_bytes(path: Path) -> bytes:
    """The whole file, decompressed when it ends in .gz; an unreadable one is an InputError naming it."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            return f.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read: {exc}", path=path) from None


def decode_file(raw: bytes, encoding: str | None = None) -> tuple[bytes, int, int]:
    """The file as UTF-8 without BOM or NUL: ``(data, bytes replaced, NULs stripped)``.

    Decoded per character, never by switching the whole file silently: a byte (sequence) that does not
    decode is replaced by U+FFFD and counted, a NUL is removed and counted. Without ``encoding`` the file
    is UTF-8 (or UTF-16 with a BOM) unless it holds no valid non-ASCII UTF-8 at all but some bytes that
    are not UTF-8: then it is in a legacy code page, read as cp1252 (its rare undefined bytes replaced).
    """
    sniffed = encoding is None
    if encoding is None:
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding = "utf-16"
        else:
            raw = raw.removeprefix(codecs.BOM_UTF8)
            encoding = "utf-8"
    if codecs.lookup(encoding).name == "utf-8":
        raw = raw.removeprefix(codecs.BOM_UTF8)
        nuls = raw.count(b"\0") if b"\0" in raw else 0  # ``in`` is a memchr: far faster than count
        if nuls:
            raw = raw.replace(b"\0", b"")
        if raw.isascii():
            return raw, 0, nuls
        try:
            raw.decode("utf-8")
            return raw, 0, nuls
        except UnicodeDecodeError:
            pass
        text, repairs = _decode(raw, "utf-8")
        if sniffed and not _NON_ASCII.search(text):  # nothing but invalid bytes: a code page
            text, repairs = _decode(raw, "cp1252")
        return text.encode("utf-8"), repairs, nuls
    text, repairs = _decode(raw, encoding)
    nuls = text.count("\0")
    return text.replace("\0", "").removeprefix("\ufeff").encode("utf-8"), repairs, nuls


_NON_ASCII = re.compile("[^\x00-\x7f\ufffd]")  # a character that only valid non-ASCII UTF-8 gives


def _decode(raw: bytes, encoding: str) -> tuple[str, int]:
    """``raw`` decoded, each undecodable byte (sequence) replaced by U+FFFD: (text, replacements)."""
    _ERRORS.n = 0
    text = raw.decode(encoding, errors=_REPLACE)
    return text, _ERRORS.n


_ERRORS = threading.local()  # replacements counted by the error handler, per thread
_REPLACE = "cxray-count-replace"


def _count_replace(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _ERRORS.n += 1
    return "\ufffd", exc.end


codecs.register_error(_REPLACE, _count_replace)


def _decode_sample(raw: bytes, encoding: str) -> str:
    text = raw.decode(encoding, errors="ignore")
    return text.removeprefix("\ufeff")


#: Lines a report may put above its header (a title, a date range, a blank line), at most.
MAX_TITLE_LINES = 10


def title_lines(text: str, delimiters: tuple[str, ...] = DELIMITERS) -> int:
    """The lines above the header of a report export (``Call Detail Report``, ``Date range: ...``, a blank
    line, then ``Call ID,Agent,...``), or 0: for some delimiter the lines' usual number of fields (two or
    more) is first met below the first line, every line above it having at most half as many, at most
    ``MAX_TITLE_LINES``; fields counted when filled, as Excel pads a title row with delimiters
    (``Call Detail Report,,,``). A file whose first line has the usual number of fields, most of them
    filled, for any delimiter has none: read as it always was. Without this the title became the header,
    and every mapped column was missing."""
    lines = text.splitlines()[:50]
    found = []
    for d in delimiters:
        try:
            rows = [next(csv.reader([line], delimiter=d), []) if line.strip() else [] for line in lines]
        except csv.Error:  # a stray carriage return: no report title to find
            return 0
        widths = [len(r) for r in rows]
        filled = [sum(1 for f in r if f.strip()) for r in rows]  # Excel pads a title with delimiters
        body = [w for w in widths if w >= 2]
        if len(body) < 2:
            continue
        usual = max(set(body), key=lambda w: (body.count(w), w))
        header = (
            i for i, (w, f) in enumerate(zip(widths, filled, strict=True)) if w == usual and f > usual // 2
        )
        first = next(header, 0)
        if first == 0:
            return 0
        # a title has at most half the fields filled (a header one short of its rows, as when every row
        # ends in a delimiter, is a header)
        if first <= MAX_TITLE_LINES and all(f <= usual // 2 for f in filled[:first]):
            found.append(first)
    return min(found, default=0)


def _trailing_delimiter(text: str, delimiter: str, width: int) -> bool:
    """Whether the rows have one field more than the header and it is empty: rows that each end in a
    delimiter (some exports write one after every value) under a header that does not. Read as they were,
    every row was ragged and the file had no rows; the empty field is read as a column of its own."""
    try:
        rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if r][1:200]
    except csv.Error:  # the reader says what is wrong with the file
        return False
    if len(rows) > 1:
        rows = rows[:-1]  # the last line of a sample may be cut
    return bool(rows) and all(len(r) == width + 1 and not r[-1].strip() for r in rows)


def _line_offset(data: bytes, lines: int) -> int:
    """The byte offset of line ``lines`` (0-based) of ``data``."""
    offset = 0
    for _ in range(lines):
        offset = data.index(b"\n", offset) + 1
    return offset


def sniff_delimiter(text: str) -> str:
    """The candidate that splits the sample's lines into the most, equally many, fields."""
    lines = text.splitlines()
    if len(lines) > 1 and len(text) >= SAMPLE_BYTES - 4:
        lines = lines[:-1]  # the last line of a full sample may be cut
    sample = "\n".join(lines[:200])
    best, best_score = ",", (0, 0.0)
    for d in DELIMITERS:
        widths = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=d) if r]
        if not widths or widths[0] < 2:
            continue
        consistent = sum(w == widths[0] for w in widths) / len(widths)
        score = (1 if consistent > 0.9 else 0, consistent * widths[0])
        if score > best_score:
            best, best_score = d, score
    return best


def _header(text: str, delimiter: str, path: Path) -> list[str]:
    try:
        first = next(csv.reader(io.StringIO(text), delimiter=delimiter))
    except (StopIteration, csv.Error):
        raise InputError("no header line", path=path, row=0) from None
    return column_names(first)


def column_names(header: list[str]) -> list[str]:
    """A header's cells as column names: trimmed, a blank one ``column_N`` (its 1-based place), a repeated
    one suffixed ``_2``, ``_3``... (shared with the spreadsheet reader)."""
    names: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(header, start=1):
        name = name.strip() or f"column_{i}"
        base, n = name, 2
        while name in seen:
            name, n = f"{base}_{n}", n + 1
        seen.add(name)
        names.append(name)
    return names
