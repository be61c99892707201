"""The main job: events in, a diagnosis out (input quality, metrics, flow map, conformance, incentives,
breakdowns).

This module orchestrates; each step lives in its own module. ``cli.py`` only parses arguments and
calls :func:`diagnose` and :func:`write_outputs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa

from . import schema as S
from .costs import CostModel
from .diagnose_options import DiagnoseOptions
from .diagnosis import Diagnosis
from .engine import Engine
from .errors import ConfigError, EngineError
from .exports import capture
from .findings import StagedTables, find_breakdowns
from .incentives import Party, stage_incentives
from .io import InputSummary, ReadOptions, read_events, read_table
from .io.canonical import REJECTED
from .journey_paths import journey_paths
from .journeys import build_journeys
from .metrics import core_metrics
from .options import AnalysisOptions
from .ordered import fold_events, release_ordered_events
from .process import flow_by, flow_map
from .process.conformance import check_conformance
from .process.model import ProcessModel
from .process.step_kinds import StepKinds
from .progress import Progress, Silent
from .quality import DataQuality, review_journeys, screen_events
from .voc import assess_voc, stage_voc

if TYPE_CHECKING:
    from .process.flow import FlowDoc


def diagnose(
    source: str | Path | Sequence[str | Path] | pa.Table,
    options: DiagnoseOptions | None = None,
    *,
    engine: Engine | None = None,
    progress: Progress | None = None,
    read: ReadOptions | None = None,
    analysis: AnalysisOptions | None = None,
    costs: CostModel | None = None,
    model: ProcessModel | None = None,
    parties: tuple[Party, ...] | None = None,
) -> Diagnosis:
    """Diagnose a contact centre from its events.

    Parameters
    ----------
    source:
        An event file or several (CSV/TSV, Excel, Parquet, JSON Lines, XES) read in order into one
        log, or an Arrow table that already has the canonical columns (e.g. from the simulator). A single
        ``str`` or ``Path`` is one file (a string is not read as a sequence of one-letter paths).
    options:
        Every option of the run (:class:`~cxray.diagnose_options.DiagnoseOptions`: reading, analysis,
        costs, ranking, detector settings, conformance, incentives, the documented process, the
        parties); the defaults when None. ``DiagnoseOptions.from_yaml`` reads them from a file.
    engine:
        An open engine to work in (its tables stay available afterwards, e.g. for ``write_outputs``;
        ``events`` as a read-only view, one copy of the events in memory: ``ordered.unfold_events``
        makes it a table again); a new in-memory DuckDB engine when None.
    progress:
        Told each step as it starts (``cxray.progress``); silent when None.
    read, analysis, costs, model, parties:
        Shorthands that replace that part of ``options`` (``diagnose(path, costs=model)``).

    >>> from cxray.simulate import load_scenario, simulate
    >>> sim = simulate(load_scenario("default"), seed=1, days=14, customers=300)
    >>> d = diagnose(sim.events, DiagnoseOptions(top=3))
    >>> d.input.rows_read == d.input.rows_kept + d.input.rows_rejected + d.input.duplicates_dropped
    True
    >>> 0 <= d.metrics.overall["fcr"] <= 1
    True
    """
    options = with_shorthands(
        options, read=read, analysis=analysis, costs=costs, model=model, parties=parties
    )
    named = NamedSteps(progress or Silent())
    engine = engine or Engine()
    try:
        return _diagnose(source, named, engine, options)
    except EngineError as exc:
        raise named.error(exc) from exc


def with_shorthands(
    options: DiagnoseOptions | None,
    *,
    read: ReadOptions | None = None,
    analysis: AnalysisOptions | None = None,
    costs: CostModel | None = None,
    model: ProcessModel | None = None,
    parties: tuple[Party, ...] | None = None,
) -> DiagnoseOptions:
    """``options`` (the defaults when None) with the parts given as keywords replaced."""
    parts = {"read": read, "analysis": analysis, "costs": costs, "model": model, "parties": parties}
    given = {k: v for k, v in parts.items() if v is not None}
    options = options if options is not None else DiagnoseOptions()
    if not isinstance(options, DiagnoseOptions):
        raise ConfigError(f"options must be a DiagnoseOptions, got {type(options).__name__}")
    return options.replace(**given) if given else options


def _diagnose(
    source: str | Path | Sequence[str | Path] | pa.Table,
    progress: Progress,
    engine: Engine,
    options: DiagnoseOptions,
) -> Diagnosis:
    summary, quality = _journeys(source, progress, engine, options)
    return diagnose_tables(engine, summary, options=options, progress=progress, quality=quality)


def _journeys(
    source: str | Path | Sequence[str | Path] | pa.Table,
    progress: Progress,
    engine: Engine,
    options: DiagnoseOptions,
) -> tuple[InputSummary, DataQuality]:
    """Read, screen, and build the contacts and journeys: what a diagnosis and a data check share."""
    read, analysis = options.read, options.analysis
    if analysis.step_kinds:  # a bad vocabulary file fails now, not after the reading and the journeys
        StepKinds.from_yaml(analysis.step_kinds)
    progress.step("reading events")
    if isinstance(source, pa.Table):
        summary = read_table(source, engine, options=read)
    else:
        files = [source] if isinstance(source, str | PathLike) else list(source)
        summary = read_events([Path(p) for p in files], engine, options=read)

    progress.step("checking data quality")
    quality = screen(engine, read=read, analysis=analysis)

    progress.step("reconstructing contacts and journeys")
    fold_events(engine)  # one copy of the events from the shared sort on: ``events`` a view over it
    build_journeys(engine, options=analysis, costs=options.costs, data_end=quality.censor_end)
    return summary, quality


def review(
    engine: Engine, summary: InputSummary, quality: DataQuality, analysis: AnalysisOptions
) -> DataQuality:
    """The data-quality review of the journeys (``quality.review_journeys``) with what the reading found;
    shared by :func:`diagnose_tables` and :func:`check_data`."""
    return review_journeys(
        engine,
        quality,
        missing_markers=summary.missing_markers,
        encoding_repairs=summary.encoding_repairs,
        nul_bytes_stripped=summary.nul_bytes_stripped,
        records_left_out=summary.records_left_out,
        durations_read=S.DURATION_S in summary.fields_present,
        likely_columns=summary.likely_columns,
        files=len(set(summary.files)),
        clocks={f.file: f.clock for f in summary.per_file},
        ambiguous_dates={f.file: f.day_order for f in summary.per_file if f.dates_ambiguous and f.day_order},
        blank_ids=(summary.rejected_by_reason.get("missing_contact_id", 0), summary.rows_read),
        options=analysis.quality,
        max_journey_days=analysis.max_journey_days,
    )


@dataclass(frozen=True)
class DataCheck:
    """What a data check found (:func:`check_data`): the reading, the data-quality guards, and the
    contacts, customers and journeys the events make. ``clean``: no row rejected and no warning to fix
    (``quality.TO_FIX``); a warning the guards handled (a bulk caller left out, a cut tail censored) is
    told and leaves the data clean: the analysis handles it the same way."""

    input: InputSummary
    data_quality: DataQuality
    contacts: int
    customers: int
    journeys: int
    #: The first rejected rows (file, row, reason, column, value), as ``rejected.csv`` would list them: a
    #: check writes no file, and the fix is in the values.
    rejected: tuple[dict[str, Any], ...] = ()

    @property
    def clean(self) -> bool:
        return not self.input.rows_rejected and all(w.handled for w in self.data_quality.warnings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input.to_dict(),
            "data_quality": self.data_quality.to_dict(),
            "contacts": self.contacts,
            "customers": self.customers,
            "journeys": self.journeys,
            "rejected": [dict(r) for r in self.rejected],
            "clean": self.clean,
        }


def check_data(
    source: str | Path | Sequence[str | Path] | pa.Table,
    options: DiagnoseOptions | None = None,
    *,
    engine: Engine | None = None,
    progress: Progress | None = None,
    read: ReadOptions | None = None,
    analysis: AnalysisOptions | None = None,
) -> DataCheck:
    """Read the events and run every data-quality guard, as :func:`diagnose` does, and stop there: the
    rows read, kept and rejected, where each column came from, and each warning with the flags that fix
    it, in a fraction of a diagnosis's time (no flow map, conformance, detectors or report). For a first
    look at an export and its mapping, and for a pipeline that stops a bad export before it is analysed.

    >>> from cxray.simulate import load_scenario, simulate
    >>> c = check_data(simulate(load_scenario("default"), seed=1, days=14, customers=300).events)
    >>> c.contacts > 0 and c.input.rows_rejected == 0
    True
    """
    options = with_shorthands(options, read=read, analysis=analysis)
    named = NamedSteps(progress or Silent())
    engine = engine or Engine()
    try:
        summary, quality = _journeys(source, named, engine, options)
        named.step("checking journeys for data quality")
        quality = review(engine, summary, quality, options.analysis)
        row = engine.fetchall(
            f"SELECT count(*), count(DISTINCT {S.CUSTOMER_ID}), count(DISTINCT {S.JOURNEY_ID}) "
            f"FROM {S.CONTACTS_TABLE}"
        )[0]
        rejected = engine.rows(
            f"""SELECT {S.SOURCE_FILE} AS file, {S.SOURCE_ROW} AS row, reason, "column", value
                FROM {REJECTED} ORDER BY {S.SOURCE_FILE}, {S.SOURCE_ROW} LIMIT {CHECK_REJECTED}"""
        )
    except EngineError as exc:
        raise named.error(exc) from exc
    return DataCheck(summary, quality, int(row[0]), int(row[1]), int(row[2]), tuple(rejected))


#: Rejected rows a data check lists, the first in file order (all are in rejected.csv when diagnosed).
CHECK_REJECTED = 5


class NamedSteps:
    """A progress that remembers the step under way, so an engine failure can say where it happened."""

    def __init__(self, inner: Progress) -> None:
        self.inner, self.current = inner, ""

    def step(self, name: str) -> None:
        self.current = name
        self.inner.step(name)

    def done(self) -> None:
        self.inner.done()

    def error(self, exc: EngineError) -> EngineError:
        """``exc`` with the step named (once: a step inside a step keeps the innermost name)."""
        text = str(exc)
        if not self.current or text.startswith("while "):
            return exc
        return EngineError(f"while {self.current}: {text}")


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


@dataclass(frozen=True)
class Prestaged:
    """Tables the Spark engine's partitions of customers built for the steps after the journeys, which
    read them instead of the events (``cxray.spark``; a laptop run stages as it goes).

    ``detectors``: the detectors' tables (``findings.stage_breakdowns``); ``journey_path_counts``: a
    table of journeys per path and outcome (``journey_paths(counts=...)``); ``incentives``: the tables
    of the incentives' per-contact columns and touches (``stage_incentives(staged=...)``);
    ``conformance``: the tables of the contacts' variants and their steps
    (``check_conformance(staged=...)``).
    """

    detectors: StagedTables | None = None
    journey_path_counts: str | None = None
    incentives: tuple[str, str] | None = None
    conformance: tuple[str, str] | None = None


def diagnose_tables(
    engine: Engine,
    summary: InputSummary,
    *,
    options: DiagnoseOptions,
    progress: Progress,
    flow: dict[str, Any] | None = None,
    quality: DataQuality | None = None,
    prestaged: Prestaged | None = None,
) -> Diagnosis:
    """Every step after the journeys, over the engine's ``events``, ``contacts`` and ``journeys``.

    Shared by :func:`diagnose` and the Spark engine (``cxray.spark``), which builds those tables (and
    the flow map, passed as ``flow``, and the tables in ``prestaged``) on its executors: one list of
    steps for both engines. ``quality``: what ``quality.screen_events`` found before the journeys
    were built.
    """
    analysis, costs, pre = options.analysis, options.costs, prestaged or Prestaged()
    progress.step("checking journeys for data quality")
    quality = review(engine, summary, quality or DataQuality(), analysis)
    progress.step("measuring")
    paths = journey_paths(engine, counts=pre.journey_path_counts)
    metrics = core_metrics(engine, options=analysis, journey_paths=paths)

    progress.step("mapping the flow")
    mapped = flow if flow is not None else flow_map(engine, top_variants=analysis.top_variants)
    flow_doc = cast("FlowDoc", {**mapped, "by": flow_by(engine)})

    progress.step("checking conformance")
    conformance = check_conformance(
        engine, options.model, options=options.conformance, staged=pre.conformance
    )

    progress.step("assessing incentives")
    assessment = stage_incentives(
        engine,
        parties=options.parties,
        options=analysis,
        costs=costs,
        thresholds=options.incentives,
        staged=pre.incentives,
    )
    progress.step("reading survey responses")
    surveys = stage_voc(engine, options.voc, read=options.read)
    try:
        progress.step("finding breakdowns")
        found = find_breakdowns(
            engine,
            options=analysis,
            costs=costs,
            detectors=options.build_detectors(),
            top=options.top,
            finder=options.finder,
            quality=quality,
            incentives=assessment,
            keep_contacts=surveys is not None,  # the voice of the customer compares them with the rest
            staged=pre.detectors,
        )
    finally:
        assessment.close()  # after pricing: the incentive findings' claims read its staged table
    progress.step("listening to customers")
    voc = assess_voc(
        engine,
        surveys,
        options.voc,
        breakdowns=found["breakdowns"],
        step_kinds=StepKinds.of_run(analysis.step_kinds),
        findings=found["all_findings"],
        parties=options.parties,
    )
    release_ordered_events(engine)  # the shared sort of the events: its memory goes back

    progress.step("collecting contacts and journeys")
    contacts, journeys = (capture(engine, t) for t in (S.CONTACTS_TABLE, S.JOURNEYS_TABLE))
    progress.done()

    return Diagnosis(
        input=summary,
        metrics=metrics,
        flow=flow_doc,
        breakdowns=found["breakdowns"],
        breakdown_summary=found["summary"],
        # The incentive findings compete in the same ranking (one currency, de-duplicated against the
        # repeat and containment detectors); the section lists them as priced there, beside the parties.
        incentives=assessment.section(found["all_findings"]),
        conformance=conformance,
        all_findings=found["all_findings"],
        data_quality=quality,
        voc=voc,
        options=options.to_dict(),
        _contacts=contacts,
        _journeys=journeys,
    )


__all__ = [
    "DiagnoseOptions",  # re-exported: defined in cxray.diagnose_options
    "Diagnosis",  # re-exported: defined in cxray.diagnosis
    "NamedSteps",
    "diagnose",
    "diagnose_tables",
    "screen",
    "with_shorthands",
]
