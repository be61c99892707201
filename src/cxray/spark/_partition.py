"""Per partition of customers: de-duplicate, build journeys and discover the flow, in DuckDB, unchanged.

Journeys and repeat contacts are per customer, so every event of a customer must land in one
partition. A contact's customer is its first non-NULL ``customer_id`` in event order (as
``journeys.build_journeys`` takes it), so the key is computed per contact first; a contact without a
customer is keyed by its own id (it is its own journey). Exact duplicates share every value, the key
included, so ``io.canonical.finish_events`` drops them inside the partition exactly as the reader does.

Each partition runs the same modules a laptop runs (``finish_events``, ``build_journeys`` with the facts
of the whole log, ``flow_map``) and returns its tables as Arrow IPC payloads, one row per table:

``ordered``    the partition's kept events as its ordered table (``ordered.fold_events``: every event
               column plus the order within the contact, legs and routes), for the driver-side steps
               that read events (conformance, flow slices, breakdown detectors), which the driver
               adopts without sorting again; ``events`` instead, as a table, when an event column is
               named like one of the ordered table's own;
``contacts``, ``journeys``  exact: each contact and journey lies in one partition;
``flow``       ``flow_map`` of the partition with every variant (JSON), merged by ``_flow``;
``paths``      journeys per (path, outcome) (``journey_path_counts``), which the driver adds up;
``incentive_extras``, ``incentive_touches``  the incentives' per-contact columns and (party, contact)
               touches (``incentives.stage_incentive_tables``), per customer;
``conformance_variants``, ``conformance_steps``  the partition's contacts grouped into variants and
               each variant's steps (``process.conformance.stage_variants``), which the driver merges;
``sketch``     per DFG edge, counts per log bucket of the gaps (``cxray.sketch``), for the median;
``fx:<table>`` the breakdown detectors' tables made from events (``findings.stage_breakdowns``: legs,
               a customer's next contact, each detector's ``stage``), per customer, so the union of the
               partitions' is the whole log's and the driver's detectors read no events;
``stats``      duplicates dropped, the events' columns (when folded), the route the table was built for
               and which detector tables were staged.

When the driver and the executors share a file system (Spark's local mode: ``handoff_dir``), the tables
go as Arrow IPC files written there instead, and the payload is the file's path: a table of a million
events as one binary value cost seconds to persist and stream through ``toLocalIterator`` (pickled
rows), a file costs a write and a memory map.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pyarrow as pa

from .. import schema as S
from ..costs import CostModel
from ..engine import Engine
from ..findings import Detector, stage_breakdowns
from ..incentives.assessment import stage_incentive_tables
from ..io.canonical import (
    COLUMN,
    FILE,
    MARKERS,
    REASON,
    RECORD,
    VALUE,
    as_categories,
    finish_events,
    scan_categories,
)
from ..journey_paths import journey_path_counts
from ..journeys import LogFacts, build_journeys, route_column
from ..options import AnalysisOptions
from ..ordered import IS_LAST, NEXT_ACTIVITY, fold_events, folded_columns, ordered_events
from ..process import flow_map
from ..process.conformance import ConformanceOptions, stage_variants
from ..process.model import ProcessModel
from ..process.steps import GAP_S, ordered_steps
from ..sketch import bucket_sql
from ..sql import ident

PKEY: Final = "__cx_pkey"
KINDS: Final = (
    "ordered", "events", "contacts", "journeys", "flow", "sketch", "paths", "incentive_extras",
    "incentive_touches", "conformance_variants", "conformance_steps", "stats",
)  # fmt: skip
#: The kind of a detector table's payload is this prefix and the table's name.
STAGED_PREFIX: Final = "fx:"


#: Contacts up to which the contact -> customer map is broadcast to every task rather than joined by a
#: shuffle of every event (about 150 MB at two million, well within a default 4 GB driver; 10M events,
#: 1.6M contacts: 10 s of a 150 s run saved).
BROADCAST_CONTACTS: Final = 2_000_000


def keyed(staged: Any, *, contacts: int | None = None) -> Any:
    """The kept staged rows with their partition key: the contact's first customer, else the contact.

    ``contacts``: an estimate of the kept rows' contacts; the map is broadcast at most
    :data:`BROADCAST_CONTACTS` (None: joined by a shuffle)."""
    from pyspark.sql import functions as F

    kept = staged.where(F.col(REASON).isNull())
    first = (
        kept.where(F.col(S.CUSTOMER_ID).isNotNull())
        .groupBy(S.CONTACT_ID)
        .agg(F.min_by(S.CUSTOMER_ID, F.struct(S.TIMESTAMP, S.SOURCE_ROW)).alias("__cx_first"))
    )
    key = F.coalesce(F.concat(F.lit("u"), "__cx_first"), F.concat(F.lit("c"), S.CONTACT_ID))
    if contacts is not None and contacts <= BROADCAST_CONTACTS:
        first = F.broadcast(first)
    # what a kept row no longer needs (no reason, markers counted) is not shuffled: the task puts it back
    # as NULL for ``finish_events``
    return kept.drop(*_DROPPED).join(first, S.CONTACT_ID, "left").withColumn(PKEY, key).drop("__cx_first")


#: The staging columns a kept row carries to no step after the counts, with their DuckDB types.
_DROPPED: Final = (RECORD, REASON, COLUMN, VALUE, MARKERS)
_DROPPED_TYPES: Final = ("BIGINT", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR[]")


def analyse(
    frame: Any,
    partitions: int,
    *,
    options: AnalysisOptions,
    costs: CostModel,
    facts: LogFacts,
    attributes: list[str],
    attr_columns: list[str],
    detectors: list[Detector] | None = None,
    conformance: tuple[ProcessModel | None, ConformanceOptions] | None = None,
    handoff_dir: str | None = None,
) -> Any:
    """Repartition ``frame`` by key and run the per-partition task; a DataFrame ``(kind, payload)``.

    ``detectors``: the run's breakdown detectors, whose tables the partitions stage (None: none staged).
    ``conformance``: the run's process model (None: inferred) and conformance options, for which the
    partitions stage their variants (None: none staged).
    ``handoff_dir``: a directory the driver can read, where the tables are written as files (the
    payload is then the file's path, see the module docstring); None: the tables are the payloads."""
    task = _task(options, costs, facts, attributes, attr_columns, detectors, conformance, handoff_dir)
    return frame.repartition(partitions, PKEY).mapInArrow(task, "kind string, payload binary")


def _task(
    options: AnalysisOptions,
    costs: CostModel,
    facts: LogFacts,
    attributes: list[str],
    attr_columns: list[str],
    detectors: list[Detector] | None,
    conformance: tuple[ProcessModel | None, ConformanceOptions] | None,
    handoff_dir: str | None,
) -> Any:
    dropped = ", ".join(f"CAST(NULL AS {t}) AS {c}" for c, t in zip(_DROPPED, _DROPPED_TYPES, strict=True))

    def payload(arrow: pa.Table) -> bytes:
        return _ipc(arrow) if handoff_dir is None else _ipc_file(arrow, handoff_dir)

    def task(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        kept = [b for b in batches if b.num_rows]
        if not kept:
            return
        table = pa.Table.from_batches(kept).drop_columns([PKEY])
        del kept
        with Engine(threads=1) as engine:
            engine.register("_cx_in", table)
            # stored as ENUMs, as the reader does (what leaves the engine is text again); the driver's
            # copy of the ordered tables takes one ENUM of every partition's values
            categories = scan_categories(engine, ["SELECT * FROM _cx_in"])
            engine.execute(
                f"CREATE TABLE {S.EVENTS_TABLE} AS SELECT *, {dropped} FROM "
                f"({as_categories('SELECT * FROM _cx_in', categories)}) ORDER BY {FILE}, {S.SOURCE_ROW}"
            )
            engine.unregister("_cx_in")
            del table
            duplicates = finish_events(engine, attr_columns)
            for c, name in zip(attr_columns, attributes, strict=True):
                engine.execute(f"ALTER TABLE {S.EVENTS_TABLE} RENAME COLUMN {c} TO {ident(name)}")
            fold_events(engine)  # as ``diagnose``: the ordered table carries the events
            build_journeys(engine, options=options, costs=costs, facts=facts)
            flow = flow_map(engine, top_variants=0)
            with ordered_steps(engine) as steps:
                sketch = engine.arrow(
                    f"SELECT {ident(S.ACTIVITY)} AS src, {NEXT_ACTIVITY} AS dst, "
                    f"{bucket_sql(GAP_S)} AS bucket, count(*) AS n "
                    f"FROM {steps} WHERE NOT {IS_LAST} GROUP BY ALL",
                )
            # The events go as this partition's ordered table (they are its columns), built for the whole
            # log's route (this partition's data may lack queues the log has), so the driver adopts the
            # partitions' tables instead of sorting every event by contact again (10M events: 9 s).
            route = route_column(facts)
            ordered = ordered_events(engine, route=route)
            columns = folded_columns(engine)
            if columns is None:  # an event column named like one of the ordered table's own
                yield _row("events", payload(engine.arrow(f"SELECT * FROM {S.EVENTS_TABLE}")))
            else:
                # by contact, as the window leaves a table built in one piece: steps that look up a few
                # contacts (the findings' claims, the verbatims) then skip most row groups (unsorted, at
                # 10M events the claims took 6.5 s instead of 0.8 s)
                by_contact = f"SELECT * FROM {ordered} ORDER BY {ident(S.CONTACT_ID)}, seq"
                yield _row("ordered", payload(engine.arrow(by_contact)))
            yield _row("contacts", payload(engine.arrow(f"SELECT * FROM {S.CONTACTS_TABLE}")))
            yield _row("journeys", payload(engine.arrow(f"SELECT * FROM {S.JOURNEYS_TABLE}")))
            yield _row("sketch", payload(sketch))
            yield _row("paths", payload(engine.arrow(journey_path_counts(engine))))
            extras, touches = stage_incentive_tables(engine, options=options)
            yield _row("incentive_extras", payload(engine.arrow(f"SELECT * FROM {extras}")))
            yield _row("incentive_touches", payload(engine.arrow(f"SELECT * FROM {touches}")))
            if conformance is not None:
                model, conformance_options = conformance
                variants, steps = stage_variants(engine, model, options=conformance_options)
                yield _row("conformance_variants", payload(engine.arrow(f"SELECT * FROM {variants}")))
                yield _row("conformance_steps", payload(engine.arrow(f"SELECT * FROM {steps}")))
            yield _row("flow", json.dumps(flow).encode())
            staged = None
            if detectors is not None:
                tables = stage_breakdowns(
                    engine, facts=facts, options=options, costs=costs, detectors=detectors
                )
                for name in tables.tables:
                    yield _row(STAGED_PREFIX + name, payload(engine.arrow(f"SELECT * FROM {name}")))
                staged = {"shared": sorted(tables.shared), "by_detector": tables.by_detector}
            stats = {
                "duplicates": duplicates,
                "columns": columns,
                "route": route,
                "staged": staged,
                "categories": categories,
            }
            yield _row("stats", json.dumps(stats).encode())

    return task


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def _ipc_file(table: pa.Table, folder: str) -> bytes:
    """``table`` as an Arrow IPC file in ``folder``; its path, as the payload. A name of its own per call:
    a retried or speculative task attempt writes beside the first, and only the collected rows' files
    are read."""
    path = Path(folder) / f"{uuid.uuid4().hex}.arrow"
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return str(path).encode()


def read_ipc(payload: bytes) -> pa.Table:
    with pa.ipc.open_stream(pa.py_buffer(payload)) as reader:
        return reader.read_all()


def read_ipc_file(path: str) -> pa.Table:
    """A table written by ``_ipc_file``, memory-mapped (read as the engine copies it)."""
    with pa.memory_map(path) as source:
        return pa.ipc.open_file(source).read_all()


def _row(kind: str, payload: bytes) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict(
        {"kind": pa.array([kind]), "payload": pa.array([payload], type=pa.binary())}
    )


__all__ = [
    "BROADCAST_CONTACTS",
    "KINDS",
    "PKEY",
    "STAGED_PREFIX",
    "analyse",
    "keyed",
    "read_ipc",
    "read_ipc_file",
]
