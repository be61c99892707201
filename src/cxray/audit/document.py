"""The audit's result, typed, and its files: ``audit.json`` and ``audit.html``, written whole or not at all.

:class:`AuditDocument` holds what :func:`cxray.audit.run.audit` found; ``to_dict`` is the JSON edge. The
page is rendered by ``cxray.report.audit_page`` (a layer above this one), so :func:`write_audit` takes the
renderer as an argument: the CLI passes ``render_audit_html``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from .._version import __version__
from ..errors import ConfigError, CxrayError
from ..io import InputSummary
from .adoption import AdoptionResult
from .bottlenecks import NewBottlenecks
from .did import DidEstimate, Verdict
from .followup import FollowUp
from .migration import EffortMigration
from .scorecards import DefinitionCheck, Scorecards
from .segments import SegmentSummary
from .triggers import RollbackDecision, TriggerResult

__all__ = ["AUDIT_FILES", "AuditDocument", "MeasureResult", "write_audit"]

#: The files :func:`write_audit` writes: a run replaces both or neither.
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
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str)


def write_audit(
    document: AuditDocument, out_dir: str | Path, *, render_html: Callable[[AuditDocument], str]
) -> dict[str, Path]:
    """Write ``audit.json`` and ``audit.html`` (``render_html(document)``) into ``out_dir``, both or neither.

    As ``cxray.outputs`` does: both are written into a temporary folder beside ``out_dir`` and moved into
    place, so a failure (the renderer's included) leaves the previous audit untouched. Returns each
    file's path by name.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError("--out names a file, not a folder", path=out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name or 'cxray'}.tmp-", dir=out.parent))
    except OSError as exc:
        raise ConfigError(f"cannot write the output folder: {exc.strerror or exc}", path=out) from None
    try:
        html = render_html(document)
        (staging / AUDIT_FILES["json"]).write_text(document.to_json() + "\n", encoding="utf-8")
        (staging / AUDIT_FILES["html"]).write_text(html, encoding="utf-8")
        for name in AUDIT_FILES.values():
            os.replace(staging / name, out / name)
    except OSError as exc:
        raise CxrayError(
            f"could not write the audit ({exc.strerror or exc}); the previous audit in {out} is untouched"
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {name: out / filename for name, filename in AUDIT_FILES.items()}
