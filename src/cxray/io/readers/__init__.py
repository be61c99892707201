"""One reader per format. Each exposes the file to SQL as a view of its source columns plus ``__cx_row``.

Formats are registered by name and file suffix (``register_reader``); the built-ins (csv, parquet, jsonl,
xes) are registered by the same call a user's own format would make, and ``open_source`` picks the reader
from the file name. See ``docs/data-contract.md`` (Readers).

The raw shape is the same for every format: the file's own columns, untouched (strings for text
formats, typed for Parquet/XES), and ``ROW``, the 1-based record number. Mapping, parsing, rejection
and de-duplication happen once, in SQL, in ``canonical.py``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa

from ...engine import Engine, arrow_from_numpy
from ...errors import ConfigError, InputError
from ..options import ReadOptions

ROW = "__cx_row"
#: An optional view column: per row, the source columns in which the reader met a missing-value marker
#: while cleaning them itself (``RawSource.clean``), NULL when none; the canonical step counts them with
#: its own, per record. A reader that builds its rows in SQL lists them there instead of counting them in
#: another pass (``RawSource.markers`` holds counts a reader made itself).
MARKED = "__cx_marked"
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
    #: Source records, when a view row is not one (a platform adapter flattens a record into events).
    records: int | None = None
    #: Candidate events the reader dropped as duplicates itself (an adapter's older deliveries).
    duplicates: int = 0
    #: Records read that are no customer's contact and give no event, by why (``deleted_ticket``...): no
    #: rejected row, not silent either (``InputSummary.records_left_out``).
    left_out: dict[str, int] = field(default_factory=dict)
    #: Engine tables behind the view, dropped with it (a reader that builds its rows in DuckDB).
    owned: list[str] = field(default_factory=list)
    #: Whether the view is cheap to read twice (a file scanned straight, rows in memory): the canonical
    #: step then learns its categories by one more scan before staging (``canonical.scan_categories``).
    #: An adapter's view that flattens records in SQL is not: it is encoded after staging instead, unless
    #: it names ``values``.
    rescan: bool = True
    #: A view with the view's columns whose rows hold every value its text columns of few values take
    #: (other columns NULL), far cheaper to read than the view (an adapter's per-record values, cleaned
    #: once per value): the categories are learnt from it. Dropped with the view.
    values: str | None = None
    #: Columns the reader has cleaned as the canonical step would (``io.missing``), once per source record
    #: rather than once per event: text columns trimmed, blanks and markers NULL but the words kept (the
    #: mapping's values for the canonical column of the same name)...
    clean: dict[str, frozenset[str]] = field(default_factory=dict)
    #: ...attribute columns left untrimmed, blanks and markers NULL; and the markers met, per column, in
    #: how many records.
    clean_attributes: frozenset[str] = frozenset()
    markers: dict[str, int] = field(default_factory=dict)
    #: The clock of the source's times when the reader knows it (``FileCounts.clock``; a platform whose
    #: field reference gives every time in UTC with its offset): not asked of the view's first rows then.
    clock: str | None = None


#: ``read(path, engine, view, options) -> RawSource``: what a format registers.
ReadFn = Callable[[Path, Engine, str, ReadOptions], RawSource]


@dataclass(frozen=True)
class Reader:
    """A registered file format: its name, the file suffixes it claims, and the function that reads it.

    ``read(path, engine, view, options)`` exposes the file as the SQL view ``view`` of its source columns
    plus ``ROW`` (``register_arrow`` does that for an Arrow table) and returns its ``RawSource``; a file it
    cannot read is an ``InputError`` naming ``path``.
    """

    format: str
    suffixes: tuple[str, ...]  # lower case, without the dot
    read: ReadFn


_READERS: dict[str, Reader] = {}


def register_reader(format_name: str, suffixes: Iterable[str], read_fn: ReadFn) -> Reader:
    """Register ``read_fn`` as the reader of ``format_name`` for files named ``*.<suffix>`` (or
    ``*.<suffix>.gz``: a trailing ``.gz`` is ignored when choosing, the reader decompresses).

    The built-in formats are registered by this same call. Registering a format again replaces it; a suffix
    already claimed by another format is a ConfigError.

    >>> from cxray.io.readers import register_reader, registered_readers, unregister_reader
    >>> def read_mine(path, engine, view, options): ...
    >>> register_reader("mine", [".mine"], read_mine).suffixes
    ('mine',)
    >>> "mine" in registered_readers()
    True
    >>> unregister_reader("mine")
    """
    name = format_name.strip()
    if isinstance(suffixes, str):  # one suffix, not its characters
        suffixes = (suffixes,)
    claimed = tuple(dict.fromkeys(s.strip().lower().removeprefix(".") for s in suffixes))
    if not name or not claimed or not all(claimed):
        raise ConfigError(f"reader {format_name!r}: needs a format name and at least one non-empty suffix")
    if not callable(read_fn):
        raise ConfigError(f"reader {name}: {read_fn!r} is not callable")
    for other in _READERS.values():
        taken = set(claimed) & set(other.suffixes)
        if other.format != name and taken:
            raise ConfigError(f"reader {name}: suffix .{min(taken)} is already read as {other.format}")
    reader = Reader(format=name, suffixes=claimed, read=read_fn)
    _READERS[name] = reader
    return reader


def unregister_reader(format_name: str) -> None:
    """Remove a registered format (tests; or to refuse a built-in format for good)."""
    _READERS.pop(format_name, None)


def registered_readers() -> dict[str, Reader]:
    """The registered readers by format name, in registration order (the built-ins first)."""
    return dict(_READERS)


def _known_formats() -> str:
    return "; ".join(f"{r.format} ({', '.join('.' + s for s in r.suffixes)})" for r in _READERS.values())


def file_format(path: Path) -> str:
    """The registered format reading ``path``, from its file name (a trailing ``.gz`` ignored)."""
    name = path.name.lower().removesuffix(".gz")
    suffix = name.rsplit(".", 1)[-1] if "." in name else ""
    for reader in _READERS.values():
        if suffix in reader.suffixes:
            return reader.format
    shown = (
        ("." + suffix if suffix else "(no suffix)") + _SPREADSHEETS.get(suffix, "") + _OCEL.get(suffix, "")
    )
    raise InputError(f"unknown file type {shown}; known formats: {_known_formats()}", path=path)


#: An object-centric log's own suffixes: its adapter says what it reads (OCEL 2.0 JSON or SQLite) and how
#: to convert the rest, once named.
_OCEL: Final = dict.fromkeys(
    ("jsonocel", "xmlocel", "sqliteocel"),
    " (an OCEL log: read it with --mapping ocel2 and --reader-option contact_type=TYPE)",
)
#: What to do with a spreadsheet, the export a CRM report most often gives: save the sheet as CSV (a
#: reader of its own would guess at merged cells, formulas and Excel's date numbers).
_SPREADSHEETS: Final = {
    "numbers": " (an Apple Numbers file: export the sheet of events as .xlsx or CSV UTF-8, and read that)",
    "ods": " (an OpenDocument sheet: its time and duration cells do not read reliably; save it as .xlsx or "
    "CSV UTF-8, and read that)",
}


def open_source(
    path: Path, engine: Engine, view: str, options: ReadOptions, *, reader: str | None = None
) -> RawSource:
    """Expose ``path`` as ``view``; a missing, empty or unreadable file is an InputError naming it.

    ``reader`` (an event mapping's ``reader``: a platform adapter such as ``amazon-connect-ctr``, or a
    registered format) chooses the reader instead of the file name; an adapter may also read a folder.
    """
    chosen = reader
    if chosen:
        if chosen in _ADAPTERS:
            if not path.exists():
                raise InputError("file or folder not found", path=path)
            return _ADAPTERS[chosen].read(path, engine, view, options)
        if chosen not in _READERS:
            known = ", ".join([*_READERS, *_ADAPTERS])
            raise ConfigError(f"mapping reader {chosen!r} is not a known reader; known: {known}")
    if not path.is_file():
        raise InputError("file not found", path=path)
    if path.stat().st_size == 0:
        raise InputError("file is empty", path=path)
    return _READERS[chosen or file_format(path)].read(path, engine, view, options)


def register_arrow(
    engine: Engine, view: str, table: pa.Table, path: Path, *, rows: np.ndarray | None = None
) -> RawSource:
    """Register an Arrow table of source columns, numbering its rows 1..n as ``ROW`` (or by ``rows``, their
    record numbers in the file when some records are not in the table: CSV lines that did not split)."""
    if any(c.lower() == ROW for c in table.column_names):  # a source column, not ours: keep it, renamed
        table = table.rename_columns([source_name(c) if c.lower() == ROW else c for c in table.column_names])
    numbers = np.arange(1, table.num_rows + 1, dtype=np.int64) if rows is None else rows.astype(np.int64)
    table = table.append_column(ROW, arrow_from_numpy(numbers, pa.int64()))
    engine.register(view, table)
    return RawSource(path=str(path), view=view, tables=[table])


def _builtin(module: str) -> ReadFn:
    """The ``load`` of the built-in reader module ``module``, imported when a file of its format is first
    read: a format's dependencies (rustxes for XES) cost nothing until then, and the modules, which import
    this package, are never imported while it is half-initialised."""

    def read(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
        load: ReadFn = importlib.import_module(f"{__name__}.{module}").load
        return load(path, engine, view, options)

    read.__qualname__ = f"{module}.load"
    return read


@dataclass(frozen=True)
class Adapter:
    """A platform adapter: a reader of one vendor's export, chosen by name (``--mapping NAME`` or a mapping's
    ``reader:``) or recognised by its fields (``detect.py``), never by suffix: platform exports are .json,
    .gz or nameless objects, and an adapter may read a folder.

    ``signatures()`` gives, per shape of the export, the field paths whose presence together identifies it
    (a JSON key path with arrays passed through, ``participants.purpose``; a CSV column; ``file:<stem>`` for
    a file of a folder; ``table:<name>`` for an SQLite table); none means never detected, only named.
    """

    name: str
    platform: str
    read: ReadFn
    signatures: Callable[[], tuple[tuple[str, ...], ...]]


_ADAPTERS: dict[str, Adapter] = {}
Signatures = Iterable[Iterable[str]]


def register_adapter(
    name: str,
    read_fn: ReadFn,
    *,
    platform: str,
    signatures: Signatures | Callable[[], Signatures] = (),
) -> Adapter:
    """Register ``read_fn`` as the platform adapter ``name`` (built-ins use this same call).

    ``signatures``: for each shape of the export, the fields that together identify it for
    auto-detection (or a function giving them, so a built-in's module is imported only when detection
    needs it).

    >>> from cxray.io.readers import register_adapter, adapters, unregister_adapter
    >>> def read_mine(path, engine, view, options): ...
    >>> register_adapter("mine", read_mine, platform="Mine", signatures=[("mine_id", "mine_time")]).platform
    'Mine'
    >>> "mine" in adapters()
    True
    >>> unregister_adapter("mine")
    """
    key = name.strip()
    if not key or not callable(read_fn):
        raise ConfigError(f"adapter {name!r}: needs a name and a callable reader")
    if key in _READERS:
        raise ConfigError(f"adapter {key}: the name is a file format's")

    def get() -> tuple[tuple[str, ...], ...]:
        given = signatures() if callable(signatures) else signatures
        return tuple(tuple(s) for s in given)

    adapter = Adapter(name=key, platform=platform, read=read_fn, signatures=get)
    _ADAPTERS[key] = adapter
    return adapter


def unregister_adapter(name: str) -> None:
    """Remove a registered adapter (tests)."""
    _ADAPTERS.pop(name, None)


def adapters() -> list[str]:
    """Names of the platform adapters a mapping's ``reader:`` can choose (docs/adapters.md)."""
    return list(_ADAPTERS)


def registered_adapters() -> dict[str, Adapter]:
    """The registered adapters by name, the built-ins first."""
    return dict(_ADAPTERS)


def _builtin_signatures(module: str) -> Callable[[], Signatures]:
    """A built-in module's ``SIGNATURE`` and any ``SIGNATURES`` more (other shapes of its export)."""

    def signatures() -> Signatures:
        loaded = importlib.import_module(f"{__name__}.{module}")
        return (loaded.SIGNATURE, *getattr(loaded, "MORE_SIGNATURES", ()))

    return signatures


def _builtin_adapter(name: str, module: str, platform: str) -> None:
    register_adapter(name, _builtin(module), platform=platform, signatures=_builtin_signatures(module))


# The built-in formats, registered exactly as a user's own would be.
register_reader("csv", ("csv", "tsv", "txt", "tab"), _builtin("delimited"))
register_reader("parquet", ("parquet", "pq"), _builtin("parquet"))
register_reader("jsonl", ("jsonl", "ndjson", "json"), _builtin("jsonl"))
register_reader("xes", ("xes",), _builtin("xes"))
register_reader("spreadsheet", ("xlsx", "xlsm", "xls"), _builtin("spreadsheet"))

# The built-in platform adapters (docs/adapters.md), registered exactly as a user's own would be.
_builtin_adapter("amazon-connect-ctr", "amazon_connect", "Amazon Connect contact records")
_builtin_adapter("amazon-lex-v2", "amazon_lex", "Amazon Lex V2 conversation logs")
_builtin_adapter("genesys-cloud", "genesys_cloud", "Genesys Cloud analytics conversation details")
_builtin_adapter("zendesk", "zendesk", "Zendesk tickets and ticket audits")
_builtin_adapter("salesforce-service-cloud", "salesforce", "Salesforce Service Cloud CSV exports")
_builtin_adapter("twilio-taskrouter", "twilio_taskrouter", "Twilio TaskRouter / Flex events")
_builtin_adapter("ocel2", "ocel", "OCEL 2.0 object-centric event logs (JSON or SQLite)")
