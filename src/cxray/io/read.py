"""``read_events``: files in, the canonical ``events`` table (and ``rejected``) out, with a summary."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from .. import schema as S
from ..engine import Engine
from ..errors import ConfigError, InputError
from ..ordered import forget_events
from ..sql import ident
from . import day_order
from .canonical import (
    COLUMN,
    FILE,
    REASON,
    REJECTED,
    STAGE,
    VALUE,
    branch_sql,
    count_markers,
    encode_categories,
    file_clock,
    file_enum,
    finish_events,
    row_tests,
    source_categories,
    stage,
    time_format,
)
from .detect import closest, describe_closest, detect
from .mapping import Mapping
from .options import FileCounts, InputSummary, ReadOptions
from .phones import normalise_phones
from .plan import FilePlan, plan_file
from .readers import RawSource, file_format, open_source, register_arrow, registered_adapters
from .rejected import build_rejected

_DEFAULT = ReadOptions()
#: A value that reads as a number of seconds, milliseconds or microseconds since 1970 (9 to 16 digits).
_EPOCH_LIKE = re.compile(r"\d{9,16}(\.\d*)?")
#: An Excel serial date-time of 1927-05-18 to 2173-10-13 (a date-time cell formatted "General", saved as CSV).
_EXCEL_LIKE = re.compile(r"\d{5}([.,]\d*)?")
_HINTS = {
    "bad_timestamp": " (try --dayfirst, --tz or --time-format)",
    "missing_contact_id": " (is the right column mapped? see --map)",
}


def read_events(
    paths: Sequence[str | Path], engine: Engine, *, options: ReadOptions = _DEFAULT
) -> InputSummary:
    """Read event files, in the given order, into the canonical ``events`` table of ``engine``.

    Rows that cannot be used go to the ``rejected`` table (see :func:`write_rejected`), exact duplicates
    are dropped; ``rows_read == rows_kept + rows_rejected + duplicates_dropped`` always. A file that
    cannot be used at all raises :class:`~cxray.errors.InputError` naming it.

    >>> from cxray.engine import Engine                                 # doctest: +SKIP
    >>> s = read_events(["calls.csv", "chats.csv"], Engine())            # doctest: +SKIP
    >>> s.rows_read == s.rows_kept + s.rows_rejected + s.duplicates_dropped  # doctest: +SKIP
    True
    """
    if not paths:
        raise InputError("no event files given")
    sources = []
    per_file = options.per_file(list(paths))  # each file's mapping (``ReadOptions.file_mappings``)
    adapters: dict[str, str] = {}
    detected: list[str] = []
    try:
        for i, (p, own) in enumerate(zip(paths, per_file, strict=True)):
            path = Path(p)
            chosen = own.mapping.reader if own.mapping is not None else None  # a platform adapter's
            if own.mapping is None:  # no mapping: a platform export is recognised by its fields
                chosen = _recognise(path)
                if chosen is not None:
                    detected.append(str(path))
            if chosen in registered_adapters():
                adapters[str(path)] = chosen
            per_file[i] = _adapter_options(path, own, chosen, chosen in registered_adapters())
            sources.append(open_source(path, engine, f"_cx_raw_{i}", per_file[i], reader=chosen))
        summary = _canonicalise(sources, engine, options, per_file)
        return dataclasses.replace(summary, adapters=adapters, detected=detected)
    finally:
        _release(engine, sources)


def _adapter_options(path: Path, options: ReadOptions, reader: str | None, adapter: bool) -> ReadOptions:
    """The options a file is opened with: ``reader_options`` given apart (``--reader-option``) go over
    its mapping's, or make one naming the adapter that recognised it; a file no adapter reads takes none."""
    if not options.reader_options:
        return options
    if not adapter:
        raise ConfigError(
            f"reader options ({', '.join(sorted(options.reader_options))}) apply to a platform export, and "
            f"{path} is read as {reader or file_format(path)}"
        )
    mapping = options.mapping or Mapping(reader=reader)
    merged = {**mapping.reader_options, **options.reader_options}
    return dataclasses.replace(options, mapping=dataclasses.replace(mapping, reader_options=merged))


def _recognise(path: Path) -> str | None:
    """The platform adapter ``path``'s fields identify; None for a file that is read by its suffix. A
    folder, or a file of no known suffix, that matches no adapter is an InputError naming the closest."""
    found = detect(path)
    if found is not None:
        return found
    if path.is_dir():
        raise InputError(
            "a folder is read by a platform adapter, and none recognises its files; "
            f"{describe_closest(closest(path))} (or name one with --mapping)",
            path=path,
        )
    if path.is_file():
        try:
            file_format(path)
        except InputError as exc:
            raise InputError(f"{exc.message}; {describe_closest(closest(path))}", path=path) from None
    return None


def read_table(table: pa.Table, engine: Engine, *, options: ReadOptions = _DEFAULT) -> InputSummary:
    """Like :func:`read_events` for an Arrow table already in memory (e.g. the simulator's events).

    Its ``source_row``/``source_file`` columns, if any, are replaced: rows are numbered in table order.
    """
    dropped = [c for c in table.column_names if c in S.INTERNAL]
    source = register_arrow(engine, "_cx_raw_0", table.drop_columns(dropped), Path("<table>"))
    source.path = "<table>"
    try:
        return _canonicalise([source], engine, options, [options])
    finally:
        _release(engine, [source])


def _canonicalise(
    sources: list[RawSource], engine: Engine, options: ReadOptions, per_file: list[ReadOptions]
) -> InputSummary:
    """Stage ``sources``, each read with its own options (``per_file``: its mapping), into ``events``;
    ``options``: the run's (``keep_duplicates``)."""
    forget_events(engine)  # a run before may have left ``events`` a view (``ordered.fold_events``)
    plans = [
        plan_file(i, s, engine, o.mapping) for i, (s, o) in enumerate(zip(sources, per_file, strict=True))
    ]
    for plan, own in zip(plans, per_file, strict=True):
        _count_rows_left_out(engine, plan, own.mapping)
        plan.clock = file_clock(engine, plan, own)
        plan.time_format = time_format(engine, plan, own)
        plan.day_order = day_order.numeric_dates(plan, own)
    attributes: list[str] = []
    for plan in plans:
        seen = {a.lower() for a in attributes}
        attributes += [a for a in plan.attributes.values() if a.lower() not in seen]
    files = file_enum([p.source.path for p in plans])
    branches = [
        branch_sql(p, o.mapping, o, attributes, file_type=files) for p, o in zip(plans, per_file, strict=True)
    ]
    # staged as ENUMs when the sources can be read twice, else rewritten as ENUMs once staged
    categories = None
    if all(p.source.rescan or p.source.values for p in plans):
        categories = source_categories(engine, plans, per_file, attributes)
    stage(engine, branches, categories)
    try:
        rows = engine.rows(
            f"SELECT {FILE}, count(*) AS n, count({REASON}) AS rejected FROM {STAGE} GROUP BY ALL"
        )
        counted = {r[FILE]: r for r in rows}
        for plan in plans:
            _check_usable(engine, plan, counted.get(plan.index))
        if any(r["rejected"] for r in rows):
            day_order.check_rejected(engine, plans, per_file)
        day_order.check_staged(engine, plans)
        build_rejected(engine, plans, {i for i, r in counted.items() if r["rejected"]})
        regions = {
            p.index: r for p, o in zip(plans, per_file, strict=True) if (r := o.effective_phone_region)
        }
        phones = None  # customer ids written in E.164 where a file has a phone region (io.phones)
        if regions:
            phones = normalise_phones(engine, STAGE, regions, file=FILE, kept=f"{REASON} IS NULL")
        markers = count_markers(engine)
        for source in sources:  # those a reader counted itself, cleaning its own columns
            for column, n in source.markers.items():
                markers[column] = markers.get(column, 0) + n
        duplicates = finish_events(
            engine, attributes, keep_duplicates=options.keep_duplicates, drop_overlap=options.drop_overlap
        )
        if categories is None:
            encode_categories(engine)
    except BaseException:
        engine.execute(f"DROP TABLE IF EXISTS {STAGE}")  # never leave a half-built events table
        raise
    staged = sum(int(r["n"]) for r in rows)
    staged_rejected = sum(int(r["rejected"]) for r in rows)
    records = sum(
        p.source.records
        if p.source.records is not None
        else int(engine.scalar(f"SELECT count(*) FROM {ident(p.source.view)}"))
        for p in plans
    )
    by_file = [
        (
            s.path,
            int(counted[p.index]["n"]) + len(s.malformed) + s.duplicates,
            int(counted[p.index]["rejected"]) + len(s.malformed),
        )
        for s, p in zip(sources, plans, strict=True)
    ]
    summary = _summary(
        engine, sources, attributes, staged, staged_rejected, duplicates, records, markers, by_file
    )
    return dataclasses.replace(
        with_sources(summary, plans),
        likely_columns=likely_in(plans),
        phone_ids={} if phones is None else {"rewritten": phones.rewritten, "not_valid": phones.not_valid},
    )


def with_sources(summary: InputSummary, plans: list[FilePlan]) -> InputSummary:
    """``summary`` with each file's column sources, clock and day order (``FilePlan.sources``, ``clock``,
    ``day_order``) in its ``per_file`` entry (the first plan of a file given twice). Shared with the Spark
    engine."""
    by_file: dict[str, FilePlan] = {}
    for plan in plans:
        by_file.setdefault(plan.source.path, plan)
    per_file = [
        dataclasses.replace(
            f,
            columns=dict(own.sources),
            clock=own.clock,
            day_order=own.day_order.order if own.day_order else None,
            dates_ambiguous=bool(own.day_order and own.day_order.ambiguous),
        )
        if (own := by_file.get(f.file)) is not None
        else f
        for f in summary.per_file
    ]
    return dataclasses.replace(summary, per_file=per_file)


def likely_in(plans: list[FilePlan]) -> dict[str, str]:
    """The files' ``likely`` columns (``io.plan.likely_columns``), the first file's hint for a column named
    in several, sorted by column. Shared with the Spark engine."""
    out: dict[str, str] = {}
    for plan in plans:
        for column, canonical in plan.likely.items():
            out.setdefault(column, canonical)
    return dict(sorted(out.items()))


def _count_rows_left_out(engine: Engine, plan: FilePlan, mapping: Mapping | None) -> None:
    """Count the rows of a file its mapping's ``keep_rows`` / ``drop_rows`` leave out into its source's
    ``left_out`` (by the first that leaves a row out): read, shown in the summary, neither events nor
    rejected rows."""
    keep, drop = row_tests(plan, mapping)
    if keep is None and drop is None:
        return
    kept = keep or "true"
    row = engine.rows(
        f"SELECT count(*) FILTER (WHERE NOT {kept}) AS keep_rows, "
        f"count(*) FILTER (WHERE {kept} AND NOT {drop or 'true'}) AS drop_rows FROM {ident(plan.source.view)}"
    )[0]
    counted = {why: int(n) for why, n in row.items() if n}
    plan.source.left_out = dict(sorted({**plan.source.left_out, **counted}.items()))


def _check_usable(engine: Engine, plan: FilePlan, counts: dict | None) -> None:
    path = plan.source.path
    if counts is None or counts["n"] == 0:
        raise InputError("no rows to read", path=path)
    if counts["rejected"] < counts["n"]:
        return
    first = engine.rows(
        f"SELECT {REASON} AS reason, {COLUMN} AS col, {VALUE} AS value, source_row, "
        f"count(*) OVER (PARTITION BY {REASON}) AS n FROM {STAGE} WHERE {FILE} = {plan.index} "
        f"ORDER BY n DESC, source_row LIMIT 1"
    )[0]
    raise all_rejected(path, first, counts["n"])


def all_rejected(path: str, first: dict, n: int) -> InputError:
    """The error for a source whose every row was rejected; ``first`` is its most frequent reason's
    first rejected row (``reason, col, value, source_row`` and ``n``, how often the reason occurs).
    Shared with the Spark engine so both say the same."""
    shown = "" if first["value"] is None else f" (value {first['value']!r})"
    hint = _HINTS.get(first["reason"], "")
    if first["reason"] == "bad_timestamp" and _EPOCH_LIKE.fullmatch(str(first["value"] or "")):
        hint = " (a number since 1970? try --time-format epoch, epoch_ms or epoch_us)"
    elif first["reason"] == "bad_timestamp" and _EXCEL_LIKE.fullmatch(str(first["value"] or "")):
        hint = " (an Excel serial date? try --time-format excel)"
    return InputError(
        f"every row was rejected; most often {first['reason']} ({first['n']} of {n}), "
        f"first here{shown}{hint}",
        path=path,
        row=first["source_row"],
        column=first["col"],
    )


def _summary(
    engine: Engine,
    sources: list[RawSource],
    attributes: list[str],
    staged: int,
    staged_rejected: int,
    duplicates: int,
    records: int,
    markers: dict[str, int],
    per_file: list[tuple[str, int, int]],
) -> InputSummary:
    malformed = sum(len(s.malformed) for s in sources)
    older = sum(s.duplicates for s in sources)  # dropped by the reader itself (an adapter's old deliveries)
    return summarise(
        engine,
        files=[s.path for s in sources],
        attributes=attributes,
        rows_read=staged + malformed + older,
        rows_rejected=staged_rejected + malformed,
        duplicates=duplicates + older,
        records=records + malformed,
        missing_markers=markers,
        encoding_repairs=sum(s.encoding_repairs for s in sources),
        nul_bytes_stripped=sum(s.nul_bytes_stripped for s in sources),
        records_left_out=_left_out(sources),
        per_file=per_file,
    )


def _left_out(sources: list[RawSource]) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in sources:
        for why, n in s.left_out.items():
            out[why] = out.get(why, 0) + n
    return dict(sorted(out.items()))


def summarise(
    engine: Engine,
    *,
    files: list[str],
    attributes: list[str],
    rows_read: int,
    rows_rejected: int,
    duplicates: int,
    records: int,
    missing_markers: dict[str, int] | None = None,
    encoding_repairs: int = 0,
    nul_bytes_stripped: int = 0,
    records_left_out: dict[str, int] | None = None,
    per_file: list[tuple[str, int, int]] | None = None,
) -> InputSummary:
    """The input summary from the finished ``events`` and ``rejected`` tables and the counts only the
    reader knows (shared with the Spark engine, which counts on its executors); ``per_file``: each file's
    (path, rows read, rows rejected), its kept rows counted here."""
    optional = ", ".join(f"count({ident(c)}) AS {ident(c)}" for c in S.OPTIONAL)
    row = engine.rows(
        f"SELECT count(*) AS kept, min({ident(S.TIMESTAMP)}) AS t0, max({ident(S.TIMESTAMP)}) AS t1, "
        f"{optional} FROM {S.EVENTS_TABLE}"
    )[0]
    reasons = {
        r["reason"]: int(r["n"])
        for r in engine.rows(f"SELECT reason, count(*) AS n FROM {REJECTED} GROUP BY reason ORDER BY reason")
    }
    return InputSummary(
        files=files,
        rows_read=rows_read,
        rows_kept=int(row["kept"]),
        rows_rejected=rows_rejected,
        rejected_by_reason=reasons,
        duplicates_dropped=duplicates,
        fields_present=[c for c in S.OPTIONAL if row[c]],
        attributes=attributes,
        time_start=_iso(row["t0"]),
        time_end=_iso(row["t1"]),
        records_read=records,
        missing_markers=dict(sorted((missing_markers or {}).items())),
        encoding_repairs=encoding_repairs,
        nul_bytes_stripped=nul_bytes_stripped,
        records_left_out=dict(records_left_out or {}),
        per_file=_file_counts(engine, per_file or [], int(row["kept"])),
    )


def _file_counts(engine: Engine, counted: list[tuple[str, int, int]], kept: int) -> list[FileCounts]:
    """Each file's counts, its kept rows from ``events`` (one grouping, asked only of several files)."""
    merged: dict[str, list[int]] = {}
    for path, read, rejected in counted:  # a file given twice is one file
        both = merged.setdefault(path, [0, 0])
        both[0] += read
        both[1] += rejected
    if len(merged) == 1:
        by_file = dict.fromkeys(merged, kept)
    else:
        rows = engine.fetchall(
            f"SELECT CAST({S.SOURCE_FILE} AS VARCHAR), count(*) FROM {S.EVENTS_TABLE} GROUP BY ALL"
        )
        by_file = {str(f): int(n) for f, n in rows}
    out = []
    for path, (read, rejected) in merged.items():
        n = by_file.get(path, 0)
        out.append(FileCounts(path, read, n, rejected, read - rejected - n))
    return out


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat() + "Z"


def _release(engine: Engine, sources: list[RawSource]) -> None:
    for s in sources:
        if s.tables:
            engine.unregister(s.view)
        else:
            engine.execute(f"DROP VIEW IF EXISTS {ident(s.view)}")
        if s.values:
            engine.execute(f"DROP VIEW IF EXISTS {ident(s.values)}")
        for table in s.owned:
            engine.execute(f"DROP TABLE IF EXISTS {ident(table)}")
