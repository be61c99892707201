"""Sensitivity of the breakdown finder: rank of each planted breakdown per setting, as a Markdown table.

Runs the same centres and settings as ``tests/findings/test_sensitivity.py`` (imported from there, so the
table and the test cannot drift) and prints the table that docs/breakdowns.md shows. Usage::

    .venv/bin/python bench/sensitivity.py                 # all scenarios and seeds of the test
    .venv/bin/python bench/sensitivity.py --scenarios default --seeds 1
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO / "tests" / "findings")]

import test_sensitivity as T  # noqa: E402


def table(scenario: str, seed: int) -> list[str]:
    """Markdown rows: one per planted breakdown, one column per setting, plus the top-3 overlap."""
    measured = T.measure(scenario, seed)
    names = [s.name for s in T.SETTINGS]
    base_top = set(measured[T.SETTINGS[0].name]["top"])
    rows = [
        f"| {scenario} seed {seed} | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for planted in measured[names[0]]["planted"]:
        cells = []
        for n in names:
            rank = measured[n]["planted"][planted]
            merged = "m" if planted in measured[n]["merged"] else ""
            cells.append("-" if rank is None else f"{rank}{merged}")
        rows.append(f"| {planted} | " + " | ".join(cells) + " |")
    shared = [len(base_top & set(measured[n]["top"])) for n in names]
    rows.append(f"| *top-{T.TOP} shared with default* | " + " | ".join(f"{k}/{T.TOP}" for k in shared) + " |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default=",".join(T.SCENARIOS))
    parser.add_argument("--seeds", default=",".join(str(s) for s in T.SEEDS))
    args = parser.parse_args()
    for scenario in args.scenarios.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            print("\n".join(table(scenario, seed)) + "\n")


if __name__ == "__main__":
    main()
