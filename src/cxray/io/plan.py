"""Which source column feeds which canonical column, per file: explicit mapping, then names, then XES keys.

Resolution order for a canonical column: the mapping's ``columns``, its ``constants``, then (when the
mapping allows ``auto``) a source column of the same name (exact, then case-insensitive), then the XES
key (``case:concept:name``...). A source column used whole by the mapping is consumed; every other
column is kept as an attribute (renamed ``<name> (source)`` if it would clash with a canonical name or
be in the internal ``__cx_*`` namespace).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from .. import schema as S
from ..engine import Engine
from ..errors import ConfigError, MissingColumnError
from ..sql import ident
from .mapping import Mapping, builtin_mappings
from .readers import MARKED, ROW, RawSource, reserved

if TYPE_CHECKING:
    from .day_order import DayOrder

XES_KEYS: dict[str, str] = {
    S.CONTACT_ID: "case:concept:name",
    S.ACTIVITY: "concept:name",
    S.TIMESTAMP: "time:timestamp",
    S.ACTOR: "org:resource",
    S.TEAM: "org:group",
}


@dataclass(frozen=True)
class Const:
    """A fixed value for every row (a mapping's ``constants``)."""

    value: str


Spec = str | tuple[str, ...] | Const | None


@dataclass
class FilePlan:
    """How one file becomes canonical rows."""

    index: int
    source: RawSource
    types: dict[str, str]  # source column -> DuckDB type
    specs: dict[str, Spec]  # canonical column -> where its value comes from
    attributes: dict[str, str] = field(default_factory=dict)  # source column -> attribute name
    marked: bool = False  # the view lists the markers its reader met (``readers.MARKED``)
    #: Source columns kept as attributes whose names look like an unmapped optional canonical column
    #: (source column -> that column): a hint for the user (``likely_columns``), never a mapping.
    likely: dict[str, str] = field(default_factory=dict)
    #: Where each canonical column the file fills is read from, in words (:func:`column_sources`).
    sources: dict[str, str] = field(default_factory=dict)
    #: The clock its timestamps were read in (``canonical.file_clock``): ``offset`` when they carry their
    #: own, ``UTC`` for numbers since 1970, else the zone of naive times; None when not asked.
    clock: str | None = None
    #: How its numeric dates were read (``io.day_order``); None when its times are none.
    day_order: DayOrder | None = None
    #: The format its text times are written in, tried first (``canonical.time_format``); None: none known.
    time_format: str | None = None
    #: Source columns whose blanks take the value above them (``Mapping.fill_down``, :func:`fill_down`).
    fill_down: tuple[str, ...] = ()


def plan_file(index: int, source: RawSource, engine: Engine, mapping: Mapping | None) -> FilePlan:
    """Resolve the mapping against this file's columns; a missing required column is a MissingColumnError."""
    described = engine.rows(f"DESCRIBE {ident(source.view)}")
    types = {r["column_name"]: r["column_type"] for r in described if r["column_name"] not in (ROW, MARKED)}
    m = mapping or Mapping()
    wide = bool(m.events)
    per_event = (S.ACTIVITY, S.TIMESTAMP, S.DURATION_S) if wide else ()

    def need(column: str, canonical: str) -> None:
        if column not in types:
            raise MissingColumnError(
                f"column {column!r} (mapped to {canonical}) not found; the file has: {_listing(types)}",
                path=source.path,
                column=column,
            )

    explicit = {c for spec in m.columns.values() for c in ((spec,) if isinstance(spec, str) else spec)}
    for event in m.events:
        explicit |= {c for c in (event.timestamp, event.date, event.duration) if c}
        explicit |= {c for s in event.columns.values() for c in ((s,) if isinstance(s, str) else s)}
    specs: dict[str, Spec] = {}
    for canonical in S.CANONICAL:
        if canonical in per_event:
            continue
        spec: Spec = None
        if canonical in m.columns:
            spec = m.columns[canonical]
            for column in (spec,) if isinstance(spec, str) else spec:
                need(column, canonical)
        elif canonical in m.constants:
            spec = Const(m.constants[canonical])
        elif m.auto:
            spec = _auto(canonical, [c for c in types if c not in explicit])
        specs[canonical] = spec
    for event in m.events:
        for optional in (event.timestamp, event.date, event.duration):
            if optional:
                need(optional, f"event {event.activity!r}")
        for canonical, spec in event.columns.items():
            for column in (spec,) if isinstance(spec, str) else spec:
                need(column, canonical)

    for canonical in S.REQUIRED:
        if canonical not in per_event and specs.get(canonical) is None:
            likely = [c for c in types if _normalised(c) in _LIKELY[canonical]]
            perhaps = f' (perhaps --map "{canonical}={likely[0]}")' if likely else ""
            # a call log has one row a call and no step column: say how a mapping gives one
            steps = (
                " (in which 'constants: {activity: Call}' names every row's step, or 'events:' makes several "
                "steps of a row's times; docs/data-contract.md)"
                if canonical == S.ACTIVITY
                else ""
            )
            raise MissingColumnError(
                f"required column {canonical!r} not found; the file has: {_listing(types)}. "
                f"Map one with --map {canonical}=<column>{perhaps} or a --mapping file{steps}",
                path=source.path,
                column=canonical,
            )

    consumed = {s for s in specs.values() if isinstance(s, str)}
    for event in m.events:
        consumed |= {c for c in (event.timestamp, event.date, event.duration) if c}
        consumed |= {s for s in event.columns.values() if isinstance(s, str)}
    taken = {n.lower() for n in S.CANONICAL + S.INTERNAL}
    attributes: dict[str, str] = {}
    for column in types:
        if column in consumed:
            continue
        name = column
        while name.lower() in taken or reserved(name):
            name = f"{name} (source)"
        taken.add(name.lower())
        attributes[column] = name
    marked = any(r["column_name"] == MARKED for r in described)
    hints = likely_columns({c: specs.get(c) for c in S.OPTIONAL if c not in per_event}, list(attributes), m)
    plan = FilePlan(index, source, types, specs, attributes, marked, hints, column_sources(specs, m))
    plan.fill_down = fill_down(plan, m)
    return plan


def fill_down(plan: FilePlan, mapping: Mapping) -> tuple[str, ...]:
    """The source columns ``mapping.fill_down`` names: a canonical column the file reads from one column
    stands for that column, else a source column by its name; a name that is neither is a ConfigError."""
    out: list[str] = []
    for name in mapping.fill_down:
        spec = plan.specs.get(name)
        column = spec if isinstance(spec, str) else name if name in plan.types else None
        if column is None:
            raise ConfigError(
                f"fill_down {name!r} is neither a column of the file nor a canonical column read from one; "
                f"the file has: {_listing(plan.types)}",
                path=plan.source.path,
            )
        if column not in out:
            out.append(column)
    return tuple(out)


def column_sources(specs: dict[str, Spec], mapping: Mapping) -> dict[str, str]:
    """Where each canonical column a file fills is read from (``specs``: :attr:`FilePlan.specs`), in words;
    nothing for a file a platform adapter reads (its own fields make the columns: docs/adapters.md).

    >>> column_sources({"contact_id": "Call ID", "queue": None, "channel": Const("phone"),
    ...                 "reason": ("Type", "Subtype")}, Mapping())
    {'contact_id': 'Call ID', 'channel': "'phone' (constant)", 'reason': 'Type + Subtype'}
    """
    m = mapping
    if m.reader is not None:  # a platform adapter names the columns itself (``input.adapters`` says which)
        return {}
    out = {c: text for c in S.CANONICAL if (text := _spec_text(specs.get(c)))}
    if m.contact_ids_per_day and S.CONTACT_ID in out:
        out[S.CONTACT_ID] += " (per day)"
    if m.events:
        out[S.ACTIVITY] = f"(events: {', '.join(e.activity for e in m.events)})"
        out[S.TIMESTAMP] = f"(events: {', '.join(e.timestamp for e in m.events)})"
        timed = [e.duration for e in m.events if e.duration]
        if timed:
            out[S.DURATION_S] = f"(events: {', '.join(timed)})"
        # a column or constant given to some events only (the bank's ``actor: server`` on its service)
        own: dict[str, list[str]] = {}
        for e in m.events:
            given: dict[str, Spec] = {**{c: Const(v) for c, v in e.constants.items()}, **e.columns}
            for canonical, spec in given.items():
                own.setdefault(canonical, []).append(f"{e.activity}: {_spec_text(spec)}")
        for canonical, parts in own.items():
            out[canonical] = f"(events: {', '.join(parts)})" + (
                f" else {out[canonical]}" if canonical in out else ""
            )
        out = {c: out[c] for c in S.CANONICAL if c in out}
    return out


def _spec_text(spec: Spec) -> str | None:
    """A column spec in words: the column, columns joined, a constant; None for none."""
    if isinstance(spec, str):
        return spec
    if isinstance(spec, tuple):
        return " + ".join(spec)
    if isinstance(spec, Const):
        return f"{spec.value!r} (constant)"
    return None


def likely_columns(specs: dict[str, Spec], kept: list[str], mapping: Mapping) -> dict[str, str]:
    """The columns of ``kept`` (read as attributes) whose names say they hold an optional canonical column
    the file does not map (``Disposition`` an outcome, ``Talk Time (secs)`` handle times): source column
    -> canonical column, the first such column for each, of the columns in ``specs`` (a wide layout's
    durations are its events'). None for a built-in mapping or a platform adapter (their columns were
    chosen) nor for a mapping with ``auto: false`` (map only what it says).

    >>> likely_columns({"outcome": None, "actor": None}, ["Disposition", "Agent Name", "Notes"], Mapping())
    {'Agent Name': 'actor', 'Disposition': 'outcome'}
    """
    if not mapping.auto or mapping.reader is not None or mapping.name in builtin_mappings():
        return {}
    out: dict[str, str] = {}
    for canonical in S.OPTIONAL:
        if canonical not in specs or specs[canonical] is not None:
            continue
        for column in kept:
            if column not in out and _bare(column) in _LIKELY_OPTIONAL[canonical]:
                out[column] = canonical
                break
    return out


def _bare(name: str) -> str:
    """A column's name without a unit in brackets or at its end, normalised: ``Talk Time (secs)`` ->
    ``talktime``."""
    text = re.sub(r"[(\[].*?[)\]]", " ", name.lower())
    text = re.sub(
        r"[\s_-]+(in[\s_-]+)?(s|secs?|seconds|ms|millis(econds)?|mins?|minutes|h|hrs?|hours)\s*$", "", text
    )
    return _normalised(text)


def _auto(canonical: str, columns: list[str]) -> str | None:
    if canonical in columns:
        return canonical
    for c in columns:
        if c.strip().lower() == canonical:
            return c
    key = XES_KEYS.get(canonical)
    return key if key in columns else None


#: Source column names (lower case, letters and digits only) that exports give the required columns,
#: offered in the error when one is missing: a hint, never a mapping made for the user.
_LIKELY: Final = {
    S.CONTACT_ID: frozenset(
        [
            "contactid",
            "caseid",
            "case",
            "ticketid",
            "ticket",
            "conversationid",
            "interactionid",
            "callid",
            "sessionid",
            "incidentid",
            "incident",
            "caseconceptname",
            "number",
        ]
    ),
    S.TIMESTAMP: frozenset(
        [
            "time",
            "datetime",
            "date",
            "eventtime",
            "starttime",
            "createdat",
            "created",
            "timetimestamp",
            "completetimestamp",
            "starttimestamp",
            "occurredat",
            "updatedat",
        ]
    ),
    S.ACTIVITY: frozenset(
        [
            "event",
            "eventname",
            "eventtype",
            "action",
            "step",
            "status",
            "state",
            "conceptname",
            "activityname",
            "task",
            "stage",
        ]
    ),
}


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Source column names (as ``_bare`` gives them) that exports give the optional columns: the same kind of
#: hint for a column kept as an attribute while its canonical column is unmapped.
_LIKELY_OPTIONAL: Final = {
    S.CUSTOMER_ID: _names(
        "customer customerid customerno customernumber customerref client clientid caller "
        "callerid callernumber ani phonenumber account accountid accountnumber memberid userid "
        "requester requesterid customeremail"
    ),
    S.CHANNEL: _names("channel channeltype mediatype media medium contacttype via contactchannel"),
    S.QUEUE: _names("queue queuename skill skillname skillgroup split acdqueue routingqueue"),
    S.TEAM: _names(
        "team teamname group groupname assignmentgroup assignedgroup supportgroup workgroup department"
    ),
    S.ACTOR: _names(
        "agent agentname agentid agentlogin user username assignee assignedto owner ownerid "
        "handler employee operator rep representative"
    ),
    S.ACTOR_TYPE: _names("actortype participanttype participantpurpose purpose usertype"),
    S.REASON: _names(
        "reason contactreason callreason category calltype intent topic issuetype issue casereason"
    ),
    S.OUTCOME: _names(
        "outcome disposition dispositioncode result callresult resolution resolutioncode wrapup "
        "wrapupcode closecode closurecode closedcode"
    ),
    S.DURATION_S: _names(
        "duration handletime handlingtime talktime talkduration calllength callduration aht "
        "worktime timespent timetracked servicetime"
    ),
}


def _normalised(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _listing(types: dict[str, str], limit: int = 40) -> str:
    names = list(types)
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")
