"""The audit's result, typed: what ``audit.json`` holds, field for field.

:class:`AuditDocument` holds what :func:`cxray.audit.run.audit` found; ``to_dict`` is the JSON edge. The
page is rendered by ``cxray.report.audit_page`` and both files are written by ``cxray.outputs.write_audit``
(layers above this one).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Final

from .._version import __version__
from ..io import InputSummary
from .adoption import AdoptionResult
from .bottlenecks import NewBottlenecks
from .comparability import MixDifference
from .did import DidEstimate, Verdict
from .followup import FollowUp
from .migration import EffortMigration
from .scorecards import DefinitionCheck, Scorecards
from .segments import SegmentSummary
from .triggers import RollbackDecision, TriggerResult

__all__ = ["AUDIT_FILES", "AuditDocument", "MeasureResult"]

#: The files ``cxray.outputs.write_audit`` writes: a run replaces both or neither.
AUDIT_FILES: Final[dict[str, str]] = {"json": "audit.json", "html": "audit.html"}


@dataclass(frozen=True)
class MeasureResult:
    """One measure audited: its definition, the difference-in-differences estimate and the verdict.

    ``estimate`` is None (and ``verdict`` ``insufficient data``) when the measure is ``disabled``: the log
    lacks its inputs, and ``disabled`` says which.
    """

    name: str
    label: str
    unit: str  # rate, seconds, money or score
    higher_is_better: bool
    definition: str
    verdict: Verdict
    estimate: DidEstimate | None
    disabled: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class AuditDocument:
    """Everything an audit found (``audit.json``, field for field).

    ``decision`` is None when no triggers were given; ``notes`` say what the audit left out and why.
    """

    input: InputSummary
    segments: SegmentSummary
    window_days: float
    measures: tuple[MeasureResult, ...]
    triggers: tuple[TriggerResult, ...] = ()
    decision: RollbackDecision | None = None
    notes: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    cxray_version: str = __version__
    #: The analyses of the same tables (None when not run: follow-up needs --plan, adoption --adopt).
    bottlenecks: NewBottlenecks | None = None
    migration: EffortMigration | None = None
    follow_up: FollowUp | None = None
    adoption: AdoptionResult | None = None
    scorecards: Scorecards | None = None
    #: Whether "resolved" means the same for every team: reported resolved against did not come back.
    definitions: tuple[DefinitionCheck, ...] = ()
    #: Whether the control is made of contacts like the pilot's (channel, human-handled), before the change.
    comparability: tuple[MixDifference, ...] = ()

    def measure(self, name: str) -> MeasureResult:
        for m in self.measures:
            if m.name == name:
                return m
        raise KeyError(f"no measure {name!r}; audited: {', '.join(m.name for m in self.measures)}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "cxray_version": self.cxray_version,
            "input": self.input.to_dict(),
            "segments": dataclasses.asdict(self.segments),
            "window_days": self.window_days,
            "measures": [m.to_dict() for m in self.measures],
            "triggers": [dataclasses.asdict(t) for t in self.triggers],
            "decision": None if self.decision is None else dataclasses.asdict(self.decision),
            "notes": list(self.notes),
            "options": self.options,
            "bottlenecks": None if self.bottlenecks is None else self.bottlenecks.to_dict(),
            "migration": None if self.migration is None else self.migration.to_dict(),
            "follow_up": None if self.follow_up is None else self.follow_up.to_dict(),
            "adoption": None if self.adoption is None else self.adoption.to_dict(),
            "scorecards": None if self.scorecards is None else self.scorecards.to_dict(),
            "definitions": [dataclasses.asdict(c) for c in self.definitions],
            "comparability": [c.to_dict() for c in self.comparability],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str)
