"""The main job: events in, a diagnosis out (input quality, metrics, flow map, conformance, incentives,
breakdowns).

This module orchestrates; each step lives in its own module. ``cli.py`` only parses arguments and
calls :func:`diagnose` and :func:`write_outputs`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from . import schema as S
from .costs import CostModel
from .diagnosis import Diagnosis
from .engine import Engine
from .errors import ConfigError, CxrayError, EngineError
from .exports import capture, redact_ids, write_parquet
from .incentives import Party
from .io import InputSummary, ReadOptions, read_events, read_table, write_rejected
from .io.canonical import REJECTED
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

if TYPE_CHECKING:
    from .report.redact import Redactor


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
    named = NamedSteps(progress or Silent())
    engine = engine or Engine()
    try:
        return _diagnose(source, named, engine, read, analysis, costs, model, parties)
    except EngineError as exc:
        raise named.error(exc) from exc


def _diagnose(
    source: str | Path | Sequence[str | Path] | pa.Table,
    progress: Progress,
    engine: Engine,
    read: ReadOptions,
    analysis: AnalysisOptions,
    costs: CostModel,
    model: ProcessModel | None,
    parties: tuple[Party, ...] | None,
) -> Diagnosis:
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
        encoding_repairs=summary.encoding_repairs,
        nul_bytes_stripped=summary.nul_bytes_stripped,
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


#: Every file ``write_outputs`` may leave in the output folder: a run replaces all of them or none.
OUTPUT_FILES: dict[str, str] = {
    "json": "diagnosis.json",
    "html": "report.html",
    "contacts": "contacts.parquet",
    "journeys": "journeys.parquet",
    "rejected": "rejected.csv",
}


def check_out_dir(out_dir: str | PathLike[str]) -> Path:
    """Make sure ``out_dir`` can take a run's outputs, before any work is done; returns it as a Path.

    It must be a folder (created if absent) in which, or beside which, a temporary folder can be made:
    a file of that name, or a folder that cannot be created or written, is a ``ConfigError`` now rather
    than a failure after the whole analysis.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError("--out names a file, not a folder", path=out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(_staging(out))
    except OSError as exc:
        raise ConfigError(f"cannot write the output folder: {exc.strerror or exc}", path=out) from None
    return out


def _staging(out: Path) -> Path:
    """A new temporary folder beside ``out`` (same file system), else inside it (a read-only parent)."""
    error: OSError | None = None
    for parent in (out.parent, out):
        try:
            return Path(tempfile.mkdtemp(prefix=f".{out.name or 'cxray'}.tmp-", dir=parent))
        except OSError as exc:
            error = exc
    assert error is not None
    raise error


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Lock the folder itself (no lock file left behind): two runs finishing together move their sets
    one after the other. Where folders cannot be locked (Windows), each move is still atomic."""
    try:
        import fcntl

        fd = os.open(out, os.O_RDONLY)
    except (ImportError, OSError):  # pragma: no cover - no flock, or a folder that cannot be opened
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_outputs(
    diagnosis: Diagnosis,
    out_dir: Path,
    *,
    engine: Engine,
    redact: bool = False,
    salt: str | None = None,
    progress: Progress | None = None,
) -> dict[str, Path]:
    """Write ``diagnosis.json``, ``report.html``, ``contacts.parquet``, ``journeys.parquet`` and
    ``rejected.csv`` (only when rows were rejected).

    The files appear whole or not at all: they are written into a temporary folder beside ``out_dir``
    and moved into place together (each move atomic, the set under a lock, a stale ``rejected.csv``
    removed), so a failed run leaves the previous results untouched and two runs into one folder never
    mix their files.

    ``redact`` redacts every file under one salt (``salt``, else a random one for this run, so a pseudonym
    cannot be recomputed from a guessed id): ids pseudonymised wherever they appear, emails and phone
    numbers masked in values and keys, the id columns of the Parquet files pseudonymised with the same
    function (``cxray.exports.redact_ids``), so a contact named in the report can be found in them.
    Returns each output's path by name. ``progress`` hears one step, ``writing outputs``.
    """
    progress = progress or Silent()
    progress.step("writing outputs")
    out = check_out_dir(out_dir)
    staging = _staging(out)
    try:
        written = _write_all(
            diagnosis, staging, engine=engine, redactor=_redactor(diagnosis, engine, redact, salt)
        )
        with _locked(out):
            for name in OUTPUT_FILES.values():
                if (staging / name).exists():
                    os.replace(staging / name, out / name)
                else:
                    (out / name).unlink(missing_ok=True)  # a stale file from an earlier run would mislead
    except OSError as exc:
        raise CxrayError(
            f"could not write the outputs ({exc.strerror or exc}); "
            f"the previous results in {out} are untouched"
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    progress.done()
    return {name: out / OUTPUT_FILES[name] for name in written}


def _redactor(diagnosis: Diagnosis, engine: Engine, redact: bool, salt: str | None) -> Redactor | None:
    """The run's redactor, knowing every id the written files may show (None without ``redact``)."""
    if not redact:
        return None
    from .exports import id_sources, known_ids, rejected_ids
    from .report.redact import Redactor, strings

    redactor = Redactor(salt)
    tables = [diagnosis.contacts(), diagnosis.journeys()]
    redactor.ids.update(known_ids(tables, strings(diagnosis.to_dict())))
    if diagnosis.input.rows_rejected and engine.has_table(REJECTED):
        sources = id_sources((diagnosis.options.get("read") or {}).get("mapping"))
        redactor.ids.update(rejected_ids(engine.arrow(f"SELECT * FROM {REJECTED}"), sources))
    return redactor


def _write_all(diagnosis: Diagnosis, folder: Path, *, engine: Engine, redactor: Redactor | None) -> list[str]:
    """Write every output into ``folder``; returns the names written."""
    from .report import render_html

    doc = diagnosis.to_dict()
    text = diagnosis.to_json() if redactor is None else redacted_json(doc, redactor)
    (folder / OUTPUT_FILES["json"]).write_text(text + "\n", encoding="utf-8")
    html = render_html(doc, redact=redactor if redactor is not None else False)
    (folder / OUTPUT_FILES["html"]).write_text(html, encoding="utf-8")
    rows = [diagnosis.contacts(), diagnosis.journeys()]
    if redactor is not None:
        from .exports import mask_text_columns

        rows = redact_ids(mask_text_columns(rows, redactor.text), salt=redactor.salt)
    for name, table in zip(("contacts", "journeys"), rows, strict=True):
        write_parquet(table, folder / OUTPUT_FILES[name])
    written = ["json", "html", "contacts", "journeys"]
    if diagnosis.input.rows_rejected:
        path = folder / OUTPUT_FILES["rejected"]
        if redactor is None or not engine.has_table(REJECTED):
            write_rejected(engine, path)
        else:
            from .exports import id_sources, write_rejected_redacted

            sources = id_sources((diagnosis.options.get("read") or {}).get("mapping"))
            write_rejected_redacted(engine.arrow(f"SELECT * FROM {REJECTED}"), path, redactor, sources)
        written.append("rejected")
    return written


def redacted_json(doc: dict[str, Any], redactor: Redactor) -> str:
    """``diagnosis.json``'s text with every id pseudonymised and personal data masked (as ``to_json``)."""
    return json.dumps(redactor.document(doc), indent=2, sort_keys=False, ensure_ascii=False, default=str)


__all__ = [
    "OUTPUT_FILES",
    "Diagnosis",  # re-exported: defined in cxray.diagnosis
    "NamedSteps",
    "check_out_dir",
    "diagnose",
    "diagnose_tables",
    "redacted_json",
    "screen",
    "write_outputs",
]
