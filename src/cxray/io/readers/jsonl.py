"""JSON Lines: one object per line; every field read as text (nested values as their JSON text).

A file that is one JSON array of objects (pretty-printed or not) is read as its records too."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ...engine import Engine
from ...errors import EngineError, InputError
from ..options import ReadOptions
from . import RawSource, register_arrow
from .delimited import decode_file, read_bytes


def load(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
    """Decoded as a delimited file is (``delimited.decode_file``): a bad byte replaced and counted, a NUL
    removed and counted; only then, from a repaired copy when anything was repaired, read by DuckDB.

    A line that is not a JSON object (cut short at the end of an export, a stray log line) fails DuckDB's
    read of the whole file: then each line is checked, and the file is read again without those lines,
    which come back as ``malformed`` (rejected as ``malformed_row`` with their record numbers, counting
    the non-blank lines); the other records keep theirs."""
    raw = read_bytes(path)
    try:
        data, repairs, nuls = decode_file(raw, options.encoding)
    except LookupError as exc:  # an unknown encoding
        raise InputError(f"cannot read as JSON Lines: {exc}", path=path) from None
    try:
        source = _from_bytes(data, data == raw, path, engine, view, strict=True)
    except InputError as failed:
        # one JSON document (an array of records, pretty-printed or not) before its lines: the lines of a
        # pretty-printed array can hold objects of their own
        document = _one_document(data, path)
        kept, rows, malformed = document if document is not None else _without_malformed(data)
        if not malformed and not document and isinstance(failed, _OneJsonColumn):  # objects: key "json"
            return _finish(_from_bytes(data, data == raw, path, engine, view), repairs, nuls)
        if not malformed and not document:
            raise
        if not rows:
            message = f"no JSON object on any line ({len(malformed)} malformed)"
            raise InputError(message, path=path) from failed
        source = _from_bytes(kept, False, path, engine, view, rows=np.array(rows, dtype=np.int64))
        source.malformed = malformed
    return _finish(source, repairs, nuls)


def _finish(source: RawSource, repairs: int, nuls: int) -> RawSource:
    source.encoding_repairs = repairs
    source.nul_bytes_stripped += nuls
    return source


class _OneJsonColumn(InputError):
    """DuckDB read the file as one column ``json``: what it does when a line is not an object."""


def _from_bytes(
    data: bytes,
    as_file: bool,
    path: Path,
    engine: Engine,
    view: str,
    *,
    rows: np.ndarray | None = None,
    strict: bool = False,
) -> RawSource:
    """Read ``data``: from ``path`` itself when it is the file's bytes (``as_file``), else from a copy.
    ``strict``: a file read as the one column ``json`` raises :class:`_OneJsonColumn`."""
    if as_file:
        return _load(path, path, engine, view, rows, strict)
    with tempfile.TemporaryDirectory(prefix="cxray-") as tmp:
        copy = Path(tmp) / "repaired.jsonl"
        copy.write_bytes(data)
        return _load(copy, path, engine, view, rows, strict)


def _without_malformed(data: bytes) -> tuple[bytes, list[int], list[tuple[int | None, str]]]:
    """The lines of ``data`` that hold a JSON object, their record numbers (non-blank lines, 1-based), and
    the other lines with theirs and their text. A Python parse of every line: only a file that failed
    DuckDB's read pays it."""
    kept: list[bytes] = []
    rows: list[int] = []
    malformed: list[tuple[int | None, str]] = []
    record = 0
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        record += 1
        try:
            ok = isinstance(json.loads(line), dict)
        except ValueError:  # JSONDecodeError, and UnicodeDecodeError (decode_file repaired the bytes)
            ok = False
        if ok:
            kept.append(line)
            rows.append(record)
        else:
            malformed.append((record, line.decode("utf-8", errors="replace").rstrip("\r")))
    return b"\n".join(kept) + b"\n", rows, malformed


def _one_document(data: bytes, path: Path) -> tuple[bytes, list[int], list[tuple[int | None, str]]] | None:
    """A file that is one JSON document rather than one object a line (an API's response saved as it
    came, an array of records pretty-printed): an array's objects as JSON Lines, numbered by their
    position in it (its other elements malformed); an object is an error that says what to do. None
    when the file is no JSON document either."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except ValueError:
        return None
    if isinstance(doc, dict):
        keys = ", ".join(repr(k) for k in list(doc)[:6]) + (", ..." if len(doc) > 6 else "")
        raise InputError(
            f"one JSON document (an object with keys {keys}), not one record a line: a platform's "
            "export is read by its adapter (--mapping NAME; `cxray mappings` lists them), a table of "
            "events as JSON Lines or as a JSON array of objects",
            path=path,
        )
    if not isinstance(doc, list) or not any(isinstance(x, dict) for x in doc):
        return None
    kept: list[bytes] = []
    rows: list[int] = []
    malformed: list[tuple[int | None, str]] = []
    for i, x in enumerate(doc, start=1):
        if isinstance(x, dict):
            kept.append(json.dumps(x, ensure_ascii=False).encode())
            rows.append(i)
        else:
            malformed.append((i, json.dumps(x, ensure_ascii=False)))
    return b"\n".join(kept) + b"\n", rows, malformed


def _load(
    file: Path, path: Path, engine: Engine, view: str, rows: np.ndarray | None = None, strict: bool = False
) -> RawSource:
    literal = "'" + str(file).replace("'", "''") + "'"
    source = f"read_json({literal}, format = 'newline_delimited'"
    try:
        names = [r["column_name"] for r in engine.rows(f"DESCRIBE SELECT * FROM {source})")]
        if strict and names == ["json"]:
            raise _OneJsonColumn("a line is not a JSON object", path=path)
        cols = ", ".join("'" + n.replace("'", "''") + "': 'VARCHAR'" for n in names)
        # Insertion order is preserved (Engine sets it), so row i of the result is line i of the file.
        table = engine.arrow(f"SELECT * FROM {source}, columns = {{{cols}}})")
    except (EngineError, duckdb.Error) as exc:
        cause = exc.__cause__ if isinstance(exc, EngineError) and exc.__cause__ else exc
        # DuckDB names the file it read: a repaired copy is the user's file to them
        said = str(cause).replace(str(file), str(path))
        raise InputError(f"cannot read as JSON Lines: {said}", path=path) from None
    # A JSON string may hold an escaped NUL (\u0000) that no byte scan sees: removed and counted too,
    # so none reaches the canonical log or the report.
    nuls, columns = 0, []
    for col in table.columns:
        n = int(pc.sum(pc.count_substring(col, "\x00")).as_py() or 0)
        columns.append(pc.replace_substring(col, "\x00", "") if n else col)
        nuls += n
    if nuls:
        table = pa.table(columns, names=table.column_names)
    raw = register_arrow(engine, view, table, path, rows=rows)
    raw.nul_bytes_stripped = nuls
    return raw
