"""Benchmark: ``cxray diagnose`` of this working tree against an earlier commit, side by side, one machine.

Each version runs the same command on the same log in its own process (``PYTHONPATH`` pointing at its
``src/``), the runs interleaved (base, new, base, new, ...) so that a noisy neighbour hurts both alike; the
table gives each run's wall time and peak RSS, the medians and the ratio new / base. The base commit is
checked out into a temporary ``git worktree`` (removed afterwards). Usage::

    .venv/bin/python bench/compare_versions.py --base HEAD --sim 1000000 --runs 3
    .venv/bin/python bench/compare_versions.py --base HEAD~3 --log some.csv --args "--mapping helpdesk"
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from bench_diagnose import simulated  # noqa: E402
from bench_flow import measure  # noqa: E402


def csv_of(parquet: Path) -> Path:
    """The simulated Parquet log as CSV (what a user exports), cached beside it."""
    path = parquet.with_suffix(".csv")
    if not path.exists():
        import duckdb

        duckdb.sql(f"COPY (SELECT * FROM read_parquet('{parquet}')) TO '{path}' (HEADER)")
    return path


def run(src: Path, log: Path, extra: list[str], out: Path) -> dict:
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = str(src) + (os.pathsep + env_path if env_path else "")
    try:
        argv = [sys.executable, "-m", "cxray", "diagnose", str(log), "--out", str(out), "-q", *extra]
        return measure(argv)
    finally:
        os.environ["PYTHONPATH"] = env_path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", default="HEAD", help="the commit to compare with (default HEAD)")
    p.add_argument("--sim", type=int, default=1_000_000, help="simulated log of about this many events")
    p.add_argument("--log", type=Path, help="a log file instead of the simulated one")
    p.add_argument("--args", default="", help="extra arguments for cxray diagnose (quoted)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--data-dir", type=Path, default=HERE / "results" / "data")
    a = p.parse_args()
    log = a.log or csv_of(simulated(a.sim, a.data_dir))
    extra = shlex.split(a.args)
    with tempfile.TemporaryDirectory(prefix="cxray-base-") as tmp:
        base = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(base), a.base], check=True,
                       capture_output=True)  # fmt: skip
        try:
            times: dict[str, list[dict]] = {"base": [], "new": []}
            for i in range(a.runs):
                for name, src in (("base", base / "src"), ("new", REPO / "src")):
                    r = run(src, log, extra, Path(tmp) / f"out-{name}-{i}")
                    times[name].append(r)
                    if r["rc"] != 0:
                        raise SystemExit(f"{name} failed: {r.get('error')}")
                    print(
                        f"run {i + 1} {name:>4}: {r['wall_s']:.2f} s, {r['peak_rss_mb']:.0f} MB", flush=True
                    )
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(base)], check=False)
    med = {k: statistics.median(r["wall_s"] for r in v) for k, v in times.items()}
    print(f"\nlog: {log.name}; base {a.base}; median wall: base {med['base']:.2f} s, new {med['new']:.2f} s; "
          f"new / base = x{med['new'] / med['base']:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
