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
result says which was used (``model_source``). A contact's verdict depends only on its scope and its
steps, so each *variant* (scope and step sequence) is replayed once and weighed by its contacts (the
simulated centre at 10M events: 1,047 variants for 1.6M contacts). All of it is set-based SQL over
temporary tables; only the model (small) and the aggregated rows pass through Python.
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
from ..ordered import IS_LAST, NEXT_ACTIVITY, ordered_events
from ..sql import exact, ident, integer, sql_string
from .model import END, START, ProcessModel

_P: Final = "_cx_conf_"  # prefix of every temporary table of this module
_SEP: Final = "\x1f"  # joins a contact's steps into one comparable text (unit separator)
# Money is summed exactly (sql.exact, to the millionth): a float sum depends on the order rows arrive in,
# which varies with threads and engines, and a total at a rounding boundary would then print differently.
_MONEY_SCALE: Final = 6
_C, _A = ident(S.CONTACT_ID), ident(S.ACTIVITY)
#: The tables :func:`stage_variants` makes: a part of the log's variants and their representatives' steps.
STAGED_VARIANTS: Final = (_P + "staged_var", _P + "staged_seq")


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
    engine: Engine,
    model: ProcessModel | None = None,
    *,
    options: ConformanceOptions = ConformanceOptions(),
    staged: tuple[str, str] | None = None,
) -> ConformanceDoc:
    """Replay the ``events`` table against ``model`` (or an inferred happy path when None).

    ``staged``: the union of :func:`stage_variants`'s tables over parts of the log (Spark's partitions),
    read instead of the events (but for a documented model's slow-handoff targets, which read each
    contact's own gaps).

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
        _load_model(engine, t, model)
        k = max(options.examples, 1)
        if staged is None:
            _variants(engine, t, by_reason=inferred, aliases=model is not None and bool(model.aliases), k=k)
        else:
            _merge(engine, t, staged, k=k)
        if model is None:
            model_dict, happy = _infer(engine, t)
        else:
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
    contacts, var, seq, moves = _P + "contacts", _P + "var", _P + "seq", _P + "moves"
    unknown, skipped, verdict, gaps = _P + "unknown", _P + "skipped", _P + "verdict", _P + "gaps"
    all = (alias, trans, req, known, contacts, var, seq, moves, unknown, skipped, verdict, gaps)


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


def _load_model(engine: Engine, t: type[_Names], model: ProcessModel | None) -> None:
    """The model's aliases, transitions, required and known steps as tables; without a model only an empty
    alias table (the inferred happy paths fill the rest)."""
    if model is None:
        _put(engine, t.alias, {"activity": [], "step": []})
        return
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


#: What makes two contacts one variant: their scope (with the first reason and channel where the scope
#: does not name them: a documented model's expected paths are per reason or channel) and their steps.
_VARIANT_KEYS: Final = ("scope", "reason", "channel", "len", "h", "h2")


def _variants(engine: Engine, t: type[_Names], *, by_reason: bool, aliases: bool, k: int) -> None:
    """Group the contacts by scope and step sequence, and spell out one contact's steps per group.

    A contact's verdict depends only on its scope and its sequence of steps, so every check is made
    once per *variant* and weighed by its contacts (the simulated centre at 10M events: 1.6M contacts,
    1,047 variants), not once per event. A contact's scope is its first reason and channel when
    inferring (a reason's work differs by the channel it enters by: a bot session is not a phone call),
    else one scope for all, with the first reason and channel kept for the expected paths. A sequence is
    keyed by its length and two sums of hashes of (position, step), as the flow map's variants are. Per
    variant: its contacts, the ``k`` smallest contact ids (examples), their exact cost (when
    ``contacts.cost`` exists) and ``v``, its smallest contact id, whose steps (``seq``: position, step
    and the next step, ``end`` after the last) stand for all of them.
    """
    ordered = ordered_events(engine)
    step = f"coalesce(al.step, e.{_A})" if aliases else f"e.{_A}"
    text = f"CAST({step} AS VARCHAR)"  # an ENUM hashes its position, which each engine's read numbers anew
    join = f"LEFT JOIN {t.alias} al ON al.activity = e.{_A}" if aliases else ""
    reason = f"arg_min(e.{ident(S.REASON)}, e.seq)"  # the first that is not NULL: arg_min skips NULLs
    channel = f"arg_min(e.{ident(S.CHANNEL)}, e.seq)"
    if by_reason:
        scope = f"coalesce({reason}, '') || {sql_string(_SEP)} || coalesce({channel}, '')"
        firsts = "CAST(NULL AS VARCHAR) AS reason, CAST(NULL AS VARCHAR) AS channel"
    else:
        scope, firsts = "''", f"{reason} AS reason, {channel} AS channel"
    by = ", ".join(f"p.{col}" for col in _VARIANT_KEYS)
    has_cost = _has_cost(engine)
    cost = exact(f"ct.{ident(S.COST)}", _MONEY_SCALE) if has_cost else "NULL"
    cost_join = f"LEFT JOIN {S.CONTACTS_TABLE} ct ON ct.{_C} = p.c" if has_cost else ""
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {t.contacts} AS
        SELECT e.{_C} AS c, {scope} AS scope, {firsts}, count(*) AS len,
               sum(hash(e.seq, {text})) AS h, sum(hash({text}, e.seq, 1)) AS h2
        FROM {ordered} e {join} GROUP BY e.{_C}"""
    )
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {t.var} AS
        SELECT min(p.c) AS v, {by}, count(*) AS n, min(p.c, {integer(k)}) AS ex, sum({cost}) AS cost
        FROM {t.contacts} p {cost_join} GROUP BY {by}"""
    )
    nxt = f"coalesce(an.step, e.{NEXT_ACTIVITY})" if aliases else f"e.{NEXT_ACTIVITY}"
    join_next = f"LEFT JOIN {t.alias} an ON an.activity = e.{NEXT_ACTIVITY}" if aliases else ""
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {t.seq} AS
        SELECT v.v, v.scope, {step} AS step, e.seq AS pos,
               CASE WHEN e.{IS_LAST} THEN {sql_string(END)} ELSE {nxt} END AS nxt
        FROM {ordered} e JOIN {t.var} v ON v.v = e.{_C} {join} {join_next}"""
    )


def _merge(engine: Engine, t: type[_Names], staged: tuple[str, str], *, k: int) -> None:
    """The variants of parts of the log (:func:`stage_variants`) as one log's: contacts and costs added
    up, the smallest examples and representative of all kept, the representative's steps taken."""
    var, seq = staged
    keys = ", ".join(_VARIANT_KEYS)
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {t.var} AS
        SELECT min(v) AS v, {keys}, sum(n) AS n, {_examples_of(k)} AS ex, sum(cost) AS cost
        FROM {var} GROUP BY {keys}"""
    )
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {t.seq} AS SELECT * FROM {seq} SEMI JOIN {t.var} USING (v)")


def stage_variants(
    engine: Engine, model: ProcessModel | None = None, *, options: ConformanceOptions = ConformanceOptions()
) -> tuple[str, str]:
    """The engine's contacts grouped into variants as :func:`check_conformance` groups them, for a run
    that holds some of the customers only (a Spark partition): the union of every part's two tables,
    passed as ``check_conformance(staged=...)``, gives the whole log's result without its events.

    Returns the names of the two tables made (:data:`STAGED_VARIANTS`): the variants (keys, contacts,
    examples, exact cost, representative ``v``) and each representative's steps.
    """
    with _tables(engine) as t:
        _load_model(engine, t, model)
        aliases = model is not None and bool(model.aliases)
        _variants(engine, t, by_reason=model is None, aliases=aliases, k=max(options.examples, 1))
        for name, table in zip(STAGED_VARIANTS, (t.var, t.seq), strict=True):
            engine.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {table}")
    return STAGED_VARIANTS


def _infer(engine: Engine, t: type[_Names]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Happy path per scope: the most frequent step sequence (ties: the smallest sequence text)."""
    rows = engine.rows(
        f"""WITH counted AS (
            SELECT scope, v, n, sum(n) OVER (PARTITION BY scope) AS total FROM {t.var}
            QUALIFY rank() OVER (PARTITION BY scope ORDER BY n DESC) = 1
        ), named AS (
            SELECT v, string_agg(step, {sql_string(_SEP)} ORDER BY pos) AS path
            FROM {t.seq} WHERE v IN (SELECT v FROM counted) GROUP BY v
        )
        SELECT scope, path, n, total FROM counted JOIN named USING (v)
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
    """Per variant: its moves with ``allowed``, its steps off the model, the required steps it skips, and
    its verdict (each materialised once for the summary and the deviation lists)."""
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {t.moves} AS
        WITH m AS (
            SELECT v, scope, pos, step AS src, nxt AS dst FROM {t.seq}
            UNION ALL SELECT v, scope, 0, {sql_string(START)}, step FROM {t.seq} WHERE pos = 1
        )
        SELECT m.*, tr.src IS NOT NULL AS allowed
        FROM m LEFT JOIN {t.trans} tr ON tr.scope = m.scope AND tr.src = m.src AND tr.dst = m.dst"""
    )
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {t.unknown} AS
        SELECT q.v, q.step, count(*) AS n FROM {t.seq} q
        ANTI JOIN {t.known} k ON k.scope = q.scope AND k.step = q.step GROUP BY q.v, q.step"""
    )
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {t.skipped} AS
        SELECT v.v, r.step FROM {t.var} v JOIN (SELECT DISTINCT scope, step FROM {t.req}) r USING (scope)
        ANTI JOIN (SELECT DISTINCT v, step FROM {t.seq}) q ON q.v = v.v AND q.step = r.step"""
    )
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {t.verdict} AS
        WITH mv AS (
            SELECT v,
                count(*) FILTER (WHERE NOT allowed AND src = {sql_string(START)}) AS bad_start,
                count(*) FILTER (WHERE NOT allowed AND dst = {sql_string(END)}) AS bad_end,
                count(*) FILTER (WHERE NOT allowed AND src <> {sql_string(START)}
                                 AND dst <> {sql_string(END)}) AS bad_moves
            FROM {t.moves} GROUP BY v
        ), unknown AS (SELECT v, sum(n) AS n FROM {t.unknown} GROUP BY v),
        skipped AS (SELECT v, count(*) AS n FROM {t.skipped} GROUP BY v)
        SELECT mv.v, mv.bad_start, mv.bad_end, mv.bad_moves,
            coalesce(unknown.n, 0) AS unknown_steps, coalesce(skipped.n, 0) AS skipped,
            mv.bad_start + mv.bad_end + mv.bad_moves + coalesce(skipped.n, 0) = 0 AS fits
        FROM mv LEFT JOIN unknown USING (v) LEFT JOIN skipped USING (v)"""
    )


def _has_cost(engine: Engine) -> bool:
    return engine.has_table(S.CONTACTS_TABLE) and S.COST in engine.columns(S.CONTACTS_TABLE)


# --- results ------------------------------------------------------------------------------------------
def _ratio(a: Any, b: Any) -> float | None:
    return round(float(a) / float(b), 6) if b else None


def _money(x: Any) -> float | None:
    return None if x is None else round(float(x), 2)


def _limit(options: ConformanceOptions) -> str:
    return f"LIMIT {integer(options.top)}" if options.top else ""


def _summary(engine: Engine, t: type[_Names]) -> dict[str, Any]:
    r = engine.rows(
        f"""SELECT sum(n) AS n, sum(n) FILTER (WHERE fits) AS fit,
            sum(cost) FILTER (WHERE NOT fits) AS cost_nonfit,
            sum(n) FILTER (WHERE bad_start > 0) AS bad_start,
            sum(n) FILTER (WHERE bad_end > 0) AS bad_end,
            sum(n) FILTER (WHERE bad_moves > 0) AS undocumented_transition,
            sum(n) FILTER (WHERE unknown_steps > 0) AS undocumented_step,
            sum(n) FILTER (WHERE skipped > 0) AS required_skipped
        FROM {t.var} JOIN {t.verdict} USING (v)"""
    )[0]
    kinds = ("bad_start", "bad_end", "undocumented_transition", "undocumented_step", "required_skipped")
    return {
        "n_contacts": int(r["n"] or 0),
        "fitting_contacts": int(r["fit"] or 0),
        "fitness": _ratio(r["fit"] or 0, r["n"]),
        "cost_nonfitting": _money(r["cost_nonfit"]) if _has_cost(engine) else None,
        "deviations": {k: int(r[k] or 0) for k in kinds},
    }


def _examples_of(k: int, lists: str = "ex") -> str:
    """SQL aggregate: the ``k`` smallest contact ids of the variants' example lists.

    Each list holds its variant's ``k`` smallest ids, sorted, so the group's ``k`` smallest are among
    them, and among the ``k`` smallest found at each position of the lists (were one not, ``k`` lists
    would hold a smaller id at its position, so ``k`` smaller ids). A top-k aggregate per position
    instead of flattening and sorting every list of a group: a million events in 100,000 variants,
    the four deviation lists 0.31 -> 0.16 s."""
    n = integer(k)
    per_position = ", ".join(f"min({lists}[{i}], {n})" for i in range(1, k + 1))
    return f"list_slice(list_sort(flatten([{per_position}])), 1, {n})"


def _deviation_lists(
    engine: Engine, t: type[_Names], options: ConformanceOptions, model: ProcessModel | None
) -> dict[str, list[dict[str, Any]]]:
    has_cost = _has_cost(engine)  # asked once: two catalog queries, and a list has a row per step

    def lst(keys: str, per_variant: str, order: str = "contacts DESC") -> list[dict[str, Any]]:
        """Aggregate ``per_variant`` (one row per key and variant: ``keys, v, n``) to one row per key:
        occurrences, contacts, their share and cost, the smallest ``examples`` contact ids."""
        rows = engine.rows(
            f"""WITH g AS ({per_variant}), tot AS (SELECT sum(n) AS n FROM {t.var})
            SELECT {keys}, sum(g.n * var.n) AS count, sum(var.n) AS contacts,
                sum(var.n) / any_value(tot.n) AS share, sum(var.cost) AS cost,
                {_examples_of(max(options.examples, 1), "var.ex")} AS examples
            FROM g JOIN {t.var} var USING (v), tot
            GROUP BY {keys} ORDER BY {order}, {keys} {_limit(options)}"""
        )
        for r in rows:
            r["share"] = round(float(r["share"]), 6)
            r["cost"] = _money(r["cost"]) if has_cost else None
            r["examples"] = sorted(r["examples"] or [])[: options.examples]
            r["count"] = int(r["count"])
            r["contacts"] = int(r["contacts"])
        return rows

    transitions = lst(
        '"from", "to"',
        f"""SELECT src AS "from", dst AS "to", v, count(*) AS n FROM {t.moves}
            WHERE NOT allowed GROUP BY ALL""",
        order="contacts DESC, count DESC",
    )
    unknown = lst("step", f"SELECT step, v, n FROM {t.unknown}", order="contacts DESC, count DESC")
    skipped = lst("step", f"SELECT step, v, 1 AS n FROM {t.skipped}")
    for r in skipped:
        r.pop("count", None)
    looping = sorted(model.looping_steps()) if model is not None else []
    repeated = f"SELECT step, v, count(*) - 1 AS n FROM {t.seq} GROUP BY step, v HAVING count(*) > 1"
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
    """Each target's moves slower than it. A gap is a contact's own, not its variant's: the moves out of
    the targets' steps are read once from the ordered events here (only a model with targets asks)."""
    if not model.targets:
        return []
    ordered = ordered_events(engine)
    cost = exact(f"ct.{ident(S.COST)}", _MONEY_SCALE) if _has_cost(engine) else "NULL"
    cost_join = f"LEFT JOIN {S.CONTACTS_TABLE} ct ON ct.{_C} = o.c" if _has_cost(engine) else ""
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {t.gaps} AS
        SELECT * FROM (
            SELECT e.{_C} AS c, coalesce(al.step, e.{_A}) AS src, coalesce(an.step, e.{NEXT_ACTIVITY}) AS dst,
                   (epoch_us(e.next_ts) - epoch_us(e.ts)) / 1e6 AS gap_s
            FROM {ordered} e LEFT JOIN {t.alias} al ON al.activity = e.{_A}
            LEFT JOIN {t.alias} an ON an.activity = e.{NEXT_ACTIVITY}
            WHERE NOT e.{IS_LAST})
        WHERE src IN (SELECT unnest(?::VARCHAR[])) AND gap_s IS NOT NULL""",
        [sorted({target.step for target in model.targets})],
    )
    out = []
    for target in model.targets:
        match = "src = ?" + ("" if target.to is None else " AND dst = ?")
        params: list[Any] = [target.step] + ([] if target.to is None else [target.to])
        r = engine.rows(
            f"""WITH x AS (
                SELECT c, gap_s FROM {t.gaps} WHERE {match}
            ), over AS (SELECT DISTINCT c FROM x WHERE gap_s > {target.seconds})
            SELECT count(*) AS measured, count(*) FILTER (WHERE gap_s > {target.seconds}) AS over,
                count(DISTINCT c) FILTER (WHERE gap_s > {target.seconds}) AS contacts,
                median(gap_s - {target.seconds}) FILTER (WHERE gap_s > {target.seconds}) AS excess,
                (SELECT sum({cost}) FROM over o {cost_join}) AS cost,
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
                SELECT v, string_agg(step, {sql_string(_SEP)} ORDER BY pos) = ? AS on_path
                FROM {t.seq} GROUP BY v
            )
            SELECT sum(var.n) AS n, sum(var.n) FILTER (WHERE on_path) AS on_path,
                list_slice(list_sort(flatten(list(var.ex) FILTER (WHERE NOT on_path))), 1, {options.examples})
                    AS ex
            FROM x JOIN {t.var} var USING (v) WHERE var.{col} = ?""",
            [_SEP.join(p.steps), p.value],
        )[0]
        out.append(
            {
                "by": p.by,
                "value": p.value,
                "path": list(p.steps),
                "contacts": int(r["n"] or 0),
                "on_path": int(r["on_path"] or 0),
                "share_on_path": _ratio(r["on_path"] or 0, r["n"]),
                "examples_off_path": r["ex"] or [],
            }
        )
    return out


def _flow(engine: Engine, t: type[_Names], *, documented: bool) -> list[dict[str, Any]]:
    """Observed moves (``conforming`` = moves allowed for their contact) beside documented transitions;
    a move's contacts are those of the variants that make it."""
    unseen = (
        f"""UNION ALL SELECT src, dst, 0, 0, 0 FROM {t.trans} tr
            WHERE NOT EXISTS (SELECT 1 FROM {t.moves} m WHERE m.src = tr.src AND m.dst = tr.dst)"""
        if documented
        else ""
    )
    rows = engine.rows(
        f"""WITH per_variant AS (
            SELECT v, src, dst, count(*) AS n, count(*) FILTER (WHERE allowed) AS ok FROM {t.moves}
            GROUP BY v, src, dst
        ), f AS (
            SELECT src, dst, sum(m.n * var.n) AS n, sum(var.n) AS contacts, sum(m.ok * var.n) AS ok
            FROM per_variant m JOIN {t.var} var USING (v) GROUP BY src, dst
            {unseen}
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
