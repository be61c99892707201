"""The canonical event log: every column name cxray uses lives here and nowhere else.

One row per event. Readers convert whatever they read into this table (``io``); every analysis reads
only this table (and the tables derived from it in ``journeys``). See ``docs/data-contract.md``.

Event order within a contact is ``(timestamp, source_row)``: ties keep the order of the source file,
as pm4py does, so that every engine agrees on logs with equal timestamps.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import pyarrow as pa

# --- required -----------------------------------------------------------------------------------------
CONTACT_ID: Final = "contact_id"  # one call, chat, bot session, email thread or back-office work item
TIMESTAMP: Final = "timestamp"  # stored as UTC TIMESTAMP (naive in the engine, UTC by contract)
ACTIVITY: Final = "activity"

# --- optional -----------------------------------------------------------------------------------------
CUSTOMER_ID: Final = "customer_id"  # needed for journeys and repeat contacts
CHANNEL: Final = "channel"  # phone, chat, email, bot, ivr, back_office, ...
QUEUE: Final = "queue"
TEAM: Final = "team"  # team or vendor
ACTOR: Final = "actor"
ACTOR_TYPE: Final = "actor_type"  # bot, ivr, agent, back_office, system, customer
REASON: Final = "reason"  # contact reason / intent
OUTCOME: Final = "outcome"  # see OUTCOMES
DURATION_S: Final = "duration_s"  # work seconds of that event

# --- added by cxray -----------------------------------------------------------------------------------
SOURCE_ROW: Final = "source_row"  # 1-based record number in the source (file order across files)
SOURCE_FILE: Final = "source_file"  # name of the file the row came from

REQUIRED: Final[tuple[str, ...]] = (CONTACT_ID, TIMESTAMP, ACTIVITY)
OPTIONAL_TEXT: Final[tuple[str, ...]] = (
    CUSTOMER_ID,
    CHANNEL,
    QUEUE,
    TEAM,
    ACTOR,
    ACTOR_TYPE,
    REASON,
    OUTCOME,
)
OPTIONAL_NUMERIC: Final[tuple[str, ...]] = (DURATION_S,)
OPTIONAL: Final[tuple[str, ...]] = OPTIONAL_TEXT + OPTIONAL_NUMERIC
CANONICAL: Final[tuple[str, ...]] = REQUIRED + OPTIONAL
INTERNAL: Final[tuple[str, ...]] = (SOURCE_ROW, SOURCE_FILE)

# --- survey attributes ---------------------------------------------------------------------------------
# Not canonical: kept attributes of the event rows that carry a post-contact survey (the simulator writes
# them; incentives read whichever the log has).
SURVEY_SCORE: Final = "survey_score"  # the score given, on the survey's own scale
SURVEY_TYPE: Final = "survey_type"  # which survey: CSAT or NPS
VERBATIM: Final = "verbatim"  # the customer's free-text comment
CSAT: Final = "csat"
NPS: Final = "nps"
SURVEY_COLUMNS: Final[tuple[str, ...]] = (SURVEY_SCORE, CSAT, NPS)  # a score column, in order of preference

# --- vocabularies -------------------------------------------------------------------------------------
# Outcomes cxray understands. Source values are mapped onto these (io.mapping: outcome vocabulary);
# anything else is kept as-is and treated as "no special meaning".
RESOLVED: Final = "resolved"
CONTAINED: Final = "contained"  # a bot/IVR's own claim that it handled the contact
TRANSFERRED: Final = "transferred"
ESCALATED: Final = "escalated"
ABANDONED: Final = "abandoned"
CLOSED: Final = "closed"
UNRESOLVED: Final = "unresolved"
OUTCOMES: Final[tuple[str, ...]] = (
    RESOLVED,
    CONTAINED,
    TRANSFERRED,
    ESCALATED,
    ABANDONED,
    CLOSED,
    UNRESOLVED,
)

# Actor types. Self-service actors are the ones whose "containment" is measured.
BOT: Final = "bot"
IVR: Final = "ivr"
AGENT: Final = "agent"
BACK_OFFICE: Final = "back_office"
SYSTEM: Final = "system"
CUSTOMER: Final = "customer"
ACTOR_TYPES: Final[tuple[str, ...]] = (BOT, IVR, AGENT, BACK_OFFICE, SYSTEM, CUSTOMER)
SELF_SERVICE: Final[tuple[str, ...]] = (BOT, IVR)

# Channels commonly seen; any other value is allowed.
CHANNELS: Final[tuple[str, ...]] = ("phone", "chat", "email", "bot", "ivr", "back_office", "web", "social")

# A value that may be a phone number (a customer id a phone system writes): a leading +, then digits with
# spaces, dots, dashes, slashes or brackets between them (io.phones reads them in E.164).
PHONE_LIKE: Final = r"^\+?[\d\s().\-/]+$"

# The clock (``input.per_file[].clock``) of a file whose times carry their own UTC offset (``Z``,
# ``+02:00``) or are typed with a zone; otherwise a file's clock is the zone its naive times were read in.
OFFSET_CLOCK: Final = "offset"

# Text that exports write where a value is missing. Read as NULL in every text column (canonical and
# attribute), compared case-insensitively after trimming; a mapping's ``missing_values`` add to them.
# Left as text they become a team called "EMPTY" (receipt), an actor "-" (BPIC 2013) or a customer
# "#N/B" (BPIC 2014: Dutch Excel's #N/A) that findings would count as real. The empty string is always
# missing; the others are counted in ``InputSummary.missing_markers``.
MISSING_MARKERS: Final[tuple[str, ...]] = (
    "",
    "EMPTY",
    "NULL",
    "N/A",
    "n.a.",
    "NA",
    "#N/A",
    "#N/B",
    "-",
    "?",
    "(none)",
    "none",
    "unknown",
    "nan",
)

# --- derived tables (journeys.py builds them; findings and metrics read them) -----------------------------
EVENTS_TABLE: Final = "events"
CONTACTS_TABLE: Final = "contacts"
JOURNEYS_TABLE: Final = "journeys"

# Contact-level columns (table ``contacts``), one row per contact_id.
JOURNEY_ID: Final = "journey_id"
START_TS: Final = "start_ts"
END_TS: Final = "end_ts"
N_EVENTS: Final = "n_events"
HANDLE_S: Final = "handle_s"  # sum of duration_s over the contact's events (NULL when none known)
WORK_S: Final = "work_s"  # seconds of work: handle_s, or estimated from touches when the log has none
ENTRY_CHANNEL: Final = "entry_channel"  # first non-null channel
FINAL_OUTCOME: Final = "final_outcome"  # last non-null outcome
FINAL_QUEUE: Final = "final_queue"  # last non-null queue
FINAL_TEAM: Final = "final_team"  # last non-null team: the owner at close
FIRST_QUEUE: Final = "first_queue"  # first non-null queue: where the contact was routed first
FIRST_TEAM: Final = "first_team"  # first non-null team
N_TRANSFERS: Final = "n_transfers"
IS_TRANSFERRED: Final = "is_transferred"
IS_PING_PONG: Final = "is_ping_pong"
IS_ESCALATED: Final = "is_escalated"
IS_REPORTED_RESOLVED: Final = "is_reported_resolved"  # an event's outcome says resolved (NULL: no outcomes)
IS_ABANDONED: Final = "is_abandoned"
IS_SELF_SERVICE: Final = "is_self_service"  # touched a bot or IVR
IS_HUMAN_HANDLED: Final = "is_human_handled"  # an agent or back-office event (NULL: no actor signal)
IS_CONTAINED: Final = "is_contained"  # reported containment: self-service, outcome contained, no agent
IS_TRUE_CONTAINED: Final = "is_true_contained"  # contained and no contact on any channel within the window
IS_CENSORED: Final = "is_censored"  # ends within the repeat window of the end of the data
HAS_REPEAT: Final = "has_repeat"  # another contact of the same journey follows it
CONTACT_SEQ: Final = "contact_seq"  # 1-based position of the contact within its journey
COST: Final = "cost"  # cost of the contact under the cost model

# Journey-level columns (table ``journeys``), one row per journey_id.
N_CONTACTS: Final = "n_contacts"
IS_RESOLVED: Final = "is_resolved"
IS_FCR: Final = "is_fcr"


def is_canonical(name: str) -> bool:
    """True when ``name`` is a canonical or cxray-internal column (not a kept attribute)."""
    return name in CANONICAL or name in INTERNAL


def fact_condition(column: str) -> str:
    """SQL: a value of ``column`` that says the log carries it (``journeys.LogFacts``, the data-quality
    review): not NULL, and for ``duration_s`` above zero (a column of zeros is an export's empty field, not
    handle times of none: read as handle times it made every cost 0)."""
    return f"{column} > 0" if column == DURATION_S else f"{column} IS NOT NULL"


def route_column(*, has_queue: bool, has_team: bool) -> str | None:
    """The routing entity transfers and handoffs are counted on: queue, else team; None with neither.

    >>> route_column(has_queue=False, has_team=True)
    'team'
    """
    return QUEUE if has_queue else TEAM if has_team else None


def canonical_arrow_schema(attributes: Iterable[str] = ()) -> pa.Schema:
    """The Arrow schema of the canonical ``events`` table (attributes are strings)."""
    fields = [pa.field(CONTACT_ID, pa.string()), pa.field(TIMESTAMP, pa.timestamp("us"))]
    fields.append(pa.field(ACTIVITY, pa.string()))
    fields += [pa.field(name, pa.string()) for name in OPTIONAL_TEXT]
    fields += [pa.field(name, pa.float64()) for name in OPTIONAL_NUMERIC]
    fields += [pa.field(SOURCE_ROW, pa.int64()), pa.field(SOURCE_FILE, pa.string())]
    fields += [pa.field(name, pa.string()) for name in attributes]
    return pa.schema(fields)
