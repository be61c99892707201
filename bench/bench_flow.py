"""Benchmark: cxray's DuckDB flow map against pm4py's on the same synthetic contact-centre log.

Generates a seeded synthetic canonical log (CSV and Parquet), then runs each contender in its own
subprocess so that wall time and peak RSS belong to it alone:

* ``pm4py``: pandas ``read_csv`` + ``pm4py.format_dataframe`` + ``discover_dfg`` +
  ``discover_performance_dfg`` + ``get_variants`` (pm4py is AGPL: it is only ever imported here and
  in tests, never by ``src/``);
* ``cxray``: read the file into the canonical ``events`` table + ``cxray.process.flow_map``;
* ``diagnose``: the whole ``cxray diagnose`` command, when the CLI exists and runs.

Each child also reports a digest of its DFG and variant counts, so the table says whether the two
tools agreed. See ``bench/README.md``. Usage::

    .venv/bin/python bench/bench_flow.py --events 1000000
    .venv/bin/python bench/bench_flow.py --events 10000000 --formats parquet --only cxray
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "src"))

from cxray import schema as S  # noqa: E402

ACTIVITIES = (
    "IVR menu", "Bot greeting", "Verify identity", "Queue", "Agent answer", "Hold", "Transfer",
    "Escalate", "Callback scheduled", "Back-office task", "Update account", "Refund issued",
    "Send email", "Customer reply", "Reopen", "Survey", "Resolve", "Close", "Abandon", "Knowledge lookup",
)  # fmt: skip
CHANNELS = ("phone", "chat", "email", "bot")
OUTCOMES = (S.RESOLVED, S.TRANSFERRED, S.ABANDONED, S.UNRESOLVED, S.CONTAINED)


# --- the synthetic log ------------------------------------------------------------------------------
def generate(n_events: int, *, per_contact: float = 10.0, n_activities: int = 20, seed: int = 1) -> pa.Table:
    """A canonical log of exactly ``n_events`` events, rows in global time order like a real export.

    Activities follow a sparse random Markov chain (so there are many but not unboundedly many
    variants); gaps are whole seconds, ~5% of them zero, so equal timestamps within a contact occur.
    Vectorised over contacts: the Python loop runs once per position, never per event.
    """
    rng = np.random.default_rng(seed)
    k = min(n_activities, len(ACTIVITIES))
    n_contacts = int(n_events / per_contact * 1.2) + 10
    lengths = 1 + rng.poisson(per_contact - 1, n_contacts)
    ends = np.cumsum(lengths)
    n_contacts = int(np.searchsorted(ends, n_events) + 1)  # the last contact is cut at n_events
    lengths = lengths[:n_contacts]
    lengths[-1] -= int(ends[n_contacts - 1] - n_events)
    width = int(lengths.max())

    transition = rng.dirichlet(np.full(k, 0.03), size=k).cumsum(axis=1)
    start = rng.dirichlet(np.full(k, 0.5)).cumsum()
    acts = np.zeros((n_contacts, width), dtype=np.int16)
    acts[:, 0] = np.minimum(np.searchsorted(start, rng.random(n_contacts)), k - 1)
    for j in range(1, width):
        u = rng.random(n_contacts)[:, None]
        acts[:, j] = np.minimum((u > transition[acts[:, j - 1]]).sum(axis=1), k - 1)
    gaps = np.rint(rng.exponential(90.0, (n_contacts, width))) * (rng.random((n_contacts, width)) > 0.05)
    gaps[:, 0] = rng.integers(0, 90 * 86400, n_contacts)
    seconds = gaps.cumsum(axis=1).astype(np.int64) + 1_704_067_200  # 2024-01-01 UTC
    mask = np.arange(width)[None, :] < lengths[:, None]

    contact = np.repeat(np.arange(n_contacts), lengths)
    position = np.broadcast_to(np.arange(width), (n_contacts, width))[mask]
    ts = seconds[mask]
    order = np.lexsort((position, contact, ts))  # global time order; a contact's ties keep their order
    contact, position, ts, act = contact[order], position[order], ts[order], acts[mask][order]
    customers = rng.integers(0, max(1, n_contacts * 2 // 3), n_contacts)
    channel = rng.integers(0, len(CHANNELS), n_contacts)
    is_last = position == lengths[contact] - 1
    outcome = np.where(is_last, rng.integers(0, len(OUTCOMES), len(contact)), -1)

    names = np.array(ACTIVITIES[:k], dtype=object)
    return pa.table(
        {
            S.CONTACT_ID: pa.array(np.char.add("C", contact.astype("U9")).astype(object)),
            S.TIMESTAMP: pa.array(ts, pa.timestamp("s")),
            S.ACTIVITY: pa.array(names[act]),
            S.CUSTOMER_ID: pa.array(np.char.add("K", customers[contact].astype("U9")).astype(object)),
            S.CHANNEL: pa.array(np.array(CHANNELS, dtype=object)[channel[contact]]),
            S.OUTCOME: pa.array(
                np.where(outcome >= 0, np.array(OUTCOMES, dtype=object)[outcome], None), pa.string()
            ),
            S.DURATION_S: pa.array(np.rint(rng.exponential(60.0, len(contact)))),
        }
    )


def write(table: pa.Table, directory: Path, n_events: int, formats: list[str]) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for fmt in formats:
        path = directory / f"events-{n_events}.{fmt}"
        if fmt == "csv":
            pacsv.write_csv(table, path)
        else:
            pq.write_table(table, path, compression="zstd")
        paths[fmt] = path
    return paths


# --- the contenders (each runs in a child process) ----------------------------------------------------
def _digest(dfg: dict[tuple[str, str], int], variants: dict[tuple[str, ...], int]) -> str:
    text = json.dumps([sorted(map(list, dfg.items())), sorted(map(list, variants.items()))])
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def child_pm4py(path: Path) -> dict:
    import warnings

    import pandas as pd

    warnings.simplefilter("ignore")
    import pm4py  # imported before the clock starts: its import time is in wall_s only

    t0 = time.perf_counter()
    df = pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)
    t1 = time.perf_counter()
    df = pm4py.format_dataframe(df, case_id=S.CONTACT_ID, activity_key=S.ACTIVITY, timestamp_key=S.TIMESTAMP)
    t2 = time.perf_counter()
    dfg, _, _ = pm4py.discover_dfg(df)
    pm4py.discover_performance_dfg(df)
    variants = pm4py.get_variants(df)
    t3 = time.perf_counter()
    return {
        "read_s": t1 - t0,
        "prepare_s": t2 - t1,
        "flow_s": t3 - t2,
        "digest": _digest(
            {tuple(k): int(v) for k, v in dfg.items()}, {tuple(k): int(v) for k, v in variants.items()}
        ),
        "n_variants": len(variants),
    }


def _load_cxray(engine, path: Path) -> None:
    """Read with ``cxray.io`` when it exists; until then, straight into the canonical table."""
    try:
        from cxray.io import ReadOptions, read_events
    except ImportError:
        literal = "'" + str(path).replace("'", "''") + "'"
        source = f"{'read_csv' if path.suffix == '.csv' else 'read_parquet'}({literal})"
        cols = [r[0] for r in engine.con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        select = [
            f'"{c}"' if c in cols else f'NULL::{"DOUBLE" if c in S.OPTIONAL_NUMERIC else "VARCHAR"} AS "{c}"'
            for c in S.CANONICAL
        ]
        engine.execute(
            f"""CREATE TABLE {S.EVENTS_TABLE} AS
            SELECT {", ".join(select)}, row_number() OVER () AS {S.SOURCE_ROW},
                   'bench' AS {S.SOURCE_FILE}
            FROM {source}"""
        )
        return
    read_events([path], engine, options=ReadOptions())


def child_cxray(path: Path) -> dict:
    from cxray.engine import Engine
    from cxray.process import flow_map

    t0 = time.perf_counter()
    with Engine() as engine:
        _load_cxray(engine, path)
        t1 = time.perf_counter()
        flow = flow_map(engine, top_variants=0)
        t2 = time.perf_counter()
    dfg = {(e["from"], e["to"]): e["count"] for e in flow["dfg"]}
    variants = {tuple(v["activities"]): v["count"] for v in flow["variants"]}
    return {"read_s": t1 - t0, "prepare_s": 0.0, "flow_s": t2 - t1, "digest": _digest(dfg, variants),
            "n_variants": flow["n_variants"]}  # fmt: skip


# --- the parent: run children, measure, report --------------------------------------------------------
# The parent holds the generated log; a child forked from it would inherit that RSS as its "peak"
# (Linux carries the pre-exec high-water mark over exec). So a bare interpreter (~10 MB) launches
# each contender and reports the contender's own wall time and peak RSS from wait4.
_LAUNCHER = """
import json, os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - t0
kib = usage.ru_maxrss / (1024 if sys.platform == "darwin" else 1)
sys.stderr.write("\\n@@bench " + json.dumps({"wall_s": wall, "peak_rss_mb": kib / 1024}) + "\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def measure(argv: list[str]) -> dict:
    """Run ``argv`` through the launcher: wall seconds, peak RSS of that process and its last JSON line."""
    proc = subprocess.run(
        [sys.executable, "-S", "-c", _LAUNCHER, *argv], capture_output=True, text=True, check=False
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    errors = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("@@bench ")]
    stats = [ln for ln in proc.stderr.splitlines() if ln.startswith("@@bench ")]
    result: dict = {"rc": proc.returncode, **json.loads(stats[-1].removeprefix("@@bench "))}
    if lines:
        result.update(json.loads(lines[-1]))
    if proc.returncode != 0:
        result["error"] = (errors or ["?"])[-1][:200]
    return result


def contenders(path: Path, only: set[str], out_dir: Path) -> dict[str, list[str]]:
    me = [sys.executable, str(Path(__file__).resolve())]
    runs = {}
    if "pm4py" in only and path.suffix == ".csv":
        runs["pm4py"] = [*me, "--child", "pm4py", str(path)]
    if "cxray" in only:
        runs["cxray"] = [*me, "--child", "cxray", str(path)]
    if "diagnose" in only and (REPO / "src" / "cxray" / "cli.py").exists():
        runs["diagnose"] = [sys.executable, "-m", "cxray", "diagnose", str(path), "--out", str(out_dir), "-q"]
    return runs


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--per-contact", type=float, default=10.0)
    p.add_argument("--activities", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--formats", default="csv,parquet", help="csv, parquet or both")
    p.add_argument("--only", default="pm4py,cxray,diagnose", help="contenders to run")
    p.add_argument("--data-dir", type=Path, default=HERE / "results" / "data")
    p.add_argument("--child", nargs=2, metavar=("WHO", "FILE"), help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.child:
        who, file = args.child
        print(json.dumps((child_pm4py if who == "pm4py" else child_cxray)(Path(file))))
        return

    t0 = time.perf_counter()
    table = generate(args.events, per_contact=args.per_contact, n_activities=args.activities, seed=args.seed)
    paths = write(table, args.data_dir, args.events, args.formats.split(","))
    n_contacts = len(table.column(S.CONTACT_ID).unique())
    print(f"generated {table.num_rows:,} events, {n_contacts:,} contacts in {time.perf_counter() - t0:.1f}s",
          file=sys.stderr)  # fmt: skip
    del table

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, path in paths.items():
            for who, argv in contenders(path, set(args.only.split(",")), Path(tmp) / "out").items():
                r = measure(argv)
                r.update(
                    {"who": who, "format": fmt, "events": args.events, "file_mb": path.stat().st_size / 2**20}
                )
                rows.append(r)
                print(json.dumps(r), file=sys.stderr)
    report(rows, args)


def report(rows: list[dict], args: argparse.Namespace) -> None:
    print(f"\n{args.events:,} events, {os.cpu_count()} CPUs, seed {args.seed}\n")
    nan = float("nan")
    print("| contender | format | wall s | peak RSS MB | read s | flow s | variants | digest |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(
            f"| {r['who']} | {r['format']} | {r['wall_s']:.1f} | {r['peak_rss_mb']:.0f} "
            f"| {r.get('read_s', nan):.2f} | {r.get('flow_s', nan) + r.get('prepare_s', 0):.2f} "
            f"| {r.get('n_variants', '')} | {r.get('digest', r.get('error', ''))} |"
        )
    by = {(r["who"], r["format"]): r for r in rows}
    base = by.get(("pm4py", "csv"))
    for (who, fmt), r in by.items():
        if base and who != "pm4py" and not r["rc"]:
            print(f"\npm4py/{who}({fmt}): wall x{base['wall_s'] / r['wall_s']:.1f}, "
                  f"peak RSS x{base['peak_rss_mb'] / r['peak_rss_mb']:.1f}", end="")  # fmt: skip
    if base:
        agree = {r["who"]: r.get("digest") == base.get("digest") for r in rows if r["who"] == "cxray"}
        print(f"\nDFG and variant counts equal to pm4py's: {agree}")
    out = HERE / "results" / f"flow-{args.events}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
