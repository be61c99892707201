"""The scenario as numpy arrays indexed by reason, queue and team, so a batch of contacts moves at once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .breakdowns import Breakdown, HealthyVolume
from .scenario import ENTRY_CHANNELS, Scenario

CHANNELS = (*ENTRY_CHANNELS, "back_office")  # channel codes: 0 phone, 1 chat, 2 email, 3 back_office
PHONE, CHAT, EMAIL, BACK_OFFICE = range(4)


@dataclass(frozen=True)
class Model:
    """Arrays derived from a scenario (and a volume scale). Names index into the scenario's tuples."""

    scenario: Scenario
    scale: float
    reason_share: np.ndarray  # (R,)
    reason_channel: np.ndarray  # (R, 3) entry-channel mix per reason
    route: np.ndarray  # (R, 3) queue per reason and entry channel (-1: none)
    handle_mean: np.ndarray  # (R,)
    handle_sigma: np.ndarray
    resolve_p: np.ndarray
    contain_p: np.ndarray
    transfer_p: np.ndarray
    transfer_to: np.ndarray  # (R,) queue or -1
    tier2_p: np.ndarray
    escalate_to: np.ndarray
    bo_p: np.ndarray
    bo_queue: np.ndarray
    queue_channel: np.ndarray  # (Q,)
    queue_realtime: np.ndarray
    queue_patience: np.ndarray
    queue_beta: np.ndarray
    queue_callback: np.ndarray
    queue_wait_median: np.ndarray
    queue_wait_sigma: np.ndarray
    queue_team_cdf: np.ndarray  # (Q, T) cumulative team shares
    team_handle: np.ndarray  # (T,)
    team_resolve: np.ndarray
    team_agents: np.ndarray  # pool size after scaling
    team_agent_offset: np.ndarray  # first global agent number of the team
    hour_cdf: np.ndarray  # (3, 24) arrival hour per entry channel
    weekday: np.ndarray  # (7,) normalised to mean 1

    @property
    def n_agents(self) -> int:
        return int(self.team_agents.sum())

    def reason(self, name: str) -> int:
        return next(i for i, r in enumerate(self.scenario.reasons) if r.name == name)

    def queue(self, name: str) -> int:
        return next(i for i, q in enumerate(self.scenario.queues) if q.name == name)

    def team(self, name: str) -> int:
        return next(i for i, t in enumerate(self.scenario.teams) if t.name == name)

    def active(self, cls: type[Breakdown]) -> list:
        """The enabled breakdowns of one kind."""
        return [b for b in self.scenario.breakdowns if isinstance(b, cls) and b.enabled]


def build_model(s: Scenario, *, customers: int) -> Model:
    """Index the scenario; decoy overrides of reason parameters are applied here."""
    qi = {q.name: i for i, q in enumerate(s.queues)}
    ti = {t.name: i for i, t in enumerate(s.teams)}
    reasons = s.reasons
    share = np.array([r.share for r in reasons], dtype=float)
    mix = np.array([[r.channels.get(c, 0.0) for c in ENTRY_CHANNELS] for r in reasons], dtype=float)
    mix /= mix.sum(axis=1, keepdims=True)
    route = np.array(
        [[qi.get(r.queues.get(c, ""), -1) for c in ENTRY_CHANNELS] for r in reasons], dtype=np.int64
    )
    contain = np.array([r.bot_contain_p for r in reasons])
    resolve = np.array([r.resolve_p for r in reasons])
    for b in s.breakdowns:
        if isinstance(b, HealthyVolume) and b.enabled:
            k = [r.name for r in reasons].index(b.reason)
            contain[k], resolve[k] = b.bot_contain_p, b.resolve_p
    shares = np.zeros((len(s.queues), len(s.teams)))
    for i, q in enumerate(s.queues):
        for name, v in q.teams.items():
            shares[i, ti[name]] = v
    shares /= np.maximum(shares.sum(axis=1, keepdims=True), 1e-12)
    scale = customers / s.customers
    agents = np.array([max(1, round(t.agents * min(max(scale, 0.05), 20))) for t in s.teams], dtype=np.int64)
    hours = np.array([s.hour_profiles[c] for c in ENTRY_CHANNELS], dtype=float)
    weekday = np.array(s.weekday_profile, dtype=float)

    def opt(name: str | None, default: str) -> int:
        return qi[name if name is not None else default] if (name or default) else -1

    return Model(
        scenario=s,
        scale=scale,
        reason_share=share / share.sum(),
        reason_channel=mix,
        route=route,
        handle_mean=np.array([r.handle_mean_s for r in reasons]),
        handle_sigma=np.array([r.handle_sigma for r in reasons]),
        resolve_p=resolve,
        contain_p=contain,
        transfer_p=np.array([r.transfer_p if r.transfer_to else 0.0 for r in reasons]),
        transfer_to=np.array([qi[r.transfer_to] if r.transfer_to else -1 for r in reasons], dtype=np.int64),
        tier2_p=np.array([r.tier2_p for r in reasons]),
        escalate_to=np.array([opt(r.escalate_to, s.escalation_queue) for r in reasons], dtype=np.int64),
        bo_p=np.array([r.back_office_p for r in reasons]),
        bo_queue=np.array([opt(r.back_office_queue, s.back_office_queue) for r in reasons], dtype=np.int64),
        queue_channel=np.array([CHANNELS.index(q.channel) for q in s.queues], dtype=np.int64),
        queue_realtime=np.array([q.realtime for q in s.queues]),
        queue_patience=np.array([q.patience_s for q in s.queues]),
        queue_beta=np.array([q.staffing_beta for q in s.queues]),
        queue_callback=np.array([q.callback_share if q.channel == "phone" else 0.0 for q in s.queues]),
        queue_wait_median=np.array([q.wait_median_s for q in s.queues]),
        queue_wait_sigma=np.array([q.wait_sigma for q in s.queues]),
        queue_team_cdf=np.cumsum(shares, axis=1),
        team_handle=np.array([t.handle_factor for t in s.teams]),
        team_resolve=np.array([t.resolve_factor for t in s.teams]),
        team_agents=agents,
        team_agent_offset=np.concatenate([[0], np.cumsum(agents)[:-1]]).astype(np.int64),
        hour_cdf=np.cumsum(hours / hours.sum(axis=1, keepdims=True), axis=1),
        weekday=weekday / weekday.mean(),
    )
