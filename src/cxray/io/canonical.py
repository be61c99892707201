"""The one canonicalisation step, in SQL: map, clean, parse, reject, de-duplicate -> ``events``.

Every file (and, in a wide layout, every event of the layout) is one SELECT over the file's raw view;
their UNION ALL is staged once with a rejection reason per row. Kept rows minus exact duplicates
become ``events`` in source order (file order, then ``source_row``); rejected rows, joined back to their
raw values, become ``rejected``. Nothing is dropped without being counted.
"""

from __future__ import annotations

from .. import schema as S
from ..engine import Engine
from .mapping import Mapping, WideEvent
from .options import ReadOptions
from .plan import Const, FilePlan, Spec
from .readers import ROW
from .sql import ident, lit
from .timeparse import parse_text, typed_to_utc

STAGE = S.EVENTS_TABLE  # staged in place: rejected and duplicate rows are deleted, __cx_* columns dropped
REJECTED = "rejected"
FILE, RECORD = "__cx_file", "__cx_record"
REASON, COLUMN, VALUE, HASH = "__cx_reason", "__cx_column", "__cx_value", "__cx_hash"
TS_VAL, TS_TXT, DUR_VAL, DUR_TXT = "__cx_ts_val", "__cx_ts_txt", "__cx_dur_val", "__cx_dur_txt"
TEXT = (S.CONTACT_ID, S.ACTIVITY, *S.OPTIONAL_TEXT)
NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "U")
VOCABULARIES = {S.OUTCOME: S.OUTCOMES, S.ACTOR_TYPE: S.ACTOR_TYPES}


def branch_sql(plan: FilePlan, mapping: Mapping | None, options: ReadOptions, attributes: list[str]) -> str:
    """The canonical rows of one file in source order, each with its rejection reason (NULL when kept).

    Columns: the canonical ones, ``source_row``, ``source_file``, ``attributes``, then the internal
    ``__cx_*`` ones (file index, record, reason, column, value, row hash).
    """
    m = mapping or Mapping()
    canonical = [ident(c) for c in S.CANONICAL]
    attrs = [ident(a) for a in attributes]
    order = [*canonical, S.SOURCE_ROW, S.SOURCE_FILE, *attrs]
    row_hash = f"hash({', '.join(canonical + attrs)}) AS {HASH}"
    columns = ", ".join([*order, FILE, RECORD, REASON, COLUMN, VALUE, row_hash])
    if not m.events:
        return f"SELECT {columns} FROM ({_branch(plan, m, options, attributes, None, 0, 1)})"
    n = len(m.events)
    union = "\nUNION ALL BY NAME\n".join(
        f"({_branch(plan, m, options, attributes, e, k, n)})" for k, e in enumerate(m.events)
    )
    return f"SELECT {columns} FROM ({union}) ORDER BY {S.SOURCE_ROW}"


def _branch(
    plan: FilePlan,
    m: Mapping,
    options: ReadOptions,
    attributes: list[str],
    event: WideEvent | None,
    k: int,
    n: int,
) -> str:
    tz, dayfirst = options.effective_tz, options.effective_dayfirst
    specs = dict(plan.specs)
    where = "TRUE"
    formats = options.time_formats
    if event is not None:
        specs[S.ACTIVITY] = Const(event.activity)
        specs.update({c: Const(v) for c, v in event.constants.items()})
        specs.update(event.columns)
        specs[S.DURATION_S] = event.duration
        time = _clean(plan, event.timestamp, m)
        absent = f"{time} IS NULL"
        if event.absent:
            absent += f" OR {time} IN ({', '.join(lit(a) for a in event.absent)})"
        where = f"NOT ({absent})"
        ts_txt = time if event.date is None else f"{_clean(plan, event.date, m)} || ' ' || {time}"
        ts_val, ts_typed = ts_txt, None
        formats = event.formats + formats
    else:
        ts_txt, ts_val, ts_typed = _timestamp_source(plan, specs[S.TIMESTAMP], m)
    dur_txt, dur_val, dur_numeric = _duration_source(plan, specs.get(S.DURATION_S), m)

    select = [
        f"{plan.index} AS {FILE}",
        f"{ROW} AS {RECORD}",
        f"CAST(({ROW} - 1) * {n} + {k + 1} AS BIGINT) AS {S.SOURCE_ROW}",
        f"{lit(plan.source.path)} AS {S.SOURCE_FILE}",
    ]
    select += [f"{_text(plan, c, specs.get(c), m)} AS {ident(c)}" for c in TEXT]
    select += [f"{ts_val} AS {TS_VAL}", f"{ts_txt} AS {TS_TXT}", f"{dur_val} AS {DUR_VAL}"]
    select += [f"{dur_txt} AS {DUR_TXT}"]
    own = {name: column for column, name in plan.attributes.items()}
    for name in attributes:
        column = own.get(name)
        value = _attribute(plan, column, m) if column is not None else "CAST(NULL AS VARCHAR)"
        select.append(f"{value} AS {ident(name)}")
    inner = f"SELECT {', '.join(select)} FROM {ident(plan.source.view)} WHERE {where}"

    if ts_typed is not None:
        ts = typed_to_utc(TS_VAL, ts_typed, tz)
    else:
        ts = parse_text(TS_VAL, tz=tz, dayfirst=dayfirst, formats=formats)
    if dur_numeric:
        dur = f"CAST({DUR_VAL} AS DOUBLE)"
    else:
        dur = (
            f"COALESCE(TRY_CAST({DUR_VAL} AS DOUBLE), TRY_CAST(replace({DUR_VAL}, ',', '.') AS DOUBLE), "
            f"epoch(TRY_CAST({DUR_VAL} AS INTERVAL)))"
        )
    middle = (
        f"SELECT * EXCLUDE ({TS_VAL}, {DUR_VAL}), {ts} AS {ident(S.TIMESTAMP)}, "
        f"CASE WHEN isfinite({dur}) THEN {dur} END AS {S.DURATION_S} FROM ({inner})"
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


def _describe(spec: Spec) -> str | None:
    if isinstance(spec, str):
        return spec
    if isinstance(spec, tuple):
        return "+".join(spec)
    return None


def _clean(plan: FilePlan, column: str, m: Mapping) -> str:
    """Trimmed text of a source column; empty and the mapping's missing markers are NULL."""
    ref = ident(column)
    if plan.types.get(column, "VARCHAR") != "VARCHAR":
        ref = f"CAST({ref} AS VARCHAR)"
    value = f"NULLIF(trim({ref}), '')"
    if m.missing_values:
        markers = ", ".join(lit(v) for v in m.missing_values)
        value = f"CASE WHEN {value} IN ({markers}) THEN NULL ELSE {value} END"
    return value


def _text(plan: FilePlan, canonical: str, spec: Spec, m: Mapping) -> str:
    if spec is None:
        return "CAST(NULL AS VARCHAR)"
    if isinstance(spec, Const):
        value = lit(spec.value)
    elif isinstance(spec, str):
        value = _clean(plan, spec, m)
    else:
        value = f"NULLIF(concat_ws({lit(m.separator)}, {', '.join(_clean(plan, c, m) for c in spec)}), '')"
    mapped = m.value_map(canonical)
    if mapped:
        whens = " ".join(f"WHEN {lit(a)} THEN {lit(b)}" for a, b in mapped.items())
        value = f"CASE {value} {whens} ELSE {value} END"
    vocabulary = VOCABULARIES.get(canonical)
    if vocabulary:
        words = ", ".join(lit(w) for w in vocabulary)
        value = f"CASE WHEN lower({value}) IN ({words}) THEN lower({value}) ELSE {value} END"
    return value


def _timestamp_source(plan: FilePlan, spec: Spec, m: Mapping) -> tuple[str, str, str | None]:
    """(raw text, value to parse, DuckDB type when already a time type)."""
    if isinstance(spec, str):
        duck_type = plan.types[spec]
        if typed_to_utc("x", duck_type, "UTC") is not None:
            return f"CAST({ident(spec)} AS VARCHAR)", ident(spec), duck_type
        text = _clean(plan, spec, m)
        return text, text, None
    if isinstance(spec, tuple):
        text = f"NULLIF(concat_ws(' ', {', '.join(_clean(plan, c, m) for c in spec)}), '')"
        return text, text, None
    assert isinstance(spec, Const)  # REQUIRED checked in plan_file
    return lit(spec.value), lit(spec.value), None


def _duration_source(plan: FilePlan, spec: Spec, m: Mapping) -> tuple[str, str, bool]:
    """(raw text, value, whether the value is already a number)."""
    if spec is None:
        return "CAST(NULL AS VARCHAR)", "CAST(NULL AS VARCHAR)", False
    if isinstance(spec, str) and plan.types[spec].startswith(NUMERIC_TYPES):
        return f"CAST({ident(spec)} AS VARCHAR)", ident(spec), True
    text = _text(plan, S.DURATION_S, spec, m)
    return text, text, False


def _attribute(plan: FilePlan, column: str, m: Mapping) -> str:
    ref = ident(column)
    if plan.types[column] != "VARCHAR":
        ref = f"CAST({ref} AS VARCHAR)"
    if m.missing_values:
        markers = ", ".join(lit(v) for v in m.missing_values)
        ref = f"CASE WHEN trim({ref}) IN ({markers}) THEN NULL ELSE {ref} END"
    return ref


def stage(engine: Engine, branches: list[str]) -> None:
    """Materialise every candidate row once, file after file, in source order, with its rejection reason.

    Files are appended one by one (no sort: scans and inserts keep insertion order in the engine).
    """
    for i, sql in enumerate(branches):
        if i == 0:
            engine.execute(f"CREATE OR REPLACE TABLE {STAGE} AS {sql}")
        else:
            engine.execute(f"INSERT INTO {STAGE} {sql}")


def finish_events(engine: Engine, attributes: list[str]) -> int:
    """Delete rejected rows and exact duplicates (keeping the first), drop the internal columns.

    Duplicates are found cheaply: only rows whose hash repeats are compared on every value.
    Returns the number of duplicates dropped.
    """
    values = ", ".join([ident(c) for c in S.CANONICAL] + [ident(a) for a in attributes])
    engine.execute(f"DELETE FROM {STAGE} WHERE {REASON} IS NOT NULL")
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
    for internal in (FILE, RECORD, REASON, COLUMN, VALUE, HASH):
        engine.execute(f"ALTER TABLE {STAGE} DROP COLUMN {internal}")
    return duplicates
