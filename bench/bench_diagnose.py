"""Benchmark: the whole ``cxray diagnose`` against pm4py's flow map alone, and its budget at 10M events.

One run measures, each contender in its own process (wall time and peak RSS from ``wait4``, through
``bench_flow.measure``):

* ``pm4py``: read + ``format_dataframe`` + DFG + performance DFG + variants (``bench_flow.child_pm4py``);
* ``cxray``: read + ``flow_map`` (``bench_flow.child_cxray``);
* ``diagnose``: ``python -m cxray diagnose FILE --out TMP -q``, the command a user runs;
* ``steps``: the same pipeline through the library with ``StderrProgress``, so the table can say where
  the time goes (and, with ``--detectors``, how long each breakdown detector takes).

Logs: the numpy log of ``bench_flow.generate`` (``--events``, CSV and/or Parquet) and, with ``--sim N``,
the simulator scaled to about N events (queues, teams, reasons, bots, back office: what the numpy log
lacks), written to Parquet. Usage::

    .venv/bin/python bench/bench_diagnose.py --events 1000000:csv,10000000:parquet --sim 10000000 --detectors
    .venv/bin/python bench/bench_diagnose.py --events 1000000:csv --only pm4py,diagnose
    .venv/bin/python bench/bench_diagnose.py --events 1000000:csv --sim 100000,1000000,10000000 \
        --only pm4py,diagnose   # what ``make bench`` runs: the table and issue 14's budget lines
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_flow import generate, measure, write  # noqa: E402  (also puts src/ on sys.path)

# Events per simulated customer over 30 days of the default scenario (measured: 59,943 for 20,000).
_SIM_EVENTS_PER_CUSTOMER = 3.0
_SIM_DAYS = 30


# --- logs ---------------------------------------------------------------------------------------------
def simulated(n_events: int, directory: Path, seed: int = 1) -> Path:
    """The default scenario scaled to about ``n_events`` events over 30 days, as Parquet (cached)."""
    path = directory / f"sim-{n_events}-seed{seed}.parquet"
    if path.exists():
        return path
    import pyarrow.parquet as pq

    from cxray import schema as S
    from cxray.simulate import load_scenario, simulate

    customers = max(1, round(n_events / _SIM_EVENTS_PER_CUSTOMER))
    sim = simulate(load_scenario("default"), seed=seed, customers=customers, days=_SIM_DAYS)
    directory.mkdir(parents=True, exist_ok=True)
    pq.write_table(sim.events.drop_columns(list(S.INTERNAL)), path, compression="zstd")
    return path


# --- the library child: per-step (and per-detector) times --------------------------------------------
class _Recorder:
    """A ``StderrProgress`` that also keeps each step's seconds for the JSON line."""

    def __init__(self) -> None:
        from cxray.progress import StderrProgress

        self.printer = StderrProgress()
        self.times: dict[str, float] = {}
        self._name: str | None = None
        self._t0 = 0.0

    def step(self, name: str) -> None:
        self._finish()
        self._name, self._t0 = name, time.perf_counter()
        self.printer.step(name)

    def done(self) -> None:
        self._finish()
        self._name = None
        self.printer.done()

    def _finish(self) -> None:
        if self._name is not None:
            self.times[self._name] = round(time.perf_counter() - self._t0, 2)


def _time_detectors(times: dict[str, float]) -> None:
    """Wrap every registered detector's ``detect`` to add its seconds to ``times`` (bench only)."""
    from cxray.findings import registered_detectors

    for code, cls in registered_detectors().items():
        original = cls.detect

        def timed(self, ctx, _original=original, _code=code):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            try:
                return _original(self, ctx)
            finally:
                times[_code] = round(times.get(_code, 0.0) + time.perf_counter() - t0, 2)

        cls.detect = timed  # type: ignore[method-assign]


def child_steps(path: Path, out_dir: Path, detectors: bool) -> dict:
    from cxray import Engine, diagnose, write_outputs

    progress = _Recorder()
    by_detector: dict[str, float] = {}
    if detectors:
        _time_detectors(by_detector)
    t0 = time.perf_counter()
    with Engine() as engine:
        result = diagnose([path], engine=engine, progress=progress)
        t1 = time.perf_counter()
        try:  # the step times stand even when the report cannot be written
            write_outputs(result, out_dir, engine=engine)
            failed = None
        except Exception as exc:  # reported in the table, not hidden
            failed = f"{type(exc).__name__}: {exc}"[:200]
    steps = {**progress.times, "writing outputs": round(time.perf_counter() - t1, 2)}
    return {
        "write_error": failed,
        "steps": steps,
        "detectors": by_detector,
        "diagnose_s": t1 - t0,
        "n_findings": result.breakdown_summary.get("n_findings"),
        "top": [b["code"] for b in result.breakdowns],
    }


# --- the parent ---------------------------------------------------------------------------------------
def contenders(path: Path, only: set[str], out_dir: Path, detectors: bool) -> dict[str, list[str]]:
    py = sys.executable
    flow = [py, str(HERE / "bench_flow.py"), "--child"]
    runs = {}
    if "pm4py" in only and path.suffix == ".csv":
        runs["pm4py"] = [*flow, "pm4py", str(path)]
    if "cxray" in only:
        runs["cxray"] = [*flow, "cxray", str(path)]
    if "diagnose" in only:
        runs["diagnose"] = [py, "-m", "cxray", "diagnose", str(path), "--out", str(out_dir), "-q"]
    if "steps" in only:
        me = [py, str(Path(__file__).resolve()), "--child", str(path), str(out_dir)]
        runs["steps"] = me + (["--detectors"] if detectors else [])
    return runs


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--events",
        default="1000000:csv,10000000:parquet",
        help="numpy logs: N[:formats] separated by commas, e.g. 1000000:csv,10000000:parquet ('': none)",
    )
    p.add_argument("--formats", default="csv,parquet", help="formats for an N given without any")
    p.add_argument(
        "--sim",
        default="",
        help="also simulated logs of about these many events, separated by commas (e.g. 1000000,10000000)",
    )
    p.add_argument("--only", default="pm4py,cxray,diagnose,steps", help="contenders to run")
    p.add_argument("--detectors", action="store_true", help="time each detector in the steps child")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data-dir", type=Path, default=HERE / "results" / "data")
    p.add_argument("--child", nargs=2, metavar=("FILE", "OUT"), help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.child:
        print(json.dumps(child_steps(Path(args.child[0]), Path(args.child[1]), args.detectors)))
        return

    logs: list[tuple[str, str, Path]] = []
    for spec in filter(None, args.events.split(",")):
        t0 = time.perf_counter()
        size, _, fmts = spec.partition(":")
        n, formats = int(size), (fmts or args.formats).split("+")
        wanted = {f: args.data_dir / f"events-{n}.{f}" for f in formats}
        if not all(path.exists() for path in wanted.values()):  # cached: the generator is seeded
            table = generate(n, seed=args.seed)
            wanted = write(table, args.data_dir, n, formats)
            del table
        logs += [(f"numpy {n:,}", fmt, path) for fmt, path in wanted.items()]
        print(f"numpy log {n:,} ready in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    for size in filter(None, args.sim.split(",")):
        t0, n = time.perf_counter(), int(size)
        logs.append((f"sim ~{n:,}", "parquet", simulated(n, args.data_dir, seed=args.seed)))
        print(f"simulated log ~{n:,} ready in {time.perf_counter() - t0:.1f}s", file=sys.stderr)

    rows = []
    only = set(args.only.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        for log, fmt, path in logs:
            for who, argv in contenders(path, only, Path(tmp) / "out", args.detectors).items():
                r = measure(argv)
                r.update({"who": who, "log": log, "format": fmt, "file_mb": path.stat().st_size / 2**20})
                r["events"] = _rows(path)
                rows.append(r)
                print(json.dumps(r), file=sys.stderr)
    report(rows, args)


def report(rows: list[dict], args: argparse.Namespace) -> None:
    env = {k: os.environ[k] for k in ("CXRAY_MEMORY_LIMIT", "CXRAY_THREADS") if k in os.environ}
    print(f"\n{os.cpu_count()} CPUs, seed {args.seed}, env {env or 'default'}\n")
    print("| log | format | contender | wall s | peak RSS MB | note |")
    print("|---|---|---|---:|---:|---|")
    for r in rows:
        note = (
            r.get("error") or r.get("digest") or " ".join(f"{k} {v}" for k, v in r.get("steps", {}).items())
        )
        print(
            f"| {r['log']} | {r['format']} | {r['who']} | {r['wall_s']:.1f} "
            f"| {r['peak_rss_mb']:.0f} | {note} |"
        )
    for r in rows:
        if r.get("detectors"):
            slow = sorted(r["detectors"].items(), key=lambda kv: -kv[1])
            print(f"\ndetectors ({r['log']}): " + ", ".join(f"{k} {v}" for k, v in slow))
    by = {(r["log"], r["format"], r["who"]): r for r in rows}
    for (log, fmt, who), base in by.items():
        diag = by.get((log, fmt, "diagnose"))
        if who == "pm4py" and diag and not diag["rc"]:
            print(
                f"\npm4py flow / cxray diagnose ({log}, {fmt}): wall x{base['wall_s'] / diag['wall_s']:.2f}, "
                f"peak RSS x{base['peak_rss_mb'] / diag['peak_rss_mb']:.2f}"
            )
    lines = budget(rows)
    if lines:
        print("\nIssue 14's budget (this run):\n" + "\n".join(f"- {line}" for line in lines))
    sims = args.sim.replace(",", "_") or "0"
    out = HERE / "results" / f"diagnose-{args.events.replace(':', '-').replace(',', '_')}-{sims}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))


def _rows(path: Path) -> int | None:
    """A Parquet file's row count from its footer (None for other formats)."""
    if path.suffix != ".parquet":
        return None
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def budget(rows: list[dict]) -> list[str]:
    """The issue's budget lines for what this run measured (the whole ``diagnose`` CLI): at 1M (CSV) at
    most a third of pm4py's flow map; the simulated centre at 10M within 30 s and 4 GiB; the time per
    event flat (+-20%) from 1M to 10M simulated events."""

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    lines = []
    diag = {(r["log"], r["format"]): r for r in rows if r["who"] == "diagnose" and not r.get("rc")}
    for r in rows:
        d = diag.get((r["log"], r["format"]))
        if r["who"] == "pm4py" and not r.get("rc") and d:
            share = d["wall_s"] / r["wall_s"]
            lines.append(
                f"{r['log']} {r['format']}: diagnose {d['wall_s']:.1f} s = {share:.2f} of pm4py's flow map "
                f"{r['wall_s']:.1f} s (target at most 0.33 at 1M): {met(share <= 1 / 3)}"
            )
    per_event = {}
    for (log, _), d in diag.items():
        if not log.startswith("sim ~"):
            continue
        n = int(log.removeprefix("sim ~").replace(",", ""))  # the size asked for; the log's own count
        events = d.get("events") or n
        per_event[n] = d["wall_s"] / events * 1e6
        line = (
            f"{log} ({events:,} events): {d['wall_s']:.1f} s, {per_event[n]:.2f} us an event, "
            f"peak {d['peak_rss_mb'] / 1024:.2f} GiB"
        )
        if n == 10_000_000:
            line += f" (targets 30 s: {met(d['wall_s'] <= 30)}; 4 GiB: {met(d['peak_rss_mb'] <= 4096)})"
        lines.append(line)
    if 1_000_000 in per_event and 10_000_000 in per_event:
        growth = per_event[10_000_000] / per_event[1_000_000]
        flat = met(abs(growth - 1) <= 0.2) + (" (10M the cheaper per event)" if growth < 0.8 else "")
        lines.append(f"time per event 10M / 1M: x{growth:.2f} (target flat within +-20%): {flat}")
    return lines


if __name__ == "__main__":
    main()
