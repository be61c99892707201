"""The voice of the customer, joined to the operation (docs/voc.md).

Survey responses (inside the event log or in survey files) are matched to their contacts
(``responses``); scored by segment and week with confidence intervals (``scores``); a drop is alerted only
beyond what the segment's own history explains, with the false-alarm rate controlled across segments
(``alerts``); verbatims are scored offline for sentiment (``sentiment``) and placed on the steps of their
own contact's path they talk about (``verbatims``); and every breakdown and alert is set beside the
operation (``perception``).

The step runs in two parts around the breakdowns: :func:`stage_voc` before them (so the finder keeps
the contacts each finding claims only when there are responses to compare), :func:`assess_voc` after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from typing_extensions import TypedDict

from ..engine import Engine
from ..findings.base import FindingDoc
from ..findings.finder import FINDING_CONTACTS, BreakdownDoc
from ..incentives.parties import Party
from ..io.options import ReadOptions
from ..process.step_kinds import StepKinds
from .alerts import AlertDoc, AlertOptions, AlertStats, ContactAlertDoc, contact_alerts, score_alerts
from .perception import (
    BreakdownVoiceDoc,
    LeadLagDoc,
    PairingDoc,
    breakdown_voice,
    explain_nested,
    lead_lag,
    pair_alerts,
)
from .responses import RESPONSES, SCALES, SurveyInputDoc, SurveyOptions, build_responses
from .scores import ScoreRow, segment_scores
from .sentiment import SentimentSegment, SentimentStats, add_sentiment, sentiment_by
from .touchpoints import TouchpointDoc, touchpoint_map
from .verbatims import VERBATIM_STEPS, StepVoiceDoc, VerbatimStats, map_verbatims

#: The segments scores, alerts and sentiment are cut by (columns of ``voc_responses``).
DIMENSIONS: tuple[str, ...] = ("reason", "channel", "queue", "team")


@dataclass(frozen=True)
class ContactAlertOptions:
    """The real-time intervention rule: a low score with a negative verbatim raises an alert for that
    contact (docs/voc.md)."""

    #: A response at or below this score (on its type's scale) is low.
    score_at_most: dict[str, float] = field(default_factory=lambda: {"nps": 6.0, "csat": 2.0, "ces": 2.0})
    #: ... and its verbatim's sentiment (VADER compound, -1..1) at or below this.
    sentiment_at_most: float = -0.3
    #: Contact alerts listed in the diagnosis (the total is always counted).
    limit: int = 200


@dataclass(frozen=True)
class VocOptions:
    """Where survey responses come from and how the voice of the customer is read."""

    surveys: SurveyOptions = field(default_factory=SurveyOptions)
    alerts: AlertOptions = field(default_factory=AlertOptions)
    contact_alerts: ContactAlertOptions = field(default_factory=ContactAlertOptions)
    #: Expected duration in seconds of a touchpoint (its step kind or activity name), for the touchpoint
    #: map's SLA column, e.g. ``{"queue_wait": 120, "authenticate": 60}``.
    slas: dict[str, float] = field(default_factory=dict)


class VocDoc(TypedDict):
    """``voc`` in ``diagnosis.json`` (docs/voc.md). ``available`` is False when no response was found."""

    available: bool
    input: SurveyInputDoc | None
    scales: dict[str, list[int]]
    scores: list[ScoreRow]
    alerts: list[AlertDoc]
    alert_stats: AlertStats | None
    pairings: list[PairingDoc]
    contact_alerts: list[ContactAlertDoc]
    contact_alerts_total: int
    sentiment: SentimentStats | None
    #: Sentiment of the verbatims by segment: {dimension: [{value, responses, verbatims, ...}]}.
    sentiment_by: dict[str, list[SentimentSegment]]
    steps: list[StepVoiceDoc]
    verbatim_stats: VerbatimStats | None
    breakdowns: list[BreakdownVoiceDoc]
    lead_lag: LeadLagDoc | None
    #: The service blueprint: every touchpoint (step kind x channel x owner), most contacts first; the
    #: report draws the first 40 as swimlanes, ``touchpoints.csv`` holds all.
    touchpoints: list[TouchpointDoc]


def stage_voc(engine: Engine, options: VocOptions, *, read: ReadOptions) -> SurveyInputDoc | None:
    """Read and match the survey responses (``voc_responses``); None when there are none."""
    return build_responses(engine, options.surveys, read=read)


def assess_voc(
    engine: Engine,
    staged: SurveyInputDoc | None,
    options: VocOptions,
    *,
    breakdowns: Sequence[BreakdownDoc],
    step_kinds: StepKinds,
    findings: Sequence[FindingDoc] = (),
    parties: Sequence[Party] | None = None,
) -> VocDoc:
    """Everything the voice of the customer says, once ``stage_voc`` staged the responses and the
    breakdowns were found (with ``keep_contacts`` when there were responses). The touchpoint map is
    drawn whether or not there are responses: without them it has no voice column."""

    def touchpoints() -> list[TouchpointDoc]:
        return touchpoint_map(
            engine, step_kinds=step_kinds, findings=findings, parties=parties, slas=options.slas, limit=None
        )

    if staged is None or not staged["rows_kept"]:
        try:
            return {**empty_voc(staged), "touchpoints": touchpoints()}
        finally:
            release_voc(engine)
    try:
        sentiment = add_sentiment(engine, RESPONSES)
        steps, verbatim_stats = map_verbatims(engine, RESPONSES, step_kinds=step_kinds)
        alerts, stats = score_alerts(engine, RESPONSES, dimensions=DIMENSIONS, options=options.alerts)
        alerts = explain_nested(engine, alerts, sigma=options.alerts.sigma)
        rule = options.contact_alerts
        flagged, total = contact_alerts(
            engine,
            RESPONSES,
            sentiment_column="sentiment",
            score_threshold=rule.score_at_most,
            sentiment_threshold=rule.sentiment_at_most,
            limit=rule.limit,
        )
        return {
            "available": True,
            "input": staged,
            "scales": {k: list(v) for k, v in SCALES.items()},
            "scores": segment_scores(engine, RESPONSES, dimensions=DIMENSIONS),
            "alerts": alerts,
            "alert_stats": stats,
            "pairings": pair_alerts(engine, alerts),
            "contact_alerts": flagged,
            "contact_alerts_total": total,
            "sentiment": sentiment,
            "sentiment_by": {d: sentiment_by(engine, RESPONSES, d) for d in DIMENSIONS},
            "steps": steps,
            "verbatim_stats": verbatim_stats,
            "breakdowns": breakdown_voice(engine, breakdowns),
            "lead_lag": lead_lag(engine),
            "touchpoints": touchpoints(),  # before release: it reads the verbatims placed on steps
        }
    finally:
        release_voc(engine)


def empty_voc(staged: SurveyInputDoc | None = None) -> VocDoc:
    """The section of a log without survey responses: it says so, and what was read."""
    return {
        "available": False,
        "input": staged,
        "scales": {k: list(v) for k, v in SCALES.items()},
        "scores": [],
        "alerts": [],
        "alert_stats": None,
        "pairings": [],
        "contact_alerts": [],
        "contact_alerts_total": 0,
        "sentiment": None,
        "sentiment_by": {},
        "steps": [],
        "verbatim_stats": None,
        "breakdowns": [],
        "lead_lag": None,
        "touchpoints": [],
    }


def release_voc(engine: Engine) -> None:
    """Drop the VoC step's tables (responses, verbatim steps, the finder's claimed contacts)."""
    for table in (RESPONSES, VERBATIM_STEPS, FINDING_CONTACTS):
        engine.execute(f"DROP TABLE IF EXISTS {table}")


__all__ = [
    "DIMENSIONS",
    "ContactAlertOptions",
    "SurveyOptions",
    "VocDoc",
    "VocOptions",
    "assess_voc",
    "empty_voc",
    "release_voc",
    "stage_voc",
]
