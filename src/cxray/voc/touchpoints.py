"""The journey touchpoint map (a service blueprint): where the customer meets the operation, and how it goes.

A **touchpoint** is a step kind (``authenticate``, ``queue_wait``...; the activity itself when no kind names
it) on one channel, owned by one party: the bot or IVR (a bot/IVR event is the bot's even when the log names
a team, as for the incentive parties), else the team, else the actor type (``system``, or ``agent`` /
``back_office`` without a team), else ``customer``. For each: what triggers it (the touchpoint most often
right before a visit to it: a run of the contact's consecutive events on it), its duration against the SLA
for its kind, the owner's KPI as its ideal outcome, the handoffs between teams into and out of it with their
delays, the findings that touch it and what customers say there (docs/voc.md).

Its **lane** on the blueprint follows the actor type: ``customer`` (the customer's own actions: emails,
surveys, abandoning), ``front stage`` (bot, IVR and agents, vendor teams included; an event without an actor
type but with a team), ``back stage`` (back office) and ``support systems`` (system events: queues, routing).

Everything is computed set-based over the shared ordered events (:func:`cxray.ordered.ordered_events`): the
touchpoints numbered, one staging query (the windows over each contact's path) and one aggregate query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import pyarrow as pa
from typing_extensions import TypedDict

from .. import schema as S
from ..engine import Engine, arrow_from_lists
from ..findings.base import FindingDoc
from ..incentives.parties import Party
from ..ordered import ordered_events
from ..process.step_kinds import STEP_KIND, StepKinds, stage_step_kinds
from ..sql import ident, in_list, modal, sql_string
from .responses import RESPONSES, SCALES
from .sentiment import SENTIMENT
from .verbatims import RESPONSE_ID, VERBATIM_STEPS

CUSTOMER_LANE: Final = "customer"
FRONT_STAGE: Final = "front stage"
BACK_STAGE: Final = "back stage"
SUPPORT: Final = "support systems"
#: The blueprint's lanes, top to bottom.
LANES: Final[tuple[str, ...]] = (CUSTOMER_LANE, FRONT_STAGE, BACK_STAGE, SUPPORT)
_LANE_OF: Final = {
    S.CUSTOMER: CUSTOMER_LANE,
    S.BOT: FRONT_STAGE,
    S.IVR: FRONT_STAGE,
    S.AGENT: FRONT_STAGE,
    S.BACK_OFFICE: BACK_STAGE,
    S.SYSTEM: SUPPORT,
}
#: A verbatim at or below this VADER compound counts as negative (the convention docs/voc.md states).
NEGATIVE_AT_MOST: Final = -0.05
#: The word for "the contact's first event" where a trigger would name a touchpoint.
CONTACT_START: Final = "contact start"
#: How ``duration_basis`` names where the durations came from.
LOGGED, TO_NEXT, MIXED = "duration_s", "time to next event", "duration_s, else time to next event"

_EVENTS: Final = "_cxray_tp_events"
_KINDS: Final = "_cxray_tp_kinds"
_KEYS: Final = "_cxray_tp_keys"  # one row per touchpoint: its number k and its strings tp, ch, owner
_COMBOS: Final = "_cxray_tp_combos"  # per (activity, channel, actor type, team) met: its tp, ch, owner
_IDEAL: Final = {  # kpi -> (ideal outcome, how it is measured)
    "containment": ("contained without a contact back", "containment"),
    "handle_time": ("handled within target time", "handle time"),
    "cost_per_contact": ("handled at target cost", "cost per contact"),
    "speed_to_close": ("closed within target time", "speed to close"),
}
_SHOWN_ACTIVITIES: Final = 5
_SHOWN_FINDINGS: Final = 5
_SHOWN_HANDOFFS: Final = 3
_SHOWN_THEMES: Final = 2


class TriggerDoc(TypedDict):
    """What most often comes right before a visit to a touchpoint (``touchpoint`` ``"contact start"``
    with no channel or owner when the visit opens the contact), and the share of visits it starts."""

    touchpoint: str
    channel: str | None
    owner: str | None
    share: float


class HandoffDoc(TypedDict):
    """Handoffs between teams into (or out of) a touchpoint from (or to) one other team: how many, and the
    median seconds from the other team's last event to this one's first (or the reverse)."""

    owner: str
    handoffs: int
    median_delay_s: float | None


class FindingRefDoc(TypedDict):
    """A finding touching a touchpoint."""

    code: str
    title: str
    rank: int | None


class ThemeCountDoc(TypedDict):
    theme: str
    verbatims: int


class TouchpointVoiceDoc(TypedDict):
    """What customers say at a touchpoint: the verbatims placed on its steps (docs/voc.md §5), the share
    negative (None without sentiment), the CSAT top-2-box share of those responses that are CSAT, and the
    most frequent themes."""

    verbatims: int
    negative_share: float | None
    csat_responses: int
    csat_top2: float | None
    themes: list[ThemeCountDoc]


class TouchpointDoc(TypedDict):
    """One touchpoint of the map (``voc.touchpoints`` and a row of ``touchpoints.csv``).

    Durations are seconds: ``duration_basis`` says whether they are the events' ``duration_s``, the time to
    the contact's next event (logs without handle times), or the first else the second per event.
    ``median_step`` is the median position (1-based step of the contact) where visits to it start: the
    blueprint orders touchpoints left to right by it. ``voice`` is None when there are no placed verbatims.
    """

    touchpoint: str
    activities: list[str]
    channel: str | None
    owner: str
    actor_type: str | None
    lane: str
    trigger: TriggerDoc | None
    contacts: int
    events: int
    median_step: float | None
    duration_basis: str | None
    expected_s: float | None
    median_s: float | None
    p90_s: float | None
    breaches_sla: float | None
    ideal_outcome: str | None
    measured_by: str | None
    handoffs_in: list[HandoffDoc]
    handoffs_out: list[HandoffDoc]
    findings: list[FindingRefDoc]
    findings_total: int
    voice: TouchpointVoiceDoc | None


def touchpoint_map(
    engine: Engine,
    *,
    step_kinds: StepKinds,
    findings: Sequence[FindingDoc],
    parties: Sequence[Party] | None,
    slas: Mapping[str, float] | None = None,
    limit: int | None = 40,
) -> list[TouchpointDoc]:
    """The touchpoints of the engine's ``events``, most contacts first (then most events).

    Parameters
    ----------
    step_kinds:
        The vocabulary that folds activities into kinds (the touchpoint is the kind, else the activity).
    findings:
        Findings (``all_findings``): each touchpoint lists those whose ``where`` names one of its activities
        (``activity``), its owner (``queue`` or ``team``) or it (``from`` / ``to``: its kind, an activity or
        its owner), best rank first.
    parties:
        The declared parties: a party named as the owner gives the KPI (and target) of the ideal outcome;
        otherwise the default (bot and IVR: containment; teams: handle time; none for the customer and
        systems).
    slas:
        Expected seconds per touchpoint (a step kind, or an activity without one).
    limit:
        The touchpoints returned; None for all. The list is ordered, so ``touchpoint_map(limit=None)[:40]``
        equals ``touchpoint_map(limit=40)``: compute all once for ``touchpoints.csv``
        (:func:`touchpoints_table`) and keep the first ``limit`` in the diagnosis, with the total.

    Needs ``events``; reads ``voc_verbatim_steps`` and ``voc_responses`` when they exist (so call it before
    ``release_voc``).

    >>> from cxray.engine import Engine
    >>> with Engine() as e:
    ...     e.execute("CREATE TABLE events AS SELECT * FROM (VALUES "
    ...               "('c1', TIMESTAMP '2024-01-01 09:00', 'Bot greeting', 'chat', NULL, 'bot', 20.0),"
    ...               "('c1', TIMESTAMP '2024-01-01 09:01', 'Chat', 'chat', 'Care', 'agent', 300.0)"
    ...               ") t(contact_id, timestamp, activity, channel, team, actor_type, duration_s)")
    ...     e.execute("ALTER TABLE events ADD COLUMN source_row BIGINT DEFAULT 1")
    ...     for col in ("customer_id", "queue", "reason", "outcome"):
    ...         e.execute(f"ALTER TABLE events ADD COLUMN {col} VARCHAR")
    ...     tps = touchpoint_map(e, step_kinds=StepKinds.builtin(), findings=[], parties=None)
    >>> [(t["touchpoint"], t["owner"], t["lane"], t["measured_by"]) for t in tps]
    [('Bot greeting', 'bot', 'front stage', 'containment'), ('Chat', 'Care', 'front stage', 'handle time')]
    >>> tps[1]["trigger"]
    {'touchpoint': 'Bot greeting', 'channel': 'chat', 'owner': 'bot', 'share': 1.0}
    """
    if not engine.has_table(S.EVENTS_TABLE):
        return []
    _stage(engine, step_kinds)
    try:
        rows = engine.rows(*_query(engine, slas or {}, limit))
    finally:
        for table in (_EVENTS, _KINDS, _KEYS, _COMBOS):
            engine.execute(f"DROP TABLE IF EXISTS {table}")
    by_name = {p.name: p for p in parties or ()}
    return [_doc(r, findings, by_name) for r in rows]


def touchpoints_table(docs: Iterable[TouchpointDoc]) -> pa.Table:
    """``touchpoints.csv``: one row per touchpoint, lists joined with ``"; "``.

    >>> touchpoints_table([]).num_rows, touchpoints_table([]).column_names[:4]
    (0, ['touchpoint', 'activities', 'channel', 'owner'])
    """
    cols: dict[str, list[Any]] = {name: [] for name in _CSV_TYPES}
    for d in docs:
        trigger, voice = d["trigger"], d["voice"]
        row: dict[str, Any] = {
            **{k: d[k] for k in _PLAIN},
            "activities": "; ".join(d["activities"]),
            "trigger": _trigger_label(trigger) if trigger else None,
            "trigger_share": trigger["share"] if trigger else None,
            "handoffs_in": _handoffs_text(d["handoffs_in"]),
            "handoffs_out": _handoffs_text(d["handoffs_out"]),
            "findings": "; ".join(
                f"{f['code']} {f['title']}" + (f" (#{f['rank']})" if f["rank"] is not None else "")
                for f in d["findings"]
            ),
            "verbatims": voice["verbatims"] if voice else None,
            "negative_share": voice["negative_share"] if voice else None,
            "csat_top2": voice["csat_top2"] if voice else None,
            "themes": "; ".join(f"{t['theme']} ({t['verbatims']})" for t in voice["themes"])
            if voice
            else None,
        }
        for name in cols:
            cols[name].append(row[name])
    return arrow_from_lists({name: (type_, cols[name]) for name, type_ in _CSV_TYPES.items()})


# --- SQL ----------------------------------------------------------------------------------------------
def _owner_sql() -> str:
    ss, actor, customer = in_list(S.SELF_SERVICE), "o.eff_actor", sql_string(S.CUSTOMER)
    return (
        f"CASE WHEN {actor} IN {ss} THEN {actor} WHEN o.{ident(S.TEAM)} IS NOT NULL THEN o.{ident(S.TEAM)} "
        f"WHEN {actor} IS NOT NULL AND {actor} <> {customer} THEN {actor} ELSE {customer} END"
    )


def _stage(engine: Engine, step_kinds: StepKinds) -> None:
    """Stage each event with its touchpoint and what came before it on the contact's path.

    A touchpoint is three strings (step kind, channel, owner); the events carry a small integer for it
    instead (:data:`_KEYS`, numbered in the order of the strings, so ordering by the number orders by the
    strings): the staging's sort and every group-by after it run on one integer rather than three
    strings (at 10M events the per-touchpoint aggregate took 2.2 s on the strings, 0.9 s on the number).
    """
    ordered = ordered_events(engine)
    stage_step_kinds(engine, _KINDS, kinds=step_kinds, source=ordered)
    c, a, team, ch = ident(S.CONTACT_ID), ident(S.ACTIVITY), ident(S.TEAM), ident(S.CHANNEL)
    # A touchpoint is a function of the event's activity, channel, actor type and team: computed once per
    # combination of those (a few thousand), which the events then join to (at 10M events, computing the
    # strings per event and joining on them took 0.35 s more than this)
    drawn = [a, ch, "eff_actor", team]
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_COMBOS} AS
        SELECT o.*, coalesce(k.{STEP_KIND}, o.{a}) AS tp, coalesce(o.{ch}, '') AS ch, {_owner_sql()} AS owner
        FROM (SELECT DISTINCT {", ".join(drawn)} FROM {ordered}) o LEFT JOIN {_KINDS} k USING ({a})"""
    )
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_KEYS} AS
        SELECT CAST(row_number() OVER (ORDER BY tp, ch, owner) AS INTEGER) AS k, tp, ch, owner
        FROM (SELECT DISTINCT tp, ch, owner FROM {_COMBOS})"""
    )
    keyed = f"SELECT * FROM {_COMBOS} JOIN {_KEYS} USING (tp, ch, owner)"
    same = " AND ".join(f"o.{x} IS NOT DISTINCT FROM m.{x}" for x in drawn)
    base = f"""
        SELECT o.{c}, o.seq, o.ts, o.{a}, o.{team}, o.{ident(S.DURATION_S)} AS logged_s,
               o.eff_actor AS actor, coalesce(o.{ident(S.DURATION_S)}, epoch(o.next_ts - o.ts)) AS dur, m.k
        FROM {ordered} o JOIN ({keyed}) m ON {same}"""
    # One window of each frame: the event before (lag) and the contact's last event with a team before
    # this one (its team, time and touchpoint, carried in one struct).
    last_team = (
        f"last_value(CASE WHEN {team} IS NOT NULL THEN struct_pack(team := {team}, ts := ts, k := k) END "
        "IGNORE NULLS) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
    )
    engine.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_EVENTS} AS
        WITH b AS ({base}), w AS (
            SELECT *, lag(k) OVER w AS prev_k, {last_team} AS prev_team_s
            FROM b
            WINDOW w AS (PARTITION BY {c} ORDER BY seq)
        )
        SELECT * EXCLUDE (prev_team_s), prev_k IS DISTINCT FROM k AS entry,
               prev_team_s.team AS prev_team, prev_team_s.ts AS prev_team_ts, prev_team_s.k AS prev_team_k
        FROM w
        """
    )


def _query(engine: Engine, slas: Mapping[str, float], limit: int | None) -> tuple[str, list[Any]]:
    c, a = ident(S.CONTACT_ID), ident(S.ACTIVITY)
    params: list[Any] = []
    if slas:
        sla = "SELECT * FROM (VALUES " + ", ".join("(?, ?)" for _ in slas) + ") t(sla_tp, expected_s)"
        for name, seconds in slas.items():
            params += [str(name), float(seconds)]
    else:
        sla = "SELECT CAST(NULL AS VARCHAR) AS sla_tp, CAST(NULL AS DOUBLE) AS expected_s WHERE false"
    # Ordering by k orders by the touchpoint's strings (see _stage).
    top = "" if limit is None else "QUALIFY row_number() OVER (ORDER BY contacts DESC, events DESC, k) <= ?"
    if limit is not None:
        params.append(int(limit))
    handoff = "team IS NOT NULL AND prev_team IS NOT NULL AND team <> prev_team"
    delay = "epoch(ts - prev_team_ts)"

    def top_handoffs(name: str, select: str) -> str:
        return f"""{name} AS (
            SELECT k, list(struct_pack(owner := other, handoffs := n, median_delay_s := delay)
                           ORDER BY n DESC, other) AS {name}
            FROM (SELECT k, other, count(*) AS n, median(delay_s) AS delay
                  FROM (SELECT {select}, {delay} AS delay_s FROM {_EVENTS} WHERE {handoff})
                  GROUP BY k, other
                  QUALIFY row_number() OVER (PARTITION BY k ORDER BY n DESC, other) <= {_SHOWN_HANDOFFS})
            GROUP BY ALL)"""

    voice_ctes, voice_cols, voice_joins = "", "NULL AS voice, NULL AS themes", ""
    if engine.has_table(VERBATIM_STEPS):
        rid = ident(RESPONSE_ID)
        has_responses = engine.has_table(RESPONSES)
        cols = set(engine.columns(RESPONSES)) if has_responses else set()
        negative = (
            f"avg(CAST(r.{SENTIMENT} <= {NEGATIVE_AT_MOST} AS DOUBLE))" if SENTIMENT in cols else "NULL"
        )
        csat = "r.survey_type = 'csat'" if {"survey_type", "score"} <= cols else "false"
        top2 = SCALES["csat"][1] - 1  # CSAT 1-5: top-2-box is 4 or 5
        joined = f"LEFT JOIN {RESPONSES} r USING ({rid})" if has_responses else ""
        score = f"r.score >= {top2}" if csat != "false" else "false"
        voice_ctes = f""",
        vs AS (
            SELECT DISTINCT v.{rid}, v.theme, e.k
            FROM {VERBATIM_STEPS} v JOIN {_EVENTS} e ON e.{c} = v.{c} AND e.seq = v.step_seq
        ), vagg AS (
            SELECT x.k,
                   struct_pack(verbatims := count(*), negative_share := {negative},
                               csat_responses := count(*) FILTER (WHERE {csat}),
                               csat_top2 := avg(CAST({score} AS DOUBLE)) FILTER (WHERE {csat})) AS voice
            FROM (SELECT DISTINCT {rid}, k FROM vs) x {joined}
            GROUP BY ALL
        ), vth AS (
            SELECT k, list(struct_pack(theme := theme, verbatims := n) ORDER BY n DESC, theme) AS themes
            FROM (SELECT k, theme, count(DISTINCT {rid}) AS n FROM vs
                  WHERE theme IS NOT NULL GROUP BY k, theme
                  QUALIFY row_number() OVER (PARTITION BY k ORDER BY n DESC, theme) <= {_SHOWN_THEMES})
            GROUP BY ALL
        )"""
        voice_cols = "vagg.voice, vth.themes, true AS has_voice"
        voice_joins = "LEFT JOIN vagg USING (k) LEFT JOIN vth USING (k)"
    sql = f"""
        WITH sla AS ({sla}),
        per_tp AS (
            -- its contacts counted in the one grouping by touchpoint (a hundred groups, a few thousand on
            -- some logs): counting the repeated (touchpoint, contact) pairs apart took 0.87 s at 10M events,
            -- this 0.65 s alone
            SELECT e.k, {modal("e.actor")} AS actor, count(*) AS events, count(DISTINCT e.{c}) AS contacts,
                   count(e.logged_s) AS logged, count(e.dur) AS timed,
                   quantile_cont(e.dur, [0.5, 0.9]) AS q_s,  -- one sort of the values for both
                   any_value(s.expected_s) AS expected_s,
                   avg(CASE WHEN e.dur IS NOT NULL THEN CAST(e.dur > s.expected_s AS DOUBLE) END) AS breaches,
                   median(e.seq) FILTER (WHERE e.entry) AS median_step
            FROM {_EVENTS} e
                 LEFT JOIN (SELECT kk.k, sla.expected_s FROM {_KEYS} kk JOIN sla ON sla.sla_tp = kk.tp) s
                 USING (k)
            GROUP BY e.k
        ), tps AS (
            SELECT p.* EXCLUDE (q_s), p.q_s[1] AS median_s, p.q_s[2] AS p90_s
            FROM per_tp p
            {top}
        ), acts AS (
            SELECT k, list({a} ORDER BY n DESC, {a}) AS activities
            FROM (SELECT k, {a}, count(*) AS n FROM {_EVENTS} GROUP BY ALL) GROUP BY ALL
        ), trig AS (
            SELECT k, prev_k, n / sum(n) OVER (PARTITION BY k) AS share
            FROM (SELECT k, prev_k, count(*) AS n FROM {_EVENTS} WHERE entry GROUP BY ALL)
            QUALIFY row_number() OVER (PARTITION BY k ORDER BY n DESC, prev_k NULLS FIRST) = 1
        ), {top_handoffs("hin", "k, prev_team AS other")},
        {top_handoffs("hout", "prev_team_k AS k, team AS other")}
        {voice_ctes}
        SELECT kk.tp, kk.ch, kk.owner, tps.* EXCLUDE (k), acts.activities,
               pk.tp AS prev_tp, pk.ch AS prev_ch, pk.owner AS prev_owner, trig.share,
               hin.hin, hout.hout, {voice_cols}
        FROM tps JOIN {_KEYS} kk USING (k) JOIN acts USING (k) LEFT JOIN trig USING (k)
             LEFT JOIN {_KEYS} pk ON pk.k = trig.prev_k
             LEFT JOIN hin USING (k) LEFT JOIN hout USING (k) {voice_joins}
        ORDER BY contacts DESC, events DESC, k
    """
    return sql, params


# --- documents ----------------------------------------------------------------------------------------
def _doc(r: Mapping[str, Any], findings: Sequence[FindingDoc], parties: Mapping[str, Party]) -> TouchpointDoc:
    owner, actor = str(r["owner"]), r["actor"]
    activities = [str(x) for x in r["activities"]]
    ideal, measured = _ideal(owner, actor, parties)
    touching = _touching(findings, str(r["tp"]), activities, owner)
    voice: TouchpointVoiceDoc | None = None
    if r.get("has_voice"):
        v = r["voice"] or {}
        voice = {
            "verbatims": int(v.get("verbatims") or 0),
            "negative_share": _share(v.get("negative_share")),
            "csat_responses": int(v.get("csat_responses") or 0),
            "csat_top2": _share(v.get("csat_top2")),
            "themes": [
                {"theme": str(t["theme"]), "verbatims": int(t["verbatims"])} for t in r["themes"] or []
            ],
        }
    return {
        "touchpoint": str(r["tp"]),
        "activities": activities[:_SHOWN_ACTIVITIES],
        "channel": r["ch"] or None,
        "owner": owner,
        "actor_type": actor,
        "lane": _lane(actor, owner),
        "trigger": _trigger(r),
        "contacts": int(r["contacts"]),
        "events": int(r["events"]),
        "median_step": _round(r["median_step"], 1),
        "duration_basis": _basis(int(r["logged"]), int(r["events"]), int(r["timed"])),
        "expected_s": _round(r["expected_s"], 1),
        "median_s": _round(r["median_s"], 1),
        "p90_s": _round(r["p90_s"], 1),
        "breaches_sla": _share(r["breaches"]),
        "ideal_outcome": ideal,
        "measured_by": measured,
        "handoffs_in": _handoffs(r["hin"]),
        "handoffs_out": _handoffs(r["hout"]),
        "findings": touching[:_SHOWN_FINDINGS],
        "findings_total": len(touching),
        "voice": voice,
    }


def _lane(actor: str | None, owner: str) -> str:
    """The blueprint lane of an actor type; without one, front stage when a team owns it, else customer."""
    if actor in _LANE_OF:
        return _LANE_OF[actor]
    return CUSTOMER_LANE if owner == S.CUSTOMER else FRONT_STAGE


def _ideal(owner: str, actor: str | None, parties: Mapping[str, Party]) -> tuple[str | None, str | None]:
    party = parties.get(owner)
    if party is not None:
        kpi, target = party.kpi, party.target
    elif actor in S.SELF_SERVICE:
        kpi, target = "containment", None
    elif owner not in (*S.ACTOR_TYPES,):  # a team (or vendor)
        kpi, target = "handle_time", None
    else:
        return None, None
    ideal, measure = _IDEAL[kpi]
    if target is not None:
        shown = f"{100 * target:.0f}%" if kpi == "containment" else f"{target:g}"
        shown += " s" if kpi in ("handle_time", "speed_to_close") else ""
        measure += f" (target {shown})"
    return ideal, measure


def _touching(
    findings: Sequence[FindingDoc], tp: str, activities: list[str], owner: str
) -> list[FindingRefDoc]:
    names = {tp, owner, *activities}
    out: list[FindingRefDoc] = []
    for f in findings:
        where = f.get("where") or {}
        if (
            where.get(S.ACTIVITY) in activities
            or owner in (where.get(S.QUEUE), where.get(S.TEAM))
            or where.get("from") in names
            or where.get("to") in names
        ):
            out.append({"code": f["code"], "title": f["title"], "rank": f.get("rank")})
    return sorted(out, key=lambda x: (x["rank"] is None, x["rank"] or 0))


def _trigger(r: Mapping[str, Any]) -> TriggerDoc | None:
    if r["share"] is None:
        return None
    if r["prev_tp"] is None:
        return {
            "touchpoint": CONTACT_START,
            "channel": None,
            "owner": None,
            "share": _share(r["share"]) or 0.0,
        }
    return {
        "touchpoint": str(r["prev_tp"]),
        "channel": r["prev_ch"] or None,
        "owner": r["prev_owner"],
        "share": _share(r["share"]) or 0.0,
    }


def _handoffs(raw: list[dict[str, Any]] | None) -> list[HandoffDoc]:
    return [
        {
            "owner": str(h["owner"]),
            "handoffs": int(h["handoffs"]),
            "median_delay_s": _round(h["median_delay_s"], 1),
        }
        for h in raw or []
    ]


def _basis(logged: int, events: int, timed: int) -> str | None:
    if not timed:
        return None
    return LOGGED if logged == events else TO_NEXT if logged == 0 else MIXED


def _round(value: Any, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def _share(value: Any) -> float | None:
    return _round(value, 4)


def _trigger_label(t: TriggerDoc) -> str:
    where = ", ".join(x for x in (t["channel"], t["owner"]) if x)
    return f"{t['touchpoint']} ({where})" if where else t["touchpoint"]


def _handoffs_text(handoffs: list[HandoffDoc]) -> str:
    return "; ".join(
        f"{h['owner']}: {h['handoffs']}"
        + (f" (median {h['median_delay_s']:g} s)" if h["median_delay_s"] is not None else "")
        for h in handoffs
    )


_PLAIN: Final = (
    "touchpoint", "channel", "owner", "actor_type", "lane", "contacts", "events", "median_step",
    "duration_basis", "expected_s", "median_s", "p90_s", "breaches_sla", "ideal_outcome", "measured_by",
    "findings_total",
)  # fmt: skip
_CSV_TYPES: Final[dict[str, str]] = {  # DuckDB types
    "touchpoint": "VARCHAR",
    "activities": "VARCHAR",
    "channel": "VARCHAR",
    "owner": "VARCHAR",
    "actor_type": "VARCHAR",
    "lane": "VARCHAR",
    "trigger": "VARCHAR",
    "trigger_share": "DOUBLE",
    "contacts": "BIGINT",
    "events": "BIGINT",
    "median_step": "DOUBLE",
    "duration_basis": "VARCHAR",
    "expected_s": "DOUBLE",
    "median_s": "DOUBLE",
    "p90_s": "DOUBLE",
    "breaches_sla": "DOUBLE",
    "ideal_outcome": "VARCHAR",
    "measured_by": "VARCHAR",
    "handoffs_in": "VARCHAR",
    "handoffs_out": "VARCHAR",
    "findings": "VARCHAR",
    "findings_total": "BIGINT",
    "verbatims": "BIGINT",
    "negative_share": "DOUBLE",
    "csat_top2": "DOUBLE",
    "themes": "VARCHAR",
}


__all__ = [
    "LANES",
    "FindingRefDoc",
    "HandoffDoc",
    "TouchpointDoc",
    "TouchpointVoiceDoc",
    "TriggerDoc",
    "touchpoint_map",
    "touchpoints_table",
]
