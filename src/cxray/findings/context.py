"""What a detector gets: the engine, the options, the cost model, and shared staged tables.

The staged tables are built on first use and dropped by ``close``, so detectors that need the same
derivation (event order, handoff legs, a customer's next contact) share one pass over ``events``.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from dataclasses import InitVar, dataclass, field
from typing import TYPE_CHECKING

from .. import schema as S
from ..costs import CostModel, event_cost_sql, work_seconds_sql
from ..engine import Engine
from ..journeys import LogFacts, log_facts, route_column
from ..options import AnalysisOptions
from ..ordered import ordered_events
from ..process.step_kinds import StepKinds, stage_step_kinds
from ..quality import DataQuality
from ..sql import days_interval, dyadic, in_list, maybe_repeated, sparse_group_by

if TYPE_CHECKING:
    from ..incentives import IncentiveAssessment
    from .base import Detector

EVENTS: str = "_cxray_fx_events"
LEGS: str = "_cxray_fx_legs"
LEG_ACTIVITIES: str = "_cxray_fx_leg_activities"
NEXT: str = "_cxray_fx_next"
STEP_KINDS: str = "_cxray_fx_step_kinds"
#: The large shared tables a detector declares it reads (``Detector.reads``), by name.
SHARED: dict[str, str] = {"legs": LEGS, "leg_activities": LEG_ACTIVITIES, "next": NEXT}

HUMAN_TYPES: tuple[str, ...] = (S.AGENT, S.BACK_OFFICE)


@dataclass(frozen=True)
class StagedTables:
    """Detector tables staged before the finder runs, e.g. by the Spark engine's partitions of customers
    (``cxray.findings.finder.stage_breakdowns``), each table the union of the partitions' rows.

    ``facts``: the whole log's facts they were staged with (the finder's context takes them);
    ``shared``: the context's shared tables present (``legs``, ``leg_activities``, ``next`` by the names
    in :data:`SHARED`); ``by_detector``: per detector, by its index in the finder's
    list, the tables its ``Detector.stage`` made.
    """

    facts: LogFacts
    shared: frozenset[str] = frozenset()
    by_detector: Mapping[int, tuple[str, ...]] = field(default_factory=dict)

    @property
    def tables(self) -> list[str]:
        """Every staged table's name, shared ones first."""
        own = [t for k in sorted(self.by_detector) for t in self.by_detector[k]]
        return sorted(self.shared) + own


@dataclass
class DetectorContext:
    """Tables in: ``events``, ``contacts`` and ``journeys`` exist; staged tables come on demand.

    ``events_table()``
        one row per event: ``contact_id, seq`` (order in the contact), ``ts, next_ts`` (the contact's next
        event), ``activity, reason, customer_id, channel, queue, team, outcome, eff_actor`` (actor type, the
        channel standing in), ``route`` (queue, else team when the log has no queue), ``leg_key`` (route,
        else actor type, carried forward), ``leg_no`` (1-based handoff leg), ``minutes, cost``.
    ``legs_table()``
        one row per leg: ``contact_id, leg_no, leg_key, reason, is_self_service`` (only bot/IVR events),
        ``has_route`` (the key is a queue or team, not an actor type),
        ``team`` (last known), ``start_ts, end_ts, minutes, cost, next_key, next_self, prev_key``,
        ``is_revisit`` (its key
        was visited earlier in the contact).
    ``leg_activities_table()``
        one row per (``contact_id, leg_no, activity``): ``leg_key``, ``times`` (events), ``minutes, cost``
        (summed) and ``first_minutes, first_cost`` (of its first event), so that detectors counting an
        activity's repeats per leg or per contact aggregate this instead of every event again.
    ``next_table()``
        one row per contact with a customer: ``contact_id, next_contact_id`` and whether that next contact
        of the same customer (any channel, any reason) starts within ``window_days`` of this one's end
        (``follows``), with ``next_minutes, next_cost``.
    ``step_kinds_table()``
        one row per activity: ``activity, step_kind`` (``cxray.process.step_kinds``), in ``step_kinds``,
        the run's vocabulary (``options.step_kinds`` over the built-in one).
    ``incentives``
        the run's incentives assessment (parties' KPIs beside outcomes, ``cxray.incentives``) that the
        IN detectors read; ``diagnose`` assesses it once, as a step of its own; outside ``diagnose`` the
        first IN detector stages one with the default parties.
    """

    engine: Engine
    options: AnalysisOptions
    costs: CostModel
    quality: DataQuality = field(default_factory=DataQuality)
    incentives: IncentiveAssessment | None = None
    #: The whole log's facts when ``events`` holds only part of it (a Spark partition); None: read them.
    whole_log: InitVar[LogFacts | None] = None
    facts: LogFacts = field(init=False)
    _built: set[str] = field(default_factory=set, init=False)
    _scratch: set[str] = field(default_factory=set, init=False)

    def __post_init__(self, whole_log: LogFacts | None) -> None:
        self.facts = whole_log if whole_log is not None else log_facts(self.engine)

    @property
    def route_dim(self) -> str:
        """The canonical column legs are keyed by: queue, else team."""
        return route_column(self.facts) or S.TEAM

    @functools.cached_property
    def step_kinds(self) -> StepKinds:
        """The vocabulary of step kinds: the built-in one, with ``options.step_kinds``'s phrases over it."""
        return StepKinds.of_run(self.options.step_kinds)

    @property
    def window_sql(self) -> str:
        """The repeat window as a SQL INTERVAL expression."""
        return days_interval(self.options.window_days)

    def events_table(self) -> str:
        if EVENTS not in self._built:
            self._build_events()
        return EVENTS

    def legs_table(self) -> str:
        if LEGS not in self._built:
            self._build_legs()
        return LEGS

    def leg_activities_table(self) -> str:
        if LEG_ACTIVITIES not in self._built:
            self._build_leg_activities()
        return LEG_ACTIVITIES

    def next_table(self) -> str:
        if NEXT not in self._built:
            self._build_next()
        return NEXT

    def step_kinds_table(self) -> str:
        """``activity, step_kind`` for every activity of ``events``, in the run's vocabulary (staged once,
        shared by the detectors that compare or skip steps by kind)."""
        if STEP_KINDS not in self._built:
            stage_step_kinds(self.engine, STEP_KINDS, kinds=self.step_kinds)
            self._built.add(STEP_KINDS)
        return STEP_KINDS

    def stage(self, detector: Detector) -> tuple[str, ...]:
        """Run ``detector.stage``; the tables it reserved with ``scratch``, in name order."""
        before = set(self._scratch)
        detector.stage(self)
        return tuple(sorted(self._scratch - before))

    def adopt(self, tables: StagedTables) -> None:
        """Take ``tables`` (already in the engine) as built: the shared ones as if staged here, each
        detector's as staged for it (``take``)."""
        self._built.update(tables.tables)

    def take(self, tables: tuple[str, ...]) -> None:
        """A detector's adopted tables, now its scratch: dropped once its claims are read."""
        self._scratch.update(tables)

    def scratch(self, name: str) -> str:
        """Reserve a temp table name for one detector's own use (its claims queries may read it): the
        finder drops it once that detector's claims are read (``release_scratch``), ``close`` otherwise."""
        full = self.staged(name)
        self._scratch.add(full)
        return full

    def staged(self, name: str) -> str:
        """Reserve a temp table name that more than one detector may read: kept until ``close``."""
        full = f"_cxray_fx_{name}"
        self._built.add(full)
        return full

    def release_scratch(self) -> None:
        """Drop the detectors' own tables reserved so far (``scratch``); the shared ones stay. At 10M
        events they held up to 10M rows each until every detector had run, pushing the rest to disk."""
        for name in sorted(self._scratch):
            self.engine.execute(f"DROP TABLE IF EXISTS {name}")
        self._built -= self._scratch
        self._scratch.clear()

    def release_shared(self, needed: set[str]) -> None:
        """Drop the shared tables (``SHARED``, by the names detectors' ``reads`` use) that are not
        ``needed``; one asked for again is rebuilt."""
        for name, table in sorted(SHARED.items()):
            if name not in needed and table in self._built:
                self.engine.execute(f"DROP TABLE IF EXISTS {table}")
                self._built.discard(table)

    def close(self, *, keep: Collection[str] = ()) -> None:
        """Drop every table staged or reserved, except those in ``keep``."""
        for name in sorted(self._built - set(keep)):
            kind = "VIEW" if name == EVENTS else "TABLE"
            self.engine.execute(f"DROP {kind} IF EXISTS {name}")
        self._built.clear()
        self._scratch.clear()

    # --- staging ------------------------------------------------------------------------------------
    def _build_events(self) -> None:
        # A view: the ordering is shared with journeys and the flow map; only the prices are the finder's.
        ordered = ordered_events(self.engine, route=route_column(self.facts))
        work = work_seconds_sql(
            self.costs, estimated=not self.facts.has_duration, actor_type_expr="eff_actor"
        )
        self.engine.execute(
            f"""
            CREATE OR REPLACE TEMP VIEW {EVENTS} AS
            SELECT {S.CONTACT_ID}, seq, ts, next_ts, {S.ACTIVITY}, {S.REASON}, {S.CUSTOMER_ID}, {S.CHANNEL},
                   {S.QUEUE}, {S.TEAM}, {S.OUTCOME}, {S.DURATION_S}, route, eff_actor, leg_key, leg_no,
                   {dyadic(f"{work} / 60.0")} AS minutes,
                   {dyadic(event_cost_sql(self.costs, duration=work, actor_type_expr="eff_actor"))} AS cost
            FROM {ordered}
            """
        )
        self._built.add(EVENTS)

    def _build_leg_activities(self) -> None:
        # An activity seldom repeats within a leg: most groups are one event (sparse_group_by).
        ev = self.events_table()
        columns = [
            ("leg_key", "any_value(leg_key)", "leg_key"),
            ("times", "count(*)", "CAST(1 AS BIGINT)"),
            ("minutes", "sum(minutes)", "minutes"),
            ("cost", "sum(cost)", "cost"),
            ("first_minutes", "arg_min(minutes, seq)", "minutes"),
            ("first_cost", "arg_min(cost, seq)", "cost"),
        ]
        self.engine.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {LEG_ACTIVITIES} AS
            {sparse_group_by(ev, [S.CONTACT_ID, "leg_no", S.ACTIVITY], columns)}
            """
        )
        self._built.add(LEG_ACTIVITIES)

    def _build_legs(self) -> None:
        ev = self.events_table()
        self_service = in_list(S.SELF_SERVICE)
        self.engine.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {LEGS} AS
            WITH l AS MATERIALIZED (
                SELECT {S.CONTACT_ID}, leg_no, any_value(leg_key) AS leg_key,
                       coalesce(bool_and(eff_actor IN {self_service}), false) AS is_self_service,
                       bool_or(route IS NOT NULL) AS has_route,
                       arg_max({S.TEAM}, seq) AS {S.TEAM},  -- the last team that is not NULL
                       min(ts) AS start_ts, max(coalesce(next_ts, ts)) AS end_ts,
                       sum(minutes) AS minutes, sum(cost) AS cost
                FROM {ev} GROUP BY {S.CONTACT_ID}, leg_no
            ), revisited AS (
                -- A key seldom comes back in a contact: only the pairs that may are grouped, instead of a
                -- window over every leg (10M events, 3.3M legs: 4.1-4.3 -> 3.3-3.8 s for the table).
                SELECT {S.CONTACT_ID}, leg_key, min(leg_no) AS first_leg FROM l
                WHERE leg_key IS NOT NULL AND {maybe_repeated("l", [S.CONTACT_ID, "leg_key"])}
                GROUP BY {S.CONTACT_ID}, leg_key HAVING count(*) > 1
            )
            SELECT l.*, c.{S.REASON},
                   lead(l.leg_key) OVER w AS next_key,
                   lead(l.is_self_service) OVER w AS next_self,
                   lag(l.leg_key) OVER w AS prev_key,
                   -- leg numbers are unique in a contact: later than the key's first leg is a revisit
                   coalesce(l.leg_no > r.first_leg, false) AS is_revisit
            FROM l JOIN {S.CONTACTS_TABLE} c USING ({S.CONTACT_ID})
                 LEFT JOIN revisited r USING ({S.CONTACT_ID}, leg_key)
            WHERE l.leg_key IS NOT NULL
            WINDOW w AS (PARTITION BY l.{S.CONTACT_ID} ORDER BY l.leg_no)
            """
        )
        self._built.add(LEGS)

    def _build_next(self) -> None:
        c = S.CONTACTS_TABLE
        self.engine.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {NEXT} AS
            WITH n AS (
                SELECT {S.CONTACT_ID}, {S.CUSTOMER_ID}, {S.END_TS},
                       lead({S.CONTACT_ID}) OVER w AS next_contact_id,
                       lead({S.START_TS}) OVER w AS next_start
                FROM {c} WHERE {S.CUSTOMER_ID} IS NOT NULL
                WINDOW w AS (PARTITION BY {S.CUSTOMER_ID} ORDER BY {S.START_TS}, {S.CONTACT_ID})
            )
            SELECT n.{S.CONTACT_ID}, n.next_contact_id,
                   coalesce(n.next_start <= n.{S.END_TS} + {self.window_sql}, false) AS follows,
                   nx.{S.WORK_S} / 60.0 AS next_minutes, nx.{S.COST} AS next_cost
            FROM n LEFT JOIN {c} nx ON nx.{S.CONTACT_ID} = n.next_contact_id
            """
        )
        self._built.add(NEXT)
