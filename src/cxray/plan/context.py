"""The context file: what a plan needs from people that the data cannot say (docs/plan.md).

Who owns each initiative and in which function, what it costs, what it waits on, whether its policy is
decided, how much change the organisation can carry at once, the fixed costs of running the operation and
the vendors on the shortlist. Every key is optional; an unknown key, or a value of the wrong kind, is a
ConfigError naming the file and the key, so a typo never silently drops an owner or a cost.

>>> ctx = PlanContext.from_dict({"organisation": {"change_capacity": 2}})
>>> ctx.organisation.change_capacity, ctx.initiatives
(2, ())
>>> PlanContext.from_dict({"organisation": {"owner": "Ops"}}, path="ctx.yaml")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
cxray.errors.ConfigError: ctx.yaml: organisation: unknown key 'owner' (known: change_capacity, ...)
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, get_args, get_origin

from ..errors import ConfigError
from ..yamlio import load_yaml

#: The keys an initiative's ``match`` may use: its id, its detector code, or a value of its failure point.
MATCH_KEYS: Final = ("id", "code", "queue", "team", "reason", "channel", "activity")
#: The five fit areas of a vendor evaluation (docs/plan.md "Vendor evaluation").
FIT_AREAS: Final = ("workflow", "data", "service_model", "control", "adoption")
Score = Literal[1, 2, 3, 4, 5]
LaneName = Literal["immediate", "redesign", "platform", "policy"]


@dataclass(frozen=True)
class DecisionRights:
    """Who decides each kind of change (a name or a forum); unset means nobody has said."""

    policy: str | None = None
    funding: str | None = None
    workflow: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class Organisation:
    name: str | None = None
    #: The functions that make up CX: an initiative owned only inside them is cut (docs/plan.md).
    cx_functions: tuple[str, ...] = ()
    #: Initiatives in flight at once; unset, the plan keeps three.
    change_capacity: int | None = None
    decision_rights: DecisionRights = field(default_factory=DecisionRights)
    #: Yearly fixed costs of running the operation, by name (BPO, technology, leadership, QA, training...).
    fixed_costs: dict[str, float] = field(default_factory=dict)
    #: What keeping one customer is worth a year, to value the retention risk of a breakdown.
    value_per_retained_customer: float | None = None


@dataclass(frozen=True)
class Match:
    """Which initiatives a context entry is about: every key given must match (docs/plan.md)."""

    id: str | None = None
    code: str | None = None
    queue: str | None = None
    team: str | None = None
    reason: str | None = None
    channel: str | None = None
    activity: str | None = None

    def given(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v is not None}


@dataclass(frozen=True)
class InitiativeContext:
    """What people say of one initiative (or of every initiative its ``match`` selects)."""

    match: Match
    owner: str | None = None
    owner_function: str | None = None
    lane: LaneName | None = None
    one_off_cost: float | None = None
    run_cost: float | None = None
    depends_on: tuple[str, ...] | None = None
    approvals: tuple[str, ...] | None = None
    systems: tuple[str, ...] | None = None
    complexity: Score | None = None
    dependency_risk: Score | None = None
    #: False: it depends on a policy decision not yet taken (cut).
    policy_decided: bool | None = None
    #: True: the fix is an AI use case (cut when it cannot answer the five questions).
    ai_use_case: bool | None = None
    #: False: a platform purchase that has not passed workflow validation (cut).
    platform_validated: bool | None = None
    #: The target of the success measure, in the metric's own unit (a rate as 0.15).
    target: float | None = None


@dataclass(frozen=True)
class Readiness:
    """Answers to the method's readiness questions; unanswered is unknown, and shown as a risk."""

    vendor: str | None = None
    decision_rights: str | None = None
    change_capacity: str | None = None


@dataclass(frozen=True)
class VendorContext:
    name: str
    #: Fit by area (``FIT_AREAS``), 1-5.
    scores: dict[str, Score] = field(default_factory=dict)
    #: Fit by scenario id (the plan's ``scenarios``), 1-5.
    scenario_scores: dict[str, Score] = field(default_factory=dict)


@dataclass(frozen=True)
class Realisation:
    """The share of the avoidable cost an initiative removes, as a range (docs/plan.md "Business case")."""

    low: float = 0.25
    expected: float = 0.5
    high: float = 0.75

    def __post_init__(self) -> None:
        if not 0 <= self.low <= self.expected <= self.high <= 1:
            raise ConfigError(
                f"expected 0 <= low <= expected <= high <= 1, got {self.low}, {self.expected}, {self.high}"
            )


@dataclass(frozen=True)
class BusinessCaseContext:
    realisation: Realisation = field(default_factory=Realisation)


@dataclass(frozen=True)
class Weights:
    """How the four screens combine into a priority, and how the five fit areas weigh in a vendor total."""

    customer_effect: float = 1.0
    operational_effect: float = 1.0
    delivery_complexity: float = 0.5
    dependency_risk: float = 0.5
    #: Fit-area weights; unset areas weigh equally.
    vendor_areas: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class PlanContext:
    """A whole context file; ``PlanContext()`` is none (a draft plan)."""

    organisation: Organisation = field(default_factory=Organisation)
    initiatives: tuple[InitiativeContext, ...] = ()
    readiness: Readiness = field(default_factory=Readiness)
    vendors: tuple[VendorContext, ...] = ()
    weights: Weights = field(default_factory=Weights)
    business_case: BusinessCaseContext = field(default_factory=BusinessCaseContext)

    @classmethod
    def from_yaml(cls, path: str | Path) -> PlanContext:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read the context file: {exc}", path=p) from None
        return cls.from_dict(load_yaml(text, path=p) or {}, path=p)

    @classmethod
    def from_dict(cls, data: Any, *, path: str | Path | None = None) -> PlanContext:
        try:
            ctx: PlanContext = _build(cls, data, "")
            _check(ctx)
        except ConfigError as exc:
            raise ConfigError(exc.message, path=exc.path or path) from None
        return ctx

    @property
    def given(self) -> bool:
        """Whether anything was said at all (a plan without context is a draft)."""
        return self != PlanContext()


def load_context(path: str | Path | None) -> PlanContext:
    """The context file at ``path``, or an empty context when there is none."""
    return PlanContext() if path is None else PlanContext.from_yaml(path)


# --- YAML -> typed context ------------------------------------------------------------------------------
def _build(cls: type, data: Any, where: str) -> Any:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where or 'the context'}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(str(k) for k in data if k not in names)
    if unknown:
        raise ConfigError(
            f"{where or 'the context'}: unknown key {unknown[0]!r} (known: {', '.join(sorted(names))})"
        )
    missing = [
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
        and f.name not in data
    ]
    if missing:
        raise ConfigError(f"{where or 'the context'}: missing {', '.join(missing)}")
    values = {k: _value(hints[k], v, f"{where}.{k}" if where else str(k)) for k, v in data.items()}
    try:
        return cls(**values)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc.message}" if where else exc.message) from None


def _value(hint: Any, value: Any, where: str) -> Any:
    origin, args = get_origin(hint), get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (hint,) = [a for a in args if a is not type(None)]
        return _value(hint, value, where)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where)  # type: ignore[arg-type]
    if origin is tuple:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return tuple(_value(args[0], v, f"{where}[{i}]") for i, v in enumerate(items))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return {str(k): _value(args[1], v, f"{where}.{k}") for k, v in value.items()}
    if origin is Literal:
        if isinstance(value, bool) or value not in args:
            raise ConfigError(f"{where}: expected one of {', '.join(map(str, args))}, got {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{where}: expected a whole number of at least 1, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"{where}: expected a number of at least 0, got {value!r}")
        return float(value)
    if hint is str:
        if isinstance(value, (dict, list)) or value is None:
            raise ConfigError(f"{where}: expected text, got {value!r}")
        return str(value)
    raise TypeError(f"{where}: no parser for {hint!r}")  # pragma: no cover - a new field's type


def _check(ctx: PlanContext) -> None:
    for i, entry in enumerate(ctx.initiatives):
        if not entry.match.given():
            raise ConfigError(f"initiatives[{i}].match: give at least one of {', '.join(MATCH_KEYS)}")
    for i, vendor in enumerate(ctx.vendors):
        unknown = sorted(set(vendor.scores) - set(FIT_AREAS))
        if unknown:
            raise ConfigError(
                f"vendors[{i}].scores: unknown area {unknown[0]!r} (known: {', '.join(FIT_AREAS)})"
            )
    unknown = sorted(set(ctx.weights.vendor_areas) - set(FIT_AREAS))
    if unknown:
        raise ConfigError(
            f"weights.vendor_areas: unknown area {unknown[0]!r} (known: {', '.join(FIT_AREAS)})"
        )
    names = [v.name for v in ctx.vendors]
    if len(set(names)) != len(names):
        raise ConfigError("vendors: each name once")


__all__ = [
    "FIT_AREAS",
    "MATCH_KEYS",
    "BusinessCaseContext",
    "DecisionRights",
    "InitiativeContext",
    "Match",
    "Organisation",
    "PlanContext",
    "Readiness",
    "Realisation",
    "VendorContext",
    "Weights",
    "load_context",
]
