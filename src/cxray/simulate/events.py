"""Events as columns of integer codes while simulating; strings only once, when the Arrow table is built."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from .. import schema as S

# Activities (codes are positions). Texts are what the event log shows.
ACTIVITIES = (
    "IVR menu",
    "Authenticate",
    "Bot: conversation started",
    "Bot: intent recognised",
    "Bot: intent not recognised",
    "Bot: answer given",
    "Bot: handoff to agent",
    "Email received",
    "Queue wait",
    "Abandoned",
    "Callback requested",
    "Callback",
    "Gather details",
    "Agent handling",
    "Case status checked",
    "Transfer",
    "Escalate to tier 2",
    "Back-office case opened",
    "After-contact work",
    "Case queued",
    "Back-office handling",
    "Case closed",
    "Survey",
)
A = {name: i for i, name in enumerate(ACTIVITIES)}

ACTOR_TYPES = S.ACTOR_TYPES  # codes are positions: bot, ivr, agent, back_office, system, customer
T_BOT, T_IVR, T_AGENT, T_BACK_OFFICE, T_SYSTEM, T_CUSTOMER = range(6)
OUTCOMES = S.OUTCOMES  # resolved, contained, transferred, escalated, abandoned, closed, unresolved
O_RESOLVED, O_CONTAINED, O_TRANSFERRED, O_ESCALATED, O_ABANDONED, O_CLOSED, O_UNRESOLVED = range(7)

# Actors that are not agents (negative codes; agents are 0..n_agents-1).
NO_ACTOR, IVR_ACTOR, BOT_ACTOR, ACD_ACTOR, SURVEY_ACTOR = -1, -2, -3, -4, -5


class EventBuffer:
    """Collects events batch by batch. Every ``add`` appends whole arrays; scalars are broadcast.

    The emission order is the causal order within a contact, so it breaks timestamp ties when sorting.
    """

    COLUMNS = ("contact", "t", "activity", "queue", "team", "actor", "actor_type", "outcome", "duration")

    def __init__(self) -> None:
        self._parts: dict[str, list[np.ndarray]] = defaultdict(list)
        self.size = 0

    def add(
        self,
        contact: np.ndarray,
        t: np.ndarray,
        activity: np.ndarray | int,
        *,
        actor_type: np.ndarray | int,
        queue: np.ndarray | int = -1,
        team: np.ndarray | int = -1,
        actor: np.ndarray | int = NO_ACTOR,
        outcome: np.ndarray | int = -1,
        duration: np.ndarray | float = np.nan,
    ) -> int:
        """Append ``len(contact)`` events; returns the index of the first one."""
        n, first = len(contact), self.size
        if n == 0:
            return first
        self.size += n
        values = {
            "contact": contact,
            "t": t,
            "activity": activity,
            "queue": queue,
            "team": team,
            "actor": actor,
            "actor_type": actor_type,
            "outcome": outcome,
            "duration": duration,
        }
        for name, value in values.items():
            dtype = np.float64 if name in ("t", "duration") else np.int64
            arr = np.broadcast_to(np.asarray(value, dtype=dtype), (n,))
            self._parts[name].append(np.array(arr, dtype=dtype))
        return first

    def columns(self) -> dict[str, np.ndarray]:
        """All events, in emission order."""
        out = {}
        for name in self.COLUMNS:
            dtype = np.float64 if name in ("t", "duration") else np.int64
            parts = self._parts.get(name, [])
            out[name] = np.concatenate(parts) if parts else np.empty(0, dtype=dtype)
        return out
