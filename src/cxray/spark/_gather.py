"""On the driver: the partitions' payloads into DuckDB tables, in the order a laptop run creates them.

Payloads stream in one partition at a time (``toLocalIterator`` over a persisted result, so the
partitions are computed in parallel first), so the driver holds one partition's Arrow data at a time
besides its DuckDB tables, which DuckDB spills to disk when they outgrow memory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from .. import schema as S
from ..engine import Engine
from ..errors import EngineError
from ._partition import FILENO, read_ipc

SKETCH: Final = "_cx_sp_sketch"
_STAGING: Final = {
    "events": "_cx_sp_events",
    "contacts": "_cx_sp_contacts",
    "journeys": "_cx_sp_journeys",
    "sketch": SKETCH,
}
# Final tables and the ORDER BY their laptop counterparts are created with (source order; journeys.py).
_FINAL: Final = (
    (S.EVENTS_TABLE, "events", f"{FILENO}, {S.SOURCE_ROW}", f"EXCLUDE ({FILENO})"),
    (S.CONTACTS_TABLE, "contacts", f"{S.START_TS}, {S.CONTACT_ID}", ""),
    (S.JOURNEYS_TABLE, "journeys", f"{S.START_TS}, {S.JOURNEY_ID}", ""),
)


@dataclass
class Gathered:
    """What the partitions sent besides their tables."""

    flows: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0
    partitions: int = 0


def gather(engine: Engine, result: Any) -> Gathered:
    """Load every payload of ``result`` (a ``(kind, payload)`` DataFrame) into ``engine``."""
    from pyspark import StorageLevel

    out = Gathered()
    created: set[str] = set()
    result = result.persist(StorageLevel.DISK_ONLY)  # a large log's payloads exceed the heap
    try:
        result.count()  # computes every partition, in parallel, before streaming them one by one
        for row in result.toLocalIterator():
            kind, payload = row["kind"], bytes(row["payload"])
            if kind == "flow":
                out.flows.append(json.loads(payload))
                out.partitions += 1
            elif kind == "stats":
                out.duplicates += int(json.loads(payload)["duplicates"])
            else:
                _append(engine, _STAGING[kind], read_ipc(payload), created)
    finally:
        result.unpersist()
    for kind, name in _STAGING.items():
        if name not in created and kind != "sketch":
            raise EngineError(f"no Spark partition returned its {kind}")
    for final, kind, order, exclude in _FINAL:
        staging = _STAGING[kind]
        engine.execute(
            f"CREATE OR REPLACE TABLE {final} AS SELECT * {exclude} FROM {staging} ORDER BY {order}"
        )
        engine.execute(f"DROP TABLE {staging}")
    if SKETCH not in created:
        engine.execute(
            f"CREATE OR REPLACE TABLE {SKETCH} (src VARCHAR, dst VARCHAR, bucket INTEGER, n BIGINT)"
        )
    return out


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


__all__ = ["SKETCH", "Gathered", "gather"]
