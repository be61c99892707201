"""IN02: a bot or IVR reports more containment than it truly achieves."""

from __future__ import annotations

from .. import schema as S
from ..incentives.assessment import IncentiveAssessment, assessment_for, finding_order
from .base import TECHNOLOGY, Detector, Finding
from .context import DetectorContext
from .registry import register_detector


@register_detector
class InflatedContainment(Detector):
    """A bot or IVR measured on containment counts as contained the contacts that came back.

    **Detects**: a self-service party whose reported containment exceeds its true containment by
    ``min_gap`` or more: the sessions it "contained" after which the customer contacted again within the
    window. Avoidable: those beyond the rate at which the human parties' closes are followed by a contact
    on any channel within the window (customers come back for new reasons too).

    **Why it matters**: reported containment is what the bot's owner is paid on; the contacts it sheds
    land on agents, at their cost, and on the customer's time (``evidence.migrates_to`` says where).

    **Example**: a bot reporting 100% containment whose customers come back within a week half the time,
    against 19% after a human close: the excess returns are avoidable.
    """

    code, name, bucket = "IN02", "inflated containment", TECHNOLOGY
    reads = frozenset()
    entity_keys = (S.ACTOR_TYPE,)  # the bot or IVR

    def detect(self, ctx: DetectorContext) -> list[Finding]:
        return self.assess(assessment_for(ctx))

    def assess(self, a: IncentiveAssessment) -> list[Finding]:
        """The findings over an assessment, by avoidable cost."""
        th, out = a.thresholds, []
        # A contained contact that comes back is avoidable only beyond the rate at which humans' closes are
        # followed by another contact: customers return for new reasons too.
        # True containment counts a contact on any channel for any reason, so the baseline does too.
        human_rate = a.human_follow_rate()
        for p in a.parties:
            if not p["self_service"] or p["containment"] is None or p["true_containment"] is None:
                continue
            gap = p["containment"] - p["true_containment"]
            false_n, known = a.came_back(p["party"])
            if gap < th.min_gap or false_n < th.min_contacts * th.min_gap:
                continue
            evidence = {
                "containment": p["containment"],
                "true_containment": p["true_containment"],
                "came_back": false_n,
                "baseline_repeat_rate": round(human_rate, 6),
            }
            out.append(
                self.finding(
                    title=f"{p['party']}: containment {p['containment']:.0%} reported, "
                    f"{p['true_containment']:.0%} true",
                    hidden_by_kpi=f"{p['party']} containment counts contacts that came back within the "
                    "window",
                    **a.follow_ups(
                        p,
                        max(0.0, false_n - human_rate * known),
                        evidence=evidence,
                        match=f"c.{S.IS_CONTAINED} AND NOT c.{S.IS_TRUE_CONTAINED} AND c.followed",
                    ),
                )
            )
        return sorted(out, key=finding_order)
