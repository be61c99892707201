"""Events → contacts → customer journeys: the tables every metric and breakdown reads.

``build_journeys`` creates two tables from the canonical ``events`` table, in set-based SQL:

``contacts`` (one row per ``contact_id``)
    - ``start_ts`` / ``end_ts``: first / last event timestamp. ``n_events``: its events.
    - ``customer_id``, ``reason``, ``entry_channel``: the first non-NULL value in event order
      ``(timestamp, source_row)``; ``final_outcome``, ``final_queue``, ``final_team``: the last non-NULL one;
      ``first_queue``, ``first_team``: the first.
    - ``handle_s``: sum of ``duration_s`` (NULL when no event has one). ``work_s``: the same, or, in a log
      without any ``duration_s``, the minutes each event's touch stands for (``costs``: estimated).
    - ``cost``: sum over events of ``work seconds / 60 × rate`` (team override, else actor type, else default;
      see ``costs``) plus ``per_bot_session`` when the contact touched a bot; NULL when no duration is known
      and no bot was touched.
    - ``n_transfers``: changes of queue between consecutive events that have a queue (of team when the whole
      log has no queue). ``is_transferred``: ``n_transfers > 0`` or any event's outcome is ``transferred``.
    - ``is_ping_pong``: after collapsing consecutive repeats of the queue (team) sequence, some X→Y→X occurs
      (an immediate return; A→B→C is not ping-pong, A→B→C→B is).
    - ``is_escalated``: any event's outcome is ``escalated``. ``is_reported_resolved``: any event's
      outcome is ``resolved`` (the systems' own claim, even when a later event closes the case).
      ``is_abandoned``: ``final_outcome`` is ``abandoned``.
    - ``is_self_service``: an event's actor type is ``bot`` or ``ivr`` (the channel stands in for a NULL actor
      type: ``costs.effective_actor_type_sql``). ``is_contained`` (reported containment): self-service, final
      outcome ``contained`` and no ``agent``/``back_office`` event. ``is_human_handled``: an ``agent`` or
      ``back_office`` event (NULL when the log has neither actor type nor channel).
    - ``is_censored``: ``end_ts > data_end - window_days``, ``data_end`` being the last timestamp of the log:
      a repeat could still come after the data ends.
    - ``is_true_contained``: contained and no other contact of the same customer (any channel, any reason)
      starts after this one started and no later than ``window_days`` after its end; FALSE when not contained,
      NULL when contained but censored or without a customer.
    - ``journey_id``, ``contact_seq`` (1-based, by ``start_ts`` then ``contact_id``), ``has_repeat`` (a later
      contact of the same journey exists).

``journeys`` (one row per ``journey_id``)
    A customer's contact opens a journey; a later contact of the same customer (and the same reason, unless
    ``any_reason`` or the log has no reasons) that starts no later than ``window_days`` after the end of the
    contacts before it joins it (chained: each repeat extends the window; exactly ``window_days`` joins).
    A journey is cut every ``max_journey_days`` from its first contact (a contact starting later opens the
    next span's journey), so a customer id that never stops calling cannot chain one endless journey.
    Contacts without a customer are each their own journey. ``journey_id`` is the ``contact_id`` of the
    journey's first contact. Columns: ``customer_id``, ``reason`` and ``entry_channel`` of the first contact,
    ``n_contacts``, ``start_ts`` / ``end_ts``, summed ``handle_s`` and ``cost``, ``is_censored`` (its last
    contact is censored), ``is_resolved`` (not censored and the last contact's outcome is neither
    ``abandoned`` nor ``unresolved``; NULL when censored), ``is_fcr`` (resolved with one contact; NULL when
    censored).

Window functions are partitioned by contact or by customer only, so the work can be split by customer.
A flag whose inputs the whole log lacks is NULL (e.g. ``is_abandoned`` without any outcome): see
``LogFacts`` and ``metrics.core_metrics``, which reports such metrics as disabled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from . import schema as S
from .costs import CostModel, contact_cost_sql, event_cost_sql, work_seconds_sql
from .engine import Engine
from .options import AnalysisOptions
from .ordered import ordered_events
from .sql import days_interval, days_us, dyadic, exact_sum, in_list, sql_string, timestamp

_BASE = "_cxray_jr_contacts"
_ROUTES = "_cxray_jr_routes"


#: The optional columns whose presence :class:`LogFacts` records, in its field order.
FACT_COLUMNS: tuple[str, ...] = (
    S.CUSTOMER_ID, S.REASON, S.CHANNEL, S.QUEUE, S.TEAM, S.ACTOR_TYPE, S.OUTCOME, S.DURATION_S,
)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class LogFacts:
    """Which optional inputs the log has at all (a column with at least one non-NULL value; durations
    above zero: :func:`cxray.schema.fact_condition`)."""

    has_customer: bool
    has_reason: bool
    has_channel: bool
    has_queue: bool
    has_team: bool
    has_actor_type: bool
    has_outcome: bool
    has_duration: bool
    data_end: datetime | None

    @property
    def has_routing(self) -> bool:
        return self.has_queue or self.has_team

    @classmethod
    def from_flags(cls, flags: list[bool], data_end: datetime | None) -> LogFacts:
        """Facts from one flag per :data:`FACT_COLUMNS` (in that order) and the data's last timestamp."""
        names = ("customer", "reason", "channel", "queue", "team", "actor_type", "outcome", "duration")
        return cls(**{f"has_{n}": bool(f) for n, f in zip(names, flags, strict=True)}, data_end=data_end)

    @property
    def has_self_service_signal(self) -> bool:
        return self.has_actor_type or self.has_channel


def log_facts(engine: Engine) -> LogFacts:
    """Which optional columns carry data (each asked with ``EXISTS``, which stops at the first value: a
    count of every column over 10M events took 0.1 s a call), and the last timestamp."""
    events = S.EVENTS_TABLE
    has = ", ".join(f"EXISTS (SELECT 1 FROM {events} WHERE {S.fact_condition(c)})" for c in FACT_COLUMNS)
    row = engine.fetchall(f'SELECT {has}, (SELECT max("{S.TIMESTAMP}") FROM {events})')[0]  # one row
    return LogFacts.from_flags(list(row[:-1]), row[-1])


def route_column(facts: LogFacts) -> str | None:
    """The column transfers are counted on: queue, else team; None when the log has neither."""
    return S.route_column(has_queue=facts.has_queue, has_team=facts.has_team)


def build_journeys(
    engine: Engine,
    *,
    options: AnalysisOptions = AnalysisOptions(),  # noqa: B008 - frozen, immutable default
    costs: CostModel = CostModel(),  # noqa: B008 - frozen, treated as immutable
    facts: LogFacts | None = None,
    data_end: datetime | None = None,
) -> None:
    """Create (or replace) the ``contacts`` and ``journeys`` tables from ``events``; definitions above.

    ``facts``: those of the whole log when ``events`` holds one partition of customers (``cxray.spark``),
    so that routing choices and censoring (``data_end``) agree across partitions; None reads ``events``.
    ``data_end``: the end of the data for censoring when it is not the last timestamp (the data-quality
    guards move it before outliers and a truncated tail, see ``cxray.quality``); wins over ``facts``.
    """
    if data_end is None and facts is not None:
        data_end = facts.data_end
    facts = facts or log_facts(engine)
    ordered = ordered_events(engine, route=route_column(facts))
    try:
        _stage_contacts(engine, costs, ordered, estimated=not facts.has_duration)
        _stage_routes(engine, ordered)
        _create_contacts(engine, options, facts, data_end)
        _bound_journeys(engine, options)
        _create_journeys(engine)
    finally:
        for name in (_BASE, _ROUTES):
            engine.execute(f"DROP TABLE IF EXISTS {name}")


def _first(col: str) -> str:
    """The contact's first value of ``col`` that is not NULL: ``arg_min`` skips NULL values (it is
    ``arg_min_null`` that keeps them), so no ``FILTER`` (the contacts' eight cost 0.2 s more with one at
    10M events)."""
    return f"arg_min({col}, seq)"


def _last(col: str) -> str:
    """The contact's last value of ``col`` that is not NULL (see :func:`_first`)."""
    return f"arg_max({col}, seq)"


def _any(cond: str) -> str:
    return f"coalesce(bool_or({cond}), false)"


def _stage_contacts(engine: Engine, costs: CostModel, ordered: str, *, estimated: bool) -> None:
    """One row per contact: times, first/last values, handle time, work, cost and raw flags.

    ``estimated``: the log has no handle times, so work and cost are estimated from touches (``costs``).
    """
    humans = in_list((S.AGENT, S.BACK_OFFICE))
    work = work_seconds_sql(costs, estimated=estimated, actor_type_expr="eff_actor")
    event_cost = event_cost_sql(costs, duration=work, actor_type_expr="eff_actor")
    cost = contact_cost_sql(costs, minutes_cost="minutes_cost", handle_s=S.WORK_S, touched_bot="touched_bot")
    # seconds and cost dyadic (sql.dyadic): every later sum of them is exact, the same from run to run
    engine.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_BASE} AS
        SELECT *, {dyadic(cost)} AS {S.COST}
        FROM (
            SELECT {S.CONTACT_ID},
                   {_first(S.CUSTOMER_ID)} AS {S.CUSTOMER_ID},
                   {_first(S.REASON)} AS {S.REASON},
                   min(ts) AS {S.START_TS}, max(ts) AS {S.END_TS}, count(*) AS {S.N_EVENTS},
                   {dyadic(exact_sum(S.DURATION_S))} AS {S.HANDLE_S},
                   {dyadic(exact_sum(work))} AS {S.WORK_S},
                   {exact_sum(event_cost)} AS minutes_cost,
                   {_first(S.CHANNEL)} AS {S.ENTRY_CHANNEL},
                   {_last(S.OUTCOME)} AS {S.FINAL_OUTCOME},
                   {_last(S.QUEUE)} AS {S.FINAL_QUEUE},
                   {_last(S.TEAM)} AS {S.FINAL_TEAM},
                   {_first(S.QUEUE)} AS {S.FIRST_QUEUE},
                   {_first(S.TEAM)} AS {S.FIRST_TEAM},
                   {_any(f"{S.OUTCOME} = {sql_string(S.TRANSFERRED)}")} AS any_transferred,
                   {_any(f"{S.OUTCOME} = {sql_string(S.ESCALATED)}")} AS any_escalated,
                   {_any(f"{S.OUTCOME} = {sql_string(S.RESOLVED)}")} AS any_resolved,
                   {_any(f"eff_actor IN {in_list(S.SELF_SERVICE)}")} AS self_service,
                   {_any(f"eff_actor = {sql_string(S.BOT)}")} AS touched_bot,
                   {_any(f"eff_actor IN {humans}")} AS touched_human
            FROM {ordered}
            GROUP BY {S.CONTACT_ID}
        )
        """
    )


def _stage_routes(engine: Engine, ordered: str) -> None:
    """Per contact: transfers and ping-pong from the collapsed queue (or team) sequence: the events that
    start a visit to a route (the ordered table's ``new_route``, computed in its one sort: a window of
    its own over the routed events took 1.2 s of 1.5 at 10M events)."""
    engine.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_ROUTES} AS
        WITH collapsed AS (
            SELECT {S.CONTACT_ID}, route,
                   lag(route, 2) OVER (PARTITION BY {S.CONTACT_ID} ORDER BY seq) AS route_before_last
            FROM {ordered} WHERE new_route
        )
        SELECT {S.CONTACT_ID}, count(*) - 1 AS {S.N_TRANSFERS},
               {_any("route_before_last = route")} AS {S.IS_PING_PONG}
        FROM collapsed GROUP BY {S.CONTACT_ID}
        """
    )


def _create_contacts(
    engine: Engine, options: AnalysisOptions, facts: LogFacts, data_end: datetime | None = None
) -> None:
    """Assign journeys (chained repeat windows per customer and reason) and the outcome flags."""
    win, win_us = days_interval(options.window_days), days_us(options.window_days)
    end = f'(SELECT max("{S.TIMESTAMP}") FROM {S.EVENTS_TABLE})'
    if data_end is not None:
        end = timestamp(data_end)
    same_reason = facts.has_reason and not options.any_reason
    # Contacts without a customer get a partition of their own (the third key), so each is its own journey.
    alone = f"CASE WHEN {S.CUSTOMER_ID} IS NULL THEN {S.CONTACT_ID} END"
    part = f"{S.CUSTOMER_ID}, {alone}" + (f", {S.REASON}" if same_reason else "")
    order = f"{S.START_TS}, {S.CONTACT_ID}"
    opens = f"(prev_end IS NULL OR {S.START_TS} > prev_end + {win})"  # starts a new journey

    def known(flag: bool, expr: str) -> str:
        return expr if flag else "CAST(NULL AS BOOLEAN)"

    contained = known(
        facts.has_outcome and facts.has_self_service_signal,
        # no final outcome is not a claim of containment: FALSE, not unknown (it stays in the denominator)
        f"(self_service AND coalesce({S.FINAL_OUTCOME} = {sql_string(S.CONTAINED)}, false) "
        "AND NOT touched_human)",
    )
    transferred = known(
        facts.has_routing or facts.has_outcome,
        f"(coalesce(r.{S.N_TRANSFERS}, 0) > 0 OR any_transferred)",
    )
    abandoned = f"coalesce({S.FINAL_OUTCOME} = {sql_string(S.ABANDONED)}, false)"
    engine.execute(
        f"""
        CREATE OR REPLACE TABLE {S.CONTACTS_TABLE} AS
        WITH c AS (
            SELECT b.*,
                   {known(facts.has_routing, f"coalesce(r.{S.N_TRANSFERS}, 0)")} AS {S.N_TRANSFERS},
                   {transferred} AS {S.IS_TRANSFERRED},
                   {known(facts.has_routing, f"coalesce(r.{S.IS_PING_PONG}, false)")} AS {S.IS_PING_PONG},
                   {known(facts.has_outcome, "any_escalated")} AS {S.IS_ESCALATED},
                   {known(facts.has_outcome, "any_resolved")} AS {S.IS_REPORTED_RESOLVED},
                   {known(facts.has_outcome, abandoned)} AS {S.IS_ABANDONED},
                   {known(facts.has_self_service_signal, "self_service")} AS {S.IS_SELF_SERVICE},
                   {known(facts.has_self_service_signal, "touched_human")} AS {S.IS_HUMAN_HANDLED},
                   {contained} AS {S.IS_CONTAINED},
                   {S.END_TS} > {end} - {win} AS {S.IS_CENSORED}
            FROM {_BASE} b LEFT JOIN {_ROUTES} r USING ({S.CONTACT_ID})
        ), k AS (
            -- The windows sort only the columns they read; the rest joins back by contact (with every
            -- column in the windows the statement took 3.1 s instead of 2.3 s at 1.6M contacts).
            SELECT {S.CONTACT_ID}, {S.CUSTOMER_ID}, {S.REASON}, {S.START_TS}, {S.END_TS} FROM c
        ), w1 AS (
            SELECT *,
                   max({S.END_TS}) OVER (PARTITION BY {part} ORDER BY {order}
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end,
                   row_number() OVER (PARTITION BY {part} ORDER BY {order}) AS rn,
                   min(epoch_us({S.START_TS})) OVER (PARTITION BY {S.CUSTOMER_ID}, {alone}
                       ORDER BY epoch_us({S.START_TS}) RANGE BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
                       AS next_start_us
            FROM k
        ), w2 AS (
            -- One more sort, same window: a contact opening a journey names it and numbers from it;
            -- a contact has a repeat when the next one in the partition does not open a new journey.
            SELECT {S.CONTACT_ID}, next_start_us,
                   last_value(CASE WHEN {opens} THEN {S.CONTACT_ID} END IGNORE NULLS) OVER a
                       AS {S.JOURNEY_ID},
                   rn - last_value(CASE WHEN {opens} THEN rn END IGNORE NULLS) OVER a + 1 AS {S.CONTACT_SEQ},
                   coalesce(NOT lead({opens}) OVER a, false) AS {S.HAS_REPEAT}
            FROM w1
            WINDOW a AS (PARTITION BY {part} ORDER BY {order} ROWS UNBOUNDED PRECEDING)
        )
        SELECT {S.CONTACT_ID}, {S.CUSTOMER_ID}, {S.REASON}, {S.JOURNEY_ID}, {S.CONTACT_SEQ},
               {S.START_TS}, {S.END_TS}, {S.N_EVENTS}, {S.HANDLE_S}, {S.WORK_S}, {S.COST}, {S.ENTRY_CHANNEL},
               {S.FIRST_QUEUE}, {S.FIRST_TEAM},
               {S.FINAL_OUTCOME}, {S.FINAL_QUEUE}, {S.FINAL_TEAM}, {S.N_TRANSFERS}, {S.IS_TRANSFERRED},
               {S.IS_PING_PONG}, {S.IS_ESCALATED}, {S.IS_REPORTED_RESOLVED}, {S.IS_ABANDONED},
               {S.IS_SELF_SERVICE},
               {S.IS_HUMAN_HANDLED}, {S.IS_CONTAINED},
               CASE WHEN {S.IS_CONTAINED} IS NULL THEN NULL
                    WHEN NOT {S.IS_CONTAINED} THEN false
                    WHEN {S.IS_CENSORED} OR {S.CUSTOMER_ID} IS NULL THEN NULL
                    ELSE next_start_us IS NULL OR next_start_us > epoch_us({S.END_TS}) + {win_us}
               END AS {S.IS_TRUE_CONTAINED},
               {S.IS_CENSORED}, {S.HAS_REPEAT}
        FROM c JOIN w2 USING ({S.CONTACT_ID})
        ORDER BY {S.START_TS}, {S.CONTACT_ID}
        """
    )


def _bound_journeys(engine: Engine, options: AnalysisOptions) -> None:
    """Cut journeys that run longer than ``max_journey_days``: their contacts are split into consecutive
    spans of that length from the journey's first contact, each span a journey of its own.

    Only the (rare) contacts of journeys that long are rewritten, so the common case costs one aggregate.
    """
    cap = days_us(options.max_journey_days)
    long = f"""
        SELECT {S.JOURNEY_ID} FROM {S.CONTACTS_TABLE} GROUP BY {S.JOURNEY_ID}
        HAVING epoch_us(max({S.START_TS})) - epoch_us(min({S.START_TS})) > {cap}"""
    if not engine.scalar(f"SELECT count(*) FROM ({long})"):
        return
    order = f"{S.START_TS}, {S.CONTACT_ID}"
    engine.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _cxray_jr_cut AS
        WITH k AS (
            SELECT {S.CONTACT_ID}, {S.JOURNEY_ID}, {S.START_TS},
                   (epoch_us({S.START_TS}) - epoch_us(min({S.START_TS}) OVER (PARTITION BY {S.JOURNEY_ID})))
                       // {cap} AS span_no
            FROM {S.CONTACTS_TABLE} WHERE {S.JOURNEY_ID} IN ({long})
        )
        SELECT {S.CONTACT_ID},
               first_value({S.CONTACT_ID}) OVER s AS new_journey,
               row_number() OVER s AS new_seq,
               lead({S.CONTACT_ID}) OVER s IS NOT NULL AS new_repeat
        FROM k
        WINDOW s AS (PARTITION BY {S.JOURNEY_ID}, span_no ORDER BY {order}
                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
        """
    )
    try:
        engine.execute(
            f"""UPDATE {S.CONTACTS_TABLE} AS c
                SET {S.JOURNEY_ID} = x.new_journey, {S.CONTACT_SEQ} = x.new_seq, {S.HAS_REPEAT} = x.new_repeat
                FROM _cxray_jr_cut x WHERE c.{S.CONTACT_ID} = x.{S.CONTACT_ID}"""
        )
    finally:
        engine.execute("DROP TABLE IF EXISTS _cxray_jr_cut")


def _create_journeys(engine: Engine) -> None:
    """Aggregate contacts to journeys; the first contact names it, the last decides its resolution."""
    bad_end = in_list((S.ABANDONED, S.UNRESOLVED))
    last = f"FILTER (WHERE NOT {S.HAS_REPEAT})"
    first = f"FILTER (WHERE {S.CONTACT_SEQ} = 1)"
    engine.execute(
        f"""
        CREATE OR REPLACE TABLE {S.JOURNEYS_TABLE} AS
        WITH j AS (
            SELECT {S.JOURNEY_ID},
                   any_value({S.CUSTOMER_ID}) {first} AS {S.CUSTOMER_ID},
                   any_value({S.REASON}) {first} AS {S.REASON},
                   count(*) AS {S.N_CONTACTS},
                   min({S.START_TS}) AS {S.START_TS}, max({S.END_TS}) AS {S.END_TS},
                   sum({S.HANDLE_S}) AS {S.HANDLE_S}, sum({S.COST}) AS {S.COST},  -- dyadic: exact
                   bool_or({S.IS_CENSORED}) {last} AS {S.IS_CENSORED},
                   bool_or(coalesce({S.FINAL_OUTCOME} IN {bad_end}, false)) {last} AS last_failed,
                   any_value({S.ENTRY_CHANNEL}) {first} AS {S.ENTRY_CHANNEL}
            FROM {S.CONTACTS_TABLE}
            GROUP BY {S.JOURNEY_ID}
        )
        SELECT {S.JOURNEY_ID}, {S.CUSTOMER_ID}, {S.REASON}, {S.N_CONTACTS}, {S.START_TS}, {S.END_TS},
               {S.HANDLE_S}, {S.COST}, {S.IS_CENSORED},
               CASE WHEN {S.IS_CENSORED} THEN NULL ELSE NOT last_failed END AS {S.IS_RESOLVED},
               CASE WHEN {S.IS_CENSORED} THEN NULL ELSE NOT last_failed AND {S.N_CONTACTS} = 1 END
                   AS {S.IS_FCR},
               {S.ENTRY_CHANNEL}
        FROM j
        ORDER BY {S.START_TS}, {S.JOURNEY_ID}
        """
    )


__all__ = ["LogFacts", "build_journeys", "log_facts", "route_column"]
