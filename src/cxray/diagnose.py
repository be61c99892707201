"""The main job: events in, a diagnosis out (input quality, metrics, flow map, breakdowns).

This module orchestrates; each step lives in its own module. ``cli.py`` only parses arguments and
calls :func:`diagnose` and :func:`write_outputs`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from ._version import __version__
from .costs import CostModel
from .engine import Engine
from .io import InputSummary, ReadOptions, read_events, read_table, write_rejected
from .journeys import build_journeys
from .metrics import core_metrics
from .options import AnalysisOptions
from .process import flow_map
from .progress import Progress, Silent


@dataclass
class Diagnosis:
    """Everything ``cxray diagnose`` found. ``to_dict()`` is the ``diagnosis.json`` document."""

    input: InputSummary
    metrics: dict[str, Any]
    flow: dict[str, Any]
    breakdowns: list[dict[str, Any]] = field(default_factory=list)
    breakdown_summary: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cxray_version": __version__,
            "options": self.options,
            "input": self.input.to_dict(),
            "breakdowns": self.breakdowns,
            "breakdown_summary": self.breakdown_summary,
            "metrics": self.metrics,
            "flow": self.flow,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False, ensure_ascii=False, default=str)


def diagnose(
    source: Sequence[str | Path] | pa.Table,
    *,
    read: ReadOptions | None = None,
    analysis: AnalysisOptions | None = None,
    costs: CostModel | None = None,
    engine: Engine | None = None,
    progress: Progress | None = None,
) -> Diagnosis:
    """Diagnose a contact centre from its events.

    Parameters
    ----------
    source:
        Event files (CSV/TSV, Parquet, JSON Lines, XES) read in order into one log, or an Arrow table
        that already has the canonical columns (e.g. from the simulator).
    read, analysis, costs:
        Reading/mapping options, analysis options (repeat window...), cost model; defaults when None.
    engine:
        An open engine to work in (its tables stay available afterwards, e.g. for ``write_outputs``);
        a new in-memory DuckDB engine when None.

    >>> from cxray.simulate import load_scenario, simulate          # doctest: +SKIP
    >>> d = diagnose(simulate(load_scenario("default"), seed=1).events)  # doctest: +SKIP
    >>> d.metrics["overall"]["fcr"]                                  # doctest: +SKIP
    0.71
    """
    read = read or ReadOptions()
    analysis = analysis or AnalysisOptions()
    costs = costs or CostModel()
    progress = progress or Silent()
    engine = engine or Engine()

    progress.step("reading events")
    if isinstance(source, pa.Table):
        summary = read_table(source, engine, options=read)
    else:
        summary = read_events([Path(p) for p in source], engine, options=read)

    progress.step("reconstructing contacts and journeys")
    build_journeys(engine, options=analysis, costs=costs)

    progress.step("measuring")
    metrics = core_metrics(engine, options=analysis)

    progress.step("mapping the flow")
    flow = flow_map(engine, top_variants=analysis.top_variants)

    progress.step("finding breakdowns")
    breakdowns, breakdown_summary = _breakdowns(engine, analysis, costs)
    progress.done()

    return Diagnosis(
        input=summary,
        metrics=metrics,
        flow=flow,
        breakdowns=breakdowns,
        breakdown_summary=breakdown_summary,
        options={"analysis": asdict(analysis), "costs": costs.to_dict(), "read": read.to_dict()},
    )


def _breakdowns(
    engine: Engine, analysis: AnalysisOptions, costs: CostModel
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from .findings import find_breakdowns

    result = find_breakdowns(engine, options=analysis, costs=costs)
    return result["breakdowns"], result["summary"]


def write_outputs(
    diagnosis: Diagnosis, out_dir: Path, *, engine: Engine, redact: bool = False
) -> dict[str, Path]:
    """Write ``diagnosis.json``, ``report.html`` and ``rejected.csv`` (only when rows were rejected)."""
    from .report import render_html

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "diagnosis.json", "html": out_dir / "report.html"}
    paths["json"].write_text(diagnosis.to_json() + "\n", encoding="utf-8")
    paths["html"].write_text(render_html(diagnosis.to_dict(), redact=redact), encoding="utf-8")
    rejected = out_dir / "rejected.csv"
    if diagnosis.input.rows_rejected:
        write_rejected(engine, rejected)
        paths["rejected"] = rejected
    elif rejected.exists():
        rejected.unlink()  # a stale file from an earlier run would mislead
    return paths


__all__ = ["Diagnosis", "diagnose", "write_outputs"]
