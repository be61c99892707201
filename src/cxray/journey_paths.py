"""Journeys by the way they went: entry channel, the parties touched in order, and how they ended.

The question behind it is the one a single team's report cannot answer: where does work *go* once it
leaves you, and how does it end? The report draws the result as a Sankey (``report.view.journey_sankey``).

A journey's **path** is its entry channel followed by the party of each of its events, across all its
contacts in order (``contact_seq``, then ``(timestamp, source_row)``), with consecutive repeats collapsed
(``phone, IVR, IVR, Care Tier 1`` → ``phone, IVR, Care Tier 1``). An event's **party**:

- ``bot`` or ``IVR`` for self-service events (actor type, or the channel when it has none);
- else the event's ``team`` (an internal team, a vendor, a back office team);
- else ``back office`` or ``agent`` for such events without a team;
- system and customer events, and events with no actor type, have no party and leave no stage.

A journey without an entry channel starts with ``(unknown channel)``. Its **outcome**:

- ``open``: censored, its last contact ends within the repeat window of the end of the data;
- ``abandoned``: not resolved (its last contact ended ``abandoned`` or ``unresolved``);
- ``repeat``: resolved, but the customer had to come back (two or more contacts);
- ``resolved``: resolved at the first contact.

All of it is SQL over ``events``, ``contacts`` and ``journeys`` (from
:func:`cxray.journeys.build_journeys`); only the aggregated paths reach Python.
"""

from __future__ import annotations

from typing import Any, Final

from . import schema as S
from .costs import effective_actor_type_sql, sql_string
from .engine import Engine
from .errors import ConfigError, InputError

OPEN: Final = "open"
ABANDONED: Final = "abandoned"
REPEAT: Final = "repeat"
RESOLVED: Final = "resolved"
OUTCOMES: Final = (RESOLVED, REPEAT, ABANDONED, OPEN)
UNKNOWN_CHANNEL: Final = "(unknown channel)"
# Labels of the parties that are not named by a team.
PARTY_LABELS: Final = {S.BOT: "bot", S.IVR: "IVR", S.BACK_OFFICE: "back office", S.AGENT: "agent"}


def _party_sql(actor: str) -> str:
    """An event's party (see the module docstring); ``actor`` is its effective actor type."""
    self_service = " ".join(
        f"WHEN {actor} = {sql_string(k)} THEN {sql_string(PARTY_LABELS[k])}" for k in S.SELF_SERVICE
    )
    people = " ".join(
        f"WHEN {actor} = {sql_string(k)} THEN {sql_string(PARTY_LABELS[k])}" for k in (S.BACK_OFFICE, S.AGENT)
    )
    return f"CASE {self_service} WHEN e.{S.TEAM} IS NOT NULL THEN e.{S.TEAM} {people} END"


def journey_paths(engine: Engine, *, max_paths: int = 200) -> list[dict[str, Any]]:
    """Journeys counted by path and outcome.

    Parameters
    ----------
    engine:
        Holds ``events``, ``contacts`` and ``journeys`` (run :func:`cxray.journeys.build_journeys` first).
    max_paths:
        How many (path, outcome) rows to return, most journeys first; 0 returns all. When rows are cut,
        the journeys they counted are missing from the sum.

    Returns
    -------
    list of dict
        ``[{"path": [stage, ...], "outcome": "resolved"|"repeat"|"abandoned"|"open", "journeys": n}]``
        sorted by ``journeys`` descending, then path, then outcome.

    >>> from cxray.engine import Engine
    >>> from cxray.journeys import build_journeys
    >>> from cxray.testing import load_rows
    >>> e = Engine()
    >>> load_rows(e, [
    ...     {"contact_id": "c1", "timestamp": "2024-01-01T09:00", "activity": "Menu", "channel": "phone",
    ...      "actor_type": "ivr"},
    ...     {"contact_id": "c1", "timestamp": "2024-01-01T09:01", "activity": "Talk", "actor_type": "agent",
    ...      "team": "Tier 1", "outcome": "resolved"},
    ...     {"contact_id": "c2", "timestamp": "2024-03-01T09:00", "activity": "Menu", "channel": "phone"},
    ... ])
    >>> build_journeys(e)
    >>> for p in journey_paths(e):
    ...     print(p)
    {'path': ['phone'], 'outcome': 'open', 'journeys': 1}
    {'path': ['phone', 'IVR', 'Tier 1'], 'outcome': 'resolved', 'journeys': 1}
    """
    if max_paths < 0:
        raise ConfigError(f"max_paths must be >= 0, got {max_paths}")
    missing = [t for t in (S.CONTACTS_TABLE, S.JOURNEYS_TABLE) if not engine.has_table(t)]
    if missing:
        raise InputError(
            f"journey_paths needs the {' and '.join(missing)} table(s): run build_journeys first"
        )
    actor = effective_actor_type_sql(actor_type=f"e.{S.ACTOR_TYPE}", channel=f"e.{S.CHANNEL}")
    limit = f"LIMIT {int(max_paths)}" if max_paths else ""
    rows = engine.rows(
        f"""
        WITH stages AS (
            SELECT {S.JOURNEY_ID}, 0 AS seq, 0 AS ts_us, 0 AS row_n,
                   coalesce({S.ENTRY_CHANNEL}, {sql_string(UNKNOWN_CHANNEL)}) AS stage
            FROM {S.JOURNEYS_TABLE}
            UNION ALL
            SELECT c.{S.JOURNEY_ID}, c.{S.CONTACT_SEQ}, epoch_us(e."{S.TIMESTAMP}"), e.{S.SOURCE_ROW},
                   {_party_sql(actor)}
            FROM {S.EVENTS_TABLE} e JOIN {S.CONTACTS_TABLE} c USING ({S.CONTACT_ID})
        ), ordered AS (
            SELECT *, lag(stage) OVER (PARTITION BY {S.JOURNEY_ID} ORDER BY seq, ts_us, row_n) AS prev
            FROM stages WHERE stage IS NOT NULL
        ), paths AS (
            SELECT {S.JOURNEY_ID}, list(stage ORDER BY seq, ts_us, row_n) AS path
            FROM ordered WHERE prev IS NULL OR prev <> stage
            GROUP BY {S.JOURNEY_ID}
        )
        SELECT p.path,
               CASE WHEN j.{S.IS_RESOLVED} IS NULL THEN {sql_string(OPEN)}
                    WHEN NOT j.{S.IS_RESOLVED} THEN {sql_string(ABANDONED)}
                    WHEN j.{S.N_CONTACTS} > 1 THEN {sql_string(REPEAT)}
                    ELSE {sql_string(RESOLVED)} END AS outcome,
               count(*) AS journeys
        FROM paths p JOIN {S.JOURNEYS_TABLE} j USING ({S.JOURNEY_ID})
        GROUP BY p.path, outcome
        ORDER BY journeys DESC, p.path, outcome
        {limit}
        """
    )
    return [{"path": list(r["path"]), "outcome": r["outcome"], "journeys": int(r["journeys"])} for r in rows]


__all__ = ["OUTCOMES", "journey_paths"]
