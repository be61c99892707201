"""Data-quality guards: the ways real exports lie, found, counted, and kept out of the findings.

A diagnosis is believed on its first page or not at all, and the first page of a real export is where its
artefacts surface: a monitoring system that raises hundreds of tickets under one caller id, one
mistyped year that moves the end of the data, calls into a closed centre read as a staffing problem.
Each guard here is a documented rule; what it finds is a :class:`QualityWarning` in
``diagnosis.json`` (``data_quality.warnings``) and in the report. None acts silently.

Two passes around the journeys (``diagnose`` calls them in this order):

:func:`screen_events` (on ``events``, before ``journeys.build_journeys``)
    - **bulk identities**: a customer whose peak number of contacts starting within any repeat window
      is at least ``bulk_min_contacts`` and at least ``bulk_factor`` times the 99th percentile of all
      customers' peaks. Their contacts leave ``events`` for ``excluded_events`` (listed per contact in
      ``excluded_contacts``) unless ``AnalysisOptions.keep_bulk``: they would otherwise read as repeat
      contacts and concentrate in whichever team serves them.
    - **timestamp outliers**: an event more than ``max(outlier_margin_days, half the central span)``
      outside the central 99% of event times (0.5th to 99.5th percentile). It stays in its contact but
      does not set the analysed period.
    - **truncated tail**: the days after the last day on which at least ``tail_level`` times the mean
      daily number of contacts started, when they are ``tail_min_days`` or more. New contacts stopped
      arriving there (an export cut by rows, a snapshot of open cases): repeats are unknown from that day
      on, so censoring ends there.

:func:`review_journeys` (on ``contacts`` and ``journeys``)
    - **opening hours** per entry channel, given (``opening_hours``: channel or ``*`` -> (open, close)) or
      inferred from the hours of day (in the data's own clock, ``ReadOptions.tz``) at which contacts start:
      an hour is closed when fewer contacts reach a person (agent or back office) in it than
      ``closed_share`` of the busiest hour's. Contacts starting in a
      closed hour are counted apart and never make an abandonment hot spot.
    - **unidentified contacts**: contacts without a customer id are their own journeys, so they would
      count as resolved first time; FCR and repeat rate are computed over identified contacts and the
      unidentified share is shown beside them.
    - **long journeys**: journeys of more than ``long_journey_contacts`` contacts (journeys themselves are
      cut at ``AnalysisOptions.max_journey_days``, see ``journeys``).
    - **missing-value markers** read by the reader (``InputSummary.missing_markers``).
    - **dates either way round**: a file whose every numeric date reads day first or month first alike
      and nothing says which (``FileCounts.dates_ambiguous``, ``io.day_order``): read as asked, and said.
    - **unknown outcomes and actor types**: values outside ``schema.OUTCOMES`` / ``schema.ACTOR_TYPES``
      mean nothing to the measures (a ``Hung up`` contact counts as resolved, a ``Human`` step never as a
      person's), so the contacts carrying them are counted and, from 1% of contacts, told with the mapping
      each value perhaps needs: suggested, never applied.
    - **what a mapping or the files given could fix**: columns named like an unmapped field
      (``unmapped_columns``), durations in another unit (``implausible_durations``), and, in a run over
      several files, the files that disagree (:mod:`cxray.quality.files`: no shared customer, ids that
      lost their leading zeros, another clock, dates only, each other's events again): told, never acted
      on (:data:`TO_FIX`).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from typing_extensions import TypedDict

from .. import schema as S
from ..contract import Identifier
from ..costs import ACTOR_CHANNELS, effective_actor_type_sql
from ..engine import Engine
from ..errors import ConfigError
from ..ordered import unfold_events
from ..sql import days_interval, ident, lit, num, pair_key
from .files import file_clocks, leading_zeros, overlapping_files, spans, unlinked_files

EXCLUDED_EVENTS_TABLE = "excluded_events"
EXCLUDED_CONTACTS_TABLE = "excluded_contacts"
_STARTS = "_cxray_q_starts"

#: The column of contacts.parquet saying why a contact is left out of the analysis (NULL: it is not).
EXCLUDED = "excluded"
#: Reason recorded for the contacts of a bulk identity.
BULK_IDENTITY = "bulk_identity"
#: The key standing for contacts without a channel in ``DataQuality.opening_hours``.
ANY_CHANNEL = "*"


@dataclass(frozen=True, kw_only=True)
class QualityOptions:
    """The guards' thresholds (see the module docstring for each rule).

    >>> QualityOptions().bulk_min_contacts
    20
    """

    bulk_min_contacts: int = 20
    bulk_factor: float = 3.0
    outlier_margin_days: float = 30.0
    tail_level: float = 0.2
    tail_min_days: float = 7.0
    closed_share: float = 0.02
    min_served_per_hour: int = 20
    long_journey_contacts: int = 20
    opening_hours: dict[str, tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        checks = {
            "bulk_min_contacts": self.bulk_min_contacts >= 2,
            "bulk_factor": self.bulk_factor >= 1,
            "outlier_margin_days": self.outlier_margin_days > 0,
            "tail_level": 0 <= self.tail_level < 1,
            "tail_min_days": self.tail_min_days > 0,
            "closed_share": 0 <= self.closed_share < 1,
            "min_served_per_hour": self.min_served_per_hour >= 1,
            "long_journey_contacts": self.long_journey_contacts >= 2,
        }
        for ch, span in self.opening_hours.items():
            if (
                len(span) != 2
                or not all(isinstance(h, int) and 0 <= h <= 24 for h in span)
                or span[0] == span[1]
            ):
                raise ConfigError(f"opening hours of {ch!r} must be two different hours 0-24, got {span!r}")
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ConfigError(
                f"invalid data-quality option(s): {', '.join(f'{b}={getattr(self, b)}' for b in bad)}"
            )


#: Warnings told, not handled: the numbers follow the data as it was read until the input (its mapping,
#: the files given, their options) is fixed, and each says how. The others were handled (left out,
#: censored, counted apart) as their message says.
#: Rows without a contact id that suggest a grouped report (``blank_contact_ids``): at least this many, and
#: this share of the rows read (ids left blank at random are rarer than a group's rows after its first).
GROUPED_MIN_ROWS: Final = 10
GROUPED_MIN_SHARE: Final = 0.2

TO_FIX: Final = (
    "blank_contact_ids",
    "scientific_ids",
    "unmapped_columns",
    "unlinked_files",
    "leading_zeros",
    "clock_offsets",
    "dates_only",
    "overlapping_files",
    "reused_contact_ids",
    "mixed_customers",
    "newest_first",
    "unknown_outcomes",
    "unknown_actor_types",
    "self_service_channels",
    "implausible_durations",
)


@dataclass(frozen=True, kw_only=True)
class QualityWarning:
    """One thing the data got wrong: a stable ``code``, a sentence, how often, and a few examples.
    ``handled``: whether the guard handled it (False for :data:`TO_FIX`: told, for the user to fix);
    ``to_fix`` overrides the code's default for this one (a to-fix kind too small to move a measure)."""

    code: str
    message: str
    count: int
    examples: tuple[str, ...] = ()
    to_fix: bool | None = None

    @property
    def handled(self) -> bool:
        return self.code not in TO_FIX if self.to_fix is None else not self.to_fix

    def to_dict(self) -> QualityWarningDoc:
        return {
            "code": self.code,
            "message": self.message,
            "count": self.count,
            "examples": list(self.examples),
            "handled": self.handled,
        }


@dataclass(frozen=True, kw_only=True)
class BulkIdentity:
    customer_id: str
    contacts: int
    peak_in_window: int


class QualityWarningDoc(TypedDict):
    code: str
    message: str
    count: int
    examples: list[str]  # free text, redacted as such (ids inside it are known to the run's Redactor)
    #: False when the warning was told, not handled: the numbers follow the data as read until the input
    #: is fixed (``quality.TO_FIX``).
    handled: bool


class PeriodDoc(TypedDict):
    """The span of the data and what was analysed of it, ISO timestamps in the data's clock."""

    data_start: str | None
    data_end: str | None
    analysed_end: str | None
    censor_end: str | None
    tail_start: str | None
    outlier_events: int


class BulkIdentityDoc(TypedDict):
    customer_id: Identifier
    contacts: int
    peak_in_window: int


class DataQualityDoc(TypedDict):
    """``data_quality`` in ``diagnosis.json``."""

    warnings: list[QualityWarningDoc]
    period: PeriodDoc
    bulk_identities: list[BulkIdentityDoc]
    bulk_kept: bool
    excluded_contacts: int
    excluded_events: int
    clock: str
    opening_hours: dict[str, list[int]]
    out_of_hours_contacts: int
    unidentified_contacts: int
    unidentified_share: float | None
    long_journeys: int
    unknown_outcome_contacts: int
    unknown_actor_type_contacts: int
    mixed_customer_contacts: int


@dataclass(kw_only=True)
class DataQuality:
    """What the guards found (``data_quality`` in ``diagnosis.json``)."""

    warnings: list[QualityWarning] = field(default_factory=list)
    bulk_identities: list[BulkIdentity] = field(default_factory=list)
    bulk_kept: bool = False
    excluded_contacts: int = 0
    excluded_events: int = 0
    data_start: datetime | None = None
    data_end: datetime | None = None
    analysed_end: datetime | None = None
    censor_end: datetime | None = None
    tail_start: datetime | None = None
    outlier_events: int = 0
    clock: str = "UTC"
    opening_hours: dict[str, list[int]] = field(default_factory=dict)
    out_of_hours_contacts: int = 0
    unidentified_contacts: int = 0
    unidentified_share: float | None = None
    long_journeys: int = 0
    unknown_outcome_contacts: int = 0  # contacts with an outcome outside ``schema.OUTCOMES``
    unknown_actor_type_contacts: int = 0  # contacts with a step by an actor type outside ``ACTOR_TYPES``
    mixed_customer_contacts: int = 0  # contacts whose first and last events name other customers

    def warn(
        self,
        code: str,
        message: str,
        count: int,
        examples: list[str] | tuple[str, ...] = (),
        *,
        to_fix: bool | None = None,
    ) -> None:
        self.warnings.append(
            QualityWarning(code=code, message=message, count=count, examples=tuple(examples), to_fix=to_fix)
        )

    def out_of_hours_sql(self, *, start: str = S.START_TS, channel: str = S.ENTRY_CHANNEL) -> str:
        """SQL: whether a contact (its start and entry channel) falls in a closed hour; FALSE when the
        hours were not inferred."""
        closed = {ch: [h for h in range(24) if h not in hours] for ch, hours in self.opening_hours.items()}
        closed = {ch: hs for ch, hs in closed.items() if hs}
        if not closed:
            return "false"
        hour = f"hour(timezone({lit(self.clock_zone)}, {start} AT TIME ZONE 'UTC'))"
        whens = " ".join(
            f"WHEN coalesce({channel}, {lit(ANY_CHANNEL)}) = {lit(ch)} "
            f"THEN {hour} IN ({', '.join(map(str, hs))})"
            for ch, hs in sorted(closed.items())
        )
        return f"coalesce(CASE {whens} ELSE false END, false)"

    @property
    def clock_zone(self) -> str:
        """The IANA zone hours of day are read in (the reader's time zone)."""
        return self.clock

    @property
    def clock_label(self) -> str:
        """How hours are labelled: the zone the user gave, else "data clock" (hours as recorded; UTC only
        for timestamps that carried an offset), never "UTC" on the data's behalf."""
        return "data clock" if self.clock == "UTC" else self.clock

    def to_dict(self) -> DataQualityDoc:
        def iso(t: datetime | None) -> str | None:
            return None if t is None else t.isoformat()

        return {
            "warnings": [w.to_dict() for w in self.warnings],
            "period": {
                "data_start": iso(self.data_start),
                "data_end": iso(self.data_end),
                "analysed_end": iso(self.analysed_end),
                "censor_end": iso(self.censor_end),
                "tail_start": iso(self.tail_start),
                "outlier_events": self.outlier_events,
            },
            "bulk_identities": [
                {"customer_id": b.customer_id, "contacts": b.contacts, "peak_in_window": b.peak_in_window}
                for b in self.bulk_identities
            ],
            "bulk_kept": self.bulk_kept,
            "excluded_contacts": self.excluded_contacts,
            "excluded_events": self.excluded_events,
            "clock": self.clock_label,
            "opening_hours": {k: v for k, v in sorted(self.opening_hours.items())},
            "out_of_hours_contacts": self.out_of_hours_contacts,
            "unidentified_contacts": self.unidentified_contacts,
            "unidentified_share": self.unidentified_share,
            "long_journeys": self.long_journeys,
            "unknown_outcome_contacts": self.unknown_outcome_contacts,
            "unknown_actor_type_contacts": self.unknown_actor_type_contacts,
            "mixed_customer_contacts": self.mixed_customer_contacts,
        }


def screen_events(
    engine: Engine,
    *,
    window_days: float,
    keep_bulk: bool = False,
    options: QualityOptions | None = None,
    tz: str = "UTC",
) -> DataQuality:
    """Find bulk identities (and move their contacts out of ``events``), outliers and a truncated tail.

    Returns the :class:`DataQuality` so far; its ``censor_end`` is the end of the data for censoring
    (pass it to ``journeys.build_journeys``).
    """
    options = options or QualityOptions()
    dq = DataQuality(clock=tz)
    dq.bulk_kept = keep_bulk
    has_customer = bool(
        engine.scalar(f"SELECT EXISTS (SELECT 1 FROM {S.EVENTS_TABLE} WHERE {S.CUSTOMER_ID} IS NOT NULL)")
    )
    # the contact's first customer by (time, source row) as one number (a missing row, as in a table built
    # by hand, first): cheaper than a (time, row) struct (10M events: 0.41-0.46 -> 0.29 s)
    first = pair_key(f"epoch_us({ident(S.TIMESTAMP)})", f"coalesce({S.SOURCE_ROW}, 0)", 40)  # rows < 2**40
    # the first and last event's places in the file, for a contact whose events are not all at one time
    ts, row = ident(S.TIMESTAMP), S.SOURCE_ROW
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_STARTS} AS
            SELECT {S.CONTACT_ID}, min({ts}) AS start_ts, max({ts}) AS end_ts,
                   arg_min({S.CUSTOMER_ID}, {first}) AS {S.CUSTOMER_ID},
                   arg_max({S.CUSTOMER_ID}, {first}) AS last_customer,
                   CASE WHEN min({ts}) < max({ts})
                        THEN arg_min({row}, {ts}) < arg_max({row}, {ts}) END AS onward
            FROM {S.EVENTS_TABLE} GROUP BY {S.CONTACT_ID}"""
    )
    try:
        _newest_first(engine, dq)
        if has_customer:
            _mixed_customers(engine, dq)
            _bulk(engine, dq, window_days, keep_bulk, options)
        reused = _reused_ids(engine, dq)
        _period(engine, dq, options, tail=not reused)
    finally:
        engine.execute(f"DROP TABLE IF EXISTS {_STARTS}")
    return dq


#: Share of contacts (of those whose events span some time) listed newest first that makes a file so.
NEWEST_FIRST_SHARE = 0.9


def _newest_first(engine: Engine, dq: DataQuality) -> None:
    """A file that lists each contact's events newest first (a ticket's history as Jira or an audit table
    exports it): events at one time keep the file's order, so those run backwards (a day's status changes
    from the last to the first, when the times are dates). Said when nearly every contact is listed so and
    some events do share a time; the order itself is the data contract's (time, then the file's order)."""
    row = engine.rows(f"SELECT count(onward) AS n, count_if(NOT onward) AS back FROM {_STARTS}")[0]
    if row["n"] < 10 or row["back"] < NEWEST_FIRST_SHARE * row["n"]:
        return
    ts = ident(S.TIMESTAMP)
    tied = int(
        engine.scalar(
            f"""SELECT count(*) FROM (SELECT 1 FROM {S.EVENTS_TABLE} GROUP BY {S.CONTACT_ID}, {ts}
                HAVING count(*) > 1)"""
        )
    )
    if not tied:
        return  # every event has a time of its own: the order is right whatever the file's
    dq.warn(
        "newest_first",
        f"the file lists events newest first ({row['back']:,} of {row['n']:,} contacts), and {tied:,} "
        "time(s) in a contact hold several events: those keep the file's order, so they run backwards "
        "(last status first); sort the file oldest first (or give times to the second) and read it again",
        tied,
    )


def _mixed_customers(engine: Engine, dq: DataQuality) -> None:
    """Contacts whose first and last events name different customers. The contact keeps its first
    event's customer (journeys, repeats and FCR follow it), so the others' contacts go unseen. When most
    of them have events in several files, the files number their contacts alike (a phone system's '1' and
    a chat system's '1' read as one contact): unrelated events joined. Told from 1% of the identified
    contacts; always counted (``mixed_customer_contacts``)."""
    row = engine.rows(
        f"""SELECT count(*) FILTER (WHERE {S.CUSTOMER_ID} <> last_customer) AS n,
                   count({S.CUSTOMER_ID}) AS identified FROM {_STARTS}"""
    )[0]
    n, identified = int(row["n"]), int(row["identified"])
    dq.mixed_customer_contacts = n
    if not n or n < 0.01 * identified:
        return
    mixed = f"(SELECT {S.CONTACT_ID} FROM {_STARTS} WHERE {S.CUSTOMER_ID} <> last_customer)"
    # one pass over those contacts' events: the examples, and how many of them span several files
    examples = engine.rows(
        f"""SELECT c, who, files, count(*) FILTER (WHERE files > 1) OVER () AS across FROM (
                SELECT {S.CONTACT_ID} AS c, list(DISTINCT {S.CUSTOMER_ID} ORDER BY {S.CUSTOMER_ID}) AS who,
                       count(DISTINCT {S.SOURCE_FILE}) AS files
                FROM {S.EVENTS_TABLE} WHERE {S.CONTACT_ID} IN {mixed} AND {S.CUSTOMER_ID} IS NOT NULL
                GROUP BY ALL
            ) ORDER BY files > 1 DESC, c LIMIT 5"""
    )
    across = int(examples[0]["across"])
    share = f"{n:,} contact(s) ({n / identified:.1%} of those with a customer) name several customers"
    if across * 2 >= n:
        message = (
            f"{share}, and {across:,} of them have events in several files: the files number their "
            "contacts alike (one system's contact '1' and another's '1' read as one contact), so unrelated "
            "events are joined into one contact. Give each system's contacts ids of their own: "
            "contact_id_prefix in that file's mapping (--mapping FILE=MAPPING)"
        )
    else:
        message = (
            f"{share}: each keeps its first event's customer, so journeys, repeats and FCR do not see the "
            "others' contact. A contact id reused for other customers (a recycled ticket number) or a "
            "customer column that names someone else (the agent, the account holder)?"
        )
    dq.warn(
        "mixed_customers",
        message,
        n,
        [f"contact {r['c']}: customers {', '.join(map(str, r['who'][:3]))}" for r in examples],
    )


#: Contacts whose ids recur on half the days of the data or more (and on ``REUSED_MIN_DAYS`` days), of
#: all contacts, that make the ids given again (and at least ``REUSED_MIN`` contacts), in a period of
#: ``REUSED_MIN_DAYS * 2`` days or more: a short export's cases worked on most of its few days are no
#: reuse. None of the public logs has one such contact.
REUSED_SHARE: Final = 0.05
REUSED_MIN: Final = 10
REUSED_MIN_DAYS: Final = 7


def _reused_ids(engine: Engine, dq: DataQuality) -> bool:
    """Contact ids with events on at least half the days of a period of two weeks or more: no contact goes
    on nearly every day for weeks, but a phone system's call numbers that restart every day (or every
    export) do, and each such id is read as one contact of every day's calls: contacts, transfers,
    repeats and the end of the data (a 'truncated tail' of old contacts) all wrong. Told with the
    mapping's ``contact_ids_per_day`` (``--contact-ids-per-day``) that joins each id with its date;
    whether the tail was cut is not judged then. Returns whether it was told."""
    t0, t1, contacts = engine.fetchall(f"SELECT min(start_ts), max(end_ts), count(*) FROM {_STARTS}")[0]
    if t0 is None or contacts < REUSED_MIN:
        return False
    days = (t1.date() - t0.date()).days + 1
    least = max(REUSED_MIN, REUSED_SHARE * contacts)
    # only contacts whose first and last events are half the period apart can be on half its days
    half = num(days / 2)
    wide = f"SELECT {S.CONTACT_ID} FROM {_STARTS} WHERE date_diff('day', start_ts, end_ts) + 1 >= {half}"
    if days < 2 * REUSED_MIN_DAYS or engine.scalar(f"SELECT count(*) FROM ({wide})") < least:
        return False
    ts = ident(S.TIMESTAMP)
    rows = engine.fetchall(
        f"""SELECT {S.CONTACT_ID}, count(DISTINCT CAST({ts} AS DATE)) AS d
            FROM {S.EVENTS_TABLE} WHERE {S.CONTACT_ID} IN ({wide})
            GROUP BY 1 HAVING d >= {half} ORDER BY d DESC, 1"""
    )
    if len(rows) < least:
        return False
    dq.warn(
        "reused_contact_ids",
        f"{len(rows):,} contact id(s) ({len(rows) / contacts:.0%} of contacts) have events on at least half "
        f"of the {days} days of the data: no contact goes on nearly every day, but call numbers that "
        "restart every day, or every export, do. Each such id is read as one contact of all its days' "
        "calls, so contacts, transfers and repeats are wrong (whether the export was cut at its end is not "
        "judged). If the ids restart every day: --contact-ids-per-day (the mapping's contact_ids_per_day) "
        "reads each joined with its date, or map the export's own day column with them (contact_id: "
        "[Date, Call ID]); if they restart with every file, the mapping's contact_id_prefix per file",
        len(rows),
        [f"contact {c}: events on {d} days" for c, d in rows[:5]],
    )
    return True


def _bulk(engine: Engine, dq: DataQuality, window_days: float, keep: bool, o: QualityOptions) -> None:
    win = days_interval(window_days)
    rows = engine.rows(
        f"""WITH w AS (
                SELECT {S.CUSTOMER_ID},
                       count(*) OVER (PARTITION BY {S.CUSTOMER_ID} ORDER BY start_ts
                                      RANGE BETWEEN {win} PRECEDING AND CURRENT ROW) AS k
                FROM {_STARTS} WHERE {S.CUSTOMER_ID} IS NOT NULL
            ), p AS (
                SELECT {S.CUSTOMER_ID}, max(k) AS peak, count(*) AS n FROM w GROUP BY 1
            ), bar AS (
                SELECT greatest({int(o.bulk_min_contacts)},
                                {float(o.bulk_factor)} * quantile_cont(peak, 0.99)) AS bar
                FROM p
            )
            SELECT {S.CUSTOMER_ID} AS customer_id, n, peak FROM p, bar WHERE peak >= bar.bar
            ORDER BY n DESC, customer_id"""
    )
    if not rows:
        return
    dq.bulk_identities = [
        BulkIdentity(customer_id=str(r["customer_id"]), contacts=int(r["n"]), peak_in_window=int(r["peak"]))
        for r in rows
    ]
    n_contacts = sum(b.contacts for b in dq.bulk_identities)
    examples = [
        f"{b.customer_id} ({b.contacts} contacts, {b.peak_in_window} in one window)"
        for b in dq.bulk_identities[:5]
    ]
    if keep:
        dq.warn(
            "bulk_identities",
            f"{len(rows):,} customer id(s) raised {n_contacts:,} contacts, far more than any customer does "
            f"(at least {o.bulk_min_contacts} within {window_days:g} days); kept in the analysis because "
            "bulk identities are kept on request: their repeats may dominate the findings",
            n_contacts,
            examples,
        )
        return
    ids = "(" + ", ".join(lit(b.customer_id) for b in dq.bulk_identities) + ")"
    engine.execute(
        f"""CREATE OR REPLACE TABLE {EXCLUDED_CONTACTS_TABLE} AS
            SELECT {S.CONTACT_ID}, {S.CUSTOMER_ID}, start_ts AS {S.START_TS},
                   {lit(BULK_IDENTITY)} AS {EXCLUDED}
            FROM {_STARTS} WHERE {S.CUSTOMER_ID} IN {ids} ORDER BY {S.START_TS}, {S.CONTACT_ID}"""
    )
    engine.execute(
        f"""CREATE OR REPLACE TABLE {EXCLUDED_EVENTS_TABLE} AS
            SELECT * FROM {S.EVENTS_TABLE}
            WHERE {S.CONTACT_ID} IN (SELECT {S.CONTACT_ID} FROM {EXCLUDED_CONTACTS_TABLE})
            ORDER BY {S.SOURCE_ROW}"""
    )
    unfold_events(engine)  # a table again if it is a view over the ordered table (Spark's driver)
    engine.execute(
        f"DELETE FROM {S.EVENTS_TABLE} WHERE {S.CONTACT_ID} IN "
        f"(SELECT {S.CONTACT_ID} FROM {EXCLUDED_CONTACTS_TABLE})"
    )
    engine.execute(f"DELETE FROM {_STARTS} WHERE {S.CUSTOMER_ID} IN {ids}")
    dq.excluded_contacts = int(engine.scalar(f"SELECT count(*) FROM {EXCLUDED_CONTACTS_TABLE}"))
    dq.excluded_events = int(engine.scalar(f"SELECT count(*) FROM {EXCLUDED_EVENTS_TABLE}"))
    dq.warn(
        "bulk_identities",
        f"{len(rows):,} customer id(s) raised {n_contacts:,} contacts, far more than any customer does (at "
        f"least {o.bulk_min_contacts} within {window_days:g} days and {o.bulk_factor:g}x the 99th "
        "percentile): a bulk caller, a shared or system id. Their contacts are left out of journeys, "
        "metrics and findings (--keep-bulk keeps them)",
        n_contacts,
        examples,
    )


def _period(engine: Engine, dq: DataQuality, o: QualityOptions, *, tail: bool = True) -> None:
    """The analysed period: outliers out, and the truncated tail found (unless not ``tail``: contact ids
    given again on many days make a tail of old contacts that is no cut export)."""
    ts = ident(S.TIMESTAMP)
    days = engine.rows(
        f"SELECT CAST({ts} AS DATE) AS d, count(*) AS n FROM {S.EVENTS_TABLE} GROUP BY 1 ORDER BY 1"
    )
    if not days:
        return
    dq.data_start = engine.scalar(f"SELECT min({ts}) FROM {S.EVENTS_TABLE}")
    dq.data_end = engine.scalar(f"SELECT max({ts}) FROM {S.EVENTS_TABLE}")
    lo, hi = _isolated_ends(days, o)
    outside = f"(CAST({ts} AS DATE) < ? OR CAST({ts} AS DATE) > ?)"
    bounds = [lo, hi]
    dq.outlier_events = int(engine.scalar(f"SELECT count(*) FROM {S.EVENTS_TABLE} WHERE {outside}", bounds))
    if dq.outlier_events:
        inside = engine.rows(
            f"SELECT min({ts}) AS t0, max({ts}) AS t1 FROM {S.EVENTS_TABLE} WHERE NOT {outside}", bounds
        )[0]
        dq.data_start, dq.analysed_end = inside["t0"], inside["t1"]
        shown = engine.rows(
            f"""SELECT {S.CONTACT_ID} AS c, {ts} AS t FROM {S.EVENTS_TABLE} WHERE {outside}
                ORDER BY {S.SOURCE_ROW} LIMIT 5""",
            bounds,
        )
        dq.warn(
            "timestamp_outliers",
            f"{dq.outlier_events:,} event(s) lie far outside the period of the rest of the data "
            f"({dq.data_start:%Y-%m-%d} to {dq.analysed_end:%Y-%m-%d}), e.g. a mistyped year; they stay in "
            "their contacts but do not set the analysed period",
            dq.outlier_events,
            [f"contact {r['c']} at {r['t']:%Y-%m-%d %H:%M}" for r in shown],
        )
    else:
        dq.analysed_end = dq.data_end
    dq.censor_end = dq.analysed_end
    if tail:
        _tail(engine, dq, o)


def _isolated_ends(days: list[dict[str, Any]], o: QualityOptions) -> tuple[date, date]:
    """The first and last day of the body of the data: days cut off from it by a gap with no events of at
    least ``max(outlier_margin_days, a quarter of the central span)`` and holding under 1% of the events
    are outliers (a mistyped year sits alone, years away; a thinning tail of late updates does not)."""
    counts = [int(r["n"]) for r in days]
    total = sum(counts)
    cum, qa, qb = 0, None, None
    for r, n in zip(days, counts, strict=True):
        cum += n
        if qa is None and cum >= 0.005 * total:
            qa = r["d"]
        if qb is None and cum >= 0.995 * total:
            qb = r["d"]
    assert qa is not None and qb is not None
    gap = max(o.outlier_margin_days, 0.25 * (qb - qa).days)
    first, last = 0, len(days) - 1
    for i in range(1, len(days)):  # from the start: the last big gap before the body
        if days[i]["d"] > qa:
            break
        if (days[i]["d"] - days[i - 1]["d"]).days > gap and sum(counts[:i]) < 0.01 * total:
            first = i
    for i in range(len(days) - 1, 0, -1):  # from the end: the last big gap after the body
        if days[i - 1]["d"] < qb:
            break
        if (days[i]["d"] - days[i - 1]["d"]).days > gap and sum(counts[i:]) < 0.01 * total:
            last = i - 1
    return days[first]["d"], days[last]["d"]


def _tail(engine: Engine, dq: DataQuality, o: QualityOptions) -> None:
    """A truncated tail: new contacts stop arriving while events of older ones go on."""
    assert dq.data_start is not None and dq.analysed_end is not None
    days = engine.rows(
        f"""SELECT CAST(start_ts AS DATE) AS d, count(*) AS n FROM {_STARTS}
            WHERE start_ts BETWEEN ? AND ? GROUP BY 1 ORDER BY 1""",
        [dq.data_start, dq.analysed_end],
    )
    if not days:
        return
    first, last = days[0]["d"], days[-1]["d"]
    span = (last - first).days + 1
    mean = sum(int(r["n"]) for r in days) / span
    normal = [r["d"] for r in days if int(r["n"]) >= o.tail_level * mean]
    if not normal:
        return
    tail_start = datetime.combine(normal[-1] + timedelta(days=1), datetime.min.time())
    tail_days = (dq.analysed_end - tail_start).total_seconds() / 86_400
    if tail_days < o.tail_min_days:
        return
    dq.tail_start = dq.censor_end = tail_start
    late = int(
        engine.scalar(
            f"SELECT count(*) FROM {_STARTS} WHERE start_ts >= ? AND start_ts <= ?",
            [tail_start, dq.analysed_end],
        )
    )
    events = int(
        engine.scalar(
            f"SELECT count(*) FROM {S.EVENTS_TABLE} WHERE {ident(S.TIMESTAMP)} BETWEEN ? AND ?",
            [tail_start, dq.analysed_end],
        )
    )
    started = "no contact starts" if late == 0 else f"only {late:,} contact(s) start"
    dq.warn(
        "truncated_tail",
        f"new contacts stop arriving after {normal[-1]:%Y-%m-%d} while {events:,} events of older ones "
        f"go on for {tail_days:.0f} more days ({started} then, against about "
        f"{mean:.0f} a day before): the export looks cut. Repeats after that day are unknown, so "
        "contacts ending within the repeat window of it are censored",
        events,
        [f"last normal day {normal[-1]:%Y-%m-%d}", f"data ends {dq.analysed_end:%Y-%m-%d}"],
    )


def review_journeys(
    engine: Engine,
    dq: DataQuality,
    *,
    missing_markers: dict[str, int] | None = None,
    options: QualityOptions | None = None,
    max_journey_days: float = 30.0,
    encoding_repairs: int = 0,
    nul_bytes_stripped: int = 0,
    records_left_out: dict[str, int] | None = None,
    durations_read: bool = False,
    likely_columns: dict[str, str] | None = None,
    files: int = 1,
    clocks: dict[str, str | None] | None = None,
    ambiguous_dates: dict[str, str] | None = None,
    blank_ids: tuple[int, int] = (0, 0),
) -> DataQuality:
    """Opening hours, unidentified contacts, long journeys, missing-value markers and what the reader
    repaired or left out, into ``dq``. ``clocks``: each file's clock (``FileCounts.clock``);
    ``ambiguous_dates``: the files whose numeric dates read either way, each with the order it was read
    in (``FileCounts.dates_ambiguous``); ``blank_ids``: the rows rejected for no contact id, of how
    many read."""
    options = options or QualityOptions()
    _opening_hours(engine, dq, options)
    _unidentified(engine, dq)
    _scientific_ids(engine, dq)
    _long_journeys(engine, dq, options, max_journey_days)
    _unknown_values(engine, dq)
    if files > 1:
        unlinked_files(engine, dq)
        leading_zeros(engine, dq)
        file_clocks(engine, dq, clocks or {})
        overlapping_files(engine, dq)
    if ambiguous_dates:
        _ambiguous_dates(dq, ambiguous_dates)
    blank, read = blank_ids
    if blank >= GROUPED_MIN_ROWS and blank >= GROUPED_MIN_SHARE * read:
        dq.warn(
            "blank_contact_ids",
            f"{blank:,} of {read:,} rows have no contact id and were rejected: if the export is a grouped "
            "report, which writes a contact's id on its first row only, --fill-down contact_id (the "
            "mapping's fill_down) reads each blank as the id above it",
            blank,
        )
    if missing_markers:
        total = sum(missing_markers.values())
        dq.warn(
            "missing_markers",
            f"{total:,} value(s) such as 'EMPTY', '?' or 'N/A' were read as missing, not as names",
            total,
            [f"{column}: {n}" for column, n in sorted(missing_markers.items())],
        )
    if encoding_repairs or nul_bytes_stripped:
        dq.warn(
            "encoding_repairs",
            f"{encoding_repairs:,} byte(s) that were not valid text in the file's encoding were replaced by "
            f"U+FFFD and {nul_bytes_stripped:,} NUL byte(s) removed; no row was lost for it",
            encoding_repairs + nul_bytes_stripped,
        )
    # durations read (the input summary's fields) that are no handle times by the facts' own test
    any_timed = f"SELECT EXISTS (SELECT 1 FROM {S.EVENTS_TABLE} WHERE {S.fact_condition(S.DURATION_S)})"
    timed = durations_read and bool(engine.scalar(any_timed))
    if timed:
        _duration_scale(engine, dq)
    elif durations_read:
        zeros = int(engine.scalar(f"SELECT count({S.DURATION_S}) FROM {S.EVENTS_TABLE}"))
        dq.warn(
            "zero_durations",
            f"every duration_s is 0 ({zeros:,} events): read as no handle times (costs estimated from "
            "touches, handle-time measures off), not as work that took no time; map the column that holds "
            "handle times",
            zeros,
        )
    if likely_columns:
        _unmapped(dq, likely_columns)
    # rows the mapping's own keep_rows / drop_rows leave out were asked for: in the summary, no warning
    records_left_out = {k: n for k, n in (records_left_out or {}).items() if k not in _ASKED}
    if records_left_out:
        total = sum(records_left_out.values())
        dq.warn(
            "records_left_out",
            f"{total:,} record(s) or line(s) of the input are no customer's contact (a deleted record, the "
            "platform's own sample, a report's title above its header, its header repeated inside it) or "
            "were not read (a file named like an export's but without its fields) and gave no event; "
            "counted, not analysed",
            total,
            [f"{why}: {n:,}" for why, n in records_left_out.items()],
        )
    return dq


_ASKED = ("keep_rows", "drop_rows")


def _ambiguous_dates(dq: DataQuality, files: dict[str, str]) -> None:
    """Files whose numeric dates (``05/03/2024``) read day first or month first alike and whose spread
    does not tell which (``io.day_order``): read in the order asked, and said, since the other order moves
    every date (weekdays, and journeys that cross into another system's file)."""
    read = {
        "day first": "day first, as --dayfirst asks (drop it if that is wrong)",
        "month first": "month first, the default (add --dayfirst if that is wrong)",
    }
    dq.warn(
        "ambiguous_dates",
        f"every numeric date of {len(files):,} file(s) reads day first or month first alike (no part past "
        f"12, as in 05/03) and their spread does not say which: read "
        f"{'; or '.join(read[order] for order in sorted(set(files.values())))}. The other order moves every "
        "date (the weekdays, and journeys that cross into another system's file); --time-format settles it",
        len(files),
        [f"{name}: read {order}" for name, order in files.items()],
    )


def _unmapped(dq: DataQuality, likely: dict[str, str]) -> None:
    """Columns read as attributes whose names say they hold a field no mapping filled: nothing is measured
    from them (no outcome, no handle time...), so the first run says which ``--map`` would use them."""
    flags = []
    for column, canonical in likely.items():
        flag = f"--map {shlex.quote(f'{canonical}={column}')}"
        unit = _unit(column) if canonical == S.DURATION_S else None
        flags.append(flag + (f" --duration-unit {unit}" if unit else ""))
    dq.warn(
        "unmapped_columns",
        f"{len(likely):,} column(s) read as plain attributes look like fields cxray measures, and nothing "
        f"is measured from them: {', '.join(f'{c!r} ({k})' for c, k in likely.items())}. If they are, map "
        f"them: {' '.join(flags)}",
        len(likely),
        [f"{c!r}: {k}?" for c, k in likely.items()],
    )


def _unit(column: str) -> str | None:
    """The unit a duration column's name gives other than seconds: ``Handle Time (Hours)`` -> hours."""
    name = column.lower()
    for unit, words in (
        ("ms", r"\bms\b|milli"),
        ("hours", r"\bh\b|\bhrs?\b|hour"),
        ("minutes", r"\bmins?\b|minute"),
    ):
        if re.search(words, name):
            return unit
    return None


#: The median of a person's (agent or back-office) step outside which its durations are read as not in
#: seconds: over 8 hours (milliseconds read as seconds make a 5-minute call 83 hours), under 15 seconds
#: (minutes read as seconds make it 5 seconds, hours 0.08). Of every step when no step is a person's:
#: under 3 seconds (an IVR's or a bot's steps take 5-30). The public logs' medians: people's 77-325 s.
PERSON_MEDIAN_RANGE: Final = (15.0, 8 * 3600.0)
STEP_MEDIAN_RANGE: Final = (3.0, 8 * 3600.0)


def _duration_scale(engine: Engine, dq: DataQuality) -> None:
    """A ``duration_s`` column in another unit than the mapping said (``duration_unit``): the median of the
    positive durations of a person's steps (of every step when no step is a person's, by actor type or
    channel) far outside what a person's step takes. Told, never rescaled: handle times and costs are
    read as given."""
    actor = effective_actor_type_sql()
    people = f"{actor} IN ({lit(S.AGENT)}, {lit(S.BACK_OFFICE)})"
    timed = f"FROM {S.EVENTS_TABLE} WHERE {S.DURATION_S} > 0"
    n, median = engine.fetchall(f"SELECT count(*), median({S.DURATION_S}) {timed} AND {people}")[0]
    person = bool(n)
    if not person:  # the median of every step only then: an exact median of 10M durations takes 0.3 s
        n, median = engine.fetchall(f"SELECT count(*), median({S.DURATION_S}) {timed}")[0]
    low, high = PERSON_MEDIAN_RANGE if person else STEP_MEDIAN_RANGE
    whose = "person's " if person else ""
    if median is None or low <= median <= high:
        return
    took = f"{median / 3600:,.1f} hours" if median > high else f"{median:.2f} seconds"
    unit = (
        "milliseconds (--duration-unit ms" if median > high else "minutes or hours (--duration-unit minutes"
    )
    dq.warn(
        "implausible_durations",
        f"the median {whose}step takes {took} by its duration_s ({int(n):,} timed "
        f"steps): the durations are perhaps in {unit}, or duration_unit in the mapping). Read as seconds, "
        "as given: handle times and costs follow them",
        int(n),
        [f"median {median:,.2f} s"],
    )


def _opening_hours(engine: Engine, dq: DataQuality, o: QualityOptions) -> None:
    hour = f"hour(timezone({lit(dq.clock_zone)}, {S.START_TS} AT TIME ZONE 'UTC'))"
    rows = engine.rows(
        f"""SELECT coalesce({S.ENTRY_CHANNEL}, {lit(ANY_CHANNEL)}) AS ch, {hour} AS h,
                   count(*) AS n, count(*) FILTER (WHERE {S.IS_HUMAN_HANDLED}) AS served
            FROM {S.CONTACTS_TABLE} GROUP BY ALL ORDER BY ch, h"""
    )
    by_channel: dict[str, dict[int, tuple[int, int]]] = {}
    for r in rows:
        by_channel.setdefault(str(r["ch"]), {})[int(r["h"])] = (int(r["n"]), int(r["served"]))
    for ch, hours in by_channel.items():
        given = o.opening_hours.get(ch, o.opening_hours.get(ANY_CHANNEL))
        if given is not None:  # the user's own hours win over inference
            dq.opening_hours[ch] = open_hours(*given)
            continue
        peak = max(served for _, served in hours.values())
        if peak < o.min_served_per_hour:
            continue  # too few served contacts (or none: no agent signal) to tell open from closed
        dq.opening_hours[ch] = [h for h in range(24) if hours.get(h, (0, 0))[1] >= o.closed_share * peak]
    closed = dq.out_of_hours_sql()
    if closed == "false":
        return
    row = engine.rows(
        f"""SELECT count(*) AS n, count_if({S.IS_ABANDONED}) AS ab FROM {S.CONTACTS_TABLE} WHERE {closed}"""
    )[0]
    dq.out_of_hours_contacts = int(row["n"])
    if dq.out_of_hours_contacts:
        shown = [
            f"{ch}: open {spans(hs)} ({dq.clock_label})"
            for ch, hs in sorted(dq.opening_hours.items())
            if len(hs) < 24
        ]
        dq.warn(
            "out_of_hours",
            f"{dq.out_of_hours_contacts:,} contact(s) started while the centre was closed (hours inferred "
            f"from when contacts reach a person; {int(row['ab'] or 0):,} of them abandoned): counted apart, "
            "never read as a staffing hot spot",
            dq.out_of_hours_contacts,
            shown,
        )


def open_hours(start: int, end: int) -> list[int]:
    """The hours of day from ``start`` to ``end`` (exclusive), across midnight when ``end < start``.

    >>> open_hours(7, 22)[:2], open_hours(22, 2)
    ([7, 8], [0, 1, 22, 23])
    """
    return sorted(range(start, end) if start < end else [*range(start, 24), *range(0, end)])


def _unidentified(engine: Engine, dq: DataQuality) -> None:
    row = engine.rows(f"SELECT count(*) AS n, count({S.CUSTOMER_ID}) AS known FROM {S.CONTACTS_TABLE}")[0]
    n, known = int(row["n"]), int(row["known"])
    if not n or not known:
        return  # no customer ids at all: the metrics needing them are disabled instead
    dq.unidentified_contacts = n - known
    dq.unidentified_share = round((n - known) / n, 4)
    if dq.unidentified_share >= 0.01:  # below 1% the count stays in data_quality, off the first page
        dq.warn(
            "unidentified_contacts",
            f"{dq.unidentified_contacts:,} contact(s) ({dq.unidentified_share:.1%}) have no customer id: "
            "their repeats cannot be seen, so FCR and repeat rate are measured over identified contacts only",
            dq.unidentified_contacts,
        )


#: An id as Excel writes a long number it saved as one (``4.47912E+11``; other tools' ``1.2e+15``).
SCIENTIFIC_ID: Final = r"[+-]?\d(\.\d+)?[Ee]\+\d{1,3}"
#: Contacts carrying such ids, at least, for the warning (a handful may be a legitimate id's shape)...
SCIENTIFIC_MIN: Final = 10
#: ...and the share of contacts from which it is to fix before trusting the numbers; below it, told as
#: read (the public bank log's 21 contacts are 0.06%: no measure moves).
SCIENTIFIC_SHARE: Final = 0.01


def _scientific_ids(engine: Engine, dq: DataQuality) -> None:
    """Contact or customer ids in scientific notation: a CSV saved through Excel rounds a long number
    (a phone number, a 12-digit case id) to six digits, so different customers, or contacts, share one
    id and their contacts read as one customer's repeats. Nothing can undo it here: told, with the ids."""
    sci = lit(SCIENTIFIC_ID)
    rows = engine.rows(
        f"""SELECT kind, sum(n) AS contacts, count(*) AS ids, list(id ORDER BY n DESC, id)[1:3] AS shown
            FROM (SELECT kind, id, count(*) AS n FROM (
                    SELECT 'contact' AS kind, {S.CONTACT_ID} AS id FROM {S.CONTACTS_TABLE}
                    WHERE contains({S.CONTACT_ID}, '+') AND regexp_full_match({S.CONTACT_ID}, {sci})
                    UNION ALL
                    SELECT 'customer', {S.CUSTOMER_ID} FROM {S.CONTACTS_TABLE}
                    WHERE contains({S.CUSTOMER_ID}, '+') AND regexp_full_match({S.CUSTOMER_ID}, {sci}))
                  GROUP BY kind, id)
            GROUP BY kind ORDER BY kind"""
    )
    found = [r for r in rows if r["contacts"] >= SCIENTIFIC_MIN]
    if not found:
        return
    total = int(engine.scalar(f"SELECT count(*) FROM {S.CONTACTS_TABLE}"))
    what = "; ".join(
        f"{r['contacts']:,} contact(s) ({r['contacts'] / total:.2%}) carry {r['ids']:,} {r['kind']} id(s)"
        for r in found
    )
    contacts = sum(int(r["contacts"]) for r in found)
    major = contacts >= SCIENTIFIC_SHARE * total
    dq.warn(
        "scientific_ids",
        f"ids written in scientific notation ({found[0]['shown'][0]}), as Excel saves a long number in a "
        f"CSV: {what}. Excel keeps six digits of them, so different customers (or contacts) share one id "
        "and their contacts read as one customer's repeats; "
        + (
            "export the id columns as text, not through Excel"
            if major
            else f"under {SCIENTIFIC_SHARE:.0%} of contacts, too few to move a measure: read as written (the "
            "file went through Excel: its other columns may have been changed too)"
        ),
        contacts,
        [f"{r['kind']} {i}" for r in found for i in r["shown"]],
        to_fix=major,
    )


def _long_journeys(engine: Engine, dq: DataQuality, o: QualityOptions, max_days: float) -> None:
    rows = engine.rows(
        f"""SELECT {S.JOURNEY_ID} AS j, {S.N_CONTACTS} AS n FROM {S.JOURNEYS_TABLE}
            WHERE {S.N_CONTACTS} > {int(o.long_journey_contacts)} ORDER BY n DESC, j"""
    )
    dq.long_journeys = len(rows)
    if rows:
        dq.warn(
            "long_journeys",
            f"{len(rows):,} journey(s) have more than {o.long_journey_contacts} contacts within "
            f"{max_days:g} days: a customer id shared by several people, or one stuck case",
            len(rows),
            [f"journey {r['j']}: {r['n']} contacts" for r in rows[:5]],
        )


#: Words in a source value that suggest the canonical outcome it perhaps means, tried in order ("not
#: resolved" is unresolved before it is resolved). Only ever shown as a suggestion: the user maps.
OUTCOME_HINTS: Final[tuple[tuple[str, str], ...]] = (
    (S.UNRESOLVED, r"\b(not|no|un|never)[ _-]?(resolved|solved|fixed)|unresolved|unsolved|fail"),
    (S.ABANDONED, r"abandon|hung|hang|drop|disconnect|no[ _-]?answer|time[ _-]?out|missed|short[ _-]?call"),
    (S.ESCALATED, r"escalat"),
    (S.TRANSFERRED, r"transfer"),
    (S.CONTAINED, r"contain|self[ _-]?serv|deflect"),
    (S.RESOLVED, r"resolv|solved|fixed|success|answered"),
    (S.CLOSED, r"clos|complet|done|finish|handled"),
)
#: The same for actor types ("Virtual agent" is a bot before it is an agent).
ACTOR_TYPE_HINTS: Final[tuple[tuple[str, str], ...]] = (
    (S.BOT, r"bot|virtual|assistant|\bai\b|automat"),
    (S.IVR, r"ivr|vru|voice[ _-]?(menu|portal|response)|\bidv\b"),
    (S.BACK_OFFICE, r"back[ _-]?office|\bbo\b|fulfil|processing"),
    (S.CUSTOMER, r"customer|client|caller|consumer|end[ _-]?user|requester"),
    (S.SYSTEM, r"system|auto|workflow|batch|integration"),
    (S.AGENT, r"agent|human|\brep\b|advis|operator|staff|csr|associate|expert|specialist|employee"),
)


def suggest(value: str, hints: tuple[tuple[str, str], ...]) -> str | None:
    """The canonical value ``value``'s words suggest (``OUTCOME_HINTS``, ``ACTOR_TYPE_HINTS``), or None.

    >>> suggest("Customer hung up", OUTCOME_HINTS), suggest("Not fixed", OUTCOME_HINTS)
    ('abandoned', 'unresolved')
    >>> suggest("Virtual Agent", ACTOR_TYPE_HINTS), suggest("Callback", OUTCOME_HINTS) is None
    ('bot', True)
    """
    text = value.lower()
    return next((canonical for canonical, words in hints if re.search(words, text)), None)


#: Values listed in an unknown-values warning.
_LISTED = 5
#: A value that is an id, not a word: a UUID, a long hex or digit string (a platform's code ids).
_ID_LIKE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}|\d{6,}"


def _unknown_values(engine: Engine, dq: DataQuality) -> None:
    """Outcomes and actor types outside cxray's vocabularies (values of it are lower-cased at read, any
    other is kept as written): counted per contact, told from 1% of contacts with what to map."""
    contacts = int(engine.scalar(f"SELECT count(*) FROM {S.CONTACTS_TABLE}"))
    actor_types = False
    for column, vocabulary, hints in (
        (S.OUTCOME, S.OUTCOMES, OUTCOME_HINTS),
        (S.ACTOR_TYPE, S.ACTOR_TYPES, ACTOR_TYPE_HINTS),
    ):
        col = ident(column)
        known = ", ".join(lit(v) for v in vocabulary)
        # a grouping of a stored category column: a few distinct values, cheap at 10M events
        values = engine.fetchall(
            f"SELECT DISTINCT CAST({col} AS VARCHAR) FROM {S.EVENTS_TABLE} WHERE {col} IS NOT NULL"
        )
        if column == S.ACTOR_TYPE:
            actor_types = bool(values)
        if all(v in vocabulary for (v,) in values):
            continue
        unknown = f"CAST({col} AS VARCHAR) NOT IN ({known})"
        n = int(engine.scalar(f"SELECT count(DISTINCT {S.CONTACT_ID}) FROM {S.EVENTS_TABLE} WHERE {unknown}"))
        rows = engine.fetchall(
            f"""SELECT CAST({col} AS VARCHAR) AS v, count(DISTINCT {S.CONTACT_ID}) AS n
                FROM {S.EVENTS_TABLE} WHERE {unknown} GROUP BY ALL ORDER BY n DESC, v LIMIT {_LISTED}"""
        )
        if column == S.OUTCOME:
            dq.unknown_outcome_contacts = n
        else:
            dq.unknown_actor_type_contacts = n
        if not contacts or n < 0.01 * contacts:
            continue  # counted in data_quality, off the first page
        more = sum(1 for (v,) in values if v not in vocabulary) - len(rows)
        _warn_unknown(dq, column, vocabulary, hints, n, contacts, rows, more)
    if not actor_types:
        _self_service_channels(engine, dq, contacts)


def _self_service_channels(engine: Engine, dq: DataQuality, contacts: int) -> None:
    """A log without actor types whose channels name a bot, an IVR or the back office in other words
    ('Chatbot', 'IVR menu'): a channel stands in for the actor type only when it is ``bot``, ``ivr`` or
    ``back_office`` (``costs.effective_actor_type_sql``), so containment, handoffs and the back office's
    share go unmeasured. Told with the --value flags (value_maps) that would name them, from 1% of
    contacts. Asked only of a log with no actor type (``_unknown_values`` has just listed them)."""
    col = ident(S.CHANNEL)
    values = [
        str(v)
        for (v,) in engine.fetchall(f"SELECT DISTINCT CAST({col} AS VARCHAR) FROM {S.EVENTS_TABLE}")
        if v is not None
    ]
    named = {v: k for v in values if (k := suggest(v, ACTOR_TYPE_HINTS)) in ACTOR_CHANNELS and v.lower() != k}
    if not named:
        return
    listed = ", ".join(lit(v) for v in named)
    n = int(
        engine.scalar(
            f"""SELECT count(DISTINCT {S.CONTACT_ID}) FROM {S.EVENTS_TABLE}
                WHERE CAST({col} AS VARCHAR) IN ({listed})"""
        )
    )
    if not contacts or n < 0.01 * contacts:
        return
    pairs = ", ".join(f"{v!r}: {k}" for v, k in sorted(named.items()))
    flags = " ".join(f"--value {shlex.quote(f'channel:{v}={k}')}" for v, k in sorted(named.items()))
    dq.warn(
        "self_service_channels",
        f"the log has no actor types, and {n:,} contact(s) ({n / contacts:.1%}) have channels that name "
        f"self-service or the back office in other words ({pairs}): a channel stands in for the actor type "
        "only as bot, ivr or back_office, so containment, bot-to-agent handoffs and the back office's "
        f"share are not measured. Map them: {flags} (the mapping's value_maps), or map an actor_type "
        "column",
        n,
        [f"{v!r}: {k}?" for v, k in sorted(named.items())],
    )


def _warn_unknown(
    dq: DataQuality,
    column: str,
    vocabulary: tuple[str, ...],
    hints: tuple[tuple[str, str], ...],
    n: int,
    contacts: int,
    rows: list[tuple[Any, ...]],
    more: int,
) -> None:
    outcome = column == S.OUTCOME
    suggested = [(str(v), suggest(str(v), hints)) for v, _ in rows]
    if outcome:
        effect = (
            "FCR counts such a contact resolved unless the customer comes back, reported FCR counts it "
            "not resolved"
        )
        how = "with --outcome VALUE=OUTCOME (or the mapping's outcome_values)"
        fix = " ".join(f"--outcome {shlex.quote(f'{v}={c}')}" for v, c in suggested if c)
    else:
        effect = (
            "their steps are costed at the default rate and are neither a person's nor a bot's, so such a "
            "contact never counts as handled by a person or contained"
        )
        how = "with --value actor_type:VALUE=TYPE (or the mapping's value_maps)"
        fix = " ".join(f"--value {shlex.quote(f'actor_type:{v}={c}')}" for v, c in suggested if c)
    shown = ", ".join(repr(str(v)) for v, _ in rows) + (f" and {more:,} more" if more else "")
    ids = all(re.fullmatch(_ID_LIKE, str(v), re.IGNORECASE) for v, _ in rows)
    named = (
        " They look like ids: a platform export names them through its lookup files (Genesys Cloud's "
        "wrapup_codes, docs/adapters.md)."
        if ids
        else ""
    )
    dq.warn(
        f"unknown_{'outcomes' if outcome else 'actor_types'}",
        f"{n:,} contact(s) ({n / contacts:.1%}) carry {column} values cxray does not know ({shown}): "
        f"{effect}.{named} Map each to one of {', '.join(vocabulary)} {how}"
        + (f"; perhaps {fix}" if fix else ""),
        n,
        [f"{v!r}: {m:,} contact(s)" for v, m in rows],
    )


__all__ = [
    "ANY_CHANNEL",
    "BULK_IDENTITY",
    "EXCLUDED",
    "EXCLUDED_CONTACTS_TABLE",
    "EXCLUDED_EVENTS_TABLE",
    "TO_FIX",
    "BulkIdentity",
    "DataQuality",
    "QualityOptions",
    "QualityWarning",
    "review_journeys",
    "screen_events",
]
