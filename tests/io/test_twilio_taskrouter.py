"""Twilio TaskRouter / Flex events: tasks as legs, deliveries, the three spellings (REST Events list, event
callbacks, Event Streams), written from Twilio's references (https://www.twilio.com/docs/taskrouter/api/event,
https://www.twilio.com/docs/taskrouter/api/event/reference,
https://www.twilio.com/docs/events/event-types/taskrouter/task); the simulator's round trip."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from io_helpers import balanced
from typer.testing import CliRunner

from cxray import AnalysisOptions, diagnose
from cxray.cli import EXIT_OK, app
from cxray.engine import Engine
from cxray.errors import ConfigError, InputError
from cxray.io import InputSummary, ReadOptions, read_events
from cxray.io.detect import detect
from cxray.io.mapping import Mapping
from cxray.simulate import load_scenario, simulate
from cxray.simulate.export_twilio import OVERLAP, task_events, write

TASKROUTER = Mapping.from_dict({"reader": "twilio-taskrouter"})
WS = "WS" + "a" * 32


def _ms(date: str) -> int:
    return int(datetime.fromisoformat(date.replace("Z", "+00:00")).astimezone(UTC).timestamp() * 1000)


def event(sid: str, kind: str, date: str, task: str | None, **data: Any) -> dict[str, Any]:
    """An Event resource as the Events list returns it: the event's own fields, its data in event_data."""
    reservation = kind.startswith("reservation.")
    record: dict[str, Any] = {
        "sid": sid,
        "account_sid": "AC" + "b" * 32,
        "workspace_sid": WS,
        "event_type": kind,
        "event_date": date,
        "event_date_ms": _ms(date),
        "resource_type": "reservation" if reservation else "task",
        "resource_sid": data.get("reservation_sid") if reservation else task,
        "actor_type": "worker" if reservation else "workspace",
        "actor_sid": data.get("worker_sid") if reservation else WS,
        "description": f"{kind} event",
        "source": "twilio",
        "event_data": ({"task_sid": task} if task else {}) | data,
    }
    return record


def attributes(**values: Any) -> str:
    """Task attributes: TaskRouter sends them as a JSON string."""
    return json.dumps(values)


def worker(name: str, team: str) -> dict[str, Any]:
    return {
        "worker_sid": f"WK-{name}",
        "worker_name": name,
        "worker_attributes": json.dumps({"team_name": team, "full_name": name.title()}),
        "reservation_sid": f"WR-{name}",
    }


VOICE = {"task_channel_unique_name": "voice"}
CALL = {"call_sid": "CA1", "from": "+31201234567", "direction": "inbound", "reason": "billing"}
FIRST = attributes(**CALL, conversations={"conversation_id": "WT1"})
SECOND = attributes(**CALL, conversations={"conversation_id": "WT1", "outcome": "Resolved"})
BILLING = {"task_queue_name": "Billing", "task_queue_sid": "WQ1"}
PAYMENTS = {"task_queue_name": "Payments", "task_queue_sid": "WQ2"}

BOB, ANN, CAT = worker("bob", "Tier 1"), worker("ann", "Tier 1"), worker("cat", "Payments")
DONE = {"task_completed_reason": "Task completed via Flex"}
T0 = "2024-03-04T09:"

# A Flex voice call: queued to Billing, one agent lets the offer time out, ann accepts and cold-transfers to
# Payments (a new task with the same conversation id); ann wraps up after the new task has begun; cat
# handles the second task and sets the disposition.
CALL_EVENTS = [
    event("EV01", "task.created", T0 + "00:00Z", "WT1", task_attributes=FIRST, **VOICE),
    event("EV02", "workflow.entered", T0 + "00:00Z", "WT1", task_attributes=FIRST, **VOICE),
    event("EV03", "task-queue.entered", T0 + "00:00Z", "WT1", task_attributes=FIRST, **VOICE, **BILLING),
    event("EV04", "reservation.created", T0 + "00:10Z", "WT1", **VOICE, **BILLING, **BOB),
    event("EV05", "reservation.timeout", T0 + "00:40Z", "WT1", **VOICE, **BILLING, **BOB),
    event("EV06", "reservation.created", T0 + "00:45Z", "WT1", **VOICE, **BILLING, **ANN),
    event("EV07", "reservation.accepted", T0 + "01:00Z", "WT1", **VOICE, **BILLING, **ANN),
    event("EV08", "task.transfer-initiated", T0 + "03:00Z", "WT1", transfer_mode="COLD", transfer_to="WQ2",
          **VOICE, **BILLING, **ANN),
    event("EV09", "task.created", T0 + "03:02Z", "WT2", task_attributes=FIRST, **VOICE),
    event("EV10", "task-queue.entered", T0 + "03:02Z", "WT2", **VOICE, **PAYMENTS),
    event("EV11", "task.wrapup", T0 + "03:30Z", "WT1", **VOICE, **BILLING),
    event("EV12", "task.completed", T0 + "04:00Z", "WT1", **DONE, **VOICE, **BILLING),
    event("EV13", "reservation.accepted", T0 + "04:00Z", "WT2", **VOICE, **PAYMENTS, **CAT),
    event("EV14", "task.updated", T0 + "10:00Z", "WT2", task_attributes=SECOND, **VOICE, **PAYMENTS),
    event("EV15", "task.wrapup", T0 + "10:00Z", "WT2", **VOICE, **PAYMENTS),
    event("EV16", "task.completed", T0 + "11:00Z", "WT2", **DONE, **VOICE, **PAYMENTS),
    event("EV17", "task.deleted", T0 + "16:00Z", "WT2", **VOICE),
]  # fmt: skip

CHAT = {"task_channel_unique_name": "chat", "task_queue_name": "Chat"}
VISITOR = attributes(conversationSid="CH3", channelType="web", **{"from": "visitor-7"})
# A web chat, offered once and rejected, canceled when the visitor left: no accepted reservation.
ABANDONED = [
    event("EV20", "task.created", "2024-03-04T10:00:00Z", "WT3", task_attributes=VISITOR, **CHAT),
    event("EV21", "task-queue.entered", "2024-03-04T10:00:05Z", "WT3", task_attributes=VISITOR, **CHAT),
    event("EV22", "reservation.rejected", "2024-03-04T10:00:30Z", "WT3", **CHAT, **worker("dan", "Chat")),
    event("EV23", "task.canceled", "2024-03-04T10:04:00Z", "WT3", task_attributes=VISITOR,
          task_canceled_reason="Task canceled on Conversation end", **CHAT),
]  # fmt: skip


def jsonl(path: Path, records: list[Any], *, gz: bool = False) -> Path:
    text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


def read(engine: Engine, path: Path, mapping: Mapping = TASKROUTER) -> InputSummary:
    summary = read_events([path], engine, options=ReadOptions(mapping=mapping))
    assert balanced(summary)
    return summary


def options(**reader_options: str) -> Mapping:
    return Mapping.from_dict({"reader": "twilio-taskrouter", "reader_options": reader_options})


def events(engine: Engine, *columns: str) -> list[tuple]:
    cols = ", ".join(f'"{c}"' for c in columns)
    return [
        tuple(r.values()) for r in engine.rows(f"SELECT {cols} FROM events ORDER BY timestamp, source_row")
    ]


def test_a_transferred_call_is_one_contact_of_two_tasks(engine: Engine, tmp_path: Path):
    """Tasks sharing conversations.conversation_id are one contact; the first ends transferred; a worker
    whose reservation timed out is an event of its own; events are put in lifecycle order whatever the
    order of the records (the list below is newest first)."""
    summary = read(engine, jsonl(tmp_path / "events.jsonl", list(reversed(CALL_EVENTS))))
    assert summary.records_read == 17 and summary.rows_rejected == 0
    rows = events(engine, "contact_id", "activity", "queue", "actor", "team", "outcome", "task_sid")
    assert {r[0] for r in rows} == {"WT1"}
    assert [r[1] for r in rows] == [
        "Task created", "Queued", "Reservation timed out", "Agent accepted", "Transfer initiated",
        "Task created", "Queued", "Wrap-up", "Task completed", "Agent accepted",
        "Wrap-up", "Task completed",
    ]  # fmt: skip
    assert [(r[6], r[5]) for r in rows if r[1] == "Task completed"] == [("WT1", "transferred"), ("WT2", None)]
    assert [(r[3], r[4]) for r in rows if r[1] in ("Reservation timed out", "Agent accepted")] == [
        ("bob", "Tier 1"), ("ann", "Tier 1"), ("cat", "Payments"),
    ]  # fmt: skip
    # ann's wrap-up and her task's completion come after the second task began: no queue, so the contact
    # does not seem to go back to Billing
    assert [(r[1], r[2]) for r in rows if r[6] == "WT1" and r[1] in ("Wrap-up", "Task completed")] == [
        ("Wrap-up", None), ("Task completed", None),
    ]  # fmt: skip
    assert {r[0] for r in events(engine, "customer_id")} == {"+31201234567"}
    assert {r[0] for r in events(engine, "channel")} == {"phone"}
    transfer = events(engine, "activity", "transfer_mode", "transfer_to", "event_sid")
    assert ("Transfer initiated", "COLD", "WQ2", "EV08") in transfer


def test_handle_and_wrap_up_seconds_come_from_the_task_lifecycle(engine: Engine, tmp_path: Path):
    read(engine, jsonl(tmp_path / "events.jsonl", CALL_EVENTS))
    rows = events(engine, "activity", "actor", "duration_s")
    assert [(r[0], r[1], r[2]) for r in rows if r[2] is not None] == [
        ("Agent accepted", "ann", 150.0),  # accepted 09:01:00 -> wrap-up 09:03:30
        ("Wrap-up", "ann", 30.0),  # -> completed 09:04:00
        ("Agent accepted", "cat", 360.0),
        ("Wrap-up", "cat", 60.0),
    ]


def test_the_transfer_counts_once_in_the_diagnosis(tmp_path: Path):
    run = diagnose(jsonl(tmp_path / "events.jsonl", CALL_EVENTS), read=ReadOptions(mapping=TASKROUTER))
    contact = run.contacts().to_pylist()[0]
    assert contact["n_transfers"] == 1 and contact["is_ping_pong"] is False
    assert run.metrics.overall["transfer_rate"] == 1.0


def test_a_task_canceled_without_an_accepted_reservation_is_abandoned(engine: Engine, tmp_path: Path):
    read(engine, jsonl(tmp_path / "events.jsonl", ABANDONED))
    rows = events(
        engine, "contact_id", "activity", "outcome", "channel", "customer_id", "task_canceled_reason"
    )
    assert [r[1] for r in rows] == ["Task created", "Queued", "Reservation rejected", "Task canceled"]
    assert rows[-1] == (
        "CH3", "Task canceled", "abandoned", "chat", "visitor-7", "Task canceled on Conversation end",
    )  # fmt: skip


def test_a_completed_task_has_no_outcome_unless_an_attribute_says_so(engine: Engine, tmp_path: Path):
    """Never 'resolved' on the platform's behalf; conversations.outcome (a Flex disposition) read when named,
    through outcome_values; or the ending's own reason."""
    path = jsonl(tmp_path / "events.jsonl", CALL_EVENTS)
    read(engine, path)
    assert [r[0] for r in events(engine, "outcome") if r[0]] == ["transferred"]
    mapping = Mapping.from_dict(
        {
            "reader": "twilio-taskrouter",
            "reader_options": {"outcome_attribute": "conversations.outcome", "reason_attribute": "reason"},
            "outcome_values": {"Resolved": "resolved"},
        }
    )
    summary = read(engine, path, mapping)
    assert [r[0] for r in events(engine, "outcome") if r[0]] == ["transferred", "resolved"]
    assert {r[0] for r in events(engine, "reason")} == {"billing"}
    assert "attributes.conversations.outcome" not in summary.attributes
    assert "attributes.conversations.conversation_id" in summary.attributes
    read(engine, path, options(outcome_attribute="task_completed_reason"))
    outcomes = [r[0] for r in events(engine, "outcome") if r[0]]
    assert outcomes == ["Task completed via Flex", "Task completed via Flex"]


def test_legs_join_on_call_sid_or_a_named_attribute_else_stand_alone(engine: Engine, tmp_path: Path):
    """Without conversations.conversation_id the call_sid joins; without either a task is its own contact
    (a task whose agent initiated a transfer still ends transferred); contact_attribute names the key."""
    plain = [
        {**e, "event_data": {**e["event_data"], "task_attributes": attributes(**CALL, case="K-9")}}
        if "task_attributes" in e["event_data"]
        else e
        for e in CALL_EVENTS
    ]
    read(engine, jsonl(tmp_path / "a.jsonl", plain))
    assert {r[0] for r in events(engine, "contact_id")} == {"CA1"}
    bare = [
        {**e, "event_data": {k: v for k, v in e["event_data"].items() if k != "task_attributes"}}
        for e in plain
    ]
    read(engine, jsonl(tmp_path / "b.jsonl", bare))
    assert {r[0] for r in events(engine, "contact_id")} == {"WT1", "WT2"}
    # two contacts: nothing follows WT1, but its agent initiated a transfer
    assert [r for r in events(engine, "contact_id", "outcome") if r[1]] == [("WT1", "transferred")]
    read(engine, jsonl(tmp_path / "a.jsonl", plain), options(contact_attribute="case"))
    assert {r[0] for r in events(engine, "contact_id")} == {"K-9"}


def test_customer_comes_from_the_named_attribute_or_the_outbound_number(engine: Engine, tmp_path: Path):
    record = event(
        "EV40", "task.created", "2024-03-04T12:00:00Z", "WT4",
        task_attributes=attributes(
            **{"from": "+18005550100"}, direction="outbound", outbound_to="+31612345678",
            customers={"customer_label": "Jo", "external_id": "K-42"},
        ),
        **VOICE,
    )  # fmt: skip
    path = jsonl(tmp_path / "events.jsonl", [record])
    read(engine, path)
    assert events(engine, "customer_id") == [("+31612345678",)]
    read(engine, path, options(customer_attribute="customers.external_id"))
    assert events(engine, "customer_id") == [("K-42",)]


def _cold_transfer(first: dict[str, Any], second: dict[str, Any]) -> list[dict[str, Any]]:
    """A voice call answered in Billing and cold-transferred to Payments: task WTA, then WTB."""
    a, b = attributes(**first), attributes(**second)
    return [
        event("EV50", "task.created", T0 + "00:00Z", "WTA", task_attributes=a, **VOICE, **BILLING),
        event("EV51", "reservation.accepted", T0 + "00:20Z", "WTA", **VOICE, **BILLING, **ANN),
        event("EV52", "task.transfer-initiated", T0 + "03:00Z", "WTA", **VOICE, **BILLING, **ANN),
        event("EV53", "task.created", T0 + "03:01Z", "WTB", task_attributes=b, **VOICE, **PAYMENTS),
        event("EV54", "task.completed", T0 + "03:30Z", "WTA", **VOICE, **BILLING),
        event("EV55", "reservation.accepted", T0 + "04:00Z", "WTB", **VOICE, **PAYMENTS, **CAT),
        event("EV56", "task.completed", T0 + "09:00Z", "WTB", **VOICE, **PAYMENTS),
    ]


def test_tasks_sharing_any_key_are_one_contact_whatever_key_each_has_first(engine: Engine, tmp_path: Path):
    """Task A holds call_sid alone; task B holds it beside a conversation_id (Flex Insights: A's sid): one
    contact, not a false repeat, named by the conversation id, the same whatever the order of the file.
    A task whose conversation_id names another task's sid joins it without any key in common."""
    records = _cold_transfer(
        {"call_sid": "CA1", "from": "+31201234567"},
        {"call_sid": "CA1", "from": "+31201234567", "conversations": {"conversation_id": "WTA"}},
    )
    read(engine, jsonl(tmp_path / "a.jsonl", records))
    rows = events(engine, "contact_id", "activity", "outcome", "task_sid")
    assert {r[0] for r in rows} == {"WTA"}
    assert [(r[3], r[2]) for r in rows if r[1] == "Task completed"] == [("WTA", "transferred"), ("WTB", None)]
    read(engine, jsonl(tmp_path / "b.jsonl", list(reversed(records))))
    assert events(engine, "contact_id", "activity", "outcome", "task_sid") == rows
    by_sid = _cold_transfer({"conversationSid": "CH1"}, {"conversations": {"conversation_id": "WTA"}})
    read(engine, jsonl(tmp_path / "c.jsonl", by_sid))
    assert {r[0] for r in events(engine, "contact_id")} == {"WTA"}
    # a chat channel reused by two conversations (a long-lived channel) does not fold them into one
    reused = _cold_transfer(
        {"channelSid": "CH2", "conversations": {"conversation_id": "X1"}},
        {"channelSid": "CH2", "conversations": {"conversation_id": "X2"}},
    )
    read(engine, jsonl(tmp_path / "d.jsonl", reused))
    assert {r[0] for r in events(engine, "contact_id")} == {"X1", "X2"}


def test_a_flex_conversations_customer_is_its_address_without_the_channel_prefix(
    engine: Engine, tmp_path: Path
):
    """Conversations tasks carry customerAddress and customers.phone, no ``from``: the address is the
    customer; ``whatsapp:`` (``messenger:``, ``sms:``) is removed, so the same person calling is the same
    customer."""
    whatsapp = attributes(
        conversationSid="CH7", customerAddress="whatsapp:+447700900123", channelType="whatsapp",
        customers={"phone": "whatsapp:+447700900123", "customer_label": "Sam"},
    )  # fmt: skip
    phone_only = attributes(conversationSid="CH8", customers={"phone": "+447700900124"})
    call = attributes(call_sid="CA9", **{"from": "+447700900123"})
    records = [
        event("EV60", "task.created", "2024-03-04T12:00:00Z", "WT7", task_attributes=whatsapp, **CHAT),
        event("EV61", "task.created", "2024-03-04T12:10:00Z", "WT8", task_attributes=phone_only, **CHAT),
        event("EV62", "task.created", "2024-03-04T13:00:00Z", "WT9", task_attributes=call, **VOICE),
    ]
    read(engine, jsonl(tmp_path / "events.jsonl", records))
    assert events(engine, "contact_id", "customer_id") == [
        ("CH7", "+447700900123"),
        ("CH8", "+447700900124"),
        ("CA9", "+447700900123"),
    ]


def test_a_callback_timestamp_in_milliseconds_is_read_by_its_size(engine: Engine, tmp_path: Path):
    """A stored callback whose Timestamp holds epoch milliseconds (no TimestampMs) is read as such, not
    rejected bad_timestamp; one in seconds still reads as seconds."""
    hook = {"TaskSid": "WT5", "TaskChannelUniqueName": "voice"}
    records = [
        hook
        | {"Sid": "EV70", "EventType": "task.created", "Timestamp": str(_ms("2024-03-04T12:00:00.250Z"))},
        hook
        | {
            "Sid": "EV71",
            "EventType": "task.canceled",
            "Timestamp": str(_ms("2024-03-04T12:05:00Z") // 1000),
        },
    ]
    summary = read(engine, jsonl(tmp_path / "hooks.jsonl", records))
    assert summary.rows_rejected == 0
    assert [r[0] for r in events(engine, "timestamp")] == [
        datetime(2024, 3, 4, 12, 0, 0, 250000),
        datetime(2024, 3, 4, 12, 5),
    ]


def test_event_streams_type_and_payload_eventtype_disagreeing(engine: Engine, tmp_path: Path):
    """Twilio's documented example says task.canceled in the CloudEvent type and reservation.created in the
    payload (and the data's name): the payload's eventtype wins, the envelope's type is kept."""
    streamed = [
        {
            "specversion": "1.0",
            "type": "com.twilio.taskrouter.task.created",
            "data": {"sid": "EV80", "timestamp": "2024-03-04T12:00:00Z",
                     "payload": {"eventtype": "task.created", "task_sid": "WT6", **CHAT}},
        },
        {
            "specversion": "1.0",
            "type": "com.twilio.taskrouter.task.canceled",
            "data": {"sid": "EV81", "name": "ReservationCreated", "timestamp": "2024-03-04T12:00:05Z",
                     "payload": {"eventtype": "task.completed", "task_sid": "WT6", **CHAT}},
        },
    ]  # fmt: skip
    read(engine, jsonl(tmp_path / "stream.jsonl", streamed))
    assert events(engine, "activity", "event_type", "cloudevent_type") == [
        ("Task created", "task.created", None),
        ("Task completed", "task.completed", "com.twilio.taskrouter.task.canceled"),
    ]


def test_event_callbacks_read_like_the_events_list(engine: Engine, tmp_path: Path):
    """A webhook's form parameters (PascalCase, Timestamp in epoch seconds) stored as JSON give the same
    events; a delivery repeated (same Sid) is dropped and counted."""
    hooks = []
    for e in ABANDONED:
        data = e["event_data"]
        hook = {
            "Sid": e["sid"],
            "EventType": e["event_type"],
            "AccountSid": e["account_sid"],
            "WorkspaceSid": WS,
            "ResourceType": e["resource_type"].title(),
            "ResourceSid": e["resource_sid"],
            "Timestamp": str(e["event_date_ms"] // 1000),
            "TaskSid": data["task_sid"],
            "TaskChannelUniqueName": data["task_channel_unique_name"],
            "TaskQueueName": data["task_queue_name"],
        }
        for key, name in (
            ("task_attributes", "TaskAttributes"),
            ("task_canceled_reason", "TaskCanceledReason"),
        ):
            if key in data:
                hook[name] = data[key]
        if "worker_name" in data:
            hook |= {"WorkerName": data["worker_name"], "WorkerAttributes": data["worker_attributes"]}
        hooks.append(hook)
    summary = read(engine, jsonl(tmp_path / "hooks.jsonl", [*hooks, hooks[3], hooks[0]]))
    assert summary.records_read == 6 and summary.duplicates_dropped == 2 and summary.rows_kept == 4
    hooked = events(engine, "contact_id", "timestamp", "activity", "outcome", "actor", "team")
    read(engine, jsonl(tmp_path / "events.jsonl", ABANDONED))
    assert hooked == events(engine, "contact_id", "timestamp", "activity", "outcome", "actor", "team")
    assert hooked[0][1] == datetime(2024, 3, 4, 10, 0)


def test_event_streams_cloudevents_are_read(engine: Engine, tmp_path: Path):
    """Event Streams wraps the event in data.payload with its type as ``eventtype`` and an ISO timestamp."""
    streamed = [
        {
            "specversion": "1.0",
            "type": f"com.twilio.taskrouter.{e['event_type']}",
            "id": f"NO{k}",
            "data": {"sid": e["sid"], "timestamp": e["event_date"], "payload": e["event_data"]},
        }
        for k, e in enumerate(ABANDONED)
    ]
    read(engine, jsonl(tmp_path / "stream.jsonl", streamed))
    assert [r[:2] for r in events(engine, "activity", "outcome")] == [
        ("Task created", None), ("Queued", None), ("Reservation rejected", None),
        ("Task canceled", "abandoned"),
    ]  # fmt: skip


def test_overlapping_pages_of_the_events_list_are_read_once(engine: Engine, tmp_path: Path):
    """Pages ({"events": [...], "meta": {...}}) written one a line, gzip, fetched in overlapping windows:
    the repeated event sids are dropped and counted; offsets in event_date are converted."""
    shifted = [
        {**e, "event_date": "2024-03-04T11:00:00+01:00"} if e["sid"] == "EV20" else e for e in ABANDONED
    ]
    first = {"events": CALL_EVENTS, "meta": {"page": 0, "key": "events", "next_page_url": "…Page=1"}}
    second = {"events": CALL_EVENTS[-2:] + shifted, "meta": {"page": 1, "key": "events"}}
    path = jsonl(tmp_path / "taskrouter-events.json.gz", [first, second], gz=True)
    summary = read(engine, path)
    # the repeated task.completed gives a row, the repeated task.deleted none
    assert summary.records_read == 23 and summary.duplicates_dropped == 1
    assert summary.rows_kept == 12 + 4
    assert ("CH3", datetime(2024, 3, 4, 10, 0)) in events(engine, "contact_id", "timestamp")
    assert detect(path) == "twilio-taskrouter"


def test_a_folder_of_files_is_read(engine: Engine, tmp_path: Path):
    jsonl(tmp_path / "tr" / "2024-03-04" / "a.jsonl", CALL_EVENTS[:8])
    jsonl(tmp_path / "tr" / "2024-03-04" / "b.jsonl", CALL_EVENTS[8:] + ABANDONED)
    (tmp_path / "tr" / ".DS_Store").write_bytes(b"\x00junk")
    summary = read(engine, tmp_path / "tr")
    assert summary.records_read == 21 and summary.rows_kept == 16
    assert {r[0] for r in events(engine, "contact_id")} == {"WT1", "CH3"}


def test_malformed_records_are_rejected_with_their_reason(engine: Engine, tmp_path: Path):
    """Not JSON: malformed_row; no event type: missing_activity; a task event without a task sid:
    missing_contact_id; no time or an unreadable one: missing_timestamp / bad_timestamp. Worker events are
    read and give no event."""
    no_type = {
        k: v
        for k, v in event("EV50", "task.created", "2024-03-04T13:00:00Z", "WT5").items()
        if k != "event_type"
    }
    no_task = event("EV51", "task.created", "2024-03-04T13:00:00Z", None)
    no_time = {
        k: v
        for k, v in event("EV52", "task.created", "2024-03-04T13:00:00Z", "WT6").items()
        if k not in ("event_date", "event_date_ms")
    }
    bad_time = event("EV53", "task.created", "2024-03-04T13:00:00Z", "WT7") | {
        "event_date": "yesterday at noon", "event_date_ms": None,
    }  # fmt: skip
    worker_event = event("EV54", "worker.activity.update", "2024-03-04T13:00:00Z", None, worker_name="ann")
    path = jsonl(
        tmp_path / "events.jsonl",
        [
            *ABANDONED,
            '{"sid": "EV55", "event_type": task.created',
            no_type,
            no_task,
            no_time,
            bad_time,
            worker_event,
        ],
    )
    summary = read(engine, path)
    assert summary.records_read == 10 and summary.rows_kept == 4
    assert summary.rejected_by_reason == {
        "bad_timestamp": 1, "malformed_row": 1, "missing_activity": 1, "missing_contact_id": 1,
        "missing_timestamp": 1,
    }  # fmt: skip
    rejected = engine.rows("SELECT source_row, value FROM rejected WHERE reason = 'malformed_row'")
    assert rejected == [{"source_row": 5, "value": '{"sid": "EV55", "event_type": task.created'}]


def test_an_unknown_reader_option_is_a_config_error(engine: Engine, tmp_path: Path):
    with pytest.raises(
        ConfigError, match=r"twilio-taskrouter: unknown reader_options.*known: contact_attribute"
    ):
        read(engine, jsonl(tmp_path / "events.jsonl", ABANDONED), options(queue_attribute="x"))


def test_a_file_without_task_events_is_an_input_error(engine: Engine, tmp_path: Path):
    with pytest.raises(InputError, match="no TaskRouter events"):
        read(engine, jsonl(tmp_path / "empty.json", ['{"events": [], "meta": {}}']))
    only_workers = [event("EV60", "worker.activity.update", "2024-03-04T13:00:00Z", None, worker_name="ann")]
    with pytest.raises(InputError, match="no task events"):
        read(engine, jsonl(tmp_path / "workers.jsonl", only_workers))


def test_diagnose_reads_taskrouter_events_from_the_cli(tmp_path: Path):
    path = jsonl(tmp_path / "events.json", [{"events": CALL_EVENTS + ABANDONED, "meta": {"key": "events"}}])
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["diagnose", str(path), "--mapping", "twilio-taskrouter", "--out", str(out), "--quiet"]
    )
    assert result.exit_code == EXIT_OK, result.output
    doc = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    assert doc["input"]["records_read"] == 21 and doc["input"]["rows_kept"] == 16
    overall = doc["metrics"]["overall"]
    assert overall["contacts"] == 2 and overall["transfer_rate"] == 0.5 and overall["abandonment_rate"] == 0.5


# --- the simulator's round trip ---------------------------------------------------------------------------
ROUND_TRIP = options(reason_attribute="reason", outcome_attribute="conversations.outcome")
COMPARED = ("contacts", "journeys", "transfer_rate", "abandonment_rate", "escalation_rate", "fcr")


@pytest.fixture(scope="module")
def simulated():
    return simulate(load_scenario("default"), seed=7, days=7, customers=1500)


def _queued_phone_and_chat(events: pa.Table) -> pa.Table:
    """The canonical log restricted to what TaskRouter carries: phone and chat contacts that reached a queue
    (a contact the IVR or bot kept never becomes a Task)."""
    routed = pc.and_(
        pc.is_in(events["channel"], value_set=pa.array(["phone", "chat"])),
        pc.and_(pc.equal(events["actor_type"], "system"), pc.is_valid(events["queue"])),
    )
    ids = pc.unique(pc.filter(events["contact_id"], pc.fill_null(routed, False)))
    return events.filter(pc.is_in(events["contact_id"], value_set=ids))


def test_the_taskrouter_export_diagnoses_like_the_canonical_log(simulated, tmp_path: Path):
    """Same contacts, journeys, transfers, abandons, escalations and FCR as the canonical log's queued phone
    and chat contacts (a 2-day repeat window), and the same detectors lead the breakdowns. What cannot match
    by design: the export has no IVR, bot or survey events and names its steps after the task lifecycle
    ('Agent accepted', 'Wrap-up'), so step-level flow, containment and the survey analyses are not
    compared, nor the breakdowns' titles (activity names), only their detectors."""
    path = tmp_path / "taskrouter-events.json"
    n = write(simulated.events, path)
    once = task_events(simulated.events)
    assert n > len(once) > 0 and n - len(once) == OVERLAP * (len(path.read_text().splitlines()) - 1)
    analysis = AnalysisOptions(window_days=2)
    twilio = diagnose(path, read=ReadOptions(mapping=ROUND_TRIP), analysis=analysis)
    canonical = diagnose(_queued_phone_and_chat(simulated.events), analysis=analysis)
    got = {k: twilio.metrics.overall[k] for k in COMPARED}
    want = {k: canonical.metrics.overall[k] for k in COMPARED}
    assert got["fcr"] is not None and got["transfer_rate"] > 0 and got["abandonment_rate"] > 0
    assert got["escalation_rate"] > 0
    assert got == pytest.approx(want, abs=0.01)
    assert twilio.input.duplicates_dropped > 0 and twilio.input.rows_rejected == 0
    assert [b["code"] for b in twilio.breakdowns[:3]] == [b["code"] for b in canonical.breakdowns[:3]]
    assert not any(b["code"] == "CL01" for b in twilio.breakdowns)  # a new task per leg is not lost context
    assert detect(path) == "twilio-taskrouter"


def test_without_attributes_the_structure_still_gives_transfers_and_abandons(simulated, tmp_path: Path):
    """Events alone (no disposition or reason attribute) still say who was transferred and who abandoned."""
    path = tmp_path / "taskrouter-events.json"
    write(simulated.events, path)
    twilio = diagnose(path, read=ReadOptions(mapping=TASKROUTER))
    canonical = diagnose(_queued_phone_and_chat(simulated.events))
    for k in ("contacts", "transfer_rate", "abandonment_rate"):
        assert twilio.metrics.overall[k] == canonical.metrics.overall[k], k


def test_cxray_simulate_writes_taskrouter_events(tmp_path: Path):
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--out",
            str(tmp_path),
            "--format",
            "twilio-taskrouter",
            "--days",
            "2",
            "--customers",
            "400",
        ],
    )
    assert result.exit_code == EXIT_OK, result.output
    pages = [json.loads(line) for line in (tmp_path / "taskrouter-events.json").read_text().splitlines()]
    assert pages and all(p["meta"]["key"] == "events" for p in pages)
    assert all(e["sid"].startswith("EV") and e["event_data"]["task_sid"] for p in pages for e in p["events"])
