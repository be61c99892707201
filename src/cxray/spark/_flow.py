"""Merging the flow maps of the partitions into the flow map of the whole log.

Every contact lies in one partition, so every count of ``process.flow_map`` adds up exactly across
partitions: events, contacts, activities (events and contacts per activity), start and end activities,
DFG edge counts, variant counts (a variant is a contact's whole sequence), loops, self-loops and
rework contacts. Means merge as count-weighted means (equal to one pass up to float rounding, ~1e-12
relative). DFG medians come from the merged quantile sketch (``cxray.sketch``: within ``ACCURACY``
relative). Sorting follows ``flow_map`` exactly, in the same SQL ``ORDER BY`` clauses, so ties break alike.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from ..engine import Engine
from ..sketch import median_sql

_P = "_cx_spflow_"
_STR, _INT, _DBL = pa.string(), pa.int64(), pa.float64()
_SCHEMAS: dict[str, pa.Schema] = {
    "activities": pa.schema([("activity", _STR), ("count", _INT), ("contacts", _INT)]),
    "start": pa.schema([("activity", _STR), ("n", _INT)]),
    "end": pa.schema([("activity", _STR), ("n", _INT)]),
    "dfg": pa.schema([("src", _STR), ("dst", _STR), ("count", _INT), ("mean_s", _DBL)]),
    "variants": pa.schema([("trace", pa.list_(_STR)), ("count", _INT), ("mean_duration_s", _DBL)]),
    "loops": pa.schema([("activity", _STR), ("contacts", _INT), ("repeats", _INT)]),
    "self_loops": pa.schema([("activity", _STR), ("count", _INT), ("contacts", _INT)]),
}


def merge_flow(
    engine: Engine, partials: list[dict[str, Any]], sketch: str, *, top_variants: int
) -> dict[str, Any]:
    """The ``flow_map`` document of the union of the partitions; ``sketch`` holds their gap sketches."""
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in _SCHEMAS}
    for p in partials:
        rows["activities"] += p["activities"]
        for side in ("start", "end"):
            rows[side] += [{"activity": a, "n": n} for a, n in p[side].items()]
        rows["dfg"] += [
            {"src": d["from"], "dst": d["to"], "count": d["count"], "mean_s": d["mean_s"]} for d in p["dfg"]
        ]
        rows["variants"] += [
            {"trace": v["activities"], "count": v["count"], "mean_duration_s": v["mean_duration_s"]}
            for v in p["variants"]
        ]
        rows["loops"] += [{k: d[k] for k in ("activity", "contacts", "repeats")} for d in p["loops"]]
        rows["self_loops"] += p["self_loops"]
    for name, schema in _SCHEMAS.items():
        engine.register(_P + name, pa.Table.from_pylist(rows[name], schema=schema))
    try:
        return _merge(engine, partials, sketch, top_variants)
    finally:
        for name in _SCHEMAS:
            engine.unregister(_P + name)


def _merge(engine: Engine, partials: list[dict[str, Any]], sketch: str, top_variants: int) -> dict[str, Any]:
    n_contacts = sum(int(p["n_contacts"]) for p in partials)
    activities = engine.rows(
        f"SELECT activity, sum(count) AS events, sum(contacts) AS contacts FROM {_P}activities "
        f"GROUP BY activity ORDER BY events DESC, activity"
    )
    looped = {
        r["activity"]: r
        for r in engine.rows(
            f"SELECT activity, sum(contacts) AS contacts, sum(repeats) AS repeats FROM {_P}loops "
            "GROUP BY activity"
        )
    }
    per_activity = {r["activity"]: int(r["contacts"]) for r in activities}
    loops = [
        {
            "activity": a,
            "contacts": int(r["contacts"]),
            "repeats": int(r["repeats"]),
            "share": int(r["contacts"]) / per_activity[a],
        }
        for a, r in sorted(looped.items(), key=lambda kv: (-kv[1]["contacts"], -kv[1]["repeats"], kv[0]))
    ]
    dfg = engine.rows(
        f"""
        WITH m AS ({median_sql(sketch, ["src", "dst"])})
        SELECT d.src, d.dst, sum(d.count) AS n, sum(d.mean_s * d.count) / sum(d.count) AS mean_s,
               any_value(m.median) AS median_s
        FROM {_P}dfg d LEFT JOIN m USING (src, dst)
        GROUP BY d.src, d.dst ORDER BY n DESC, d.src, d.dst
        """
    )
    limit = f"LIMIT {int(top_variants)}" if top_variants else ""
    variants = engine.rows(
        f"""
        SELECT trace, sum(count) AS n, sum(mean_duration_s * count) / sum(count) AS mean_duration_s,
               count(*) OVER () AS n_variants
        FROM {_P}variants GROUP BY trace ORDER BY n DESC, trace {limit}
        """
    )
    return {
        "n_events": sum(int(p["n_events"]) for p in partials),
        "n_contacts": n_contacts,
        "activities": [
            {"activity": r["activity"], "count": int(r["events"]), "contacts": int(r["contacts"])}
            for r in activities
        ],
        "start": _endpoints(engine, "start"),
        "end": _endpoints(engine, "end"),
        "dfg": [
            {
                "from": r["src"],
                "to": r["dst"],
                "count": int(r["n"]),
                "mean_s": r["mean_s"],
                "median_s": r["median_s"],
            }
            for r in dfg
        ],
        "variants": [
            {
                "activities": list(r["trace"]),
                "count": int(r["n"]),
                "share": int(r["n"]) / n_contacts,
                "mean_duration_s": r["mean_duration_s"],
            }
            for r in variants
        ],
        "n_variants": int(variants[0]["n_variants"]) if variants else 0,
        "loops": loops,
        "self_loops": [
            {"activity": r["activity"], "count": int(r["n"]), "contacts": int(r["contacts"])}
            for r in engine.rows(
                f"SELECT activity, sum(count) AS n, sum(contacts) AS contacts FROM {_P}self_loops "
                f"GROUP BY activity ORDER BY n DESC, contacts DESC, activity"
            )
        ],
        "rework_contacts": sum(int(p["rework_contacts"]) for p in partials),
    }


def _endpoints(engine: Engine, side: str) -> dict[str, int]:
    rows = engine.rows(
        f"SELECT activity, sum(n) AS n FROM {_P}{side} GROUP BY activity ORDER BY n DESC, activity"
    )
    return {r["activity"]: int(r["n"]) for r in rows}


__all__ = ["merge_flow"]
