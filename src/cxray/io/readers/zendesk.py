"""Zendesk Support tickets and their history: one ticket in, the canonical events of one contact out.

Written from Zendesk's published references: the Tickets API and Incremental Export API
(https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/,
https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/: tickets and
ticket events), the Satisfaction Ratings API
(https://developer.zendesk.com/api-reference/ticketing/ticket-management/satisfaction_ratings/), the Ticket
Audits API (https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_audits/) and its events
reference (https://developer.zendesk.com/documentation/ticketing/reference-guides/ticket-audit-events-reference);
docs/adapters/zendesk.md has the field by field mapping and the choices made here. In short:

* Input: a folder (or one file) of tickets, audits, incremental ticket events and satisfaction ratings: API
  pages (``{"tickets": [...]}``, ``{"audits": [...]}``, ``{"ticket_events": [...]}``,
  ``{"satisfaction_ratings": [...]}``, several pages back to back or one a line; every array of a page is
  read, so sideloads are not lost), JSON arrays or JSON Lines (the taps' streams), gzip or not. A record
  with an ``events`` array is an audit; one with ``child_events`` a ticket event, read as the audit it is;
  one with a ``score`` and a ``ticket_id`` a rating; any other with a ``ticket_id`` is about a ticket
  (a metric set gives its solve time; SLA events and the like give no event); the rest are tickets.
  ``groups.json`` and ``users.json`` in the folder (the files the ``groups`` / ``users`` options name, or a
  page's sideloaded ``users`` / ``groups``) are lookups, id -> name (and a user's role), not records.
* One ticket is one contact (``contact_id`` = the ticket id, ``customer_id`` = ``requester_id``, ``channel``
  from ``via.channel``). Its audits, in time order, give the events: ``Ticket created``, status changes
  (``Status: pending``...), ``Reopened`` (solved -> not solved), group changes (``Group assigned``, then
  ``Transfer``: ``queue`` is the group), assignee changes, comments (``Customer replied``, ``Agent replied``,
  ``Internal note``), voice comments (the answering agent's) and satisfaction ratings (``survey_score`` 5
  for good, 1 for bad, on the CSAT scale; from a SatisfactionRating event, a ``satisfaction_score`` Change,
  else a rating record, else the ticket's field). A ticket without audits gives ``Ticket created`` and its
  current status, at its solve when the ticket or its metric set says when. Deleted tickets and Zendesk's
  sample ticket are no customer's contact: read, no event.
* Outcomes: ``resolved`` only where the ticket's status becomes solved (or closed without a solve);
  ``abandoned`` instead when a chat or voice ticket (or one with an ``abandoned_tags`` tag) is solved
  without ever being assigned to or answered by an agent; ``closed`` (``Merged``) when closed by a merge
  into another ticket; ``transferred`` on a group change; ``unresolved`` on a reopen (a later solve wins);
  the disposition in ``outcome_field`` where it is set.
  The automatic close of a solved ticket is not an event: it would stretch every contact by days.
* Duplicates: time-based incremental exports may repeat a ticket (the copy with the latest ``updated_at``
  is kept), paging may repeat an audit (one copy per audit id is kept), a rating may come as a record and
  in the audits (the audits' is kept); the events of the others are counted in ``RawSource.duplicates``.
* A record that is not a JSON object is a ``malformed_row``; a ticket, audit, ticket event or rating
  without its ticket's id or a time gives one row that the canonical checks reject
  (``missing_contact_id``, ``missing_timestamp``, ``bad_timestamp``).

Reader options: ``groups`` / ``users`` (lookup files), ``reason_field`` and ``outcome_field`` (a custom
field id, or any other text: a tag prefix) and ``abandoned_tags`` (comma-separated; default
``abandoned_conversation``, the tag of Zendesk's recipe that solves abandoned messaging conversations).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ... import schema as S
from ...engine import Engine
from ...errors import ConfigError, InputError
from ..options import ReadOptions
from . import RawSource
from .records import (
    MAX_SNIPPET,
    Parsed,
    Record,
    Rows,
    files,
    json_values,
    latest,
    parse_records,
    read_text,
    register_rows,
)
from .records import items as _items
from .records import number as _number
from .records import obj as _obj
from .records import text as _text
from .records import time as _time

OPTIONS = ("groups", "users", "reason_field", "outcome_field", "abandoned_tags")
#: The fields that, together, say a file holds ticket audits (auto-detection, ``detect.py``).
SIGNATURE = ("ticket_id", "author_id", "events.type", "events.field_name")
#: ...tickets alone (incremental export pages or JSON Lines), incremental ticket events, rating pages.
MORE_SIGNATURES = (
    ("requester_id", "submitter_id", "via.channel", "via.source"),
    ("ticket_id", "updater_id", "child_events"),
    ("satisfaction_ratings.score", "satisfaction_ratings.ticket_id", "satisfaction_ratings.requester_id"),
)
#: The arrays of an API page that hold records, each read (a page may sideload several)...
PAGE_RECORDS = ("tickets", "audits", "ticket_events", "satisfaction_ratings", "metric_sets", "results")
#: ...and those that hold lookups (``include=users``, ``include=groups``).
PAGE_LOOKUPS = ("users", "groups")
PAGE_KEYS = PAGE_RECORDS + PAGE_LOOKUPS
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
CREATED, REOPENED, TRANSFER, MERGED = "Ticket created", "Reopened", "Transfer", "Merged"
RATED = "Satisfaction rating"
SOLVED, CLOSED, DELETED = "solved", "closed", "deleted"
MERGE_CHANNEL, MERGE_TAG = "merge", "closed_by_merge"
SAMPLE_CHANNEL = "sample_ticket"  # the ticket Zendesk creates in every new account: no customer's contact
#: A ticket event's ``via`` is a display name (``Web form``, ``Mail``): the ``via.channel`` it stands for.
VIA_NAMES = {"mail": "email", "web_service": "api", "web_form": "web_form"}
#: Keys of a ticket event's child event that are not the field it changed (the other key is).
CHILD_META = frozenset(
    {
        "id", "via", "via_reference_id", "event_type", "type", "previous_value", "comment_present",
        "comment_public", "added_tags", "removed_tags", "audit_id", "created_at", "author_id",
    }
)  # fmt: skip


@dataclass
class _Audit:
    number: int
    data: dict[str, Any]
    at: datetime | None = None


@dataclass
class _Ticket:
    """One ticket id: its latest ticket record (if any), its audits in time order, its rating records and
    its metric set (solve time)."""

    key: str
    first: int  # the smallest record number of the ticket (its place in the output)
    record: Record | None = None
    audits: list[_Audit] = field(default_factory=list)
    ratings: list[Record] = field(default_factory=list)
    metric: dict[str, Any] = field(default_factory=dict)
    superseded: int = 0  # events of rating records dropped because the audits carry the same rating


@dataclass
class _Settings:
    groups: dict[str, str]
    users: dict[str, tuple[str | None, str | None]]  # id -> (name, role)
    reason: str | None
    outcome: str | None
    abandoned_tags: frozenset[str]


@dataclass
class _Parsed(Parsed):
    """The records of the data files, the page array each came from, and the lookups pages sideloaded."""

    origin: dict[int, str] = field(default_factory=dict)  # record number -> page key
    sideloads: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class _Kinds:
    """The records by what they are."""

    tickets: list[Record] = field(default_factory=list)
    audits: list[_Audit] = field(default_factory=list)
    ratings: list[Record] = field(default_factory=list)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)  # ticket id -> metric set


def load(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
    """Read Zendesk tickets, audits, ticket events and ratings (a file or folder) into ``view``: one row
    per event."""
    raw = dict(options.mapping.reader_options) if options.mapping is not None else {}
    unknown = sorted(set(raw) - set(OPTIONS))
    if unknown:
        raise ConfigError(f"zendesk: unknown reader_options {unknown}; known: {', '.join(OPTIONS)}")
    data_files, lookup_files = _split(path)
    parsed = _parse(data_files, options)
    settings = _settings(raw, lookup_files, options, parsed.sideloads)
    kinds = _classify(parsed)
    kept_tickets, older_tickets = _latest_tickets(kinds.tickets)
    kept_audits, repeated = _unique_audits(kinds.audits)
    kept_ratings, older_ratings = _latest_ratings(kinds.ratings)
    grouped = _group(kept_tickets, kept_audits, kept_ratings, kinds.metrics)
    # deleted and sample tickets are no customer's contact: read (records_read), no event, their copies too
    why = {t.key: reason for t in grouped if t.key and (reason := _left_out(t))}
    left_out = set(why)
    rows = Rows()
    duplicates = 0
    for ticket in grouped:
        if ticket.key in left_out:
            continue
        for row in _events(ticket, settings):
            rows.add(row)
        duplicates += ticket.superseded
    duplicates += _repeated_events(repeated, kept_tickets, settings, left_out)
    duplicates += sum(
        len(_events(_Ticket(_key(r) or "", r.number, r), settings))
        for r in older_tickets
        if not _has_audits(r, kept_audits) and _key(r) not in left_out
    )
    duplicates += sum(
        len(_events(_Ticket(k, r.number, ratings=[r]), settings, repeat=True))
        for r in older_ratings
        if (k := _text(r.data.get("ticket_id")) or "") not in left_out
    )
    if rows.n == 0:
        raise InputError(
            f"no readable Zendesk tickets or audits ({len(parsed.malformed)} malformed)", path=path
        )
    counts = {reason: list(why.values()).count(reason) for reason in set(why.values())}
    return register_rows(
        engine, view, rows, path, parsed, records=len(parsed.records), duplicates=duplicates, left_out=counts
    )


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


def _parse(data_files: list[Path], options: ReadOptions) -> _Parsed:
    """Every record of every file, numbered across the files. A page's every record array is read (an
    audits page may sideload its tickets), its ``users`` / ``groups`` arrays kept as lookups."""
    out = _Parsed()
    for file in data_files:
        for value, text in json_values(read_text(file, options, out)):
            items: list[tuple[Any, str, str | None]] = [(value, text, None)]
            if isinstance(value, list):
                items = [(v, json.dumps(v, ensure_ascii=False), None) for v in value]
            elif isinstance(value, dict) and any(isinstance(value.get(k), list) for k in PAGE_KEYS):
                items = [
                    (v, json.dumps(v, ensure_ascii=False), key)
                    for key in PAGE_RECORDS
                    if isinstance(value.get(key), list)
                    for v in value[key]
                ]
                for name in PAGE_LOOKUPS:
                    found = value.get(name)
                    if isinstance(found, list):
                        out.sideloads.setdefault(name, []).extend(v for v in found if isinstance(v, dict))
            for item, shown, origin in items:
                number = len(out.records) + len(out.malformed) + 1
                if isinstance(item, dict):
                    out.records.append(Record(number, item, file))
                    if origin is not None:
                        out.origin[number] = origin
                else:
                    snippet = shown if len(shown) <= MAX_SNIPPET else shown[:MAX_SNIPPET] + "..."
                    out.malformed.append((number, snippet))
    return out


def _settings(
    raw: dict[str, str], lookups: dict[str, Path], options: ReadOptions, sideloads: dict[str, list[dict]]
) -> _Settings:
    chosen = {name: Path(raw[name]) if raw.get(name) else lookups.get(name) for name in LOOKUPS}
    groups: dict[str, str] = {}
    users: dict[str, tuple[str | None, str | None]] = {}
    # a page's sideloads first, the lookup files over them
    for record in [*sideloads.get("groups", []), *_lookup(chosen["groups"], "groups", options)]:
        if (gid := _text(record.get("id"))) is not None:
            groups[gid] = _text(record.get("name")) or gid
    for record in [*sideloads.get("users", []), *_lookup(chosen["users"], "users", options)]:
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


# --- records: tickets, audits, ticket events, ratings and metric sets, de-duplicated ---
def _is_audit(data: dict[str, Any]) -> bool:
    return isinstance(data.get("events"), list) and ("ticket_id" in data or "author_id" in data)


def _is_rating(data: dict[str, Any], origin: str | None) -> bool:
    """A satisfaction rating record (List Satisfaction Ratings, a tap's ``satisfaction_ratings`` stream):
    a score and the ticket it rates, or its API url. A ticket has no ``ticket_id``."""
    url = _text(data.get("url")) or ""
    return origin == "satisfaction_ratings" or (
        "score" in data and ("ticket_id" in data or "/satisfaction_ratings/" in url)
    )


def _classify(parsed: _Parsed) -> _Kinds:
    """Audits (ticket events read as audits), ratings and metric sets by their shape; any other record
    naming a ``ticket_id`` (SLA metric events, ticket skips) is about a ticket, not one: no event. The
    rest are tickets."""
    out = _Kinds()
    for r in parsed.records:
        d, origin = r.data, parsed.origin.get(r.number)
        if isinstance(d.get("child_events"), list):
            d = _from_ticket_event(d)
        if _is_audit(d) or origin == "audits":
            out.audits.append(_Audit(r.number, d, _time(d.get("created_at"))))
        elif _is_rating(d, origin):
            out.ratings.append(r)
        elif origin == "metric_sets" or "ticket_id" in d:
            if (key := _text(d.get("ticket_id"))) is not None and (
                "solved_at" in d or "status_updated_at" in d
            ):
                out.metrics[key] = d
        else:
            out.tickets.append(r)
    return out


def _from_ticket_event(d: dict[str, Any]) -> dict[str, Any]:
    """An incremental ticket event as the audit it is: ``updater_id`` its author, ``timestamp`` (seconds)
    its time when it has no ``created_at``, the ``via`` name its channel, each child event an audit
    event (``_child``)."""
    at = d.get("created_at")
    if _time(at) is None and (seconds := _number(d.get("timestamp"))) is not None:
        with contextlib.suppress(OverflowError, OSError, ValueError):  # then the audit is rejected
            at = datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    author = d.get("updater_id", d.get("author_id"))
    events = [c for e in _items(d, "child_events") for c in _child(e, author)]
    return {
        "id": d.get("id"),
        "ticket_id": d.get("ticket_id"),
        "created_at": at,
        "author_id": author,
        "via": {"channel": _via_channel(d.get("via"))},
        "events": events,
    }


def _via_channel(via: Any) -> str | None:
    if isinstance(via, dict):
        return _text(via.get("channel"))
    name = (_text(via) or "").strip().lower().replace(" ", "_")
    return VIA_NAMES.get(name, name) or None


def _child(e: dict[str, Any], author: Any) -> list[dict[str, Any]]:
    """One child event as audit events. With the ``comment_events`` sideload (and from taps) a child event
    is an audit event already (``type``/``event_type``, ``field_name``); otherwise it names the field it
    changed as its own key (``{"status": "solved", "previous_value": "open"}``) and says a comment was
    there only by ``comment_present`` / ``comment_public``."""
    kind = e.get("type") or e.get("event_type")
    if "public" not in e and "comment_public" in e:
        e = e | {"public": e["comment_public"]}
    if "field_name" in e or kind not in (None, "Create", "Change"):
        if kind == "Comment" and e.get("comment_present") is False:
            return []
        return [e | {"type": kind}]
    out: list[dict[str, Any]] = []
    if e.get("comment_present"):
        out.append({"type": "Comment", "public": e.get("public") is not False, "author_id": author})
    for name, value in e.items():
        if name not in CHILD_META and name != "public":
            change = {"type": kind or "Change", "field_name": name, "value": value}
            out.append(change | {"previous_value": e.get("previous_value"), "id": e.get("id")})
    return out


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


def _latest_ratings(ratings: list[Record]) -> tuple[list[Record], list[Record]]:
    """(the latest copy per rating id, by ``updated_at``: a customer may change a rating; the others)."""
    return latest(
        ratings,
        key=_key,
        rank=lambda r: _time(r.data.get("updated_at")) or _time(r.data.get("created_at")) or datetime.min,
        number=lambda r: r.number,
    )


def _unique_audits(audits: list[_Audit]) -> tuple[list[_Audit], list[_Audit]]:
    """(the first copy of each audit id and every audit without one, the repeated copies): an audit never
    changes, so a repeat is the same update delivered twice (a ticket event has its audit's id)."""
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


def _group(
    tickets: list[Record], audits: list[_Audit], ratings: list[Record], metrics: dict[str, dict[str, Any]]
) -> list[_Ticket]:
    """The tickets by id, each with its audits in time order and its ratings, in the order of their first
    record."""
    out: dict[str | None, _Ticket] = {}
    loose: list[_Ticket] = []
    for r in tickets:
        key = _key(r)
        if key is None:
            loose.append(_Ticket("", r.number, r))
        else:
            out[key] = _Ticket(key, r.number, r)

    def of(data: dict[str, Any], number: int) -> _Ticket:
        """The ticket a record names by ticket_id; one naming none is a ticket of its own (rejected)."""
        key = _text(data.get("ticket_id"))
        if key is None:
            loose.append(_Ticket("", number))
            return loose[-1]
        ticket = out.setdefault(key, _Ticket(key, number))
        ticket.first = min(ticket.first, number)
        return ticket

    for a in audits:
        of(a.data, a.number).audits.append(a)
    for r in ratings:
        of(r.data, r.number).ratings.append(r)
    for key, t in out.items():
        t.audits.sort(key=lambda a: (a.at or datetime.max, _number(a.data.get("id")) or 0, a.number))
        d = t.record.data if t.record is not None else {}
        t.metric = _obj(d, "metric_set") | metrics.get(key or "", {})
    return sorted([*out.values(), *loose], key=lambda t: t.first)


def _left_out(ticket: _Ticket) -> str | None:
    """Why a ticket is no customer's contact (``RawSource.left_out``), or None: deleted (the incremental
    export lists deleted tickets with status ``deleted``) or Zendesk's sample ticket."""
    d = ticket.record.data if ticket.record is not None else {}
    via = _obj(d, "via").get("channel") or _first_via(ticket.audits)
    if _text(d.get("status")) == DELETED:
        return "deleted_ticket"
    return "sample_ticket" if (_text(via) or "").lower() == SAMPLE_CHANNEL else None


def _repeated_events(
    repeated: list[_Audit], tickets: list[Record], settings: _Settings, left_out: set[str]
) -> int:
    """How many events the repeated audit copies would have given (each read as its ticket's only audit)."""
    by_key = {_key(r): r for r in tickets}
    n = 0
    for a in repeated:
        key = _text(a.data.get("ticket_id")) or ""
        if key not in left_out:
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
    state.requester = state.requester or next(
        (who for x in ticket.ratings if (who := _text(x.data.get("requester_id"))) is not None), None
    )
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
    elif key is None and ticket.ratings:  # a rating naming no ticket: one row, rejected missing_contact_id
        r = ticket.ratings[0]
        at = _text(r.data.get("updated_at")) or _text(r.data.get("created_at"))
        rows = [{S.TIMESTAMP: at, S.ACTIVITY: RATED, "rating_id": _key(r), "zendesk_record": str(r.number)}]
    else:
        if ticket.audits:
            for a in ticket.audits:
                rows += _audit_rows(a, state, settings, live=base[S.CHANNEL] in LIVE or abandoned_tag)
        elif ticket.record is not None:
            rows = _ticket_rows(ticket, d, settings)
            state.group = rows[0].get(S.QUEUE) if rows else None
        rated = any(r.get(S.SURVEY_SCORE) for r in rows)
        from_records = [row for r in ticket.ratings for row in _record_rating(r, state, settings)]
        if rated:  # the audits carry the rating: the rating records are the same answer again
            ticket.superseded = len(from_records)
        elif from_records:
            rows += from_records
        elif not repeat:
            rows += _ticket_rating(d, state, settings)
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
        rows.append({S.ACTIVITY: CREATED} | _creator(events, author, audit_via, actor, kind, state, settings))
    merge = audit_via == MERGE_CHANNEL or any(
        e.get("field_name") == "tags" and MERGE_TAG in _tag_list(e.get("value")) for e in events
    )
    # a rating given on the page: a Change of satisfaction_score, its text a Change of satisfaction_comment
    remark = next(
        (_text(e.get("value")) for e in events if e.get("field_name") == "satisfaction_comment"), None
    )
    described = False
    for e in events:
        etype, name = e.get("type"), _text(e.get("field_name"))
        if etype in ("Create", "Change") and name == "satisfaction_score":
            rows += _rating(_text(e.get("value")), remark, state, settings)
        elif etype in ("Create", "Change") and name is not None:
            rows += _change(name, e, creating and etype == "Create", state, settings, live=live, merge=merge)
        elif etype == "Comment":
            if creating and not described:  # the ticket's description: part of its creation
                described = True
                continue
            rows.append(_comment(e, author, state, settings))
        elif etype == "VoiceComment":
            rows.append(_voice(e, author, state, settings))
        elif etype == "SatisfactionRating":
            rows += _rating(_text(e.get("score")), _text(e.get("body")), state, settings)
    by_author: dict[str, Any] = {S.ACTOR: actor, S.ACTOR_TYPE: kind}
    head: dict[str, Any] = {S.TIMESTAMP: at, S.QUEUE: state.group}
    return [head | ({} if S.ACTOR in row else by_author) | common | row for row in rows]


def _creator(
    events: list[dict[str, Any]],
    author: str | None,
    via: str,
    actor: str | None,
    kind: str | None,
    state: _State,
    settings: _Settings,
) -> dict[str, Any]:
    """Who created the ticket: the Create audit's author, unless it came through the API (a web form, an
    app or an integration posts as its own user): then the author of its first comment, the person
    whose words opened the ticket."""
    if via == "api":
        first = next((e for e in events if e.get("type") in ("Comment", "VoiceComment")), None)
        said = _text(first.get("author_id")) if first is not None else None
        if said is not None and said != author:
            actor, kind = _person(said, state, settings)
    return {S.ACTOR: actor, S.ACTOR_TYPE: kind}


def _voice(e: dict[str, Any], author: str | None, state: _State, settings: _Settings) -> dict[str, Any]:
    """A call: its agent is who answered it (``data.answered_by_id``; the comment's author is the
    caller); a call nobody answered (a voicemail) stays the caller's."""
    data = _obj(e, "data")
    answered = _text(data.get("answered_by_id"))
    who, what = _person(answered or _text(e.get("author_id")) or author, state, settings)
    state.answered = state.answered or what == S.AGENT
    return {
        S.ACTIVITY: "Voice call",
        S.ACTOR: who,
        S.ACTOR_TYPE: what,
        S.DURATION_S: _number(data.get("call_duration")),
    }


def _change(
    name: str,
    e: dict[str, Any],
    created: bool,
    state: _State,
    settings: _Settings,
    *,
    live: bool,
    merge: bool,
) -> list[dict[str, Any]]:
    value = _text(e.get("value"))
    if name == "status":
        return _status(value, state, live=live, merge=merge)
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


def _status(value: str | None, state: _State, *, live: bool, merge: bool = False) -> list[dict[str, Any]]:
    """The event of a status change. Closed by a merge, the ticket was a duplicate of another: its work
    goes on there, so it ends ``closed`` (no resolution claimed, nobody abandoned), never ``resolved``."""
    previous, state.status = state.status, value
    if value is None or value == previous:
        return []
    if merge and value in (SOLVED, CLOSED):
        return [{S.ACTIVITY: MERGED, S.OUTCOME: S.CLOSED}]
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
            S.ACTIVITY: RATED,
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


def _record_rating(r: Record, state: _State, settings: _Settings) -> list[dict[str, Any]]:
    """A satisfaction rating record as its ticket's rating event, at its ``updated_at`` (a changed rating
    keeps its id and moves that time)."""
    d = r.data
    at = _text(d.get("updated_at")) or _text(d.get("created_at"))
    group = _text(d.get("group_id"))
    queue = state.group or (settings.groups.get(group, group) if group else None)
    rows = _rating(_text(d.get("score")), _text(d.get("comment")), state, settings)
    return [
        {S.TIMESTAMP: at, S.QUEUE: queue, "rating_id": _key(r), "zendesk_record": str(r.number)} | x
        for x in rows
    ]


def _ticket_rows(ticket: _Ticket, d: dict[str, Any], settings: _Settings) -> list[dict[str, Any]]:
    """A ticket read without audits: its creation and its current status. The status is timed at the
    solve (``solved_at`` of the ticket or its metric set) when solved or closed, else when it was set
    (the metric set's ``status_updated_at``), else at ``updated_at``: the last update of any kind, which
    may be long after the work."""
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
    at, source = _status_time(status, d, ticket.metric)
    if status not in (None, "new") and at is not None:
        assignee = _text(d.get("assignee_id"))
        state.answered = assignee is not None
        code = (_text(_obj(d, "via").get("channel")) or "").lower()
        tags = set(_tag_list(d.get("tags")))
        live = CHANNELS.get(code, code) in LIVE or bool(tags & settings.abandoned_tags)
        merge = MERGE_TAG in tags
        change = _status(status, state, live=live, merge=merge)
        row = {S.TIMESTAMP: at, "status_time": source} | (change or [{}])[0]
        if assignee is not None:
            row |= {S.ACTOR: _person(assignee, state, settings)[0], S.ACTOR_TYPE: S.AGENT}
        if settings.outcome is not None and _is_field_id(settings.outcome) and not merge:
            row[S.OUTCOME] = _text(_custom(d).get(settings.outcome.strip())) or row.get(S.OUTCOME)
        if S.ACTIVITY in row:
            rows.append(row)
    return [common | r for r in rows]


def _status_time(status: str | None, d: dict[str, Any], metric: dict[str, Any]) -> tuple[str | None, str]:
    """(when a ticket read without audits got its current status, the field that says so)."""
    fields: list[tuple[str, Any]] = []
    if status in (SOLVED, CLOSED):
        fields += [("solved_at", d.get("solved_at")), ("solved_at", metric.get("solved_at"))]
    fields += [("status_updated_at", metric.get("status_updated_at")), ("updated_at", d.get("updated_at"))]
    return next(((_text(v), name) for name, v in fields if _time(v) is not None), (None, "updated_at"))
