"""Adoption: the share of eligible contacts taking the new step or path, by team and week (issue 18, item 4).

A change that nobody uses cannot work, and a before/after effect averaged over contacts that never saw the
new step understates it. So the audit measures usage from the log itself: among the **eligible** contacts
(the pilot's contacts after the change, optionally of some reasons), the share that **take** the new step,
named one of three ways (:class:`AdoptionSpec`):

- ``activity``: an event with that exact activity;
- ``step_kind``: an event whose activity has that kind (``docs/step-kinds.md``), whatever each system
  calls it, so ``Bot authenticated`` and ``ID&V`` both count as ``authenticate``;
- ``path``: the activities in that order as *consecutive* events of one contact (the new route as
  designed, e.g. ``Bot verify → Agent handle``; the same activities with other work in between are not it).

Each share comes with its Wilson interval (:func:`cxray.voc.scores.wilson_interval`), which stays inside
0..1 and stays honest for a team with twelve contacts in a week. Shares are given by week (the adoption
curve), by team (the contact's ``final_team``, its owner at close) and by team and week. The curve's
shape is summarised by comparing the last ``window`` weeks with the ``window`` weeks before them:
``ramping`` (still rising beyond noise), ``falling``, ``plateau`` (no change beyond noise), or ``too early``
(fewer than two windows of weeks). The difference of two shares is judged by Newcombe's hybrid score
interval (Newcombe 1998, method 10), built from the two Wilson intervals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final, Literal

from .. import schema as S
from ..engine import Engine
from ..errors import ConfigError, InputError
from ..ordered import ordered_events
from ..process.step_kinds import STEP_KIND, StepKinds, stage_step_kinds
from ..sql import ident
from ..voc.scores import wilson_interval
from .segments import AUDIT_CONTACTS as _AUDIT
from .segments import AUDIT_GROUP as _GROUP
from .segments import AUDIT_PERIOD as _PERIOD
from .segments import AUDIT_WEEK as _WEEK

__all__ = [
    "AdoptionOptions",
    "AdoptionResult",
    "AdoptionSpec",
    "CurveSummary",
    "Share",
    "adoption",
    "summarise",
]

# The shared audit table (contract of the audit pipeline).
_TAKERS: Final = "_cx_audit_adoption_takers"
_KINDS: Final = "_cx_audit_adoption_kinds"
NO_TEAM: Final = "(no team)"
_C, _A = ident(S.CONTACT_ID), ident(S.ACTIVITY)

Shape = Literal["ramping", "plateau", "falling", "too early"]


@dataclass(frozen=True)
class AdoptionSpec:
    """The new step, named by exactly one of ``activity``, ``step_kind`` or ``path``; ``reasons`` limits the
    eligible contacts to those reasons (empty: every reason)."""

    activity: str | None = None
    step_kind: str | None = None
    path: tuple[str, ...] | None = None
    reasons: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        given = [k for k in ("activity", "step_kind", "path") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ConfigError(f"adoption: name the new step by exactly one of activity, step_kind or path, "
                              f"got {', '.join(given) or 'none'}")  # fmt: skip
        if self.path is not None and (len(self.path) < 2 or not all(self.path)):
            raise ConfigError(f"adoption: a path needs two or more activities, got {list(self.path)}")
        if isinstance(self.reasons, str):
            raise ConfigError("adoption: reasons must be a list of reasons, not one string")

    def describe(self) -> str:
        """The step as a reader says it: ``activity 'Bot verify'``, ``step kind hold``, ``path A → B``."""
        if self.activity is not None:
            return f"activity {self.activity!r}"
        if self.step_kind is not None:
            return f"step kind {self.step_kind}"
        return "path " + " → ".join(self.path or ())


@dataclass(frozen=True)
class AdoptionOptions:
    #: Weeks on each side of the plateau/ramp comparison (the last ``window`` weeks vs the ones before).
    window: int = 2
    #: z of the intervals (1.96: 95%).
    z: float = 1.959963984540054
    #: The vocabulary that names step kinds (None: the built-in one).
    step_kinds: StepKinds | None = None

    def __post_init__(self) -> None:
        if self.window < 1 or self.z <= 0:
            raise ConfigError(f"adoption: window >= 1 and z > 0 required, got {self.window} and {self.z}")


@dataclass(frozen=True)
class Share:
    """Eligible contacts, those taking the step, the share and its Wilson interval, for one cell."""

    team: str | None  # None: all teams
    week: int | None  # None: all weeks (audit_week: ISO weeks since the data's first week)
    eligible: int
    taking: int
    share: float
    low: float
    high: float


@dataclass(frozen=True)
class CurveSummary:
    """The curve's shape: the last window's share against the window before, and their difference."""

    shape: Shape
    recent_share: float | None
    earlier_share: float | None
    difference: float | None
    low: float | None
    high: float | None
    peak_week: int | None
    sentence: str


@dataclass(frozen=True)
class AdoptionResult:
    """Adoption of the new step among eligible contacts: overall, the weekly curve, per team and per cell."""

    step: str  # AdoptionSpec.describe()
    reasons: tuple[str, ...]
    overall: Share | None  # None: no eligible contact
    curve: tuple[Share, ...]  # by week, in order
    by_team: tuple[Share, ...]  # most eligible first
    by_team_week: tuple[Share, ...]
    summary: CurveSummary

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def adoption(
    engine: Engine, spec: AdoptionSpec, *, options: AdoptionOptions = AdoptionOptions()
) -> AdoptionResult:
    """The share of the pilot's contacts after the change that take the step ``spec`` names.

    ``engine`` holds ``events`` and ``audit_contacts`` (the audit pipeline's table).
    """
    if not engine.has_table(_AUDIT):
        raise InputError(f"adoption needs the {_AUDIT} table: build it with the audit pipeline first")
    params: list[Any] = []
    reason_filter = ""
    if spec.reasons:
        reason_filter = f"AND a.{ident(S.REASON)} IN ({', '.join('?' for _ in spec.reasons)})"
        params += list(spec.reasons)
    try:
        _stage_takers(engine, spec, options)
        rows = engine.rows(
            f"""SELECT coalesce(a.{ident(S.FINAL_TEAM)}, ?) AS team, a.{ident(_WEEK)} AS week,
                       count(*) AS eligible, count(t.{_C}) AS taking
                FROM {_AUDIT} a LEFT JOIN {_TAKERS} t USING ({_C})
                WHERE a.{ident(_GROUP)} = 'pilot' AND a.{ident(_PERIOD)} = 'after' {reason_filter}
                GROUP BY ALL ORDER BY team, week""",
            [NO_TEAM, *params],
        )
    finally:
        engine.execute(f"DROP TABLE IF EXISTS {_TAKERS}")
        engine.execute(f"DROP TABLE IF EXISTS {_KINDS}")
    z = options.z
    cells = tuple(_share(r["team"], r["week"], r["eligible"], r["taking"], z) for r in rows)
    curve = _roll_up(cells, "week", z)
    teams = tuple(sorted(_roll_up(cells, "team", z), key=lambda s: (-s.eligible, s.team or "")))
    total = _share(None, None, sum(c.eligible for c in cells), sum(c.taking for c in cells), z)
    return AdoptionResult(
        step=spec.describe(),
        reasons=spec.reasons,
        overall=total if total.eligible else None,
        curve=curve,
        by_team=teams,
        by_team_week=cells,
        summary=summarise(curve, window=options.window, z=z),
    )


def _stage_takers(engine: Engine, spec: AdoptionSpec, options: AdoptionOptions) -> None:
    """The contacts that take the step, one row each, as a temp table."""
    if spec.activity is not None:
        engine.execute(
            f"CREATE OR REPLACE TEMP TABLE {_TAKERS} AS SELECT DISTINCT {_C} FROM {S.EVENTS_TABLE} "
            f"WHERE {_A} = ?",
            [spec.activity],
        )
    elif spec.step_kind is not None:
        vocabulary = options.step_kinds or StepKinds.builtin()
        if spec.step_kind not in vocabulary.kinds:
            known = ", ".join(sorted(vocabulary.kinds))
            raise ConfigError(f"adoption: unknown step kind {spec.step_kind!r}; known: {known}")
        stage_step_kinds(engine, _KINDS, kinds=vocabulary)
        engine.execute(
            f"""CREATE OR REPLACE TEMP TABLE {_TAKERS} AS SELECT DISTINCT e.{_C}
                FROM {S.EVENTS_TABLE} e JOIN {_KINDS} k USING ({_A}) WHERE k.{STEP_KIND} = ?""",
            [spec.step_kind],
        )
    else:
        path = list(spec.path or ())
        ordered = ordered_events(engine)
        leads = ", ".join(
            f"lead({_A}, {i}) OVER (PARTITION BY {_C} ORDER BY seq) AS a{i}" for i in range(1, len(path))
        )
        match = " AND ".join([f"{_A} = ?", *(f"a{i} = ?" for i in range(1, len(path)))])
        engine.execute(
            f"""CREATE OR REPLACE TEMP TABLE {_TAKERS} AS
                SELECT DISTINCT {_C} FROM (SELECT {_C}, {_A}, {leads} FROM {ordered}) WHERE {match}""",
            path,
        )


def _share(team: str | None, week: int | None, eligible: int, taking: int, z: float) -> Share:
    eligible, taking = int(eligible), int(taking)
    if not eligible:
        return Share(team, week, 0, 0, 0.0, 0.0, 1.0)
    low, high = wilson_interval(taking, eligible, z)
    return Share(team, week, eligible, taking, taking / eligible, low, high)


def _roll_up(cells: Sequence[Share], key: Literal["team", "week"], z: float) -> tuple[Share, ...]:
    sums: dict[Any, list[int]] = {}
    for c in cells:
        acc = sums.setdefault(getattr(c, key), [0, 0])
        acc[0] += c.eligible
        acc[1] += c.taking
    return tuple(
        _share(k if key == "team" else None, k if key == "week" else None, n, x, z)
        for k, (n, x) in sorted(sums.items(), key=lambda kv: (kv[0] is None, kv[0]))
    )


def summarise(curve: Sequence[Share], *, window: int = 2, z: float = 1.959963984540054) -> CurveSummary:
    """Ramping, plateau or falling: the last ``window`` weeks against the ``window`` weeks before them.

    >>> weeks = [Share(None, w, 100, x, x / 100, 0, 1) for w, x in enumerate([30, 30, 60, 60])]
    >>> summarise(weeks).shape, summarise(weeks[2:], window=1).shape
    ('ramping', 'plateau')
    """
    weeks = [s for s in curve if s.eligible]
    peak = max(weeks, key=lambda s: (s.share, -(s.week or 0))).week if weeks else None
    if len(weeks) < 2 * window:
        return CurveSummary("too early", None, None, None, None, None, peak,
                            f"too early to judge: {len(weeks)} week(s) with eligible contacts, "
                            f"{2 * window} needed")  # fmt: skip
    recent, earlier = weeks[-window:], weeks[-2 * window : -window]
    n2, x2 = sum(s.eligible for s in recent), sum(s.taking for s in recent)
    n1, x1 = sum(s.eligible for s in earlier), sum(s.taking for s in earlier)
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, z)
    l2, u2 = wilson_interval(x2, n2, z)
    diff = p2 - p1
    low = diff - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = diff + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    shape: Shape = "ramping" if low > 0 else "falling" if high < 0 else "plateau"
    words = {
        "ramping": "still rising",
        "falling": "falling",
        "plateau": "levelled off (no change beyond noise)",
    }[shape]
    sentence = (
        f"adoption {words}: {p2:.0%} in the last {window} week(s) vs {p1:.0%} in the {window} before "
        f"({100 * diff:+.1f} points, interval {100 * low:+.1f} to {100 * high:+.1f})"
    )
    return CurveSummary(shape, p2, p1, diff, low, high, peak, sentence)
