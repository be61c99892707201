"""Effort migration: did a bot or AI launch remove work, or move it? (issue 18, item 5).

A bot's dashboard counts the contacts it "handled"; the operation pays for the minutes people still spend.
When customers who fail in the bot come back to an agent, or arrive at the agent angrier and longer, the
automated share rises while the human effort per customer issue does not fall: the work **shifted, not
removed**. So the pilot's contacts are compared before and after the change on:

- ``automated_share``: contacts handled by a bot or IVR alone (self-service, no agent or back-office event);
- ``human_minutes_per_journey``: minutes of agent and back-office events (their ``duration_s``) of the
  period's contacts over the journeys the period opens (its contacts with ``contact_seq = 1``): per
  customer issue, the unit the customer cares about, so that a bot contact followed by an agent contact
  counts as one issue, not two;
- ``handle_time_reaching_agents``: human seconds per contact that reached a human;
- ``after_contact_work_share``: human seconds in after-contact-work steps (step kind ``after_contact_work``)
  over all human seconds;
- ``human_after_bot_failure``: contacts reaching a human after self-service failed, within the contact (bot
  then agent) or across contacts (the journey's previous contact was self-service), over contacts;
- ``repeat_contact_rate``: as ``cxray.metrics`` defines it (uncensored contacts of identified customers
  followed by another in their journey).

Each before → after difference has a bootstrap percentile interval that resamples **customers** within each
period (a contact without one is its own customer), as ``did`` does, since one customer's contacts are
alike; each statistic is a ratio of sums, so the resample is a count per customer times its sums. The
finding fires when ``automated_share`` rose beyond noise (the interval above 0) and
``human_minutes_per_journey`` did not fall beyond noise (the interval not below 0); it names where the
minutes went: the reasons (of the contacts), teams and steps (of the human events) whose human minutes per
journey grew most.

This is the pilot's own before/after: a seasonal shift moves it too (``did`` sets a control beside it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final

import numpy as np

from .. import schema as S
from ..engine import Engine
from ..errors import ConfigError, InputError
from ..ordered import ordered_events
from ..process.step_kinds import STEP_KIND, StepKinds, stage_step_kinds
from ..sql import ident, in_list, sql_string
from .did import Interval, resample_sums
from .segments import AUDIT_CONTACTS as _AUDIT
from .segments import AUDIT_GROUP as _GROUP
from .segments import AUDIT_PERIOD as _PERIOD

__all__ = ["EffortMigration", "MeasureChange", "MigrationOptions", "Shift", "effort_migration"]

# The shared audit table (contract of the audit pipeline).
_UNITS: Final = "_cx_audit_migration_units"
_HUMAN: Final = "_cx_audit_migration_human"
_KINDS: Final = "_cx_audit_migration_kinds"
_ACW: Final = "after_contact_work"
NO_VALUE: Final = "(none)"
_C = ident(S.CONTACT_ID)

#: The compared measures: (numerator, denominator) columns of the per-contact table; each is a ratio of sums.
_MEASURES: Final = {
    "automated_share": ("automated", "one"),
    "human_minutes_per_journey": ("human_min", "first"),
    "handle_time_reaching_agents": ("human_s", "reached_human"),
    "after_contact_work_share": ("acw_s", "human_s"),
    "human_after_bot_failure": ("after_bot", "one"),
    "repeat_contact_rate": ("repeat", "repeat_base"),
}


@dataclass(frozen=True)
class MigrationOptions:
    n_boot: int = 1000
    level: float = 0.95
    seed: int = 0
    #: Reasons, teams and steps named as "where it went", most grown first.
    top: int = 5
    step_kinds: StepKinds | None = None

    def __post_init__(self) -> None:
        if self.n_boot < 100 or not 0 < self.level < 1 or self.top < 1:
            raise ConfigError("effort migration: n_boot >= 100, 0 < level < 1 and top >= 1 are required")


@dataclass(frozen=True)
class MeasureChange:
    """One measure before and after, and after minus before with its customer-bootstrap interval."""

    measure: str
    before: float | None
    after: float | None
    change: Interval | None

    @property
    def rose(self) -> bool:
        return self.change is not None and self.change.above(0.0)

    @property
    def fell(self) -> bool:
        return self.change is not None and self.change.below(0.0)


@dataclass(frozen=True)
class Shift:
    """Human minutes per journey of one reason, team or step, before and after (per journey of the period,
    so the numbers add up to ``human_minutes_per_journey``), and of the reason's mix of human contacts."""

    dimension: str  # reason, team or step
    value: str
    minutes_before: float
    minutes_after: float
    growth: float  # minutes_after - minutes_before
    share_of_human_contacts_before: float | None  # reasons only: the reason mix reaching agents
    share_of_human_contacts_after: float | None


@dataclass(frozen=True)
class EffortMigration:
    """The pilot's effort before and after, and the "work shifted, not removed" finding."""

    journeys_before: int
    journeys_after: int
    contacts_before: int
    contacts_after: int
    measures: tuple[MeasureChange, ...]
    reasons: tuple[Shift, ...]  # every reason, most grown first
    teams: tuple[Shift, ...]
    steps: tuple[Shift, ...]
    shifted: bool  # the finding fired
    went_to: tuple[Shift, ...]  # the top reasons, teams and steps whose human minutes grew
    finding: str  # the finding in words, or why it did not fire
    level: float

    def measure(self, name: str) -> MeasureChange:
        return next(m for m in self.measures if m.measure == name)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def effort_migration(engine: Engine, *, options: MigrationOptions = MigrationOptions()) -> EffortMigration:
    """Compare the pilot's effort before and after the change (measures and finding: module docstring).

    ``engine`` holds ``events`` and ``audit_contacts`` (the audit pipeline's table).
    """
    if not engine.has_table(_AUDIT):
        raise InputError(f"effort migration needs the {_AUDIT} table: build it with the audit pipeline first")
    try:
        _stage(engine, options)
        return _analyse(engine, options)
    finally:
        for t in (_UNITS, _HUMAN, _KINDS):
            engine.execute(f"DROP TABLE IF EXISTS {t}")


def _stage(engine: Engine, options: MigrationOptions) -> None:
    """Human events of the pilot's contacts (with minutes, team, step and ACW flag), and one row per
    pilot contact with every measure's numerator and denominator."""
    stage_step_kinds(engine, _KINDS, kinds=options.step_kinds)
    ordered = ordered_events(engine)
    humans = in_list((S.AGENT, S.BACK_OFFICE))
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_HUMAN} AS
        SELECT o.{_C}, a.{ident(_PERIOD)} AS period, o.{ident(S.ACTIVITY)} AS step, o.{ident(S.TEAM)} AS team,
               coalesce(o.{ident(S.DURATION_S)}, 0) AS s, k.{STEP_KIND} = {sql_string(_ACW)} AS acw
        FROM {ordered} o JOIN {_AUDIT} a USING ({_C})
        LEFT JOIN {_KINDS} k ON k.{ident(S.ACTIVITY)} = o.{ident(S.ACTIVITY)}
        WHERE a.{ident(_GROUP)} = 'pilot' AND o.eff_actor IN {humans}"""
    )
    j, seq = ident(S.JOURNEY_ID), ident(S.CONTACT_SEQ)
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_UNITS} AS
        WITH h AS (
            SELECT {_C}, sum(s) AS human_s, sum(s) FILTER (WHERE acw) AS acw_s FROM {_HUMAN} GROUP BY {_C}
        ), c AS (
            SELECT a.*, lag(coalesce(a.{ident(S.IS_SELF_SERVICE)}, false))
                       OVER (PARTITION BY a.{j} ORDER BY a.{seq}) AS prev_self_service
            FROM {_AUDIT} a
        )
        SELECT c.{_C}, c.{ident(_PERIOD)} AS period, coalesce(c.{ident(S.CUSTOMER_ID)}, c.{_C}) AS cluster,
               c.{ident(S.REASON)} AS reason,
               1.0 AS one,
               CAST(coalesce(c.{ident(S.IS_SELF_SERVICE)}
                             AND NOT coalesce(c.{ident(S.IS_HUMAN_HANDLED)}, false), false) AS DOUBLE)
                   AS automated,
               coalesce(h.human_s, 0) / 60.0 AS human_min,
               CAST(c.{seq} = 1 AS DOUBLE) AS first,
               coalesce(h.human_s, 0) AS human_s,
               coalesce(h.acw_s, 0) AS acw_s,
               CAST(coalesce(c.{ident(S.IS_HUMAN_HANDLED)}, false) AS DOUBLE) AS reached_human,
               CAST(coalesce(c.{ident(S.IS_HUMAN_HANDLED)}, false)
                    AND (coalesce(c.{ident(S.IS_SELF_SERVICE)}, false)
                         OR coalesce(c.prev_self_service, false)) AS DOUBLE) AS after_bot,
               CAST(coalesce(c.{ident(S.HAS_REPEAT)}, false) AND NOT coalesce(c.{ident(S.IS_CENSORED)}, false)
                    AND c.{ident(S.CUSTOMER_ID)} IS NOT NULL AS DOUBLE) AS repeat,
               CAST(NOT coalesce(c.{ident(S.IS_CENSORED)}, false) AND c.{ident(S.CUSTOMER_ID)} IS NOT NULL
                    AS DOUBLE) AS repeat_base
        FROM c LEFT JOIN h USING ({_C})
        WHERE c.{ident(_GROUP)} = 'pilot' AND c.{ident(_PERIOD)} IN ('before', 'after')
        ORDER BY c.{_C}"""
    )


def _analyse(engine: Engine, o: MigrationOptions) -> EffortMigration:
    cols = sorted({c for num, den in _MEASURES.values() for c in (num, den)})
    table = engine.arrow(f"SELECT period, cluster, {', '.join(cols)} FROM {_UNITS} ORDER BY {_C}")
    data = {c: table.column(c).to_numpy(zero_copy_only=False).astype(float) for c in cols}
    after = np.asarray(table.column("period").to_pylist()) == "after"
    _, cluster = np.unique(np.asarray(table.column("cluster").to_pylist(), dtype=object).astype(str),
                           return_inverse=True)  # fmt: skip
    rng = np.random.default_rng(o.seed)
    measures = tuple(
        _change(name, data[num], data[den], after, cluster, rng, o) for name, (num, den) in _MEASURES.items()
    )
    counts = {
        (r["period"]): (int(r["contacts"]), int(r["journeys"]))
        for r in engine.rows(
            f"SELECT period, count(*) AS contacts, sum(first) AS journeys FROM {_UNITS} GROUP BY 1"
        )
    }
    cb, jb = counts.get("before", (0, 0))
    ca, ja = counts.get("after", (0, 0))
    none = sql_string(NO_VALUE)
    by_reason = (
        f"SELECT u.period, coalesce(u.reason, {none}) AS v, h.s FROM {_HUMAN} h JOIN {_UNITS} u USING ({_C})"
    )
    reasons = _shifts(engine, "reason", by_reason, jb, ja)
    teams = _shifts(engine, "team", f"SELECT period, coalesce(team, {none}) AS v, s FROM {_HUMAN}", jb, ja)
    steps = _shifts(engine, "step", f"SELECT period, step AS v, s FROM {_HUMAN}", jb, ja)
    reasons = _with_mix(engine, reasons)
    auto = next(m for m in measures if m.measure == "automated_share")
    minutes = next(m for m in measures if m.measure == "human_minutes_per_journey")
    judged = minutes.change is not None and minutes.change.low is not None
    shifted = auto.rose and judged and not minutes.fell
    went = tuple(s for group in (reasons, teams, steps) for s in [x for x in group if x.growth > 0][: o.top])
    finding = _sentence(auto, minutes, shifted, went, o.level)
    return EffortMigration(jb, ja, cb, ca, measures, reasons, teams, steps, shifted, went if shifted else (),
                           finding, o.level)  # fmt: skip


def _change(
    name: str,
    num: np.ndarray,
    den: np.ndarray,
    after: np.ndarray,
    cluster: np.ndarray,
    rng: np.random.Generator,
    o: MigrationOptions,
) -> MeasureChange:
    """sum(num)/sum(den) per period, and the difference's interval from resampling customers per period."""
    stats: list[tuple[float | None, np.ndarray | None]] = []
    for mask in (~after, after):
        k = cluster[mask]
        if not len(k):
            stats.append((None, None))
            continue
        _, idx = np.unique(k, return_inverse=True)
        n = int(idx.max()) + 1
        sums = np.column_stack(
            [
                np.bincount(idx, weights=num[mask], minlength=n),
                np.bincount(idx, weights=den[mask], minlength=n),
            ]
        )
        total = sums.sum(axis=0)
        point = float(total[0] / total[1]) if total[1] else None
        boot = resample_sums(sums, o.n_boot, rng)  # did's chunked resampler: memory stays bounded
        with np.errstate(divide="ignore", invalid="ignore"):
            stats.append((point, boot[:, 0] / boot[:, 1]))
    (pb, bb), (pa, ba) = stats
    if pb is None or pa is None or bb is None or ba is None:
        return MeasureChange(name, pb, pa, None)
    diff = ba - bb
    diff = diff[np.isfinite(diff)]
    if not len(diff):
        return MeasureChange(name, pb, pa, Interval(pa - pb, None, None))
    tail = (1 - o.level) / 2
    low, high = np.quantile(diff, [tail, 1 - tail])
    return MeasureChange(name, pb, pa, Interval(pa - pb, float(low), float(high)))


def _shifts(engine: Engine, dim: str, source: str, jb: int, ja: int) -> tuple[Shift, ...]:
    """Human minutes per journey of each value, before and after, most grown first."""
    rows = engine.rows(
        f"""SELECT v, sum(s) FILTER (WHERE period = 'before') / 60.0 AS mb,
                   sum(s) FILTER (WHERE period = 'after') / 60.0 AS ma
            FROM ({source}) GROUP BY v ORDER BY v"""
    )
    out = []
    for r in rows:
        mb = float(r["mb"] or 0) / jb if jb else 0.0
        ma = float(r["ma"] or 0) / ja if ja else 0.0
        out.append(Shift(dim, str(r["v"]), mb, ma, ma - mb, None, None))
    return tuple(sorted(out, key=lambda s: (-s.growth, s.value)))


def _with_mix(engine: Engine, reasons: tuple[Shift, ...]) -> tuple[Shift, ...]:
    """Add each reason's share of the contacts reaching a human, before and after."""
    rows = engine.rows(
        f"""SELECT coalesce(reason, {sql_string(NO_VALUE)}) AS v, period, sum(reached_human) AS n
            FROM {_UNITS} GROUP BY ALL"""
    )
    n: dict[tuple[str, str], float] = {(r["v"], r["period"]): float(r["n"] or 0) for r in rows}
    tot = {p: sum(x for (_, q), x in n.items() if q == p) for p in ("before", "after")}

    def share(v: str, p: str) -> float | None:
        return n.get((v, p), 0.0) / tot[p] if tot[p] else None

    return tuple(
        Shift(
            s.dimension,
            s.value,
            s.minutes_before,
            s.minutes_after,
            s.growth,
            share(s.value, "before"),
            share(s.value, "after"),
        )
        for s in reasons
    )


def _sentence(
    auto: MeasureChange, minutes: MeasureChange, shifted: bool, went: tuple[Shift, ...], level: float
) -> str:
    def iv(m: MeasureChange, scale: float, unit: str) -> str:
        c = m.change
        if c is None or c.low is None or c.high is None:
            return "no interval"
        shown = f"{scale * c.low:+.1f} to {scale * c.high:+.1f}"
        return f"{scale * c.estimate:+.1f}{unit} ({level:.0%} interval {shown})"

    head = f"automated share {iv(auto, 100, ' points')}; human minutes per journey {iv(minutes, 1, ' min')}"
    if shifted:
        where = (
            "; ".join(f"{s.dimension} {s.value} {s.growth:+.1f} min/journey" for s in went) or "nowhere named"
        )
        return f"work shifted, not removed: {head}. The minutes went to: {where}"
    if not auto.rose:
        return f"no shift to judge: the automated share did not rise beyond noise ({head})"
    if minutes.change is None or minutes.change.low is None:
        return f"cannot judge: human minutes per journey have no interval ({head})"
    return f"work removed: human minutes per journey fell beyond noise as the automated share rose ({head})"
