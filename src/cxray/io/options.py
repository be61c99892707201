"""What the readers are told (``ReadOptions``) and what they report back (``InputSummary``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from typing_extensions import TypedDict

from ..errors import ConfigError
from .mapping import Mapping


class _MappingField:
    """``ReadOptions.mapping``: set from a Mapping, a built-in name or a YAML path; read as a Mapping.

    A descriptor rather than a ``Mapping | str`` field so that everything reading ``options.mapping``
    gets a resolved :class:`Mapping` (or None), while the constructor, and mypy, accept a name.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self._attr = f"_{name}"

    @overload
    def __get__(self, obj: None, owner: Any) -> None: ...
    @overload
    def __get__(self, obj: object, owner: Any) -> Mapping | None: ...
    def __get__(self, obj: object | None, owner: Any) -> Mapping | None:
        # on the class (obj None) this is the field's default
        return None if obj is None else getattr(obj, self._attr)

    def __set__(self, obj: object, value: Mapping | str | Path | None) -> None:
        if isinstance(value, str | Path):
            value = Mapping.resolve(value)  # a ConfigError naming the built-ins when neither
        elif value is not None and not isinstance(value, Mapping):
            raise ConfigError(f"mapping must be a Mapping, a built-in name or a YAML path, got {value!r}")
        object.__setattr__(obj, self._attr, value)  # the options are frozen


@dataclass(frozen=True, kw_only=True)
class ReadOptions:
    """How to read event files.

    Attributes
    ----------
    mapping:
        Source columns -> canonical columns: a :class:`Mapping`, a built-in mapping's name
        (``"helpdesk"``) or a mapping YAML file's path. None: canonical names are matched
        case-insensitively and XES keys (``case:concept:name``, ``concept:name``, ``time:timestamp``,
        ``org:resource``, ``org:group``) automatically.
    tz:
        Time zone of timestamps without an offset (a mapping's own ``tz`` applies when this is UTC).
    dayfirst:
        Read slash/dash dates day first (``9-9-2011 9:23`` is 9 September); otherwise month first.
    time_format:
        An explicit strptime format (or ``epoch``, ``epoch_ms``, ``epoch_us``: numbers since 1970 UTC; or
        ``excel``: Excel serial date-times, local time), tried before everything else.
    delimiter, encoding:
        Override CSV sniffing.
    sheet:
        The sheet of events in a spreadsheet (its name, or its 1-based number), over the mapping's
        ``sheet``; needed when a workbook has several sheets with values.
    keep_duplicates:
        Keep exact duplicate rows (as pm4py, ProM and Disco do). By default they are dropped and counted.
    drop_overlap:
        Drop the events of a later file equal on every canonical column to an earlier file's, as many of a
        value as an earlier file has (overlapping exports whose other columns differ: an export time, a row
        number), counted as duplicates of its file. Off by default: told as ``overlapping_files``.
    reader_options:
        Settings of the platform adapter that reads the files (``customer_attribute: account_id``), over
        the mapping's ``reader_options``; without a mapping, of the adapter that recognises each file.
    file_mappings:
        A mapping per file, for a run over exports of different systems (a phone system's CSV and a CRM's):
        a file pattern (a path, a name or a glob such as ``calls-*.csv``) -> a mapping as ``mapping`` takes
        it. A file is read with the first pattern that matches its path or its name, else with ``mapping``;
        a pattern that matches no file of the run is an error.
    phone_region:
        The country (``GB``, ``US``...) of customer ids that are phone numbers written without their
        country code: each valid number is written in E.164 (``+447911123456``), so that two systems
        writing one customer's number differently join (``io.phones``). Over the mapping's
        ``phone_region``; a file of other ids (emails, account numbers) keeps them as written.
    file_tz:
        A time zone per file, for a run over systems that write their clocks differently (a phone
        system's UTC beside a CRM's local time): a file pattern (as in ``file_mappings``) -> the zone of
        that file's timestamps without an offset, over ``tz`` and any mapping's ``tz``. A pattern that
        matches no file of the run is an error.
    """

    mapping: _MappingField = _MappingField()
    tz: str = "UTC"
    dayfirst: bool = False
    time_format: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    keep_duplicates: bool = False
    drop_overlap: bool = False
    reader_options: dict[str, str] = field(default_factory=dict)
    file_mappings: dict[str, Mapping] = field(default_factory=dict)
    phone_region: str | None = None
    file_tz: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_tz(self.tz)
        if self.phone_region is not None:
            from .phones import check_region

            object.__setattr__(self, "phone_region", check_region(self.phone_region))
        if not isinstance(self.file_mappings, dict):
            raise ConfigError(f"file_mappings must map file patterns to mappings, got {self.file_mappings!r}")
        resolved = {str(k): _resolved(str(k), v) for k, v in self.file_mappings.items()}
        object.__setattr__(self, "file_mappings", resolved)  # the options are frozen
        if not isinstance(self.file_tz, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.file_tz.items()
        ):
            raise ConfigError(f"file_tz must map file patterns to time zones, got {self.file_tz!r}")
        for zone in self.file_tz.values():
            _check_tz(zone)
        for mapping in (self.mapping, *resolved.values()):
            if mapping is not None and mapping.tz:
                _check_tz(mapping.tz)
        if not isinstance(self.reader_options, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.reader_options.items()
        ):
            raise ConfigError(f"reader_options must map names to text, got {self.reader_options!r}")
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ConfigError(f"delimiter must be one character, got {self.delimiter!r}")

    @property
    def effective_tz(self) -> str:
        if self.tz == "UTC" and self.mapping is not None and self.mapping.tz:
            return self.mapping.tz
        return self.tz

    @property
    def effective_dayfirst(self) -> bool:
        return self.dayfirst or (self.mapping is not None and self.mapping.dayfirst)

    @property
    def effective_phone_region(self) -> str | None:
        """The phone region customer ids are read in (``io.phones``): the options', else the mapping's."""
        return self.phone_region or (self.mapping.phone_region if self.mapping is not None else None)

    @property
    def time_formats(self) -> tuple[str, ...]:
        own = (self.time_format,) if self.time_format else ()
        return own + (self.mapping.time_formats if self.mapping is not None else ())

    def per_file(self, paths: list[str] | list[Path] | list[str | Path]) -> list[ReadOptions]:
        """The options each of ``paths`` is read with (:meth:`for_file`); a ConfigError when a pattern of
        ``file_mappings`` or ``file_tz`` matches none of them (a typo would read that file with the wrong
        mapping or clock)."""
        _check_patterns(list(self.file_mappings), paths, "file mapping")
        _check_patterns(list(self.file_tz), paths, "file time zone")
        return [self.for_file(p) for p in paths]

    def for_file(self, path: str | Path) -> ReadOptions:
        """These options as one file is read: its ``file_mappings`` entry's mapping, if a pattern matches
        it, in place of ``mapping``; its ``file_tz`` entry's zone, if one matches, as its zone."""
        pattern = self._pattern(path)
        out = (
            self if pattern is None else replace(self, mapping=self.file_mappings[pattern], file_mappings={})
        )
        zone = next((z for k, z in self.file_tz.items() if _matches(k, path)), None)
        if zone is None:
            return out
        mapping = out.mapping  # its own tz would win over a plain tz of UTC (effective_tz)
        return replace(
            out, tz=zone, mapping=None if mapping is None else replace(mapping, tz=zone), file_tz={}
        )

    def _pattern(self, path: str | Path) -> str | None:
        """The first pattern of ``file_mappings`` matching ``path`` (as given, or its name), or naming the
        same file."""
        return next((k for k in self.file_mappings if _matches(k, path)), None)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["mapping"] = None if self.mapping is None else self.mapping.to_dict()
        out["file_mappings"] = {k: m.to_dict() for k, m in self.file_mappings.items()}
        return out


def _check_patterns(patterns: list[str], paths: list[str] | list[Path] | list[str | Path], what: str) -> None:
    """A ConfigError for the first of ``patterns`` (tried in order) that names no file of ``paths``:
    none matches, or an earlier pattern takes all its files."""
    chosen = [next((k for k in patterns if _matches(k, p)), None) for p in paths]
    for pattern in patterns:
        if pattern in chosen:
            continue
        earlier = [c for c, p in zip(chosen, paths, strict=True) if _matches(pattern, p)]
        if earlier:
            raise ConfigError(
                f"{what} pattern {pattern!r} is never used: {earlier[0]!r}, before it, matches its "
                "files (put the narrower pattern first)"
            )
        raise ConfigError(
            f"{what} pattern {pattern!r} matches none of the files read "
            f"({', '.join(str(p) for p in paths)}); a pattern matches a file's path or its name"
        )


def _resolved(pattern: str, value: Any) -> Mapping:
    """A ``file_mappings`` value as a Mapping (a built-in name or a YAML path resolved)."""
    if isinstance(value, str | Path):
        resolved = Mapping.resolve(value)
        if resolved is not None:
            return resolved
    if isinstance(value, Mapping):
        return value
    raise ConfigError(
        f"file_mappings[{pattern!r}] must be a Mapping, a built-in name or a YAML path, got {value!r}"
    )


def _matches(pattern: str, path: str | Path) -> bool:
    """Whether a ``file_mappings`` pattern names ``path``: a glob over the path as given or its name, or
    the same file written otherwise (``./calls.csv``)."""
    text = str(path)
    if fnmatchcase(text, pattern) or fnmatchcase(Path(path).name, pattern):
        return True
    try:
        return Path(pattern).resolve() == Path(text).resolve()
    except (OSError, RuntimeError):
        return False


def _check_tz(tz: str) -> None:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone {tz!r} (use an IANA name such as Europe/Amsterdam)") from None


class FileCountsDoc(TypedDict):
    """One file's share of ``input``: :class:`FileCounts`, field for field."""

    file: str
    rows_read: int
    rows_kept: int
    rows_rejected: int
    duplicates_dropped: int
    columns: dict[str, str]
    clock: str | None
    day_order: str | None
    dates_ambiguous: bool


@dataclass(frozen=True)
class FileCounts:
    """What reading found in one file (``InputSummary.per_file``): in a run over several systems' exports,
    which one lost rows. ``rows_read == rows_kept + rows_rejected + duplicates_dropped``; a row that
    duplicates a row of an earlier file counts as a duplicate of its own file. ``columns``: where each
    canonical column the file fills was read from (``io.plan.column_sources``: a source column, columns
    joined, a constant, a wide layout's events; empty for a platform adapter's export), so that a reader
    sees which column was taken for the contact, the customer and the outcome. ``clock``: what its
    timestamps were read in (``offset`` when they carry their own UTC offset, ``UTC`` for numbers since
    1970, else the zone of naive times; None when not known), the first thing to compare when two
    systems' journeys cross in the wrong order. ``day_order``: ``day first`` or ``month first``, how its
    numeric dates (``05/03/2024``) were read; None when its times are none (ISO, typed, numbers) or an
    explicit format read them. ``dates_ambiguous``: every such date reads either way and their spread
    does not say which (``io.day_order``), so the order is the one asked (``--dayfirst``, else month
    first)."""

    file: str
    rows_read: int
    rows_kept: int
    rows_rejected: int
    duplicates_dropped: int
    columns: dict[str, str] = field(default_factory=dict)
    clock: str | None = None
    day_order: str | None = None
    dates_ambiguous: bool = False


class InputSummaryDoc(TypedDict):
    """``input`` in ``diagnosis.json``: :class:`InputSummary`, field for field."""

    files: list[str]
    rows_read: int
    rows_kept: int
    rows_rejected: int
    rejected_by_reason: dict[str, int]
    duplicates_dropped: int
    fields_present: list[str]
    attributes: list[str]
    time_start: str | None
    time_end: str | None
    records_read: int
    missing_markers: dict[str, int]
    encoding_repairs: int
    nul_bytes_stripped: int
    adapters: dict[str, str]
    detected: list[str]
    records_left_out: dict[str, int]
    per_file: list[FileCountsDoc]
    likely_columns: dict[str, str]
    phone_ids: dict[str, int]


@dataclass(frozen=True)
class InputSummary:
    """What reading found. Always ``rows_read == rows_kept + rows_rejected + duplicates_dropped``.

    ``rows_read`` counts candidate events: source records, or for a wide layout the events its records
    yield (``records_read`` counts the records themselves). ``missing_markers`` counts, per source
    column, the values read as missing because they were a marker (``EMPTY``, ``N/A``, ``?``...; see
    ``schema.MISSING_MARKERS``), not the values that were empty already; only columns with any, sorted.
    ``encoding_repairs`` counts the bytes (sequences) of delimited files that did not decode and were
    replaced by U+FFFD, ``nul_bytes_stripped`` the NUL bytes removed from them (docs/data-contract.md).
    ``adapters`` names the platform adapter that read each file or folder read by one (docs/adapters.md),
    ``detected`` those of them whose adapter was recognised from their fields (no ``--mapping``).
    ``records_left_out`` counts, by why, what a reader read that is no customer's contact and gives no
    event nor rejected row: a platform's deleted or sample records (``deleted_ticket``, ``sample_ticket``...:
    in ``records_read``), a report's title lines above its header (``title_lines``) or its header again
    inside it (``repeated_headers``), the rows a mapping's ``keep_rows`` / ``drop_rows`` leave out
    (``keep_rows``, ``drop_rows``: in ``records_read``).
    ``per_file``: the row counts of each file, in the order read (one entry per distinct file).
    ``likely_columns``: source columns read as attributes whose names say they hold an optional canonical
    column no mapping filled (``Disposition`` -> ``outcome``; ``io.plan.likely_columns``): a hint.
    ``phone_ids``: with a phone region, the distinct customer ids written in E.164 (``rewritten``) and
    those that looked like numbers but are not valid ones there (``not_valid``, kept); else empty.
    """

    files: list[str]
    rows_read: int
    rows_kept: int
    rows_rejected: int
    rejected_by_reason: dict[str, int]
    duplicates_dropped: int
    fields_present: list[str]
    attributes: list[str]
    time_start: str | None
    time_end: str | None
    records_read: int = 0
    missing_markers: dict[str, int] = field(default_factory=dict)
    encoding_repairs: int = 0
    nul_bytes_stripped: int = 0
    adapters: dict[str, str] = field(default_factory=dict)
    detected: list[str] = field(default_factory=list)
    records_left_out: dict[str, int] = field(default_factory=dict)
    per_file: list[FileCounts] = field(default_factory=list)
    likely_columns: dict[str, str] = field(default_factory=dict)
    phone_ids: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> InputSummaryDoc:
        return InputSummaryDoc(**asdict(self))  # type: ignore[typeddict-item]  # the same fields
