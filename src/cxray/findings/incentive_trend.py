"""IN03: a party's KPI improves while the outcome it should serve worsens."""

from __future__ import annotations

from ..incentives.assessment import IncentiveAssessment, assessment_for, finding_order
from .base import OPERATING_MODEL, Detector, Finding
from .context import DetectorContext
from .registry import register_detector


@register_detector
class KpiImprovesOutcomeWorsens(Detector):
    """A team's handle time falls while the repeats of its closes rise: the trend reads as improvement.

    **Detects**: a human party whose mean handle time in the second half of its weeks is at least 10% below
    the first half while its repeat rate rose by ``min_excess`` or more (each half with ``min_contacts``
    uncensored closes). Avoidable: the rise in repeats times the later half's closes.

    **Why it matters**: a falling handle time is reported as productivity; the repeats it creates cost
    more than the minutes it saves, and land on the customer and on other parties.

    **Example**: a vendor cutting handle time from 10 to 3 minutes over eight weeks while its repeat
    rate rose from 0% to 50%.
    """

    code, name, bucket = "IN03", "KPI improves, outcome worsens", OPERATING_MODEL
    reads = frozenset()

    def detect(self, ctx: DetectorContext) -> list[Finding]:
        return self.assess(assessment_for(ctx))

    def assess(self, a: IncentiveAssessment) -> list[Finding]:
        """The findings over an assessment, by avoidable cost."""
        th, out = a.thresholds, []
        for p in a.humans:
            halves = a.weekly.get(p["party"], {})
            if set(halves) != {1, 2} or min(halves[1]["n"], halves[2]["n"]) < th.min_contacts:
                continue
            h1, h2 = halves[1], halves[2]
            r1, r2 = h1["reps"] / h1["n"], h2["reps"] / h2["n"]
            faster = h1["handle_s"] and h2["handle_s"] is not None and h2["handle_s"] <= 0.9 * h1["handle_s"]
            if not faster or r2 - r1 < th.min_excess:
                continue
            evidence = {
                "handle_s": [round(h1["handle_s"], 1), round(h2["handle_s"], 1)],
                "repeat_rate": [round(r1, 6), round(r2, 6)],
                "weeks": int(h1["weeks"]),
            }
            out.append(
                self.finding(
                    title=f"{p['party']}: handle time fell {1 - h2['handle_s'] / h1['handle_s']:.0%} "
                    f"while repeats rose from {r1:.0%} to {r2:.0%}",
                    hidden_by_kpi=f"{p['party']}'s handle-time trend reads as improvement",
                    **a.follow_ups(p, (r2 - r1) * h2["n"], evidence=evidence, match="c.followed"),
                )
            )
        return sorted(out, key=finding_order)
