"""Survey responses, wherever they come from, as one table joined to the contacts they are about.

Responses come from two places: survey fields carried inside the event log (``survey_score`` or a ``csat``
/ ``nps`` column, ``survey_type``, ``verbatim``, as the simulator writes them and some CCaaS exports do), and
survey files (``--surveys``: CSV, Parquet, JSONL; columns found by name or mapped by hand). Each response is
checked like an event: a row without any id, time, known survey type or a score in its type's range is
rejected with the reason, counted, and an example kept; none is dropped silently.

A response is then matched to its contact: by contact id when the contact is in the log; else by customer
id, to that customer's latest contact that started before the response and ended at most ``match_days``
before it; else it stays unmatched (counted in the overall scores, in no segment). The table it leaves,
``voc_responses``, is the contract of every VoC step (docs/voc.md):

``response_id, contact_id, customer_id, ts, week, survey_type, score, verbatim, reason, channel, queue,
team, matched_by`` (channel: the contact's entry channel; queue and team: where it ended).

>>> SCALES["nps"], SCALES["csat"], SCALES["ces"]
((0, 10), (1, 5), (1, 7))
>>> survey_column_for("Q7", {}), survey_column_for("NPS", {}), survey_column_for("Q7", {"score": "Q7"})
(None, 'score', 'score')
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

from typing_extensions import TypedDict

from .. import schema as S
from ..engine import Engine
from ..errors import ConfigError, InputError
from ..io.options import ReadOptions
from ..io.readers import ROW, open_source
from ..io.timeparse import parse_text, typed_to_utc
from ..sql import days_interval, ident, in_list, lit, num

#: The table every VoC step reads.
RESPONSES: Final = "voc_responses"
#: Each survey type's scale (docs/voc.md): NPS 0-10, CSAT 1-5, CES 1-7 (CES 2.0: higher = easier).
SCALES: Final[dict[str, tuple[int, int]]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
#: The fields of a survey file, and the source names each is found under when not mapped by hand
#: (compared without case, spaces, dashes or underscores).
FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "contact_id": ("contact_id", "contactid", "interaction_id", "conversation_id", "case_id", "ticket_id",
                   "call_id", "contact"),
    "customer_id": ("customer_id", "customerid", "customer", "client_id", "account_id"),
    "timestamp": ("timestamp", "responded_at", "response_date", "response_time", "submitted_at", "date",
                  "created_at", "time"),
    "survey_type": ("survey_type", "surveytype", "type", "survey", "metric"),
    "score": ("score", "rating", "value", "nps", "csat", "ces"),
    "verbatim": ("verbatim", "comment", "comments", "feedback", "free_text", "text"),
}  # fmt: skip
_EXAMPLES: Final = 10


@dataclass(frozen=True)
class SurveyOptions:
    """Where survey responses come from and how they are matched to contacts."""

    #: Survey files (CSV, Parquet, JSONL...), besides any survey fields inside the event log.
    files: tuple[str, ...] = ()
    #: Survey field -> source column, for names not found on their own (``score: "Q1 rating"``).
    columns: dict[str, str] = field(default_factory=dict)
    #: The survey type of the survey files (nps, csat or ces): wins over a type column found by name and
    #: a score column named nps, csat or ces, not over one mapped by hand (``columns: {survey_type: ...}``).
    survey_type: str | None = None
    #: Text score -> number, compared without case or surrounding spaces (``"Extremely satisfied": 5``).
    scores: dict[str, float] = field(default_factory=dict)
    #: A response matched by customer id belongs to their latest contact ending at most this long before.
    match_days: float = 7.0
    #: The sheet of responses in a survey workbook (its name, or its 1-based number); None: its only
    #: sheet with values (the events' ``--sheet`` names the events' sheet, not this one).
    sheet: str | None = None

    def __post_init__(self) -> None:
        unknown = sorted(set(self.columns) - set(FIELDS))
        if unknown:
            raise ConfigError(f"surveys.columns: unknown field {unknown[0]!r} (known: {', '.join(FIELDS)})")
        scores: dict[str, float] = {}
        for label, number in self.scores.items():
            try:
                value = float(number)
            except (TypeError, ValueError):
                value = math.nan
            if isinstance(number, bool) or not math.isfinite(value):
                raise ConfigError(f"surveys.scores: {label!r} expects a number, got {number!r}")
            scores[str(label)] = value
        object.__setattr__(self, "scores", scores)  # "5" from the command line reads as 5.0
        if self.survey_type is not None and self.survey_type not in SCALES:
            raise ConfigError(f"surveys.survey_type: one of {', '.join(SCALES)}, got {self.survey_type!r}")
        if self.match_days < 0:
            raise ConfigError(f"surveys.match_days: expected at least 0, got {self.match_days}")


class RejectedExample(TypedDict):
    source: str
    row: int | None
    column: str | None
    value: str | None
    reason: str


class SurveyInputDoc(TypedDict):
    """``voc.input``: what was read, kept, rejected (and why) and how responses found their contacts."""

    sources: list[str]
    rows_read: int
    rows_kept: int
    rows_rejected: int
    rejected_by_reason: dict[str, int]
    rejected_examples: list[RejectedExample]
    by_type: dict[str, int]
    matched_by_contact: int
    matched_by_customer: int
    unmatched: int


def survey_column_for(name: str, columns: dict[str, str]) -> str | None:
    """The survey field a source column holds (None: none), by hand-made mapping first, then by name."""
    for fieldname, source in columns.items():
        if source == name:
            return fieldname
    key = _norm(name)
    for fieldname, names in FIELDS.items():
        if fieldname not in columns and key in {_norm(n) for n in names}:
            return fieldname
    return None


def build_responses(engine: Engine, options: SurveyOptions, *, read: ReadOptions) -> SurveyInputDoc | None:
    """Stage ``voc_responses`` from the event log's survey fields and the survey files; None when there
    are no survey responses anywhere (the VoC steps then say so)."""
    staged: list[str] = []
    sources: list[str] = []
    events = _from_events(engine)
    if events is not None:
        staged.append(events)
        sources.append("event log")
    for i, path in enumerate(options.files):
        staged.append(_from_file(engine, Path(path), i, options, read))
        sources.append(str(path))
    if not staged:
        return None
    raw = "_cx_voc_raw"
    union = " UNION ALL BY NAME ".join(f"SELECT * FROM {t}" for t in staged)
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {raw} AS {union}")
    for t in staged:
        engine.execute(f"DROP TABLE IF EXISTS {t}")
    checked = _check(raw, options.scores)
    engine.execute(f"CREATE OR REPLACE TEMP TABLE _cx_voc_checked AS {checked}")
    engine.execute(f"DROP TABLE IF EXISTS {raw}")
    _match(engine, options.match_days)
    return _summary(engine, sources)


# --- the two sources: each a table of (source, source_row, contact_id, customer_id, ts, ts_text,
# survey_type, score_text, verbatim) --------------------------------------------------------------------


def _from_events(engine: Engine) -> str | None:
    """Survey fields carried by the event rows, or None when the log has none."""
    cols = {c.lower(): c for c in engine.columns(S.EVENTS_TABLE)}
    score = next((cols[c] for c in S.SURVEY_COLUMNS if c in cols), None)
    if score is None:
        return None
    kind = (
        f"lower(trim(CAST({ident(cols[S.SURVEY_TYPE])} AS VARCHAR)))"
        if S.SURVEY_TYPE in cols
        else lit(score.lower() if score.lower() in SCALES else "csat")
    )
    verbatim = f"CAST({ident(cols[S.VERBATIM])} AS VARCHAR)" if S.VERBATIM in cols else "NULL"
    table = "_cx_voc_from_events"
    engine.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT 'event log' AS source, {S.SOURCE_ROW} AS source_row,
               CAST({S.CONTACT_ID} AS VARCHAR) AS contact_id,
               CAST({S.CUSTOMER_ID} AS VARCHAR) AS customer_id, {S.TIMESTAMP} AS ts,
               CAST({S.TIMESTAMP} AS VARCHAR) AS ts_text, {kind} AS survey_type,
               nullif(trim(CAST({ident(score)} AS VARCHAR)), '') AS score_text,
               nullif(trim({verbatim}), '') AS verbatim
        FROM {S.EVENTS_TABLE}
        WHERE nullif(trim(CAST({ident(score)} AS VARCHAR)), '') IS NOT NULL
        """
    )
    if not engine.scalar(f"SELECT count(*) FROM {table}"):
        engine.execute(f"DROP TABLE {table}")
        return None
    return table


def _from_file(engine: Engine, path: Path, i: int, options: SurveyOptions, read: ReadOptions) -> str:
    view = f"_cx_voc_src{i}"
    source = open_source(path, engine, view, replace(read, sheet=options.sheet))
    types = {r["column_name"]: r["column_type"] for r in engine.rows(f"DESCRIBE {view}")}
    found: dict[str, str] = {}
    for name in types:
        if name == ROW:
            continue
        fieldname = survey_column_for(name, options.columns)
        if fieldname and fieldname not in found:
            found[fieldname] = name
    missing_mapped = sorted(set(options.columns) - set(found))
    if missing_mapped:
        f = missing_mapped[0]
        raise InputError(f"no column {options.columns[f]!r} for the survey field {f}", path=path)
    if "score" not in found:
        raise InputError(
            f"no score column (looked for {', '.join(FIELDS['score'])}; map one: --survey-map score=COLUMN)",
            path=path,
        )
    if "contact_id" not in found and "customer_id" not in found:
        raise InputError("no contact or customer id column: responses could not be matched", path=path)
    if "timestamp" not in found:
        raise InputError("no timestamp column (map one: --survey-map timestamp=COLUMN)", path=path)
    kind = _survey_kind(engine, view, found, options, path)

    def text(fieldname: str) -> str:
        return (
            f"nullif(trim(CAST({ident(found[fieldname])} AS VARCHAR)), '')" if fieldname in found else "NULL"
        )

    ts_col = ident(found["timestamp"])
    ts = typed_to_utc(ts_col, types[found["timestamp"]], read.effective_tz) or parse_text(
        f"trim(CAST({ts_col} AS VARCHAR))", tz=read.effective_tz, dayfirst=read.effective_dayfirst,
        formats=read.time_formats,
    )  # fmt: skip
    table = f"_cx_voc_file{i}"
    engine.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT {lit(str(path))} AS source, {ROW} AS source_row, {text("contact_id")} AS contact_id,
               {text("customer_id")} AS customer_id, {ts} AS ts, {text("timestamp")} AS ts_text,
               {kind} AS survey_type, {text("score")} AS score_text, {text("verbatim")} AS verbatim
        FROM {view}
        """
    )
    if source.tables:
        engine.unregister(view)
    else:
        engine.execute(f"DROP VIEW IF EXISTS {view}")
    return table


def _survey_kind(engine: Engine, view: str, found: dict[str, str], options: SurveyOptions, path: Path) -> str:
    """Each row's survey type, as SQL. What was said wins over what was guessed: a type column mapped by
    hand, else ``survey_type``, else a type column found by name that holds survey types only (a ticket's
    ``Type`` of ``Incident`` / ``Question`` is no survey type), else the score column's name (``NPS``)."""
    column = found.get("survey_type")
    if column is not None and "survey_type" in options.columns:
        return _lowered(column)
    if options.survey_type:
        return lit(options.survey_type)
    why = "no survey_type column"
    if column is not None:
        other = _not_survey_types(engine, view, column)
        if other is None:
            return _lowered(column)
        why = f"the column {column!r} holds {other}, not a survey type (nps, csat or ces),"
    if _norm(found["score"]) in SCALES:
        return lit(_norm(found["score"]))
    raise InputError(
        f"{why} and the score column does not say which survey it is: "
        "give --survey-type nps|csat|ces or --survey-map survey_type=COLUMN",
        path=path,
    )


def _not_survey_types(engine: Engine, view: str, column: str) -> str | None:
    """None when a column's values are all survey types (or empty) and one at least is; else what it
    holds instead, for the message."""
    value = f"nullif(lower(trim(CAST({ident(column)} AS VARCHAR))), '')"
    row = engine.rows(
        f"""
        SELECT count(v) AS filled, min(raw) FILTER (WHERE v NOT IN {in_list(SCALES)}) AS other
        FROM (SELECT {value} AS v, CAST({ident(column)} AS VARCHAR) AS raw FROM {view})
        """
    )[0]
    if row["other"] is not None:
        return repr(row["other"])
    return None if row["filled"] else "only empty values"


def _lowered(column: str) -> str:
    return f"lower(trim(CAST({ident(column)} AS VARCHAR)))"


# --- checks and matching --------------------------------------------------------------------------------
#: The reasons a score is rejected (docs/voc.md).
NO_SCORE: Final = "score missing"
TEXT_SCORE: Final = "score not a number (map text scores with --survey-score)"


def _check(raw: str, scores: dict[str, float]) -> str:
    """Each row with the first reason it cannot be used (NULL: kept) and the column at fault; a text
    score is read through ``scores`` (label -> number, without case or surrounding spaces)."""
    ranges = " ".join(f"WHEN survey_type = {lit(k)} THEN {lo}" for k, (lo, _) in SCALES.items())
    tops = " ".join(f"WHEN survey_type = {lit(k)} THEN {hi}" for k, (_, hi) in SCALES.items())
    known = ", ".join(lit(k) for k in SCALES)
    labels = " ".join(
        f"WHEN {lit(label.strip().lower())} THEN {num(number)}" for label, number in scores.items()
    )
    mapped = f"CASE lower(trim(score_text)) {labels} END" if labels else "NULL"
    return f"""
        WITH r AS (
            SELECT *, coalesce(TRY_CAST(score_text AS DOUBLE), {mapped}) AS score,
                   CASE {ranges} END AS lo, CASE {tops} END AS hi
            FROM {raw}
        )
        SELECT *,
               CASE
                   WHEN contact_id IS NULL AND customer_id IS NULL THEN 'no contact or customer id'
                   WHEN ts IS NULL THEN 'timestamp missing or not a time'
                   WHEN survey_type IS NULL OR survey_type NOT IN ({known})
                       THEN 'unknown survey type (nps, csat or ces)'
                   WHEN score_text IS NULL THEN {lit(NO_SCORE)}
                   WHEN score IS NULL THEN {lit(TEXT_SCORE)}
                   WHEN score < lo OR score > hi THEN 'score outside the survey type''s scale'
               END AS reason,
               CASE
                   WHEN contact_id IS NULL AND customer_id IS NULL THEN 'contact_id'
                   WHEN ts IS NULL THEN 'timestamp'
                   WHEN survey_type IS NULL OR survey_type NOT IN ({known}) THEN 'survey_type'
                   ELSE 'score'
               END AS bad_column
        FROM r
    """


def _match(engine: Engine, match_days: float) -> None:
    engine.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {RESPONSES} AS
        WITH kept AS (
            -- source rows repeat across the log's files: every value breaks the tie, not the storage order
            SELECT row_number() OVER (ORDER BY source, source_row, contact_id, customer_id, ts, ts_text,
                                               survey_type, score_text, verbatim) AS response_id, *
            FROM _cx_voc_checked WHERE reason IS NULL
        ), by_contact AS (
            SELECT k.response_id, c.{S.CONTACT_ID} AS matched
            FROM kept k JOIN {S.CONTACTS_TABLE} c ON c.{S.CONTACT_ID} = k.contact_id
        ), by_customer AS (
            SELECT k.response_id, arg_max(c.{S.CONTACT_ID}, (c.start_ts, c.{S.CONTACT_ID})) AS matched
            FROM kept k JOIN {S.CONTACTS_TABLE} c
              ON c.{S.CUSTOMER_ID} = k.customer_id AND c.start_ts <= k.ts
             AND k.ts - c.end_ts <= {days_interval(match_days)}
            WHERE k.response_id NOT IN (SELECT response_id FROM by_contact)
            GROUP BY k.response_id
        ), m AS (
            SELECT response_id, matched, 'contact' AS matched_by FROM by_contact
            UNION ALL SELECT response_id, matched, 'customer' FROM by_customer
        )
        SELECT k.response_id, m.matched AS contact_id,
               coalesce(k.customer_id, c.{S.CUSTOMER_ID}) AS customer_id, k.ts,
               CAST(date_trunc('week', k.ts) AS DATE) AS week, k.survey_type, k.score, k.verbatim,
               c.{S.REASON} AS reason, c.entry_channel AS channel, c.final_queue AS queue,
               c.final_team AS team, coalesce(m.matched_by, 'unmatched') AS matched_by,
               k.source, k.source_row
        FROM kept k LEFT JOIN m USING (response_id)
        LEFT JOIN {S.CONTACTS_TABLE} c ON c.{S.CONTACT_ID} = m.matched
        ORDER BY k.response_id
        """
    )


def _summary(engine: Engine, sources: list[str]) -> SurveyInputDoc:
    counts = engine.rows(
        "SELECT reason, count(*) AS n FROM _cx_voc_checked GROUP BY reason ORDER BY n DESC, reason"
    )
    rejected = {r["reason"]: int(r["n"]) for r in counts if r["reason"] is not None}
    kept = sum(int(r["n"]) for r in counts if r["reason"] is None)
    examples = engine.rows(
        f"""
        SELECT source, source_row AS row, bad_column AS column,
               CASE bad_column WHEN 'score' THEN score_text WHEN 'survey_type' THEN survey_type
                               WHEN 'timestamp' THEN ts_text END AS value, reason
        FROM _cx_voc_checked WHERE reason IS NOT NULL ORDER BY source, source_row LIMIT {_EXAMPLES}
        """
    )
    engine.execute("DROP TABLE IF EXISTS _cx_voc_checked")
    matched = {
        r["matched_by"]: int(r["n"])
        for r in engine.rows(f"SELECT matched_by, count(*) AS n FROM {RESPONSES} GROUP BY matched_by")
    }
    by_type = {
        r["survey_type"]: int(r["n"])
        for r in engine.rows(
            f"SELECT survey_type, count(*) AS n FROM {RESPONSES} GROUP BY survey_type ORDER BY survey_type"
        )
    }
    return {
        "sources": sources,
        "rows_read": kept + sum(rejected.values()),
        "rows_kept": kept,
        "rows_rejected": sum(rejected.values()),
        "rejected_by_reason": rejected,
        "rejected_examples": [
            {
                "source": str(e["source"]),
                "row": None if e["row"] is None else int(e["row"]),
                "column": e["column"],
                "value": e["value"],
                "reason": e["reason"],
            }
            for e in examples
        ],
        "by_type": by_type,
        "matched_by_contact": matched.get("contact", 0),
        "matched_by_customer": matched.get("customer", 0),
        "unmatched": matched.get("unmatched", 0),
    }


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


__all__ = [
    "FIELDS",
    "NO_SCORE",
    "RESPONSES",
    "SCALES",
    "TEXT_SCORE",
    "RejectedExample",
    "SurveyInputDoc",
    "SurveyOptions",
    "build_responses",
    "survey_column_for",
]
