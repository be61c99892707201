"""IN01: a party's KPI looks good while its closes come back more than the same reasons do elsewhere."""

from __future__ import annotations

from ..incentives.assessment import IncentiveAssessment, assessment_for, finding_order, kpi_looks_good, median
from ..incentives.parties import KPI_LABEL
from .base import OPERATING_MODEL, Detector, Finding
from .context import DetectorContext
from .registry import register_detector


@register_detector
class KpiHidesRepeats(Detector):
    """A team or vendor meets its KPI (or beats its peers on it) while its customers have to come back.

    **Detects**: a party whose KPI (handle time by default; declared per party with ``--parties``) is at
    its target, or at least as good as the peer median, while its closes come back more often than the
    same reasons do with the other parties (their per-reason repeat rate weighted by this party's reason
    mix, significant at ``min_z``). Avoidable: the excess repeats, priced at the repeat contacts.

    **Why it matters**: the KPI hides the breakdown from the party paid to fix it, and the work it sheds
    lands on the customer and on other parties (``evidence.migrates_to`` says where).

    **Example**: a vendor with the lowest handle time (6.3 min against 8.8) whose closes come back 41%
    of the time against 22% for the same reasons elsewhere: the excess repeats are avoidable.
    """

    code, name, bucket = "IN01", "KPI hides repeats", OPERATING_MODEL
    reads = frozenset()

    def detect(self, ctx: DetectorContext) -> list[Finding]:
        return self.assess(assessment_for(ctx))

    def assess(self, a: IncentiveAssessment) -> list[Finding]:
        """The findings over an assessment, by avoidable cost."""
        th, humans, out = a.thresholds, a.humans, []
        expected = a.expected_repeats()
        for p in humans:
            e = expected.get(p["party"])
            if p["uncensored_closed"] < th.min_contacts or p["repeat_rate"] is None or not e or not e["n"]:
                continue
            peers = [q for q in humans if q["party"] != p["party"]]
            base = e["expected"] / e["n"]  # the peers' repeat rate for this party's mix of reasons
            rate = e["reps"] / e["n"]
            excess = rate - base
            z = (e["reps"] - e["expected"]) / max(e["n"] * base * (1 - base), 1e-9) ** 0.5
            if excess < th.min_excess or z < th.min_z or not kpi_looks_good(p, peers):
                continue
            evidence = {
                "kpi_value": p["kpi_value"],
                "peer_kpi_median": median(peers, p["kpi"]),
                "repeat_rate": p["repeat_rate"],
                "baseline_repeat_rate": round(base, 6),
                "baseline": "other parties' repeat rate for the same reasons, weighted by this party's "
                "reason mix",
                "compared_closes": int(e["n"]),
                "z": round(z, 2),
            }
            out.append(
                self.finding(
                    title=f"{p['party']}: {KPI_LABEL[p['kpi']]} looks good while its closes come back "
                    f"({p['repeat_rate']:.0%} repeat vs {base:.0%} elsewhere)",
                    hidden_by_kpi=f"{p['party']} is measured on {KPI_LABEL[p['kpi']]}, which counts a quick "
                    "close as success",
                    **a.follow_ups(p, e["reps"] - e["expected"], evidence=evidence, match="c.followed"),
                )
            )
        return sorted(out, key=finding_order)
