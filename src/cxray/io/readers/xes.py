"""XES and .xes.gz (IEEE 1849) via rustxes: one row per event in file order, trace attributes as ``case:*``.

rustxes converts ``time:timestamp`` to naive UTC, an offset applied and a time without one read as UTC,
so which it was is lost. XES writers give the offset (``2010-12-30T11:02:00.000+01:00``): when most of the
file's first ``time:timestamp`` values carry one, the date columns are handed over as instants (UTC), so
that ``--tz`` (for times without an offset) does not move them again; otherwise as naive times, which
``--tz`` places. Columns come back in no fixed order, so they are sorted here (determinism). rustxes
panics (a ``BaseException``) on a malformed file: that becomes an InputError naming the file. Before
rustxes, one streaming scan (``check_xes``) refuses entity declarations and list/container nesting
deeper than ``MAX_NESTING`` (deep nesting crashes rustxes).
"""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

import pyarrow as pa
import rustxes

from ...engine import Engine
from ...errors import InputError
from ..options import ReadOptions
from ..timeparse import OFFSET_RE
from . import RawSource, register_arrow

#: Deepest nesting of list/container/values elements accepted. rustxes parses them recursively and a few
#: thousand levels overflow its stack (the process dies, signal 11); real logs nest one or two.
MAX_NESTING = 64
_CHUNK = 1 << 22
# the start or end tag of a nesting element (any case: counted rather than missed; rustxes itself nests
# only lower-case, unprefixed ones),
# or an entity declaration; attribute values are skipped whole, so a quoted ">" or "/>" cannot end a tag
_TAG = re.compile(
    rb"""<(/?)(?:list|container|values)(?=[\s/>])(?:[^>"']|"[^"]*"|'[^']*')*?(/?)>|<!ENTITY""",
    re.IGNORECASE,
)


def check_xes(path: Path) -> None:
    """Refuse, before rustxes sees it, an XES file nested deeper than ``MAX_NESTING`` list/container levels
    or declaring entities (entity expansion, external entities): an InputError naming the file.

    One streaming byte scan (``.xes.gz`` decompressed on the fly); only the rare nesting tags are looked at.
    """
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    depth, carry = 0, b""
    try:
        with opener(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                data = carry + chunk
                # a tag cut by the chunk's end is scanned with the next chunk (unless longer than 64 KiB:
                # at most one tag per 4 MiB chunk could go unseen, far too few to reach a harmful depth)
                cut = data.rfind(b"<", max(0, len(data) - (1 << 16)))
                data, carry = (data[:cut], data[cut:]) if cut >= 0 else (data, b"")
                depth = _scan(data, depth, path)
            _scan(carry, depth, path)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read as XES: {exc}", path=path) from None


def _scan(data: bytes, depth: int, path: Path) -> int:
    for m in _TAG.finditer(data):
        closing, empty = m.group(1, 2)
        if closing is None:
            raise InputError("entity declarations are not allowed in an XES file", path=path)
        if closing:
            depth = max(0, depth - 1)
        elif not empty:
            depth += 1
            if depth > MAX_NESTING:
                raise InputError(
                    f"list/container elements nested deeper than {MAX_NESTING} levels", path=path
                )
    return depth


#: ``time:timestamp`` values read from the start of a file to tell whether its times carry an offset.
OFFSET_SAMPLE = 1000
_DATE_TAG = re.compile(rb"<date\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")
_TIME_KEY = re.compile(rb"""\bkey\s*=\s*["']time:timestamp["']""")
_VALUE = re.compile(rb"""\bvalue\s*=\s*["']([^"']*)["']""")
_OFFSET = re.compile(OFFSET_RE.encode())  # the text reader's test of an offset after a time of day


def times_carry_offsets(path: Path) -> bool:
    """Whether most of the first :data:`OFFSET_SAMPLE` ``time:timestamp`` values of the file (read from
    its first 4 MiB, ``.xes.gz`` decompressed) end in a UTC offset or ``Z``."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            head = f.read(_CHUNK)
    except (OSError, EOFError, zlib.error):
        return False  # read_xes says what is wrong with the file
    seen = with_offset = 0
    for tag in _DATE_TAG.finditer(head):
        if not _TIME_KEY.search(tag[0]) or (value := _VALUE.search(tag[0])) is None:
            continue
        seen += 1
        with_offset += bool(_OFFSET.search(value[1]))
        if seen >= OFFSET_SAMPLE:
            break
    return seen > 0 and with_offset * 2 >= seen


def read_xes(path: Path) -> pa.Table:
    """The events of an XES file as an Arrow table (columns sorted by name, timestamps in microseconds,
    in UTC when the file's times carry offsets: :func:`times_carry_offsets`)."""
    check_xes(path)
    try:
        frame, _meta = rustxes.import_xes(str(path))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # rustxes panics (pyo3 PanicException derives from BaseException)
        detail = str(exc).split("`Err` value: ")[-1]
        raise InputError(f"cannot read as XES: {detail}", path=path) from None
    table = frame.to_arrow()
    table = table.select(sorted(table.column_names))
    zone = "UTC" if times_carry_offsets(path) else None  # instants, or naive times --tz places
    columns = []
    for col in table.columns:
        if pa.types.is_timestamp(col.type):
            col = col.cast(pa.timestamp("us", col.type.tz or zone), safe=False)
        elif pa.types.is_large_string(col.type) or pa.types.is_string_view(col.type):
            col = col.cast(pa.string())
        columns.append(col)
    return pa.table(columns, names=table.column_names)


def load(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
    table = read_xes(path)
    if table.num_rows == 0:
        raise InputError("the XES log has no events", path=path)
    return register_arrow(engine, view, table, path)
