"""IN: a party's KPI looks good while the outcomes it should serve get worse (incentive misalignment).

The detector wraps :func:`cxray.incentives.assess_incentives` (whose docstring defines IN01-IN03 and their
baselines). Each finding claims the follow-up contacts it counts as avoidable, so the finder de-duplicates
them against the repeat and false-containment detectors: the same repeats are never priced twice. The whole
assessment (the parties table) stays on the detector as ``assessment`` for the report's incentives table.
"""

from __future__ import annotations

from typing import Any

from ..incentives import IncentiveOptions, Party, assess_incentives
from .base import OPERATING_MODEL, Detector, Finding
from .context import DetectorContext
from .registry import register_detector


@register_detector
class IncentiveMisalignment(Detector):
    """A party's KPI meets its target or beats its peers while its customers' outcomes are worse.

    **Detects**: ``IN01`` a team or vendor whose KPI (handle time by default) is at target or better than
    the peer median while its closes come back more than the same reasons do with other parties;
    ``IN02`` a bot or IVR whose reported containment exceeds its true containment; ``IN03`` a KPI
    improving (handle time down 10%+) while repeats rise, the party's later weeks against its earlier.

    **Why it matters**: the KPI hides the breakdown from the party paid to fix it, and the work it sheds
    lands on the customer and on other parties (``evidence.migrates_to`` says where).

    **Example**: a vendor with the lowest handle time (6.3 min against 8.8) whose closes come back 41%
    of the time against 22% for the same reasons elsewhere: the excess repeats are avoidable.
    """

    code, name, bucket = "IN", "incentive misalignment", OPERATING_MODEL

    def __init__(
        self, *, parties: tuple[Party, ...] | None = None, thresholds: IncentiveOptions | None = None
    ) -> None:
        self.parties = parties
        self.thresholds = thresholds or IncentiveOptions()
        self.assessment: dict[str, Any] | None = None

    def detect(self, ctx: DetectorContext) -> list[Finding]:
        self.assessment = assess_incentives(
            ctx.engine,
            parties=self.parties,
            options=ctx.options,
            costs=ctx.costs,
            thresholds=self.thresholds,
            claims_table=ctx.scratch("incentive_claims"),
        )
        return list(self.assessment["findings"])
