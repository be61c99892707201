"""``diagnose_spark``: the steps of ``cxray.diagnose.diagnose``, with reading, journeys and flow on Spark."""

from __future__ import annotations

import dataclasses
import math
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Final

import pyarrow as pa

from .. import schema as S
from ..costs import CostModel
from ..diagnose import NamedSteps, Prestaged, diagnose_tables, screen, with_shorthands
from ..diagnose_options import DiagnoseOptions
from ..diagnosis import Diagnosis
from ..engine import Engine
from ..errors import ConfigError, EngineError, InputError
from ..findings import StagedTables
from ..incentives import Party
from ..io import InputSummary, ReadOptions
from ..io.canonical import COLUMN, FILE, REASON, REJECTED, VALUE
from ..io.read import all_rejected, likely_in, summarise, with_sources
from ..journeys import build_journeys
from ..options import AnalysisOptions
from ..ordered import fold_events
from ..process.model import ProcessModel
from ..progress import Progress, Silent
from ..sql import ident, lit
from ._flow import merge_flow
from ._gather import (
    CONFORMANCE_STEPS,
    CONFORMANCE_VARIANTS,
    INCENTIVE_EXTRAS,
    INCENTIVE_TOUCHES,
    PATHS,
    SKETCH,
    Gathered,
    gather,
)
from ._partition import analyse, keyed
from ._session import local_session, quiet_pyspark, require_pyspark
from ._stage import StageCounts, Staged, count_staged, rejected_rows, stage

#: Events per partition aimed at when ``partitions`` is not given (a partition is one DuckDB run).
EVENTS_PER_PARTITION = 2_000_000


def diagnose_spark(
    paths_or_uri: str | Path | Sequence[str | Path],
    options: DiagnoseOptions | None = None,
    *,
    partitions: int | None = None,
    spark: Any = None,
    engine: Engine | None = None,
    progress: Progress | None = None,
    read: ReadOptions | None = None,
    analysis: AnalysisOptions | None = None,
    costs: CostModel | None = None,
    model: ProcessModel | None = None,
    parties: tuple[Party, ...] | None = None,
) -> Diagnosis:
    """Diagnose Parquet event files on Spark; the same :class:`~cxray.diagnose.Diagnosis` as ``diagnose``.

    Parameters
    ----------
    paths_or_uri:
        Parquet sources, each a file, a directory of part files or a URI Spark can read
        (``hdfs://``, ``s3a://``, ``abfss://``...), read in order like ``diagnose``'s files.
    options, read, analysis, costs, model, parties:
        As for :func:`cxray.diagnose.diagnose` (``read.keep_duplicates`` is not supported).
    partitions:
        Partitions of customers (one DuckDB run each); default: the session's parallelism, or one per
        two million events when that is more.
    spark:
        A SparkSession; a local one (``local[*]``) when None.
    engine:
        The driver's DuckDB engine, which ends up holding ``events``, ``contacts`` and ``journeys``
        (e.g. for ``write_outputs``); a new one when None.

    Counts equal ``diagnose``'s exactly and DFG medians are within ``MEDIAN_ACCURACY`` (0.5%) relative;
    the ``rejected`` table keeps each rejected row's reason, column and value but not its raw values.
    """
    require_pyspark()
    if partitions is not None and partitions < 1:
        raise ConfigError(f"partitions must be >= 1, got {partitions}")
    options = with_shorthands(
        options, read=read, analysis=analysis, costs=costs, model=model, parties=parties
    )
    if options.read.keep_duplicates:
        raise ConfigError("the Spark engine always drops exact duplicates; keep them with the default engine")
    if options.read.drop_overlap:  # the later files' copies would stay: counted twice, silently
        raise ConfigError("the Spark engine does not drop overlapping files' events; use the default engine")
    progress = progress or Silent()
    engine = engine or Engine()
    paths = [paths_or_uri] if isinstance(paths_or_uri, str | Path) else list(paths_or_uri)
    names = [_name(p) for p in paths]
    for name in names:  # a local file Spark would choke on deep in the JVM: say so here
        if "://" not in name and Path(name).is_file() and not name.lower().endswith((".parquet", ".parq")):
            raise InputError(
                "the Spark engine reads Parquet (files, folders or URIs); convert this file or use the "
                "default engine",
                path=name,
            )

    # No automatic checkpoints of the driver's in-memory database while it works: with the partitions'
    # ordered tables adopted, DuckDB checkpointed again at every write's commit (10M events: the findings'
    # claims 0.8 -> 5.6 s, the sentiment update 0.01 -> 4.3 s); a laptop run is the same with or without
    # (68.5 / 69.0 s, 3.34 / 3.38 GB). Restored after: the engine may be the caller's.
    with _engine_setting(engine, "checkpoint_threshold", "1TB"):
        with quiet_pyspark():
            staged, counts, gathered = _on_spark(
                spark or local_session(), names, engine, options, partitions=partitions, progress=progress
            )
        return _on_driver(engine, staged, counts, gathered, options, progress=progress)


def _on_spark(
    spark: Any,
    names: list[str],
    engine: Engine,
    options: DiagnoseOptions,
    *,
    partitions: int | None,
    progress: Progress,
) -> tuple[Staged, StageCounts, Gathered]:
    """Read, stage and count on Spark, then journeys and flow per partition, gathered into ``engine``."""
    from pyspark import StorageLevel

    analysis = options.analysis
    progress.step("reading events (Spark)")
    staged = stage(spark, names, options.read)
    # On disk, not the heap: the staged events of a large log do not fit a driver's default 4g (10M events
    # ran out of Java heap in local mode when persisted in memory). Uncompressed: they are read back three
    # times and dropped, and compressing them took a third of persisting (1M events: 5.3 -> 3.8 s to stage
    # and persist); the setting is read as the cache is declared.
    with _session_conf(spark, "spark.sql.inMemoryColumnarStorage.compressed", "false"):
        frame = staged.frame.persist(StorageLevel.DISK_ONLY)
    try:
        counts = count_staged(Staged(frame, staged.sources, staged.attributes, staged.attr_columns))
        _rejected(engine, rejected_rows(Staged(frame, [], [], []), counts))
        _check_usable(engine, staged, counts)
        kept = sum(counts.rows.values()) - sum(counts.rejected.values())
        n = partitions or max(spark.sparkContext.defaultParallelism, math.ceil(kept / EVENTS_PER_PARTITION))
        progress.step("reconstructing contacts and journeys, mapping the flow (Spark)")
        with _handoff(spark) as handoff_dir:
            result = analyse(
                keyed(frame, contacts=counts.contacts),
                n,
                options=analysis,
                costs=options.costs,
                facts=counts.facts,
                attributes=staged.attributes,
                attr_columns=staged.attr_columns,
                detectors=options.build_detectors(),
                conformance=(options.model, options.conformance),
                handoff_dir=handoff_dir,
            )
            return staged, counts, gather(engine, result, files=handoff_dir is not None)
    finally:
        frame.unpersist()


def _on_driver(
    engine: Engine,
    staged: Staged,
    counts: StageCounts,
    gathered: Gathered,
    options: DiagnoseOptions,
    *,
    progress: Progress,
) -> Diagnosis:
    """The flow merged, the data-quality guards, then every step after the flow map, on the driver."""
    read, analysis = options.read, options.analysis
    summary = _summary(engine, staged, counts, gathered.duplicates)
    flow: dict[str, Any] | None = merge_flow(
        engine, gathered.flows, SKETCH, top_variants=analysis.top_variants
    )
    engine.execute(f"DROP TABLE IF EXISTS {SKETCH}")
    # The guards need the whole population (percentiles of customers' contacts, the days of the data), so
    # they run on the driver's gathered events. When they change what the journeys stand on (bulk
    # identities left out, censoring ended early) the driver rebuilds journeys and flow with the same SQL.
    named = NamedSteps(progress)
    fx: StagedTables | None = None
    try:
        named.step("checking data quality")
        quality = screen(engine, read=read, analysis=analysis)
        fold_events(engine)  # as ``diagnose``: one copy of the events on the driver from the sort on
        # the detectors' tables the partitions staged, read instead of the events (``_partition``)
        if gathered.staged is not None:
            fx = StagedTables(counts.facts, *gathered.staged)
        if quality.excluded_contacts or quality.censor_end != counts.facts.data_end:
            named.step("rebuilding journeys after the data-quality guards")
            build_journeys(engine, options=analysis, costs=options.costs, data_end=quality.censor_end)
            flow = None
            # staged from the journeys before: the driver's steps stage them again
            for table in (fx.tables if fx else []) + list(_PRESTAGED):
                engine.execute(f"DROP TABLE IF EXISTS {table}")
            fx = None
        have = {t for t in _PRESTAGED if engine.has_table(t)}
        prestaged = Prestaged(
            detectors=fx,
            journey_path_counts=PATHS if PATHS in have else None,
            incentives=_INCENTIVES if set(_INCENTIVES) <= have else None,
            conformance=_CONFORMANCE if set(_CONFORMANCE) <= have else None,
        )
        return diagnose_tables(
            engine, summary, options=options, progress=named, flow=flow, quality=quality, prestaged=prestaged
        )
    except EngineError as exc:  # the driver's steps name themselves, as in ``diagnose``
        raise named.error(exc) from exc
    finally:  # whatever a failed step left of them (the finder drops the detectors' as it goes)
        for table in (fx.tables if fx else []) + list(_PRESTAGED):
            engine.execute(f"DROP TABLE IF EXISTS {table}")


#: The partitions' tables for the driver's steps besides the detectors' (``Prestaged``).
_INCENTIVES: Final = (INCENTIVE_EXTRAS, INCENTIVE_TOUCHES)
_CONFORMANCE: Final = (CONFORMANCE_VARIANTS, CONFORMANCE_STEPS)
_PRESTAGED: Final = (PATHS, *_INCENTIVES, *_CONFORMANCE)


@contextmanager
def _engine_setting(engine: Engine, name: str, value: str) -> Iterator[None]:
    """The DuckDB setting ``name`` at ``value`` for the block, then as it was."""
    before = engine.scalar(f"SELECT current_setting({lit(name)})")
    engine.execute(f"SET {name} = {lit(value)}")
    try:
        yield
    finally:
        engine.execute(f"SET {name} = {lit(str(before))}")


@contextmanager
def _session_conf(spark: Any, key: str, value: str) -> Iterator[None]:
    """``key`` set to ``value`` in the session for the block, then as it was (the session may be the
    caller's)."""
    before = spark.conf.get(key, None)
    spark.conf.set(key, value)
    try:
        yield
    finally:
        if before is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, before)


def shares_files(spark: Any) -> bool:
    """Whether the executors write where the driver reads: Spark's local mode (one machine)."""
    return str(spark.sparkContext.master).startswith("local")


def _handoff(spark: Any) -> AbstractContextManager[str | None]:
    """A temporary directory for the partitions' tables when the executors share the driver's file
    system (``_partition``), removed with what is left in it; else None (the tables travel as payloads)."""
    if not shares_files(spark):
        return nullcontext(None)
    return tempfile.TemporaryDirectory(prefix="cxray-spark-")


def _name(path: str | Path) -> str:
    """A local path as the DuckDB reader names it (``str(Path(p))``); a URI untouched."""
    text = str(path)
    return text if "://" in text else str(Path(text))


def _rejected(engine: Engine, rows: pa.Table) -> None:
    """The driver's ``rejected`` table, ordered as the reader orders it (without raw values)."""
    engine.register("_cx_sp_rejected", rows)
    try:
        engine.execute(
            f"CREATE OR REPLACE TABLE {REJECTED} AS SELECT {S.SOURCE_FILE}, {S.SOURCE_ROW}, "
            f"{REASON} AS reason, {COLUMN} AS {ident('column')}, {VALUE} AS value FROM _cx_sp_rejected "
            f"ORDER BY {FILE}, {S.SOURCE_ROW} NULLS LAST, reason"
        )
    finally:
        engine.unregister("_cx_sp_rejected")


def _check_usable(engine: Engine, staged: Staged, counts: StageCounts) -> None:
    """The reader's checks: a source must yield rows, and not only rejected ones."""
    for s in staged.sources:
        n = counts.rows.get(s.index, 0)
        if n == 0:
            raise InputError("no rows to read", path=s.path)
        if counts.rejected.get(s.index, 0) < n:
            continue
        first = engine.rows(
            f"SELECT reason, {ident('column')} AS col, value, {S.SOURCE_ROW}, "
            f"count(*) OVER (PARTITION BY reason) AS n FROM {REJECTED} WHERE {S.SOURCE_FILE} = ? "
            f"ORDER BY n DESC, {S.SOURCE_ROW} LIMIT 1",
            [s.path],
        )[0]
        raise all_rejected(s.path, first, n)


def _summary(engine: Engine, staged: Staged, counts: StageCounts, duplicates: int) -> InputSummary:
    summary = summarise(
        engine,
        files=[s.path for s in staged.sources],
        attributes=staged.attributes,
        rows_read=sum(counts.rows.values()),
        rows_rejected=sum(counts.rejected.values()),
        duplicates=duplicates,
        records=sum(s.records for s in staged.sources),
        missing_markers=counts.markers,
        per_file=[
            (s.path, counts.rows.get(s.index, 0), counts.rejected.get(s.index, 0)) for s in staged.sources
        ],
    )
    plans = [s.plan for s in staged.sources]
    return dataclasses.replace(with_sources(summary, plans), likely_columns=likely_in(plans))


__all__ = ["diagnose_spark"]
