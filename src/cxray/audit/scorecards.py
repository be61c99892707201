"""Scorecards with shared definitions, and a check that "resolved" means one thing (issue 18, item 7).

When each team or vendor reports its own numbers, each defines them its own way, and the scorecards
compare definitions, not performance. Here every party is measured from the same contacts with the same
definitions (:data:`cxray.audit.followup.METRICS`, as ``cxray.metrics`` defines them), weighted as a YAML
file says::

    parties:                      # whose scorecard; each by exactly one of team or source_file
      - name: Nexa BPO
        team: Nexa BPO            # its contacts: those it owned at close (final_team)
      - name: Legacy CRM
        source_file: crm.csv      # its contacts: those whose events came from that file
    weights:                      # weight per measure, shared by every party
      fcr: 2
      repeat_contact_rate: 1
      handle_time_mean_s: 1
    pairs:                        # leading / lagging pairs shown side by side
      - {leading: fcr, lagging: csat}
    definitions:
      threshold: 0.2              # flag: reported resolved minus "did not come back" above this
      min_contacts: 20

**Composite.** Each measure becomes a 0..1 score, better is higher: a rate is its own value (or one minus
it when lower is better); a time, a cost or a survey score is relative to the best party (best / value when
lower is better, value / best when higher is better). The composite is the weighted mean of the scores the
party has, and the measures it lacks are named. ``csat`` is the mean survey score of the party's contacts
(a ``csat`` column, else ``survey_score`` where ``survey_type`` is CSAT).

**Pairs.** A leading measure (FCR) should move with its lagging one (CSAT): per party, whether each is
better or worse than all parties together, and ``agree`` False when they point different ways.

**Definitions check.** "Resolved" in a source system is a disposition code; whether the customer came back
is behaviour. Per party: the share of contacts reported resolved (an event outcome ``resolved``, over
contacts with an outcome) against the share that did *not* come back (no repeat within the window, over
uncensored contacts of identified customers). A party whose reported share exceeds the did-not-come-back
share by more than ``threshold`` is flagged: it marks resolved what customers then contact again about.

Unknown keys, measures or values are ``ConfigError``s naming the file and the key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final, Literal

from .. import schema as S
from ..engine import Engine
from ..errors import ConfigError, InputError
from ..sql import ident
from ..yamlio import load_yaml
from .followup import METRICS, contacts_with_journeys_sql
from .segments import AUDIT_CONTACTS as _AUDIT

__all__ = [
    "DefinitionCheck",
    "Pair",
    "Party",
    "PartyCard",
    "ScorecardSpec",
    "Scorecards",
    "definitions_check",
    "load_scorecards",
    "parse_scorecards",
    "scorecards",
]

_MEMBERS: Final = "_cx_audit_scorecard_members"
_C = ident(S.CONTACT_ID)
CSAT: Final = "csat"
#: Which way is better for each measure a scorecard may weigh.
HIGHER_IS_BETTER: Final[dict[str, bool]] = {
    "fcr": True,
    "repeat_contact_rate": False,
    "reported_fcr": True,
    "transfer_rate": False,
    "ping_pong_rate": False,
    "escalation_rate": False,
    "abandonment_rate": False,
    "containment_rate": True,
    "true_containment_rate": True,
    "handle_time_mean_s": False,
    "cost_per_contact": False,
    CSAT: True,
}
_TOP: Final = ("parties", "weights", "pairs", "definitions")


@dataclass(frozen=True)
class Party:
    name: str
    by: Literal["team", "source_file"]
    value: str


@dataclass(frozen=True)
class ScorecardSpec:
    parties: tuple[Party, ...]
    weights: tuple[tuple[str, float], ...]
    pairs: tuple[tuple[str, str], ...]
    threshold: float = 0.2
    min_contacts: int = 20


@dataclass(frozen=True)
class Pair:
    leading: str
    lagging: str
    leading_value: float | None
    lagging_value: float | None
    agree: bool | None  # None: a value or the all-parties value is missing


@dataclass(frozen=True)
class DefinitionCheck:
    """One party's reported-resolved share against the share of its contacts that did not come back."""

    party: str
    contacts: int
    reported_resolved: float | None
    not_came_back: float | None
    gap: float | None  # reported_resolved - not_came_back
    flagged: bool
    reason: str


@dataclass(frozen=True)
class PartyCard:
    party: str
    contacts: int
    values: tuple[tuple[str, float | None], ...]  # (measure, value) for every weighted or paired measure
    scores: tuple[tuple[str, float], ...]  # (measure, 0..1 score) for the weighted measures it has
    composite: float | None
    missing: tuple[str, ...]
    pairs: tuple[Pair, ...]
    definitions: DefinitionCheck


@dataclass(frozen=True)
class Scorecards:
    cards: tuple[PartyCard, ...]  # by composite, best first (None last), then name
    overall: tuple[tuple[str, float | None], ...]  # every measure over all parties' contacts
    flagged: tuple[str, ...]  # parties the definitions check flags
    threshold: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_scorecards(path: str | Path) -> ScorecardSpec:
    """Read a scorecards YAML file (format: module docstring); mistakes are ``ConfigError``s naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read scorecards: {exc.strerror or exc}", path=path) from exc
    return parse_scorecards(text, path=path)


def parse_scorecards(text: str, *, path: str | Path | None = None) -> ScorecardSpec:
    """A :class:`ScorecardSpec` from YAML text; ``path`` names the source in error messages."""
    data = load_yaml(text, path=path)

    def fail(where: str, message: str) -> ConfigError:
        return ConfigError(f"{where}: {message}", path=path)

    data = _mapping(data, "scorecards", _TOP, fail)
    known = ", ".join(HIGHER_IS_BETTER)
    parties = []
    raw_parties = data.get("parties")
    if not isinstance(raw_parties, list) or not raw_parties:
        raise fail("parties", "expected a non-empty list")
    for i, raw in enumerate(raw_parties):
        where = f"parties[{i}]"
        item = _mapping(raw, where, ("name", "team", "source_file"), fail)
        by = [k for k in ("team", "source_file") if k in item]
        if len(by) != 1:
            raise fail(where, "needs exactly one of team or source_file")
        value = item[by[0]]
        name = item.get("name", value)
        if not isinstance(value, str) or not isinstance(name, str) or not value or not name:
            raise fail(where, "name, team and source_file must be non-empty strings")
        parties.append(Party(name, by[0], value))
    if len({p.name for p in parties}) != len(parties):
        raise fail("parties", "party names must be unique")
    weights = []
    for key, w in _mapping(data.get("weights", {}), "weights", tuple(HIGHER_IS_BETTER), fail).items():
        if isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w) or w < 0:
            raise fail(f"weights.{key}", f"expected a number >= 0, got {w!r}")
        weights.append((str(key), float(w)))
    pairs = []
    raw_pairs = data.get("pairs", [])
    if not isinstance(raw_pairs, list):
        raise fail("pairs", "expected a list")
    for i, raw in enumerate(raw_pairs):
        item = _mapping(raw, f"pairs[{i}]", ("leading", "lagging"), fail)
        for k in ("leading", "lagging"):
            if item.get(k) not in HIGHER_IS_BETTER:
                raise fail(f"pairs[{i}].{k}", f"unknown measure {item.get(k)!r}; expected one of {known}")
        pairs.append((str(item["leading"]), str(item["lagging"])))
    defs = _mapping(data.get("definitions", {}), "definitions", ("threshold", "min_contacts"), fail)
    threshold = defs.get("threshold", 0.2)
    min_contacts = defs.get("min_contacts", 20)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
        raise fail("definitions.threshold", f"expected a share between 0 and 1, got {threshold!r}")
    if isinstance(min_contacts, bool) or not isinstance(min_contacts, int) or min_contacts < 1:
        raise fail("definitions.min_contacts", f"expected a whole number >= 1, got {min_contacts!r}")
    return ScorecardSpec(tuple(parties), tuple(weights), tuple(pairs), float(threshold), min_contacts)


def _mapping(raw: Any, where: str, keys: Sequence[str], fail: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise fail(where, f"expected a mapping, got {type(raw).__name__}")
    for key in raw:
        if key not in keys:
            raise fail(f"{where}.{key}" if where != "scorecards" else str(key),
                       f"unknown key; expected {', '.join(keys)}")  # fmt: skip
    return raw


def scorecards(
    engine: Engine, spec: ScorecardSpec, *, period: Literal["before", "after"] | None = None
) -> Scorecards:
    """Each party's measures, composite, pairs and definitions check over ``audit_contacts`` (of ``period``;
    None: all of them). ``engine`` holds ``events`` (for source files and survey scores) too."""
    if not engine.has_table(_AUDIT):
        raise InputError(f"scorecards need the {_AUDIT} table: build it with the audit pipeline first")
    measures = list(dict.fromkeys([m for m, _ in spec.weights] + [m for p in spec.pairs for m in p]))
    try:
        _stage_members(engine, [(p.name, p.by, p.value) for p in spec.parties])
        values = _values(engine, measures, period)
        checks = _checks(engine, spec.threshold, spec.min_contacts, period)
    finally:
        engine.execute(f"DROP TABLE IF EXISTS {_MEMBERS}")
    overall = values.pop(None, {})
    best: dict[str, float] = {}
    for m in measures:
        seen = [x for v in values.values() if (x := v.get(m)) is not None]
        if seen:
            best[m] = max(seen) if HIGHER_IS_BETTER[m] else min(seen)
    cards = [
        _card(p.name, values.get(p.name, {}), overall, best, spec, checks.get(p.name)) for p in spec.parties
    ]
    cards.sort(key=lambda c: (c.composite is None, -(c.composite or 0.0), c.party))
    return Scorecards(
        tuple(cards),
        tuple((m, overall.get(m)) for m in measures),
        tuple(c.party for c in cards if c.definitions.flagged),
        spec.threshold,
    )


def definitions_check(
    engine: Engine,
    *,
    by: Literal["team", "source_file"] = "team",
    threshold: float = 0.2,
    min_contacts: int = 20,
    period: Literal["before", "after"] | None = None,
) -> tuple[DefinitionCheck, ...]:
    """The definitions check for every team (``final_team``) or source file of ``audit_contacts``, flagged
    first, then by gap; for an audit without a scorecards file."""
    if not engine.has_table(_AUDIT):
        raise InputError(f"the definitions check needs the {_AUDIT} table: build it with the audit pipeline")
    try:
        _stage_members(engine, None, by=by)
        checks = _checks(engine, threshold, min_contacts, period)
    finally:
        engine.execute(f"DROP TABLE IF EXISTS {_MEMBERS}")
    return tuple(sorted(checks.values(), key=lambda c: (not c.flagged, -(c.gap or -2.0), c.party)))


def _stage_members(engine: Engine, parties: list[tuple[str, str, str]] | None, *, by: str = "team") -> None:
    """(party, contact_id) rows: a team's contacts by final_team, a file's by its events' source_file."""
    files = f"SELECT DISTINCT {_C}, {ident(S.SOURCE_FILE)} AS v FROM {S.EVENTS_TABLE}"
    teams = f"SELECT {_C}, {ident(S.FINAL_TEAM)} AS v FROM {_AUDIT}"
    if parties is None:
        engine.execute(
            f"CREATE OR REPLACE TEMP TABLE {_MEMBERS} AS SELECT v AS party, {_C} FROM "
            f"({files if by == 'source_file' else teams}) WHERE v IS NOT NULL"
        )
        return
    parts, params = [], []
    for name, kind, value in parties:
        parts.append(
            f"SELECT ? AS party, {_C} FROM ({files if kind == 'source_file' else teams}) WHERE v = ?"
        )
        params += [name, value]
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {_MEMBERS} AS {' UNION ALL '.join(parts)}", params)


def _rows_sql(period: str | None) -> tuple[str, list[Any]]:
    """Member contacts (with their journeys) and their party, of the period."""
    where, params = ("WHERE a.audit_period = ?", [period]) if period else ("", [])
    sql = (
        f"(SELECT m.party, a.* FROM {contacts_with_journeys_sql()} a JOIN {_MEMBERS} m USING ({_C}) {where})"
    )
    return sql, params


def _values(
    engine: Engine, measures: list[str], period: str | None
) -> dict[str | None, dict[str, float | None]]:
    """Every measure per party, and over all member contacts (key None)."""
    rows_sql, params = _rows_sql(period)
    csat = _csat_sql(engine) if CSAT in measures else None
    if csat:
        rows_sql = f"(SELECT r.*, s.score AS csat FROM {rows_sql} r LEFT JOIN ({csat}) s USING ({_C}))"
    cols = ["count(DISTINCT " + _C + ") AS contacts"]
    for m in measures:
        if m == CSAT:
            cols.append(f"avg(csat) AS {ident(m)}" if csat else f"CAST(NULL AS DOUBLE) AS {ident(m)}")
            continue
        kind, num, den = METRICS[m]
        expr = f"avg({num})" if kind == "mean" else f"({num}) / nullif({den}, 0)"
        cols.append(f"{expr} AS {ident(m)}")
    rows = engine.rows(
        f"SELECT party, {', '.join(cols)} FROM {rows_sql} "
        "GROUP BY GROUPING SETS ((party), ()) ORDER BY party",
        params,
    )
    out: dict[str | None, dict[str, float | None]] = {}
    for r in rows:
        out[r["party"]] = {m: (None if r[m] is None else float(r[m])) for m in measures}
        out[r["party"]]["__contacts__"] = float(r["contacts"])
    return out


def _csat_sql(engine: Engine) -> str | None:
    """Per contact, its mean CSAT score from the events' kept survey columns (None when there are none)."""
    cols = set(engine.columns(S.EVENTS_TABLE))
    if S.CSAT in cols:
        score, cond = f"TRY_CAST({ident(S.CSAT)} AS DOUBLE)", "true"
    elif S.SURVEY_SCORE in cols and S.SURVEY_TYPE in cols:
        score, cond = (
            f"TRY_CAST({ident(S.SURVEY_SCORE)} AS DOUBLE)",
            f"lower({ident(S.SURVEY_TYPE)}) = 'csat'",
        )
    else:
        return None
    return f"SELECT {_C}, avg({score}) AS score FROM {S.EVENTS_TABLE} WHERE {cond} GROUP BY {_C}"


def _checks(
    engine: Engine, threshold: float, min_contacts: int, period: str | None
) -> dict[str, DefinitionCheck]:
    rows_sql, params = _rows_sql(period)
    uncensored = f"NOT {ident(S.IS_CENSORED)} AND {ident(S.CUSTOMER_ID)} IS NOT NULL"
    rows = engine.rows(
        f"""SELECT party, count(*) AS n,
                   count_if({ident(S.IS_REPORTED_RESOLVED)}) AS rr,
                   count_if({ident(S.FINAL_OUTCOME)} IS NOT NULL) AS with_outcome,
                   count_if({uncensored} AND NOT {ident(S.HAS_REPEAT)}) AS stayed,
                   count_if({uncensored}) AS known
            FROM {rows_sql} GROUP BY party ORDER BY party""",
        params,
    )
    out = {}
    for r in rows:
        rep = r["rr"] / r["with_outcome"] if r["with_outcome"] else None
        stay = r["stayed"] / r["known"] if r["known"] else None
        gap = None if rep is None or stay is None else rep - stay
        enough = min(r["with_outcome"], r["known"]) >= min_contacts
        flagged = gap is not None and enough and gap > threshold
        if gap is None:
            reason = "no reported outcomes or no identified, uncensored contacts: nothing to compare"
        else:
            reason = (
                f"reports {rep:.0%} resolved while {1 - stay:.0%} came back ({100 * gap:+.0f} points"  # type: ignore[operator]
                f" against a threshold of {100 * threshold:.0f})"
            )
            if not enough:
                reason += f"; fewer than {min_contacts} contacts to judge"
        out[r["party"]] = DefinitionCheck(r["party"], int(r["n"]), rep, stay, gap, flagged, reason)
    return out


def _card(
    name: str,
    values: Mapping[str, float | None],
    overall: Mapping[str, float | None],
    best: Mapping[str, float],
    spec: ScorecardSpec,
    check: DefinitionCheck | None,
) -> PartyCard:
    scores, missing, total, weight = [], [], 0.0, 0.0
    for m, w in spec.weights:
        v = values.get(m)
        if v is None:
            missing.append(m)
            continue
        s = _score(m, v, best.get(m))
        scores.append((m, s))
        total += w * s
        weight += w
    pairs = []
    for lead, lag in spec.pairs:
        lv, gv = values.get(lead), values.get(lag)
        lo, go = overall.get(lead), overall.get(lag)
        agree = None
        if None not in (lv, gv, lo, go):
            sign = [
                (v - o) * (1 if HIGHER_IS_BETTER[m] else -1)  # type: ignore[operator]
                for m, v, o in ((lead, lv, lo), (lag, gv, go))
            ]
            agree = (sign[0] >= 0) == (sign[1] >= 0)
        pairs.append(Pair(lead, lag, lv, gv, agree))
    measures = list(dict.fromkeys([m for m, _ in spec.weights] + [m for p in spec.pairs for m in p]))
    empty = DefinitionCheck(name, 0, None, None, None, False, "no contacts")
    return PartyCard(
        party=name,
        contacts=int(values.get("__contacts__") or 0),
        values=tuple((m, values.get(m)) for m in measures),
        scores=tuple(scores),
        composite=total / weight if weight else None,
        missing=tuple(missing),
        pairs=tuple(pairs),
        definitions=check or empty,
    )


def _score(measure: str, value: float, best: float | None) -> float:
    """A 0..1 score, higher is better: a rate as itself (or 1 - it); anything else against the best party."""
    higher = HIGHER_IS_BETTER[measure]
    if measure in METRICS and METRICS[measure][0] == "rate":
        return value if higher else 1.0 - value
    if best is None or value <= 0 or best <= 0:
        return 0.0
    return min(1.0, value / best if higher else best / value)
