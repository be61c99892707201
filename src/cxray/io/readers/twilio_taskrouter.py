"""Twilio TaskRouter / Flex events: one record per state change in, the canonical events of each contact out.

Written from Twilio's published references: the Event resource
(https://www.twilio.com/docs/taskrouter/api/event), the TaskRouter Events reference with the event
callback parameters (https://www.twilio.com/docs/taskrouter/api/event/reference) and the Event Streams
TaskRouter event types (https://www.twilio.com/docs/events/event-types/taskrouter/task).
docs/adapters/twilio-taskrouter.md has the field by field mapping and the choices made here. In short:

* Input: the Events list (``GET /v1/Workspaces/{WorkspaceSid}/Events``: pages ``{"events": [...], "meta":
  {...}}``, one or several, back to back or one a line), JSON Lines of event records, event callbacks
  (webhooks) stored as JSON objects with their PascalCase parameters (``EventType``, ``TaskSid``,
  ``TaskAttributes``, ``Timestamp`` in epoch seconds), or Event Streams CloudEvents (``data.payload``);
  gzip or not; a file or a folder. Field names are matched without case, ``_`` or ``-``, so
  ``task_sid``, ``TaskSid`` and ``taskSid`` are one field.
* At-least-once delivery: an event ``sid`` seen again (or, without a sid, the same type, task,
  reservation and time) is a repeated delivery; the first is kept and the events the others would have
  given are counted as duplicates dropped (``RawSource.duplicates``).
* Legs: one Task is one leg. Tasks that share a value of any of their keys are one cxray contact: the
  task attribute ``contact_attribute`` when set (a task without it uses the defaults), else
  ``conversations.conversation_id`` (Flex Insights' link, copied onto the new task of a transfer, and
  the first task's sid by default, so it joins that task too) and ``call_sid``; a task with neither is
  keyed by its ``conversationSid`` or else ``channelSid`` (these can outlive a contact: never joined
  beside the others); a task with none is a contact of its own named by its sid. Joined by union-find,
  not by each task's first key present, so a task holding ``call_sid`` alone and one holding it beside a
  ``conversation_id`` are one call, not two contacts.
* Events: task.created, task-queue.entered/moved/timeout, reservation.accepted/rejected/timeout,
  task.transfer-initiated, task.wrapup (reservation.wrapup when the task has none), task.timeout,
  task.canceled and task.completed give one row each; the other types (task.updated, reservation.created,
  workflow.*, worker.*, ...) give none, but their task attributes are read. Outcomes go on the task's last
  ending event: ``outcome_attribute`` when it says, else ``transferred`` when a transfer was initiated or a
  later task of the contact follows, else ``abandoned`` when the task ended without an accepted
  reservation; never ``resolved`` on the platform's behalf.
* Bad records: not a JSON object is a ``malformed_row``; a record without an event type gives one row
  rejected ``missing_activity``; a task event without a task sid one row rejected ``missing_contact_id``;
  timestamps are passed through as text (epoch values converted to ISO UTC: a callback's ``Timestamp``
  read as seconds, or as milliseconds above 10^11, year 5138 in seconds) for the canonical checks.
* Event Streams: when the CloudEvent ``type`` and the payload's ``eventtype`` disagree, the payload's wins
  (TaskRouter's own record, agreeing with the data's ``name`` and the fields it carries); the envelope's
  type is kept as ``cloudevent_type``.

Reader options (a mapping's ``reader_options``, each a dotted path into the task attributes):
``contact_attribute``, ``customer_attribute`` (default ``from``, then Flex Conversations'
``customerAddress``, ``customers.phone``, ``customers.email``, ``customers.customer_label``; a channel
prefix ``whatsapp:``, ``messenger:`` or ``sms:`` removed, so one person is one customer across channels),
``reason_attribute`` (default none) and ``outcome_attribute`` (default none; ``task_completed_reason``
reads the ending event's completed or canceled reason instead).
"""

from __future__ import annotations

import itertools
import json
import re
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
from .records import Rows, parse_records, register_rows
from .records import number as _number
from .records import text as _text
from .records import time as _time

NAME = "twilio-taskrouter"
OPTIONS = ("contact_attribute", "customer_attribute", "reason_attribute", "outcome_attribute")
#: The Events list's spelling (REST and its pages); webhooks and Event Streams are read when named.
SIGNATURE = ("event_type", "resource_sid", "event_data.task_sid")
#: Event callbacks (form fields saved as JSON: ``EventType``, ``WorkspaceSid``, ``TaskSid``) and Event
#: Streams CloudEvents (``data.payload.eventtype`` beside ``task_sid`` and ``workspace_sid``): fields only
#: TaskRouter's events have together (matched without case).
MORE_SIGNATURES = (
    ("EventType", "WorkspaceSid", "TaskSid"),
    ("specversion", "data.payload.eventtype", "data.payload.task_sid", "data.payload.workspace_sid"),
)
STREAM_PREFIX = "com.twilio.taskrouter."
REASON_OPTION = "task_completed_reason"  # outcome_attribute value: the ending event's own reason
CHANNELS = {"voice": "phone"}  # task channel unique names; any other is kept lower-cased (chat, sms, email)
#: Task attributes that name one contact: every one a task has joins it (``_keys``)...
JOINING_KEYS = ("conversations.conversation_id", "call_sid")
#: ...and those that may outlive one, used only by a task that has none of the above.
LONG_LIVED_KEYS = ("conversationSid", "channelSid")
CONTACT_KEYS = JOINING_KEYS + LONG_LIVED_KEYS
#: Flex Conversations tasks name the customer by address (no ``from``): after ``from``, the address and
#: the customer's phone or email come before the label, a display name that may not be unique.
CUSTOMER_KEYS = (
    "from",
    "customerAddress",
    "customers.phone",
    "customers.email",
    "customers.customer_label",
)
#: Channel prefixes of a Conversations address (``whatsapp:+44...``): removed from a customer id.
CHANNEL_PREFIX = re.compile(r"^(?:whatsapp|messenger|sms):", re.IGNORECASE)
#: A webhook's ``Timestamp`` above this is in milliseconds (in seconds it would be after the year 5000).
EPOCH_MS_ABOVE = 1e11

#: event type -> (activity, actor type); these give a row, every other type gives none.
EVENTS: dict[str, tuple[str, str]] = {
    "task.created": ("Task created", S.SYSTEM),
    "task-queue.entered": ("Queued", S.SYSTEM),
    "task-queue.moved": ("Queue moved", S.SYSTEM),
    "task-queue.timeout": ("Queue timeout", S.SYSTEM),
    "reservation.rejected": ("Reservation rejected", S.AGENT),
    "reservation.timeout": ("Reservation timed out", S.AGENT),
    "reservation.accepted": ("Agent accepted", S.AGENT),
    "task.transfer-initiated": ("Transfer initiated", S.AGENT),
    "task.wrapup": ("Wrap-up", S.AGENT),
    "task.timeout": ("Task timed out", S.SYSTEM),
    "task.canceled": ("Task canceled", S.SYSTEM),
    "task.completed": ("Task completed", S.SYSTEM),
}
ENDINGS = ("task.timeout", "task.canceled", "task.completed")
#: A task's lifecycle: events at one instant are put in this order.
_LIFECYCLE = (
    "task.created",
    "workflow.entered",
    "task-queue.entered",
    "workflow.target-matched",
    "task-queue.moved",
    "task-queue.timeout",
    "workflow.timeout",
    "reservation.created",
    "reservation.rejected",
    "reservation.timeout",
    "reservation.canceled",
    "reservation.rescinded",
    "reservation.accepted",
    "task.updated",
    "task.transfer-initiated",
    "reservation.wrapup",
    "task.wrapup",
    "reservation.completed",
    "task.timeout",
    "task.canceled",
    "task.completed",
    "task.deleted",
)
_RANK = {t: i for i, t in enumerate(_LIFECYCLE)}
#: Event fields kept as attributes of the event's row (normalised name -> column).
EVENT_COLUMNS = {
    "sid": "event_sid",
    "reservationsid": "reservation_sid",
    "workersid": "worker_sid",
    "taskqueuesid": "task_queue_sid",
    "workflowname": "workflow_name",
    "taskcanceledreason": "task_canceled_reason",
    "taskcompletedreason": "task_completed_reason",
}


@dataclass
class _Event:
    number: int  # 1-based record number, across the files of a folder
    fields: dict[str, Any]  # normalised names (no case, ``_`` or ``-``) -> values
    transfer: dict[str, Any]  # the record's transfer fields, under their own names
    type: str | None = None
    envelope: str | None = None  # an Event Streams ``type`` that disagrees with the payload's eventtype
    when_text: str | None = None  # passed through for the canonical checks
    when: datetime | None = None  # for ordering only
    task: str | None = None

    def get(self, key: str) -> str | None:
        return _text(self.fields.get(key))

    @property
    def order(self) -> tuple[datetime, int, int]:
        return (self.when or datetime.min, _RANK.get(self.type or "", len(_RANK)), self.number)


@dataclass
class _Task:
    sid: str
    events: list[_Event] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)

    def first(self, *types: str) -> _Event | None:
        return next((e for e in self.events if e.type in types), None)

    def last(self, *types: str) -> _Event | None:
        return next((e for e in reversed(self.events) if e.type in types), None)


def load(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
    """Read TaskRouter events (a file or folder) into ``view``: one row per event, canonical columns plus
    the task's attributes."""
    settings = dict(options.mapping.reader_options) if options.mapping is not None else {}
    unknown = sorted(set(settings) - set(OPTIONS))
    if unknown:
        raise ConfigError(f"{NAME}: unknown reader_options {unknown}; known: {', '.join(OPTIONS)}")
    parsed = parse_records(path, options, unwrap=("events",))
    if not parsed.records and not parsed.malformed:
        raise InputError("no TaskRouter events found", path=path)
    events, repeats = _deliveries([_event(r.number, r.data) for r in parsed.records])
    rows = Rows()
    given: dict[int, int] = {}  # record number -> rows it gave
    for number, row in _rows(events, settings):
        rows.add(row)
        given[number] = given.get(number, 0) + 1
    if rows.n == 0:
        raise InputError(
            f"no task events in {len(parsed.records)} records ({len(parsed.malformed)} malformed)",
            path=path,
        )
    duplicates = sum(given.get(first, 0) for first in repeats)
    return register_rows(engine, view, rows, path, parsed, records=len(parsed.records), duplicates=duplicates)


# --- one record -> one event ------------------------------------------------------------------------
def _norm(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")


def _event(number: int, record: dict[str, Any]) -> _Event:
    """The record's fields, from whichever shape it has: REST (``event_data``), webhook (flat, PascalCase)
    or Event Streams (``data.payload``)."""
    data: dict[str, Any] = record["data"] if isinstance(record.get("data"), dict) else {}
    layers = [record, data]
    layers += [d for d in (data.get("payload"), record.get("event_data"), record.get("EventData")) if d]
    fields: dict[str, Any] = {}
    transfer: dict[str, Any] = {}
    for layer in layers:
        if not isinstance(layer, dict):
            continue
        for key, value in layer.items():
            if isinstance(value, dict) and _norm(key) in {"data", "payload", "eventdata"}:
                continue
            fields[_norm(str(key))] = value
            if _norm(str(key)).startswith("transfer"):
                transfer[str(key)] = value
    e = _Event(number, fields, transfer)
    own = (e.get("eventtype") or "").strip().lower() or None
    stream = e.get("type")
    envelope = (stream or "").removeprefix(STREAM_PREFIX).strip().lower() or None
    e.type = own or envelope
    if own is not None and envelope is not None and own != envelope:
        e.envelope = stream
    e.when_text, e.when = _when(fields)
    resource = (e.get("resourcetype") or "").lower()
    e.task = e.get("tasksid") or (e.get("resourcesid") if resource == "task" else None)
    return e


def _when(fields: dict[str, Any]) -> tuple[str | None, datetime | None]:
    """(the time as text for the canonical step, the time for ordering): ``event_date`` (ISO) as given, an
    Event Streams ``timestamp`` (ISO) as given, else epoch milliseconds or a webhook's epoch
    ``Timestamp`` as ISO UTC text: seconds, as Twilio sends it, or milliseconds when it is that large (a
    handler that stored ``Date.now()``)."""
    ms = _number(fields.get("eventdatems"))
    ms = ms if ms is not None else _number(fields.get("timestampms"))
    stamp = fields.get("timestamp")
    if ms is None and (epoch := _number(stamp)) is not None:
        ms = epoch if abs(epoch) > EPOCH_MS_ABOVE else epoch * 1000
    exact = _time(ms) if ms is not None else None
    for key in ("eventdate", "timestamp"):
        value = fields.get(key)
        if _number(value) is None and (given := _text(value)) is not None:
            return given, exact or _time(given)
    if ms is None:
        return None, None
    return (exact.isoformat() if exact is not None else _text(fields.get("eventdatems") or stamp)), exact


def _deliveries(events: list[_Event]) -> tuple[list[_Event], list[int]]:
    """(each event once, the first delivery kept; for every repeated delivery, its first's record number)."""
    seen: dict[tuple[str | None, ...], int] = {}
    kept: list[_Event] = []
    repeats: list[int] = []
    for e in events:
        key: tuple[str | None, ...] | None = None
        if e.get("sid") is not None:
            key = ("sid", e.get("sid"))
        elif e.type is not None and e.when_text is not None:
            key = (e.type, e.task, e.get("reservationsid"), e.get("resourcesid"), e.when_text)
        if key is not None and key in seen:
            repeats.append(seen[key])
            continue
        if key is not None:
            seen[key] = e.number
        kept.append(e)
    return kept, repeats


# --- task attributes ----------------------------------------------------------------------------------
def _attributes(value: Any) -> dict[str, Any] | None:
    """Task attributes: JSON text (as TaskRouter sends them) or an object; None when absent or unreadable."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def _path(attributes: dict[str, Any], path: str) -> str | None:
    """The attribute at a dotted path (``conversations.conversation_id``), or a key with dots in it."""
    if path in attributes:
        return _text(attributes[path])
    value: Any = attributes
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return _text(value)


def _flat(value: Any, prefix: str, out: dict[str, str | None]) -> dict[str, str | None]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flat(item, f"{prefix}.{key}", out)
    else:
        out[prefix] = _text(value)
    return out


def _first_of(attributes: dict[str, Any], paths: Iterable[str | None]) -> str | None:
    return next((v for p in paths if p and (v := _path(attributes, p)) is not None), None)


# --- tasks -> contacts -> rows --------------------------------------------------------------------------
def _tasks(events: list[_Event]) -> dict[str, _Task]:
    tasks: dict[str, _Task] = {}
    for e in events:
        if e.task is not None and e.type is not None:
            tasks.setdefault(e.task, _Task(e.task)).events.append(e)
    for task in tasks.values():
        task.events.sort(key=lambda e: e.order)
        for e in task.events:  # the latest attributes win (dispositions are set before completion)
            attributes = _attributes(e.fields.get("taskattributes"))
            if attributes:
                task.attributes = attributes
    return tasks


def _keys(task: _Task, settings: dict[str, str]) -> list[tuple[str, str]]:
    """(key, value) of each key the task is joined by: ``contact_attribute`` alone when set and present;
    else every one of ``JOINING_KEYS`` it has (one call, one Flex Insights conversation); else the first
    of the others (``LONG_LIVED_KEYS``), as a task's own key only: a chat channel or Conversations
    conversation can outlive one contact (a WhatsApp channel reused for days), and joining on it beside
    the others would fold a customer's later contacts into one."""
    named = settings.get("contact_attribute")
    own = _path(task.attributes, named) if named else None
    if named and own is not None:
        return [(named, own)]
    found = [(k, v) for k in JOINING_KEYS if (v := _path(task.attributes, k)) is not None]
    fallback = ((k, v) for k in LONG_LIVED_KEYS if (v := _path(task.attributes, k)) is not None)
    return found or list(itertools.islice(fallback, 1))


def _contacts(tasks: dict[str, _Task], settings: dict[str, str]) -> dict[str, list[_Task]]:
    """Contact name -> its tasks in order: tasks sharing any key value are one contact (union-find), and so
    is a task whose key names another task's sid (Flex Insights' ``conversation_id`` is the first task's
    sid). A contact is named by the first key, in the order of ``_keys``, any of its tasks has (the
    earliest task's value), else by its first task's sid; the result depends on the events, not on the
    order of the files."""
    legs = sorted(tasks.values(), key=lambda t: (t.events[0].order, t.sid))
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def join(a: str, b: str) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    keys = {task.sid: _keys(task, settings) for task in legs}
    for task in legs:
        for _, value in keys[task.sid]:
            join(f"task:{task.sid}", f"key:{value}")
            if value in tasks:
                join(f"key:{value}", f"task:{value}")
    groups: dict[str, list[_Task]] = {}
    for task in legs:
        groups.setdefault(root(f"task:{task.sid}"), []).append(task)
    order = [settings.get("contact_attribute"), *CONTACT_KEYS]
    contacts: dict[str, list[_Task]] = {}
    for group in groups.values():
        found = [(order.index(k), i, v) for i, t in enumerate(group) for k, v in keys[t.sid] if k in order]
        contacts[min(found)[2] if found else group[0].sid] = group
    return contacts


def _rows(events: list[_Event], settings: dict[str, str]) -> Iterable[tuple[int, dict[str, Any]]]:
    """(record number, row) for every event that gives one: contacts in order of their first event, legs in
    task order, events in lifecycle order; then the rows rejected for want of a type or a task."""
    contacts = _contacts(_tasks(events), settings)
    for contact, legs in sorted(contacts.items(), key=lambda c: (c[1][0].events[0].order, c[0])):
        for k, task in enumerate(legs):
            after = legs[k + 1].events[0].when if k < len(legs) - 1 else None
            yield from _task_rows(contact, task, settings, followed=k < len(legs) - 1, next_start=after)
    for e in events:
        if e.type is None:  # rejected: missing_activity
            yield e.number, {S.CONTACT_ID: e.task, S.TIMESTAMP: e.when_text, S.ACTIVITY: None} | _columns(e)
        elif e.task is None and e.type in EVENTS:  # rejected: missing_contact_id
            activity = EVENTS[e.type][0]
            yield e.number, {S.CONTACT_ID: None, S.TIMESTAMP: e.when_text, S.ACTIVITY: activity} | _columns(e)


def _columns(e: _Event) -> dict[str, Any]:
    """The event's own attributes."""
    out = {column: e.get(key) for key, column in EVENT_COLUMNS.items()}
    out |= {"event_type": e.type, "taskrouter_record": str(e.number)}
    if e.envelope is not None:
        out["cloudevent_type"] = e.envelope
    return out | {key: _text(value) for key, value in e.transfer.items()}


def _customer(value: str | None) -> str | None:
    """A customer id without its channel prefix: ``whatsapp:+4477...`` and a call from ``+4477...`` are
    one person."""
    return (CHANNEL_PREFIX.sub("", value).strip() or None) if value else None


def _seconds(start: _Event | None, end: _Event | None) -> float | None:
    if start is None or end is None or start.when is None or end.when is None:
        return None
    seconds = (end.when - start.when).total_seconds()
    return seconds if seconds >= 0 else None


def _team(e: _Event | None) -> str | None:
    worker = _attributes(e.fields.get("workerattributes")) if e is not None else None
    return _first_of(worker or {}, ("team_name", "team")) if worker else None


def _task_rows(
    contact: str, task: _Task, settings: dict[str, str], *, followed: bool, next_start: datetime | None
) -> Iterable[tuple[int, dict[str, Any]]]:
    """The rows of one task. Every row carries the task's queue at that point (handoffs are counted on queue
    changes), except one after the contact's next task began (a transferring agent's wrap-up): that one
    carries none, or the contact would seem to go back to the queue it left."""
    attributes = task.attributes
    used = {settings.get(k) for k in OPTIONS} - {None}
    channel = next((c for e in task.events if (c := e.get("taskchanneluniquename"))), None)
    customer_keys: tuple[str | None, ...] = (settings.get("customer_attribute"),)
    if (_path(attributes, "direction") or "").lower().startswith("outbound"):
        customer_keys += ("outbound_to",)
    customer = _first_of(attributes, customer_keys + CUSTOMER_KEYS)
    leg: dict[str, Any] = {
        S.CONTACT_ID: contact,
        S.CUSTOMER_ID: _customer(customer),
        S.CHANNEL: CHANNELS.get(channel.lower(), channel.lower()) if channel else None,
        S.REASON: _path(attributes, settings["reason_attribute"])
        if settings.get("reason_attribute")
        else None,
        "task_sid": task.sid,
        "task_channel_unique_name": channel,
    }
    leg |= {
        k: v for k, v in _flat(attributes, "attributes", {}).items() if k[len("attributes.") :] not in used
    }
    accepted = task.first("reservation.accepted")
    wrapup = task.first("task.wrapup") or (task.first("reservation.wrapup") if accepted is not None else None)
    ending = task.last(*ENDINGS)
    worker = {S.ACTOR: accepted.get("workername") if accepted else None, S.TEAM: _team(accepted)}
    queue: str | None = None
    for e in task.events:
        kind = "task.wrapup" if e is wrapup else e.type
        if kind not in EVENTS:
            continue
        activity, actor_type = EVENTS[kind]
        row: dict[str, Any] = {S.TIMESTAMP: e.when_text, S.ACTIVITY: activity, S.ACTOR_TYPE: actor_type}
        queue = e.get("taskqueuename") or queue
        interleaved = next_start is not None and e.when is not None and e.when > next_start
        row[S.QUEUE] = None if interleaved else queue
        if actor_type == S.AGENT:
            own = e.get("workername")
            row |= {S.ACTOR: own, S.TEAM: _team(e)} if own else worker
        if e is accepted:
            row[S.DURATION_S] = _seconds(e, wrapup or ending)
        elif e is wrapup:
            row[S.DURATION_S] = _seconds(e, ending)
        if e is ending:
            row[S.OUTCOME] = _outcome(task, e, settings, followed=followed, accepted=accepted is not None)
        yield e.number, leg | row | _columns(e)


def _outcome(
    task: _Task, ending: _Event, settings: dict[str, str], *, followed: bool, accepted: bool
) -> str | None:
    """The disposition the attribute (or the ending's reason) gives, else what the task's structure says."""
    key = settings.get("outcome_attribute")
    if key == REASON_OPTION:
        said = ending.get("taskcompletedreason") or ending.get("taskcanceledreason") or ending.get("reason")
    else:
        said = _path(task.attributes, key) if key else None
    if said is not None:
        return said
    if followed or task.first("task.transfer-initiated") is not None:
        return S.TRANSFERRED
    if not accepted and ending.type != "task.completed":
        return S.ABANDONED
    return None
