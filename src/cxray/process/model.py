"""The documented process: what the operation says should happen, as a small YAML file (or BPMN 2.0).

A model is a directly-follows relation over named steps, which is how operations describe their
process and how it is replayed in SQL: a contact *follows the documented process* when every pair of
consecutive steps is an allowed transition, it starts at an allowed start, ends at an allowed end,
and every required step occurs. ``start`` and ``end`` are pseudo-steps in ``transitions``.

.. code-block:: yaml

    name: helpdesk
    steps:                                  # optional; defaults to every step named in transitions
      - Assign seriousness
      - name: Take in charge ticket
        aliases: [Take in charge]           # source activity names that mean this step
    transitions:                            # from: [to, ...]
      start: [Assign seriousness]
      Assign seriousness: [Take in charge ticket]
      Take in charge ticket: [Resolve ticket, end]
    required: [Resolve ticket]
    paths:                                  # expected path per reason or channel (optional)
      reason:
        password reset: [Assign seriousness, Resolve ticket]
    targets:                                # optional; 90, "90s", "15m", "4h", "2d"
      steps: {Wait: 3d}                     # time from the step to the next event of the contact
      handoffs:
        - {from: Assign seriousness, to: Take in charge ticket, within: 4h}

A step literally named ``start`` or ``end`` cannot be modelled (those names are the pseudo-steps).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from ..errors import ConfigError
from ..yamlio import load_yaml

START: Final = "start"  # pseudo-step before the first event of a contact
END: Final = "end"  # pseudo-step after the last event
PSEUDO: Final = (START, END)
PATH_KEYS: Final = ("reason", "channel")  # canonical columns an expected path may be keyed on

_TOP_KEYS = ("name", "steps", "transitions", "required", "paths", "targets", "description")
_DURATION = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|d|days?)?\s*$"
)
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, kw_only=True)
class Target:
    """A time target: at ``step`` (``to`` is None: time from the step to the next event) or on the
    handoff ``step`` -> ``to`` (time between the two events)."""

    step: str
    to: str | None
    seconds: float

    @property
    def kind(self) -> str:
        return "step" if self.to is None else "handoff"


@dataclass(frozen=True, kw_only=True)
class ExpectedPath:
    """The exact step sequence contacts with ``by`` = ``value`` (reason or channel) should follow."""

    by: str
    value: str
    steps: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ProcessModel:
    """A documented (or inferred) process. ``transitions`` include ``(START, s)`` and ``(s, END)``."""

    name: str = "process"
    steps: tuple[str, ...]
    transitions: frozenset[tuple[str, str]]
    required: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)  # source activity -> step
    paths: tuple[ExpectedPath, ...] = ()
    targets: tuple[Target, ...] = ()
    notes: tuple[str, ...] = ()  # how an import approximated its source (e.g. BPMN parallelism)

    def looping_steps(self) -> frozenset[str]:
        """Steps the model lets a contact repeat (they lie on a cycle of ``transitions``)."""
        succ: dict[str, set[str]] = {}
        for a, b in self.transitions:
            succ.setdefault(a, set()).add(b)
        looping = set()
        for s in self.steps:
            seen, todo = set(), list(succ.get(s, ()))
            while todo:
                n = todo.pop()
                if n == s:
                    looping.add(s)
                    break
                if n not in seen:
                    seen.add(n)
                    todo.extend(succ.get(n, ()))
        return frozenset(looping)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (sorted, deterministic)."""
        return {
            "name": self.name,
            "steps": list(self.steps),
            "transitions": [{"from": a, "to": b} for a, b in sorted(self.transitions)],
            "required": list(self.required),
            "aliases": dict(sorted(self.aliases.items())),
            "paths": [{"by": p.by, "value": p.value, "steps": list(p.steps)} for p in self.paths],
            "targets": [
                {"kind": t.kind, "step": t.step, "to": t.to, "seconds": t.seconds} for t in self.targets
            ],
            "notes": list(self.notes),
        }


def load_model(path: str | Path) -> ProcessModel:
    """Read a documented process from YAML, or from BPMN 2.0 XML (``.bpmn``/``.xml``).

    Raises :class:`~cxray.errors.ConfigError` naming the file and the offending key.
    """
    p = Path(path)
    if p.suffix.lower() in (".bpmn", ".xml"):
        from .bpmn import load_bpmn

        return load_bpmn(p)
    try:
        data = load_yaml(p.read_text(encoding="utf-8"), path=p)
    except OSError as exc:
        raise ConfigError(f"cannot read process model: {exc}", path=p) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", path=p) from exc
    return model_from_dict(data, path=p, default_name=p.stem)


def model_from_dict(
    data: Any, *, path: str | Path | None = None, default_name: str = "process"
) -> ProcessModel:
    """Validate a parsed YAML document into a :class:`ProcessModel` (see the module docstring)."""

    def fail(message: str) -> ConfigError:
        return ConfigError(message, path=path)

    if not isinstance(data, dict):
        raise fail("a process model must be a mapping with 'transitions'")
    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        raise fail(f"unknown key {unknown[0]!r} (allowed: {', '.join(_TOP_KEYS)})")
    transitions = _transitions(data.get("transitions"), fail)
    steps, aliases = _steps(data.get("steps"), transitions, fail)
    known = set(steps)
    for a, b in sorted(transitions):
        for key, s in (("transitions", a), (f"transitions.{a}", b)):
            if s not in known and s not in PSEUDO:
                raise fail(f"{key}: step {s!r} is not listed under 'steps'")
    required = _names(data.get("required", []), "required", fail)
    for s in required:
        if s not in known:
            raise fail(f"required: step {s!r} is not listed under 'steps'")
    return ProcessModel(
        name=str(data.get("name") or default_name),
        steps=steps,
        transitions=frozenset(transitions),
        required=required,
        aliases=aliases,
        paths=_paths(data.get("paths"), known, fail),
        targets=_targets(data.get("targets"), known, fail),
    )


def parse_duration(value: Any) -> float | None:
    """Seconds from ``90``, ``"90s"``, ``"15m"``, ``"4h"``, ``"2 days"``; None when not a duration."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 else None
    m = _DURATION.match(str(value))
    if not m:
        return None
    unit = (m.group(2) or "s")[0]
    return float(m.group(1)) * _UNIT_S[unit]


# --- sections -----------------------------------------------------------------------------------------
def _names(value: Any, key: str, fail: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise fail(f"{key}: expected a list of step names")
    return tuple(str(v) for v in value)


def _transitions(value: Any, fail: Any) -> set[tuple[str, str]]:
    if not isinstance(value, dict) or not value:
        raise fail("transitions: expected a mapping 'from: [to, ...]' with at least one entry")
    out: set[tuple[str, str]] = set()
    for a, targets in value.items():
        a = str(a)
        if a == END:
            raise fail("transitions: 'end' cannot be a source")
        for b in _names(targets, f"transitions.{a}", fail):
            if b == START:
                raise fail(f"transitions.{a}: 'start' cannot be a target")
            out.add((a, b))
    if not any(a == START for a, _ in out):
        raise fail("transitions: no transition from 'start'")
    if not any(b == END for _, b in out):
        raise fail("transitions: no transition to 'end'")
    return out


def _steps(
    value: Any, transitions: Iterable[tuple[str, str]], fail: Any
) -> tuple[tuple[str, ...], dict[str, str]]:
    if value is None:
        named = {s for pair in transitions for s in pair} - set(PSEUDO)
        return tuple(sorted(named)), {}
    if not isinstance(value, list):
        raise fail("steps: expected a list of step names or {name, aliases} mappings")
    steps: list[str] = []
    aliases: dict[str, str] = {}
    for i, item in enumerate(value):
        if isinstance(item, dict):
            extra = sorted(set(item) - {"name", "aliases"})
            if extra or "name" not in item:
                raise fail(f"steps[{i}]: expected keys 'name' and optional 'aliases', got {sorted(item)}")
            name = str(item["name"])
            for alias in _names(item.get("aliases", []), f"steps[{i}].aliases", fail):
                if alias in aliases and aliases[alias] != name:
                    raise fail(f"steps[{i}].aliases: {alias!r} already means {aliases[alias]!r}")
                aliases[alias] = name
        elif isinstance(item, str | int):
            name = str(item)
        else:
            raise fail(f"steps[{i}]: expected a step name")
        if name in PSEUDO:
            raise fail(f"steps[{i}]: {name!r} is reserved for the pseudo-step")
        if name in steps:
            raise fail(f"steps[{i}]: duplicate step {name!r}")
        steps.append(name)
    clash = sorted(a for a in aliases if a in steps and aliases[a] != a)
    if clash:
        raise fail(f"steps: alias {clash[0]!r} is also a step name")
    return tuple(steps), aliases


def _paths(value: Any, known: set[str], fail: Any) -> tuple[ExpectedPath, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise fail(f"paths: expected a mapping keyed by {' or '.join(PATH_KEYS)}")
    out = []
    for by in sorted(value, key=str):
        if by not in PATH_KEYS:
            raise fail(f"paths: unknown key {by!r} (allowed: {', '.join(PATH_KEYS)})")
        group = value[by]
        if not isinstance(group, dict):
            raise fail(f"paths.{by}: expected a mapping 'value: [step, ...]'")
        for v in sorted(group, key=str):
            seq = _names(group[v], f"paths.{by}.{v}", fail)
            for s in seq:
                if s not in known:
                    raise fail(f"paths.{by}.{v}: step {s!r} is not listed under 'steps'")
            out.append(ExpectedPath(by=by, value=str(v), steps=seq))
    return tuple(out)


def _targets(value: Any, known: set[str], fail: Any) -> tuple[Target, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict) or set(value) - {"steps", "handoffs"}:
        raise fail("targets: expected a mapping with 'steps' and/or 'handoffs'")
    out: list[Target] = []
    steps = value.get("steps") or {}
    if not isinstance(steps, dict):
        raise fail("targets.steps: expected a mapping 'step: duration'")
    for s, d in steps.items():
        out.append(
            Target(
                step=_known(str(s), f"targets.steps.{s}", known, fail),
                to=None,
                seconds=_seconds(d, f"targets.steps.{s}", fail),
            )
        )
    handoffs = value.get("handoffs") or []
    if not isinstance(handoffs, list):
        raise fail("targets.handoffs: expected a list of {from, to, within}")
    for i, h in enumerate(handoffs):
        key = f"targets.handoffs[{i}]"
        if not isinstance(h, dict) or set(h) != {"from", "to", "within"}:
            raise fail(f"{key}: expected exactly the keys from, to, within")
        out.append(
            Target(
                step=_known(str(h["from"]), f"{key}.from", known, fail),
                to=_known(str(h["to"]), f"{key}.to", known, fail),
                seconds=_seconds(h["within"], f"{key}.within", fail),
            )
        )
    return tuple(sorted(out, key=lambda t: (t.step, t.to or "", t.seconds)))


def _known(step: str, key: str, known: set[str], fail: Any) -> str:
    if step not in known:
        raise fail(f"{key}: step {step!r} is not listed under 'steps'")
    return step


def _seconds(value: Any, key: str, fail: Any) -> float:
    s = parse_duration(value)
    if s is None:
        raise fail(f"{key}: {value!r} is not a duration (e.g. 90, '90s', '15m', '4h', '2d')")
    return s
