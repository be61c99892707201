"""Shared by the Spark tests: where the real logs are, and diagnosis equality with a stated bound."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def assert_same_diagnosis(laptop: dict[str, Any], spark: dict[str, Any], median_accuracy: float) -> None:
    """Equal documents: everything exact (floats to 1e-9 relative, the rounding of merged means) except
    DFG medians of the whole-log flow map, which must be within ``median_accuracy`` relative."""
    problems: list[str] = []

    def walk(a: Any, b: Any, path: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            if list(a) != list(b):
                problems.append(f"{path}: keys {list(a)} != {list(b)}")
            for k in a.keys() & b.keys():
                walk(a[k], b[k], f"{path}.{k}")
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                problems.append(f"{path}: {len(a)} items != {len(b)}")
            for i, (x, y) in enumerate(zip(a, b, strict=False)):
                walk(x, y, f"{path}[{i}]")
        elif isinstance(a, float) and isinstance(b, float):
            tol = median_accuracy if path.startswith(".flow.dfg[") and path.endswith(".median_s") else 1e-9
            if not math.isclose(a, b, rel_tol=tol, abs_tol=1e-9):
                problems.append(f"{path}: {a!r} != {b!r}")
        elif a != b or type(a) is not type(b):
            problems.append(f"{path}: {a!r} != {b!r}")

    walk(laptop, spark, "")
    assert not problems, f"{len(problems)} differences, first: " + "; ".join(problems[:8])
