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

All of it is SQL over the ordered events (:func:`cxray.ordered.ordered_events`), ``contacts`` and
``journeys`` (from :func:`cxray.journeys.build_journeys`); only the aggregated paths reach Python.
"""

from __future__ import annotations

from typing import Final

from typing_extensions import TypedDict

from . import schema as S
from .engine import Engine
from .errors import ConfigError, InputError
from .ordered import ordered_events
from .sql import ident, list_in_order, sql_string

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


class JourneyPath(TypedDict):
    """Journeys that went one way: entry channel then the parties touched, and how they ended."""

    path: list[str]
    outcome: str
    journeys: int


def journey_paths(engine: Engine, *, max_paths: int = 200, counts: str | None = None) -> list[JourneyPath]:
    """Journeys counted by path and outcome.

    Parameters
    ----------
    engine:
        Holds ``events``, ``contacts`` and ``journeys`` (run :func:`cxray.journeys.build_journeys` first).
    max_paths:
        How many (path, outcome) rows to return, most journeys first; 0 returns all. When rows are cut,
        the journeys they counted are missing from the sum.
    counts:
        A table of ``path, outcome, journeys`` rows (:func:`journey_path_counts` of parts of the
        customers, e.g. Spark's partitions) to add up instead of reading ``events``.

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
    source = (
        journey_path_counts(engine)
        if counts is None
        else f"SELECT path, outcome, sum(journeys) AS journeys FROM {ident(counts)} GROUP BY ALL"
    )
    limit = f"LIMIT {int(max_paths)}" if max_paths else ""
    rows = engine.rows(f"SELECT * FROM ({source}) ORDER BY journeys DESC, path, outcome {limit}")
    return [{"path": list(r["path"]), "outcome": r["outcome"], "journeys": int(r["journeys"])} for r in rows]


def journey_path_counts(engine: Engine) -> str:
    """SQL of every (path, outcome) with its journeys, unordered: per customer, so that the counts of
    parts of the customers add up to the whole log's (``journey_paths(counts=...)``)."""
    missing = [t for t in (S.CONTACTS_TABLE, S.JOURNEYS_TABLE) if not engine.has_table(t)]
    if missing:
        raise InputError(
            f"journey_paths needs the {' and '.join(missing)} table(s): run build_journeys first"
        )
    party = _party_sql("e.eff_actor")
    # The parties come from the events already in order (cxray.ordered: one shared sort), gathered per
    # journey in (contact_seq, seq) order by ``list_in_order`` (not ordered aggregates, which sort group by
    # group): one list per journey, not a list per contact and then a list of those lists (at 10M events
    # the second list aggregate cost as much as the first). The order key is one BIGINT: a contact's seq
    # is below 2**32 and its place in the journey below 2**31. A party is a function of the actor type
    # and team, so an event handled as the one before it repeats its party: only ``new_handler`` events
    # are read (at 10M events 4.9M of 9.7M; 2.5 -> 1.2 s), the filter below drops the repeats they leave.
    ordered = ordered_events(engine)
    key = f"c.{S.CONTACT_SEQ}::BIGINT * {2**32} + e.seq"
    return f"""
        WITH jp AS (
            SELECT c.{S.JOURNEY_ID}, {list_in_order("e.p", key)} AS l
            FROM (SELECT e.{S.CONTACT_ID}, e.seq, {party} AS p FROM {ordered} e WHERE e.new_handler) e
            JOIN {S.CONTACTS_TABLE} c USING ({S.CONTACT_ID})
            WHERE e.p IS NOT NULL
            GROUP BY c.{S.JOURNEY_ID}
        ), full_path AS (
            SELECT list_prepend(coalesce(j.{S.ENTRY_CHANNEL}, {sql_string(UNKNOWN_CHANNEL)}),
                                coalesce(jp.l, [])) AS l,
                   CASE WHEN j.{S.IS_RESOLVED} IS NULL THEN {sql_string(OPEN)}
                        WHEN NOT j.{S.IS_RESOLVED} THEN {sql_string(ABANDONED)}
                        WHEN j.{S.N_CONTACTS} > 1 THEN {sql_string(REPEAT)}
                        ELSE {sql_string(RESOLVED)} END AS outcome
            FROM {S.JOURNEYS_TABLE} j LEFT JOIN jp USING ({S.JOURNEY_ID})
        )
        SELECT list_filter(l, lambda x, i: i = 1 OR x <> l[i - 1]) AS path, outcome, count(*) AS journeys
        FROM full_path
        GROUP BY ALL"""


__all__ = ["OUTCOMES", "journey_path_counts", "journey_paths"]
