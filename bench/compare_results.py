"""Does a refactoring change any result? ``cxray diagnose`` of every public log at two versions, compared.

Each version runs the CLI in its own process (``PYTHONPATH`` at its ``src/``) on every log of
``tests/test_real_exports.py`` (the built-in mappings and the hand-mapped ones) and on a simulated centre;
the two ``diagnosis.json`` documents of each log are compared key by key (numbers to 9 significant digits,
the ``cxray_version`` and ``options`` blocks left out: options are what a run was asked, not what it found)
and so are the row counts and columns of ``contacts.parquet`` and ``journeys.parquet``. A version's
results are cached by commit under ``bench/results/compare/`` so the base runs once. Usage::

    .venv/bin/python bench/compare_results.py --base 0286bb7          # this working tree against a commit
    .venv/bin/python bench/compare_results.py --base HEAD --only helpdesk

Exit status 1 when anything differs, with the first differences of each log printed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO / "tests"))

from test_real_exports import LOGS, UNMAPPED  # noqa: E402

IGNORED = ("cxray_version", "options")


def runs() -> list[tuple[str, list[str]]]:
    """(name, the CLI's arguments after ``diagnose``) for every log compared."""
    out = [(f"{m}:{f}", [str(SHARED / f), "--mapping", m]) for m, f in LOGS]
    out += [(f, [str(SHARED / f), *args]) for f, args in UNMAPPED.items()]
    return out


def simulated(folder: Path, src: Path) -> Path:
    """A small simulated centre (the same for both versions: made once, by the base's simulator)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "simulated.parquet"
    if not path.exists():
        code = (
            "from cxray.simulate import load_scenario, simulate; import pyarrow.parquet as pq; "
            "s = simulate(load_scenario('default'), seed=7, days=28, customers=3000); "
            f"pq.write_table(s.events, {str(path)!r})"
        )
        subprocess.run([sys.executable, "-c", code], check=True, env=_env(src))
    return path


def _env(src: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(src)}


def diagnose_all(src: Path, cache: Path, only: str | None, sim: Path) -> dict[str, Any]:
    """Every log's diagnosis (without the ignored blocks) and its tables' shapes, by log name."""
    cache.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    for name, args in [*runs(), ("simulated", [str(sim)])]:
        if only and only not in name:
            continue
        file = cache / (name.replace("/", "_").replace(":", "__") + ".json")
        if not file.exists():
            with tempfile.TemporaryDirectory() as tmp:
                argv = [sys.executable, "-m", "cxray", "diagnose", *args, "--out", tmp, "-q"]
                done = subprocess.run(argv, env=_env(src), capture_output=True, text=True)
                if done.returncode != 0:
                    result: dict[str, Any] = {"error": done.stderr.strip()[-2000:]}
                else:
                    doc = json.loads((Path(tmp) / "diagnosis.json").read_text(encoding="utf-8"))
                    result = {"diagnosis": {k: v for k, v in doc.items() if k not in IGNORED}}
                    result["tables"] = _shapes(Path(tmp))
            file.write_text(json.dumps(result, sort_keys=True), encoding="utf-8")
            print(f"  {name}: done", flush=True)
        results[name] = json.loads(file.read_text(encoding="utf-8"))
    return results


def _shapes(folder: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq

    out = {}
    for name in ("contacts", "journeys"):
        path = folder / f"{name}.parquet"
        if path.exists():
            meta = pq.read_metadata(path)
            out[name] = {"rows": meta.num_rows, "columns": meta.schema.to_arrow_schema().names}
    return out


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where ``a`` and ``b`` differ, as ``path: a != b`` lines (numbers to 9 significant digits)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}/{k}: only in {'new' if k in b else 'base'}")
            else:
                out += differences(a[k], b[k], f"{path}/{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        return [
            d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{i}]")
        ]
    numbers = isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool)
    if numbers and (math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (a != a and b != b)):
        return []
    return [] if a == b else [f"{path}: {str(a)[:120]} != {str(b)[:120]}"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", required=True, help="the commit to compare with")
    p.add_argument("--only", help="only the logs whose name contains this")
    p.add_argument("--show", type=int, default=8, help="differences printed per log")
    p.add_argument("--base-only", action="store_true", help="only run (and cache) the base version")
    a = p.parse_args()
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", a.base], capture_output=True, text=True,
                            check=True).stdout.strip()  # fmt: skip
    root = HERE / "results" / "compare"
    with tempfile.TemporaryDirectory(prefix="cxray-base-") as tmp:
        base = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(base), commit], check=True,
                       capture_output=True)  # fmt: skip
        try:
            sim = simulated(root, base / "src")
            print(f"base {commit[:10]}:", flush=True)
            old = diagnose_all(base / "src", root / commit, a.only, sim)
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(base)], check=False)
    if a.base_only:
        return
    with tempfile.TemporaryDirectory(prefix="cxray-new-") as tmp:
        print("this working tree:", flush=True)
        new = diagnose_all(REPO / "src", Path(tmp), a.only, sim)
    changed = 0
    for name in old:
        diff = differences(old[name], new[name])
        changed += bool(diff)
        print(f"{'SAME' if not diff else 'DIFF'}  {name}" + (f"  ({len(diff)} differences)" if diff else ""))
        for line in diff[: a.show]:
            print(f"      {line}")
    print(f"\n{len(old) - changed} of {len(old)} logs give the same diagnosis as {commit[:10]}")
    raise SystemExit(1 if changed else 0)


if __name__ == "__main__":
    main()
