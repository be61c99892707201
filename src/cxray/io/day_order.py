"""Which way round a file's numeric dates are: day first (``05/03/2024`` is 5 March) or month first (3 May).

Nothing in ``05/03/2024`` says which, and reading it the wrong way round is no error: every date up to the
12th of a month is a date either way. Before staging, :func:`numeric_dates` says whether a file's times
are numeric dates at all, from the format its first rows are written in (``canonical.time_format``); after
staging, two checks stop a run that read one the wrong way round:

- :func:`check_rejected`: a rejected date whose first part can only be a day (``14/01``) says the file is
  day first, and the dates up to the 12th were read with day and month swapped.
- :func:`check_staged`: when no date of a file has a part past 12, the dates cannot tell, but how they
  spread can. A week of day-first dates (1 to 7 March) read month first falls on the 3rd of seven months,
  January to July; read day first, on seven days in a row. A contact centre's export covers days in a row
  (or its working days), so the reading that scatters the same dates over months is the wrong one. When
  the spread cannot tell (one day's export), the run's other files may: a CRM's one day that shares no day
  with the phone system's calls as read, and falls on theirs the other way round. When neither tells, the
  file is read as asked and the data-quality review says so (``ambiguous_dates``).

Both are asked only of files read without an explicit time format (``--time-format`` says the order). The
staged dates are the parsed times taken back to each file's own clock: no second read of the file (its
1M rows' date column read again took 0.6 s).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from .. import schema as S
from ..engine import Engine
from ..errors import InputError
from ..sql import ident, integer, lit
from .canonical import COLUMN, FILE, REASON, STAGE, VALUE
from .mapping import Mapping
from .options import ReadOptions
from .plan import FilePlan
from .timeparse import (
    DAYFIRST_FORMATS,
    DAYFIRST_SHORT_FORMATS,
    MONTHFIRST_FORMATS,
    MONTHFIRST_SHORT_FORMATS,
)

#: A numeric date's first two parts and its year: ``14/01/2025``, ``14-01-25 13:26``, ``14.01.2025``.
NUMERIC_DATE: Final = r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})\b"
#: The share of the days between a reading's first and last date with data, at least, for the reading to
#: count as days in a row (a centre closed at weekends has 5 of 7)...
DENSE: Final = 0.5
#: ...and how many times denser than the other reading it must be to settle the order.
DENSER: Final = 4

DAY_FIRST: Final = "day first"
MONTH_FIRST: Final = "month first"


@dataclass(frozen=True)
class DayOrder:
    """How one file's numeric dates were read (``FileCounts.day_order``, ``FileCounts.dates_ambiguous``).

    ``zone``: the clock its naive times were read in (its dates are that clock's). ``ambiguous``: every
    date reads either way and nothing says which, so the order is the one asked (``--dayfirst``, else
    month first); settled by :func:`check_staged`."""

    order: str
    zone: str = "UTC"
    ambiguous: bool = False
    column: str | None = None  # the column the dates are read from
    separator: str = "/"  # between their day, month and year


@dataclass(frozen=True)
class _Spread:
    dates: int
    days: int  # from the first date to the last, both counted
    first: date
    last: date

    @property
    def density(self) -> float:
        return self.dates / self.days

    def text(self) -> str:
        return f"{self.dates:,} date(s) over {self.days:,} day(s), {self.first} to {self.last}"


def _spread(dates: frozenset[date]) -> _Spread:
    lo, hi = min(dates), max(dates)
    return _Spread(len(dates), (hi - lo).days + 1, lo, hi)


def _date_column(plan: FilePlan, mapping: Mapping) -> str | None:
    """The text column the file's dates are read from: the timestamp's, or a wide layout's first event's
    date (else its time) column; None when the times are typed or constant."""
    if mapping.events:
        event = mapping.events[0]
        spec: object = event.date or event.timestamp
    else:
        spec = plan.specs.get(S.TIMESTAMP)
    if isinstance(spec, tuple) and spec:
        spec = spec[0]  # a date column joined to a time column: the date comes first
    if not isinstance(spec, str) or spec not in plan.types:
        return None
    duck_type = plan.types[spec].upper()
    return spec if duck_type.startswith(("VARCHAR", "TEXT", "STRING")) else None


def numeric_dates(plan: FilePlan, options: ReadOptions) -> DayOrder | None:
    """The order ``plan``'s dates are read in when its times are numeric dates: the format most of them
    are written in (``FilePlan.time_format``, from its first rows) is one of the reader's day-first or
    month-first ones. None when they are not (ISO, typed, epoch numbers, month names), or an explicit
    format or the file's reader gives them (no format was looked for then)."""
    fmt = plan.time_format
    if fmt is None or fmt not in _NUMERIC_FORMATS:
        return None
    return DayOrder(
        DAY_FIRST if options.effective_dayfirst else MONTH_FIRST,
        zone=options.effective_tz,
        column=_date_column(plan, options.mapping or Mapping()),
        separator=fmt[2],  # "%d/%m/%Y ..."
    )


#: The reader's formats of numeric dates, either way round (``timeparse.fallback_formats``).
_NUMERIC_FORMATS: Final = frozenset(
    DAYFIRST_FORMATS + MONTHFIRST_FORMATS + DAYFIRST_SHORT_FORMATS + MONTHFIRST_SHORT_FORMATS
)


def check_staged(engine: Engine, plans: list[FilePlan]) -> None:
    """Settle each numeric-date file's order from its staged dates (``FilePlan.day_order``: ``ambiguous``
    set when nothing tells), or raise :class:`~cxray.errors.InputError` when the spread, or for a file the
    spread cannot tell the run's other files, say the other order (module docstring). Call after
    :func:`check_rejected`, which names a date past the 12th that only the other order reads."""
    asked = [p for p in plans if p.day_order is not None]
    if not asked:
        return
    dated = _staged_dates(engine, {p.index: p.day_order.zone for p in asked if p.day_order})
    unsure = []
    for plan in asked:
        order, dates = plan.day_order, dated.get(plan.index, frozenset())
        assert order is not None
        if not dates or any(d.day > 12 for d in dates) or all(d.day == d.month for d in dates):
            continue  # a part past 12 read as a day tells, or both orders read the same dates
        flipped = frozenset(date(d.year, d.day, d.month) for d in dates)
        read, other = _spread(dates), _spread(flipped)
        if read.dates >= 2 and other.density >= DENSE and other.density >= DENSER * read.density:
            raise _scattered(plan, order, read, other)
        if not (read.dates >= 2 and read.density >= DENSE and read.density >= DENSER * other.density):
            unsure.append((plan, dates, flipped))
    others = [p.index for p in plans if all(p is not u for u, _, _ in unsure)]
    days = _days_around(engine, others) if unsure and others else set()
    for plan, dates, flipped in unsure:
        order = plan.day_order
        assert order is not None
        if days and not dates & days and len(flipped & days) * 2 >= len(flipped):
            raise _apart(plan, order, dates, flipped)
        plan.day_order = dataclasses.replace(order, ambiguous=True)


def _staged_dates(engine: Engine, zones: dict[int, str]) -> dict[int, frozenset[date]]:
    """Each file's distinct dates as its text wrote them: the staged UTC times in the file's own clock."""
    ts = ident(S.TIMESTAMP)
    local = " ".join(
        f"WHEN {integer(i)} THEN "
        + (ts if zone == "UTC" else f"timezone({lit(zone)}, {ts} AT TIME ZONE 'UTC')")
        for i, zone in zones.items()
    )
    out: dict[int, set[date]] = {}
    for f, d in engine.fetchall(
        f"""SELECT DISTINCT {FILE}, CAST(CASE {FILE} {local} END AS DATE) FROM {STAGE}
            WHERE {REASON} IS NULL AND {FILE} IN ({", ".join(map(str, zones))})"""
    ):
        out.setdefault(int(f), set()).add(d)
    return {f: frozenset(ds) for f, ds in out.items()}


def _days_around(engine: Engine, files: list[int]) -> set[date]:
    """The days of ``files``' staged rows, a day either side (their times are UTC, another file's dates
    its own clock's)."""
    rows = engine.fetchall(
        f"SELECT DISTINCT CAST({ident(S.TIMESTAMP)} AS DATE) FROM {STAGE} "
        f"WHERE {REASON} IS NULL AND {FILE} IN ({', '.join(map(str, files))})"
    )
    return {d + timedelta(days=shift) for (d,) in rows for shift in (-1, 0, 1)}


def _other(order: str) -> str:
    return DAY_FIRST if order == MONTH_FIRST else MONTH_FIRST


def _fix(order: str) -> str:
    return "Drop --dayfirst" if order == DAY_FIRST else "Add --dayfirst (or dayfirst: true in the mapping)"


def _scattered(plan: FilePlan, order: DayOrder, read: _Spread, other: _Spread) -> InputError:
    sep = order.separator
    fmt = f"%d{sep}%m{sep}%Y %H:%M" if order.order == DAY_FIRST else f"%m{sep}%d{sep}%Y %H:%M"
    return InputError(
        f"every date reads day first or month first alike (none has a part past 12), and read {order.order} "
        f"they scatter: {read.text()}; read {_other(order.order)} they are days in a row: {other.text()}. "
        f"{_fix(order.order)}, or, if {order.order} is right, give the format with --time-format "
        f"(e.g. {fmt!r})",
        path=plan.source.path,
        column=order.column,
    )


def _apart(plan: FilePlan, order: DayOrder, dates: frozenset[date], flipped: frozenset[date]) -> InputError:
    return InputError(
        f"every date reads day first or month first alike (none has a part past 12), and read {order.order} "
        f"({_listed(dates)}) they share no day with the other files; read {_other(order.order)} "
        f"({_listed(flipped)}) they fall on their days. {_fix(order.order)} (it reads only numeric dates), "
        "or give the format with --time-format",
        path=plan.source.path,
        column=order.column,
    )


def _listed(dates: frozenset[date]) -> str:
    shown = sorted(dates)
    return ", ".join(map(str, shown[:3])) + (f" and {len(shown) - 3:,} more" if len(shown) > 3 else "")


def check_rejected(engine: Engine, plans: list[FilePlan], per_file: list[ReadOptions]) -> None:
    """Stop a run that reads numeric dates in the wrong order. Read month first, ``14/01/2025`` is no
    date (rejected) while ``08/01/2025`` is read as 1 August: a few rejected rows and the rest silently
    months off. A rejected timestamp whose first part can only be a day (13-31, the second a month) says
    the column is day first; with ``--dayfirst``, one whose second part can only be a day says it is
    month first. Asked only of a run with rejected rows, of the files read with no explicit time format
    (each in its own mapping's order)."""
    for dayfirst in (False, True):
        files = [p.index for p, o in zip(plans, per_file, strict=True)
                 if not o.time_formats and o.effective_dayfirst == dayfirst]  # fmt: skip
        if files:
            _check_files(engine, plans, files, dayfirst=dayfirst)


def _check_files(engine: Engine, plans: list[FilePlan], files: list[int], *, dayfirst: bool) -> None:
    first, second = (
        f"TRY_CAST(regexp_extract({VALUE}, {lit(NUMERIC_DATE)}, {k}) AS INTEGER)" for k in (1, 2)
    )
    day, month = (second, first) if dayfirst else (first, second)
    rows = engine.rows(
        f"""SELECT {FILE} AS f, {COLUMN} AS col, {VALUE} AS value, source_row, {day} AS day,
                   count(*) OVER () AS n
            FROM {STAGE}
            WHERE {REASON} = 'bad_timestamp' AND {FILE} IN ({", ".join(map(str, files))})
              AND regexp_matches({VALUE}, {lit(NUMERIC_DATE)})
              AND {day} BETWEEN 13 AND 31 AND {month} BETWEEN 1 AND 12
            ORDER BY f, source_row LIMIT 1"""
    )
    if not rows:
        return
    r = rows[0]
    order, read, fix = ("month", "day", "drop --dayfirst") if dayfirst else ("day", "month", "add --dayfirst")
    raise InputError(
        f"{r['n']:,} timestamp(s) such as {r['value']!r} are {order} first ({r['day']} is no month): read "
        f"{read} first, every date up to the 12th of a month has its day and month swapped; {fix}"
        + ("" if dayfirst else " (or dayfirst: true in the mapping)"),
        path=next(p.source.path for p in plans if p.index == r["f"]),
        row=r["source_row"],
        column=r["col"],
    )
