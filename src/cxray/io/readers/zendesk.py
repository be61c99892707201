"""Zendesk Support tickets and ticket audits: one ticket in, the canonical events of one contact out.

Written from Zendesk's published references: the Tickets API and Incremental Export API
(https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/,
https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/), the Ticket
Audits API (https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_audits/) and its events
reference (https://developer.zendesk.com/documentation/ticketing/reference-guides/ticket-audit-events-reference);
docs/adapters/zendesk.md has the field by field mapping and the choices made here. In short:

* Input: a folder (or one file) of tickets and/or audits: API pages (``{"tickets": [...]}``,
  ``{"audits": [...]}``, several pages back to back or one a line), JSON arrays or JSON Lines, gzip or not.
  A record with an ``events`` array (and ``ticket_id`` or ``author_id``) is an audit, any other a
  ticket. ``groups.json`` and ``users.json`` in the folder (or the files the ``groups`` / ``users``
  options name) are lookups, id -> name (and a user's role), not records.
* One ticket is one contact (``contact_id`` = the ticket id, ``customer_id`` = ``requester_id``, ``channel``
  from ``via.channel``). Its audits, in time order, give the events: ``Ticket created``, status changes
  (``Status: pending``...), ``Reopened`` (solved -> not solved), group changes (``Group assigned``, then
  ``Transfer``: ``queue`` is the group), assignee changes, comments (``Customer replied``, ``Agent replied``,
  ``Internal note``), voice comments and satisfaction ratings (``survey_score`` 5 for good, 1 for bad, on
  the CSAT scale). A ticket without audits gives ``Ticket created`` and its current status.
* Outcomes: ``resolved`` only where the ticket's status becomes solved (or closed without a solve);
  ``abandoned`` instead when a chat or voice ticket (or one with an ``abandoned_tags`` tag) is solved
  without ever being assigned to or answered by an agent; ``transferred`` on a group change;
  ``unresolved`` on a reopen (a later solve wins); the disposition in ``outcome_field`` where it is set.
  The automatic close of a solved ticket is not an event: it would stretch every contact by days.
* Duplicates: time-based incremental exports may repeat a ticket (the copy with the latest ``updated_at``
  is kept) and paging may repeat an audit (one copy per audit id is kept; the events of the others are
  counted in ``RawSource.duplicates``).
* A record that is not a JSON object is a ``malformed_row``; a ticket or audit without an id or a time
  gives one row that the canonical checks reject (``missing_contact_id``, ``missing_timestamp``,
  ``bad_timestamp``).

Reader options: ``groups`` / ``users`` (lookup files), ``reason_field`` and ``outcome_field`` (a custom
field id, or any other text: a tag prefix) and ``abandoned_tags`` (comma-separated; default
``abandoned_conversation``, the tag of Zendesk's recipe that solves abandoned messaging conversations).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ... import schema as S
from ...engine import Engine
from ...errors import ConfigError, InputError
from ..options import ReadOptions
from . import RawSource
from .records import Parsed, Record, Rows, files, latest, parse_records, register_rows
from .records import items as _items
from .records import number as _number
from .records import obj as _obj
from .records import text as _text
from .records import time as _time

OPTIONS = ("groups", "users", "reason_field", "outcome_field", "abandoned_tags")
#: The fields that, together, say a file holds ticket audits (auto-detection, ``detect.py``).
SIGNATURE = ("ticket_id", "author_id", "events.type", "events.field_name")
#: ``via.channel`` -> cxray channel; any other value lower-cased.
CHANNELS = {
    "email": "email",
    "web": "web",
    "web_form": "web",
    "web_widget": "web",
    "help_center": "web",
    "mobile": "web",
    "mobile_sdk": "web",
    "chat": "chat",
    "native_messaging": "chat",
    "voice": "phone",
    "phone": "phone",
    "sms": "sms",
    "twitter": "social",
    "facebook": "social",
    "instagram_dm": "social",
    "whatsapp": "social",
}
LIVE = ("chat", "phone")  # channels where a customer waits: unanswered means abandoned
#: Satisfaction ratings on the CSAT scale (1-5): good in the top two boxes, bad at the bottom.
RATINGS = {"good": "5", "bad": "1"}
LOOKUPS = ("groups", "users")  # file stems read as lookups in a folder
SYSTEM_AUTHOR = "-1"  # Zendesk's author id of triggers, automations and the system
DEFAULT_ABANDONED_TAGS = "abandoned_conversation"
CREATED, REOPENED, TRANSFER = "Ticket created", "Reopened", "Transfer"
SOLVED, CLOSED = "solved", "closed"


@dataclass
class _Audit:
    number: int
    data: dict[str, Any]
    at: datetime | None = None


@dataclass
class _Ticket:
    """One ticket id: its latest ticket record (if any) and its audits in time order."""

    key: str
    first: int  # the smallest record number of the ticket (its place in the output)
    record: Record | None = None
    audits: list[_Audit] = field(default_factory=list)


@dataclass
class _Settings:
    groups: dict[str, str]
    users: dict[str, tuple[str | None, str | None]]  # id -> (name, role)
    reason: str | None
    outcome: str | None
    abandoned_tags: frozenset[str]


def load(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
    """Read Zendesk tickets and audits (a file or folder) into ``view``: one row per event."""
    raw = dict(options.mapping.reader_options) if options.mapping is not None else {}
    unknown = sorted(set(raw) - set(OPTIONS))
    if unknown:
        raise ConfigError(f"zendesk: unknown reader_options {unknown}; known: {', '.join(OPTIONS)}")
    data_files, lookup_files = _split(path)
    settings = _settings(raw, lookup_files, options)
    parsed = _parse(data_files, options)
    tickets, audits = _classify(parsed.records)
    kept_tickets, older_tickets = _latest_tickets(tickets)
    kept_audits, repeated = _unique_audits(audits)
    rows = Rows()
    for ticket in _group(kept_tickets, kept_audits):
        for row in _events(ticket, settings):
            rows.add(row)
    duplicates = _repeated_events(repeated, kept_tickets, settings)
    duplicates += sum(
        len(_events(_Ticket(_key(r) or "", r.number, r), settings))
        for r in older_tickets
        if not _has_audits(r, kept_audits)
    )
    if rows.n == 0:
        raise InputError(
            f"no readable Zendesk tickets or audits ({len(parsed.malformed)} malformed)", path=path
        )
    return register_rows(engine, view, rows, path, parsed, records=len(parsed.records), duplicates=duplicates)


# --- files and lookups ---
def _stem(file: Path) -> str:
    return file.name.lower().removesuffix(".gz").split(".")[0]


def _split(path: Path) -> tuple[list[Path], dict[str, Path]]:
    """(the files holding tickets and audits, the lookup files of the folder by stem)."""
    found = files(path)
    if path.is_file():
        return found, {}
    lookups = {_stem(f): f for f in found if _stem(f) in LOOKUPS}
    data = [f for f in found if _stem(f) not in LOOKUPS]
    if not data:
        raise InputError("folder holds no ticket or audit files", path=path)
    return data, lookups


def _parse(data_files: list[Path], options: ReadOptions) -> Parsed:
    """Every record of every file, numbered across the files."""
    out = Parsed()
    for file in data_files:
        one = parse_records(file, options, unwrap=("tickets", "audits", "results"))
        offset = len(out.records) + len(out.malformed)
        out.records += [Record(r.number + offset, r.data, r.file) for r in one.records]
        out.malformed += [(None if n is None else n + offset, s) for n, s in one.malformed]
        out.encoding_repairs += one.encoding_repairs
        out.nul_bytes_stripped += one.nul_bytes_stripped
    return out


def _settings(raw: dict[str, str], lookups: dict[str, Path], options: ReadOptions) -> _Settings:
    chosen = {name: Path(raw[name]) if raw.get(name) else lookups.get(name) for name in LOOKUPS}
    groups: dict[str, str] = {}
    users: dict[str, tuple[str | None, str | None]] = {}
    for record in _lookup(chosen["groups"], "groups", options):
        if (gid := _text(record.get("id"))) is not None:
            groups[gid] = _text(record.get("name")) or gid
    for record in _lookup(chosen["users"], "users", options):
        if (uid := _text(record.get("id"))) is not None:
            users[uid] = (_text(record.get("name")), _text(record.get("role")))
    tags = raw.get("abandoned_tags", DEFAULT_ABANDONED_TAGS)
    return _Settings(
        groups=groups,
        users=users,
        reason=raw.get("reason_field") or None,
        outcome=raw.get("outcome_field") or None,
        abandoned_tags=frozenset(t.strip() for t in tags.split(",") if t.strip()),
    )


def _lookup(path: Path | None, key: str, options: ReadOptions) -> list[dict[str, Any]]:
    if path is None:
        return []
    if not path.exists():
        raise ConfigError(f"zendesk: the {key} lookup {path} does not exist")
    return [r.data for r in parse_records(path, options, unwrap=(key,)).records]


# --- records: tickets and audits, de-duplicated ---
def _is_audit(data: dict[str, Any]) -> bool:
    return isinstance(data.get("events"), list) and ("ticket_id" in data or "author_id" in data)


def _classify(records: list[Record]) -> tuple[list[Record], list[_Audit]]:
    tickets = [r for r in records if not _is_audit(r.data)]
    audits = [_Audit(r.number, r.data, _time(r.data.get("created_at"))) for r in records if _is_audit(r.data)]
    return tickets, audits


def _key(r: Record) -> str | None:
    return _text(r.data.get("id"))


def _latest_tickets(tickets: list[Record]) -> tuple[list[Record], list[Record]]:
    """(the latest copy per ticket id, by ``updated_at``, the later in the files on a tie, and every ticket
    without an id; the older copies)."""
    return latest(
        tickets,
        key=_key,
        rank=lambda r: _time(r.data.get("updated_at")) or datetime.min,
        number=lambda r: r.number,
    )


def _unique_audits(audits: list[_Audit]) -> tuple[list[_Audit], list[_Audit]]:
    """(the first copy of each audit id and every audit without one, the repeated copies): an audit never
    changes, so a repeat is the same update delivered twice."""
    seen: set[str] = set()
    kept: list[_Audit] = []
    repeated: list[_Audit] = []
    for a in audits:
        aid = _text(a.data.get("id"))
        if aid is not None and aid in seen:
            repeated.append(a)
            continue
        if aid is not None:
            seen.add(aid)
        kept.append(a)
    return kept, repeated


def _has_audits(ticket: Record, audits: list[_Audit]) -> bool:
    key = _key(ticket)
    return any(_text(a.data.get("ticket_id")) == key for a in audits)


def _group(tickets: list[Record], audits: list[_Audit]) -> list[_Ticket]:
    """The tickets by id, each with its audits in time order, in the order of their first record."""
    out: dict[str | None, _Ticket] = {}
    loose: list[_Ticket] = []
    for r in tickets:
        key = _key(r)
        if key is None:
            loose.append(_Ticket("", r.number, r))
        else:
            out[key] = _Ticket(key, r.number, r)
    for a in audits:
        key = _text(a.data.get("ticket_id"))
        if key is None:
            loose.append(_Ticket("", a.number, audits=[a]))
            continue
        ticket = out.setdefault(key, _Ticket(key, a.number))
        ticket.first = min(ticket.first, a.number)
        ticket.audits.append(a)
    for t in out.values():
        t.audits.sort(key=lambda a: (a.at or datetime.max, _number(a.data.get("id")) or 0, a.number))
    return sorted([*out.values(), *loose], key=lambda t: t.first)


def _repeated_events(repeated: list[_Audit], tickets: list[Record], settings: _Settings) -> int:
    """How many events the repeated audit copies would have given (each read as its ticket's only audit)."""
    by_key = {_key(r): r for r in tickets}
    n = 0
    for a in repeated:
        key = _text(a.data.get("ticket_id")) or ""
        n += len(_events(_Ticket(key, a.number, by_key.get(key), [a]), settings, repeat=True))
    return n


# --- one ticket's events ---
@dataclass
class _State:
    """What the audits have said so far about a ticket."""

    requester: str | None = None
    group: str | None = None
    assignee: str | None = None
    status: str | None = None
    answered: bool = False  # ever assigned to, or publicly answered by, an agent
    tags: set[str] = field(default_factory=set)


def _events(ticket: _Ticket, settings: _Settings, *, repeat: bool = False) -> list[dict[str, Any]]:
    d = ticket.record.data if ticket.record is not None else {}
    key = ticket.key or None
    state = _State(requester=_text(d.get("requester_id")), tags=set(_tag_list(d.get("tags"))))
    creation = _creation(ticket.audits)
    state.requester = state.requester or _text(creation.get("requester_id"))
    state.tags |= set(_tag_list(creation.get("tags")))
    for a in ticket.audits:
        for e in _items(a.data, "events"):
            if e.get("type") in ("Create", "Change") and e.get("field_name") == "tags":
                state.tags |= set(_tag_list(e.get("value")))
    via = _obj(d, "via").get("channel") or _first_via(ticket.audits)
    code = (_text(via) or "").lower()
    base = {
        S.CONTACT_ID: key,
        S.CUSTOMER_ID: state.requester,
        S.CHANNEL: CHANNELS.get(code, code or None),
        S.REASON: _field(settings.reason, d, ticket.audits, state.tags),
    }
    attributes = _attributes(d, settings)
    abandoned_tag = bool(state.tags & settings.abandoned_tags)
    rows: list[dict[str, Any]] = []
    if key is None and ticket.audits:  # an audit without a ticket: one row, rejected missing_contact_id
        a = ticket.audits[0]
        rows = [{S.TIMESTAMP: _text(a.data.get("created_at")), S.ACTIVITY: "Ticket updated"}]
        rows[0] |= {"audit_id": _text(a.data.get("id")), "zendesk_record": str(a.number)}
    elif ticket.audits:
        for a in ticket.audits:
            rows += _audit_rows(a, state, settings, live=base[S.CHANNEL] in LIVE or abandoned_tag)
        if not repeat and not any(r.get(S.SURVEY_SCORE) for r in rows):
            rows += _ticket_rating(d, state, settings)
    else:
        rows = _ticket_rows(ticket, d, settings)
    return [base | attributes | row for row in rows]


def _creation(audits: list[_Audit]) -> dict[str, Any]:
    """The ticket properties set by the Create events: field name -> value."""
    out: dict[str, Any] = {}
    for a in audits:
        for e in _items(a.data, "events"):
            if e.get("type") == "Create" and isinstance(e.get("field_name"), str):
                out[e["field_name"]] = e.get("value")
    return out


def _first_via(audits: list[_Audit]) -> Any:
    for a in audits:
        if any(e.get("type") == "Create" for e in _items(a.data, "events")):
            return _obj(a.data, "via").get("channel")
    return _obj(audits[0].data, "via").get("channel") if audits else None


def _tag_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [t for v in value if (t := _text(v)) is not None]
    if isinstance(value, str):
        return value.split()
    return []


def _custom(d: dict[str, Any]) -> dict[str, Any]:
    """The ticket's custom fields: id -> value (``custom_fields``, else the older ``fields``)."""
    found = _items(d, "custom_fields") or _items(d, "fields")
    return {k: f.get("value") for f in found if (k := _text(f.get("id"))) is not None}


def _is_field_id(spec: str) -> bool:
    return spec.strip().isdigit()


def _field(spec: str | None, d: dict[str, Any], audits: list[_Audit], tags: Iterable[str]) -> str | None:
    """The value of ``spec`` for a ticket: a custom field (its last value in the audits, else the ticket's)
    or, when ``spec`` is not a field id, the rest of the first tag starting with it."""
    if spec is None:
        return None
    if not _is_field_id(spec):
        return _from_tags(spec, sorted(tags))
    value = _text(_custom(d).get(spec.strip()))
    for a in audits:
        for e in _items(a.data, "events"):
            if e.get("type") in ("Create", "Change") and _text(e.get("field_name")) == spec.strip():
                value = _text(e.get("value"))
    return value


def _from_tags(prefix: str, tags: Iterable[str]) -> str | None:
    return next((t[len(prefix) :] for t in tags if t.startswith(prefix) and len(t) > len(prefix)), None)


def _attributes(d: dict[str, Any], settings: _Settings) -> dict[str, Any]:
    used = {s.strip() for s in (settings.reason, settings.outcome) if s and _is_field_id(s)}
    out: dict[str, Any] = {
        "ticket_status": _text(d.get("status")),
        "priority": _text(d.get("priority")),
        "subject": _text(d.get("subject")),
        "tags": " ".join(_tag_list(d.get("tags"))) or None,
        "external_id": _text(d.get("external_id")),
    }
    out |= {f"custom_fields.{k}": _text(v) for k, v in _custom(d).items() if k not in used}
    return out


def _person(author: str | None, state: _State, settings: _Settings) -> tuple[str | None, str | None]:
    """(actor, actor_type) of a user id: the users lookup's name and role when given, else the requester
    is the customer, Zendesk's -1 the system, anyone else an agent."""
    if author is None:
        return None, None
    name, role = settings.users.get(author, (None, None))
    if role:
        kind = S.CUSTOMER if role == "end-user" else S.AGENT
    elif author == state.requester:
        kind = S.CUSTOMER
    elif author == SYSTEM_AUTHOR:
        return "Zendesk", S.SYSTEM
    else:
        kind = S.AGENT
    return name or author, kind


def _audit_rows(a: _Audit, state: _State, settings: _Settings, *, live: bool) -> list[dict[str, Any]]:
    """The events of one audit, advancing ``state``."""
    d = a.data
    at = _text(d.get("created_at"))
    author = _text(d.get("author_id"))
    audit_via = (_text(_obj(d, "via").get("channel")) or "").lower()
    actor, kind = _person(author, state, settings)
    if audit_via == "rule":  # a trigger or an automation
        actor, kind = actor if author not in (None, SYSTEM_AUTHOR) else "Zendesk", S.SYSTEM
    common = {"audit_id": _text(d.get("id")), "zendesk_record": str(a.number), "via": audit_via or None}
    if a.at is None:  # one row, rejected by the canonical checks
        return [{S.TIMESTAMP: at, S.ACTIVITY: "Ticket updated"} | common]
    events = _items(d, "events")
    rows: list[dict[str, Any]] = []
    creating = any(e.get("type") == "Create" for e in events)
    if creating:
        rows.append({S.ACTIVITY: CREATED, S.ACTOR: actor, S.ACTOR_TYPE: kind})
    described = False
    for e in events:
        etype, name = e.get("type"), _text(e.get("field_name"))
        if etype in ("Create", "Change") and name is not None:
            rows += _change(name, e, creating and etype == "Create", state, settings, live=live)
        elif etype == "Comment":
            if creating and not described:  # the ticket's description: part of its creation
                described = True
                continue
            rows.append(_comment(e, author, state, settings))
        elif etype == "VoiceComment":
            who, what = _person(_text(e.get("author_id")) or author, state, settings)
            rows.append(
                {
                    S.ACTIVITY: "Voice call",
                    S.ACTOR: who,
                    S.ACTOR_TYPE: what,
                    S.DURATION_S: _number(_obj(e, "data").get("call_duration")),
                }
            )
            state.answered = state.answered or what == S.AGENT
        elif etype == "SatisfactionRating":
            rows += _rating(_text(e.get("score")), _text(e.get("body")), state, settings)
    by_author: dict[str, Any] = {S.ACTOR: actor, S.ACTOR_TYPE: kind}
    head: dict[str, Any] = {S.TIMESTAMP: at, S.QUEUE: state.group}
    return [head | ({} if S.ACTOR in row else by_author) | common | row for row in rows]


def _change(
    name: str, e: dict[str, Any], created: bool, state: _State, settings: _Settings, *, live: bool
) -> list[dict[str, Any]]:
    value = _text(e.get("value"))
    if name == "status":
        return _status(value, state, live=live)
    if name == "group_id":
        previous, state.group = state.group, settings.groups.get(value, value) if value else None
        if state.group is None:
            return [{S.ACTIVITY: "Group removed", S.QUEUE: previous}]
        if previous is None or created:
            return [] if created else [{S.ACTIVITY: "Group assigned", S.QUEUE: state.group}]
        return [{S.ACTIVITY: TRANSFER, S.QUEUE: state.group, S.OUTCOME: S.TRANSFERRED}]
    if name == "assignee_id":
        previous, state.assignee = state.assignee, value
        if value is None:
            return [{S.ACTIVITY: "Unassigned"}] if previous is not None else []
        state.answered = True
        who, _ = _person(value, state, settings)
        activity = "Assigned" if previous is None else "Reassigned"
        return [{S.ACTIVITY: activity, S.ACTOR: who, S.ACTOR_TYPE: S.AGENT}]
    if name == "requester_id" and value is not None:
        state.requester = state.requester or value
        return []
    if name == "priority" and not created and value is not None:
        return [{S.ACTIVITY: f"Priority: {value}"}]
    spec = settings.outcome
    if spec is not None and value is not None:
        if _is_field_id(spec) and name == spec.strip():
            return [{S.ACTIVITY: f"Disposition: {value}", S.OUTCOME: value}]
        if not _is_field_id(spec) and name == "tags":
            before = set(_tag_list(e.get("previous_value")))
            found = _from_tags(spec, [t for t in _tag_list(e.get("value")) if t not in before])
            if found is not None:
                return [{S.ACTIVITY: f"Disposition: {found}", S.OUTCOME: found}]
    return []


def _status(value: str | None, state: _State, *, live: bool) -> list[dict[str, Any]]:
    previous, state.status = state.status, value
    if value is None or value == previous:
        return []
    if previous == SOLVED and value == CLOSED:  # Zendesk's automatic close: no work, no event
        return []
    if value in (SOLVED, CLOSED):
        outcome = S.ABANDONED if live and not state.answered else S.RESOLVED
        return [{S.ACTIVITY: f"Status: {value}", S.OUTCOME: outcome}]
    if previous in (SOLVED, CLOSED):
        return [{S.ACTIVITY: REOPENED, S.OUTCOME: S.UNRESOLVED}]
    if value == "new" or (previous in (None, "new") and value == "open"):  # opened by the first update
        return []
    return [{S.ACTIVITY: f"Status: {value}"}]


def _comment(e: dict[str, Any], author: str | None, state: _State, settings: _Settings) -> dict[str, Any]:
    who, kind = _person(_text(e.get("author_id")) or author, state, settings)
    public = e.get("public") is not False
    if not public:
        activity = "Internal note"
    elif kind == S.CUSTOMER:
        activity = "Customer replied"
    elif kind == S.SYSTEM:
        activity = "System comment"
    else:
        activity = "Agent replied"
        state.answered = True
    channel = _text(_obj(_obj(e, "via"), "source").get("channel")) or _text(_obj(e, "via").get("channel"))
    return {S.ACTIVITY: activity, S.ACTOR: who, S.ACTOR_TYPE: kind, "comment_via": channel}


def _rating(
    score: str | None, comment: str | None, state: _State, settings: _Settings
) -> list[dict[str, Any]]:
    who, _ = _person(state.requester, state, settings)
    if score not in RATINGS:  # offered or unoffered: a notification, not the customer's answer
        return []
    return [
        {
            S.ACTIVITY: "Satisfaction rating",
            S.ACTOR: who,
            S.ACTOR_TYPE: S.CUSTOMER,
            S.SURVEY_SCORE: RATINGS[score],
            S.SURVEY_TYPE: S.CSAT,
            S.VERBATIM: comment,
            "satisfaction": score,
        }
    ]


def _ticket_rating(d: dict[str, Any], state: _State, settings: _Settings) -> list[dict[str, Any]]:
    """The ticket's own satisfaction rating when no audit carried it (timed at its ``updated_at``)."""
    rating = _obj(d, "satisfaction_rating")
    score = _text(rating.get("score"))
    if score not in RATINGS:
        return []
    at = _text(rating.get("updated_at")) or _text(rating.get("created_at")) or _text(d.get("updated_at"))
    rows = _rating(score, _text(rating.get("comment")), state, settings)
    return [{S.TIMESTAMP: at, S.QUEUE: state.group, "zendesk_record": None} | r for r in rows]


def _ticket_rows(ticket: _Ticket, d: dict[str, Any], settings: _Settings) -> list[dict[str, Any]]:
    """A ticket read without audits: its creation and its current status (at ``updated_at``)."""
    state = _State(requester=_text(d.get("requester_id")))
    group_id = _text(d.get("group_id"))
    state.group = settings.groups.get(group_id, group_id) if group_id else None
    common = {"zendesk_record": str(ticket.first), S.QUEUE: state.group}
    creator = _text(d.get("submitter_id")) or state.requester
    actor, kind = _person(creator, state, settings)
    rows: list[dict[str, Any]] = [
        {S.TIMESTAMP: _text(d.get("created_at")), S.ACTIVITY: CREATED, S.ACTOR: actor, S.ACTOR_TYPE: kind}
    ]
    status = _text(d.get("status"))
    if status not in (None, "new") and _time(d.get("updated_at")) is not None:
        assignee = _text(d.get("assignee_id"))
        state.answered = assignee is not None
        code = (_text(_obj(d, "via").get("channel")) or "").lower()
        tags = set(_tag_list(d.get("tags")))
        live = CHANNELS.get(code, code) in LIVE or bool(tags & settings.abandoned_tags)
        row = {S.TIMESTAMP: _text(d.get("updated_at"))} | (_status(status, state, live=live) or [{}])[0]
        if assignee is not None:
            row |= {S.ACTOR: _person(assignee, state, settings)[0], S.ACTOR_TYPE: S.AGENT}
        if settings.outcome is not None and _is_field_id(settings.outcome):
            row[S.OUTCOME] = _text(_custom(d).get(settings.outcome.strip())) or row.get(S.OUTCOME)
        if S.ACTIVITY in row:
            rows.append(row)
    rows += _ticket_rating(d, state, settings)
    return [common | r for r in rows]
