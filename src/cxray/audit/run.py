"""The audit run: events in, an :class:`~cxray.audit.document.AuditDocument` out.

The events are read, screened and turned into contacts and journeys by the very functions
``cxray diagnose`` uses (``read_events``/``read_table``, ``diagnose.screen``, ``build_journeys``), so a
measure's cell means are the numbers a diagnosis of that group and period would show. Then each contact is
labelled pilot or control, before or after (``segments``), each headline measure becomes one observation
per unit (``measures``), and each gets a difference-in-differences estimate with customers as the
resampled cluster and ``audit_week`` as the clock of the parallel-trends check (``did``). Triggers, when
given, are judged on those estimates (``triggers``).

>>> from cxray.simulate import load_scenario, simulate
>>> sim = simulate(load_scenario("default"), seed=1, days=35, customers=600)
>>> doc = audit(sim.events, AuditOptions(pilot="queue=Orders phone", change_date="2024-03-25",
...     did=DidOptions(n_boot=200)))
>>> doc.measure("handle_time").verdict in ("no detectable change", "improved", "worse")
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from os import PathLike
from pathlib import Path
from typing import Any, TypeAlias

import pyarrow as pa

from ..costs import CostModel
from ..diagnose import screen
from ..engine import Engine
from ..errors import ConfigError
from ..io import InputSummary, ReadOptions, read_events, read_table
from ..journeys import build_journeys
from ..options import AnalysisOptions
from ..progress import Progress, Silent
from .adoption import AdoptionSpec, adoption
from .bottlenecks import new_bottlenecks
from .comparability import compare_mix
from .did import DidOptions, difference_in_differences
from .document import AuditDocument, MeasureResult
from .followup import follow_up, load_plan
from .measures import observe
from .migration import effort_migration
from .scorecards import definitions_check, load_scorecards, scorecards
from .segments import Segment, assign_segments, change_instant, parse_segment
from .triggers import OUTCOME_PREFIX, Trigger, evaluate, should_roll_back

__all__ = ["AuditOptions", "audit"]

Source: TypeAlias = str | PathLike[str] | Sequence[str | PathLike[str]] | pa.Table


@dataclass(frozen=True, kw_only=True)
class AuditOptions:
    """Every option of an audit run.

    Exactly one way to tell before from after: ``change_date`` (a date, a datetime in UTC, or ISO text)
    or the two logs ``before`` and ``after`` (file paths; then ``audit``'s source is None).
    ``control`` None: every contact not in the pilot. ``triggers`` None: none judged.
    """

    pilot: str | Segment
    control: str | Segment | None = None
    change_date: date | datetime | str | None = None
    before: tuple[str | PathLike[str], ...] = ()
    after: tuple[str | PathLike[str], ...] = ()
    triggers: tuple[Trigger, ...] | None = None
    read: ReadOptions = field(default_factory=ReadOptions)
    analysis: AnalysisOptions = field(default_factory=AnalysisOptions)
    costs: CostModel = field(default_factory=CostModel)
    did: DidOptions = field(default_factory=DidOptions)
    #: A plan.json whose initiatives' success measures are re-measured on the after period (--plan).
    plan: str | PathLike[str] | None = None
    #: The new step whose take-up is followed week by week (--adopt: an activity, a step kind or a path).
    adopt: AdoptionSpec | None = None
    #: A scorecards YAML (parties, weights, pairs): composites per party on the after period (--scorecards).
    scorecards: str | PathLike[str] | None = None

    def __post_init__(self) -> None:
        # Parsed now: a malformed --pilot fails before any file is read.
        object.__setattr__(self, "pilot", parse_segment(self.pilot, option="--pilot"))
        if self.control is not None:
            object.__setattr__(self, "control", parse_segment(self.control, option="--control"))
        two_logs = bool(self.before) or bool(self.after)
        if self.change_date is not None and two_logs:
            raise ConfigError("give --change-date or --before/--after, not both")
        if self.change_date is None and not (self.before and self.after):
            raise ConfigError("give --change-date, or both --before and --after files")
        if self.change_date is not None:
            object.__setattr__(self, "change_date", change_instant(self.change_date))

    def to_dict(self) -> dict[str, Any]:
        assert isinstance(self.pilot, Segment)
        return {
            "pilot": self.pilot.describe(),
            "control": None if not isinstance(self.control, Segment) else self.control.describe(),
            "change_date": None if self.change_date is None else str(self.change_date),
            "before": [str(p) for p in self.before],
            "after": [str(p) for p in self.after],
            "triggers": None if self.triggers is None else [t.describe() for t in self.triggers],
            "window_days": self.analysis.window_days,
            "n_boot": self.did.n_boot,
            "level": self.did.level,
            "seed": self.did.seed,
            "plan": None if self.plan is None else str(self.plan),
            "adopt": None if self.adopt is None else self.adopt.describe(),
            "scorecards": None if self.scorecards is None else str(self.scorecards),
        }


#: What the audit leaves out, said on the page and in audit.json.
NOTES: tuple[str, ...] = (
    "Cost per resolution is not audited: it is a ratio of sums over different units (cost of journeys / "
    "resolved journeys), which the per-unit bootstrap does not cover; cost per contact is audited instead.",
)


def audit(
    source: Source | None,
    options: AuditOptions,
    *,
    engine: Engine | None = None,
    progress: Progress | None = None,
) -> AuditDocument:
    """Audit a change: pilot against control, before against after, per headline measure.

    Parameters
    ----------
    source : event files (read in order into one log) or an Arrow table with the canonical columns; None
        with ``options.before``/``options.after``.
    options : :class:`AuditOptions`.
    engine : an open engine to work in (its ``audit_contacts`` table stays there); a new one when None.
    progress : told each step; silent when None.
    """
    progress = progress or Silent()
    own = engine is None
    engine = engine or Engine()
    try:
        return _audit(source, options, engine, progress)
    finally:
        if own:
            engine.close()


def _read(source: Source | None, options: AuditOptions, engine: Engine) -> tuple[InputSummary, list[str]]:
    """Read the log(s); returns the summary and, with two logs, the after log's ``source_file`` names."""
    if options.before:
        if source is not None:
            raise ConfigError("with --before/--after, give no other event files")
        before = [Path(p) for p in options.before]
        after = [Path(p) for p in options.after]
        both = {str(p) for p in before} & {str(p) for p in after}
        if both:
            raise ConfigError(f"a file is both --before and --after: {', '.join(sorted(both))}")
        summary = read_events([*before, *after], engine, options=options.read)
        return summary, [str(p) for p in after]
    if source is None:
        raise ConfigError("no event files given")
    if isinstance(source, pa.Table):
        return read_table(source, engine, options=options.read), []
    files = [source] if isinstance(source, str | PathLike) else list(source)
    return read_events([Path(p) for p in files], engine, options=options.read), []


def _audit(source: Source | None, options: AuditOptions, engine: Engine, progress: Progress) -> AuditDocument:
    progress.step("reading events")
    summary, after_files = _read(source, options, engine)
    progress.step("checking data quality")
    quality = screen(engine, read=options.read, analysis=options.analysis)
    progress.step("reconstructing contacts and journeys")
    build_journeys(engine, options=options.analysis, costs=options.costs, data_end=quality.censor_end)

    progress.step("assigning pilot and control")
    assert isinstance(options.pilot, Segment)
    control = options.control if isinstance(options.control, Segment) else None
    change_at = options.change_date if isinstance(options.change_date, datetime) else None
    segments = assign_segments(
        engine, pilot=options.pilot, control=control, change_at=change_at, after_files=after_files
    )

    mix = compare_mix(engine)
    progress.step("estimating the effects")
    results = []
    estimates = {}
    outcomes = tuple(t.measure for t in options.triggers or () if t.measure.startswith(OUTCOME_PREFIX))
    for obs in observe(engine, outcomes=outcomes):
        spec = obs.spec
        if obs.disabled is not None:
            results.append(
                MeasureResult(spec.name, spec.label, spec.unit, spec.higher_is_better, spec.definition,
                              "insufficient data", None, obs.disabled)
            )  # fmt: skip
            continue
        est = difference_in_differences(
            obs.value, pilot=obs.pilot, after=obs.after, customer=obs.customer, week=obs.week,
            options=options.did, weight=obs.weight,
        )  # fmt: skip
        estimates[spec.name] = est
        verdict = est.verdict(spec.higher_is_better)
        results.append(
            MeasureResult(
                spec.name, spec.label, spec.unit, spec.higher_is_better, spec.definition, verdict, est
            )
        )
    judged = () if options.triggers is None else tuple(evaluate(options.triggers, estimates))
    decision = None if options.triggers is None else should_roll_back(judged)
    progress.step("looking for new bottlenecks and shifted work")
    bottlenecks = new_bottlenecks(engine)
    migration = effort_migration(engine)
    followed = None
    if options.plan is not None:
        progress.step("re-measuring the plan's success measures")
        followed = follow_up(engine, load_plan(Path(options.plan)), period="after")
    cards = None
    if options.scorecards is not None:
        progress.step("scoring the parties")
        cards = scorecards(engine, load_scorecards(Path(options.scorecards)), period="after")
    definitions = definitions_check(engine, period="after")
    taken = None
    if options.adopt is not None:
        progress.step("following adoption")
        taken = adoption(engine, options.adopt)
    progress.done()
    return AuditDocument(
        input=summary,
        segments=segments,
        window_days=options.analysis.window_days,
        measures=tuple(results),
        triggers=judged,
        decision=decision,
        notes=NOTES,
        options=options.to_dict(),
        bottlenecks=bottlenecks,
        migration=migration,
        follow_up=followed,
        adoption=taken,
        scorecards=cards,
        definitions=definitions,
        comparability=mix,
    )
