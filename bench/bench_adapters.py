"""Reading a platform export against reading the same contacts as canonical Parquet (issue 17's budget:
1M Amazon Connect contact records, JSON Lines gzip, within 2x of the Parquet read).

Builds N contact records from the simulated centre's own export (``export_connect``: transfer legs,
abandons, about one leg in twenty delivered twice), repeating its contacts under new ids until there are N,
written as ``contact-records.jsonl.gz``; reads them once through the adapter and writes the resulting
canonical events as Parquet. Then times, each in a fresh interpreter, ``read_events`` of the records
(``--mapping amazon-connect-ctr``) and ``read_events`` of the Parquet file: the same events either way.

    .venv/bin/python bench/bench_adapters.py --records 1000000

Prints the two times, their ratio and each process's peak RSS. ``--runs N`` times each read N times,
alternating them (this VM's speed drifts by half within minutes): the medians, their ratio and the range
of the ratios of each run's pair. The CPU seconds (user and system, all threads) say how much work each
read is, which the VM's drift moves less than the wall time. ``--files N`` splits the records into N
gzip files in a folder, as Kinesis Firehose delivers them (a file every few minutes), and reads the folder:
DuckDB reads files in parallel, while one gzip file reads on one thread.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from cxray.engine import Engine
from cxray.io import ReadOptions, read_events
from cxray.simulate import load_scenario, simulate
from cxray.simulate.export_connect import contact_records

ROUND_TRIP = {  # the round-trip test's options
    "reader": "amazon-connect-ctr",
    "reader_options": {
        "customer_attribute": "customer_id",
        "reason_attribute": "reason",
        "outcome_attribute": "disposition",
    },
}
_IDS = ("ContactId", "InitialContactId", "PreviousContactId")


def build(n: int, folder: Path) -> tuple[Path, Path]:
    records_path, parquet_path = folder / f"ctr-{n}.jsonl.gz", folder / f"ctr-{n}.parquet"
    if records_path.exists() and parquet_path.exists():
        return records_path, parquet_path
    base = contact_records(simulate(load_scenario("default"), seed=1, days=14, customers=20000).events)
    written = 0
    with gzip.open(records_path, "wt", encoding="utf-8", compresslevel=6) as f:
        copy = 0
        while written < n:
            for record in base:
                if written == n:
                    break
                r = dict(record)
                for key in _IDS:
                    if key in r:
                        r[key] = f"{r[key]}-r{copy}"
                attributes = dict(r.get("Attributes") or {})
                if "customer_id" in attributes:
                    attributes["customer_id"] = f"{attributes['customer_id']}-r{copy}"
                r["Attributes"] = attributes
                f.write(json.dumps(r, separators=(",", ":")) + "\n")
                written += 1
            copy += 1
    with Engine() as engine:
        read_events([records_path], engine, options=ReadOptions(mapping=_mapping()))
        engine.execute(f"COPY events TO '{parquet_path}' (FORMAT parquet, COMPRESSION zstd)")
    return records_path, parquet_path


def split(records_path: Path, n_files: int) -> Path:
    """The records of ``records_path`` in ``n_files`` gzip files (in order) in a folder beside it."""
    folder = records_path.with_name(f"{records_path.name.split('.')[0]}-{n_files}files")
    if folder.exists():
        return folder
    folder.mkdir()
    with gzip.open(records_path, "rt", encoding="utf-8") as f:
        lines = f.readlines()
    size = -(-len(lines) // n_files)
    for k in range(n_files):
        with gzip.open(folder / f"part-{k:04d}.json.gz", "wt", encoding="utf-8", compresslevel=6) as out:
            out.writelines(lines[k * size : (k + 1) * size])
    return folder


def _mapping():
    from cxray.io.mapping import Mapping

    return Mapping.from_dict(ROUND_TRIP)


_CHILD = """
import json, resource, sys, time
from cxray.engine import Engine
from cxray.io import ReadOptions, read_events
from cxray.io.mapping import Mapping
path, mapping = sys.argv[1], json.loads(sys.argv[2])
options = ReadOptions(mapping=Mapping.from_dict(mapping) if mapping else None)
def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime
with Engine() as engine:
    t0, c0 = time.perf_counter(), cpu()
    s = read_events([path], engine, options=options)
    took, used = time.perf_counter() - t0, cpu() - c0
print(json.dumps({"s": took, "cpu": used, "rows": s.rows_kept, "records": s.records_read,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def timed(path: Path, mapping: dict | None) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), json.dumps(mapping)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--data-dir", type=Path, default=Path(__file__).parent / "results" / "data")
    parser.add_argument("--files", type=int, default=1, help="split the records into N gzip files")
    parser.add_argument("--runs", type=int, default=1, help="time each read N times, alternating")
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    records, parquet = build(args.records, args.data_dir)
    print(f"built in {time.perf_counter() - t0:.1f} s: {records.stat().st_size / 1e6:.0f} MB gzip records, "
          f"{parquet.stat().st_size / 1e6:.0f} MB Parquet")  # fmt: skip
    if args.files > 1:
        records = split(records, args.files)
    pairs = [(timed(records, ROUND_TRIP), timed(parquet, None)) for _ in range(args.runs)]
    ctr, canonical = (max(runs, key=lambda r: r["rss_mb"]) for runs in zip(*pairs, strict=True))
    assert ctr["rows"] == canonical["rows"], (ctr, canonical)
    ctr_s, canonical_s = (statistics.median(r["s"] for r in runs) for runs in zip(*pairs, strict=True))
    ctr_cpu, canonical_cpu = (statistics.median(r["cpu"] for r in runs) for runs in zip(*pairs, strict=True))
    ratios = sorted(c["s"] / p["s"] for c, p in pairs)
    spread = f" (runs x{ratios[0]:.2f}-x{ratios[-1]:.2f})" if len(ratios) > 1 else ""
    print(
        "| records | events | CTR read s | Parquet read s | ratio | CPU s (CTR / Parquet) "
        "| CTR peak MB | Parquet peak MB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {ctr['records']:,} | {ctr['rows']:,} | {ctr_s:.2f} | {canonical_s:.2f} | "
        f"x{ctr_s / canonical_s:.2f}{spread} | {ctr_cpu:.1f} / {canonical_cpu:.1f} | "
        f"{ctr['rss_mb']:.0f} | {canonical['rss_mb']:.0f} |"
    )


if __name__ == "__main__":
    main()
