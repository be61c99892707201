"""What the platform adapters share: JSON records from a file or a folder, and the helpers that flatten them.

A vendor export is a file or a folder of JSON: JSON Lines, objects written back to back (Kinesis Firehose),
a JSON array, or one object holding the array under a key (an API page, ``{"conversations": [...]}``),
gzip or not (told by the magic bytes, not the name). ``parse_records`` numbers every record across the
files of a folder and keeps what is not a JSON object as a malformed record with its number, so an adapter
rejects it per record. ``Rows`` collects the flattened events as columns, ``table`` makes them an Arrow
table of strings (durations as numbers), and ``time``/``text``/``number``/``obj`` read a field leniently:
an adapter never raises on one bad value, it passes the value on and the canonical checks reject the row.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import pyarrow as pa

from ... import schema as S
from ...engine import Engine
from ...errors import InputError
from ..options import ReadOptions
from .delimited import decode_file

if TYPE_CHECKING:
    from . import RawSource

R = TypeVar("R")
MAX_SNIPPET = 200  # characters of a malformed record kept as its example
GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class Record:
    """One JSON object of the export: its 1-based number across the files read, its data, its file."""

    number: int
    data: dict[str, Any]
    file: Path | None = None


@dataclass
class Parsed:
    """Every record read, what was malformed (number, text), and the decoding repairs made."""

    records: list[Record] = field(default_factory=list)
    malformed: list[tuple[int | None, str]] = field(default_factory=list)
    encoding_repairs: int = 0
    nul_bytes_stripped: int = 0


def files(path: Path, *, suffixes: Sequence[str] = ()) -> list[Path]:
    """``path`` itself, or the files under the folder ``path`` in path order (hidden ones skipped; only
    those ending in one of ``suffixes``, when given, a trailing ``.gz`` ignored)."""
    if path.is_file():
        return [path]
    found = sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
        and (not suffixes or p.name.lower().removesuffix(".gz").endswith(tuple(suffixes)))
    )
    if not found:
        ending = f" ending {', '.join(suffixes)}" if suffixes else ""
        raise InputError(f"folder holds no files{ending}", path=path)
    return found


def raw_head(file: Path, n: int = 2) -> bytes:
    """The first ``n`` bytes of ``file`` (b"" when it cannot be read: the reader says why later)."""
    try:
        with file.open("rb") as f:
            return f.read(n)
    except OSError:
        return b""


def raw_bytes(file: Path) -> bytes:
    """The file's bytes, gunzipped when they start with gzip's magic bytes."""
    try:
        raw = file.read_bytes()
        return gzip.decompress(raw) if raw[:2] == GZIP_MAGIC else raw
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputError(f"cannot read: {exc}", path=file) from None


def read_text(file: Path, options: ReadOptions, parsed: Parsed | None = None) -> str:
    """The file decoded as text (undecodable bytes replaced and counted in ``parsed``)."""
    try:
        data, repairs, nuls = decode_file(raw_bytes(file), options.encoding)
    except LookupError as exc:
        raise InputError(f"cannot decode: {exc}", path=file) from None
    if parsed is not None:
        parsed.encoding_repairs += repairs
        parsed.nul_bytes_stripped += nuls
    return data.decode("utf-8")


def parse_records(
    path: Path, options: ReadOptions, *, unwrap: Sequence[str] = (), suffixes: Sequence[str] = ()
) -> Parsed:
    """Every JSON object of every file under ``path``, numbered; a value that is not one is malformed.

    A top-level JSON array is its elements; a top-level object with a key in ``unwrap`` holding an array
    (an API page: ``{"conversations": [...], "cursor": ...}``) is that array's elements (the first such
    key present wins); any other object is one record.
    """
    parsed = Parsed()
    number = 0
    for file in files(path, suffixes=suffixes):
        for value, text in json_values(read_text(file, options, parsed)):
            items: list[tuple[Any, str]] = [(value, text)]
            if isinstance(value, list):
                items = [(v, json.dumps(v, ensure_ascii=False)) for v in value]
            elif isinstance(value, dict):
                key = next((k for k in unwrap if isinstance(value.get(k), list)), None)
                if key is not None:
                    items = [(v, json.dumps(v, ensure_ascii=False)) for v in value[key]]
            for item, shown in items:
                number += 1
                if isinstance(item, dict):
                    parsed.records.append(Record(number, item, file))
                else:
                    snippet = shown if len(shown) <= MAX_SNIPPET else shown[:MAX_SNIPPET] + "..."
                    parsed.malformed.append((number, snippet))
    return parsed


_DECODER = json.JSONDecoder()
_WHITE = " \t\r\n"


def json_values(text: str) -> Iterator[tuple[Any, str]]:
    """JSON values written one a line or back to back (Firehose); text that does not parse is yielded up
    to the next line break (or the next ``{`` on the same line) as a value of None."""
    i, n = 0, len(text)
    if text.startswith("\ufeff"):
        i = 1
    while True:
        while i < n and text[i] in _WHITE:
            i += 1
        if i >= n:
            return
        try:
            value, end = _DECODER.raw_decode(text, i)
            yield value, text[i:end]
            i = end
        except json.JSONDecodeError:
            stop = text.find("\n", i)
            brace = text.find("{", i + 1)
            if brace != -1 and (stop == -1 or brace < stop):
                stop = brace
            stop = n if stop == -1 else stop
            yield None, text[i:stop].strip()
            i = stop


def time(value: Any) -> datetime | None:
    """An ISO 8601 text (``Z`` or an offset allowed) as naive UTC, or epoch milliseconds; else None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, tz=UTC).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        t = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    offset = t.utcoffset()
    return t.replace(tzinfo=None) - offset if offset is not None else t


def text(value: Any) -> str | None:
    """A field as text: strings as given (blank = None), anything else as compact sorted JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def number(value: Any) -> float | None:
    """A field as a number (numeric text too), or None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def obj(record: dict[str, Any], key: str) -> dict[str, Any]:
    """``record[key]`` when it is an object, else an empty one."""
    value = record.get(key)
    return value if isinstance(value, dict) else {}


def items(record: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The objects of the array ``record[key]`` (anything else in it skipped); [] when absent."""
    value = record.get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def latest(
    records: list[R], key: Callable[[R], str | None], rank: Callable[[R], Any], number: Callable[[R], int]
) -> tuple[list[R], list[R]]:
    """At-least-once delivery: per ``key`` the record of highest ``rank`` (the later one in the file on a
    tie), and every record without a key; returns (those, in file order; the other copies).

    >>> rows = [("a", 1, 1), ("a", 3, 2), ("b", 2, 3), (None, 0, 4), ("a", 3, 5)]
    >>> kept, older = latest(rows, key=lambda r: r[0], rank=lambda r: r[1], number=lambda r: r[2])
    >>> kept, older
    ([('b', 2, 3), (None, 0, 4), ('a', 3, 5)], [('a', 1, 1), ('a', 3, 2)])
    """
    best: dict[str, R] = {}
    kept: list[R] = []
    older: list[R] = []
    for r in records:
        k = key(r)
        if k is None:
            kept.append(r)
            continue
        other = best.get(k)
        if other is None:
            best[k] = r
        elif rank(r) >= rank(other):
            best[k] = r
            older.append(other)
        else:
            older.append(r)
    kept += best.values()
    kept.sort(key=number)
    return kept, older


@dataclass
class Rows:
    """Column lists of a flattened view: ``add`` a dict per event, columns appear as they are first set."""

    columns: dict[str, list[Any]] = field(default_factory=dict)
    n: int = 0

    def add(self, values: dict[str, Any]) -> None:
        columns = self.columns
        for name, value in values.items():
            column = columns.get(name)
            if column is None:  # a new column: empty for the rows before (never build that list per call)
                column = columns[name] = [None] * self.n
            column.append(value)
        self.n += 1
        if len(values) < len(columns):
            for column in columns.values():
                if len(column) < self.n:
                    column.append(None)

    def table(self) -> pa.Table:
        """The rows as Arrow: ``duration_s`` a float column, every other column text."""
        return pa.table(
            {
                name: pa.array(values, pa.float64() if name == S.DURATION_S else pa.string())
                for name, values in self.columns.items()
            }
        )


class _Reading(Protocol):
    """What a parse of records counted: :class:`Parsed`, or an adapter's own parse with the same fields."""

    malformed: list[tuple[int | None, str]]
    encoding_repairs: int
    nul_bytes_stripped: int


def register_rows(
    engine: Engine, view: str, rows: Rows, path: Path, parsed: _Reading, *, records: int,
    duplicates: int = 0, malformed: list[tuple[int | None, str]] | None = None,
    left_out: dict[str, int] | None = None,
) -> RawSource:  # fmt: skip
    """Expose an adapter's flattened ``rows`` as ``view`` with what its parse counted: the records read,
    older copies dropped, malformed records (``parsed``'s unless given), records left out by why
    (``RawSource.left_out``) and decoding repairs."""
    from . import register_arrow  # the package imports this module's users lazily; no cycle at import

    source = register_arrow(engine, view, rows.table(), path)
    source.malformed = parsed.malformed if malformed is None else malformed
    source.records = records
    source.duplicates = duplicates
    source.left_out = {k: n for k, n in sorted((left_out or {}).items()) if n}
    source.encoding_repairs = parsed.encoding_repairs
    source.nul_bytes_stripped = parsed.nul_bytes_stripped
    return source
