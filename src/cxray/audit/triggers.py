"""Rollback triggers: the measures whose worsening stops a pilot, read from YAML, judged beyond noise.

A trigger names a headline measure (:data:`MEASURES`) and how much worse it may get; it fires only when the
difference-in-differences effect's *whole* interval lies past the threshold, so a pilot is not rolled back
on a noisy week, nor kept on a point estimate that happens to sit under the line::

    triggers:
      - measure: handle_time      # one of MEASURES
        rise_pct: 10              # the effect, as a share of the pilot's before level, above 10%
      - measure: transfer_rate
        rise_points: 2            # a rate's effect above 2 percentage points
      - measure: abandonment_rate
        rise: any                 # any rise beyond noise (the interval above 0)
      - measure: fcr
        fall_points: 1            # for a measure where higher is better, a fall
      - measure: outcome=error    # the share of contacts with an event of that outcome (an error rate)
        rise_points: 0.5

Exactly one threshold key per trigger: ``rise_pct``/``fall_pct`` (percent of ``pilot_before``, judged on
the bootstrap interval of the relative effect), ``rise_points``/``fall_points`` (rates only) or
``rise``/``fall`` set to ``any``. ``outcome=VALUE`` names the rate of contacts with an event of that outcome
(case-insensitive), judged as an error rate: a rise is bad. A trigger must watch the bad direction of its
measure: a rise in FCR is
no reason to roll back, so it is a ``ConfigError``, like an unknown key, measure or value, naming the file
and the key (``triggers.yaml: triggers[1].rise_pc: unknown key ...``).

>>> (t,) = parse_triggers("triggers:\\n  - measure: handle_time\\n    rise_pct: 10\\n")
>>> t.measure, t.direction, t.kind, t.amount
('handle_time', 'rise', 'pct', 10.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from ..errors import ConfigError
from ..yamlio import load_yaml
from .did import DidEstimate, Interval

__all__ = [
    "MEASURES",
    "OUTCOME_PREFIX",
    "Measure",
    "RollbackDecision",
    "Trigger",
    "TriggerResult",
    "evaluate",
    "load_triggers",
    "measure_of",
    "parse_triggers",
    "should_roll_back",
]


@dataclass(frozen=True)
class Measure:
    """A headline measure an audit compares: what one unit's value is, and which way is better."""

    unit: Literal["rate", "seconds", "money"]  # rate: a 0/1 flag per unit, so the mean is a share
    higher_is_better: bool


#: The measures a trigger may name; rates are named as in ``cxray.metrics.definitions()``.
MEASURES: Final[dict[str, Measure]] = {
    "fcr": Measure("rate", higher_is_better=True),
    "true_containment_rate": Measure("rate", higher_is_better=True),
    "repeat_contact_rate": Measure("rate", higher_is_better=False),
    "transfer_rate": Measure("rate", higher_is_better=False),
    "ping_pong_rate": Measure("rate", higher_is_better=False),
    "escalation_rate": Measure("rate", higher_is_better=False),
    "abandonment_rate": Measure("rate", higher_is_better=False),
    "handle_time": Measure("seconds", higher_is_better=False),
    "cost_per_contact": Measure("money", higher_is_better=False),
    "cost_per_resolution": Measure("money", higher_is_better=False),
}

#: A trigger's measure ``outcome=VALUE``: the rate of contacts with an event of that outcome (lower: better).
OUTCOME_PREFIX: Final = "outcome="


def measure_of(name: str) -> Measure | None:
    """The measure a trigger may name: one of :data:`MEASURES` or an ``outcome=VALUE`` rate; else None.

    >>> measure_of("outcome=error"), measure_of("outcome=") is None
    (Measure(unit='rate', higher_is_better=False), True)
    """
    if name in MEASURES:
        return MEASURES[name]
    if name.startswith(OUTCOME_PREFIX) and name[len(OUTCOME_PREFIX) :].strip():
        return Measure("rate", higher_is_better=False)
    return None


Kind = Literal["pct", "points", "any"]
_THRESHOLD_KEYS: Final[dict[str, tuple[Literal["rise", "fall"], Kind]]] = {
    "rise_pct": ("rise", "pct"),
    "rise_points": ("rise", "points"),
    "rise": ("rise", "any"),
    "fall_pct": ("fall", "pct"),
    "fall_points": ("fall", "points"),
    "fall": ("fall", "any"),
}
_KEYS: Final = ("measure", *_THRESHOLD_KEYS)


@dataclass(frozen=True)
class Trigger:
    """One rollback trigger: ``measure`` moving in ``direction`` by more than ``amount`` of ``kind``."""

    measure: str
    direction: Literal["rise", "fall"]
    kind: Kind  # pct: percent of pilot_before; points: percentage points of a rate; any: beyond 0
    amount: float  # 0 for any

    def describe(self) -> str:
        """The trigger as a reader says it: ``handle_time rise > 10%``."""
        size = {"pct": f"{self.amount:g}%", "points": f"{self.amount:g} points", "any": "0"}[self.kind]
        return f"{self.measure} {self.direction} > {size}"


@dataclass(frozen=True)
class TriggerResult:
    """A trigger judged against its measure's estimate, with the evidence.

    ``estimate``, ``ci_low``, ``ci_high`` and ``threshold`` are in the trigger's scale, signed as the
    effect (a fall is negative): a share of ``pilot_before`` for ``pct``, else the measure's own unit
    (a rate's share, not points). ``evaluated`` is False when there was no estimate or no interval; such a
    trigger does not fire, and ``reason`` says why.
    """

    trigger: Trigger
    fired: bool
    evaluated: bool
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    threshold: float
    reason: str


@dataclass(frozen=True)
class RollbackDecision:
    """The triggers together: roll back when any fired; the unevaluated ones are named, not ignored."""

    roll_back: bool
    fired: tuple[str, ...]  # Trigger.describe() of each fired trigger
    not_evaluated: tuple[str, ...]
    summary: str


def load_triggers(path: str | Path) -> tuple[Trigger, ...]:
    """Read triggers from a YAML file (format: the module docstring); mistakes are ``ConfigError``s."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read triggers: {exc.strerror or exc}", path=path) from exc
    return parse_triggers(text, path=path)


def parse_triggers(text: str, *, path: str | Path | None = None) -> tuple[Trigger, ...]:
    """Triggers from YAML text; ``path`` only names the source in error messages."""
    data = load_yaml(text, path=path)
    if not isinstance(data, dict) or set(data) != {"triggers"}:
        got = sorted(str(k) for k in data) if isinstance(data, dict) else type(data).__name__
        raise ConfigError(f"expected a mapping with the one key 'triggers', got {got}", path=path)
    items = data["triggers"]
    if not isinstance(items, list):
        raise ConfigError(f"triggers: expected a list, got {type(items).__name__}", path=path)
    return tuple(_trigger(item, f"triggers[{i}]", path) for i, item in enumerate(items))


def _trigger(item: Any, where: str, path: str | Path | None) -> Trigger:
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(item).__name__}", path=path)
    for key in item:
        if key not in _KEYS:
            raise ConfigError(f"{where}.{key}: unknown key; expected {', '.join(_KEYS)}", path=path)
    measure = item.get("measure")
    spec = measure_of(measure) if isinstance(measure, str) else None
    if spec is None or not isinstance(measure, str):
        raise ConfigError(
            f"{where}.measure: unknown measure {measure!r}; expected one of {', '.join(MEASURES)} "
            f"or {OUTCOME_PREFIX}VALUE",
            path=path,
        )
    given = [k for k in _THRESHOLD_KEYS if k in item]
    if len(given) != 1:
        raise ConfigError(
            f"{where}: needs exactly one of {', '.join(_THRESHOLD_KEYS)}, got {len(given)}", path=path
        )
    (key,) = given
    direction, kind = _THRESHOLD_KEYS[key]
    bad = "fall" if spec.higher_is_better else "rise"
    if direction != bad:
        raise ConfigError(
            f"{where}.{key}: {measure} is better {'higher' if spec.higher_is_better else 'lower'}, so only a "
            f"{bad} is a reason to roll back (use {bad}_pct, {bad}_points or {bad})",
            path=path,
        )
    if kind == "points" and spec.unit != "rate":
        raise ConfigError(f"{where}.{key}: points apply to rates; {measure} is in {spec.unit}", path=path)
    value = item[key]
    if kind == "any":
        if value != "any":
            raise ConfigError(f"{where}.{key}: expected 'any', got {value!r}", path=path)
        return Trigger(measure, direction, kind, 0.0)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{where}.{key}: expected a number > 0, got {value!r}", path=path)
    return Trigger(measure, direction, kind, float(value))


def evaluate(triggers: Sequence[Trigger], estimates: Mapping[str, DidEstimate]) -> list[TriggerResult]:
    """Judge each trigger against the estimate of its measure (``estimates`` keyed by measure name)."""
    return [_judge(t, estimates.get(t.measure)) for t in triggers]


def should_roll_back(results: Sequence[TriggerResult]) -> RollbackDecision:
    """Roll back when any trigger fired; say which, and which could not be judged."""
    fired = tuple(r.trigger.describe() for r in results if r.fired)
    unjudged = tuple(r.trigger.describe() for r in results if not r.evaluated)
    if fired:
        summary = f"roll back: {len(fired)} of {len(results)} trigger(s) fired ({'; '.join(fired)})"
    else:
        summary = f"keep: none of {len(results)} trigger(s) fired beyond noise"
    if unjudged:
        summary += f"; not evaluated: {'; '.join(unjudged)}"
    return RollbackDecision(bool(fired), fired, unjudged, summary)


def _judge(t: Trigger, est: DidEstimate | None) -> TriggerResult:
    sign = 1.0 if t.direction == "rise" else -1.0
    threshold = sign * (t.amount / 100.0 if t.kind in ("pct", "points") else 0.0)
    if est is None:
        return TriggerResult(t, False, False, None, None, None, threshold, f"not evaluated: no {t.measure}")
    iv: Interval | None = est.relative if t.kind == "pct" else est.interval
    if iv is None or iv.low is None or iv.high is None:
        why = est.note or (f"{t.measure} has no before level to take a percentage of")
        return TriggerResult(t, False, False, None, None, None, threshold, f"not evaluated: {why}")
    fired = iv.above(threshold) if t.direction == "rise" else iv.below(threshold)
    fmt = _formatter(t)
    evidence = (
        f"{t.measure} effect {fmt(iv.estimate)} ({est.level:.0%} CI {fmt(iv.low)} to {fmt(iv.high)}) vs "
        f"threshold {fmt(threshold)}"
    )
    if fired:
        reason = f"fired: {evidence}: the whole interval is past the threshold"
    elif (iv.estimate > threshold) if t.direction == "rise" else (iv.estimate < threshold):
        reason = f"not fired: {evidence}: past the threshold, but not beyond noise"
    else:
        reason = f"not fired: {evidence}"
    if est.parallel_trends.holds is False:
        reason += "; caution: pilot and control trended apart before the change, the effect may be biased"
    return TriggerResult(t, fired, True, iv.estimate, iv.low, iv.high, threshold, reason)


def _formatter(t: Trigger) -> Any:
    """How the trigger's numbers read: percent, points, seconds or money."""
    spec = measure_of(t.measure)
    assert spec is not None  # parse_triggers checked it
    unit = spec.unit
    if t.kind == "pct":
        return lambda x: f"{x:+.1%}"
    if unit == "rate":
        return lambda x: f"{100 * x:+.2f} points"
    if unit == "seconds":
        return lambda x: f"{x:+.1f} s"
    return lambda x: f"{x:+.2f}"
