"""The one canonicalisation step, in SQL: map, clean, parse, reject, de-duplicate -> ``events``.

Every file (and, in a wide layout, every event of the layout) is one SELECT over the file's raw view;
their UNION ALL is staged once with a rejection reason per row, and the list of source columns whose
value was a missing-value marker (``schema.MISSING_MARKERS``), so markers are counted without another
scan. Kept rows minus exact duplicates (unless ``keep_duplicates``) become ``events`` in source order
(file order, then ``source_row``); rejected rows, joined back to their raw values, become ``rejected``.
Nothing is dropped without being counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from .. import schema as S
from ..engine import Engine
from ..errors import InputError
from ..sql import ident, integer, lit
from . import missing
from .mapping import Mapping, WideEvent
from .options import ReadOptions
from .plan import Const, FilePlan, Spec
from .readers import MARKED, ROW
from .timeparse import EPOCH_FORMATS, OFFSET_RE, likely_format, parse_text, typed_to_utc

STAGE = S.EVENTS_TABLE  # staged in place: rejected and duplicate rows are deleted, __cx_* columns dropped
REJECTED = "rejected"
FILE, RECORD = "__cx_file", "__cx_record"
REASON, COLUMN, VALUE, HASH = "__cx_reason", "__cx_column", "__cx_value", "__cx_hash"
TS_VAL, TS_TXT, DUR_VAL, DUR_TXT = "__cx_ts_val", "__cx_ts_txt", "__cx_dur_val", "__cx_dur_txt"
TS_RAW = "__cx_ts_raw"  # the parsed timestamp before the range check
TS_FIRST = "__cx_ts_first"  # a wide layout's first event's time text, for a later event on its date
TS_MIN, TS_MAX = "TIMESTAMP '0001-01-01'", "TIMESTAMP '10000-01-01'"  # the years a timestamp may have, in UTC
MAX_DURATION_S = 1e9  # about 31.7 years: a longer (or negative) duration_s is rejected, bad_duration_s
MARKERS = "__cx_markers"  # source columns whose value on the row was a missing-value marker; NULL: none
TEXT = (S.CONTACT_ID, S.ACTIVITY, *S.OPTIONAL_TEXT)
NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "U")
MARKED_TYPES = ("VARCHAR", "FLOAT", "DOUBLE")  # types whose text can be a marker (a float NaN reads "nan")
VOCABULARIES = {S.OUTCOME: S.OUTCOMES, S.ACTOR_TYPE: S.ACTOR_TYPES}


def branch_sql(
    plan: FilePlan,
    mapping: Mapping | None,
    options: ReadOptions,
    attributes: list[str],
    *,
    file_type: str = "VARCHAR",
    filter_rows: bool = True,
) -> str:
    """The canonical rows of one file in source order, each with its rejection reason (NULL when kept).

    Columns: the canonical ones, ``source_row``, ``source_file``, ``attributes``, then the internal
    ``__cx_*`` ones (file index, record, reason, column, value, row hash, list of marker columns).
    ``file_type``: the type ``source_file`` is stored as (:func:`file_enum`, one byte a row, for the
    engine's own ``events``). ``filter_rows``: leave out the rows the mapping's ``keep_rows`` /
    ``drop_rows`` leave out (:func:`rows_kept_sql`; the caller counts them).
    """
    m = mapping or Mapping()
    canonical = [ident(c) for c in S.CANONICAL]
    attrs = [ident(a) for a in attributes]
    order = [*canonical, S.SOURCE_ROW, S.SOURCE_FILE, *attrs]
    row_hash = f"hash({', '.join(canonical + attrs)}) AS {HASH}"
    columns = ", ".join([*order, FILE, RECORD, REASON, COLUMN, VALUE, row_hash, MARKERS])
    if not m.events:
        branch = _branch(plan, m, options, attributes, None, 0, 1, file_type, filter_rows)
        return f"SELECT {columns} FROM ({branch})"
    n = len(m.events)
    union = "\nUNION ALL BY NAME\n".join(
        f"({_branch(plan, m, options, attributes, e, k, n, file_type, filter_rows)})"
        for k, e in enumerate(m.events)
    )
    return f"SELECT {columns} FROM ({union}) ORDER BY {S.SOURCE_ROW}"


#: A file's first rows (with a time) asked whether its timestamps carry their UTC offset.
CLOCK_SAMPLE = 1000


def file_clock(engine: Engine, plan: FilePlan, options: ReadOptions) -> str:
    """The clock ``plan``'s timestamps were read in: :data:`cxray.schema.OFFSET_CLOCK` when most of its first
    :data:`CLOCK_SAMPLE` times carry a UTC offset (or the column is typed with a zone), ``UTC`` for
    numbers since 1970 read as such, else the zone naive times are read in (``options``, the file's own).
    Said per file, because two systems' exports disagree here without a word: a phone platform writes
    UTC with a ``Z``, a CRM report local time with none; the data-quality review compares them."""
    if plan.source.clock is not None:  # the reader knows (an adapter's view is dear to read twice)
        return plan.source.clock
    m = options.mapping or Mapping()
    zone = options.effective_tz
    spec = m.events[0].timestamp if m.events else plan.specs.get(S.TIMESTAMP)
    if not isinstance(spec, str) or spec not in plan.types:
        return zone  # a date joined to a time, or a constant: no offset written
    duck_type = plan.types[spec].upper()
    if duck_type in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return S.OFFSET_CLOCK
    if typed_to_utc("x", duck_type, "UTC") is not None:
        return zone
    text = f"trim(CAST({ident(spec)} AS VARCHAR))"
    n, offsets, numbers = engine.fetchall(
        f"""SELECT count(*), count(*) FILTER (regexp_matches(x, {lit(OFFSET_RE)})),
                   count(*) FILTER (regexp_full_match(x, '[+-]?\\d+(\\.\\d*)?'))
            FROM (SELECT {text} AS x FROM {ident(plan.source.view)} WHERE {text} <> ''
                  LIMIT {integer(CLOCK_SAMPLE)})"""
    )[0]
    if n and offsets * 2 >= n:
        return S.OFFSET_CLOCK
    if n and numbers * 2 >= n and any(f.lower() in EPOCH_FORMATS for f in options.time_formats):
        return "UTC"
    return zone


def time_format(engine: Engine, plan: FilePlan, options: ReadOptions) -> str | None:
    """The format ``plan``'s text times are written in, of those the reader tries when DuckDB's cast
    reads nothing (``timeparse.likely_format``): tried first, it reads 1M day-first times in 0.06 s
    where the list took 6 s. Asked of the time text exactly as staging parses it (a wide layout's first
    event's, its date joined). None for typed or ISO times, an explicit format, or an adapter's view (its
    times are the platform's ISO or epoch numbers)."""
    m = options.mapping or Mapping()
    formats = options.time_formats + (m.events[0].formats if m.events else ())
    if formats or plan.source.clock is not None:
        return None
    text = _Text(plan, m)
    if m.events:
        event = m.events[0]
        time = text.clean(event.timestamp)
        value = time if event.date is None else _dated(text.clean(event.date), time)
    else:
        spec = plan.specs.get(S.TIMESTAMP)
        if spec is None or isinstance(spec, Const):
            return None
        _, value, typed = _timestamp_source(text, spec)
        if typed is not None:
            return None
    texts = (
        f"SELECT x FROM (SELECT {value} AS x FROM {text.source()}) WHERE x IS NOT NULL "
        f"LIMIT {integer(CLOCK_SAMPLE)}"
    )
    return likely_format(engine, texts, dayfirst=options.effective_dayfirst)


def file_enum(paths: list[str]) -> str:
    """The ENUM type of ``source_file`` for a read of ``paths``: the name a row came from in one byte
    (a VARCHAR copy of the path took more memory than any other column: 545 MB of 2.2 GB at 10M events),
    still text to every query. Sorted, so ordering by it orders by name as text does.

    >>> file_enum(["b.csv", "a.csv", "b.csv"])
    "ENUM('a.csv', 'b.csv')"
    """
    return enum_sql(paths)


def _branch(
    plan: FilePlan,
    m: Mapping,
    options: ReadOptions,
    attributes: list[str],
    event: WideEvent | None,
    k: int,
    n: int,
    file_type: str,
    filter_rows: bool,
) -> str:
    tz, dayfirst = options.effective_tz, options.effective_dayfirst
    text = _Text(plan, m)
    specs = dict(plan.specs)
    where = "TRUE"
    formats = options.time_formats
    first: str | None = None  # the layout's first event's time text, when this event shares its date
    if event is not None:
        specs[S.ACTIVITY] = Const(event.activity)
        specs.update({c: Const(v) for c, v in event.constants.items()})
        specs.update(event.columns)
        specs[S.DURATION_S] = event.duration
        time = text.clean(event.timestamp)
        absent = f"{time} IS NULL"
        if event.absent:
            absent += f" OR {time} IN ({', '.join(lit(a) for a in event.absent)})"
        where = f"NOT ({absent})"
        ts_txt = time if event.date is None else _dated(text.clean(event.date), time)
        ts_val, ts_typed = ts_txt, None
        base = m.events[0]
        if k > 0 and event.date is not None and event.date == base.date and event.timestamp != base.timestamp:
            first = _dated(text.clean(base.date), text.clean(base.timestamp))
        formats = event.formats + formats
    else:
        ts_txt, ts_val, ts_typed = _timestamp_source(text, specs[S.TIMESTAMP])
    dur_txt, dur_val, dur_numeric = _duration_source(text, specs.get(S.DURATION_S), m)
    kept = rows_kept_sql(plan, m) if filter_rows else None
    if kept is not None:
        where = f"({where}) AND {kept}"

    select = [
        f"{plan.index} AS {FILE}",
        f"{ROW} AS {RECORD}",
        f"CAST(({ROW} - 1) * {n} + {k + 1} AS BIGINT) AS {S.SOURCE_ROW}",
        f"CAST({lit(plan.source.path)} AS {file_type}) AS {S.SOURCE_FILE}",
    ]
    select += [f"{_text(text, c, specs.get(c), m)} AS {ident(c)}" for c in TEXT]
    select += [f"{ts_val} AS {TS_VAL}", f"{ts_txt} AS {TS_TXT}", f"{dur_val} AS {DUR_VAL}"]
    select += [f"{dur_txt} AS {DUR_TXT}"]
    if first is not None:
        select.append(f"{first} AS {TS_FIRST}")
    own = {name: column for column, name in plan.attributes.items()}
    for name in attributes:
        column = own.get(name)
        value = text.attribute(column) if column is not None else "CAST(NULL AS VARCHAR)"
        select.append(f"{value} AS {ident(name)}")
    select.append(f"{text.markers()} AS {MARKERS}")
    inner = f"SELECT {', '.join(select)} FROM {text.source()} WHERE {where}"

    if ts_typed is not None:
        ts = typed_to_utc(TS_VAL, ts_typed, tz)
    else:
        ts = parse_text(TS_VAL, tz=tz, dayfirst=dayfirst, formats=formats, likely=plan.time_format)
    if first is not None and event is not None:
        # a step on the first step's date but earlier in the day happened after midnight: a call started
        # at 23:58 and ended at 00:04 was read ending before it began, a day early
        start = parse_text(
            TS_FIRST,
            tz=tz,
            dayfirst=dayfirst,
            formats=m.events[0].formats + options.time_formats,
            likely=plan.time_format,
        )
        ts = f"CASE WHEN {ts} < {start} THEN {ts} + INTERVAL 1 DAY ELSE {ts} END"
    dur = _duration_seconds(DUR_VAL, numeric=dur_numeric, unit=m.duration_unit)
    # out of range is unparsable: a year outside 1-9999 (once in UTC) or infinity has no ISO text and no
    # Python datetime; a duration outside 0..MAX_DURATION_S is no work time (the checks below reject both)
    per_day = ""
    if m.contact_ids_per_day:  # the id joined with the event's local date; no date (a bad time): as read
        local = TS_RAW if tz == "UTC" else f"timezone({lit(tz)}, {TS_RAW} AT TIME ZONE 'UTC')"
        day = f"CASE WHEN isfinite({TS_RAW}) THEN strftime({local}, '@%Y-%m-%d') END"
        per_day = f" REPLACE ({ident(S.CONTACT_ID)} || coalesce({day}, '') AS {ident(S.CONTACT_ID)})"
    middle = (
        f"SELECT * EXCLUDE ({TS_VAL}, {DUR_VAL}, {TS_RAW}{', ' + TS_FIRST if first else ''}){per_day}, "
        f"CASE WHEN isfinite({TS_RAW}) "
        f"AND {TS_RAW} >= {TS_MIN} AND {TS_RAW} < {TS_MAX} THEN {TS_RAW} END AS {ident(S.TIMESTAMP)}, "
        f"CASE WHEN {dur} BETWEEN 0 AND {MAX_DURATION_S} THEN {dur} END AS {S.DURATION_S} "
        f"FROM (SELECT *, {ts} AS {TS_RAW} FROM ({inner}))"
    )

    ts_col = event.timestamp if event is not None else _describe(specs[S.TIMESTAMP])
    dur_col = _describe(specs.get(S.DURATION_S))
    checks = [
        (f"{ident(S.CONTACT_ID)} IS NULL", "missing_contact_id", _describe(specs[S.CONTACT_ID]), "NULL"),
        (f"{TS_TXT} IS NULL", "missing_timestamp", ts_col, "NULL"),
        (f"{ident(S.ACTIVITY)} IS NULL", "missing_activity", _describe(specs[S.ACTIVITY]), "NULL"),
        (f"{ident(S.TIMESTAMP)} IS NULL", "bad_timestamp", ts_col, TS_TXT),
        (f"{DUR_TXT} IS NOT NULL AND {S.DURATION_S} IS NULL", "bad_duration_s", dur_col, DUR_TXT),
    ]
    reason = " ".join(f"WHEN {cond} THEN {lit(code)}" for cond, code, _, _ in checks)
    column = " ".join(f"WHEN {cond} THEN {lit(col)}" for cond, _, col, _ in checks)
    value = " ".join(f"WHEN {cond} THEN {val}" for cond, _, _, val in checks)
    return (
        f"SELECT *, CASE {reason} END AS {REASON}, CASE {column} END AS {COLUMN}, "
        f"CAST(CASE {value} END AS VARCHAR) AS {VALUE} FROM ({middle})"
    )


#: A date and a time of day (``2025-03-01 00:00:00``, ``2025-03-01T09:00:05.250``).
_DATE_TIME = r"\d{4}-\d\d-\d\d[ T]\d\d?:\d\d(:\d\d([.,]\d*)?)?"


def _dated(date: str, time: str) -> str:
    """SQL: a wide layout's date column joined to its time column. A date cell that holds a date-time (a
    spreadsheet's date, ``2025-03-01 00:00:00``, or a time the cell's format hides) gives its date; a time
    cell that holds the whole date-time (one value in both cells, formatted apart, as ACD reports write
    them) is the time itself. Joined as given, either read as no time and rejected every row."""
    day = f"CASE WHEN regexp_full_match({date}, {lit(_DATE_TIME)}) THEN left({date}, 10) ELSE {date} END"
    return (
        f"CASE WHEN regexp_full_match({time}, {lit(_DATE_TIME)}) THEN {time} ELSE {day} || ' ' || {time} END"
    )


def rows_kept_sql(plan: FilePlan, mapping: Mapping | None) -> str | None:
    """SQL over the file's raw view: whether a row passes the mapping's ``keep_rows`` and ``drop_rows``
    (:func:`row_tests`); None when the mapping filters no rows."""
    tests = [t for t in row_tests(plan, mapping) if t is not None]
    return "(" + " AND ".join(tests) + ")" if tests else None


def row_tests(plan: FilePlan, mapping: Mapping | None) -> tuple[str | None, str | None]:
    """SQL over the file's raw view: whether a row passes ``keep_rows`` (each named column holds one of its
    values) and whether it passes ``drop_rows`` (no named column holds one of its values), None for a test
    the mapping does not set. Values are compared trimmed and case-insensitively; a missing value matches
    none. A named column the file lacks is an InputError naming it."""
    if mapping is None:
        return None, None
    out: list[str | None] = []
    for key, rows, keep in (("keep_rows", mapping.keep_rows, True), ("drop_rows", mapping.drop_rows, False)):
        tests = []
        for column, values in rows.items():
            value = f"lower(trim({_ref(plan, _source_column(plan, column, key))}))"
            listed = ", ".join(lit(v.strip().lower()) for v in values)
            found = f"coalesce({value} IN ({listed}), false)"
            tests.append(found if keep else f"NOT {found}")
        out.append("(" + " AND ".join(tests) + ")" if tests else None)
    return out[0], out[1]


def _source_column(plan: FilePlan, column: str, key: str) -> str:
    """The file's column ``column`` names (exactly, else the one that equals it ignoring case)."""
    if column in plan.types:
        return column
    same = [c for c in plan.types if c.lower() == column.lower()]
    if len(same) == 1:
        return same[0]
    raise InputError(
        f"the mapping's {key} names a column the file does not have; its columns: "
        + ", ".join(c for c in plan.types if not c.startswith("__cx"))[:500],
        path=plan.source.path,
        column=column,
    )


def _describe(spec: Spec) -> str | None:
    if isinstance(spec, str):
        return spec
    if isinstance(spec, tuple):
        return "+".join(spec)
    return None


@dataclass
class _Text:
    """Source columns of one branch as text, blanks and missing-value markers NULL.

    A marker is one of ``schema.MISSING_MARKERS`` or the mapping's ``missing_values``, compared
    case-insensitively, surrounding white space ignored. Each column is tested once, in a projection
    under the branch (``source``), by one regular expression matching a marker or a blank: a flag that
    the cleaned value and the row's ``__cx_markers`` list both read. That list is how markers are
    counted in the one staging pass rather than by another scan of the source. (A long ``IN`` list
    would be planned by DuckDB as a join per column: it more than doubled the time to stage a log.)
    """

    plan: FilePlan
    m: Mapping
    # (source column, words kept as data) -> (flag alias, SQL: "blank or a marker")
    flags: dict[tuple[str, frozenset[str]], tuple[str, str]] = field(default_factory=dict)

    def clean(self, column: str, keep: frozenset[str] = frozenset()) -> str:
        """Trimmed text of a source column; blanks and markers (but those in ``keep``) are NULL."""
        if self.plan.source.clean.get(column) == keep:  # the reader cleaned it so, once per record
            return _ref(self.plan, column)
        ref, flag = self._flag(column, keep)
        if flag is None:
            return f"NULLIF(trim({ref}), '')"
        return f"CASE WHEN {flag} THEN NULL ELSE {missing.trim_sql(ref)} END"

    def attribute(self, column: str) -> str:
        """A kept attribute as it is in the source (untrimmed), NULL when blank or a marker."""
        if column in self.plan.source.clean_attributes:
            return _ref(self.plan, column)
        ref, flag = self._flag(column, frozenset())
        return ref if flag is None else f"CASE WHEN {flag} THEN NULL ELSE {ref} END"

    def markers(self) -> str:
        """The row's list of source columns whose value was a marker, not a blank (NULL when none), with
        those the reader listed itself (``readers.MARKED``)."""
        own = self._own_markers()
        if not self.plan.marked:
            return own
        if not self.flags:
            return MARKED
        return f"CASE WHEN {MARKED} IS NULL THEN {own} ELSE list_concat({MARKED}, coalesce({own}, [])) END"

    def _own_markers(self) -> str:
        if not self.flags:
            return "CAST(NULL AS VARCHAR[])"
        flags = [(c, flag) for (c, _), (flag, _) in self.flags.items()]
        # a blank matches a flag too, but is not a marker: it is missing already
        shown = missing.NOT_BLANK
        names = ", ".join(
            f"CASE WHEN {flag} AND regexp_matches({_ref(self.plan, c)}, {shown}) THEN {lit(c)} END"
            for c, flag in flags
        )
        # built only on rows with a flag (one list per row costs as much as the tests); list_distinct
        # drops the NULLs (columns without a marker) and a column tested twice
        listed = f"NULLIF(list_distinct([{names}]), [])"
        return f"CASE WHEN {' OR '.join(flag for _, flag in flags)} THEN {listed} END"

    def source(self) -> str:
        """The branch's source view with the flags of every column tested (call after the others), its
        ``fill_down`` columns' blanks filled from the row above (in source order)."""
        view = ident(self.plan.source.view)
        if self.plan.fill_down:
            view = (
                f"(SELECT * REPLACE ({', '.join(self._filled(c) for c in self.plan.fill_down)}) FROM {view})"
            )
        if not self.flags:
            return view
        tests = ", ".join(f"{test} AS {flag}" for flag, test in self.flags.values())
        return f"(SELECT *, {tests} FROM {view})"

    def _filled(self, column: str) -> str:
        """``column`` with each blank (NULL, or white space in text) the last value above it."""
        c, above = ident(column), f"OVER (ORDER BY {ROW} ROWS UNBOUNDED PRECEDING)"
        if self.plan.types.get(column, "VARCHAR") == "VARCHAR":
            value = f"CASE WHEN trim({c}) <> '' THEN {c} END"
            return (
                f"CASE WHEN {value} IS NULL THEN last_value({value} IGNORE NULLS) {above} ELSE {c} END AS {c}"
            )
        return f"coalesce({c}, last_value({c} IGNORE NULLS) {above}) AS {c}"

    def _flag(self, column: str, keep: frozenset[str]) -> tuple[str, str | None]:
        ref = _ref(self.plan, column)
        if not self.plan.types.get(column, "VARCHAR").startswith(MARKED_TYPES):
            return ref, None
        if (column, keep) not in self.flags:  # a marker or a blank (NULL stays NULL)
            test = missing.test_sql(ref, self.m, keep)
            flag, taken = f"__cx_marker_{len(self.flags)}", {c.lower() for c in self.plan.types}
            while flag in taken:  # a source column of that name (it is kept, as an attribute renamed)
                flag += "_"
            self.flags[column, keep] = (flag, test)
        return ref, self.flags[column, keep][0]


def _ref(plan: FilePlan, column: str) -> str:
    """A source column as VARCHAR."""
    if plan.types.get(column, "VARCHAR") == "VARCHAR":
        return ident(column)
    return f"CAST({ident(column)} AS VARCHAR)"


def _text(text: _Text, canonical: str, spec: Spec, m: Mapping) -> str:
    if spec is None:
        return "CAST(NULL AS VARCHAR)"
    mapped = m.value_map(canonical)
    keep = missing.kept_words(m, canonical)
    if isinstance(spec, Const):
        value = lit(spec.value)
    elif isinstance(spec, str):
        value = text.clean(spec, keep)
    else:
        parts = ", ".join(text.clean(c, keep) for c in spec)
        value = f"NULLIF(concat_ws({lit(m.separator)}, {parts}), '')"
    if mapped:
        whens = " ".join(f"WHEN {lit(a)} THEN {lit(b)}" for a, b in mapped.items())
        value = f"CASE {value} {whens} ELSE {value} END"
    vocabulary = VOCABULARIES.get(canonical)
    if vocabulary:
        words = ", ".join(lit(w) for w in vocabulary)
        value = f"CASE WHEN lower({value}) IN ({words}) THEN lower({value}) ELSE {value} END"
    if canonical == S.CONTACT_ID and m.contact_id_prefix:
        value = f"({lit(m.contact_id_prefix)} || {value})"  # NULL stays NULL: a missing id is rejected
    return value


#: A two-part clock ``M:SS``, minutes any number: handle times in call logs and spreadsheets (``65:10`` is
#: 65 min 10 s, where DuckDB reads 65 h 10 min), the seconds with a fraction after a point or a comma.
_MINUTES_SECONDS = r"\d+:[0-5]?\d(?:[.,]\d+)?"
#: Thousands grouped with commas (``1,234``, ``12,345,678.5``): 1234, not the decimal comma's 1.234 (exports
#: do not write seconds with three decimals); with points before a decimal comma (``1.234,5``).
_COMMA_THOUSANDS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?"
_POINT_THOUSANDS = r"\d{1,3}(?:\.\d{3})+,\d+"
#: A number of each duration unit (``Mapping.duration_unit``, ``mapping.DURATION_UNITS``) to seconds, in SQL.
_UNIT_SCALE = {"seconds": "", "minutes": " * 60", "hours": " * 3600", "ms": " / 1000"}


def _duration_seconds(expr: str, *, numeric: bool, unit: str = "seconds") -> str:
    """SQL: the seconds of the duration text ``expr`` (a number when ``numeric``), NULL when unparsable.

    A plain number is in ``unit``: a decimal point or comma, thousands grouped (:data:`_COMMA_THOUSANDS`).
    The forms that carry their own unit are not scaled: a clock, a word form (``5m30s``, ``90 min``) and an
    ISO 8601 duration. A clock of three parts is ``H:MM:SS``; of two, ``M:SS`` (:data:`_MINUTES_SECONDS`);
    of four or more, no duration (``D:HH:MM:SS`` and ``HH:MM:SS:FF``, frames or hundredths, look alike;
    DuckDB would drop the last part). A fraction of a second may follow a comma in a clock too.

    Cheap where it matters (10M events): a test runs only on the values the ones before left (``CASE`` and
    ``COALESCE`` are evaluated lazily), a clock skips the number casts, DuckDB's interval cast reads the
    clocks (a two-part one as ``0:M:SS``), and a regular expression sees only a clock of 60 minutes or more
    (or a malformed one) and a number with a comma.
    """
    scale = _UNIT_SCALE[unit]
    if numeric:
        return f"CAST({expr} AS DOUBLE){scale}"
    point = f"replace({expr}, ',', '.')"
    long_clock = (
        f"CASE WHEN regexp_full_match({expr}, {lit(_MINUTES_SECONDS)}) "
        f"THEN CAST(split_part({expr}, ':', 1) AS DOUBLE) * 60 "
        f"+ CAST(replace(split_part({expr}, ':', 2), ',', '.') AS DOUBLE) END"
    )
    clock = (
        f"CASE WHEN {expr} LIKE '%:%:%:%' THEN NULL "
        f"WHEN {expr} LIKE '%:%:%' THEN epoch(TRY_CAST({point} AS INTERVAL)) "
        f"ELSE COALESCE(epoch(TRY_CAST('0:' || {point} AS INTERVAL)), {long_clock}) END"
    )
    comma = (
        f"CASE WHEN regexp_full_match({expr}, {lit(_COMMA_THOUSANDS)}) "
        f"THEN TRY_CAST(replace({expr}, ',', '') AS DOUBLE) "
        f"WHEN contains({expr}, '.') AND regexp_full_match({expr}, {lit(_POINT_THOUSANDS)}) "
        f"THEN TRY_CAST(replace(replace({expr}, '.', ''), ',', '.') AS DOUBLE) "
        f"ELSE TRY_CAST({point} AS DOUBLE) END"
    )
    other = (
        f"COALESCE(TRY_CAST({expr} AS DOUBLE){scale}, "
        f"CASE WHEN contains({expr}, ',') THEN ({comma}){scale} END, "
        f"epoch(TRY_CAST({expr} AS INTERVAL)), {_iso_duration(expr)})"
    )
    return f"CASE WHEN contains({expr}, ':') THEN {clock} ELSE {other} END"


#: An ISO 8601 duration of days, hours, minutes and seconds (``PT5M30S``, ``P1DT2H``, ``PT0.5S``), as APIs
#: write handle times; years, months and weeks (calendar lengths) are no work time and stay unparsed.
_ISO_DURATION = r"P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?"


def _iso_duration(expr: str) -> str:
    """SQL: the seconds of the ISO 8601 duration ``expr`` (``_ISO_DURATION``), NULL when it is not one.
    An expression, not a subquery: DuckDB evaluates it only for the rows no earlier form parsed."""
    parts = f"regexp_extract({expr}, {lit('^' + _ISO_DURATION + '$')}, ['d', 'h', 'm', 's'])"
    seconds = " + ".join(
        f"coalesce(TRY_CAST(nullif(struct_extract({parts}, '{unit}'), '') AS DOUBLE), 0) * {factor}"
        for unit, factor in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    )
    return (
        f"CASE WHEN regexp_full_match({expr}, {lit(_ISO_DURATION)}) AND regexp_matches({expr}, '\\d') "
        f"THEN {seconds} END"
    )


def _timestamp_source(text: _Text, spec: Spec) -> tuple[str, str, str | None]:
    """(raw text, value to parse, DuckDB type when already a time type)."""
    if isinstance(spec, str):
        duck_type = text.plan.types[spec]
        if typed_to_utc("x", duck_type, "UTC") is not None:
            return f"CAST({ident(spec)} AS VARCHAR)", ident(spec), duck_type
        value = text.clean(spec)
        return value, value, None
    if isinstance(spec, tuple):
        value = f"NULLIF(concat_ws(' ', {', '.join(text.clean(c) for c in spec)}), '')"
        return value, value, None
    assert isinstance(spec, Const)  # REQUIRED checked in plan_file
    return lit(spec.value), lit(spec.value), None


def _duration_source(text: _Text, spec: Spec, m: Mapping) -> tuple[str, str, bool]:
    """(raw text, value, whether the value is already a number)."""
    if spec is None:
        return "CAST(NULL AS VARCHAR)", "CAST(NULL AS VARCHAR)", False
    if isinstance(spec, str) and text.plan.types[spec].startswith(NUMERIC_TYPES):
        return f"CAST({ident(spec)} AS VARCHAR)", ident(spec), True
    value = _text(text, S.DURATION_S, spec, m)
    return value, value, False


def stage(engine: Engine, branches: list[str], categories: dict[str, list[str] | None] | None = None) -> None:
    """Materialise every candidate row once, file after file, in source order, with its rejection reason.

    Files are appended one by one (no sort: scans and inserts keep insertion order in the engine).
    ``categories`` (:func:`scan_categories`): the columns stored as ENUMs of the values listed.
    """
    for i, sql in enumerate(branches):
        sql = as_categories(sql, categories or {})
        if i == 0:
            engine.execute(f"CREATE OR REPLACE TABLE {STAGE} AS {sql}")
        else:
            engine.execute(f"INSERT INTO {STAGE} {sql}")


def count_markers(engine: Engine) -> dict[str, int]:
    """Source column -> how many of its values were missing-value markers, over the staged rows.

    A source value counts once even when a wide layout copies it onto several events of its record.
    """
    rows = engine.rows(
        f"SELECT col, count(DISTINCT ({FILE}, {RECORD})) AS n FROM (SELECT {FILE}, {RECORD}, "
        f"unnest({MARKERS}) AS col FROM {STAGE} WHERE {MARKERS} IS NOT NULL) GROUP BY col ORDER BY col"
    )
    return {r["col"]: int(r["n"]) for r in rows}


def finish_events(
    engine: Engine, attributes: list[str], *, keep_duplicates: bool = False, drop_overlap: bool = False
) -> int:
    """Delete rejected rows and exact duplicates (keeping the first), drop the internal columns.

    Duplicates are found cheaply: only rows whose hash repeats are compared on every value.
    Returns the number of duplicates dropped (0 with ``keep_duplicates``, which keeps them as pm4py,
    ProM and Disco do). ``drop_overlap``: also each row equal on every canonical column to a row of an
    earlier file (:func:`_drop_overlap`).
    """
    engine.execute(f"DELETE FROM {STAGE} WHERE {REASON} IS NOT NULL")
    duplicates = 0 if keep_duplicates else _drop_duplicates(engine, attributes)
    if drop_overlap:
        duplicates += _drop_overlap(engine)
    for internal in (FILE, RECORD, REASON, COLUMN, VALUE, HASH):
        engine.execute(f"ALTER TABLE {STAGE} DROP COLUMN {internal}")
    # the Spark engine stages without the marker list (it does not count markers)
    engine.execute(f"ALTER TABLE {STAGE} DROP COLUMN IF EXISTS {MARKERS}")
    return duplicates


CATEGORICAL = (S.ACTIVITY, S.CHANNEL, S.QUEUE, S.TEAM, S.ACTOR, S.ACTOR_TYPE, S.REASON, S.OUTCOME)
MAX_CATEGORIES = 65_535  # distinct values an ENUM column may have here (two bytes a row); more stay VARCHAR


def scan_categories(engine: Engine, relations: list[str]) -> dict[str, list[str] | None]:
    """Per canonical text column of few distinct values, the values it takes in ``relations`` (queries
    with the canonical columns, e.g. :func:`branch_sql`'s), sorted; None past :data:`MAX_CATEGORIES`.

    One more scan of the sources, so that staging stores the ENUMs (:func:`stage`) instead of rewriting
    each column after it (:func:`encode_categories`): at 10M events from Parquet the scan takes 0.26 s
    (1.0 s over every row rather than each column's distinct values, :func:`source_categories`) where
    the lists and rewrites took 2.7 s (an ``ALTER`` runs on one thread), and the text is never
    stored (a 1M-row Parquet read: 2.9 -> 2.1 s, 325 MB less at its peak). Rows later rejected are counted
    in: their values are in the type, which changes no query (an ENUM compares, sorts, prints as its text).
    """
    union = " UNION ALL ".join(
        f"SELECT {', '.join(ident(c) for c in CATEGORICAL)} FROM ({r})" for r in relations
    )
    return _value_lists(engine, f"({union})", list(CATEGORICAL))


def source_categories(
    engine: Engine,
    plans: list[FilePlan],
    per_file: list[ReadOptions],
    attributes: list[str],
) -> dict[str, list[str] | None]:
    """:func:`scan_categories` of the files of ``plans`` (before staging them), each read with its options
    in ``per_file``: through the same cleaning SQL as their rows (:func:`branch_sql`), over each file's
    distinct raw values where a categorical column comes from one source column or a constant
    (:func:`_value_domain`)."""
    domains = [_value_domain(engine, p, o.mapping) for p, o in zip(plans, per_file, strict=True)]
    try:
        return scan_categories(
            engine,
            # every value, also of rows the mapping leaves out: a category too many changes no query
            [
                branch_sql(d, o.mapping, o, attributes, filter_rows=False)
                for d, o in zip(domains, per_file, strict=True)
            ],
        )
    finally:
        for domain, plan in zip(domains, plans, strict=True):
            if domain.source.view not in (plan.source.view, plan.source.values):
                engine.execute(f"DROP VIEW IF EXISTS {ident(domain.source.view)}")


def _value_domain(engine: Engine, plan: FilePlan, mapping: Mapping | None) -> FilePlan:
    """``plan`` over a view of the distinct values of each source column a categorical column comes from
    (one row a value, every other column NULL): the cleaning is a function of the one value, so its
    results over these rows are its results over every row, for a few thousand rows instead of millions
    (10M events from Parquet: 1.0 s over the rows, 0.2 s for the raw lists). ``plan`` itself where a
    column joins several source columns or a wide layout makes several events of a row; over the reader's
    own view of them where it has one (``RawSource.values``)."""
    if plan.source.values:
        return replace(plan, source=replace(plan.source, view=plan.source.values))
    if (mapping or Mapping()).events:
        return plan
    columns: list[str] = []
    for canonical in CATEGORICAL:
        spec = plan.specs.get(canonical)
        if isinstance(spec, tuple):
            return plan
        if isinstance(spec, str) and spec not in columns:
            columns.append(spec)
    view, domain = ident(plan.source.view), f"{plan.source.view}_cx_values"
    parts = [f"SELECT * FROM {view} WHERE false"]  # every column, typed
    parts += [f"SELECT DISTINCT {ident(c)} FROM {view}" for c in columns]
    engine.execute(f"CREATE OR REPLACE TEMP VIEW {ident(domain)} AS {' UNION ALL BY NAME '.join(parts)}")
    return replace(plan, source=replace(plan.source, view=domain))


def as_categories(sql: str, categories: dict[str, list[str] | None]) -> str:
    """``sql`` with each column ``categories`` lists values for cast to the ENUM of them (a value not
    listed is an error, not a NULL: nothing is lost silently)."""
    casts = [f"CAST({ident(c)} AS {enum_sql(v)}) AS {ident(c)}" for c, v in categories.items() if v]
    return f"SELECT * REPLACE ({', '.join(casts)}) FROM ({sql})" if casts else sql


def encode_categories(engine: Engine) -> dict[str, list[str] | None]:
    """Store each canonical text column of few distinct values as an ENUM of its values, rewriting the
    staged ``events`` (for sources that :func:`scan_categories` should not read twice: an adapter's
    view that flattens records, whose second evaluation costs more than the rewrites).

    Returns, per canonical text column with a value, its values in order (the ENUM's), or None when
    there were too many to encode (:func:`merge_categories` makes one type of several reads' values).

    Every sort, window and grouping over events carries each VARCHAR column as a 16-byte string with
    its own comparisons; an ENUM is one or two bytes and still text to every query (comparisons,
    functions, outputs). At 10M events the shared ordered table took 8.7 s over the text columns and
    4.8 s over ENUMs, the whole diagnosis 58-62 s and 48 s (the encoding's 2.5 s in it). The values are
    sorted, so ``ORDER BY``, ``min`` and ``max`` on the column give the text order (an ENUM orders by
    position). ``hash`` of an ENUM hashes its position: equal only within one read (cast to VARCHAR to
    compare hashes across reads). Columns with no value, or more than :data:`MAX_CATEGORIES`, stay
    VARCHAR.
    """
    types = dict(engine.fetchall(f"SELECT name, type FROM pragma_table_info({lit(STAGE)})"))
    columns = [c for c in CATEGORICAL if types.get(c) == "VARCHAR"]
    if not columns:
        return {}
    encoded = _value_lists(engine, STAGE, columns)
    for column, ordered in encoded.items():
        if ordered is None:
            continue
        enum = enum_sql(ordered)
        # TRY_CAST: the conversion also visits the rows deleted as rejected, whose values may be none of
        # the kept ones
        engine.execute(
            f"ALTER TABLE {STAGE} ALTER COLUMN {ident(column)} TYPE {enum} "
            f"USING TRY_CAST({ident(column)} AS {enum})"
        )
    return encoded


def _value_lists(engine: Engine, relation: str, columns: list[str]) -> dict[str, list[str] | None]:
    """Per column of ``relation`` with a value, its values sorted (None: more than the cap)."""
    # the lists alone (a count of distinct values beside them took half as long again: 0.62 -> 0.92 s at
    # 10M events); a column past the cap is a long list once
    lists = ", ".join(f"list(DISTINCT {ident(c)}) FILTER (WHERE {ident(c)} IS NOT NULL)" for c in columns)
    found: dict[str, list[str] | None] = {}
    for column, values in zip(columns, engine.fetchall(f"SELECT {lists} FROM {relation}")[0], strict=True):
        if values:
            found[column] = sorted(values) if len(values) <= MAX_CATEGORIES else None
    return found


def enum_sql(values: Iterable[str]) -> str:
    """The ENUM type of ``values``, sorted: ordering by it orders as the text does (Python orders str by
    code point, DuckDB's VARCHAR by UTF-8 bytes: the same order).

    >>> enum_sql(["b", "a", "b", "it's"])
    "ENUM('a', 'b', 'it''s')"
    """
    return f"ENUM({', '.join(lit(v) for v in sorted(set(values)))})"


def merge_categories(reads: Iterable[dict[str, list[str] | None]]) -> dict[str, str]:
    """Column -> the ENUM type holding every value several reads encoded (:func:`encode_categories`'
    results, e.g. Spark's partitions), for the columns that no read found too many values in and that
    stay within :data:`MAX_CATEGORIES` together.

    >>> merge_categories([{"activity": ["b"], "queue": None}, {"activity": ["a"], "queue": ["q"]}])
    {'activity': "ENUM('a', 'b')"}
    """
    values: dict[str, set[str]] = {}
    too_many: set[str] = set()
    for read in reads:
        for column, listed in read.items():
            if listed is None:
                too_many.add(column)
            else:
                values.setdefault(column, set()).update(listed)
    return {
        c: enum_sql(v) for c, v in sorted(values.items()) if c not in too_many and len(v) <= MAX_CATEGORIES
    }


def _drop_overlap(engine: Engine) -> int:
    """Delete the rows of a later file that repeat an earlier file's on every canonical column
    (overlapping exports whose other columns differ: an export time, a row number); return how many.

    Matched as many for as many: a later file loses at most as many rows of one value as an earlier
    file has of it (its first ones), so a value it holds more often than any earlier file keeps the
    rest. Rows of one file are never matched with each other: two such events in one export are two.
    """
    key = ", ".join(ident(c) for c in S.CANONICAL)
    shared = f"SELECT hash({key}) FROM {STAGE} GROUP BY 1 HAVING min({FILE}) < max({FILE})"
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE _cx_overlap AS SELECT {FILE}, {S.SOURCE_ROW} FROM (
                SELECT {FILE}, {S.SOURCE_ROW},
                       row_number() OVER (PARTITION BY {key}, {FILE} ORDER BY {S.SOURCE_ROW}) AS nth,
                       max(copies) OVER (PARTITION BY {key} ORDER BY {FILE}
                                         RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
                FROM (SELECT *, count(*) OVER (PARTITION BY {key}, {FILE}) AS copies FROM {STAGE}
                      WHERE hash({key}) IN ({shared}))
            ) WHERE nth <= before"""
    )
    dropped = int(engine.scalar("SELECT count(*) FROM _cx_overlap"))
    if dropped:
        engine.execute(
            f"DELETE FROM {STAGE} e USING _cx_overlap d WHERE e.{FILE} = d.{FILE} "
            f"AND e.{S.SOURCE_ROW} = d.{S.SOURCE_ROW}"
        )
    engine.execute("DROP TABLE _cx_overlap")
    return dropped


def _drop_duplicates(engine: Engine, attributes: list[str]) -> int:
    """Delete every exact duplicate of an earlier staged row; return how many."""
    values = ", ".join([ident(c) for c in S.CANONICAL] + [ident(a) for a in attributes])
    engine.execute(
        f"CREATE OR REPLACE TEMP TABLE _cx_dups AS SELECT {FILE}, {S.SOURCE_ROW} FROM ("
        f"SELECT {FILE}, {S.SOURCE_ROW}, row_number() OVER (PARTITION BY {values} "
        f"ORDER BY {FILE}, {S.SOURCE_ROW}) AS rn FROM {STAGE} "
        f"WHERE {HASH} IN (SELECT {HASH} FROM {STAGE} GROUP BY {HASH} HAVING count(*) > 1)) WHERE rn > 1"
    )
    duplicates = int(engine.rows("SELECT count(*) AS n FROM _cx_dups")[0]["n"])
    if duplicates:
        engine.execute(
            f"DELETE FROM {STAGE} e USING _cx_dups d WHERE e.{FILE} = d.{FILE} "
            f"AND e.{S.SOURCE_ROW} = d.{S.SOURCE_ROW}"
        )
    engine.execute("DROP TABLE _cx_dups")
    return duplicates
