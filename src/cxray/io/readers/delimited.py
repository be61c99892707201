"""CSV/TSV/.txt: encoding, delimiter and header sniffed on a sample, then one fast pyarrow pass, all strings.

Every value is read as text (nothing guessed: ``0012`` stays ``0012``, dates are parsed later in SQL);
empty fields are NULL. Quoted fields may hold delimiters, quotes (doubled) and newlines. Lines that do
not split into the header's number of fields are not dropped: they come back as ``malformed`` and are
rejected with reason ``malformed_row``.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from ...engine import Engine
from ...errors import InputError
from ..options import ReadOptions
from . import RawSource, register_arrow

SAMPLE_BYTES = 1 << 16
DELIMITERS = (",", ";", "\t", "|")


def load(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
    raw = _sample(path)
    encoding = options.encoding or sniff_encoding(raw)
    text = _decode_sample(raw, encoding)
    delimiter = options.delimiter or sniff_delimiter(text)
    header = _header(text, delimiter, path)
    malformed: list[tuple[int | None, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        malformed.append((row.number, row.text))
        return "skip"

    def read(enc: str) -> pa.Table:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding=enc, column_names=header, skip_rows=1, block_size=1 << 24
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
        try:
            table = read(encoding)
        except pa.ArrowInvalid as exc:
            if options.encoding or encoding != "utf-8" or "UTF8" not in str(exc).upper():
                raise
            malformed.clear()  # invalid UTF-8 past the sample: the file is in a legacy code page
            table = read("cp1252")
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError, LookupError) as exc:
        raise InputError(f"cannot read as CSV: {exc}", path=path) from None
    source = register_arrow(engine, view, table, path)
    source.malformed = malformed
    return source


def _sample(path: Path) -> bytes:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            return f.read(SAMPLE_BYTES)
    except OSError as exc:
        raise InputError(f"cannot read: {exc}", path=path) from None


def sniff_encoding(raw: bytes) -> str:
    """utf-8 (BOM or not), utf-16 with BOM, else cp1252 when the sample is not valid UTF-8."""
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(raw) - 3:  # not just a character cut at the end of the sample
            return "cp1252"
    return "utf-8"


def _decode_sample(raw: bytes, encoding: str) -> str:
    text = raw.decode(encoding, errors="ignore")
    return text.removeprefix("\ufeff")


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
    names: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(first, start=1):
        name = name.strip() or f"column_{i}"
        base, n = name, 2
        while name in seen:
            name, n = f"{base}_{n}", n + 1
        seen.add(name)
        names.append(name)
    return names
