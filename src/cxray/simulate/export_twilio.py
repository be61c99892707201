"""The simulated centre's queued phone and chat contacts as Twilio TaskRouter (Flex) events.

One Task per leg, in the shape of TaskRouter's Event resource (docs/adapters/twilio-taskrouter.md): a
contact's first Task is created when it first enters a queue (the IVR or bot before it is Studio's, not
TaskRouter's, so it is not written, and a contact that never queued has no Task at all); a new Task at
each later queue (a transfer or an escalation: ``task.transfer-initiated`` on the Task before, the
attributes copied with the same ``conversations.conversation_id``). Each Task gets task.created,
task-queue.entered, reservation.created and reservation.accepted (the first agent), a task.updated that
sets the disposition, task.wrapup and task.completed; a caller who gave up in the queue gets
task.canceled (reason ``hangup``, ``conversations.abandoned`` "Yes") instead. Task attributes carry
``from`` (the customer), ``reason`` and ``conversations.outcome`` (the leg's last outcome in the canonical
log, as a Flex disposition would), and ``call_sid`` (voice) or ``conversationSid`` (chat); about one
contact in four has no ``conversations.conversation_id``, so its legs are joined by ``call_sid`` or
``conversationSid``.

Written as Events list pages (``{"events": [...], "meta": {...}}``, one a line, events in time order);
each page after the first repeats the last ``OVERLAP`` events of the one before, as an export fetched in
overlapping time windows does: those are repeated deliveries of one event sid.

Built from the canonical Arrow table alone: the simulator knows only the data contract (``schema``).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from .. import schema as S
from .export_rows import contacts, end

CHANNELS = {"phone": "voice", "chat": "chat"}
PAGE_SIZE = 500
OVERLAP = 10  # events each page repeats from the page before
WORKSPACE = "WS" + "0" * 31 + "1"
ACCOUNT = "AC" + "0" * 31 + "1"
BASE_URL = f"https://taskrouter.twilio.com/v1/Workspaces/{WORKSPACE}"
_SKIPPED = (S.CUSTOMER,)  # survey and abandonment rows are the customer's, not a task's work
_RANK = (
    "task.created",
    "task-queue.entered",
    "reservation.created",
    "reservation.accepted",
    "task.updated",
    "task.transfer-initiated",
    "task.wrapup",
    "task.canceled",
    "task.completed",
)


def _sid(prefix: str, *parts: str) -> str:
    return prefix + hashlib.md5("|".join(parts).encode("utf-8")).hexdigest()


def task_events(events: pa.Table) -> list[dict[str, Any]]:
    """The TaskRouter events of ``events``' queued phone and chat contacts, each once, in time order."""
    out: list[dict[str, Any]] = []
    for contact, channel, evs in contacts(events):
        if channel in CHANNELS:
            out += _contact(contact, CHANNELS[channel], evs)
    out.sort(key=lambda r: (r["event_date_ms"], r["_order"]))
    for r in out:
        del r["_order"]
    return out


def _legs(evs: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The contact's events from each queue on (a leg a queue); what comes before the first queue is not
    TaskRouter's."""
    legs: list[list[dict[str, Any]]] = []
    for e in evs:
        if e[S.ACTOR_TYPE] == S.SYSTEM and e[S.QUEUE]:
            legs.append([])
        if legs and (e[S.ACTOR_TYPE] not in _SKIPPED or e[S.OUTCOME] == S.ABANDONED):
            legs[-1].append(e)
    return legs


def _contact(contact: str, channel: str, evs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    legs = _legs(evs)
    if not legs:
        return []
    first = evs[0]
    tag = zlib.crc32(contact.encode("utf-8"))
    tasks = [_sid("WT", contact, str(k)) for k in range(len(legs))]
    attributes: dict[str, Any] = {"from": first[S.CUSTOMER_ID], "reason": first[S.REASON]}
    if channel == "voice":
        attributes |= {"call_sid": _sid("CA", contact), "to": "+18005550100", "direction": "inbound"}
    else:
        attributes |= {"conversationSid": _sid("CH", contact), "channelType": "web"}
    conversations: dict[str, Any] = {} if tag % 4 == 0 else {"conversation_id": tasks[0]}
    out: list[dict[str, Any]] = []
    for k, leg in enumerate(legs):
        outcomes = [e[S.OUTCOME] for e in leg if e[S.OUTCOME]]
        disposition = outcomes[-1] if outcomes else None
        later = k < len(legs) - 1
        out += _task(tasks[k], channel, leg, attributes, conversations, disposition, transferred=later)
    return out


def _task(
    sid: str,
    channel: str,
    leg: list[dict[str, Any]],
    attributes: dict[str, Any],
    conversations: dict[str, Any],
    disposition: str | None,
    *,
    transferred: bool,
) -> list[dict[str, Any]]:
    queue = leg[0]
    agent = [e for e in leg if e[S.ACTOR_TYPE] == S.AGENT]
    acw = next((e for e in agent if e[S.ACTIVITY] == "After-contact work"), None)
    talk = [e for e in agent if e is not acw]
    gave_up = next((e for e in leg if e[S.OUTCOME] == S.ABANDONED), None)
    created = queue[S.TIMESTAMP]
    initial = {k: v for k, v in attributes.items() if v is not None} | {"conversations": dict(conversations)}
    final = json.loads(json.dumps(initial))
    data: dict[str, Any] = {
        "task_sid": sid,
        "task_channel_unique_name": channel,
        "task_queue_sid": _sid("WQ", queue[S.QUEUE]),
        "task_queue_name": queue[S.QUEUE],
        "workflow_sid": _sid("WW", "Assign to Anyone"),
        "workflow_name": "Assign to Anyone",
        "task_priority": 0,
    }
    events: list[tuple[str, datetime, dict[str, Any]]] = [
        ("task.created", created, {"task_attributes": initial}),
        ("task-queue.entered", created, {}),
    ]
    if gave_up is not None and not talk:
        final["conversations"] |= {"abandoned": "Yes", "abandoned_phase": "Queue"}
        events.append(
            (
                "task.canceled",
                gave_up[S.TIMESTAMP],
                {"task_canceled_reason": "hangup", "task_attributes": final},
            )
        )
    elif talk:
        first = talk[0]
        worker = {
            "worker_sid": _sid("WK", first[S.ACTOR] or ""),
            "worker_name": first[S.ACTOR],
            "worker_attributes": json.dumps({"team_name": first[S.TEAM], "full_name": first[S.ACTOR]}),
            "reservation_sid": _sid("WR", sid),
        }
        talk_end = max(end(e) for e in talk)
        wrapped = acw[S.TIMESTAMP] if acw is not None else talk_end
        done = end(acw) if acw is not None else talk_end
        if disposition is not None:
            final["conversations"]["outcome"] = disposition
        events += [
            ("reservation.created", first[S.TIMESTAMP], worker),
            ("reservation.accepted", first[S.TIMESTAMP], worker),
            ("task.updated", wrapped, {"task_attributes": final}),
        ]
        if transferred:
            events.append(("task.transfer-initiated", talk_end, worker | {"transfer_mode": "COLD"}))
        events += [
            ("task.wrapup", wrapped, worker | {"task_attributes": final}),
            (
                "task.completed",
                done,
                worker | {"task_completed_reason": "Task completed via Flex", "task_attributes": final},
            ),
        ]
    return [_event(sid, kind, at, data | extra, created) for kind, at, extra in events]


def _event(task: str, kind: str, at: datetime, data: dict[str, Any], created: datetime) -> dict[str, Any]:
    ms = int(at.replace(tzinfo=UTC).timestamp() * 1000)
    sid = _sid("EV", task, kind)
    payload = dict(data)
    if isinstance(payload.get("task_attributes"), dict):
        payload["task_attributes"] = json.dumps(payload["task_attributes"], sort_keys=True)
    payload["task_age"] = int((at - created).total_seconds())
    is_reservation = kind.startswith("reservation.")
    resource = payload["reservation_sid"] if is_reservation else task
    return {
        "account_sid": ACCOUNT,
        "actor_sid": payload.get("worker_sid") if is_reservation else WORKSPACE,
        "actor_type": "worker" if is_reservation else "workspace",
        "description": f"{kind} for {task}",
        "event_data": payload,
        "event_date": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z",
        "event_date_ms": ms,
        "event_type": kind,
        "resource_sid": resource,
        "resource_type": "reservation" if is_reservation else "task",
        "resource_url": f"{BASE_URL}/Tasks/{task}" + (f"/Reservations/{resource}" if is_reservation else ""),
        "sid": sid,
        "source": "twilio",
        "source_ip_address": "127.0.0.1",
        "url": f"{BASE_URL}/Events/{sid}",
        "workspace_sid": WORKSPACE,
        "_order": (task, _RANK.index(kind)),
    }


def pages(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events as Events list pages of ``PAGE_SIZE``, each after the first repeating ``OVERLAP``."""
    out: list[dict[str, Any]] = []
    start = 0
    while start < len(events) or not out:
        begin = max(0, start - OVERLAP) if out else 0
        chunk = events[begin : start + PAGE_SIZE]
        k = len(out)
        out.append(
            {
                "events": chunk,
                "meta": {
                    "key": "events",
                    "page": k,
                    "page_size": PAGE_SIZE,
                    "url": f"{BASE_URL}/Events?PageSize={PAGE_SIZE}&Page={k}",
                    "first_page_url": f"{BASE_URL}/Events?PageSize={PAGE_SIZE}&Page=0",
                    "previous_page_url": f"{BASE_URL}/Events?PageSize={PAGE_SIZE}&Page={k - 1}"
                    if k
                    else None,
                    "next_page_url": None,
                },
            }
        )
        start += PAGE_SIZE
    for k in range(len(out) - 1):
        out[k]["meta"]["next_page_url"] = f"{BASE_URL}/Events?PageSize={PAGE_SIZE}&Page={k + 1}"
    return out


def write(events: pa.Table, path: Path) -> int:
    """Write ``events`` as TaskRouter Events list pages, one a line; returns how many event records (repeated
    deliveries included)."""
    written = pages(task_events(events))
    Path(path).write_text("".join(json.dumps(p, separators=(",", ":")) + "\n" for p in written), "utf-8")
    return sum(len(p["events"]) for p in written)
