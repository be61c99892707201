"""The main job: events in, a diagnosis out (input quality, metrics, flow map, conformance, incentives,
breakdowns).

This module orchestrates; each step lives in its own module. ``cli.py`` only parses arguments and
calls :func:`diagnose` and :func:`write_outputs`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import pyarrow as pa

from . import schema as S
from ._version import __version__
from .costs import CostModel
from .engine import Engine
from .errors import CxrayError
from .exports import capture, redact_ids, write_parquet
from .incentives import Party
from .io import InputSummary, ReadOptions, read_events, read_table, write_rejected
from .journey_paths import journey_paths
from .journeys import build_journeys
from .metrics import core_metrics
from .options import AnalysisOptions
from .process import flow_by, flow_map
from .process.conformance import check_conformance
from .process.model import ProcessModel
from .process.steps import release_ordered_events
from .progress import Progress, Silent
from .quality import DataQuality, review_journeys, screen_events


@dataclass
class Diagnosis:
    """Everything ``cxray diagnose`` found. ``to_dict()`` is the ``diagnosis.json`` document."""

    input: InputSummary
    metrics: dict[str, Any]
    flow: dict[str, Any]
    breakdowns: list[dict[str, Any]] = field(default_factory=list)
    breakdown_summary: dict[str, Any] = field(default_factory=dict)
    incentives: dict[str, Any] = field(default_factory=dict)
    conformance: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    all_findings: list[dict[str, Any]] = field(default_factory=list)
    data_quality: DataQuality = field(default_factory=DataQuality)
    # The rows behind the numbers (``cxray.exports``), captured before the engine may close. Private:
    # not in ``to_dict`` (the JSON holds aggregates) nor in the repr (millions of rows).
    _contacts: pa.Table | None = field(default=None, repr=False, compare=False)
    _journeys: pa.Table | None = field(default=None, repr=False, compare=False)

    def contacts(self) -> pa.Table:
        """One row per contact: the engine's ``contacts`` table, sorted by ``start_ts``, ``contact_id``.

        Raises ``CxrayError`` on a diagnosis not made by ``diagnose`` (e.g. built by hand).
        """
        return _rows(self._contacts, "contacts")

    def journeys(self) -> pa.Table:
        """One row per journey: the engine's ``journeys`` table, sorted by ``start_ts``, ``journey_id``."""
        return _rows(self._journeys, "journeys")

    def to_dict(self) -> dict[str, Any]:
        return {
            "cxray_version": __version__,
            "options": self.options,
            "input": self.input.to_dict(),
            "data_quality": self.data_quality.to_dict(),
            "breakdowns": self.breakdowns,
            "breakdown_summary": self.breakdown_summary,
            "incentives": self.incentives,
            "conformance": self.conformance,
            "metrics": self.metrics,
            "flow": self.flow,
            "all_findings": self.all_findings,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False, ensure_ascii=False, default=str)


def diagnose(
    source: str | Path | Sequence[str | Path] | pa.Table,
    *,
    read: ReadOptions | None = None,
    analysis: AnalysisOptions | None = None,
    costs: CostModel | None = None,
    engine: Engine | None = None,
    progress: Progress | None = None,
    model: ProcessModel | None = None,
    parties: tuple[Party, ...] | None = None,
) -> Diagnosis:
    """Diagnose a contact centre from its events.

    Parameters
    ----------
    source:
        An event file or several (CSV/TSV, Parquet, JSON Lines, XES) read in order into one log, or an
        Arrow table that already has the canonical columns (e.g. from the simulator). A single ``str`` or
        ``Path`` is one file (a string is not read as a sequence of one-letter paths).
    read, analysis, costs:
        Reading/mapping options, analysis options (repeat window...), cost model; defaults when None.
    engine:
        An open engine to work in (its tables stay available afterwards, e.g. for ``write_outputs``);
        a new in-memory DuckDB engine when None.
    model:
        The documented process (``cxray.process.model.load_model`` reads YAML or BPMN); without it,
        conformance compares each reason's contacts with the happy path inferred from the data.
    parties:
        The parties and the KPI each is measured on (``cxray.incentives.load_parties``); without them,
        the bot and IVR are measured on containment and every team on handle time.

    >>> from cxray.simulate import load_scenario, simulate
    >>> sim = simulate(load_scenario("default"), seed=1, days=14, customers=300)
    >>> d = diagnose(sim.events)
    >>> d.input.rows_read == d.input.rows_kept + d.input.rows_rejected + d.input.duplicates_dropped
    True
    >>> 0 <= d.metrics["overall"]["fcr"] <= 1
    True
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
        files = [source] if isinstance(source, str | PathLike) else list(source)
        summary = read_events([Path(p) for p in files], engine, options=read)

    progress.step("checking data quality")
    quality = screen(engine, read=read, analysis=analysis)

    progress.step("reconstructing contacts and journeys")
    build_journeys(engine, options=analysis, costs=costs, data_end=quality.censor_end)
    return diagnose_tables(
        engine,
        summary,
        read=read,
        analysis=analysis,
        costs=costs,
        progress=progress,
        model=model,
        parties=parties,
        quality=quality,
    )


def screen(engine: Engine, *, read: ReadOptions, analysis: AnalysisOptions) -> DataQuality:
    """The data-quality guards that run on ``events`` before journeys (``quality.screen_events``) with
    the options of this run; shared by both engines."""
    return screen_events(
        engine,
        window_days=analysis.window_days,
        keep_bulk=analysis.keep_bulk,
        options=analysis.quality,
        tz=read.effective_tz,
    )


def diagnose_tables(
    engine: Engine,
    summary: InputSummary,
    *,
    read: ReadOptions,
    analysis: AnalysisOptions,
    costs: CostModel,
    progress: Progress,
    model: ProcessModel | None = None,
    parties: tuple[Party, ...] | None = None,
    flow: dict[str, Any] | None = None,
    quality: DataQuality | None = None,
) -> Diagnosis:
    """Every step after the journeys, over the engine's ``events``, ``contacts`` and ``journeys``.

    Shared by :func:`diagnose` and the Spark engine (``cxray.spark``), which builds those tables (and
    the flow map, passed as ``flow``) on its executors: one list of steps for both engines.
    ``quality``: what ``quality.screen_events`` found before the journeys were built.
    """
    progress.step("checking journeys for data quality")
    quality = review_journeys(
        engine,
        quality or DataQuality(),
        missing_markers=summary.missing_markers,
        options=analysis.quality,
        max_journey_days=analysis.max_journey_days,
    )
    progress.step("measuring")
    metrics = core_metrics(engine, options=analysis)
    metrics["journey_paths"] = journey_paths(engine)

    progress.step("mapping the flow")
    flow = dict(flow) if flow is not None else flow_map(engine, top_variants=analysis.top_variants)
    flow["by"] = flow_by(engine)

    progress.step("checking conformance")
    conformance = check_conformance(engine, model)

    progress.step("finding breakdowns and misaligned incentives")
    found, incentives = _breakdowns(engine, analysis, costs, parties, quality)
    release_ordered_events(engine)  # the shared sort of the events: its memory goes back

    progress.step("collecting contacts and journeys")
    contacts, journeys = (capture(engine, t) for t in (S.CONTACTS_TABLE, S.JOURNEYS_TABLE))
    progress.done()

    return Diagnosis(
        input=summary,
        metrics=metrics,
        flow=flow,
        breakdowns=found["breakdowns"],
        breakdown_summary=found["summary"],
        incentives=incentives,
        conformance=conformance,
        all_findings=found["all_findings"],
        data_quality=quality,
        options={
            "analysis": asdict(analysis),
            "costs": costs.to_dict(),
            "read": read.to_dict(),
            "model": model.name if model else None,
            "parties": [asdict(p) for p in parties] if parties else None,
        },
        _contacts=contacts,
        _journeys=journeys,
    )


def _breakdowns(
    engine: Engine,
    analysis: AnalysisOptions,
    costs: CostModel,
    parties: tuple[Party, ...] | None,
    quality: DataQuality,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run every registered detector, the incentives one with the declared parties.

    The incentive findings compete in the same ranking (one currency, de-duplicated against the repeat
    and containment detectors); the incentives section lists them as priced there, beside the parties.
    """
    from .findings import default_detectors, find_breakdowns
    from .findings.incentives import IncentiveMisalignment

    detectors = default_detectors()
    lens = next((d for d in detectors if isinstance(d, IncentiveMisalignment)), None)
    if lens is not None:
        lens.parties = parties
    found = find_breakdowns(engine, options=analysis, costs=costs, detectors=detectors, quality=quality)
    incentives: dict[str, Any] = {}
    if lens is not None and lens.assessment is not None:
        codes = {f.code for f in lens.assessment["findings"]}
        incentives = {
            **{k: v for k, v in lens.assessment.items() if k != "findings"},
            "findings": [f for f in found["all_findings"] if f["code"] in codes],
        }
    return found, incentives


def _rows(table: pa.Table | None, name: str) -> pa.Table:
    if table is None:
        raise CxrayError(
            f"this diagnosis holds no {name} table: only one made by cxray.diagnose (or diagnose_spark) does"
        )
    return table


def write_outputs(
    diagnosis: Diagnosis,
    out_dir: Path,
    *,
    engine: Engine,
    redact: bool = False,
    progress: Progress | None = None,
) -> dict[str, Path]:
    """Write ``diagnosis.json``, ``report.html``, ``contacts.parquet``, ``journeys.parquet`` and
    ``rejected.csv`` (only when rows were rejected).

    ``redact`` pseudonymises ids and masks personal data in the report, and pseudonymises the id columns
    of the two Parquet files with the same function and salt (``cxray.exports.redact_ids``), so a contact
    named in the report can be found in them. Returns each output's path by name. ``progress`` hears one
    step, ``writing outputs`` (a large log's Parquet files take seconds).
    """
    from .report import render_html

    progress = progress or Silent()
    progress.step("writing outputs")

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "diagnosis.json", "html": out_dir / "report.html"}
    paths["json"].write_text(diagnosis.to_json() + "\n", encoding="utf-8")
    paths["html"].write_text(render_html(diagnosis.to_dict(), redact=redact), encoding="utf-8")
    rows = [diagnosis.contacts(), diagnosis.journeys()]
    for name, table in zip(("contacts", "journeys"), redact_ids(rows) if redact else rows, strict=True):
        paths[name] = write_parquet(table, out_dir / f"{name}.parquet")
    rejected = out_dir / "rejected.csv"
    if diagnosis.input.rows_rejected:
        write_rejected(engine, rejected)
        paths["rejected"] = rejected
    elif rejected.exists():
        rejected.unlink()  # a stale file from an earlier run would mislead
    progress.done()
    return paths


__all__ = ["Diagnosis", "diagnose", "diagnose_tables", "screen", "write_outputs"]
