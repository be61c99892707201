"""New bottlenecks: the pilot's flow map after the change set against the one before (issue 18, item 3).

A change that improves its headline number can still move the pain somewhere else: a new verification step
that everyone now waits for, a handoff that bounces back, a step where contacts now stop unresolved. The
flow map of the pilot's contacts (``audit_group = 'pilot'``) is drawn twice, before and after, from the
same ordered events the diagnosis's flow map reads (:func:`cxray.process.steps.ordered_steps`), and every
edge (``A → B``) and step is compared on two things:

- **volume**: transitions (or events) per 100 contacts, and the share of contacts that take it. A rise is
  *beyond noise* when the two-proportion z-test of the contact shares (pooled, one-sided for a rise) is past
  the level's quantile. Contacts are the units because a contact either takes a handoff or not; a loop
  taken five times is one contact, not five observations;
- **waiting**: the seconds before a step (the gap from the previous event), compared by the difference of
  medians, after minus before, with a bootstrap percentile interval (each period resampled on its own). A
  median, because waits have long tails where one parked case would move a mean; a rise is beyond noise
  when the whole interval is above ``min_wait_rise_s``. Each period's gaps are subsampled (seeded) to at
  most ``max_sample`` first, so a busy edge costs no more than a quiet one (a wider interval, never a
  narrower one).

And two shapes of rework and failure:

- **loops**: per activity, the share of contacts that repeat it (``repeat``: twice or more, anything in
  between) or do it twice in a row (``self_loop``, the DFG edge ``A → A``); flagged when it grows beyond
  noise, ``new`` when it was never seen before;
- **dead ends**: per activity, the share of contacts whose *last* event it is and that did not end
  resolved (their final outcome is ``abandoned``/``unresolved``, or the customer came back: ``has_repeat``);
  flagged when it grows beyond noise, ``new`` when it was never a dead end before.

**Many tests, few false flags.** A pilot's flow map has dozens of edges and steps, so at a one-sided 5%
each, a change that did nothing still flagged two or three of them (measured on null simulated audits: 0 to
6 flags each). Every test gives a one-sided p-value (a volume's, loop's or dead end's from its z; a wait's
from its bootstrap: the rise over ``min_wait_rise_s`` in units of the resamples' standard deviation), and an
element is flagged when the Benjamini-Hochberg procedure over all of the screen's tests keeps it at a false
discovery rate of ``1 − level``: of the flags of an audit, about 5% or fewer are expected to be noise.

These tests ignore that one customer's contacts are alike (``did`` resamples customers for that): they are
a screen for where to look, listed with their numbers, not a verdict on the change
(``tests/audit/test_bottlenecks.py`` plants a loop, a slower handoff and a dead end and finds each).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from statistics import NormalDist
from typing import Any, Final, Literal

import numpy as np

from .. import schema as S
from ..engine import Engine
from ..errors import ConfigError, InputError
from ..ordered import IS_LAST, NEXT_ACTIVITY
from ..process.steps import GAP_S, POS, ordered_steps
from ..sql import ident, in_list
from .did import Interval
from .segments import AUDIT_CONTACTS as _AUDIT
from .segments import AUDIT_GROUP as _GROUP
from .segments import AUDIT_PERIOD as _PERIOD

__all__ = [
    "BottleneckOptions",
    "DeadEndChange",
    "Flag",
    "FlowChange",
    "LoopChange",
    "NewBottlenecks",
    "new_bottlenecks",
]

# The shared audit table (contract of the audit pipeline): contacts with their group, period and week.
_PILOT_STEPS: Final = "_cx_audit_pilot_steps"
_C, _A = ident(S.CONTACT_ID), ident(S.ACTIVITY)


@dataclass(frozen=True)
class BottleneckOptions:
    """How far a change must go to be flagged, and how the waiting intervals are drawn."""

    #: Coverage of the intervals; ``1 − level`` is the false discovery rate of the flags (module docstring).
    level: float = 0.95
    n_boot: int = 500
    seed: int = 0
    #: Gaps kept per period and element for the waiting bootstrap (a seeded subsample above it).
    max_sample: int = 5000
    #: Waiting must rise by more than this (seconds, the interval's lower end) to be flagged.
    min_wait_rise_s: float = 0.0
    #: Observations an element needs in a period before its waiting is compared.
    min_waits: int = 5
    #: Flags listed in ``top``, strongest first.
    top: int = 10

    def __post_init__(self) -> None:
        if not 0 < self.level < 1:
            raise ConfigError(f"bottlenecks: level must be between 0 and 1, got {self.level}")
        if self.n_boot < 100:
            raise ConfigError(f"bottlenecks: n_boot must be at least 100, got {self.n_boot}")
        if self.max_sample < 10 or self.min_waits < 2 or self.top < 1:
            raise ConfigError("bottlenecks: max_sample >= 10, min_waits >= 2 and top >= 1 are required")


@dataclass(frozen=True)
class FlowChange:
    """One edge (``source → target``) or step (``source`` only) of the pilot's flow map, before vs after.

    ``per100_*``: transitions (events for a step) per 100 contacts; ``share_*``: share of contacts taking it;
    ``z``: the two-proportion z of the shares (positive: more after); ``wait_change``: median seconds
    waited before the step (for an edge, between its two events), after minus before, with its interval
    (None when a period has fewer than ``min_waits`` waits); ``volume_p``/``wait_p``: the one-sided p-values
    of a rise, which the false-discovery control turns into ``volume_grew``/``wait_grew``.
    """

    kind: Literal["edge", "step"]
    source: str
    target: str | None
    count_before: int
    count_after: int
    per100_before: float
    per100_after: float
    share_before: float
    share_after: float
    z: float | None
    wait_median_before_s: float | None
    wait_median_after_s: float | None
    wait_change: Interval | None
    volume_grew: bool
    wait_grew: bool
    new: bool
    volume_p: float | None = None
    wait_p: float | None = None

    @property
    def name(self) -> str:
        return self.source if self.target is None else f"{self.source} → {self.target}"


@dataclass(frozen=True)
class LoopChange:
    """Contacts repeating ``activity`` (``repeat``) or doing it twice in a row (``self_loop``)."""

    activity: str
    kind: Literal["repeat", "self_loop"]
    contacts_before: int
    contacts_after: int
    share_before: float
    share_after: float
    z: float | None
    grew: bool
    new: bool
    p: float | None = None  # one-sided p-value of a rise (``grew``: kept by the false-discovery control)


@dataclass(frozen=True)
class DeadEndChange:
    """Contacts whose last event is ``activity`` and that did not end resolved, as a share of contacts."""

    activity: str
    contacts_before: int
    contacts_after: int
    share_before: float
    share_after: float
    z: float | None
    grew: bool
    new: bool
    p: float | None = None  # one-sided p-value of a rise (``grew``: kept by the false-discovery control)


@dataclass(frozen=True)
class Flag:
    """One flagged item and why, for the page's short list; ``strength`` orders the list (the z, or the
    waiting rise's interval low end over the before median for a wait)."""

    kind: Literal["edge volume", "step volume", "edge wait", "step wait", "loop", "dead end"]
    name: str
    reason: str
    strength: float


@dataclass(frozen=True)
class NewBottlenecks:
    """The pilot's flow after vs before: every compared element, and the flagged ones strongest first."""

    n_contacts_before: int
    n_contacts_after: int
    edges: tuple[FlowChange, ...]
    steps: tuple[FlowChange, ...]
    loops: tuple[LoopChange, ...]
    dead_ends: tuple[DeadEndChange, ...]
    top: tuple[Flag, ...]
    n_flagged: int
    level: float
    note: str  # why nothing could be compared; "" otherwise
    n_tests: int = 0  # tests the false-discovery control ran over

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("edges", "steps"):
            for item, obj in zip(out[key], getattr(self, key), strict=True):
                item["name"] = obj.name
        return out


def new_bottlenecks(engine: Engine, *, options: BottleneckOptions = BottleneckOptions()) -> NewBottlenecks:
    """Compare the pilot's flow map after the change with the one before (method: module docstring).

    ``engine`` holds ``events`` and ``audit_contacts`` (the audit pipeline's table).
    """
    if not engine.has_table(_AUDIT):
        raise InputError(f"new bottlenecks need the {_AUDIT} table: build it with the audit pipeline first")
    with ordered_steps(engine) as steps:
        engine.execute(
            f"""CREATE OR REPLACE TEMP TABLE {_PILOT_STEPS} AS
            SELECT s.{_C}, s.{_A}, s.{POS} AS pos, s.{NEXT_ACTIVITY} AS nxt, s.{GAP_S} AS gap_s,
                   s.{IS_LAST} AS is_last,
                   lag(s.{GAP_S}) OVER (PARTITION BY s.{_C} ORDER BY s.{POS}) AS wait_s,
                   a.{ident(_PERIOD)} AS period,
                   coalesce(a.{ident(S.FINAL_OUTCOME)} IN {in_list((S.ABANDONED, S.UNRESOLVED))}, false)
                       OR coalesce(a.{ident(S.HAS_REPEAT)}, false) AS unresolved
            FROM {steps} s JOIN {_AUDIT} a USING ({_C})
            WHERE a.{ident(_GROUP)} = 'pilot' AND a.{ident(_PERIOD)} IN ('before', 'after')"""
        )
    try:
        return _compare(engine, options)
    finally:
        engine.execute(f"DROP TABLE IF EXISTS {_PILOT_STEPS}")


def _compare(engine: Engine, o: BottleneckOptions) -> NewBottlenecks:
    sizes = {r["period"]: int(r["n"]) for r in engine.rows(
        f"SELECT period, count(DISTINCT {_C}) AS n FROM {_PILOT_STEPS} GROUP BY period"
    )}  # fmt: skip
    nb, na = sizes.get("before", 0), sizes.get("after", 0)
    if not nb or not na:
        empty = "before" if not nb else "after"
        return NewBottlenecks(nb, na, (), (), (), (), (), 0, o.level, f"no pilot contacts {empty} the change")
    rng = np.random.default_rng(o.seed)
    edges = _flow(engine, "edge", nb, na, rng, o)
    steps = _flow(engine, "step", nb, na, rng, o)
    loops = _loops(engine, nb, na)
    dead = _dead_ends(engine, nb, na)
    edges, steps, loops, dead, n_tests = _discoveries(edges, steps, loops, dead, 1 - o.level)
    flags = _flags(edges, steps, loops, dead)
    return NewBottlenecks(
        nb, na, edges, steps, loops, dead, tuple(flags[: o.top]), len(flags), o.level, "", n_tests
    )


def _discoveries(
    edges: tuple[FlowChange, ...],
    steps: tuple[FlowChange, ...],
    loops: tuple[LoopChange, ...],
    dead: tuple[DeadEndChange, ...],
    fdr: float,
) -> tuple[
    tuple[FlowChange, ...], tuple[FlowChange, ...], tuple[LoopChange, ...], tuple[DeadEndChange, ...], int
]:
    """The Benjamini-Hochberg procedure over every p-value of the screen: the grew flags it keeps."""
    ps = [c.volume_p for c in (*edges, *steps)] + [c.wait_p for c in (*edges, *steps)]
    ps += [lp.p for lp in loops] + [d.p for d in dead]
    tested = sorted(p for p in ps if p is not None)
    m = len(tested)
    cut = -1.0  # the largest p-value kept; none when no p_(k) <= k / m * fdr
    for k, p in enumerate(tested, start=1):
        if p <= k / m * fdr:
            cut = p

    def kept(p: float | None) -> bool:
        return p is not None and p <= cut

    def flow(c: FlowChange) -> FlowChange:
        return replace(c, volume_grew=kept(c.volume_p), wait_grew=kept(c.wait_p))

    return (
        tuple(flow(c) for c in edges),
        tuple(flow(c) for c in steps),
        tuple(replace(lp, grew=kept(lp.p)) for lp in loops),
        tuple(replace(d, grew=kept(d.p)) for d in dead),
        m,
    )


def _p_rise(z: float | None) -> float | None:
    """One-sided p-value of a rise from its z (None without a test)."""
    return None if z is None else 1.0 - NormalDist().cdf(z)


def _flow(
    engine: Engine,
    kind: Literal["edge", "step"],
    nb: int,
    na: int,
    rng: np.random.Generator,
    o: BottleneckOptions,
) -> tuple[FlowChange, ...]:
    """Edges (consecutive pairs, waits between them) or steps (events, waits before them)."""
    src, dst, wait, where = (
        (_A, "nxt", "gap_s", "NOT is_last") if kind == "edge" else (_A, "NULL", "wait_s", "true")
    )
    rows = engine.rows(
        f"""SELECT {src} AS src, {dst} AS dst, period, count(*) AS n, count(DISTINCT {_C}) AS contacts,
                   list({wait} ORDER BY {wait}) FILTER (WHERE {wait} IS NOT NULL) AS waits
            FROM {_PILOT_STEPS} WHERE {where}
            GROUP BY ALL ORDER BY src, dst NULLS FIRST, period"""
    )
    cells: dict[tuple[str, str | None], dict[str, dict[str, Any]]] = {}
    for r in rows:
        cells.setdefault((r["src"], r["dst"]), {})[r["period"]] = r
    out = []
    for (s, t), per in cells.items():
        b, a = per.get("before"), per.get("after")
        cb, ca = (int(b["contacts"]) if b else 0), (int(a["contacts"]) if a else 0)
        z = _two_proportion_z(cb, nb, ca, na)
        wb = np.asarray((b or {}).get("waits") or [], float)
        wa = np.asarray((a or {}).get("waits") or [], float)
        change, wait_p = _median_change(wb, wa, rng, o)
        out.append(
            FlowChange(
                kind=kind,
                source=s,
                target=t,
                count_before=int(b["n"]) if b else 0,
                count_after=int(a["n"]) if a else 0,
                per100_before=100 * (int(b["n"]) if b else 0) / nb,
                per100_after=100 * (int(a["n"]) if a else 0) / na,
                share_before=cb / nb,
                share_after=ca / na,
                z=z,
                wait_median_before_s=float(np.median(wb)) if len(wb) else None,
                wait_median_after_s=float(np.median(wa)) if len(wa) else None,
                wait_change=change,
                volume_grew=False,
                wait_grew=False,
                new=cb == 0 and ca > 0,
                volume_p=_p_rise(z),
                wait_p=wait_p,
            )
        )
    return tuple(sorted(out, key=lambda c: (-c.count_after, c.source, c.target or "")))


def _loops(engine: Engine, nb: int, na: int) -> tuple[LoopChange, ...]:
    rows = engine.rows(
        f"""WITH k AS (
                SELECT {_C}, {_A} AS activity, period, count(*) AS k,
                       count(*) FILTER (WHERE nxt = {_A}) AS self_k
                FROM {_PILOT_STEPS} GROUP BY ALL
            )
            SELECT activity, period, count(*) FILTER (WHERE k >= 2) AS repeat_c,
                   count(*) FILTER (WHERE self_k >= 1) AS self_c
            FROM k GROUP BY ALL HAVING count(*) FILTER (WHERE k >= 2) > 0
            ORDER BY activity, period"""
    )
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for r in rows:
        counts.setdefault((r["activity"], "repeat"), {})[r["period"]] = int(r["repeat_c"])
        counts.setdefault((r["activity"], "self_loop"), {})[r["period"]] = int(r["self_c"])
    out = []
    for (act, kind), per in counts.items():
        cb, ca = per.get("before", 0), per.get("after", 0)
        if not cb and not ca:
            continue
        z = _two_proportion_z(cb, nb, ca, na)
        new = cb == 0 and ca > 0
        out.append(LoopChange(act, kind, cb, ca, cb / nb, ca / na, z, False, new, _p_rise(z)))  # type: ignore[arg-type]
    return tuple(sorted(out, key=lambda c: (-c.contacts_after, c.activity, c.kind)))


def _dead_ends(engine: Engine, nb: int, na: int) -> tuple[DeadEndChange, ...]:
    rows = engine.rows(
        f"""SELECT {_A} AS activity, period, count(*) AS n FROM {_PILOT_STEPS}
            WHERE is_last AND unresolved GROUP BY ALL ORDER BY activity, period"""
    )
    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        counts.setdefault(r["activity"], {})[r["period"]] = int(r["n"])
    out = []
    for act, per in counts.items():
        cb, ca = per.get("before", 0), per.get("after", 0)
        z = _two_proportion_z(cb, nb, ca, na)
        out.append(DeadEndChange(act, cb, ca, cb / nb, ca / na, z, False, cb == 0 and ca > 0, _p_rise(z)))
    return tuple(sorted(out, key=lambda c: (-c.contacts_after, c.activity)))


def _flags(
    edges: tuple[FlowChange, ...],
    steps: tuple[FlowChange, ...],
    loops: tuple[LoopChange, ...],
    dead: tuple[DeadEndChange, ...],
) -> list[Flag]:
    """Every flagged item with its reason in words, strongest first (then by name, for determinism)."""
    flags: list[Flag] = []
    for c in (*edges, *steps):
        if c.volume_grew:
            new = "new: " if c.new else ""
            flags.append(
                Flag(
                    f"{c.kind} volume",  # type: ignore[arg-type]
                    c.name,
                    f"{new}{c.per100_before:.1f} → {c.per100_after:.1f} per 100 contacts "
                    f"({c.share_before:.0%} → {c.share_after:.0%} of contacts, z = {c.z:.1f})",
                    float(c.z or 0.0),
                )
            )
        if c.wait_grew and c.wait_change is not None:
            iv = c.wait_change
            base = max(c.wait_median_before_s or 0.0, 1.0)
            flags.append(
                Flag(
                    f"{c.kind} wait",  # type: ignore[arg-type]
                    c.name,
                    f"median wait {c.wait_median_before_s:.0f} s → {c.wait_median_after_s:.0f} s "
                    f"({iv.estimate:+.0f} s, interval {iv.low:+.0f} to {iv.high:+.0f} s)",
                    float((iv.low or 0.0) / base),
                )
            )
    for lp in loops:
        if lp.grew:
            what = "done twice in a row" if lp.kind == "self_loop" else "repeated within a contact"
            flags.append(
                Flag(
                    "loop",
                    f"{lp.activity} ({lp.kind})",
                    f"{'new loop: ' if lp.new else ''}{what} in {lp.share_before:.1%} → {lp.share_after:.1%} "
                    f"of contacts (z = {lp.z:.1f})",
                    float(lp.z or 0.0),
                )
            )
    for d in dead:
        if d.grew:
            flags.append(
                Flag(
                    "dead end",
                    d.activity,
                    f"{'new dead end: ' if d.new else ''}last step of unresolved contacts in "
                    f"{d.share_before:.1%} → {d.share_after:.1%} of contacts (z = {d.z:.1f})",
                    float(d.z or 0.0),
                )
            )
    return sorted(flags, key=lambda f: (-f.strength, f.kind, f.name))


def _two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """The pooled two-proportion z statistic of ``x2/n2`` against ``x1/n1`` (None with no variance).

    >>> round(_two_proportion_z(30, 100, 60, 100), 2)
    4.26
    """
    pooled = (x1 + x2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if var <= 0:
        return None
    return float((x2 / n2 - x1 / n1) / np.sqrt(var))


def _median_change(
    before: np.ndarray, after: np.ndarray, rng: np.random.Generator, o: BottleneckOptions
) -> tuple[Interval | None, float | None]:
    """Median after minus median before, with a bootstrap percentile interval (each period resampled
    apart), and the one-sided p-value of a rise beyond ``min_wait_rise_s`` (normal, from the resamples'
    spread); (None, None) when a period has fewer than ``min_waits`` waits."""
    if len(before) < o.min_waits or len(after) < o.min_waits:
        return None, None
    before, after = _cap(before, rng, o.max_sample), _cap(after, rng, o.max_sample)
    point = float(np.median(after) - np.median(before))
    mb = np.median(rng.choice(before, size=(o.n_boot, len(before))), axis=1)
    ma = np.median(rng.choice(after, size=(o.n_boot, len(after))), axis=1)
    tail = (1 - o.level) / 2
    low, high = np.quantile(ma - mb, [tail, 1 - tail])
    sd = float(np.std(ma - mb))
    rise = point - o.min_wait_rise_s
    p = (1.0 - NormalDist().cdf(rise / sd)) if sd > 0 else (0.0 if rise > 0 else 1.0)
    return Interval(point, float(low), float(high)), p


def _cap(values: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    return values if len(values) <= size else rng.choice(values, size=size, replace=False)
