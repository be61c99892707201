"""Did the change work? Before/after audits of a pilot against a control group (issue 18).

A pilot's own before/after numbers mix the change with everything else that moved in those weeks. The
audit sets the pilot beside a control group that lived through the same weeks without the change:
``did`` estimates each measure's difference-in-differences with an interval drawn by resampling customers,
and checks the parallel-trends assumption on the weeks before; ``triggers`` reads rollback triggers from
YAML and fires one only when the effect's whole interval is past its threshold, not on a point estimate.

``segments`` labels each contact pilot / control and before / after (table ``audit_contacts``), ``measures``
observes the headline measures per unit, ``run.audit`` puts it together into an ``AuditDocument``
(``document``: audit.json, audit.html). The analyses of the same tables: ``bottlenecks`` (what grew in the
pilot's flow), ``adoption`` (who takes the new step, week by week), ``migration`` (work shifted, not
removed), ``followup`` (a plan's success measures re-measured), ``scorecards`` (composites per party and
whether "resolved" means the same everywhere).
"""

from __future__ import annotations

from .adoption import AdoptionOptions, AdoptionResult, AdoptionSpec, adoption
from .bottlenecks import BottleneckOptions, NewBottlenecks, new_bottlenecks
from .comparability import MixDifference, compare_mix
from .did import (
    DidEstimate,
    DidOptions,
    Interval,
    ParallelTrends,
    Status,
    TrendStatus,
    Verdict,
    difference_in_differences,
)
from .document import AUDIT_FILES, AuditDocument, MeasureResult
from .followup import FollowUp, follow_up, load_plan
from .migration import EffortMigration, MigrationOptions, effort_migration
from .run import AuditOptions, audit
from .scorecards import Scorecards, definitions_check, load_scorecards, scorecards
from .segments import Segment, SegmentSummary, parse_segment
from .triggers import (
    MEASURES,
    Measure,
    RollbackDecision,
    Trigger,
    TriggerResult,
    evaluate,
    load_triggers,
    parse_triggers,
    should_roll_back,
)

__all__ = [
    "AUDIT_FILES",
    "MEASURES",
    "AdoptionOptions",
    "AdoptionResult",
    "AdoptionSpec",
    "AuditDocument",
    "AuditOptions",
    "BottleneckOptions",
    "DidEstimate",
    "DidOptions",
    "EffortMigration",
    "FollowUp",
    "Interval",
    "Measure",
    "MeasureResult",
    "MigrationOptions",
    "MixDifference",
    "NewBottlenecks",
    "ParallelTrends",
    "RollbackDecision",
    "Scorecards",
    "Segment",
    "SegmentSummary",
    "Status",
    "TrendStatus",
    "Trigger",
    "TriggerResult",
    "Verdict",
    "adoption",
    "audit",
    "compare_mix",
    "definitions_check",
    "difference_in_differences",
    "effort_migration",
    "evaluate",
    "follow_up",
    "load_plan",
    "load_scorecards",
    "load_triggers",
    "new_bottlenecks",
    "parse_segment",
    "parse_triggers",
    "scorecards",
    "should_roll_back",
]
