"""Benchmark: ``diagnose_spark`` throughput against partitions and workers, beside the DuckDB ``diagnose``.

The log is the simulated centre of ``bench_diagnose.simulated`` (queues, teams, reasons, bots, back
office), written once to Parquet. For each size the DuckDB run (all cores) is timed first, then Spark in
local mode with ``local[W]`` for each worker count W and each partition count P; every run is checked
against the DuckDB one on its counts (contacts, journeys, DFG edges, ranked breakdown codes), so a fast
wrong run cannot pass. Spark local mode on one machine is expected to be slower than DuckDB: it is for
scale-out, and what this measures is how its cost grows with events, partitions and workers.

Usage::

    .venv/bin/python bench/bench_spark.py --events 1000000 --workers 1,2 --partitions 2,4,8
    .venv/bin/python bench/bench_spark.py --events 10000000 --workers 2 --partitions 8
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _signature(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "contacts": d["metrics"]["overall"]["contacts"],
        "journeys": d["metrics"]["overall"]["journeys"],
        "dfg_edges": [(e["from"], e["to"], e["count"]) for e in d["flow"]["dfg"]],
        "breakdowns": [b["code"] for b in d["breakdowns"]],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", default="1000000", help="comma-separated sizes (approximate event counts)")
    p.add_argument("--workers", default="1,2", help="comma-separated local[W] core counts")
    p.add_argument("--partitions", default="2,4,8", help="comma-separated partition counts")
    p.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "cxray-bench")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()

    from bench_diagnose import simulated

    from cxray.diagnose import diagnose
    from cxray.engine import Engine
    from cxray.spark import diagnose_spark, local_session

    os.environ.setdefault("CXRAY_SPARK_DRIVER_MEMORY", "6g")
    args.data_dir.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    for size in [int(s) for s in args.events.split(",")]:
        path = simulated(size, args.data_dir, seed=args.seed)
        t0 = time.perf_counter()
        with Engine() as engine:
            base = diagnose([path], engine=engine).to_dict()
        duck_s = time.perf_counter() - t0
        n = base["input"]["rows_kept"]
        rows.append(
            {"engine": "duckdb", "events": n, "workers": os.cpu_count(), "partitions": 1, "s": duck_s}
        )
        print(f"duckdb   {n:>11,} events  {duck_s:7.1f}s  {n / duck_s:>10,.0f} ev/s", file=sys.stderr)
        for workers in [int(w) for w in args.workers.split(",")]:
            spark = local_session(cores=workers, shuffle_partitions=max(workers * 2, 4), app="cxray-bench")
            spark.sparkContext.setLogLevel("ERROR")
            for parts in [int(x) for x in args.partitions.split(",")]:
                t0 = time.perf_counter()
                with Engine() as engine:
                    got = diagnose_spark([path], spark=spark, partitions=parts, engine=engine).to_dict()
                s = time.perf_counter() - t0
                same = _signature(got) == _signature(base)
                rows.append(
                    {
                        "engine": "spark",
                        "events": n,
                        "workers": workers,
                        "partitions": parts,
                        "s": s,
                        "same": same,
                    }
                )
                print(
                    f"spark    {n:>11,} events  local[{workers}] P={parts:<3} {s:7.1f}s  "
                    f"{n / s:>10,.0f} ev/s  "
                    f"{'same' if same else 'DIFFERENT'}  x{s / duck_s:.1f} DuckDB",
                    file=sys.stderr,
                )
            spark.stop()
    out = HERE / "results" / f"spark-{args.events.replace(',', '_')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"cpus": os.cpu_count(), "runs": rows}, indent=2) + "\n")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
