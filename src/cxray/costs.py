"""The cost model: what a handled minute and a bot session cost, so breakdowns can be priced.

The defaults are stated assumptions, not data: a fully loaded agent minute (salary, overhead, tooling,
management, seats) costs about EUR 1.00 in Western Europe; a back-office minute somewhat less; an IVR
minute is telephony only (~EUR 0.02); bot, system and customer time costs nothing per minute, and a
bot conversation is priced as a flat fee per session (licences are usually per conversation). Give your
own numbers in a YAML file (``cxray diagnose --costs costs.yaml``)::

    currency: EUR
    per_minute_by_actor_type: {agent: 1.10, back_office: 0.85}   # others keep their default
    per_minute_by_team: {Vendor A: 0.55}                         # overrides the actor type's rate
    per_bot_session: 0.40
    default_per_minute: 1.00                                     # unknown actor type and team

How an event is priced (``event_cost_sql``): ``duration_s / 60 × rate``, where the rate is the team's
override if the event's team has one, else the rate of the event's actor type, else ``default_per_minute``.
The actor type of an event whose ``actor_type`` is NULL is taken from its channel when the channel names a
self-service or back-office actor (``bot``, ``ivr``, ``back_office``); see ``effective_actor_type_sql``.
A contact costs the sum over its events plus ``per_bot_session`` if any of its events is a bot's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from . import schema as S
from .errors import ConfigError
from .sql import num, sql_string
from .yamlio import load_yaml

#: Built-in per-minute rates by actor type (EUR, Western Europe, fully loaded). See the module docstring.
DEFAULT_PER_MINUTE_BY_ACTOR_TYPE: dict[str, float] = {
    S.AGENT: 1.00,
    S.BACK_OFFICE: 0.80,
    S.IVR: 0.02,
    S.BOT: 0.0,
    S.SYSTEM: 0.0,
    S.CUSTOMER: 0.0,
}

#: Built-in minutes of work per event ("touch") by actor type, for logs without handle times: an agent's
#: status change or note stands for a few minutes of work, a back-office step for more; self-service and
#: system steps for none. Stated assumptions (docs/costs.md), overridable like the rates.
DEFAULT_MINUTES_PER_TOUCH_BY_ACTOR_TYPE: dict[str, float] = {
    S.AGENT: 5.0,
    S.BACK_OFFICE: 10.0,
    S.IVR: 0.0,
    S.BOT: 0.0,
    S.SYSTEM: 0.0,
    S.CUSTOMER: 0.0,
}

# Channels that name the actor when actor_type is unknown (a "bot" channel is served by a bot).
ACTOR_CHANNELS: tuple[str, ...] = (S.BOT, S.IVR, S.BACK_OFFICE)


def _default_rates() -> dict[str, float]:
    return dict(DEFAULT_PER_MINUTE_BY_ACTOR_TYPE)


def _default_touches() -> dict[str, float]:
    return dict(DEFAULT_MINUTES_PER_TOUCH_BY_ACTOR_TYPE)


@dataclass(frozen=True, kw_only=True)
class CostModel:
    """Prices of handled minutes and bot sessions, in ``currency``.

    Attributes
    ----------
    currency:
        ISO code shown next to every cost (no conversion is done).
    per_minute_by_actor_type:
        Rate per handled minute by actor type (keys are lower-cased), merged over
        ``DEFAULT_PER_MINUTE_BY_ACTOR_TYPE``: the types given replace their default, the others keep it.
    per_minute_by_team:
        Rate per handled minute for named teams or vendors; wins over the actor type's rate.
    per_bot_session:
        Flat cost of a contact that touched a bot (once per contact).
    default_per_minute:
        Rate when neither the team nor the actor type has one.
    minutes_per_touch_by_actor_type, default_minutes_per_touch:
        For a log without handle times (no ``duration_s`` at all): the minutes of work each event stands
        for, by actor type (merged over ``DEFAULT_MINUTES_PER_TOUCH_BY_ACTOR_TYPE``), else the default.
        Costs are then *estimated from touches* and labelled so (``metrics.cost_basis``).

    >>> CostModel(per_minute_by_team={"Vendor A": 0.5}).per_minute_by_team
    {'Vendor A': 0.5}
    """

    currency: str = "EUR"
    per_minute_by_actor_type: dict[str, float] = field(default_factory=_default_rates)
    per_minute_by_team: dict[str, float] = field(default_factory=dict)
    per_bot_session: float = 0.50
    default_per_minute: float = 1.00
    minutes_per_touch_by_actor_type: dict[str, float] = field(default_factory=_default_touches)
    default_minutes_per_touch: float = 5.0

    def __post_init__(self) -> None:
        if not isinstance(self.currency, str) or not self.currency.strip():
            raise ConfigError(f"currency must be a non-empty string, got {self.currency!r}")
        by_type = _default_rates() | {
            str(k).lower(): _rate(f"per_minute_by_actor_type.{k}", v)
            for k, v in _items("per_minute_by_actor_type", self.per_minute_by_actor_type)
        }
        by_team = {
            str(k): _rate(f"per_minute_by_team.{k}", v)
            for k, v in _items("per_minute_by_team", self.per_minute_by_team)
        }
        touches = _default_touches() | {
            str(k).lower(): _rate(f"minutes_per_touch_by_actor_type.{k}", v)
            for k, v in _items("minutes_per_touch_by_actor_type", self.minutes_per_touch_by_actor_type)
        }
        # Frozen: normalised copies are set once here, so callers' dicts are never shared or mutated.
        object.__setattr__(self, "minutes_per_touch_by_actor_type", touches)
        object.__setattr__(
            self,
            "default_minutes_per_touch",
            _rate("default_minutes_per_touch", self.default_minutes_per_touch),
        )
        object.__setattr__(self, "per_minute_by_actor_type", by_type)
        object.__setattr__(self, "per_minute_by_team", by_team)
        object.__setattr__(self, "per_bot_session", _rate("per_bot_session", self.per_bot_session))
        object.__setattr__(self, "default_per_minute", _rate("default_per_minute", self.default_per_minute))

    @classmethod
    def from_yaml(cls, path: str | Path) -> CostModel:
        """Read a cost model from YAML (keys as the attributes; omitted keys keep their defaults).

        Raises ``ConfigError`` naming the file when it is missing, not YAML, has unknown keys or a
        negative or non-numeric rate.
        """
        path = Path(path)
        try:
            data = load_yaml(path.read_text(encoding="utf-8"), path=path)
        except OSError as exc:
            raise ConfigError(f"cannot read cost model: {exc.strerror or exc}", path=path) from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"not valid YAML: {exc}", path=path) from exc
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError("a cost model must be a mapping of keys to values", path=path)
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise ConfigError(
                f"unknown key(s) {', '.join(unknown)}; expected some of {', '.join(sorted(known))}", path=path
            )
        try:
            return cls(**{str(k): v for k, v in data.items()})
        except ConfigError as exc:
            raise ConfigError(exc.message, path=path) from exc

    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-serialisable copy (what ``diagnosis.json`` records under ``options.costs``)."""
        return {
            "currency": self.currency,
            "per_minute_by_actor_type": dict(sorted(self.per_minute_by_actor_type.items())),
            "per_minute_by_team": dict(sorted(self.per_minute_by_team.items())),
            "per_bot_session": self.per_bot_session,
            "default_per_minute": self.default_per_minute,
            "minutes_per_touch_by_actor_type": dict(sorted(self.minutes_per_touch_by_actor_type.items())),
            "default_minutes_per_touch": self.default_minutes_per_touch,
        }


def _items(name: str, value: Any) -> list[tuple[Any, Any]]:
    if not isinstance(value, dict):
        raise ConfigError(f"{name} must be a mapping of names to rates, got {type(value).__name__}")
    return list(value.items())


def _rate(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ConfigError(f"{name} must be a finite number >= 0, got {value!r}")
    return number


# --- SQL ------------------------------------------------------------------------------------------------


def effective_actor_type_sql(*, actor_type: str = S.ACTOR_TYPE, channel: str = S.CHANNEL) -> str:
    """SQL for an event's actor type: ``actor_type`` lower-cased, else a channel that names one, else NULL."""
    channels = ", ".join(sql_string(c) for c in ACTOR_CHANNELS)
    return (
        f"coalesce(lower({actor_type}), CASE WHEN lower({channel}) IN ({channels}) THEN lower({channel}) END)"
    )


def rate_sql(costs: CostModel, *, team: str = S.TEAM, actor_type_expr: str | None = None) -> str:
    """SQL for an event's rate per minute: team override, else actor type's rate, else the default."""
    actor = actor_type_expr or effective_actor_type_sql()
    whens = [
        f"WHEN {team} = {sql_string(k)} THEN {num(v)}" for k, v in sorted(costs.per_minute_by_team.items())
    ]
    whens += [
        f"WHEN {actor} = {sql_string(k)} THEN {num(v)}"
        for k, v in sorted(costs.per_minute_by_actor_type.items())
    ]
    if not whens:
        return num(costs.default_per_minute)
    return f"(CASE {' '.join(whens)} ELSE {num(costs.default_per_minute)} END)"


def work_seconds_sql(
    costs: CostModel, *, estimated: bool, duration: str = S.DURATION_S, actor_type_expr: str | None = None
) -> str:
    """SQL for an event's seconds of work: its ``duration_s``, or, when the log has no handle times at all
    (``estimated``), the minutes its actor type's touch stands for (``minutes_per_touch_by_actor_type``)."""
    if not estimated:
        return duration
    actor = actor_type_expr or effective_actor_type_sql()
    whens = " ".join(
        f"WHEN {actor} = {sql_string(k)} THEN {num(v * 60)}"
        for k, v in sorted(costs.minutes_per_touch_by_actor_type.items())
    )
    return f"(CASE {whens} ELSE {num(costs.default_minutes_per_touch * 60)} END)"


def event_cost_sql(
    costs: CostModel, *, duration: str = S.DURATION_S, team: str = S.TEAM, actor_type_expr: str | None = None
) -> str:
    """SQL for the cost of one event's handled time (NULL when its duration is unknown)."""
    return f"({duration} / 60.0 * {rate_sql(costs, team=team, actor_type_expr=actor_type_expr)})"


def contact_cost_sql(costs: CostModel, *, minutes_cost: str, handle_s: str, touched_bot: str) -> str:
    """SQL for a contact's cost from its aggregates.

    ``minutes_cost`` is the sum of ``event_cost_sql`` over its events, ``handle_s`` the sum of durations
    and ``touched_bot`` a boolean. NULL when nothing about the contact can be priced (no duration known and
    no bot session).
    """
    return (
        f"CASE WHEN {handle_s} IS NULL AND NOT coalesce({touched_bot}, false) THEN NULL "
        f"ELSE coalesce({minutes_cost}, 0.0) + "
        f"CASE WHEN coalesce({touched_bot}, false) THEN {num(costs.per_bot_session)} ELSE 0.0 END END"
    )


__all__ = [
    "DEFAULT_MINUTES_PER_TOUCH_BY_ACTOR_TYPE",
    "DEFAULT_PER_MINUTE_BY_ACTOR_TYPE",
    "CostModel",
    "contact_cost_sql",
    "effective_actor_type_sql",
    "event_cost_sql",
    "rate_sql",
    "work_seconds_sql",
]
