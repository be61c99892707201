"""Did the change work? Before/after audits of a pilot against a control group (issue 18).

A pilot's own before/after numbers mix the change with everything else that moved in those weeks. The
audit sets the pilot beside a control group that lived through the same weeks without the change:
``did`` estimates each measure's difference-in-differences with an interval drawn by resampling customers,
and checks the parallel-trends assumption on the weeks before; ``triggers`` reads rollback triggers from
YAML and fires one only when the effect's whole interval is past its threshold, not on a point estimate.
"""

from __future__ import annotations

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
    "MEASURES",
    "DidEstimate",
    "DidOptions",
    "Interval",
    "Measure",
    "ParallelTrends",
    "RollbackDecision",
    "Status",
    "TrendStatus",
    "Trigger",
    "TriggerResult",
    "Verdict",
    "difference_in_differences",
    "evaluate",
    "load_triggers",
    "parse_triggers",
    "should_roll_back",
]
