"""Salesforce Service Cloud: a folder of CSV exports (Case, CaseHistory, AgentWork, LiveChatTranscript,
MessagingSession) in, the canonical events of each case out.

Written from Salesforce's Object Reference (Case, CaseHistory, AgentWork, LiveChatTranscript,
MessagingSession: https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/);
the page docs/adapters/salesforce-service-cloud.md has the field by field mapping and the choices. In short:

* Input: the CSV files Data Export or Data Loader writes (a header of API field names, matched without
  case; ISO 8601 times), recognised by name, any case: ``Case.csv``, ``CaseHistory.csv``, ``AgentWork.csv``,
  ``LiveChatTranscript.csv``, ``MessagingSession.csv`` and the optional lookups ``User.csv``, ``Group.csv``,
  ``QueueSobject.csv``, each also split (``Case_2024-03.csv``: a separator after the object's name, so
  ``CaseHistory2.csv``, another object, is not CaseHistory). Other files are not read (``unread`` names
  them). A row that does not split into the header's fields is a ``malformed_row`` naming its file and
  line; records are numbered across the files.
* Data Export's null id ``000000000000000AAA`` (an empty lookup; 15 characters: ``000000000000000``) is
  read as empty, or every case without a contact would share one customer. A deleted record
  (``IsDeleted``: Export All includes the recycle bin), and the history, work and chats of a deleted case,
  are left out, counted by why (``RawSource.left_out``).
* One Case is one cxray contact (``contact_id`` = the Case ``Id``); its history, its Omni-Channel work
  (``AgentWork.WorkItemId`` = the case, or a chat transcript of it) and its chats (``CaseId``) join it.
  A chat transcript without a case is a contact of its own.
* CaseHistory writes a foreign-key change (Owner) twice, once with ids and once with names: one event is
  kept, the twin counted as a duplicate (and its id -> name pairs used to name users and queues). An owner
  change to a queue is a routing (``Queued``, ``queue``), one after an agent held the case a transfer.
* Outcomes: a closed case is ``abandoned`` when it was queued and never answered after its last queueing;
  else ``resolved`` only when its status is one of ``closed_statuses`` (default ``Closed``); any other
  closing status is passed on as given (map it with ``outcome_values``). An ``Escalated`` status (or
  ``IsEscalated``) is ``escalated``; a transferred AgentWork is ``transferred``; a missed chat (or a
  messaging session no agent accepted) is ``abandoned``.

Reader options: ``closed_statuses`` and ``escalated_statuses`` (comma-separated case statuses) and
``customer_field`` (the Case field holding the customer; default ``ContactId``, else ``AccountId``).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ... import schema as S
from ...engine import Engine
from ...errors import ConfigError, InputError
from ..options import ReadOptions
from . import RawSource
from .records import MAX_SNIPPET, Parsed, Rows, files, read_text, register_rows
from .records import number as _number
from .records import time as _time

NAME = "salesforce-service-cloud"
OPTIONS = ("closed_statuses", "escalated_statuses", "customer_field")
#: CSV columns that, together, only a Salesforce case export has (Case and CaseHistory headers).
SIGNATURE = ("CaseNumber", "CaseId", "Field", "NewValue")

#: The objects read, longest name first (``CaseHistory`` before ``Case``).
OBJECTS = (
    "livechattranscript",
    "messagingsession",
    "queuesobject",
    "casehistory",
    "agentwork",
    "case",
    "user",
    "group",
)
#: What may follow an object's name in the name of one of its split files (``Case_2024-03.csv``,
#: ``AgentWork-2.csv``, ``Case (1).csv``); a letter or digit makes another object (``CaseHistory2``).
SPLIT = "_- .("
#: Header fields a file named like the object must have: a CaseHistory file without them is another
#: object's (the split-file rule cannot tell ``CaseHistory_old`` from a renamed lookalike).
REQUIRED = {"casehistory": ("Field", "NewValue")}
#: Data Export's id of an empty lookup, 18 and 15 characters: not a record.
NULL_IDS = {"000000000000000AAA", "000000000000000"}
#: The objects that give events, and are left out when deleted.
EVENT_OBJECTS = ("case", "casehistory", "agentwork", "livechattranscript", "messagingsession")
CHAT_OBJECTS = ("livechattranscript", "messagingsession")
#: The customer of a chat without a case: its contact, else its account (a messaging session's
#: ``EndUser*`` in the Object Reference), else the messaging end user (one person on one channel).
CHAT_CUSTOMER = (
    "ContactId",
    "EndUserContactId",
    "AccountId",
    "EndUserAccountId",
    "MessagingEndUserId",
)
ORIGINS = {
    "phone": "phone",
    "email": "email",
    "web": "web",
    "chat": "chat",
    "messaging": "chat",
    "internal": S.BACK_OFFICE,
}
OWNER_FIELDS = {"owner", "ownerassignment", "owneraccepted", "ownerescalated"}
#: A Salesforce id: 15 or 18 letters and digits (some digits); the first three say the object (005 user,
#: 00G queue).
_ID = re.compile(r"(?=[A-Za-z]*[0-9])[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
USER_PREFIX, GROUP_PREFIX = "005", "00G"
TRUE = {"true", "1", "yes"}

CREATED, CLOSED, QUEUED, ASSIGNED, OWNER = (
    "Case created",
    "Case closed",
    "Queued",
    "Assigned to agent",
    "Owner changed",
)
WORK, DECLINED, ROUTED = "Agent work", "Work declined", "Work routed"
CHAT_REQUESTED, CHAT_STARTED, CHAT_ENDED, CHAT_MISSED = (
    "Chat requested",
    "Chat started",
    "Chat ended",
    "Chat missed",
)
_ANSWERED = {ASSIGNED, WORK, CHAT_STARTED}
_WAITING = {QUEUED, CHAT_REQUESTED}


@dataclass
class _Record:
    """One CSV row: its object, file and first line, its number across the files, its values by field
    name in lower case (Data Loader may write ``CASENUMBER``)."""

    obj: str
    file: Path
    line: int
    number: int
    data: dict[str, str | None]

    def get(self, name: str) -> str | None:
        return self.data.get(name.lower())

    @property
    def where(self) -> str:
        return f"{self.file.name}:{self.line}"


@dataclass
class _Settings:
    closed: set[str]
    escalated: set[str]
    customer_field: str | None


@dataclass
class _Names:
    """Users and queues: id -> name (lookups and CaseHistory twins), which ids and names are queues."""

    names: dict[str, str] = field(default_factory=dict)
    teams: dict[str, str] = field(default_factory=dict)
    queue_ids: set[str] = field(default_factory=set)
    queue_names: set[str] = field(default_factory=set)
    user_names: set[str] = field(default_factory=set)

    def name(self, value: str | None) -> str | None:
        return None if value is None else self.names.get(_key(value), value)

    def kind(self, value: str | None) -> str | None:
        """``queue``, ``user`` or None (unknown) for an owner id or name."""
        if value is None:
            return None
        if _ID.fullmatch(value):
            if value.startswith(GROUP_PREFIX) or _key(value) in self.queue_ids:
                return "queue"
            if value.startswith(USER_PREFIX):
                return "user"
        if value in self.queue_names:
            return "queue"
        if value in self.user_names:
            return "user"
        return None


def _key(value: str) -> str:
    """The join key of an id: its first 15 characters (15- and 18-character ids name one record)."""
    return value[:15] if _ID.fullmatch(value) else value


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in TRUE


# --- reading the files ----------------------------------------------------------------------------------
def _object(file: Path) -> str | None:
    """The object a file holds, from its name: ``Case.csv``, ``case_2024.csv``; not ``CaseComment.csv``,
    ``CaseHistory2.csv`` (another object) or a custom object (``Case_Survey__c.csv``)."""
    stem = file.name.lower().removesuffix(".gz").rsplit(".", 1)[0]
    if "__" in stem:  # an API name with a namespace or custom suffix: never a standard object
        return None
    for obj in OBJECTS:
        if stem == obj or (stem.startswith(obj) and stem[len(obj)] in SPLIT):
            return obj
    return None


@dataclass
class _Export:
    """What reading the files gave: rows by object, malformed rows, how many records, repairs, and the
    files not read with why."""

    tables: dict[str, list[_Record]]
    malformed: list[tuple[int | None, str]]
    records: int
    parsed: Parsed
    unread: list[str]
    left: dict[str, int]  # rows of the files named like an object but unread (a header without its fields)


def unread(path: Path) -> list[str]:
    """The files under ``path`` this adapter does not read, each with why (``Account.csv: not an object
    read``, ``CaseHistory_x.csv: no Field, NewValue in its header``). A run names the lookalikes itself
    only when it reads no file at all; this lists them for a caller who wants to know."""
    return _read(path, ReadOptions(), strict=False).unread


def _missing(obj: str, header: list[str]) -> list[str]:
    have = {h.lower() for h in header}
    return [f for f in REQUIRED.get(obj, ()) if f.lower() not in have]


def _read(path: Path, options: ReadOptions, *, strict: bool = True) -> _Export:
    """Every row of every recognised file by object (``strict``: an error when there is none)."""
    found = files(path)
    skipped: dict[Path, str] = {}
    chosen: list[tuple[Path, str]] = []
    for f in found:
        obj = _object(f)
        if obj is None:
            skipped[f] = f"{f.name}: not an object read"
        else:
            chosen.append((f, obj))
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 26))  # a chat Body may hold 128 KB
    parsed = Parsed()
    tables: dict[str, list[_Record]] = {obj: [] for obj in OBJECTS}
    malformed: list[tuple[int | None, str]] = []
    number = 0
    read_any = False
    left: dict[str, int] = {}
    for file, obj in chosen:
        lines = io.StringIO(read_text(file, options, parsed).removeprefix("\ufeff"), newline="").readlines()
        reader = csv.reader(iter(lines))
        header: list[str] | None = None
        end = 0
        while True:
            start = end + 1
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error:
                fields = None
            end = reader.line_num
            if fields == [] or (fields is not None and header is None and not any(f.strip() for f in fields)):
                continue
            if header is None and fields is not None:
                header = [h.strip() for h in fields]
                if missing := _missing(obj, header):
                    skipped[file] = f"{file.name}: no {', '.join(missing)} in its header"
                    left[skipped[file]] = _rows_left(reader)  # named like an object read: never silent
                    break
                read_any = True
                continue
            number += 1
            if fields is None or header is None or len(fields) != len(header):
                text = "".join(lines[start - 1 : end]).rstrip("\r\n")
                snippet = text if len(text) <= MAX_SNIPPET else text[:MAX_SNIPPET] + "..."
                malformed.append((number, f"{file.name} line {start}: {snippet}"))
                continue
            data = {h.lower(): _value(v) for h, v in zip(header, fields, strict=True)}
            tables[obj].append(_Record(obj, file, start, number, data))
    unread = [skipped[f] for f in found if f in skipped]
    if strict and not read_any:
        shown = "; ".join(s for s in unread if "not an object" not in s)
        raise InputError(
            "no Salesforce export files (Case.csv, CaseHistory.csv, AgentWork.csv, LiveChatTranscript.csv, "
            f"MessagingSession.csv){f'; skipped {shown}' if shown else ''}",
            path=path,
        )
    return _Export(tables, malformed, number, parsed, unread, left)


def _rows_left(reader: Any) -> int:
    """The rows with a value left in ``reader`` (a csv reader past a header), counted, not read."""
    n = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return n
        except csv.Error:
            fields = ["?"]
        n += any(f.strip() for f in fields)


def _value(text: str) -> str | None:
    """A field's value: blank and Data Export's null id (an empty lookup) are None."""
    return None if not text.strip() or text.strip() in NULL_IDS else text


def _latest(records: list[_Record]) -> tuple[list[_Record], list[_Record]]:
    """(one record per Id, the later copy winning unless its LastModifiedDate is older; older copies)."""
    best: dict[str, _Record] = {}
    older: list[_Record] = []
    kept: list[_Record] = []
    for r in records:
        rid = r.get("Id")
        if rid is None:
            kept.append(r)
            continue
        other = best.get(_key(rid))
        if other is None:
            best[_key(rid)] = r
            continue
        mine, theirs = _time(r.get("LastModifiedDate")), _time(other.get("LastModifiedDate"))
        if mine is not None and theirs is not None and mine < theirs:
            older.append(r)
        else:
            best[_key(rid)] = r
            older.append(other)
    kept += best.values()
    kept.sort(key=lambda r: r.number)
    return kept, older


def _names(tables: dict[str, list[_Record]]) -> _Names:
    names = _Names()
    for r in tables["user"]:
        rid = r.get("Id")
        full = r.get("Name") or " ".join(p for p in (r.get("FirstName"), r.get("LastName")) if p) or None
        full = full or r.get("Username")
        if rid and full:
            names.names[_key(rid)] = full
            names.user_names.add(full)
        team = r.get("Department") or r.get("Division")
        if rid and team:
            names.teams[_key(rid)] = team
    queue_ids = {_key(q) for r in tables["queuesobject"] if (q := r.get("QueueId"))}
    for r in tables["group"]:
        rid = r.get("Id")
        if not rid:
            continue
        if r.get("Name"):
            names.names[_key(rid)] = r.get("Name") or rid
        if (r.get("Type") or "").lower() == "queue" or _key(rid) in queue_ids or rid.startswith(GROUP_PREFIX):
            queue_ids.add(_key(rid))
    names.queue_ids = queue_ids
    names.queue_names = {names.names[q] for q in queue_ids if q in names.names}
    return names


# --- events ---------------------------------------------------------------------------------------------
@dataclass
class _Event:
    contact: str | None  # join key of the contact (None: rejected)
    at: datetime | None
    rank: int  # order of events at one instant
    number: int
    values: dict[str, Any]


def _event(
    r: _Record, contact: str | None, ts: str | None, activity: str, rank: int, **values: Any
) -> _Event:
    row = {S.TIMESTAMP: ts, S.ACTIVITY: activity, "sf_object": _OBJECT_NAMES[r.obj], "sf_id": r.get("Id")}
    row["sf_record"] = r.where
    row |= values
    return _Event(contact, _time(ts), rank, r.number, row)


_OBJECT_NAMES = {
    "case": "Case",
    "casehistory": "CaseHistory",
    "agentwork": "AgentWork",
    "livechattranscript": "LiveChatTranscript",
    "messagingsession": "MessagingSession",
}


def _is_id(value: str | None) -> bool:
    return value is not None and _ID.fullmatch(value) is not None


def _history(
    records: list[_Record], names: _Names, cases: set[str]
) -> tuple[list[tuple[_Record, dict[str, str | None]]], int]:
    """The history rows that give events (twins paired: the names learned, one of the two counted as a
    duplicate; ``created`` rows of exported cases counted as duplicates), and how many were dropped."""
    groups: dict[tuple[str | None, str | None, str], list[_Record]] = {}
    for r in records:
        groups.setdefault((r.get("CaseId"), r.get("CreatedDate"), (r.get("Field") or "").lower()), []).append(
            r
        )
    out: list[tuple[_Record, dict[str, str | None]]] = []
    dropped = 0
    for (case_id, _, fld), rows in groups.items():
        if fld == "created" and case_id is not None and _key(case_id) in cases:
            dropped += len(rows)
            continue
        ids = [
            r
            for r in rows
            if case_id is not None
            and (_is_id(r.get("NewValue")) or (r.get("NewValue") is None and _is_id(r.get("OldValue"))))
        ]
        texts = [r for r in rows if all(r is not i for i in ids)]
        while ids and texts:  # a twin: the same change with ids and with names
            by_id, by_name = ids.pop(0), texts.pop(0)
            for col in ("OldValue", "NewValue"):
                rid, name = by_id.get(col), by_name.get(col)
                if rid and name:
                    names.names.setdefault(_key(rid), name)
            owner = fld in OWNER_FIELDS
            kept = by_id if owner else by_name
            out.append(
                (
                    kept,
                    {
                        "OldValue": by_name.get("OldValue"),
                        "NewValue": by_name.get("NewValue"),
                        "NewId": by_id.get("NewValue"),
                    },
                )
            )
            dropped += 1
        for r in ids + texts:
            out.append(
                (
                    r,
                    {
                        "OldValue": r.get("OldValue"),
                        "NewValue": r.get("NewValue"),
                        "NewId": r.get("NewValue"),
                    },
                )
            )
    out.sort(key=lambda pair: pair[0].number)
    return out, dropped


def _case_events(r: _Record) -> list[_Event]:
    """``Case created`` at CreatedDate and, for a closed case, ``Case closed`` at ClosedDate (its outcome
    is set once the contact's events are known)."""
    rid = r.get("Id")
    contact = _key(rid) if rid else None
    out = [_event(r, contact, r.get("CreatedDate"), CREATED, 0, **{S.ACTOR_TYPE: S.SYSTEM})]
    if contact is not None and r.get("ClosedDate") is not None:
        out.append(_event(r, contact, r.get("ClosedDate"), CLOSED, 9, **{S.ACTOR_TYPE: S.SYSTEM}))
    return out


def _history_event(r: _Record, values: dict[str, str | None], names: _Names, settings: _Settings) -> _Event:
    """One change of the case: an owner change (queue, agent or unknown), a status, or another field."""
    case_id = r.get("CaseId")
    contact = _key(case_id) if case_id else None
    fld = r.get("Field") or ""
    new, old = values.get("NewValue"), values.get("OldValue")
    attrs: dict[str, Any] = {
        "CaseHistory.Field": fld or None,
        "CaseHistory.OldValue": old,
        "CaseHistory.NewValue": new,
        "changed_by": names.name(r.get("CreatedById")),
    }
    ts = r.get("CreatedDate")
    lowered = fld.lower()
    if lowered in OWNER_FIELDS:
        new_id = values.get("NewId")
        kind = names.kind(new_id) or names.kind(new)
        name = names.name(new_id) if _is_id(new_id) else new
        escalated = {S.OUTCOME: S.ESCALATED} if lowered == "ownerescalated" else {}
        if kind == "queue":
            return _event(
                r, contact, ts, QUEUED, 3, **attrs, **{S.QUEUE: name, S.ACTOR_TYPE: S.SYSTEM}, **escalated
            )
        if kind == "user":
            team = names.teams.get(_key(new_id)) if new_id and _is_id(new_id) else None
            agent = {S.ACTOR: name, S.ACTOR_TYPE: S.AGENT, S.TEAM: team}
            return _event(r, contact, ts, ASSIGNED, 4, **attrs, **agent, **escalated)
        return _event(r, contact, ts, OWNER, 4, **attrs, **escalated)
    if lowered == "status":
        outcome = S.ESCALATED if new in settings.escalated else None
        return _event(
            r,
            contact,
            ts,
            f"Status: {new}" if new else "Status cleared",
            5,
            **attrs,
            **{S.ACTOR_TYPE: S.SYSTEM, S.OUTCOME: outcome},
        )
    if lowered == "created":
        return _event(r, contact, ts, CREATED, 0, **attrs, **{S.ACTOR_TYPE: S.SYSTEM})
    if lowered == "isescalated" and _flag(new):
        return _event(
            r, contact, ts, "Case escalated", 5, **attrs, **{S.ACTOR_TYPE: S.SYSTEM, S.OUTCOME: S.ESCALATED}
        )
    return _event(
        r, contact, ts, f"{fld} changed" if fld else "Case changed", 5, **attrs, **{S.ACTOR_TYPE: S.SYSTEM}
    )


def _work_event(r: _Record, contact: str | None, names: _Names) -> _Event:
    """One AgentWork: ``Agent work`` at AcceptDateTime (HandleTime as duration_s) when accepted, else
    ``Work declined`` or ``Work routed`` at the assignment (or request) time."""
    user = r.get("UserId")
    status = r.get("Status")
    attrs: dict[str, Any] = {
        S.QUEUE: names.name(r.get("OriginalQueueId")),
        S.ACTOR: names.name(user),
        S.ACTOR_TYPE: S.AGENT,
        S.TEAM: names.teams.get(_key(user)) if user else None,
        "AgentWork.Status": status,
        "AgentWork.ServiceChannelId": r.get("ServiceChannelId"),
        "AgentWork.RequestDateTime": r.get("RequestDateTime"),
        "AgentWork.CloseDateTime": r.get("CloseDateTime"),
        "AgentWork.ActiveTime": r.get("ActiveTime"),
        "AgentWork.WorkItemId": r.get("WorkItemId"),
    }
    accepted = r.get("AcceptDateTime")
    lowered = (status or "").lower()
    if accepted is not None:
        outcome = S.TRANSFERRED if lowered == "transferred" else None
        return _event(
            r,
            contact,
            accepted,
            WORK,
            6,
            **attrs,
            **{S.DURATION_S: _number(r.get("HandleTime")), S.OUTCOME: outcome},
        )
    at = r.get("AssignedDateTime") or r.get("RequestDateTime")
    return _event(r, contact, at, DECLINED if lowered.startswith("declined") else ROUTED, 2, **attrs)


def _chat_events(r: _Record, contact: str | None, names: _Names) -> list[_Event]:
    """A chat: requested, started by its owner (an agent), ended; never started and ended (or Missed):
    ``Chat missed``, abandoned."""
    owner = r.get("OwnerId")
    attrs: dict[str, Any] = {
        "LiveChatTranscript.Status": r.get("Status"),
        "LiveChatTranscript.ChatKey": r.get("ChatKey"),
        "LiveChatTranscript.WaitTime": r.get("WaitTime"),
        "LiveChatTranscript.ChatDuration": r.get("ChatDuration"),
    }
    out = [_event(r, contact, r.get("RequestTime"), CHAT_REQUESTED, 1, **attrs, **{S.ACTOR_TYPE: S.CUSTOMER})]
    started, ended = r.get("StartTime"), r.get("EndTime")
    missed = (r.get("Status") or "").lower() == "missed"
    if started is not None:
        agent = _agent(owner, names)
        out.append(_event(r, contact, started, CHAT_STARTED, 6, **attrs, **agent))
    if started is None and (ended is not None or missed):
        at = ended or r.get("RequestTime")
        out.append(
            _event(
                r, contact, at, CHAT_MISSED, 8, **attrs, **{S.ACTOR_TYPE: S.CUSTOMER, S.OUTCOME: S.ABANDONED}
            )
        )
    elif ended is not None:
        out.append(_event(r, contact, ended, CHAT_ENDED, 8, **attrs, **{S.ACTOR_TYPE: S.SYSTEM}))
    return out


def _agent(owner: str | None, names: _Names) -> dict[str, Any]:
    """The columns of an event an owner (the agent who took a chat or a session) did."""
    return {
        S.ACTOR: names.name(owner),
        S.ACTOR_TYPE: S.AGENT,
        S.TEAM: names.teams.get(_key(owner)) if owner else None,
    }


def _messaging_events(r: _Record, contact: str | None, names: _Names) -> list[_Event]:
    """A messaging session (Messaging for In-App and Web, WhatsApp, SMS: Live Chat's successor) read as a
    chat: requested at StartTime (else CreatedDate), started when an agent accepted it (AcceptTime, the
    owner), ended at EndTime; ended without an agent and not a bot's session: ``Chat missed``, abandoned."""
    owner = r.get("OwnerId")
    agent_type = (r.get("AgentType") or "").lower()
    attrs: dict[str, Any] = {
        "MessagingSession.Status": r.get("Status"),
        "MessagingSession.ChannelType": r.get("ChannelType"),
        "MessagingSession.Origin": r.get("Origin"),
        "MessagingSession.AgentType": r.get("AgentType"),
        "MessagingSession.MessagingEndUserId": r.get("MessagingEndUserId"),
    }
    inbound = (r.get("Origin") or "inbound").lower().startswith("inbound")
    opened = r.get("StartTime") or r.get("CreatedDate")
    who = S.CUSTOMER if inbound else S.SYSTEM
    out = [_event(r, contact, opened, CHAT_REQUESTED, 1, **attrs, **{S.ACTOR_TYPE: who})]
    accepted, ended = r.get("AcceptTime"), r.get("EndTime")
    if accepted is not None:
        agent = _agent(owner, names)
        out.append(_event(r, contact, accepted, CHAT_STARTED, 6, **attrs, **agent))
    if ended is None:
        return out
    if accepted is None and "bot" not in agent_type:
        missed = {S.ACTOR_TYPE: S.CUSTOMER, S.OUTCOME: S.ABANDONED}
        out.append(_event(r, contact, ended, CHAT_MISSED, 8, **attrs, **missed))
    else:
        ender = S.BOT if accepted is None else S.SYSTEM
        out.append(_event(r, contact, ended, CHAT_ENDED, 8, **attrs, **{S.ACTOR_TYPE: ender}))
    return out


# --- the whole export -----------------------------------------------------------------------------------
def _settings(options: ReadOptions) -> _Settings:
    given = dict(options.mapping.reader_options) if options.mapping is not None else {}
    unknown = sorted(set(given) - set(OPTIONS))
    if unknown:
        raise ConfigError(f"{NAME}: unknown reader_options {unknown}; known: {', '.join(OPTIONS)}")

    def listed(key: str, default: str) -> set[str]:
        return {s.strip() for s in given.get(key, default).split(",") if s.strip()}

    return _Settings(
        closed=listed("closed_statuses", "Closed"),
        escalated=listed("escalated_statuses", "Escalated"),
        customer_field=given.get("customer_field") or None,
    )


def load(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
    """Read a Salesforce export folder (or one of its files) into ``view``: one row per event."""
    settings = _settings(options)
    export = _read(path, options)
    tables = export.tables
    duplicates = 0
    kept: dict[str, list[_Record]] = {}
    names = _names(tables)
    for obj in EVENT_OBJECTS:
        kept[obj], older = _latest(tables[obj])
        duplicates += sum(len(_candidates(r, names, settings)) for r in older)
    deleted = _deleted(kept)
    malformed = export.malformed
    cases = {_key(rid): r for r in kept["case"] if (rid := r.get("Id"))}
    history, twins = _history(kept["casehistory"], names, set(cases))
    duplicates += twins
    display: dict[str, str] = {k: r.get("Id") or k for k, r in cases.items()}
    chats: dict[str, str] = {}  # transcript or messaging session key -> contact key
    chat_of: dict[str, _Record] = {}  # contact key -> its first transcript or session
    for r in kept["livechattranscript"] + kept["messagingsession"]:
        own, case_id = r.get("Id"), r.get("CaseId")
        raw = case_id or own
        if raw is None:
            continue
        contact = _key(raw)
        display.setdefault(contact, raw)
        chat_of.setdefault(contact, r)
        if own is not None:
            chats[_key(own)] = contact
    events: list[_Event] = []
    for r in kept["case"]:
        events += _case_events(r)
    for r, values in history:
        if (case_id := r.get("CaseId")) is not None:
            display.setdefault(_key(case_id), case_id)
        events.append(_history_event(r, values, names, settings))
    for r in kept["agentwork"]:
        item = r.get("WorkItemId")
        of = chats.get(_key(item), _key(item)) if item else None
        if item is not None and of is not None:
            display.setdefault(of, item)
        events.append(_work_event(r, of, names))
    for r in kept["livechattranscript"]:
        raw = r.get("CaseId") or r.get("Id")
        events += _chat_events(r, _key(raw) if raw else None, names)
    for r in kept["messagingsession"]:
        raw = r.get("CaseId") or r.get("Id")
        events += _messaging_events(r, _key(raw) if raw else None, names)
    rows = Rows()
    by_contact: dict[str | None, list[_Event]] = {}
    for e in events:
        by_contact.setdefault(e.contact, []).append(e)
    order = sorted(
        (c for c in by_contact if c is not None),
        key=lambda c: (min((e.at for e in by_contact[c] if e.at), default=datetime.max), c),
    )
    for contact in order:
        evs = sorted(by_contact[contact], key=lambda e: (e.at or datetime.max, e.rank, e.number))
        evs, folded = _fold_closing(evs, cases.get(contact))
        duplicates += folded
        _outcomes(evs, cases.get(contact), settings)
        base = _contact_values(cases.get(contact), chat_of.get(contact), settings)
        base[S.CONTACT_ID] = display.get(contact, contact)
        for e in evs:
            row = base | e.values
            if base.get(S.CHANNEL) == S.BACK_OFFICE and row.get(S.ACTOR_TYPE) == S.AGENT:
                row[S.ACTOR_TYPE] = S.BACK_OFFICE
            rows.add(row)
    for e in sorted(by_contact.get(None, []), key=lambda e: e.number):  # rejected: no case
        rows.add({S.CONTACT_ID: None} | e.values)
    if rows.n == 0:
        raise InputError(
            f"no readable Salesforce records ({len(export.malformed)} malformed, "
            f"{sum(deleted.values())} deleted)",
            path=path,
        )
    return register_rows(
        engine, view, rows, path, export.parsed,
        records=export.records - len(malformed) + sum(export.left.values()),
        duplicates=duplicates, malformed=malformed, left_out=deleted | export.left,
    )  # fmt: skip


def _deleted(kept: dict[str, list[_Record]]) -> dict[str, int]:
    """Take the deleted records out of ``kept`` (``IsDeleted``: Export All includes the recycle bin), with
    the history, work and chats of a deleted case or chat (else a case that no longer exists would come
    back as a contact made of its leftovers); return how many by why (``RawSource.left_out``: no customer's
    contact, so no rejected row, but counted and said)."""
    out: dict[str, int] = {}
    gone: set[str] = set()  # keys of the deleted cases and chats
    for obj in ("case", *CHAT_OBJECTS, "casehistory", "agentwork"):
        live: list[_Record] = []
        for r in kept[obj]:
            of = r.get("WorkItemId") if obj == "agentwork" else r.get("CaseId")
            if _flag(r.get("IsDeleted")):
                why = "deleted_record"
            elif of is not None and _key(of) in gone:
                why = "of_deleted_record"
            else:
                live.append(r)
                continue
            out[why] = out.get(why, 0) + 1
            if obj in ("case", *CHAT_OBJECTS) and (rid := r.get("Id")) is not None:
                gone.add(_key(rid))
        kept[obj] = live
    return out


def _candidates(r: _Record, names: _Names, settings: _Settings) -> list[_Event]:
    """The events a record would give (for counting the older copy of a record exported twice)."""
    if r.obj == "case":
        return _case_events(r)
    if r.obj == "livechattranscript":
        return _chat_events(r, None, names)
    if r.obj == "messagingsession":
        return _messaging_events(r, None, names)
    return [_event(r, None, None, "", 0)]


def _fold_closing(evs: list[_Event], case: _Record | None) -> tuple[list[_Event], int]:
    """The case's closing status change and its ``Case closed`` event are one event: the status row at the
    ClosedDate that sets the case's final status is dropped (counted as a duplicate)."""
    closed = next((e for e in evs if e.values[S.ACTIVITY] == CLOSED), None)
    if closed is None or case is None or closed.at is None:
        return evs, 0
    status = case.get("Status")
    twin = next(
        (
            e
            for e in evs
            if (e.values.get("CaseHistory.Field") or "").lower() == "status"
            and e.values.get("CaseHistory.NewValue") == status
            and e.at is not None
            and abs((e.at - closed.at).total_seconds()) < 1
        ),
        None,
    )
    if twin is None:
        return evs, 0
    return [e for e in evs if e is not twin], 1


def _outcomes(evs: list[_Event], case: _Record | None, settings: _Settings) -> None:
    """The queue carried forward, transfers on owner changes, the closed case's outcome, and
    ``IsEscalated`` when nothing else says it."""
    agent_seen = False
    owner: str | None = None  # kind of the last owner change
    last_agent: str | None = None
    waited: datetime | None = None
    answered: datetime | None = None
    queue: str | None = None  # the queue the case is in: set on every later event without one
    for e in evs:
        v = e.values
        activity = v[S.ACTIVITY]
        queue = v.get(S.QUEUE) or queue
        v[S.QUEUE] = queue
        if activity == QUEUED:
            if agent_seen and v.get(S.OUTCOME) is None:
                v[S.OUTCOME] = S.TRANSFERRED
            owner = "queue"
        elif activity == ASSIGNED:
            actor = v.get(S.ACTOR)
            if owner == "user" and agent_seen and actor != last_agent and v.get(S.OUTCOME) is None:
                v[S.OUTCOME] = S.TRANSFERRED
            owner, last_agent, agent_seen = "user", actor, True
        elif activity in (WORK, CHAT_STARTED):
            agent_seen = True
        if activity in _WAITING and e.at is not None:
            waited = max(waited or e.at, e.at)
        if activity in _ANSWERED and e.at is not None:
            answered = max(answered or e.at, e.at)
        if activity == CLOSED and case is not None:
            status = case.get("Status")
            if waited is not None and (answered is None or answered < waited):
                v[S.OUTCOME] = S.ABANDONED
            elif status in settings.closed:
                v[S.OUTCOME] = S.RESOLVED
            else:
                v[S.OUTCOME] = status
    flagged = case is not None and _flag(case.get("IsEscalated"))
    if flagged and not any(e.values.get(S.OUTCOME) == S.ESCALATED for e in evs):
        first = next((e for e in evs if e.values[S.ACTIVITY] == CREATED), evs[0])
        first.values[S.OUTCOME] = first.values.get(S.OUTCOME) or S.ESCALATED


def _contact_values(case: _Record | None, chat: _Record | None, settings: _Settings) -> dict[str, Any]:
    """What every event of a contact carries: customer, channel, reason and the case's own fields."""
    if case is None:
        if chat is None:
            return {}
        customer = next((v for f in CHAT_CUSTOMER if (v := chat.get(f)) is not None), None)
        return {S.CUSTOMER_ID: customer, S.CHANNEL: "chat"}
    origin = case.get("Origin")
    field_name = settings.customer_field
    customer = case.get(field_name) if field_name else case.get("ContactId") or case.get("AccountId")
    return {
        S.CUSTOMER_ID: customer,
        S.CHANNEL: ORIGINS.get(origin.strip().lower(), origin.strip().lower()) if origin else None,
        S.REASON: case.get("Reason"),
        "Case.CaseNumber": case.get("CaseNumber"),
        "Case.Status": case.get("Status"),
        "Case.Type": case.get("Type"),
        "Case.Priority": case.get("Priority"),
        "Case.Origin": origin,
        "Case.IsEscalated": case.get("IsEscalated"),
    }
