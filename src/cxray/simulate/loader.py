"""Scenario YAML → a validated :class:`Scenario`; every mistake is a ConfigError naming the file."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..yamlio import load_yaml
from .breakdowns import KINDS, Breakdown
from .change import KINDS as CHANGE_KINDS
from .change import Change, problems
from .scenario import ENTRY_CHANNELS, TEAM_KINDS, Behaviour, Queue, Reason, Scenario, Team
from .vocabulary import Vocabulary, VocabularyError

_PACKAGE = "cxray.simulate"


def builtin_scenarios() -> list[str]:
    """Names of the scenarios shipped with cxray."""
    folder = resources.files(_PACKAGE).joinpath("scenarios")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_scenario(path_or_name: str | Path) -> Scenario:
    """Load a built-in scenario by name (``"default"``, ``"telco"``, ``"utility"``) or a YAML file.

    >>> load_scenario("default").name
    'default'
    """
    text_name = str(path_or_name)
    if isinstance(path_or_name, str) and text_name in builtin_scenarios():
        resource = resources.files(_PACKAGE).joinpath("scenarios", f"{text_name}.yaml")
        return _parse(resource.read_text(encoding="utf-8"), f"builtin:{text_name}")
    path = Path(path_or_name)
    if not path.is_file():
        raise ConfigError(
            f"no scenario file or built-in scenario called {text_name!r} "
            f"(built-ins: {', '.join(builtin_scenarios())})",
            path=path,
        )
    return _parse(path.read_text(encoding="utf-8"), path)


def _parse(text: str, where: str | Path) -> Scenario:
    try:
        raw = load_yaml(text, path=where)
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", path=where) from None
    if not isinstance(raw, dict):
        raise ConfigError("a scenario must be a mapping", path=where)
    try:
        scenario = _scenario(raw)
        _validate(scenario)
    except _Bad as exc:
        raise ConfigError(str(exc), path=where) from None
    return scenario


class _Bad(Exception):
    """A problem found while building; re-raised as ConfigError with the file name."""


def _scenario(raw: dict[str, Any]) -> Scenario:
    raw = dict(raw)
    nested = {
        "teams": [_build(Team, t, f"teams[{i}]") for i, t in enumerate(_list(raw.pop("teams", []), "teams"))],
        "queues": [
            _build(Queue, q, f"queues[{i}]") for i, q in enumerate(_list(raw.pop("queues", []), "queues"))
        ],
        "reasons": [
            _build(Reason, r, f"reasons[{i}]") for i, r in enumerate(_list(raw.pop("reasons", []), "reasons"))
        ],
        "behaviour": _build(Behaviour, raw.pop("behaviour", {}) or {}, "behaviour"),
        "breakdowns": _breakdowns(raw.pop("breakdowns", {}) or {}),
        "changes": _changes(raw.pop("changes", []) or []),
        "vocabulary": _vocabulary(raw.pop("vocabulary", {}) or {}),
    }
    scenario = _build(Scenario, raw, "scenario")
    return dataclasses.replace(
        scenario, **{k: tuple(v) if isinstance(v, list) else v for k, v in nested.items()}
    )


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _Bad(f"{where}: expected a list")
    return value


def _vocabulary(raw: Any) -> Vocabulary:
    try:
        return Vocabulary.from_mapping(raw)
    except VocabularyError as exc:
        raise _Bad(str(exc)) from None


def _breakdowns(raw: Any) -> list[Breakdown]:
    if not isinstance(raw, dict):
        raise _Bad("breakdowns: expected a mapping of name -> {kind: ..., ...}")
    out = []
    for name, spec in raw.items():
        if not isinstance(spec, dict) or "kind" not in spec:
            raise _Bad(f"breakdowns.{name}: expected a mapping with a 'kind'")
        spec = dict(spec)
        kind = spec.pop("kind")
        if kind not in KINDS:
            raise _Bad(f"breakdowns.{name}: unknown kind {kind!r} (known: {', '.join(sorted(KINDS))})")
        out.append(_build(KINDS[kind], {"name": str(name), **spec}, f"breakdowns.{name}"))
    return out


def _changes(raw: Any) -> list[Change]:
    out = []
    for i, spec in enumerate(_list(raw, "changes")):
        if not isinstance(spec, dict) or "kind" not in spec:
            raise _Bad(f"changes[{i}]: expected a mapping with a 'kind'")
        spec = dict(spec)
        kind = spec.pop("kind")
        if kind not in CHANGE_KINDS:
            raise _Bad(f"changes[{i}].kind: unknown kind {kind!r} (known: {', '.join(sorted(CHANGE_KINDS))})")
        out.append(_build(CHANGE_KINDS[kind], spec, f"changes[{i}]"))
    return out


def _build(cls: type, raw: Any, where: str) -> Any:
    """Construct a dataclass from a mapping: unknown keys, missing fields and wrong types are errors."""
    if not isinstance(raw, dict):
        raise _Bad(f"{where}: expected a mapping")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise _Bad(f"{where}: unknown key(s) {', '.join(map(str, unknown))} (known: {', '.join(fields)})")
    kwargs = {}
    for key, value in raw.items():
        kwargs[key] = _coerce(value, hints[key], f"{where}.{key}")
    missing = [
        n
        for n, f in fields.items()
        if n not in kwargs and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise _Bad(f"{where}: missing key(s) {', '.join(missing)}")
    return cls(**kwargs)


def _coerce(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        return _coerce(value, next(a for a in args if a is not type(None)), where)
    if hint is bool:
        if not isinstance(value, bool):
            raise _Bad(f"{where}: expected true or false, got {value!r}")
        return value
    if hint in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Bad(f"{where}: expected a number, got {value!r}")
        if hint is int and value != int(value):
            raise _Bad(f"{where}: expected a whole number, got {value!r}")
        return hint(value)
    if hint is str:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise _Bad(f"{where}: expected text, got {value!r}")
        return str(value)
    if hint is date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise _Bad(f"{where}: expected a date YYYY-MM-DD, got {value!r}") from None
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise _Bad(f"{where}: expected a list")
        return tuple(_coerce(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise _Bad(f"{where}: expected a mapping")
        return {str(k): _coerce(v, args[1], f"{where}.{k}") for k, v in value.items()}
    raise _Bad(f"{where}: cannot read a value of type {hint}")  # pragma: no cover - schema bug


def _validate(s: Scenario) -> None:
    teams = {t.name: t for t in s.teams}
    queues = {q.name: q for q in s.queues}
    if not s.reasons or not s.queues or not s.teams:
        raise _Bad("a scenario needs teams, queues and reasons")
    if s.days < 1 or s.customers < 1 or s.issues_per_customer_per_year <= 0 or s.overdispersion <= 0:
        raise _Bad("days, customers, issues_per_customer_per_year and overdispersion must be positive")
    if len(s.weekday_profile) != 7 or min(s.weekday_profile) < 0:
        raise _Bad("weekday_profile needs 7 non-negative numbers (Monday first)")
    for channel in ENTRY_CHANNELS:
        profile = s.hour_profiles.get(channel)
        if profile is None or len(profile) != 24 or min(profile) < 0 or sum(profile) <= 0:
            raise _Bad(f"hour_profiles.{channel}: needs 24 non-negative numbers, not all zero")
    for t in s.teams:
        if t.kind not in TEAM_KINDS:
            raise _Bad(f"team {t.name!r}: kind must be one of {', '.join(TEAM_KINDS)}")
        if t.agents < 1:
            raise _Bad(f"team {t.name!r}: agents must be >= 1")
    for q in s.queues:
        if q.channel not in (*ENTRY_CHANNELS, "back_office"):
            raise _Bad(f"queue {q.name!r}: channel must be phone, chat, email or back_office")
        if not q.teams or any(name not in teams for name in q.teams) or min(q.teams.values()) < 0:
            raise _Bad(f"queue {q.name!r}: teams must name known teams with shares >= 0")
        if q.patience_s <= 0 or q.wait_median_s <= 0:
            raise _Bad(f"queue {q.name!r}: patience_s and wait_median_s must be > 0")
    for name in (s.escalation_queue, s.back_office_queue):
        if name not in queues:
            raise _Bad(f"escalation_queue/back_office_queue: unknown queue {name!r}")
    if queues[s.back_office_queue].channel != "back_office":
        raise _Bad(f"back_office_queue {s.back_office_queue!r} must be a back_office queue")
    for r in s.reasons:
        if r.share < 0 or not r.channels or any(c not in ENTRY_CHANNELS for c in r.channels):
            raise _Bad(
                f"reason {r.name!r}: share must be >= 0 and channels among {', '.join(ENTRY_CHANNELS)}"
            )
        for channel, share in r.channels.items():
            if share > 0 and r.queues.get(channel) not in queues:
                raise _Bad(f"reason {r.name!r}: queues.{channel} must name a known queue")
        for other in (r.transfer_to, r.escalate_to):
            if other is not None and other not in queues:
                raise _Bad(f"reason {r.name!r}: unknown queue {other!r}")
        if r.back_office_queue is not None and queues.get(r.back_office_queue) is None:
            raise _Bad(f"reason {r.name!r}: unknown back_office_queue {r.back_office_queue!r}")
        for p in (r.resolve_p, r.bot_contain_p, r.transfer_p, r.tier2_p, r.back_office_p):
            if not 0 <= p <= 1:
                raise _Bad(f"reason {r.name!r}: probabilities must be within [0, 1]")
    if sum(r.share for r in s.reasons) <= 0:
        raise _Bad("reason shares must not all be zero")
    for problem in problems(s):
        raise _Bad(problem)
    reasons = {r.name for r in s.reasons}
    names = [b.name for b in s.breakdowns]
    if len(set(names)) != len(names):
        raise _Bad("breakdown names must be unique")
    for b in s.breakdowns:
        for key in b.entity_fields:
            value = getattr(b, key)
            known = reasons if key == "reason" else teams if key == "team" else queues
            if key == "channel":
                known = set(ENTRY_CHANNELS)
            if value not in known:
                raise _Bad(f"breakdowns.{b.name}: {key} {value!r} is not a known {key.replace('wrong_', '')}")
        for key in ("share", "staffing_factor", "resolve_drop", "bot_contain_p", "resolve_p"):
            value = getattr(b, key, None)
            if value is not None and not 0 <= value <= 1:
                raise _Bad(f"breakdowns.{b.name}: {key} must be within [0, 1]")
        route = getattr(b, "route", ())
        if any(q not in queues for q in route):
            raise _Bad(f"breakdowns.{b.name}: route names an unknown queue")
        if any(not 0 <= h <= 23 for h in getattr(b, "hours", ())):
            raise _Bad(f"breakdowns.{b.name}: hours must be within 0..23")
        if getattr(b, "comeback_channel", "phone") not in ENTRY_CHANNELS:
            raise _Bad(f"breakdowns.{b.name}: comeback_channel must be one of {', '.join(ENTRY_CHANNELS)}")
