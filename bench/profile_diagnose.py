"""Where a diagnosis spends its time: per step, per SQL statement, and DuckDB's costliest operators.

Runs ``cxray.diagnose`` and ``write_outputs`` on one file through an engine that times every statement
(wall and CPU seconds, by the cxray source line that sent it and the progress step it ran in) and, with
``--operators``, has DuckDB profile each one (``enable_profiling = 'json'``, one file a statement, read
back at once): the issue's "record the three costliest operators per step". Profiling adds some time
of its own; compare runs made the same way, in the same sitting. Usage::

    .venv/bin/python bench/profile_diagnose.py bench/results/data/sim-10000000-seed1.parquet --operators
    .venv/bin/python bench/profile_diagnose.py LOG.xes --mapping helpdesk --top 10 --json prof.json

Prints each step's seconds, the ``--top`` costliest statement sites (seconds, CPU seconds, calls, step)
and, with ``--operators``, the three costliest operators of each step (operator, seconds of operator
time summed over threads, rows out, statement site).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from cxray import Engine, diagnose, write_outputs  # noqa: E402
from cxray.io import ReadOptions  # noqa: E402

_ENV = ("CXRAY_MEMORY_LIMIT", "CXRAY_THREADS")
_TIMED = ("execute", "arrow", "numpy", "rows", "fetchall", "scalar")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _site() -> str:
    """The first frame outside the engine and this script: ``module.py:line:function``."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.endswith(("engine.py", "profile_diagnose.py")):
        frame = frame.f_back
    if frame is None:
        return "?"
    return f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno}:{frame.f_code.co_name}"


class Recorder:
    """The progress sink: which step is running, and each step's seconds."""

    def __init__(self) -> None:
        self.current = "(before the first step)"
        self.steps: dict[str, float] = {}
        self._t0 = time.perf_counter()

    def step(self, name: str) -> None:
        self._finish()
        self.current, self._t0 = name, time.perf_counter()

    def done(self) -> None:
        self._finish()
        self.current, self._t0 = "(after the last step)", time.perf_counter()

    def _finish(self) -> None:
        self.steps[self.current] = self.steps.get(self.current, 0.0) + time.perf_counter() - self._t0


class ProfiledEngine(Engine):
    """An ``Engine`` that records every statement it runs (see the module docstring)."""

    def __init__(self, recorder: Recorder, profile_dir: Path | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recorder, self.profile_dir = recorder, profile_dir
        self.sites: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
        self.operators: list[dict[str, Any]] = []
        self._n = 0
        if profile_dir is not None:
            self.con.execute("SET enable_profiling = 'json'")
            self.con.execute("SET profiling_mode = 'standard'")


def _timed(name: str) -> Any:
    original = getattr(Engine, name)

    def run(self: ProfiledEngine, *args: Any, **kwargs: Any) -> Any:
        site, step = _site(), self.recorder.current
        path = None
        if self.profile_dir is not None:
            self._n += 1
            path = self.profile_dir / f"q{self._n}.json"
            self.con.execute(f"SET profiling_output = '{path}'")
        t0, c0 = time.perf_counter(), _cpu()
        try:
            return original(self, *args, **kwargs)
        finally:
            record = self.sites[(site, step)]
            record[0] += 1
            record[1] += time.perf_counter() - t0
            record[2] += _cpu() - c0
            if path is not None and path.exists():
                self.operators += [{**op, "site": site, "step": step} for op in _operators(path)]
                path.unlink()

    return run


for _name in _TIMED:
    setattr(ProfiledEngine, _name, _timed(_name))


def _operators(path: Path) -> list[dict[str, Any]]:
    """Every operator of one query's JSON profile: name, seconds, rows out."""
    try:
        tree = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    found: list[dict[str, Any]] = []

    def walk(node: dict[str, Any]) -> None:
        name = node.get("operator_name") or node.get("operator_type") or node.get("name") or "?"
        seconds = node.get("operator_timing", node.get("timing", 0.0)) or 0.0
        rows = node.get("operator_cardinality", node.get("intermediate_rows", node.get("cardinality")))
        if seconds:
            found.append({"operator": str(name).strip(), "seconds": float(seconds), "rows": rows})
        for child in node.get("children", []):
            walk(child)

    for child in tree.get("children") or tree.get("operator") or []:
        walk(child)
    return found


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("log", type=Path, help="an event file cxray reads")
    p.add_argument("--mapping", help="a built-in mapping or a mapping file, as `cxray diagnose --mapping`")
    p.add_argument("--top", type=int, default=25, help="statement sites to print")
    p.add_argument("--operators", action="store_true", help="profile every statement's operators")
    p.add_argument("--json", type=Path, help="also write everything measured to this file")
    args = p.parse_args()

    recorder = Recorder()
    with tempfile.TemporaryDirectory(prefix="cxray-prof-") as tmp:
        profile_dir = Path(tmp) if args.operators else None
        t0 = time.perf_counter()
        with ProfiledEngine(recorder, profile_dir) as engine:
            read = ReadOptions(mapping=args.mapping) if args.mapping else None
            result = diagnose([args.log], engine=engine, progress=recorder, read=read)
            recorder.step("writing outputs")
            write_outputs(result, Path(tmp) / "out", engine=engine)
            recorder.done()
            sites, operators = dict(engine.sites), engine.operators
        total = time.perf_counter() - t0

    statements = sum(v[1] for v in sites.values())
    print(f"{args.log.name}: {total:.1f} s in all, {statements:.1f} s in {len(sites)} statement sites")
    print("\nsteps: " + ", ".join(f"{k} {v:.2f}" for k, v in recorder.steps.items()))
    print("\n| seconds | CPU s | calls | statement site | step |\n|---:|---:|---:|---|---|")
    ranked = sorted(sites.items(), key=lambda kv: -kv[1][1])
    for (site, step), (calls, wall, cpu) in ranked[: args.top]:
        print(f"| {wall:.2f} | {cpu:.2f} | {int(calls)} | {site} | {step} |")
    by_step: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for op in operators:
        by_step[op["step"]].append(op)
    if operators:
        print("\nthe three costliest operators of each step (operator seconds, summed over threads):")
        for step, ops in by_step.items():
            top = sorted(ops, key=lambda o: -o["seconds"])[:3]
            shown = "; ".join(
                f"{o['operator']} {o['seconds']:.2f} s ({o['rows']} rows, {o['site']})" for o in top
            )
            print(f"- {step}: {shown}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "log": str(args.log),
                    "total_s": total,
                    "steps": recorder.steps,
                    "sites": [
                        {"site": s, "step": st, "calls": int(v[0]), "seconds": v[1], "cpu_s": v[2]}
                        for (s, st), v in ranked
                    ],
                    "operators": operators,
                    "env": {k: v for k, v in os.environ.items() if k in _ENV},
                },
                indent=1,
                default=str,
            )
        )


if __name__ == "__main__":
    main()
