"""The plantable breakdowns: one typed switch each, named in the scenario, recorded in the ground truth.

Each kind says which entities it acts on (names from the scenario) and by how much. ``enabled: false`` turns
it off without deleting it, so a test can show that the signal goes with the switch. Decoys are planted too:
they look alarming or large but are not avoidable friction, and a breakdown finder should rank them low.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .. import schema as S
from ..errors import ConfigError


@dataclass(frozen=True, kw_only=True)
class Breakdown:
    """Common fields. ``kind`` is the YAML key that selects the class."""

    kind: ClassVar[str] = ""
    decoy: ClassVar[bool] = False
    #: Who does the step ``entities()[activity]`` names: a vocabulary renames it as that actor's step.
    step_actor: ClassVar[str] = S.AGENT
    name: str
    enabled: bool = True

    def entities(self) -> dict[str, str]:
        """The entities it acts on, keyed by canonical column name (``from``/``to`` for a pair)."""
        raise NotImplementedError

    def parameters(self) -> dict[str, object]:
        """Its effect sizes: every field but the name, the switch and the entities."""
        skip = {"name", "enabled", *self.entity_fields}
        return {k: v for k, v in vars(self).items() if k not in skip}

    entity_fields: ClassVar[tuple[str, ...]] = ()


@dataclass(frozen=True, kw_only=True)
class MisroutedHandoff(Breakdown):
    """Contacts of ``reason`` on ``channel`` land in ``wrong_queue``, whose agents transfer them on."""

    kind: ClassVar[str] = "misrouted_handoff"
    entity_fields: ClassVar[tuple[str, ...]] = ("reason", "channel", "wrong_queue")
    reason: str
    channel: str
    wrong_queue: str
    share: float = 0.4

    def entities(self) -> dict[str, str]:
        return {S.REASON: self.reason, S.CHANNEL: self.channel, S.QUEUE: self.wrong_queue}


@dataclass(frozen=True, kw_only=True)
class FalseContainment(Breakdown):
    """The bot says "contained" for ``reason``, but ``share`` of those customers were not helped.

    They come back on ``comeback_channel``.
    """

    kind: ClassVar[str] = "false_containment"
    entity_fields: ClassVar[tuple[str, ...]] = ("reason",)
    reason: str
    share: float = 0.45
    comeback_channel: str = "phone"

    def entities(self) -> dict[str, str]:
        return {S.REASON: self.reason, S.CHANNEL: "chat", S.ACTOR_TYPE: S.BOT}


@dataclass(frozen=True, kw_only=True)
class VendorPressure(Breakdown):
    """``team`` (a vendor paid on handle time) handles fast, resolves less and still records "resolved"."""

    kind: ClassVar[str] = "vendor_pressure"
    entity_fields: ClassVar[tuple[str, ...]] = ("team",)
    team: str
    handle_factor: float = 0.7
    resolve_drop: float = 0.25

    def entities(self) -> dict[str, str]:
        return {S.TEAM: self.team}


@dataclass(frozen=True, kw_only=True)
class ContextLoss(Breakdown):
    """After a handoff into ``queue`` the agent re-authenticates and gathers details again."""

    kind: ClassVar[str] = "context_loss"
    entity_fields: ClassVar[tuple[str, ...]] = ("queue",)
    queue: str
    share: float = 0.6

    def entities(self) -> dict[str, str]:
        return {S.QUEUE: self.queue, S.ACTIVITY: "Authenticate"}


@dataclass(frozen=True, kw_only=True)
class RepeatedVerification(Breakdown):
    """Customers the bot or the IVR verified are verified again by the agents of ``queue``.

    Only the verification is repeated (``context_loss`` also gathers the details again); under a
    ``vocabulary`` the two sides carry different names (``Bot authenticated``, then ``Security check``).
    """

    kind: ClassVar[str] = "repeated_verification"
    entity_fields: ClassVar[tuple[str, ...]] = ("queue",)
    queue: str
    share: float = 0.5

    def entities(self) -> dict[str, str]:
        return {S.QUEUE: self.queue, S.ACTIVITY: "Authenticate"}


@dataclass(frozen=True, kw_only=True)
class BackOfficeBlackHole(Breakdown):
    """Cases in back-office ``queue`` wait ``wait_factor`` times longer; customers chase their status."""

    kind: ClassVar[str] = "back_office_black_hole"
    step_actor: ClassVar[str] = S.SYSTEM
    entity_fields: ClassVar[tuple[str, ...]] = ("queue",)
    queue: str
    wait_factor: float = 5.0
    chase_rate_per_day: float = 0.5

    def entities(self) -> dict[str, str]:
        return {S.QUEUE: self.queue, S.ACTIVITY: "Case queued"}


@dataclass(frozen=True, kw_only=True)
class PingPong(Breakdown):
    """Contacts of ``reason`` bounce from queue ``first`` to ``second`` and back."""

    kind: ClassVar[str] = "ping_pong"
    entity_fields: ClassVar[tuple[str, ...]] = ("reason", "first", "second")
    reason: str
    first: str
    second: str
    share: float = 0.35

    def entities(self) -> dict[str, str]:
        return {S.REASON: self.reason, "from": self.first, "to": self.second}


@dataclass(frozen=True, kw_only=True)
class AbandonmentHotSpot(Breakdown):
    """``queue`` is staffed at ``staffing_factor`` of its need during ``hours`` (UTC hours of day)."""

    kind: ClassVar[str] = "abandonment_hot_spot"
    step_actor: ClassVar[str] = S.CUSTOMER
    entity_fields: ClassVar[tuple[str, ...]] = ("queue",)
    queue: str
    hours: tuple[int, ...] = (10, 11)
    staffing_factor: float = 0.6

    def entities(self) -> dict[str, str]:
        return {S.QUEUE: self.queue, S.ACTIVITY: "Abandoned"}


@dataclass(frozen=True, kw_only=True)
class RareAwfulJourney(Breakdown):
    """Decoy: a rare ``reason`` whose every contact takes the long ``route`` of queues (bad, but few)."""

    kind: ClassVar[str] = "rare_awful_journey"
    decoy: ClassVar[bool] = True
    entity_fields: ClassVar[tuple[str, ...]] = ("reason",)
    reason: str
    route: tuple[str, ...] = ()
    handle_factor: float = 2.0

    def entities(self) -> dict[str, str]:
        return {S.REASON: self.reason}


@dataclass(frozen=True, kw_only=True)
class HealthyVolume(Breakdown):
    """Decoy: a high-volume ``reason`` that the bot truly contains and agents truly resolve."""

    kind: ClassVar[str] = "healthy_volume"
    decoy: ClassVar[bool] = True
    entity_fields: ClassVar[tuple[str, ...]] = ("reason",)
    reason: str
    bot_contain_p: float = 0.7
    resolve_p: float = 0.97

    def entities(self) -> dict[str, str]:
        return {S.REASON: self.reason}


@dataclass(frozen=True, kw_only=True)
class SurveyDrop(Breakdown):
    """CSAT scores of one segment fall by ``score_shift`` for ``days`` from day ``start_day``; nothing else.

    The segment is the contacts of ``reason``, ``channel``, ``queue`` (the last queue the contact waited in)
    and ``team`` (the last agent's team), those given (at least one). Only the scores move: the operation,
    the verbatims and every other response are those of the same seed without it ("survey movement, not
    business improvement"). A positive ``score_shift`` plants a rise.
    """

    kind: ClassVar[str] = "survey_drop"
    step_actor: ClassVar[str] = S.CUSTOMER
    SEGMENT: ClassVar[tuple[str, ...]] = ("reason", "channel", "queue", "team")
    reason: str = ""
    channel: str = ""
    queue: str = ""
    team: str = ""
    start_day: int = 14
    days: int = 7
    score_shift: float = -1.2

    @property
    def entity_fields(self) -> tuple[str, ...]:  # type: ignore[override]  # the segment keys set
        return tuple(k for k in self.SEGMENT if getattr(self, k))

    def entities(self) -> dict[str, str]:
        columns = {"reason": S.REASON, "channel": S.CHANNEL, "queue": S.QUEUE, "team": S.TEAM}
        return {columns[k]: getattr(self, k) for k in self.entity_fields}

    def parameters(self) -> dict[str, object]:
        return {"start_day": self.start_day, "days": self.days, "score_shift": self.score_shift}

    def __post_init__(self) -> None:
        if not self.entity_fields:
            raise ConfigError(f"breakdowns.{self.name}: a survey_drop needs reason, channel, queue or team")
        if self.start_day < 0 or self.days < 1:
            raise ConfigError(f"breakdowns.{self.name}: start_day must be >= 0 and days >= 1")


KINDS: dict[str, type[Breakdown]] = {
    cls.kind: cls
    for cls in (
        MisroutedHandoff,
        FalseContainment,
        VendorPressure,
        ContextLoss,
        RepeatedVerification,
        BackOfficeBlackHole,
        PingPong,
        AbandonmentHotSpot,
        RareAwfulJourney,
        HealthyVolume,
        SurveyDrop,
    )
}
