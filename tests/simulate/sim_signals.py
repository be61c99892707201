"""Each planted breakdown's signal, measured from the event log alone with plain SQL (independent of cxray's
own analyses), so the tests can check it appears with the planted size and goes when switched off."""

from __future__ import annotations

from functools import cache

import duckdb
import pyarrow as pa

from cxray import schema as S
from cxray.simulate import Scenario, load_scenario, simulate
from cxray.simulate.breakdowns import Breakdown

WINDOW_DAYS = 7
C, T, ACT, Q, TEAM, R, CUST, CH, AT, OUT, DUR, ROW = (
    S.CONTACT_ID, f'"{S.TIMESTAMP}"', S.ACTIVITY, S.QUEUE, S.TEAM, S.REASON, S.CUSTOMER_ID, S.CHANNEL,
    S.ACTOR_TYPE, S.OUTCOME, S.DURATION_S, S.SOURCE_ROW,
)  # fmt: skip


def switched_off(scenario: Scenario, name: str) -> Scenario:
    import dataclasses

    return dataclasses.replace(
        scenario,
        breakdowns=tuple(
            dataclasses.replace(b, enabled=False) if b.name == name else b for b in scenario.breakdowns
        ),
    )


@cache
def run(name: str, off: str | None = None, seed: int = 11):
    scenario = load_scenario(name)
    if off is not None:
        scenario = switched_off(scenario, off)
    return simulate(scenario, seed=seed)


def connect(events: pa.Table) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("events", events)
    con.execute(f"""
        CREATE TABLE contacts AS
        SELECT {C}, any_value({CUST}) AS cust, any_value({R}) AS reason, any_value({CH}) AS channel,
               min({T}) AS s, max({T}) AS e,
               arg_max({TEAM}, {ROW}) FILTER (WHERE {TEAM} IS NOT NULL) AS final_team,
               arg_max({Q}, {ROW}) FILTER (WHERE {Q} IS NOT NULL) AS final_queue,
               bool_or({OUT} = 'contained') AS contained,
               bool_or({AT} = 'agent') AS agent
        FROM events GROUP BY {C}
    """)
    con.execute(f"""
        CREATE TABLE repeats AS
        SELECT c.*, EXISTS (SELECT 1 FROM contacts d
                            WHERE d.cust = c.cust AND d.reason = c.reason AND d.s > c.e
                            AND d.s <= c.e + INTERVAL {WINDOW_DAYS} DAY) AS has_repeat
        FROM contacts c
        WHERE c.e <= (SELECT max(e) FROM contacts) - INTERVAL {WINDOW_DAYS} DAY
    """)
    return con


def value(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> float:
    row = con.execute(sql, params or []).fetchone()
    return float(row[0]) if row and row[0] is not None else 0.0


def queue_path(con: duckdb.DuckDBPyConnection) -> None:
    """Table qpath: each contact's agent-queue sequence as a list (order of 'Queue wait' events)."""
    con.execute(f"""
        CREATE OR REPLACE TABLE qpath AS
        SELECT {C}, list({Q} ORDER BY {T}, {ROW}) AS path FROM events WHERE {ACT} = 'Queue wait' GROUP BY {C}
    """)


def signal(events: pa.Table, b: Breakdown) -> float:
    """The observed size of breakdown ``b``'s effect (planted or not) in ``events``."""
    con = connect(events)
    if b.kind == "vendor_pressure":
        # Repeat-rate gap between the vendor and the other teams, queue by queue (weighted by the vendor's).
        return value(con, """
            WITH base AS (SELECT final_queue, avg(has_repeat::INT) AS rate FROM repeats
                          WHERE agent AND final_team <> ? GROUP BY final_queue)
            SELECT avg(has_repeat::INT - base.rate) FROM repeats JOIN base USING (final_queue)
            WHERE agent AND final_team = ?
        """, [b.team, b.team])  # fmt: skip
    if b.kind == "false_containment":
        # Share of the reason's bot-contained contacts followed by a contact about the same reason.
        return value(
            con, "SELECT avg(has_repeat::INT) FROM repeats WHERE contained AND reason = ?", [b.reason]
        )
    if b.kind == "misrouted_handoff":
        # Share of the reason's contacts on the channel whose first queue is the wrong one, then transferred.
        queue_path(con)
        return value(con, """
            SELECT avg((p.path[1] = ? AND len(p.path) > 1)::INT)
            FROM contacts c JOIN qpath p USING (contact_id)
            WHERE c.reason = ? AND c.channel = ?
        """, [b.wrong_queue, b.reason, b.channel])  # fmt: skip
    if b.kind == "context_loss":
        # Share of handoffs into the queue after which an agent authenticates the customer again.
        return value(con, f"""
            WITH ev AS (
                SELECT *, bool_or({ACT} IN ('Bot: handoff to agent', 'Transfer', 'Escalate to tier 2'))
                    OVER (PARTITION BY {C} ORDER BY {T}, {ROW} ROWS UNBOUNDED PRECEDING) AS handed
                FROM events),
            hops AS (SELECT DISTINCT {C} FROM ev WHERE {ACT} = 'Queue wait' AND {Q} = ? AND handed),
            again AS (SELECT DISTINCT {C} FROM ev WHERE {ACT} = 'Authenticate' AND {AT} = 'agent' AND {Q} = ?
                      AND handed)
            SELECT avg((again.{C} IS NOT NULL)::INT) FROM hops LEFT JOIN again USING ({C})
        """, [b.queue, b.queue])  # fmt: skip
    if b.kind == "back_office_black_hole":
        # Median wait of the queue's cases in days: from "Case queued" to the next event of the case.
        return value(con, f"""
            WITH ev AS (SELECT {ACT}, {Q}, {T}, lead({T}) OVER (PARTITION BY {C} ORDER BY {T}, {ROW}) AS nxt
                        FROM events)
            SELECT median(epoch(nxt) - epoch({T})) / 86400 FROM ev WHERE {ACT} = 'Case queued' AND {Q} = ?
        """, [b.queue])  # fmt: skip
    if b.kind == "ping_pong":
        # Share of the reason's contacts starting in queue first whose queues go first -> second -> first.
        queue_path(con)
        return value(con, """
            SELECT avg(coalesce(contains('|' || array_to_string(p.path, '|') || '|', ?), false)::INT)
            FROM contacts c JOIN qpath p USING (contact_id) WHERE c.reason = ? AND p.path[1] = ?
        """, [f"|{b.first}|{b.second}|{b.first}|", b.reason, b.first])  # fmt: skip
    if b.kind == "abandonment_hot_spot":
        # Abandonment rate of the queue in the planted hours (of queue entry) over the other hours'.
        return value(con, f"""
            WITH ev AS (SELECT {ACT}, {Q}, {T}, lead({ACT}) OVER (PARTITION BY {C} ORDER BY {T}, {ROW}) AS nxt
                        FROM events),
                 w AS (SELECT hour({T}) IN ? AS hot, avg((nxt = 'Abandoned')::INT) AS rate FROM ev
                       WHERE {ACT} = 'Queue wait' AND {Q} = ? GROUP BY ALL)
            SELECT (SELECT rate FROM w WHERE hot) / (SELECT rate FROM w WHERE NOT hot)
        """, [list(b.hours), b.queue])  # fmt: skip
    raise KeyError(b.kind)
