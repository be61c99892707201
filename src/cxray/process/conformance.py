"""Documented vs. actual: replay every contact against the documented process (or an inferred one).

Each contact's events, in ``(timestamp, source_row)`` order and with activities mapped to steps by
the model's aliases, form *moves* ``start -> s1 -> s2 ... -> end``. A contact **fits** when every move is
an allowed transition (so it starts at an allowed start and ends at an allowed end) and every required
step occurs; ``fitness`` is the share of contacts that fit. Everything that breaks the fit is reported
with how often it happens, the contacts it touches, their cost (when ``contacts.cost`` exists, from
:func:`cxray.journeys.build_journeys`) and a few example contact ids (sorted): undocumented transitions
(workarounds, informal handoffs), undocumented steps, skipped required steps, loops (a step repeated in
a contact; ``documented`` when the model has a cycle through it) and handoffs slower than their target.

Without a model the happy path is inferred: per reason and entry channel (or for all contacts when the
log has neither), the most frequent step sequence; a contact fits when it follows its scope's happy path
exactly. The
result says which was used (``model_source``). All of it is set-based SQL over temporary tables; only
the model (small) and the aggregated rows pass through Python.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal, NotRequired

from typing_extensions import TypedDict

from .. import schema as S
from ..contract import IdentifiersAt
from ..engine import Engine
from ..errors import ConfigError
from ..ordered import IS_LAST, NEXT_ACTIVITY, activity_repeats, ordered_events
from ..sql import exact, ident, integer, repeats_by, sql_string
from .model import END, START, ProcessModel

_P: Final = "_cx_conf_"  # prefix of every temporary table of this module
_SEP: Final = "\x1f"  # joins a contact's steps into one comparable text (unit separator)
# Money is summed exactly (sql.exact, to the millionth): a float sum depends on the order rows arrive in,
# which varies with threads and engines, and a total at a rounding boundary would then print differently.
_MONEY_SCALE: Final = 6
_C, _A = ident(S.CONTACT_ID), ident(S.ACTIVITY)
# Up to this many required steps, a contact's reached ones are kept as a bit string (see _skipped).
_MAX_BITS: Final = 1024


@dataclass(frozen=True, kw_only=True)
class ConformanceOptions:
    """``examples``: contact ids listed per deviation; ``top``: rows per list (0 = all)."""

    examples: int = 5
    top: int = 20

    def __post_init__(self) -> None:
        if self.examples < 0 or self.top < 0:
            raise ConfigError("examples and top must be >= 0")


#: A row of a deviation list (columns vary by list); its example contacts are identifiers.
DeviationRow = Annotated[dict[str, Any], IdentifiersAt("examples", "examples_off_path")]


class ConformanceDoc(TypedDict):
    """``conformance`` in ``diagnosis.json`` (see :func:`check_conformance`)."""

    model_source: Literal["documented", "inferred"]
    model: dict[str, Any]
    happy_paths: NotRequired[list[dict[str, Any]]]
    n_contacts: int
    fitting_contacts: int
    fitness: float | None
    cost_nonfitting: float | None
    deviations: dict[str, int]
    undocumented_transitions: list[DeviationRow]
    undocumented_steps: list[DeviationRow]
    required_skipped: list[DeviationRow]
    loops: list[DeviationRow]
    slow_handoffs: list[DeviationRow]
    expected_paths: list[DeviationRow]
    flow: list[dict[str, Any]]


def check_conformance(
    engine: Engine, model: ProcessModel | None = None, *, options: ConformanceOptions = ConformanceOptions()
) -> ConformanceDoc:
    """Replay the ``events`` table against ``model`` (or an inferred happy path when None).

    Returns
    -------
    dict
        ``model_source`` ("documented" or "inferred"), ``model`` (its summary, or the happy paths),
        ``n_contacts``, ``fitting_contacts``, ``fitness``, ``cost_nonfitting`` (None without costs),
        ``deviations`` (contacts per kind: bad_start, bad_end, undocumented_transition,
        undocumented_step, required_skipped), and lists ``undocumented_transitions``,
        ``undocumented_steps``, ``required_skipped``, ``loops``, ``slow_handoffs``, ``expected_paths``,
        ``flow`` (every observed move and every documented transition, with ``documented``).
        Lists are sorted by contacts, then count, then name, so the document is deterministic.

    >>> from cxray.engine import Engine
    >>> from cxray.testing import load_rows
    >>> from cxray.process.model import model_from_dict
    >>> e = Engine()
    >>> load_rows(e, [
    ...     {"contact_id": "c1", "timestamp": "2024-01-01T09:00:00", "activity": "Open"},
    ...     {"contact_id": "c1", "timestamp": "2024-01-01T09:05:00", "activity": "Close"},
    ...     {"contact_id": "c2", "timestamp": "2024-01-01T09:00:00", "activity": "Close"},
    ... ])
    >>> m = model_from_dict({"transitions": {"start": ["Open"], "Open": ["Close"], "Close": ["end"]}})
    >>> check_conformance(e, m)["fitness"]
    0.5
    """
    with _tables(engine) as t:
        inferred = model is None
        happy: list[dict[str, Any]] = []
        if model is None:
            _scopes(engine, t, by_reason=True)
            model_dict, happy = _infer(engine, t)
        else:
            _scopes(engine, t, by_reason=False)
            _load_model(engine, t, model)
            _seq(engine, t)
            model_dict = model.to_dict()
        _replay(engine, t)
        out: dict[str, Any] = {"model_source": "inferred" if inferred else "documented", "model": model_dict}
        if inferred:
            out["happy_paths"] = happy
        out.update(_summary(engine, t))
        out.update(_deviation_lists(engine, t, options, model))
        out["slow_handoffs"] = [] if model is None else _slow(engine, t, model, options)
        out["expected_paths"] = [] if model is None else _expected(engine, t, model, options)
        out["flow"] = _flow(engine, t, documented=not inferred)
    return out  # type: ignore[return-value]  # assembled from its parts above, key for key


# --- temporary tables ---------------------------------------------------------------------------------
class _Names:
    alias, trans, req, known = _P + "alias", _P + "trans", _P + "req", _P + "known"
    scope, seq, moves, contacts = _P + "scope", _P + "seq", _P + "moves", _P + "contacts"
    unknown, skipped = _P + "unknown", _P + "skipped"
    all = (alias, trans, req, known, scope, seq, moves, contacts, unknown, skipped)


@contextmanager
def _tables(engine: Engine) -> Iterator[type[_Names]]:
    try:
        yield _Names
    finally:
        for name in _Names.all:
            engine.execute(f"DROP TABLE IF EXISTS {name}")


def _put(engine: Engine, name: str, columns: dict[str, list[Any]]) -> None:
    """Create temp table ``name`` of string columns from small Python lists (the model, never events).

    Parallel ``unnest`` of list parameters zips them; no Arrow registration is needed.
    """
    cols = ", ".join(f"unnest(?::VARCHAR[]) AS {ident(k)}" for k in columns)
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {cols}", list(columns.values()))


def _scopes(engine: Engine, t: type[_Names], *, by_reason: bool) -> None:
    """Each contact's scope (its first reason and channel when inferring, else one scope for all) and
    its first reason and channel (for expected paths)."""
    ordered = ordered_events(engine)
    reason = f"arg_min({ident(S.REASON)}, seq)"  # the first that is not NULL: arg_min skips NULL values
    channel = f"arg_min({ident(S.CHANNEL)}, seq)"
    # A reason's work differs by the channel it enters by (a bot session is not a phone call), so an
    # inferred happy path belongs to a reason and an entry channel.
    scope = f"coalesce({reason}, '') || {sql_string(_SEP)} || coalesce({channel}, '')" if by_reason else "''"
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {t.scope} AS
        SELECT {_C} AS c, {scope} AS scope, {reason} AS reason, {channel} AS channel
        FROM {ordered} GROUP BY {_C}"""
    )


def _load_model(engine: Engine, t: type[_Names], model: ProcessModel) -> None:
    aliases = sorted(model.aliases.items())
    _put(engine, t.alias, {"activity": [a for a, _ in aliases], "step": [s for _, s in aliases]})
    pairs = sorted(model.transitions)
    _put(
        engine,
        t.trans,
        {"scope": [""] * len(pairs), "src": [a for a, _ in pairs], "dst": [b for _, b in pairs]},
    )
    _put(engine, t.req, {"scope": [""] * len(model.required), "step": list(model.required)})
    _put(engine, t.known, {"scope": [""] * len(model.steps), "step": list(model.steps)})


def _seq(engine: Engine, t: type[_Names]) -> None:
    """Each contact's steps in order (aliases applied) with its scope, the next step (``end`` after the
    last) and the seconds to it, from the events already ordered by
    :func:`~cxray.ordered.ordered_events` (the scope is joined once here, not in every query)."""
    ordered = ordered_events(engine)
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {t.seq} AS
        SELECT e.{_C} AS c, sc.scope, coalesce(al.step, e.{_A}) AS step, e.seq AS pos,
               CASE WHEN e.{IS_LAST} THEN {sql_string(END)}
                    ELSE coalesce(an.step, e.{NEXT_ACTIVITY}) END AS nxt,
               (epoch_us(e.next_ts) - epoch_us(e.ts)) / 1e6 AS gap_s
        FROM {ordered} e JOIN {t.scope} sc ON sc.c = e.{_C}
        LEFT JOIN {t.alias} al ON al.activity = e.{_A}
        LEFT JOIN {t.alias} an ON an.activity = e.{NEXT_ACTIVITY}"""
    )


def _infer(engine: Engine, t: type[_Names]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Happy path per scope: the most frequent step sequence (ties: the smallest sequence text)."""
    _put(engine, t.alias, {"activity": [], "step": []})
    _seq(engine, t)
    # Contacts are grouped by a key of their sequence (length and the sum of hash(position, step), as
    # the flow map's variants are), and only the most frequent sequences of each scope are spelled out.
    rows = engine.rows(
        f"""WITH traces AS (
            SELECT c, count(*) AS len, sum(hash(pos, step)) AS h FROM {t.seq} GROUP BY c
        ), counted AS (
            SELECT s.scope, len, h, count(*) AS n, min(c) AS rep,
                   sum(count(*)) OVER (PARTITION BY s.scope) AS total
            FROM traces JOIN {t.scope} s USING (c) GROUP BY s.scope, len, h
            QUALIFY rank() OVER (PARTITION BY s.scope ORDER BY count(*) DESC) = 1
        ), named AS (
            SELECT c AS rep, string_agg(step, {sql_string(_SEP)} ORDER BY pos) AS path
            FROM {t.seq} WHERE c IN (SELECT rep FROM counted) GROUP BY c
        )
        SELECT scope, path, n, total FROM counted JOIN named USING (rep)
        QUALIFY row_number() OVER (PARTITION BY scope ORDER BY n DESC, path) = 1
        ORDER BY total DESC, scope"""
    )
    trans: dict[str, list[str]] = {"scope": [], "src": [], "dst": []}
    req: dict[str, list[str]] = {"scope": [], "step": []}
    happy = []
    for r in rows:
        steps = r["path"].split(_SEP)
        for a, b in zip([START, *steps], [*steps, END], strict=True):
            trans["scope"].append(r["scope"])
            trans["src"].append(a)
            trans["dst"].append(b)
        for s in dict.fromkeys(steps):
            req["scope"].append(r["scope"])
            req["step"].append(s)
        reason, _, channel = r["scope"].partition(_SEP)
        happy.append(
            {
                "reason": reason or None,
                "channel": channel or None,
                "path": steps,
                "contacts": int(r["n"]),
                "of": int(r["total"]),
                "share": _ratio(r["n"], r["total"]),
            }
        )
    _put(engine, t.trans, trans)
    _put(engine, t.req, req)
    _put(engine, t.known, req)
    keys = [k for k in ("reason", "channel") if any(h[k] for h in happy)]
    name = f"happy path per {' and '.join(keys)}" if keys else "happy path"
    return {"name": f"inferred {name} (most frequent variant)"}, happy


def _replay(engine: Engine, t: type[_Names]) -> None:
    """Moves with ``allowed``; the (contact, step) pairs off the model and the required steps skipped,
    each materialised once for the per-contact verdict and the deviation lists."""
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {t.moves} AS
        WITH m AS (
            SELECT c, scope, pos, step AS src, nxt AS dst, gap_s FROM {t.seq}
            UNION ALL SELECT c, scope, 0, {sql_string(START)}, step, NULL FROM {t.seq} WHERE pos = 1
        )
        SELECT m.*, tr.src IS NOT NULL AS allowed
        FROM m LEFT JOIN {t.trans} tr ON tr.scope = m.scope AND tr.src = m.src AND tr.dst = m.dst"""
    )
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {t.unknown} AS
        SELECT q.c, q.step, count(*) AS n FROM {t.seq} q
        ANTI JOIN {t.known} k ON k.scope = q.scope AND k.step = q.step GROUP BY q.c, q.step"""
    )
    _skipped(engine, t)
    cost = _cost_sql(engine)
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {t.contacts} AS
        WITH mv AS (
            SELECT c,
                count(*) FILTER (WHERE NOT allowed AND src = {sql_string(START)}) AS bad_start,
                count(*) FILTER (WHERE NOT allowed AND dst = {sql_string(END)}) AS bad_end,
                count(*) FILTER (WHERE NOT allowed AND src <> {sql_string(START)}
                                 AND dst <> {sql_string(END)}) AS bad_moves
            FROM {t.moves} GROUP BY c
        ), unknown AS (SELECT c, sum(n) AS n FROM {t.unknown} GROUP BY c),
        skipped AS (SELECT c, count(*) AS n FROM {t.skipped} GROUP BY c)
        SELECT mv.c, mv.bad_start, mv.bad_end, mv.bad_moves,
            coalesce(unknown.n, 0) AS unknown_steps, coalesce(skipped.n, 0) AS skipped,
            mv.bad_start + mv.bad_end + mv.bad_moves + coalesce(skipped.n, 0) = 0 AS fits,
            {cost} AS cost
        FROM mv LEFT JOIN unknown USING (c) LEFT JOIN skipped USING (c) {_cost_join(engine)}"""
    )


def _skipped(engine: Engine, t: type[_Names]) -> None:
    """The (contact, required step) pairs the contact never reached.

    The required steps are numbered and each contact's reached ones kept as one bit string (a group-by
    over the contacts), rather than a distinct (contact, step) set: at 10M events that set has 8.7M
    rows and took 2.0 s to build and anti-join, the bit strings 0.5 s. Past :data:`_MAX_BITS` required
    steps (a bit string per contact grows with them) the set it is.
    """
    n = int(engine.scalar(f"SELECT count(DISTINCT step) FROM {t.req}"))
    if not n or n > _MAX_BITS:
        engine.execute(
            f"""CREATE OR REPLACE TEMP TABLE {t.skipped} AS
            SELECT s.c, r.step FROM {t.scope} s JOIN {t.req} r USING (scope)
            ANTI JOIN (SELECT DISTINCT q.c, q.step FROM {t.seq} q SEMI JOIN {t.req} rr ON rr.step = q.step) p
                ON p.c = s.c AND p.step = r.step"""
        )
        return
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {t.skipped} AS
        WITH ids AS (
            SELECT CAST(row_number() OVER (ORDER BY step) - 1 AS INTEGER) AS id, step
            FROM (SELECT DISTINCT step FROM {t.req})
        ), reached AS (
            SELECT q.c, bitstring_agg(i.id, 0, {n - 1}) AS bits
            FROM {t.seq} q JOIN ids i USING (step) GROUP BY q.c
        )
        SELECT s.c, r.step FROM {t.scope} s JOIN {t.req} r USING (scope) JOIN ids i USING (step)
        LEFT JOIN reached USING (c)
        WHERE reached.bits IS NULL OR get_bit(reached.bits, i.id) = 0"""
    )


def _has_cost(engine: Engine) -> bool:
    return engine.has_table(S.CONTACTS_TABLE) and S.COST in engine.columns(S.CONTACTS_TABLE)


def _cost_sql(engine: Engine) -> str:
    return f"ct.{ident(S.COST)}" if _has_cost(engine) else "CAST(NULL AS DOUBLE)"


def _cost_join(engine: Engine) -> str:
    if not _has_cost(engine):
        return ""
    return f"LEFT JOIN {S.CONTACTS_TABLE} ct ON ct.{_C} = mv.c"


# --- results ------------------------------------------------------------------------------------------
def _ratio(a: Any, b: Any) -> float | None:
    return round(float(a) / float(b), 6) if b else None


def _money(x: Any) -> float | None:
    return None if x is None else round(float(x), 2)


def _examples(k: int, expr: str = "c") -> str:
    return f"list_slice(list(DISTINCT {expr} ORDER BY {expr}), 1, {k})"


def _limit(options: ConformanceOptions) -> str:
    return f"LIMIT {integer(options.top)}" if options.top else ""


def _summary(engine: Engine, t: type[_Names]) -> dict[str, Any]:
    r = engine.rows(
        f"""SELECT count(*) AS n, count(*) FILTER (WHERE fits) AS fit,
            sum({exact("cost", _MONEY_SCALE)}) FILTER (WHERE NOT fits) AS cost_nonfit,
            count(*) FILTER (WHERE bad_start > 0) AS bad_start,
            count(*) FILTER (WHERE bad_end > 0) AS bad_end,
            count(*) FILTER (WHERE bad_moves > 0) AS undocumented_transition,
            count(*) FILTER (WHERE unknown_steps > 0) AS undocumented_step,
            count(*) FILTER (WHERE skipped > 0) AS required_skipped
        FROM {t.contacts}"""
    )[0]
    kinds = ("bad_start", "bad_end", "undocumented_transition", "undocumented_step", "required_skipped")
    return {
        "n_contacts": int(r["n"]),
        "fitting_contacts": int(r["fit"]),
        "fitness": _ratio(r["fit"], r["n"]),
        "cost_nonfitting": _money(r["cost_nonfit"]) if _has_cost(engine) else None,
        "deviations": {k: int(r[k]) for k in kinds},
    }


def _deviation_lists(
    engine: Engine, t: type[_Names], options: ConformanceOptions, model: ProcessModel | None
) -> dict[str, list[dict[str, Any]]]:
    has_cost = _has_cost(engine)  # asked once: two catalog queries, and a list has a row per step

    def lst(
        keys: str, per_contact: str, extra: str = "", order: str = "contacts DESC"
    ) -> list[dict[str, Any]]:
        """Aggregate ``per_contact`` (one row per key and contact: ``keys, c, n``) to one row per key:
        occurrences, contacts, their share and cost, the smallest ``examples`` contact ids. Two plain
        GROUP BYs: no DISTINCT and no correlated subquery, which cost seconds per list at 10M events."""
        rows = engine.rows(
            f"""WITH g AS ({per_contact}), tot AS (SELECT count(*) AS n FROM {t.contacts})
            SELECT {keys}, sum(g.n) AS count, count(*) AS contacts,
                count(*) / any_value(tot.n) AS share, sum({exact("ct.cost", _MONEY_SCALE)}) AS cost,
                min(g.c, {max(options.examples, 1)}) AS examples {extra}
            FROM g JOIN {t.contacts} ct USING (c), tot
            GROUP BY {keys} ORDER BY {order}, {keys} {_limit(options)}"""
        )
        for r in rows:
            r["share"] = round(float(r["share"]), 6)
            r["cost"] = _money(r["cost"]) if has_cost else None
            r["examples"] = sorted(r["examples"] or [])[: options.examples]
            for key in ("count", "repeats"):
                if key in r:
                    r[key] = int(r[key])
        return rows

    transitions = lst(
        '"from", "to"',
        f"""SELECT src AS "from", dst AS "to", c, count(*) AS n FROM {t.moves}
            WHERE NOT allowed GROUP BY ALL""",
        order="contacts DESC, count DESC",
    )
    unknown = lst("step", f"SELECT step, c, n FROM {t.unknown}", order="contacts DESC, count DESC")
    skipped = lst("step", f"SELECT step, c, 1 AS n FROM {t.skipped}")
    for r in skipped:
        r.pop("count", None)
    looping = sorted(model.looping_steps()) if model is not None else []
    if model is None or not model.aliases:  # the steps are the activities: their repeats are counted
        # once for the flow map and conformance (ordered.activity_repeats)
        repeated = f"SELECT {_A} AS step, {_C} AS c, k - 1 AS n FROM {activity_repeats(engine)}"
    else:
        repeated = f"SELECT step, c, count(*) - 1 AS n FROM {t.seq} GROUP BY step, c HAVING count(*) > 1"
    loops = lst("step", repeated, order="contacts DESC, count DESC")
    for r in loops:
        r["repeats"] = r.pop("count")
        r["documented"] = r["step"] in looping
    return {
        "undocumented_transitions": transitions,
        "undocumented_steps": unknown,
        "required_skipped": skipped,
        "loops": loops,
    }


def _slow(
    engine: Engine, t: type[_Names], model: ProcessModel, options: ConformanceOptions
) -> list[dict[str, Any]]:
    out = []
    for target in model.targets:
        match = "src = ?" + ("" if target.to is None else " AND dst = ?")
        params: list[Any] = [target.step] + ([] if target.to is None else [target.to])
        r = engine.rows(
            f"""WITH x AS (
                SELECT c, gap_s FROM {t.moves}
                WHERE {match} AND dst <> {sql_string(END)} AND gap_s IS NOT NULL
            )
            SELECT count(*) AS measured, count(*) FILTER (WHERE gap_s > {target.seconds}) AS over,
                count(DISTINCT c) FILTER (WHERE gap_s > {target.seconds}) AS contacts,
                median(gap_s - {target.seconds}) FILTER (WHERE gap_s > {target.seconds}) AS excess,
                (SELECT sum({exact("cost", _MONEY_SCALE)}) FROM {t.contacts} WHERE c IN
                    (SELECT c FROM x WHERE gap_s > {target.seconds})) AS cost,
                list_slice(list(DISTINCT c ORDER BY c) FILTER (WHERE gap_s > {target.seconds}),
                           1, {options.examples}) AS examples
            FROM x""",
            params,
        )[0]
        out.append(
            {
                "kind": target.kind,
                "from": target.step,
                "to": target.to,
                "target_s": target.seconds,
                "measured": int(r["measured"]),
                "over_target": int(r["over"]),
                "share_over": _ratio(r["over"], r["measured"]),
                "contacts": int(r["contacts"]),
                "median_excess_s": None if r["excess"] is None else round(float(r["excess"]), 1),
                "cost": _money(r["cost"]) if _has_cost(engine) else None,
                "examples": r["examples"] or [],
            }
        )
    return sorted(out, key=lambda r: (-r["over_target"], r["from"], r["to"] or ""))


def _expected(
    engine: Engine, t: type[_Names], model: ProcessModel, options: ConformanceOptions
) -> list[dict[str, Any]]:
    out = []
    for p in model.paths:
        col = "reason" if p.by == "reason" else "channel"
        r = engine.rows(
            f"""WITH x AS (
                SELECT q.c, string_agg(q.step, {sql_string(_SEP)} ORDER BY q.pos) = ? AS on_path
                FROM {t.seq} q JOIN {t.scope} s USING (c) WHERE s.{col} = ? GROUP BY q.c
            )
            SELECT count(*) AS n, count(*) FILTER (WHERE on_path) AS on_path,
                list_slice(list(c ORDER BY c) FILTER (WHERE NOT on_path), 1, {options.examples}) AS ex
            FROM x""",
            [_SEP.join(p.steps), p.value],
        )[0]
        out.append(
            {
                "by": p.by,
                "value": p.value,
                "path": list(p.steps),
                "contacts": int(r["n"]),
                "on_path": int(r["on_path"]),
                "share_on_path": _ratio(r["on_path"], r["n"]),
                "examples_off_path": r["ex"] or [],
            }
        )
    return out


def _flow(engine: Engine, t: type[_Names], *, documented: bool) -> list[dict[str, Any]]:
    """Observed moves (``conforming`` = moves allowed for their contact) beside documented transitions.

    A move's contacts are its count less its repeats within a contact, grouped only where a (move,
    contact) pair may repeat (``sql.repeats_by``): a group-by of every pair was nearly one group a
    move (10M events: count(DISTINCT) 2.9 s, every pair 2.0 s)."""
    unseen = (
        f"""UNION ALL SELECT src, dst, 0, 0, 0 FROM {t.trans} tr
            WHERE NOT EXISTS (SELECT 1 FROM {t.moves} m WHERE m.src = tr.src AND m.dst = tr.dst)"""
        if documented
        else ""
    )
    rows = engine.rows(
        f"""WITH per_move AS (
            SELECT src, dst, count(*) AS n, count(*) FILTER (WHERE allowed) AS ok FROM {t.moves}
            GROUP BY src, dst
        ), again AS (
            {repeats_by(t.moves, ["src", "dst"], "c")}
        ), f AS (
            SELECT src, dst, n, n - coalesce(repeats, 0) AS contacts, ok
            FROM per_move LEFT JOIN again USING (src, dst) {unseen}
        )
        SELECT src, dst, n, contacts, ok FROM f ORDER BY n DESC, src, dst"""
    )
    return [
        {
            "from": r["src"],
            "to": r["dst"],
            "count": int(r["n"]),
            "contacts": int(r["contacts"]),
            "conforming": int(r["ok"]),
            "documented": bool(documented and (r["ok"] > 0 or r["n"] == 0)),
        }
        for r in rows
    ]
