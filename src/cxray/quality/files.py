"""The data-quality guards that compare the files of a run: two systems' exports that disagree.

Each file of a run over several systems' exports (a phone platform's, a chat tool's, a CRM's) can be
right alone and wrong beside the others: its customer ids written another way (``unlinked_files``), its
clock another zone (``clock_offsets``), its times dates only (``dates_only``), its events another
export's again (``overlapping_files``). None is an error in a file; each makes journeys that cross the
files wrong without a word. :func:`cxray.quality.review_journeys` runs these for a run over several
files; each is told with the option that fixes it, never acted on.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from .. import schema as S
from ..engine import Engine
from ..sql import ident

if TYPE_CHECKING:
    from . import DataQuality


#: Files with at least this many customers each are compared for shared customers.
LINKED_MIN_CUSTOMERS: Final = 20


def unlinked_files(engine: Engine, dq: DataQuality) -> None:
    """Two files (two systems' exports) with customers that share almost none (under 1% of the smaller
    file's): a journey never crosses between them, so a bot's 'contained' chat followed by a call, or a
    call followed by an email, is two first contacts. Most often the customer id is another kind of value
    in each (an email against a phone number) or written differently (``07700 900123``, ``+447700900123``):
    told with an id of each. Files split by date from one system share their repeat customers."""
    customers = f"{S.EVENTS_TABLE} WHERE {S.CUSTOMER_ID} IS NOT NULL"
    files = engine.fetchall(
        f"""SELECT CAST({S.SOURCE_FILE} AS VARCHAR) AS f, count(DISTINCT {S.CUSTOMER_ID}) AS n,
                   min({S.CUSTOMER_ID}) AS example
            FROM {customers} GROUP BY ALL HAVING n >= {LINKED_MIN_CUSTOMERS} ORDER BY f"""
    )
    if len(files) < 2:
        return
    shared = {
        (a, b): int(n)
        for a, b, n in engine.fetchall(
            f"""WITH c AS (
                    SELECT DISTINCT CAST({S.SOURCE_FILE} AS VARCHAR) AS f, {S.CUSTOMER_ID} FROM {customers}
                )
                SELECT x.f, y.f, count(*) FROM c x JOIN c y USING ({S.CUSTOMER_ID}) WHERE x.f < y.f
                GROUP BY ALL"""
        )
    }
    unlinked = []
    for i, (a, na, ea) in enumerate(files):
        for b, nb, eb in files[i + 1 :]:
            n = shared.get((a, b), 0)
            if n < 0.01 * min(na, nb):
                unlinked.append((a, b, n, min(na, nb), ea, eb))
    if not unlinked:
        return
    phones = any(re.match(S.PHONE_LIKE, str(e)) for _, _, _, _, ea, eb in unlinked for e in (ea, eb))
    dq.warn(
        "unlinked_files",
        f"{len(unlinked):,} pair(s) of files share almost no customer id, so no journey crosses between "
        f"them (a chat followed by a call counts as two first contacts; repeats, FCR and true containment "
        f"miss them): {'; '.join(f'{a} and {b} share {n:,} of {m:,}' for a, b, n, m, _, _ in unlinked)}. "
        "Is the customer id the same kind of value, written the same way, in each (an email against a "
        "phone number, '07700 900123' against '+447700900123')? Map the column that is, or make them alike"
        + (" (phone numbers: --phone-region COUNTRY writes them alike)" if phones else ""),
        len(unlinked),
        [f"{Path(a).name}: {ea!r}; {Path(b).name}: {eb!r}" for a, b, _, _, ea, eb in unlinked[:5]],
    )


#: Customer ids of one file that match another file's only without their leading zeros, at least this many
#: and this share of the file's ids that have leading zeros, make it told (``leading_zeros``).
ZEROS_MIN: Final = 10
ZEROS_SHARE: Final = 0.05


def leading_zeros(engine: Engine, dq: DataQuality) -> None:
    """Customer ids one file writes with leading zeros (``0079123``, ``07911 123456``) that another file
    has only without them (``79123``): a spreadsheet read the other export's ids as numbers and dropped
    the zeros, so those customers' journeys never cross the two files (a call and the CRM case it opened
    are two first contacts). ``unlinked_files`` sees it only when almost no id matches; this counts the
    ids the zeros alone keep apart."""
    f, cid = f"CAST({S.SOURCE_FILE} AS VARCHAR)", S.CUSTOMER_ID
    # only the ids with a leading zero, and the ids they could be without it: at 10M events in two files
    # every file's distinct ids took 0.7 s, these 0.23 s (none with a zero) to 0.45 s
    rows = engine.rows(
        f"""WITH z AS (
                SELECT DISTINCT {f} AS f, {cid} AS id, ltrim({cid}, '0') AS bare
                FROM {S.EVENTS_TABLE} WHERE starts_with({cid}, '0')),
            c AS (
                SELECT DISTINCT {f} AS f, {cid} AS id FROM {S.EVENTS_TABLE}
                WHERE {cid} IN (SELECT bare FROM z) OR {cid} IN (SELECT id FROM z)),
            zeros AS (SELECT f, count(*) AS n FROM z GROUP BY f)
            SELECT z.f AS zeros, o.f AS other, count(*) AS n, any_value(zeros.n) AS of,
                   min(z.id) AS example, min(z.bare) AS bare
            FROM z JOIN c o ON o.id = z.bare AND o.f <> z.f JOIN zeros ON zeros.f = z.f
            WHERE z.bare <> '' AND NOT EXISTS (SELECT 1 FROM c x WHERE x.f = o.f AND x.id = z.id)
            GROUP BY ALL ORDER BY n DESC, zeros, other"""
    )
    found = [r for r in rows if r["n"] >= ZEROS_MIN and r["n"] >= ZEROS_SHARE * r["of"]]
    if not found:
        return
    phones = any(re.match(S.PHONE_LIKE, str(r["example"])) for r in found)
    dq.warn(
        "leading_zeros",
        "customer ids match across files only without their leading zeros: "
        + "; ".join(
            f"{r['n']:,} of {Path(r['zeros']).name}'s (as {r['example']!r}) are {Path(r['other']).name}'s "
            f"without them ({r['bare']!r})"
            for r in found
        )
        + ". A spreadsheet read one export's ids as numbers and dropped the zeros, so those customers' "
        "journeys never cross the files; export the id column as text"
        + (" (phone numbers: --phone-region COUNTRY writes both alike)" if phones else ""),
        sum(int(r["n"]) for r in found),
        [f"{Path(r['zeros']).name}: {r['example']!r}; {Path(r['other']).name}: {r['bare']!r}" for r in found],
    )


#: Events of later files that repeat an earlier file's on every canonical column, at least this many and
#: ``OVERLAP_SHARE`` of the events, make the files told as overlapping.
OVERLAP_MIN: Final = 10
OVERLAP_SHARE: Final = 0.001


def overlapping_files(engine: Engine, dq: DataQuality) -> None:
    """Events of two files equal on every canonical column (contact, time, step, customer, channel,
    queue, team, actor, outcome, duration...), their other columns aside: overlapping exports (two weeks'
    files that share a day, an export run again, each with its export time or row number), whose
    repeated events exact-duplicate dropping keeps. Counted twice, a contact repeats its steps (a loop,
    rework), its handle time doubles and the overlap's days weigh double. Told with ``--drop-overlap``.
    Only contacts with events in several files are compared."""
    key = ", ".join(ident(c) for c in S.CANONICAL)
    f = f"CAST({S.SOURCE_FILE} AS VARCHAR)"
    pairs = engine.fetchall(
        f"""WITH shared AS (
                SELECT {S.CONTACT_ID} FROM {S.EVENTS_TABLE} GROUP BY 1 HAVING min({f}) < max({f})
            ), twins AS (
                SELECT min({f}) AS a, max({f}) AS b, count(DISTINCT {f}) - 1 AS extra,
                       min({S.CONTACT_ID}) AS c
                FROM {S.EVENTS_TABLE} WHERE {S.CONTACT_ID} IN (SELECT {S.CONTACT_ID} FROM shared)
                GROUP BY {key} HAVING count(DISTINCT {f}) > 1
            )
            SELECT a, b, sum(extra) AS n, min(c) FROM twins GROUP BY a, b ORDER BY n DESC, a, b"""
    )
    total = sum(int(n) for _, _, n, _ in pairs)
    events = int(engine.scalar(f"SELECT count(*) FROM {S.EVENTS_TABLE}"))
    if total < max(OVERLAP_MIN, OVERLAP_SHARE * events):
        return
    told = "; ".join(f"{Path(b).name} repeats {int(n):,} of {Path(a).name}'s" for a, b, n, _ in pairs[:5])
    dq.warn(
        "overlapping_files",
        f"{total:,} event(s) of one file repeat another file's on every mapped column, only their other "
        f"columns differ ({told}): overlapping exports (two periods' files sharing a day, an export run "
        "again with its export time or row number) keep them, as no exact duplicate, so those contacts "
        "repeat their steps and their handle times count twice. If the files overlap: --drop-overlap "
        "drops each later file's copy (counted as its duplicates)",
        total,
        [f"{Path(b).name} and {Path(a).name}: contact {c}" for a, b, _, c in pairs[:5]],
    )


#: Events a file needs for its hours of day to be compared with another file's.
CLOCK_MIN_EVENTS: Final = 500
#: Two files' clocks are told apart when their hours of day correlate at least ``CLOCK_MIN_MATCH``
#: (Pearson, over the 24 hourly counts) when shifted ``CLOCK_MIN_SHIFT`` hours or more, and that beats the
#: correlation as read by ``CLOCK_MIN_GAIN``. Channels of one centre differ by an hour or so (a chat
#: channel busiest in the evening, summer time): measured on the simulated centre's channels, the gain of
#: the best shift over none was 0.00-0.02, and 0.26 for chats written in New York time beside calls in UTC.
CLOCK_MIN_MATCH: Final = 0.7
CLOCK_MIN_GAIN: Final = 0.15
CLOCK_MIN_SHIFT: Final = 2


def clock_shift(reference: list[float], other: list[float]) -> tuple[int, float, float]:
    """How many hours later in the day ``other``'s events run than ``reference``'s (-11 to 12), from two
    24-hour counts: the shift at which they correlate most (the smaller shift on a tie), that
    correlation, and the correlation as read (-1 to 1; 0 when either is flat)."""

    def centred(xs: list[float]) -> list[float]:
        mean = sum(xs) / len(xs)
        return [x - mean for x in xs]

    a, b = centred(reference), centred(other)
    norm = (sum(x * x for x in a) * sum(x * x for x in b)) ** 0.5

    def corr(shift: int) -> float:
        return sum(a[h] * b[(h + shift) % 24] for h in range(24)) / norm if norm else 0.0

    shifts = sorted(range(-11, 13), key=abs)
    best = max(shifts, key=corr)  # max keeps the first of equals: the smallest shift
    return best, corr(best), corr(0)


#: Events a file needs for its times to be judged as dates only.
UNDATED_MIN_EVENTS: Final = 50


def file_clocks(engine: Engine, dq: DataQuality, clocks: dict[str, str | None]) -> None:
    """Files whose times disagree with the others'. Dates without times beside times (``dates_only``,
    :func:`_dates_only`). Files of times whose hours of day match another file's only hours apart
    (``clock_offsets``): one system writes UTC and the other local time without saying so (a CCaaS
    export in UTC beside a CRM's local report), so journeys that cross them are out of order and the
    repeat window, handoff gaps and opening hours are off by as much. Each file is compared with the file
    of most events. ``clocks``: each file's clock (``FileCounts.clock``); a file whose times carry their
    offset is right, so the other is the one told to fix, and two such files are not compared (their
    hours differ for real: a team abroad)."""
    counts: dict[str, list[float]] = {}
    times: dict[str, set[Any]] = {}  # each file's times of day, as far as one or two per hour tell
    for f, h, n, first, last in engine.fetchall(
        f"""SELECT CAST({S.SOURCE_FILE} AS VARCHAR), hour({ident(S.TIMESTAMP)}), count(*),
                   min(CAST({ident(S.TIMESTAMP)} AS TIME)), max(CAST({ident(S.TIMESTAMP)} AS TIME))
            FROM {S.EVENTS_TABLE} WHERE {S.SOURCE_FILE} IS NOT NULL GROUP BY ALL"""
    ):
        counts.setdefault(str(f), [0.0] * 24)[int(h)] += int(n)
        times.setdefault(str(f), set()).update((first, last))
    # one time of day (two: midnight in a zone with summer time) for every event: dates without times
    undated = sorted(f for f in counts if len(times[f]) <= 2 and sum(counts[f]) >= UNDATED_MIN_EVENTS)
    timed = [f for f in counts if len(times[f]) > 2]
    if undated and timed:
        _dates_only(dq, undated, times, max(timed, key=lambda f: (sum(counts[f]), f)))
    files = sorted(
        (f for f in timed if sum(counts[f]) >= CLOCK_MIN_EVENTS), key=lambda f: (-sum(counts[f]), f)
    )
    if len(files) < 2:
        return
    reference = files[0]
    apart = []
    for f in files[1:]:
        if clocks.get(f) == S.OFFSET_CLOCK and clocks.get(reference) == S.OFFSET_CLOCK:
            continue
        shift, best, as_read = clock_shift(counts[reference], counts[f])
        if abs(shift) >= CLOCK_MIN_SHIFT and best >= CLOCK_MIN_MATCH and best - as_read >= CLOCK_MIN_GAIN:
            apart.append((f, shift, best, as_read))
    if not apart:
        return

    def busy(f: str) -> str:  # the hours with half the busiest hour's events or more
        return spans([h for h in range(24) if counts[f][h] * 2 >= max(counts[f])])

    def fix(f: str, hours: int) -> str:
        """The flag for file ``f`` when its true zone is ``hours`` ahead of the one it was read in."""
        read_in = clocks.get(f) or "the zone it was read in"
        zone = (
            f"UTC{hours:+d}"
            if read_in == "UTC"
            else f"{abs(hours)} hours {'ahead of' if hours > 0 else 'behind'} {read_in}"
        )
        return f"--tz {shlex.quote(Path(f).name + '=ZONE')} with a zone of about {zone}"

    ref = Path(reference).name
    told = []
    for f, shift, best, as_read in apart:
        name, n = Path(f).name, abs(shift)
        later = "later" if shift > 0 else "earlier"
        seen = (
            f"{name}'s events run about {n} hours {later} in the day than {ref}'s "
            f"(hour by hour, their volumes correlate {best:.2f} when {n} hours apart, {as_read:.2f} as read)"
        )
        if clocks.get(reference) == S.OFFSET_CLOCK:  # ref's times carry their offset: f is the one
            told.append(f"{seen}; {ref}'s times carry their UTC offset, {name}'s do not: {fix(f, shift)}")
        elif clocks.get(f) == S.OFFSET_CLOCK:
            told.append(
                f"{seen}; {name}'s times carry their UTC offset, {ref}'s do not: {fix(reference, -shift)}"
            )
        else:
            either = f"if {ref}'s clock is right, {fix(f, shift)}; if {name}'s is, {fix(reference, -shift)}"
            told.append(f"{seen}: {either}")
    dq.warn(
        "clock_offsets",
        f"{len(apart):,} file(s) keep another clock than {ref}, most likely one system's UTC beside "
        "another's local time: journeys that cross the files are out of order, and repeats, handoff gaps "
        "and opening hours are off by as many hours. " + "; ".join(told),
        len(apart),
        [f"{Path(f).name}: busy {busy(f)}; {ref}: busy {busy(reference)}" for f, *_ in apart[:5]],
    )


def _dates_only(dq: DataQuality, undated: list[str], times: dict[str, set[Any]], timed: str) -> None:
    """Files whose every event has one time of day (a CRM report's dates without times) beside a file
    with times: its events sort before the same day's timed events, so a case opened after a call reads
    as opened before it (the call then looks like the repeat contact), and time between its steps is
    whole days. Told with the mapping that joins its time column, when it has one."""
    ref = Path(timed).name

    def at(f: str) -> str:
        return " or ".join(sorted(f"{t:%H:%M}" for t in times[f]))

    names = ", ".join(Path(f).name for f in undated)
    dq.warn(
        "dates_only",
        f"{len(undated):,} file(s) give dates without times of day ({names}: every event at the same "
        f"time) beside {ref}, which has times: on a day both have events, theirs sort before its (a case "
        "opened after a call reads as opened before it, and the call as the repeat contact), and time "
        "between their steps is whole days. If the export has a time column, read it with the date: "
        "timestamp: [Date, Time] in that file's mapping (--mapping FILE=MAPPING)",
        len(undated),
        [f"{Path(f).name}: every event at {at(f)}" for f in undated[:5]],
    )


def spans(hours: list[int]) -> str:
    """``[7, 8, 9, 20, 21]`` -> ``07:00-10:00, 20:00-22:00``."""
    out, start = [], None
    for h in range(25):
        inside = h in hours
        if inside and start is None:
            start = h
        elif not inside and start is not None:
            out.append(f"{start:02d}:00-{h:02d}:00")
            start = None
    return ", ".join(out) or "never"
