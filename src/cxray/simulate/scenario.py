"""What a simulated contact centre is made of: teams, queues, reasons, behaviour and planted breakdowns.

A scenario is data (a YAML file, see ``scenarios/default.yaml``); these frozen dataclasses are its typed form.
Every entity name in the output comes from the scenario, so a breakdown finder cannot be tuned to one
centre's names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .breakdowns import Breakdown
from .change import Change
from .vocabulary import Vocabulary

REALTIME_CHANNELS = ("phone", "chat")  # customers wait on the line and may abandon
DEFERRED_CHANNELS = ("email", "back_office")  # work items wait in a backlog
ENTRY_CHANNELS = ("phone", "chat", "email")
TEAM_KINDS = ("internal", "vendor", "tier2", "specialist", "back_office")


@dataclass(frozen=True, kw_only=True)
class Team:
    """A team or vendor; ``handle_factor`` and ``resolve_factor`` scale handle time and resolution."""

    name: str
    kind: str = "internal"
    agents: int = 50
    prefix: str = "A"  # agent ids are prefix + number
    handle_factor: float = 1.0
    resolve_factor: float = 1.0


@dataclass(frozen=True, kw_only=True)
class Queue:
    """A queue on one channel served by teams in the given shares.

    Phone and chat queues are real-time: waits and abandonment follow Erlang-A per hour with square-root
    staffing (``staffing_beta``) and exponential patience (mean ``patience_s``). Email and back-office queues
    are backlogs: lognormal waits with median ``wait_median_s``.
    """

    name: str
    channel: str
    teams: dict[str, float]
    patience_s: float = 600.0
    staffing_beta: float = 1.0
    callback_share: float = 0.0  # share of long waiters who ask for a callback (phone)
    wait_median_s: float = 4 * 3600.0
    wait_sigma: float = 0.8

    @property
    def realtime(self) -> bool:
        return self.channel in REALTIME_CHANNELS


@dataclass(frozen=True, kw_only=True)
class Reason:
    """A contact reason (intent): its share of issues, entry channels, routing and how hard it is."""

    name: str
    share: float
    channels: dict[str, float]
    queues: dict[str, str]  # entry channel -> queue
    handle_mean_s: float = 360.0
    handle_sigma: float = 0.5
    resolve_p: float = 0.85
    bot_contain_p: float = 0.2
    transfer_p: float = 0.03
    transfer_to: str | None = None
    tier2_p: float = 0.04
    escalate_to: str | None = None  # default: the scenario's escalation_queue
    back_office_p: float = 0.0
    back_office_queue: str | None = None  # default: the scenario's back_office_queue


@dataclass(frozen=True, kw_only=True)
class Behaviour:
    """How customers, bots and agents behave when nothing is broken (the baseline)."""

    ivr_auth_p: float = 0.7
    bot_intent_p: float = 0.85
    bot_auth_p: float = 0.5
    false_containment_p: float = 0.06  # baseline share of bot "contained" that were not
    context_loss_p: float = 0.04  # baseline re-authentication after a handoff
    honesty_p: float = 0.5  # an unresolved contact is recorded "unresolved" (else wrongly "resolved")
    repeat_p: float = 0.85  # an unresolved customer comes back
    repeat_delay_median_h: float = 20.0
    retry_p: float = 0.6  # an abandoning customer tries again
    retry_delay_mean_h: float = 1.0
    switch_to_phone_p: float = 0.5  # a repeat contact comes by phone, else by the reason's usual mix
    back_office_resolve_p: float = 0.95
    back_office_handle_median_s: float = 900.0
    chase_after_days: float = 3.0
    chase_rate_per_day: float = 0.15
    max_chases: int = 6
    callback_threshold_s: float = 180.0
    acw_median_s: float = 45.0
    transfer_handle_factor: float = 0.4  # share of a handle spent before transferring on
    survey_p: float = 0.12
    max_rounds: int = 7  # contacts per journey at most (repeats, retries, back-office items)


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """A whole contact centre. ``load_scenario`` builds and validates one from YAML."""

    name: str
    description: str = ""
    start: date = date(2024, 3, 4)
    days: int = 30
    customers: int = 100_000
    issues_per_customer_per_year: float = 4.0
    overdispersion: float = 20.0  # gamma shape of the day-to-day volume factor (larger = calmer)
    weekday_profile: tuple[float, ...] = (1.15, 1.05, 1.0, 1.0, 0.95, 0.55, 0.3)
    hour_profiles: dict[str, tuple[float, ...]] = field(default_factory=dict)
    bot_name: str = "Bot"
    teams: tuple[Team, ...] = ()
    queues: tuple[Queue, ...] = ()
    reasons: tuple[Reason, ...] = ()
    escalation_queue: str = ""
    back_office_queue: str = ""
    behaviour: Behaviour = field(default_factory=Behaviour)
    breakdowns: tuple[Breakdown, ...] = ()
    changes: tuple[Change, ...] = ()  # opt-in: what starts on a date (a pilot, a season...), see change.py
    vocabulary: Vocabulary = field(default_factory=Vocabulary)  # the identity: built-in activity names

    def breakdown(self, name: str) -> Breakdown:
        """The planted breakdown called ``name``."""
        for b in self.breakdowns:
            if b.name == name:
                return b
        raise KeyError(name)
