"""Small hand-written contact logs for the detector tests: a few builders, readable by a domain expert."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cxray import schema as S
from cxray.engine import Engine
from cxray.findings import Thresholds, find_breakdowns
from cxray.findings.base import Detector
from cxray.journeys import build_journeys
from cxray.options import AnalysisOptions
from cxray.testing import load_rows

T0 = datetime(2024, 1, 1, 9, 0, 0)
#: Low thresholds so that golden logs of a few dozen contacts can fire.
LOW = Thresholds(min_excess=3, min_lift=1.5, min_z=2.0)


def steps(
    contact: str,
    start: datetime,
    legs: list[tuple[str | None, list[str]]],
    *,
    customer: str | None = None,
    reason: str | None = "r",
    channel: str = "phone",
    outcome: str | None = S.RESOLVED,
    actor_type: str | None = S.AGENT,
    minutes: float = 5.0,
    gap: timedelta = timedelta(minutes=5),
    bot_legs: tuple[str, ...] = ("bot",),
) -> list[dict[str, Any]]:
    """One contact: legs of (queue, [activities]); the last event carries the outcome."""
    rows: list[dict[str, Any]] = []
    ts = start
    for queue, activities in legs:
        for activity in activities:
            bot = queue in bot_legs
            rows.append(
                {
                    S.CONTACT_ID: contact,
                    S.TIMESTAMP: ts,
                    S.ACTIVITY: activity,
                    S.CUSTOMER_ID: customer,
                    S.REASON: reason,
                    S.CHANNEL: "chat" if bot else channel,
                    S.QUEUE: None if bot else queue,
                    S.TEAM: None if bot else queue,
                    S.ACTOR_TYPE: S.BOT if bot else actor_type,
                    S.DURATION_S: 0.0 if bot else minutes * 60,
                }
            )
            ts += gap
    rows[-1][S.OUTCOME] = outcome
    return rows


def filler(days: int = 60) -> list[dict[str, Any]]:
    """A lone contact far later, so the golden contacts are not censored by the end of the data."""
    return steps(
        "zz-filler", T0 + timedelta(days=days), [("Elsewhere", ["Handle"])], customer="zz", reason="zz"
    )


def run(
    engine: Engine, rows: list[dict[str, Any]], detector: Detector, *, window_days: float = 7.0
) -> dict[str, Any]:
    """Load rows, build journeys and run one detector through the finder."""
    load_rows(engine, rows)
    options = AnalysisOptions(window_days=window_days)
    build_journeys(engine, options=options)
    return find_breakdowns(engine, options=options, detectors=[detector], top=5)


def codes(result: dict[str, Any]) -> list[str]:
    return [f["code"] for f in result["all_findings"]]
