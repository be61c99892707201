"""On the driver: the partitions' payloads into DuckDB tables, in the order a laptop run creates them.

Payloads stream in one partition at a time (``toLocalIterator`` over a persisted result, so the
partitions are computed in parallel first), so the driver holds one partition's Arrow data at a time
besides its DuckDB tables, which DuckDB spills to disk when they outgrow memory. When the tasks wrote
their tables as files (``handoff_dir``), the result is only kinds and paths: collected at once, and each
final table is made by one statement over all partitions' files of its kind, memory-mapped (the caller
removes the directory).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

import pyarrow as pa

from .. import schema as S
from ..engine import Engine
from ..errors import EngineError
from ..io.canonical import merge_categories
from ..ordered import NEXT_ACTIVITY, adopt_ordered_events
from ._partition import STAGED_PREFIX, read_ipc, read_ipc_file

SKETCH: Final = "_cx_sp_sketch"
#: The partitions' journeys per (path, outcome), for ``journey_paths(counts=...)``.
PATHS: Final = "_cx_sp_journey_paths"
#: The partitions' incentive tables, for ``incentives.stage_incentives(staged=...)``.
INCENTIVE_EXTRAS: Final = "_cx_sp_incentive_extras"
INCENTIVE_TOUCHES: Final = "_cx_sp_incentive_touches"
#: The partitions' variants and their steps, for ``check_conformance(staged=...)``.
CONFORMANCE_VARIANTS: Final = "_cx_sp_conformance_variants"
CONFORMANCE_STEPS: Final = "_cx_sp_conformance_steps"
_STAGING: Final = {
    "ordered": "_cx_sp_ordered",
    "events": "_cx_sp_events",
    "contacts": "_cx_sp_contacts",
    "journeys": "_cx_sp_journeys",
    "sketch": "_cx_sp_sketch_in",
    "paths": "_cx_sp_paths_in",
    "incentive_extras": "_cx_sp_incentive_extras_in",
    "incentive_touches": "_cx_sp_incentive_touches_in",
    "conformance_variants": "_cx_sp_conformance_variants_in",
    "conformance_steps": "_cx_sp_conformance_steps_in",
}
# Final tables and the ORDER BY their laptop counterparts are created with (journeys.py). The events
# keep the partitions' order: a laptop run's ``events`` is a view over the ordered table from the
# journeys on (``ordered.fold_events``), not in source order either, and no step reads them by position
# (sorting 10M events back into source order took 3.5 s on top of the 3 s copy).
_FINAL: Final = (
    (S.EVENTS_TABLE, "events", ""),
    (S.CONTACTS_TABLE, "contacts", f"{S.START_TS}, {S.CONTACT_ID}"),
    (S.JOURNEYS_TABLE, "journeys", f"{S.START_TS}, {S.JOURNEY_ID}"),
    (SKETCH, "sketch", ""),
    (PATHS, "paths", ""),
    (INCENTIVE_EXTRAS, "incentive_extras", ""),
    (INCENTIVE_TOUCHES, "incentive_touches", ""),
    (CONFORMANCE_VARIANTS, "conformance_variants", ""),
    (CONFORMANCE_STEPS, "conformance_steps", ""),
)
_EMPTY_SKETCH: Final = "(src VARCHAR, dst VARCHAR, bucket INTEGER, n BIGINT)"


@dataclass
class Gathered:
    """What the partitions sent besides their tables."""

    flows: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0
    partitions: int = 0
    columns: list[str] | None = None  # the events' columns, when they came as ordered tables
    route: str | None = None  # the route those tables were built for
    #: The detector tables the partitions staged, made on the driver: the shared ones, and each
    #: detector's by its index; None when none were staged or the partitions disagreed (none made then).
    staged: tuple[frozenset[str], dict[int, tuple[str, ...]]] | None = None
    _layouts: list[dict[str, Any] | None] = field(default_factory=list, repr=False)
    _categories: list[dict[str, list[str] | None]] = field(default_factory=list, repr=False)

    def category_types(self) -> dict[str, str]:
        """Column of the ordered tables -> the ENUM of every partition's values (``merge_categories``),
        the columns copied from one too: the next activity as the activity, the route as its column."""
        types = merge_categories(self._categories)
        copies = {NEXT_ACTIVITY: S.ACTIVITY, "route": self.route}
        return types | {c: types[source] for c, source in copies.items() if source in types}


def gather(engine: Engine, result: Any, *, files: bool = False) -> Gathered:
    """Load every payload of ``result`` (a ``(kind, payload)`` DataFrame) into ``engine``; ``files``: the
    tables' payloads are paths of the files the tasks wrote (``analyse``'s ``handoff_dir``)."""
    out = Gathered()
    tables: dict[str, list[pa.Table]] = {}  # files: each kind's tables, memory-mapped
    created: set[str] = set()  # payloads: the staging tables made
    seen: set[str] = set()  # the tables' kinds

    def load(kind: str, payload: bytes) -> None:
        if kind == "flow":
            out.flows.append(json.loads(payload))
            out.partitions += 1
        elif kind == "stats":
            stats = json.loads(payload)
            out.duplicates += int(stats["duplicates"])
            out.columns, out.route = stats["columns"], stats["route"]
            out._layouts.append(stats["staged"])
            out._categories.append(stats.get("categories") or {})
        elif files:
            tables.setdefault(kind, []).append(read_ipc_file(payload.decode()))
        else:
            seen.add(kind)
            _append(engine, _staging(kind), read_ipc(payload), created)

    if files:
        for row in result.collect():  # kinds and paths: small
            load(row["kind"], bytes(row["payload"]))
        # each final table straight from every partition's files, without a staging copy (10M events:
        # 2 s); registered under the staging names, which are views then
        try:
            for kind, parts in tables.items():
                engine.register(_staging(kind), pa.concat_tables(parts, promote_options="default"))
            _create(engine, set(tables), out, drop="unregister")
        finally:
            for kind in tables:
                engine.unregister(_staging(kind))
            tables.clear()
    else:
        from pyspark import StorageLevel

        result = result.persist(StorageLevel.DISK_ONLY)  # a large log's payloads exceed the heap
        try:
            result.count()  # computes every partition, in parallel, before streaming them one by one
            for row in result.toLocalIterator():
                load(row["kind"], bytes(row["payload"]))
        finally:
            result.unpersist()
        _create(engine, seen, out, drop="table")
    return out


def _staging(kind: str) -> str:
    """The staging table (or registered view) of a payload kind."""
    return _STAGING.get(kind) or "_cx_sp_" + kind.removeprefix(STAGED_PREFIX)


def _create(engine: Engine, kinds: set[str], gathered: Gathered, *, drop: str) -> None:
    """The final tables from the staging ones of ``kinds``, each dropped once read (``drop``: "table", or
    "unregister" for registered Arrow tables); an empty sketch when no partition returned one. Events
    that came as ordered tables become the driver's ordered table, ``events`` a view over it."""
    for kind in ("contacts", "journeys"):
        if kind not in kinds:
            raise EngineError(f"no Spark partition returned its {kind}")
    if "ordered" in kinds and gathered.columns is not None:
        adopt_ordered_events(
            engine, _STAGING["ordered"], gathered.columns, gathered.route, types=gathered.category_types()
        )
        _drop(engine, _STAGING["ordered"], drop)
    elif "events" not in kinds:
        raise EngineError("no Spark partition returned its events")
    for final, kind, order in _FINAL:
        if kind not in kinds:
            if kind == "sketch":  # no partition had a step: an empty sketch
                engine.execute(f"CREATE OR REPLACE TABLE {final} {_EMPTY_SKETCH}")
            continue
        staging = _STAGING[kind]
        ordered = f" ORDER BY {order}" if order else ""
        engine.execute(f"CREATE OR REPLACE TABLE {final} AS SELECT * FROM {staging}{ordered}")
        _drop(engine, staging, drop)
    _create_staged(engine, sorted(k for k in kinds if k.startswith(STAGED_PREFIX)), gathered, drop=drop)


def _create_staged(engine: Engine, kinds: list[str], gathered: Gathered, *, drop: str) -> None:
    """The detector tables, each the union of the partitions', when
    every partition staged the same ones; else none (the driver's finder stages them from events)."""
    first = gathered._layouts[0] if gathered._layouts else None
    layout = first if first is not None and all(x == first for x in gathered._layouts) else None
    if layout is not None:
        names = list(layout["shared"]) + [t for ts in layout["by_detector"].values() for t in ts]
        if sorted(STAGED_PREFIX + n for n in names) != kinds:
            layout = None
    for kind in kinds:
        name, staging = kind.removeprefix(STAGED_PREFIX), _staging(kind)
        if layout is not None:
            engine.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {staging}")
        _drop(engine, staging, drop)
    if layout is not None:
        by_detector = {int(k): tuple(v) for k, v in layout["by_detector"].items()}
        gathered.staged = (frozenset(layout["shared"]), by_detector)


def _drop(engine: Engine, staging: str, how: str) -> None:
    if how == "table":
        engine.execute(f"DROP TABLE {staging}")
    else:
        engine.unregister(staging)


def _append(engine: Engine, name: str, table: Any, created: set[str]) -> None:
    engine.register("_cx_sp_in", table)
    try:
        if name in created:
            engine.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _cx_sp_in")
        else:
            engine.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _cx_sp_in")
            created.add(name)
    finally:
        engine.unregister("_cx_sp_in")


__all__ = [
    "CONFORMANCE_STEPS",
    "CONFORMANCE_VARIANTS",
    "INCENTIVE_EXTRAS",
    "INCENTIVE_TOUCHES",
    "PATHS",
    "SKETCH",
    "Gathered",
    "gather",
]
