"""Reading on Spark: Parquet in, staged canonical rows out, by the reader's own SQL run per Arrow batch.

Each input path is one *source*, numbered by its position as ``read_events`` numbers files. Spark reads
it (a file, a directory of part files or any Hadoop-compatible URI) and its records are numbered 1..n in
(file path, row within file) order, part files sorted by path, so a single file gets the record numbers
the DuckDB reader gives it. The mapping is planned once on the driver (``io.plan.plan_file`` against
the Spark schema); every batch then goes through ``io.canonical.branch_sql`` in a DuckDB of its own:
mapping, parsing, rejection reasons and the duplicate hash are the reader's, not a copy of them.

What stays on the driver: the per-file counts (for the file checks and the input summary), the
rejected rows (their reason, column and value; not their raw values) and the facts of the whole log
(which optional columns carry data, the last timestamp) that every partition must agree on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from .. import schema as S
from ..engine import Engine
from ..errors import ConfigError, InputError
from ..io.canonical import (
    CLOCK_SAMPLE,
    COLUMN,
    FILE,
    HASH,
    MARKERS,
    REASON,
    RECORD,
    VALUE,
    branch_sql,
    file_clock,
    time_format,
)
from ..io.options import ReadOptions
from ..io.plan import FilePlan, plan_file
from ..io.readers import ROW, register_arrow, source_name
from ..journeys import FACT_COLUMNS, LogFacts
from ..sql import ident

_PATH, _INDEX = "__cx_path", "__cx_row_index"
#: Attributes travel under positional names: Spark resolves column names case-insensitively and with dots.
ATTR = "__cx_a{}"
#: Rows staged per run of the reader's SQL: Spark hands a task batches of 10,000 rows, and planning the
#: SQL for each cost 0.7 of 3.1 s at a million events (two tasks).
ROWS_PER_RUN = 100_000
_SHIFT = 9223372036854775808  # DuckDB's hash is unsigned; Spark has no unsigned type: shift it into BIGINT


@dataclass(frozen=True)
class Source:
    """One input path: its position, its records and how they map to canonical columns."""

    index: int
    path: str
    records: int
    plan: FilePlan


@dataclass(frozen=True)
class Staged:
    """Every candidate event of every source (a Spark DataFrame), with its rejection reason."""

    frame: Any
    sources: list[Source]
    attributes: list[str]  # attribute names, as the DuckDB reader names them
    attr_columns: list[str]  # their positional names in ``frame``


@dataclass(frozen=True)
class StageCounts:
    """Counts over the staged rows: per source, and the facts of the kept rows."""

    rows: dict[int, int]
    rejected: dict[int, int]
    facts: LogFacts
    markers: dict[str, int] = dataclasses.field(default_factory=dict)
    #: Contacts of the kept rows, estimated (HyperLogLog per source, summed): for planning only.
    contacts: int = 0


def stage(spark: Any, paths: Sequence[str | Path], options: ReadOptions) -> Staged:
    """Plan every source on the driver and return the lazily staged rows of all of them."""
    if not paths:
        raise InputError("no event files given")
    per_file = options.per_file(list(paths))  # each file's mapping (``ReadOptions.file_mappings``)
    for path, own in zip(paths, per_file, strict=True):
        if own.mapping is not None and own.mapping.filters_rows:  # its rows left out would go uncounted
            raise ConfigError(
                "the Spark engine does not read a mapping's keep_rows / drop_rows: filter the files first, "
                "or read them with the embedded engine",
                path=str(path),
            )
        if own.mapping is not None and own.mapping.fill_down:  # each batch would fill from its own rows
            raise ConfigError(
                "the Spark engine does not fill blanks down (fill_down): a batch's first rows would take "
                "nothing from the batch before; read the files with the embedded engine",
                path=str(path),
            )
        if own.effective_phone_region:  # the ids would stay as written: journeys unjoined, silently
            raise ConfigError(
                "the Spark engine does not rewrite customer ids as phone numbers (phone_region): read the "
                "files with the embedded engine",
                path=str(path),
            )
    raw = [_open(spark, str(p)) for p in paths]
    sources = [
        _plan(i, str(p), frame, own)
        for i, (p, frame, own) in enumerate(zip(paths, raw, per_file, strict=True))
    ]
    attributes: list[str] = []
    for s in sources:
        seen = {a.lower() for a in attributes}
        attributes += [a for a in s.plan.attributes.values() if a.lower() not in seen]
    attr_columns = [ATTR.format(j) for j in range(len(attributes))]
    schema = _staged_schema(attr_columns)
    frames = []
    for k, (s, frame) in enumerate(zip(sources, raw, strict=True)):
        offsets = _offsets(frame)
        if offsets[""] == 0:
            raise InputError("no rows to read", path=s.path)
        sources[k] = dataclasses.replace(s, records=offsets[""])
        task = _stage_task(s.plan, per_file[k], attributes)
        frames.append(_numbered(frame, offsets).mapInArrow(task, schema))
    staged = frames[0]
    for f in frames[1:]:
        staged = staged.unionByName(f)
    return Staged(frame=staged, sources=sources, attributes=attributes, attr_columns=attr_columns)


def count_staged(staged: Staged) -> StageCounts:
    """One Spark aggregation: rows and rejections per source, and the facts of the kept rows."""
    from pyspark.sql import functions as F

    kept = F.col(REASON).isNull()
    optional = FACT_COLUMNS
    rows = (
        staged.frame.groupBy(FILE)
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.count(F.col(REASON)).alias("rejected"),
            # as schema.fact_condition: a duration counts when above zero
            *[
                F.count(F.when(kept & (F.col(c) > 0) if c == S.DURATION_S else kept, F.col(c))).alias(c)
                for c in optional
            ],
            F.max(F.when(kept, F.col(S.TIMESTAMP))).alias("data_end"),
            F.approx_count_distinct(F.when(kept, F.col(S.CONTACT_ID))).alias("contacts"),
            F.count(F.col(MARKERS)).alias("marked"),
        )
        .collect()
    )
    flags = [any(r[c] for r in rows) for c in optional]
    ends = [r["data_end"] for r in rows if r["data_end"] is not None]
    facts = LogFacts.from_flags(flags, max(ends) if ends else None)
    # As ``io.canonical.count_markers``: a source value counts once per record, however many events of a
    # wide layout carry it. Another pass over every row, made only when some row has a marker.
    markers = (
        staged.frame.where(F.col(MARKERS).isNotNull())
        .select(FILE, RECORD, F.explode(MARKERS).alias("col"))
        .distinct()
        .groupBy("col")
        .count()
        .collect()
        if any(r["marked"] for r in rows)
        else []
    )
    return StageCounts(
        rows={int(r[FILE]): int(r["n"]) for r in rows},
        rejected={int(r[FILE]): int(r["rejected"]) for r in rows},
        facts=facts,
        markers={str(r["col"]): int(r["count"]) for r in markers},
        contacts=sum(int(r["contacts"]) for r in rows),
    )


def rejected_rows(staged: Staged, counts: StageCounts | None = None) -> pa.Table:
    """The rejected rows (file, source_file, source_row, reason, column, value), collected to the driver;
    none read when ``counts`` say there are none (a pass over every row saved)."""
    from pyspark.sql import functions as F

    cols = [FILE, S.SOURCE_FILE, S.SOURCE_ROW, REASON, COLUMN, VALUE]
    rejected = staged.frame.where(F.col(REASON).isNotNull()).select(*cols)
    if counts is not None and not any(counts.rejected.values()):
        rejected = rejected.limit(0)
    return rejected.toArrow()


# --- per source -------------------------------------------------------------------------------------------
def _open(spark: Any, path: str) -> Any:
    from pyspark.errors import PySparkException

    try:
        frame = spark.read.parquet(path)
    except PySparkException as exc:
        raise InputError(f"cannot read as Parquet: {_first_line(exc)}", path=path) from None
    from pyspark.sql import functions as F

    # A source column in cxray's internal namespace (``__cx_*``) keeps its data under "<name> (source)",
    # as the DuckDB reader names it, so it can clash with none of the staging columns.
    return frame.select(
        *[F.col(f"`{c}`").alias(source_name(c)) for c in frame.columns],
        F.col("_metadata.file_path").alias(_PATH),
        F.col("_metadata.row_index").alias(_INDEX),
    )


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def _plan(index: int, path: str, frame: Any, options: ReadOptions) -> Source:
    """Resolve the mapping against the Spark schema, as the DuckDB reader resolves it against the file,
    and tell the file's clock and time format from its first rows (``canonical.file_clock``,
    ``canonical.time_format``)."""
    first = frame.drop(_PATH, _INDEX).limit(CLOCK_SAMPLE).toArrow()
    with Engine(threads=1) as engine:
        source = register_arrow(engine, f"_cx_raw_{index}", first, Path(path))
        source.path = path
        plan = plan_file(index, source, engine, options.mapping)
        plan.clock = file_clock(engine, plan, options)
        plan.time_format = time_format(engine, plan, options)  # its batches parse with it first
    plan = dataclasses.replace(plan, source=dataclasses.replace(plan.source, tables=[]))
    return Source(index=index, path=path, records=0, plan=plan)


def _offsets(frame: Any) -> dict[str, int]:
    """Record number of the first row of each part file, minus one: part files in path order."""
    counts = sorted((r[_PATH], int(r["count"])) for r in frame.groupBy(_PATH).count().collect())
    offsets, total = {}, 0
    for path, n in counts:
        offsets[path] = total
        total += n
    offsets[""] = total  # the source's record count, under a key no file has
    return offsets


def _numbered(frame: Any, offsets: dict[str, int]) -> Any:
    """``frame`` with each row's record number (``ROW``: its part file's offset + its row index + 1) in
    place of the file path and row index: numbered in the JVM, the path (a long text on every row) does
    not travel to Python (0.3 of 1.6 s per million rows there)."""
    from pyspark.sql import functions as F

    starts = F.create_map(*[F.lit(x) for path, n in offsets.items() if path for x in (path, n)])
    record = F.element_at(starts, F.col(_PATH)) + F.col(_INDEX) + 1
    return frame.withColumn(ROW, record.cast("long")).drop(_PATH, _INDEX)


def _staged_schema(attr_columns: list[str]) -> Any:
    from pyspark.sql import types as T

    fields = [T.StructField(S.CONTACT_ID, T.StringType()), T.StructField(S.TIMESTAMP, T.TimestampNTZType())]
    fields.append(T.StructField(S.ACTIVITY, T.StringType()))
    fields += [T.StructField(c, T.StringType()) for c in S.OPTIONAL_TEXT]
    fields += [T.StructField(c, T.DoubleType()) for c in S.OPTIONAL_NUMERIC]
    fields += [T.StructField(S.SOURCE_ROW, T.LongType()), T.StructField(S.SOURCE_FILE, T.StringType())]
    fields += [T.StructField(c, T.StringType()) for c in attr_columns]
    fields += [T.StructField(FILE, T.IntegerType()), T.StructField(RECORD, T.LongType())]
    fields += [T.StructField(c, T.StringType()) for c in (REASON, COLUMN, VALUE)]
    fields.append(T.StructField(HASH, T.LongType()))
    fields.append(T.StructField(MARKERS, T.ArrayType(T.StringType())))
    return T.StructType(fields)


def _staged_select(attributes: list[str]) -> str:
    cols = [ident(c) for c in S.CANONICAL] + [S.SOURCE_ROW, S.SOURCE_FILE]
    cols += [f"{ident(a)} AS {ATTR.format(j)}" for j, a in enumerate(attributes)]
    cols += [
        FILE,
        RECORD,
        REASON,
        COLUMN,
        VALUE,
        f"CAST(CAST({HASH} AS HUGEINT) - {_SHIFT} AS BIGINT) AS {HASH}",
        MARKERS,
    ]
    return ", ".join(cols)


def _stage_task(plan: FilePlan, options: ReadOptions, attributes: list[str]) -> Any:
    """The function Spark runs on each partition of one source's numbered raw rows (``_numbered``)."""
    sql = (
        f"SELECT {_staged_select(attributes)} FROM ({branch_sql(plan, options.mapping, options, attributes)})"
    )
    view = plan.source.view

    def run(engine: Engine, batches: list[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        engine.register(view, pa.Table.from_batches(batches))
        out = engine.arrow(sql)
        engine.unregister(view)
        yield from out.to_batches()

    def task(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        with Engine(threads=1) as engine:
            group: list[pa.RecordBatch] = []
            rows = 0
            for batch in batches:
                if batch.num_rows == 0:
                    continue
                group.append(batch)
                rows += batch.num_rows
                if rows >= ROWS_PER_RUN:
                    yield from run(engine, group)
                    group, rows = [], 0
            if group:
                yield from run(engine, group)

    return task


__all__ = ["ATTR", "Source", "StageCounts", "Staged", "count_staged", "rejected_rows", "stage"]
