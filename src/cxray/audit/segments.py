"""Who got the change and when: the pilot and control segments, the before and after periods.

An audit compares contacts, so each contact of ``contacts`` gets three labels in the table
``audit_contacts`` (every column of ``contacts``, plus):

- ``audit_group``: ``pilot`` when any of the contact's events has the pilot segment's value (a contact
  that touched the pilot queue once lived through the change); else ``control`` when any has the control
  segment's value, or, without a control segment, every other contact; NULL for a contact in neither.
  A contact in both segments is pilot: it met the change, so it cannot show life without it.
- ``audit_period``: ``after`` when the contact started at or after the change (``--change-date``, a
  UTC instant; a date is its midnight), else ``before``; with two logs (``--before``/``--after``) the log
  its first event came from decides.
- ``audit_week``: whole ISO weeks (Monday to Sunday) since the week of the first contact, 0-based: the
  clock of the parallel-trends check.

A segment is written ``COLUMN=VALUE`` (``queue=Q-Billing``, ``team=Care``): the column is a canonical text
column (``queue``, ``team``, ``channel``, ``reason``, ``actor``, ``actor_type``, ``outcome``,
``activity``) or a kept attribute of the log, compared exactly.

>>> parse_segment("queue=Q-Billing").describe()
'queue=Q-Billing'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Final

from .. import schema as S
from ..engine import Engine
from ..errors import ConfigError
from ..sql import ident, in_list

__all__ = [
    "AUDIT_CONTACTS",
    "AUDIT_GROUP",
    "AUDIT_PERIOD",
    "AUDIT_WEEK",
    "GroupCount",
    "Segment",
    "SegmentSummary",
    "assign_segments",
    "change_instant",
    "parse_segment",
]

#: The table :func:`assign_segments` creates, and its three added columns.
AUDIT_CONTACTS: Final = "audit_contacts"
AUDIT_GROUP: Final = "audit_group"
AUDIT_PERIOD: Final = "audit_period"
AUDIT_WEEK: Final = "audit_week"

# Canonical columns a segment may name: the text columns an operation is organised by. Ids and times are
# not segments; a kept attribute of the log is also accepted.
_SEGMENT_COLUMNS: Final = (S.ACTIVITY, *(c for c in S.OPTIONAL_TEXT if c != S.CUSTOMER_ID))


@dataclass(frozen=True)
class Segment:
    """A set of contacts: those with an event whose ``column`` equals ``value``."""

    column: str
    value: str
    option: str = "--pilot"  # the option it came from, named in errors

    def describe(self) -> str:
        return f"{self.column}={self.value}"


def parse_segment(spec: str | Segment, *, option: str = "--pilot") -> Segment:
    """``COLUMN=VALUE`` as a :class:`Segment`; a malformed spec is a ``ConfigError`` naming it.

    The column is checked against the log in :func:`assign_segments`, where its columns are known.
    """
    if isinstance(spec, Segment):
        return spec
    column, sep, value = str(spec).partition("=")
    if not sep or not column.strip() or not value.strip():
        raise ConfigError(
            f"{option} expects COLUMN=VALUE (e.g. queue=Q-Billing), got {spec!r}; COLUMN is one of "
            f"{', '.join(_SEGMENT_COLUMNS)} or an attribute of the log"
        )
    return Segment(column.strip(), value.strip(), option)


def change_instant(value: date | datetime | str) -> datetime:
    """The change as a naive UTC instant (the engine's timestamps): a date is its midnight; a string is
    ISO 8601 (``2026-03-16`` or ``2026-03-16T12:00``); an aware datetime is converted to UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ConfigError(f"--change-date expects a date such as 2026-03-16, got {value!r}") from None
    if not isinstance(value, datetime):
        return datetime.combine(value, time())
    if value.tzinfo is not None:
        from datetime import UTC

        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


@dataclass(frozen=True)
class GroupCount:
    """Contacts and customers of one group in one period."""

    group: str
    period: str
    contacts: int
    customers: int


@dataclass(frozen=True)
class SegmentSummary:
    """How the contacts fell into groups and periods (``audit.json``'s ``segments``)."""

    pilot: str
    control: str | None  # None: every contact not in the pilot
    change: str  # the change date, or "two logs"
    cells: tuple[GroupCount, ...]
    in_both: int  # contacts matching both segments, counted as pilot
    in_neither: int  # contacts outside both segments (only with a control segment)

    def contacts(self, group: str, period: str) -> int:
        return sum(c.contacts for c in self.cells if c.group == group and c.period == period)


def _check_column(engine: Engine, seg: Segment) -> str:
    """The events column a segment names (exact, else the one canonical or attribute name equal to it
    ignoring case); anything else is a ``ConfigError`` naming the spec."""
    columns = [c for c in engine.columns(S.EVENTS_TABLE) if c not in S.INTERNAL]
    allowed = [c for c in columns if c in _SEGMENT_COLUMNS or not S.is_canonical(c)]
    if seg.column in allowed:
        return seg.column
    folded = [c for c in allowed if c.lower() == seg.column.lower()]
    if len(folded) == 1:
        return folded[0]
    why = "is not a segment column" if seg.column in columns else "is not a column of the log"
    raise ConfigError(
        f"{seg.option} {seg.describe()}: {seg.column!r} {why}; expected one of {', '.join(allowed)}"
    )


def _members(engine: Engine, seg: Segment, param: str) -> str:
    """SQL selecting the contact ids of a segment; its value is the numbered parameter ``param``."""
    column = _check_column(engine, seg)
    return (
        f"SELECT DISTINCT {S.CONTACT_ID} FROM {S.EVENTS_TABLE} "
        f"WHERE CAST({ident(column)} AS VARCHAR) = {param}"
    )


def assign_segments(
    engine: Engine,
    *,
    pilot: Segment,
    control: Segment | None,
    change_at: datetime | None = None,
    after_files: Sequence[str] = (),
) -> SegmentSummary:
    """Create ``audit_contacts`` from ``contacts`` and ``events`` (labels: module docstring).

    Exactly one of ``change_at`` (the change instant) and ``after_files`` (the ``source_file`` names of
    the after log) decides the period. A pilot or control that matches no contact is a ``ConfigError``
    saying so (a misspelt queue would otherwise audit nothing), as is a period with no contact.
    """
    if (change_at is None) == (not after_files):
        raise ConfigError("audit: give either a change date or the after log's files, not both or neither")
    # Numbered parameters ($1 the pilot's value, then the control's, then the change instant): the SQL
    # does not use them in the order they are given.
    params: list[object] = [pilot.value]
    pilot_sql = _members(engine, pilot, "$1")
    if control is not None:
        params.append(control.value)
        control_sql = _members(engine, control, "$2")
        grouping = (
            f"CASE WHEN p.{S.CONTACT_ID} IS NOT NULL THEN 'pilot' "
            f"WHEN c.{S.CONTACT_ID} IS NOT NULL THEN 'control' END"
        )
        join_control = f"LEFT JOIN ({control_sql}) c ON c.{S.CONTACT_ID} = k.{S.CONTACT_ID}"
    else:
        grouping = f"CASE WHEN p.{S.CONTACT_ID} IS NOT NULL THEN 'pilot' ELSE 'control' END"
        join_control = ""
    if change_at is not None:
        params.append(change_at)
        period = f"CASE WHEN k.{S.START_TS} >= ${len(params)} THEN 'after' ELSE 'before' END"
        first_file = ""
    else:
        period = f"CASE WHEN f.first_file IN {in_list(after_files)} THEN 'after' ELSE 'before' END"
        first_file = (
            f"LEFT JOIN (SELECT {S.CONTACT_ID}, "
            f"arg_min({S.SOURCE_FILE}, ({S.TIMESTAMP}, {S.SOURCE_FILE})) AS first_file "  # ties: by name
            f"FROM {S.EVENTS_TABLE} GROUP BY {S.CONTACT_ID}) f ON f.{S.CONTACT_ID} = k.{S.CONTACT_ID}"
        )
    in_both = "FALSE"
    if control is not None:
        in_both = f"p.{S.CONTACT_ID} IS NOT NULL AND c.{S.CONTACT_ID} IS NOT NULL"
    engine.execute(
        f"""
        CREATE OR REPLACE TABLE {AUDIT_CONTACTS} AS
        SELECT k.*,
               {grouping} AS {AUDIT_GROUP},
               {period} AS {AUDIT_PERIOD},
               CAST(date_diff('week', w.w0, date_trunc('week', k.{S.START_TS})) AS INTEGER) AS {AUDIT_WEEK},
               ({in_both}) AS _cxray_in_both
        FROM {S.CONTACTS_TABLE} k
        LEFT JOIN ({pilot_sql}) p ON p.{S.CONTACT_ID} = k.{S.CONTACT_ID}
        {join_control}
        {first_file}
        CROSS JOIN (SELECT date_trunc('week', min({S.START_TS})) AS w0 FROM {S.CONTACTS_TABLE}) w
        """,
        params,
    )
    in_both_n = int(engine.scalar(f"SELECT count_if(_cxray_in_both) FROM {AUDIT_CONTACTS}") or 0)
    engine.execute(f"ALTER TABLE {AUDIT_CONTACTS} DROP COLUMN _cxray_in_both")
    rows = engine.rows(
        f"""
        SELECT {AUDIT_GROUP} AS g, {AUDIT_PERIOD} AS p, count(*) AS n,
               count(DISTINCT coalesce({S.CUSTOMER_ID}, {S.CONTACT_ID})) AS customers
        FROM {AUDIT_CONTACTS} GROUP BY ALL ORDER BY g DESC NULLS LAST, p
        """
    )
    cells = tuple(
        GroupCount(r["g"], r["p"], int(r["n"]), int(r["customers"])) for r in rows if r["g"] is not None
    )
    neither = sum(int(r["n"]) for r in rows if r["g"] is None)
    change = "two logs" if change_at is None else change_at.isoformat(sep=" ")
    summary = SegmentSummary(
        pilot.describe(), None if control is None else control.describe(), change, cells, in_both_n, neither
    )
    for seg, group in ((pilot, "pilot"), (control, "control")):
        if seg is None and group == "control" and not any(c.group == "control" for c in cells):
            raise ConfigError(f"{pilot.option} {pilot.describe()} matches every contact: no control is left")
        if seg is not None and not any(c.group == group for c in cells):
            raise ConfigError(
                f"{seg.option} {seg.describe()} matches no contact"
                + (" outside the pilot" if group == "control" and in_both_n else "")
                + f": no event has {seg.column} = {seg.value!r}"
            )
    for period in ("before", "after"):
        if not any(c.period == period for c in cells):
            raise ConfigError(
                f"no contact of the pilot or control falls {period} the change ({change}): "
                "check the change date against the log's time span"
            )
    return summary
