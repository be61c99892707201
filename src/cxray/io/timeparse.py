"""Timestamps as SQL: every accepted text form parsed to a naive UTC TIMESTAMP, or NULL (then rejected).

Tried in order: explicit formats (``--time-format``, the mapping's ``time_formats``); ISO 8601 with or
without offset, ``T`` or space, fractional seconds (an offset converts to UTC, no offset means the
``tz`` zone); then slash/dash/dot dates, day first with ``dayfirst`` (``9-9-2011 9:23``,
``29/2/2016 01:16``), month first otherwise (``3/1/2024 9:00 AM``, ``11-29-2026 17:30``), 12-hour clocks
with or without a space before AM/PM on any of them (``2021-01-01 8:00:00 AM``), two-digit years read as
such (``3/1/24 9:00``: 2024, never the year 24); dates with month names (``Mar 1, 2024 9:00 AM``,
``01-MAR-2024 09:00:00``, ``Nov 29 2026 5:30PM``, ``Thu, 27 Oct 2016 14:51:34``).

Besides strptime formats, an explicit format may be ``epoch``, ``epoch_ms`` or ``epoch_us``: a number of
seconds, milliseconds or microseconds since 1970-01-01 UTC (database dumps and event APIs write them); or
``excel``: an Excel serial date-time, days since 1899-12-30 with the time of day as the fraction
(``45231.5`` is 2023-11-01 12:00), which is how Excel saves a date-time cell formatted "General" as CSV.
A serial is local time, like any naive timestamp (the ``tz`` zone applies); epoch numbers are UTC. A bare
number is never guessed to be either.
"""

from __future__ import annotations

from ..engine import Engine
from ..sql import lit, lit_list

# An offset or Z right after a time of day (a trailing "-01" of a bare date is not an offset).
OFFSET_RE = r"\d:\d\d(:\d\d(\.\d*)?)?\s*(Z|z|[+-]\d\d(:?\d\d)?)$"

_TIMES = ("%H:%M:%S.%f", "%H:%M:%S", "%H:%M")
#: 12-hour clocks, with or without a space before AM/PM (``5:30 PM``, ``05:30:12PM``).
_US_TIMES = ("%I:%M:%S %p", "%I:%M %p", "%I:%M:%S%p", "%I:%M%p")


def _dated(date_parts: tuple[str, ...], times: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{d} {t}" for d in date_parts for t in times) + date_parts


DAYFIRST_FORMATS = _dated(("%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y"), _TIMES + _US_TIMES)
MONTHFIRST_FORMATS = _dated(("%m/%d/%Y", "%m-%d-%Y"), _TIMES + _US_TIMES)
#: Month names as reports write them: Salesforce's "Mar 1, 2024 9:00 AM", "1 March 2024", Oracle's
#: "01-MAR-2024 09:00:00", a phone system's "Nov 29 2026 5:30PM", an e-mail header's (RFC 2822) "Thu, 27
#: Oct 2016 14:51:34" (unambiguous: tried whatever ``dayfirst`` says).
NAMED_FORMATS = (
    _dated(("%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y"), _TIMES + _US_TIMES)
    + _dated(("%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d-%B-%Y"), _TIMES)
    + _dated(("%a, %d %b %Y",), _TIMES)
)
#: Year first: slashes, and ISO dates with a 12-hour clock ("2021-01-01 8:00:00 AM", which the ISO cast
#: does not read).
OTHER_FORMATS = (
    _dated(("%Y/%m/%d",), _TIMES + _US_TIMES) + _dated(("%Y-%m-%d",), _US_TIMES)[:-1] + NAMED_FORMATS
)
#: Two-digit years (Excel's default m/d/yy h:mm, d.m.yy): %y reads 00-68 as 2000-2068, 69-99 as the 1900s.
#: Tried only on a date that ends in exactly two digits, instead of the four-digit-year formats: those read
#: "3/1/24" as the year 24 (%m/%d/%Y) or 3 (%Y/%m/%d), silently, inside the accepted range.
DAYFIRST_SHORT_FORMATS = _dated(("%d-%m-%y", "%d/%m/%y", "%d.%m.%y"), _TIMES)
MONTHFIRST_SHORT_FORMATS = _dated(("%m/%d/%y", "%m-%d-%y"), _TIMES + _US_TIMES)
SHORT_YEAR_RE = r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{2}($|[\sT])"


def instant_to_utc(expr: str) -> str:
    """A TIMESTAMPTZ as naive UTC, from its epoch microseconds: a cast goes through the session's time
    zone (ICU) and took twice as long as the text's parse. Infinity gives NULL (rejected, as it was)."""
    return f"make_timestamp(epoch_us({expr}))"


def local_to_utc(expr: str, tz: str) -> str:
    """A naive TIMESTAMP in zone ``tz`` as naive UTC."""
    if tz == "UTC":
        return expr
    return instant_to_utc(f"timezone({lit(tz)}, {expr})")


def typed_to_utc(expr: str, duck_type: str, tz: str) -> str | None:
    """SQL for a column that already has a time type, or None when it is text to parse."""
    t = duck_type.upper()
    if t in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return instant_to_utc(expr)
    if t.startswith("TIMESTAMP") or t == "DATE":
        return local_to_utc(f"CAST({expr} AS TIMESTAMP)", tz)
    return None


#: The explicit formats that read a number since 1970-01-01 UTC, with microseconds per unit.
EPOCH_FORMATS = {"epoch": 1_000_000, "epoch_ms": 1_000, "epoch_us": 1}
#: Microseconds from 1970 to 10000-01-01: a number past it (either way) is no time (NULL, then rejected).
_EPOCH_LIMIT_US = 253_402_300_800_000_000


def _epoch(expr: str, per_unit: int) -> str:
    """SQL: the number ``expr`` of units (``per_unit`` microseconds each) since 1970 UTC, NULL when it is
    not a plain decimal number or lies past year 9999."""
    us = f"round(TRY_CAST({expr} AS DOUBLE) * {per_unit})"
    return (
        f"CASE WHEN regexp_full_match({expr}, '[+-]?\\d+(\\.\\d*)?') AND abs({us}) < {_EPOCH_LIMIT_US} "
        f"THEN make_timestamp(CAST({us} AS BIGINT)) END"
    )


#: The explicit format that reads an Excel serial date-time (days since 1899-12-30, local time).
EXCEL_FORMAT = "excel"
_DAY_MS = 86_400_000
#: Excel's day 0, 1899-12-30, in milliseconds since 1970.
_EXCEL_ZERO_MS = -25_569 * _DAY_MS
#: Serial 2958466 is 10000-01-01: it and anything past it is no time (NULL, then rejected).
_EXCEL_LIMIT_MS = 2_958_466 * _DAY_MS


def _excel(expr: str) -> str:
    """SQL: the Excel serial date-time ``expr`` (a plain decimal number, point or comma as a locale's Excel
    writes it) as a naive local TIMESTAMP, NULL when it is no serial Excel shows as a date.

    Rounded to the millisecond, all Excel keeps: a binary fraction (``45231.375000000001``) is 09:00, not
    09:00:00.000000086. Excel's 1900 date system counts a 29 February 1900 that never was (serial 60, kept
    from Lotus 1-2-3), so serials 1 to 59 are days since 1899-12-31 (1 is 1900-01-01, as Excel shows it),
    60 names no day and is rejected, and from 61 on they are days since 1899-12-30. Below 1 is a time of
    day without a date (Excel's "1900-01-00"): no timestamp either."""
    ms = f"round(TRY_CAST(replace({expr}, ',', '.') AS DOUBLE) * {_DAY_MS})"

    def since(zero_ms: int) -> str:
        # whole milliseconds as BIGINT before scaling to microseconds: a DOUBLE of 2.5e17 is not exact
        return f"make_timestamp((CAST({ms} AS BIGINT) + {zero_ms}) * 1000)"

    return (
        f"CASE WHEN NOT regexp_full_match({expr}, '\\d+([.,]\\d*)?') THEN NULL "
        f"WHEN {ms} < {_DAY_MS} THEN NULL "
        f"WHEN {ms} < {60 * _DAY_MS} THEN {since(_EXCEL_ZERO_MS + _DAY_MS)} "
        f"WHEN {ms} < {61 * _DAY_MS} THEN NULL "
        f"WHEN {ms} < {_EXCEL_LIMIT_MS} THEN {since(_EXCEL_ZERO_MS)} END"
    )


def fallback_formats(dayfirst: bool) -> tuple[str, ...]:
    """The strptime formats :func:`parse_text` tries when DuckDB's own cast reads nothing, in its order
    (those of a date ending in a two-digit year last)."""
    short = DAYFIRST_SHORT_FORMATS if dayfirst else MONTHFIRST_SHORT_FORMATS
    return (DAYFIRST_FORMATS if dayfirst else MONTHFIRST_FORMATS) + OTHER_FORMATS + short


def parse_text(
    expr: str, *, tz: str, dayfirst: bool, formats: tuple[str, ...] = (), likely: str | None = None
) -> str:
    """SQL parsing text ``expr`` (already trimmed) to a naive UTC TIMESTAMP, NULL when nothing fits.

    ``likely``: one of :func:`fallback_formats`, the one a file's times are written in
    (:func:`likely_format`), tried before the others. Trying the whole list costs microseconds a value
    (1M ``01/03/2024 08:00:00``: 6.2 s, the one format 0.06 s), and no text two formats of the list
    read differently: a value it reads is the value the list reads, so the result is the same.
    """
    parts = []
    for f in formats:
        if f.lower() in EPOCH_FORMATS:
            parts.append(_epoch(expr, EPOCH_FORMATS[f.lower()]))
        elif f.lower() == EXCEL_FORMAT:
            parts.append(local_to_utc(_excel(expr), tz))
    formats = tuple(f for f in formats if f.lower() not in EPOCH_FORMATS and f.lower() != EXCEL_FORMAT)
    with_zone = tuple(f for f in formats if "%z" in f or "%Z" in f)
    naive = tuple(f for f in formats if f not in with_zone)
    if with_zone:
        parts.append(instant_to_utc(f"try_strptime({expr}, {lit_list(with_zone)})"))
    if naive:
        parts.append(local_to_utc(f"try_strptime({expr}, {lit_list(naive)})", tz))
    with_offset = rf"regexp_replace({expr}, '\s+([+-]\d\d:?\d\d|Z)$', '\1')"
    sniffed = []
    if tz == "UTC":
        sniffed.append(instant_to_utc(f"TRY_CAST({expr} AS TIMESTAMPTZ)"))
        sniffed.append(instant_to_utc(f"TRY_CAST({with_offset} AS TIMESTAMPTZ)"))
    else:
        # DuckDB's TIMESTAMP cast reads a time and ignores whatever follows it: "8:07:09 PM" was 08:07,
        # "08:07 EST" the zone's 08:07. Only a text ending in a digit is a naive local time; any other is
        # asked of the TIMESTAMPTZ cast, as in UTC: a zone's name gives its instant, AM/PM and the rest
        # go on to the formats.
        sniffed.append(
            f"CASE WHEN regexp_matches({expr}, {lit(OFFSET_RE)}) "
            f"THEN {instant_to_utc(f'TRY_CAST({with_offset} AS TIMESTAMPTZ)')} "
            f"WHEN right({expr}, 1) BETWEEN '0' AND '9' "
            f"THEN {local_to_utc(f'TRY_CAST({expr} AS TIMESTAMP)', tz)} "
            f"ELSE {instant_to_utc(f'TRY_CAST({expr} AS TIMESTAMPTZ)')} END"
        )
    fallback = (DAYFIRST_FORMATS if dayfirst else MONTHFIRST_FORMATS) + OTHER_FORMATS
    sniffed.append(local_to_utc(f"try_strptime({expr}, {lit_list(fallback)})", tz))
    # A date ending in a two-digit year is read as one, and by nothing else: DuckDB's own cast reads
    # "3/1/24" as year 3, January 24 (and %m/%d/%Y as the year 24), inside the accepted range
    short = DAYFIRST_SHORT_FORMATS if dayfirst else MONTHFIRST_SHORT_FORMATS
    shorts = [local_to_utc(f"try_strptime({expr}, {lit_list(short)})", tz)]
    if likely is not None:  # first in its own branch: DuckDB's casts read no text the fallbacks read
        first = local_to_utc(f"try_strptime({expr}, {lit(likely)})", tz)
        (shorts if likely in short else sniffed).insert(0, first)
    parts.append(
        f"CASE WHEN regexp_matches({expr}, {lit(SHORT_YEAR_RE)}) "
        f"THEN COALESCE({', '.join(shorts)}) "
        f"ELSE COALESCE({', '.join(sniffed)}) END"
    )
    return f"COALESCE({', '.join(parts)})"


#: Rows of a sample all of :func:`fallback_formats` are tried on (each then counted on the whole sample).
_FIRST_ROWS = 100


def likely_format(engine: Engine, texts: str, *, dayfirst: bool) -> str | None:
    """The one of :func:`fallback_formats` that reads the most of ``texts`` (a query of one text column:
    a file's first times, trimmed, not empty), when it reads at least half of them; None when DuckDB's
    own cast reads half (ISO times: the fast path already) or no format does. Texts ending in a two-digit
    year are tried on the two-digit formats only, as :func:`parse_text` reads them (DuckDB's cast, and
    ``%Y``, take ``01-03-24`` for a date of the years 1 or 24).

    Every format is tried on the first :data:`_FIRST_ROWS` texts, the best then counted on all of them:
    about 0.02 s, where all of them on 1,000 texts took 0.15 s.
    """
    is_short = f"regexp_matches(x, {lit(SHORT_YEAR_RE)})"
    n, cast, short = engine.fetchall(
        f"SELECT count(*), count(TRY_CAST(x AS TIMESTAMP)) FILTER (NOT {is_short}), "
        f"count(*) FILTER ({is_short}) FROM ({texts}) t(x)"
    )[0]
    if not n or cast * 2 >= n:
        return None
    shorts = DAYFIRST_SHORT_FORMATS if dayfirst else MONTHFIRST_SHORT_FORMATS
    candidates = shorts if short * 2 >= n else fallback_formats(dayfirst)[: -len(shorts)]
    counts = engine.fetchall(
        "SELECT "
        + ", ".join(f"count(try_strptime(x, {lit(f)}))" for f in candidates)
        + f" FROM (SELECT * FROM ({texts}) t(x) LIMIT {_FIRST_ROWS})"
    )[0]
    best = max(range(len(candidates)), key=lambda i: (counts[i], -i))
    if not counts[best]:
        return None
    read = engine.scalar(f"SELECT count(try_strptime(x, {lit(candidates[best])})) FROM ({texts}) t(x)")
    return candidates[best] if read * 2 >= n else None
