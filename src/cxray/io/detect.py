"""Recognise a platform's export from its fields, so ``cxray diagnose ctr/`` works without ``--mapping``.

Each platform adapter declares a *signature*: the field paths that together only its export has
(``ContactId``, ``InitiationMethod``... for Amazon Connect contact records). ``sample_fields`` reads the
first megabyte of a file (or of the first files of a folder) and lists the fields it finds: JSON key paths
with arrays passed through (``participants.sessions.segments.segmentType``), a delimited file's header
columns with ``file:<stem>``, an SQLite file's ``table:<name>`` and ``<table>.<column>`` (gzipped or
not), the JSON of a console export's time-stamped lines. An adapter matches when every field of its
signature is found, ignoring case, as a whole path or as the tail of one (an API page
wraps records in ``{"conversations": [...]}``, a CloudWatch export in ``logEvents.message``). A file that
matches none gets the closest adapters named, with the fields it lacks.

Detection only reads a sample: it decides which reader runs, and the reader then checks every record.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import shutil
import sqlite3
import tempfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .readers import registered_adapters
from .readers.records import json_values

SAMPLE_BYTES = 1 << 20  # of each file read
SAMPLE_FILES = 40  # of a folder: enough for each file of a CRM export (Salesforce: Case, CaseHistory...)
SAMPLE_RECORDS = 50  # JSON values flattened per file
_LIST_ITEMS = 20  # items of one array walked
_SQLITE = b"SQLite format 3\x00"


@dataclass(frozen=True)
class Match:
    """How much of one adapter's signature a sample holds."""

    adapter: str
    platform: str
    found: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return bool(self.found) and not self.missing

    @property
    def score(self) -> float:
        total = len(self.found) + len(self.missing)
        return len(self.found) / total if total else 0.0

    def describe(self) -> str:
        total = len(self.found) + len(self.missing)
        lacking = f"; lacks {', '.join(self.missing)}" if self.missing else ""
        return f"{self.adapter} ({len(self.found)} of {total} fields{lacking})"


def detect(path: Path) -> str | None:
    """The adapter whose whole signature ``path``'s sample holds (the one with the longest signature
    when several do), or None."""
    complete = [m for m in matches(path) if m.complete]
    return complete[0].adapter if complete else None


def closest(path: Path, n: int = 3) -> list[Match]:
    """The adapters that match part of ``path``'s sample, best first (at most ``n``)."""
    return [m for m in matches(path) if m.found][:n]


def matches(path: Path) -> list[Match]:
    """Every registered adapter with a signature, scored on ``path``'s sample, best first."""
    fields = {f.lower() for f in sample_fields(path)}
    out = []
    for adapter in registered_adapters().values():
        scored = []
        for signature in adapter.signatures():  # an export with several shapes (OCEL: JSON or SQLite)
            found = tuple(f for f in signature if _has(fields, f))
            missing = tuple(f for f in signature if f not in found)
            scored.append(Match(adapter.name, adapter.platform, found, missing))
        if scored:
            out.append(max(scored, key=lambda m: (m.complete, m.score, len(m.found))))
    out.sort(key=lambda m: (not m.complete, -m.score, -len(m.found), m.adapter))
    return out


def _has(fields: set[str], wanted: str) -> bool:
    """Whether ``wanted`` is a field, or the tail of one, ignoring case: exports rename nothing but may
    write a header in capitals (Salesforce's Data Loader: ``CASENUMBER``)."""
    wanted = wanted.lower()
    if wanted in fields:
        return True
    tail = "." + wanted
    return any(f.endswith(tail) for f in fields)


# --- sampling --------------------------------------------------------------------------------------------
def sample_fields(path: Path) -> set[str]:
    """The fields found in the first bytes of ``path`` (a file, or the first files of a folder)."""
    if path.is_file():
        chosen = [path]
    elif path.is_dir():
        chosen = sorted(
            p
            for p in path.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )[:SAMPLE_FILES]
    else:
        return set()
    fields: set[str] = set()
    for file in chosen:
        fields |= _file_fields(file)
    return fields


def _head(file: Path) -> bytes:
    try:
        with file.open("rb") as f:
            start = f.read(2)
        if start == b"\x1f\x8b":
            with gzip.open(file, "rb") as g:
                return g.read(SAMPLE_BYTES)
        with file.open("rb") as f:
            return f.read(SAMPLE_BYTES)
    except (OSError, EOFError, zlib.error):
        return b""


def _file_fields(file: Path) -> set[str]:
    head = _head(file)
    if head.startswith(_SQLITE):
        return _sqlite_fields(file)
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if not text:
        return set()
    if text[0] in "{[":
        return _json_fields(text)
    if _STAMPED.match(text):  # a log console's export: each line a time, then the JSON record
        return _json_fields("\n".join(_STAMPED.sub("", line, count=1) for line in text.splitlines()))
    return _header_fields(text, file)


#: A line that starts with an ISO 8601 time and then a JSON object (CloudWatch's console export).
_STAMPED = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?[ \t]+(?=\{)"
)


def _json_fields(text: str) -> set[str]:
    values: list[Any] = []
    for value, _ in json_values(text):
        if value is None and not values:  # one value larger than the sample: close it where it was cut
            repaired = _close_truncated(text)
            values = [] if repaired is None else [repaired]
            break
        if value is not None:
            values.append(value)
        if len(values) >= SAMPLE_RECORDS:
            break
    fields: set[str] = set()
    for value in values:
        _walk(value, "", fields, depth=0)
    return fields


def _walk(value: Any, prefix: str, fields: set[str], *, depth: int) -> None:
    if depth > 12:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            fields.add(path)
            _walk(item, path, fields, depth=depth + 1)
    elif isinstance(value, list):
        for item in value[:_LIST_ITEMS]:
            _walk(item, prefix, fields, depth=depth + 1)
    elif isinstance(value, str) and value[:1] == "{" and value[-1:] == "}":
        try:  # a JSON object carried as text (a CloudWatch message, Twilio's task attributes)
            inner = json.loads(value)
        except ValueError:
            return
        _walk(inner, prefix, fields, depth=depth + 1)


def _close_truncated(text: str) -> Any:
    """``text`` cut before its last top-level-or-deeper comma and closed with the brackets still open: a
    valid JSON prefix of a value too large for the sample (None when there is no such cut)."""
    stack: list[str] = []
    in_string = escaped = False
    cut: tuple[int, str] | None = None
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]":
            if stack:
                stack.pop()
        elif ch == "," and stack:
            cut = (i, "".join(reversed(stack)))
    if cut is None:
        return None
    try:
        return json.loads(text[: cut[0]] + cut[1])
    except ValueError:
        return None


def _header_fields(text: str, file: Path) -> set[str]:
    first = text.splitlines()[0] if text.splitlines() else ""
    try:
        dialect: Any = csv.Sniffer().sniff(first, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    header = next(csv.reader([first], dialect), [])
    stem = file.name.lower().removesuffix(".gz").rsplit(".", 1)[0]
    return {h.strip() for h in header if h.strip()} | {f"file:{stem}"}


def _sqlite_fields(file: Path) -> set[str]:
    """An SQLite file's tables and columns; a gzipped one (``log.sqlite.gz``) from a decompressed copy,
    as its reader reads it."""
    with file.open("rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    if gzipped:
        with tempfile.TemporaryDirectory(prefix="cxray-") as tmp:
            copy = Path(tmp) / "sample.sqlite"
            try:
                with gzip.open(file, "rb") as src, copy.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
            except (OSError, EOFError, zlib.error):
                return set()
            return _sqlite_fields(copy)
    fields: set[str] = set()
    try:
        con = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return fields
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for name in names:
            fields.add(f"table:{name}")
            quoted = '"' + name.replace('"', '""') + '"'
            fields.update(f"{name}.{r[1]}" for r in con.execute(f"PRAGMA table_info({quoted})"))
    except sqlite3.Error:
        pass
    finally:
        con.close()
    return fields


def describe_closest(found: Iterable[Match]) -> str:
    """``"closest: a (3 of 4 fields; lacks x), b (...)"`` or a sentence saying none came close."""
    listed = [m.describe() for m in found]
    if not listed:
        return "it matches no platform export cxray knows (see `cxray mappings`)"
    return "closest platform exports: " + "; ".join(listed)
