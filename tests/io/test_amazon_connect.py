"""Amazon Connect contact records: legs, deliveries, files and folders, written from Amazon's data model
(https://docs.aws.amazon.com/connect/latest/adminguide/ctr-data-model.html); the simulator's round trip."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from io_helpers import balanced
from typer.testing import CliRunner

from cxray import AnalysisOptions, diagnose
from cxray import schema as S
from cxray.cli import EXIT_OK, app
from cxray.engine import Engine
from cxray.errors import ConfigError, InputError
from cxray.io import InputSummary, ReadOptions, canonical, read_events
from cxray.io.mapping import Mapping
from cxray.simulate import load_scenario, simulate
from cxray.simulate.export_connect import contact_records, write_contact_records

CTR = Mapping.resolve("amazon-connect-ctr")
assert CTR is not None


def ctr(contact_id: str | None, start: str, **fields: Any) -> dict[str, Any]:
    """A contact record with the fields every record has, and ``fields`` on top."""
    record: dict[str, Any] = {
        "AWSAccountId": "123456789012",
        "Channel": "VOICE",
        "InitiationMethod": "INBOUND",
        "InitiationTimestamp": start,
        "LastUpdateTimestamp": start.replace(":00Z", ":59Z"),
        "Attributes": {},
    }
    if contact_id is not None:
        record["ContactId"] = contact_id
    record.update(fields)
    return record


def agent(name: str, connected: str, talk: int, **more: Any) -> dict[str, Any]:
    return {
        "Username": name,
        "ConnectedToAgentTimestamp": connected,
        "AgentInteractionDuration": talk,
        "CustomerHoldDuration": 0,
        "RoutingProfile": {"Name": f"{name} team"},
        **more,
    }


def queue(name: str, enqueued: str, dequeued: str | None = None) -> dict[str, Any]:
    out = {"Name": name, "EnqueueTimestamp": enqueued, "Duration": 0}
    if dequeued:
        out["DequeueTimestamp"] = dequeued
    return out


def jsonl(path: Path, records: list[Any], *, gz: bool = False, joined: str = "\n") -> Path:
    text = joined.join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


def read(engine: Engine, path: Path, mapping: Mapping = CTR) -> InputSummary:
    summary = read_events([path], engine, options=ReadOptions(mapping=mapping))
    assert balanced(summary)
    return summary


def events(engine: Engine, *columns: str) -> list[tuple]:
    cols = ", ".join(f'"{c}"' for c in columns)
    return [
        tuple(r.values()) for r in engine.rows(f"SELECT {cols} FROM events ORDER BY timestamp, source_row")
    ]


# A transfer chain of three legs: inbound to Billing, transferred to Payments, then to Disputes.
CHAIN = [
    ctr(
        "leg-1",
        "2024-03-04T09:00:00Z",
        Queue=queue("Billing", "2024-03-04T09:00:30Z", "2024-03-04T09:01:00Z"),
        Agent=agent("ann", "2024-03-04T09:01:00Z", 120),
        DisconnectTimestamp="2024-03-04T09:03:00Z",
        DisconnectReason="AGENT_DISCONNECT",
        CustomerEndpoint={"Address": "+31201234567", "Type": "TELEPHONE_NUMBER"},
    ),
    ctr(
        "leg-2",
        "2024-03-04T09:03:00Z",
        InitiationMethod="TRANSFER",
        InitialContactId="leg-1",
        PreviousContactId="leg-1",
        Queue=queue("Payments", "2024-03-04T09:03:05Z", "2024-03-04T09:04:00Z"),
        Agent=agent("bob", "2024-03-04T09:04:00Z", 60),
        DisconnectTimestamp="2024-03-04T09:05:00Z",
        CustomerEndpoint={"Address": "+31201234567", "Type": "TELEPHONE_NUMBER"},
    ),
    ctr(
        "leg-3",
        "2024-03-04T09:05:00Z",
        InitiationMethod="TRANSFER",
        InitialContactId="leg-1",
        PreviousContactId="leg-2",
        Queue=queue("Disputes", "2024-03-04T09:05:02Z", "2024-03-04T09:06:00Z"),
        Agent=agent(
            "cat",
            "2024-03-04T09:06:00Z",
            300,
            CustomerHoldDuration=45,
            AfterContactWorkStartTimestamp="2024-03-04T09:12:00Z",
            AfterContactWorkEndTimestamp="2024-03-04T09:13:30Z",
            AfterContactWorkDuration=90,
        ),
        DisconnectTimestamp="2024-03-04T09:12:00Z",
        DisconnectReason="CUSTOMER_DISCONNECT",
        CustomerEndpoint={"Address": "+31201234567", "Type": "TELEPHONE_NUMBER"},
    ),
]


def test_three_transfer_legs_are_one_contact_in_leg_order(engine: Engine, tmp_path: Path):
    """Legs sharing an InitialContactId become one contact named by it; every leg but the last ends
    transferred, and each leg's queue, agent and routing profile are its events' queue, actor and team."""
    summary = read(engine, jsonl(tmp_path / "ctr.jsonl", list(reversed(CHAIN))))
    assert summary.records_read == 3 and summary.rows_rejected == 0
    assert {r[0] for r in events(engine, "contact_id")} == {"leg-1"}
    rows = events(engine, "activity", "queue", "actor", "team", "outcome", "duration_s", "ContactId")
    assert [r[0] for r in rows] == [
        "Inbound call", "Queued", "Agent connected", "Disconnected",
        "Transfer", "Queued", "Agent connected", "Disconnected",
        "Transfer", "Queued", "Agent connected", "Customer hold", "Disconnected", "After-contact work",
    ]  # fmt: skip
    assert [r[4] for r in rows if r[0] == "Disconnected"] == ["transferred", "transferred", None]
    assert [r[1] for r in rows if r[0] == "Agent connected"] == ["Billing", "Payments", "Disputes"]
    assert [(r[2], r[3]) for r in rows if r[0] == "Agent connected"][2] == ("cat", "cat team")
    assert [(r[0], r[5]) for r in rows if r[5] is not None] == [
        ("Agent connected", 120), ("Agent connected", 60), ("Agent connected", 300),
        ("Customer hold", 45), ("After-contact work", 90),
    ]  # fmt: skip
    assert {r[6] for r in rows} == {"leg-1", "leg-2", "leg-3"}
    customers = {r[0] for r in events(engine, "customer_id")}
    assert customers == {"+31201234567"} and {r[0] for r in events(engine, "channel")} == {"phone"}


def test_legs_chained_only_by_previous_contact_id_join_at_the_root(engine: Engine, tmp_path: Path):
    chain = [{k: v for k, v in r.items() if k != "InitialContactId"} for r in CHAIN]
    read(engine, jsonl(tmp_path / "ctr.jsonl", chain))
    assert {r[0] for r in events(engine, "contact_id")} == {"leg-1"}


def test_a_callback_continues_the_contact_it_calls_back(engine: Engine, tmp_path: Path):
    """A queued caller who asked for a callback did not abandon: the callback leg follows it."""
    first = ctr(
        "c-1",
        "2024-03-04T10:00:00Z",
        Queue=queue("Orders", "2024-03-04T10:00:20Z", "2024-03-04T10:02:00Z"),
        DisconnectTimestamp="2024-03-04T10:02:00Z",
        DisconnectReason="CONTACT_FLOW_DISCONNECT",
    )
    callback = ctr(
        "c-2",
        "2024-03-04T10:30:00Z",
        InitiationMethod="CALLBACK",
        PreviousContactId="c-1",
        Queue=queue("Orders", "2024-03-04T10:30:00Z", "2024-03-04T10:41:00Z"),
        Agent=agent("dan", "2024-03-04T10:41:00Z", 200),
        DisconnectTimestamp="2024-03-04T10:44:20Z",
    )
    read(engine, jsonl(tmp_path / "ctr.jsonl", [first, callback]))
    rows = events(engine, "contact_id", "activity", "outcome")
    assert {r[0] for r in rows} == {"c-1"}
    assert ("c-1", "Callback", None) in rows
    assert [r[2] for r in rows if r[1] == "Disconnected"] == ["transferred", None]


CALLER = {"Address": "+31201234567", "Type": "TELEPHONE_NUMBER"}


def warm_transfer() -> list[dict[str, Any]]:
    """Ann (Billing) transfers to Bob (Payments): Bob's leg starts at 09:10, Ann drops at 09:11:30."""
    return [
        ctr(
            "w-1",
            "2024-03-04T09:00:00Z",
            Queue=queue("Billing", "2024-03-04T09:00:20Z", "2024-03-04T09:01:00Z"),
            Agent=agent(
                "ann", "2024-03-04T09:01:00Z", 600,
                AfterContactWorkStartTimestamp="2024-03-04T09:11:30Z", AfterContactWorkDuration=60,
            ),
            DisconnectTimestamp="2024-03-04T09:11:30Z",
            TransferCompletedTimestamp="2024-03-04T09:11:30Z",
            NextContactId="w-2",
            CustomerEndpoint=CALLER,
        ),
        ctr(
            "w-2",
            "2024-03-04T09:10:00Z",
            InitiationMethod="TRANSFER",
            InitialContactId="w-1",
            PreviousContactId="w-1",
            Queue=queue("Payments", "2024-03-04T09:10:00Z", "2024-03-04T09:10:05Z"),
            Agent=agent(
                "bob", "2024-03-04T09:10:05Z", 300,
                AfterContactWorkStartTimestamp="2024-03-04T09:16:00Z", AfterContactWorkDuration=30,
            ),
            DisconnectTimestamp="2024-03-04T09:16:00Z",
            CustomerEndpoint=CALLER,
        ),
    ]  # fmt: skip


def contact(path: Path, mapping: Mapping = CTR) -> dict[str, Any]:
    """The one contact ``path`` holds, as ``diagnose`` builds it."""
    rows = diagnose(path, read=ReadOptions(mapping=mapping)).contacts().to_pylist()
    assert len(rows) == 1
    return rows[0]


def test_a_warm_transfer_is_one_transfer_though_its_legs_overlap(engine: Engine, tmp_path: Path):
    """The next leg starts before the first one ends: the first leg's later events are dated at the next
    leg's start and come before it (their recorded time in ``ctr_timestamp``), so the route is Billing →
    Payments, not Billing, Payments, Billing, Payments; the handle time is the records' durations."""
    path = jsonl(tmp_path / "ctr.jsonl", list(reversed(warm_transfer())))
    c = contact(path)
    assert (c["n_transfers"], c["is_transferred"], c["is_ping_pong"]) == (1, True, False)
    assert c["handle_s"] == 600 + 60 + 300 + 30 and c["final_queue"] == "Payments"
    read(engine, path)
    rows = events(engine, "ContactId", "activity", "timestamp", "ctr_timestamp", "outcome")
    assert [r[:2] for r in rows] == [
        ("w-1", "Inbound call"), ("w-1", "Queued"), ("w-1", "Agent connected"),
        ("w-1", "Disconnected"), ("w-1", "After-contact work"),
        ("w-2", "Transfer"), ("w-2", "Queued"), ("w-2", "Agent connected"), ("w-2", "Disconnected"),
        ("w-2", "After-contact work"),
    ]  # fmt: skip
    moved = [(r[2].isoformat(), r[3], r[4]) for r in rows if r[3] is not None]
    assert moved == [
        ("2024-03-04T09:10:00", "2024-03-04T09:11:30Z", "transferred"),
        ("2024-03-04T09:10:00", "2024-03-04T09:11:30Z", None),
    ]


def consult(talk: int, *, then_transfer: bool = False) -> list[dict[str, Any]]:
    """Ann takes the call, puts the caller on hold and calls Sue (Supervisors), who talks ``talk`` seconds
    with the caller and enters after-contact work before Ann does; ``then_transfer``: Ann then transfers
    the caller to Bob (Payments), who stays after Ann leaves."""
    legs = [
        ctr(
            "k-1",
            "2024-03-04T10:00:00Z",
            Queue=queue("Sales", "2024-03-04T10:00:20Z", "2024-03-04T10:01:00Z"),
            Agent=agent(
                "ann", "2024-03-04T10:01:00Z", 560, CustomerHoldDuration=90,
                AfterContactWorkStartTimestamp="2024-03-04T10:12:00Z", AfterContactWorkDuration=10,
            ),
            DisconnectTimestamp="2024-03-04T10:12:00Z",
            NextContactId="k-2",
            CustomerEndpoint=CALLER,
        ),
        ctr(
            "k-2",
            "2024-03-04T10:05:00Z",
            InitiationMethod="TRANSFER",
            InitialContactId="k-1",
            PreviousContactId="k-1",
            Queue=queue("Supervisors", "2024-03-04T10:05:00Z", "2024-03-04T10:05:05Z"),
            Agent=agent(
                "sue", "2024-03-04T10:05:05Z", talk,
                AfterContactWorkStartTimestamp="2024-03-04T10:08:00Z", AfterContactWorkDuration=20,
            ),
            DisconnectTimestamp="2024-03-04T10:08:00Z",
            CustomerEndpoint=CALLER,
        ),
    ]  # fmt: skip
    if then_transfer:
        legs[0] |= {"TransferCompletedTimestamp": "2024-03-04T10:12:00Z", "NextContactId": "k-3"}
        legs.append(
            ctr(
                "k-3",
                "2024-03-04T10:11:00Z",
                InitiationMethod="TRANSFER",
                InitialContactId="k-1",
                PreviousContactId="k-1",
                Queue=queue("Payments", "2024-03-04T10:11:00Z", "2024-03-04T10:11:10Z"),
                Agent=agent(
                    "bob", "2024-03-04T10:11:10Z", 200,
                    AfterContactWorkStartTimestamp="2024-03-04T10:15:00Z", AfterContactWorkDuration=5,
                ),
                DisconnectTimestamp="2024-03-04T10:15:00Z",
                CustomerEndpoint=CALLER,
            )
        )  # fmt: skip
    return legs


@pytest.mark.parametrize(("talk", "kind"), [(0, "consult"), (120, "conference")])
def test_a_consult_or_a_conference_is_no_transfer(engine: Engine, tmp_path: Path, talk: int, kind: str):
    """Amazon's rule: the consulted agent entering after-contact work before the agent who called them
    means the caller stayed with the first agent (consulted when the second never talked to the caller,
    conferenced when they did). The side leg is kept (its agent's work counts) as ``leg_type``, without
    a queue and without an outcome."""
    path = jsonl(tmp_path / "ctr.jsonl", consult(talk))
    c = contact(path)
    assert (c["n_transfers"], c["is_transferred"], c["is_ping_pong"]) == (0, False, False)
    assert c["handle_s"] == 560 + 90 + 10 + talk + 20 and c["final_outcome"] is None
    read(engine, path)
    legs = {(r[0], r[1]) for r in events(engine, "ContactId", "leg_type")}
    assert legs == {("k-1", None), ("k-2", kind)}
    assert {r[1] for r in events(engine, "ContactId", "queue") if r[0] == "k-2"} == {None}


def unanswered(*, caller_moved: bool) -> list[dict[str, Any]]:
    """Ann puts the caller on hold and calls Supervisors, where nobody answers; the Supervisors leg ends
    at 10:08. ``caller_moved``: Ann had handed the caller over (a queue transfer: her after-contact work
    starts at 10:05, before the leg ended), else she took the caller back (it starts at 10:12)."""
    first, side = consult(0)
    ann = first["Agent"] | (
        {"AfterContactWorkStartTimestamp": "2024-03-04T10:05:00Z"} if caller_moved else {}
    )
    side = side | {"Agent": None, "Queue": queue("Supervisors", "2024-03-04T10:05:00Z")}
    return [first | {"Agent": ann}, side]


def test_a_consult_nobody_answered_is_no_transfer_and_no_abandon(engine: Engine, tmp_path: Path):
    """No agent on the consulted leg, and Ann's after-contact work starting after it ended: the caller
    stayed with Ann. Not a transfer that was abandoned (the contact's outcome would have been the
    Supervisors queue's abandon)."""
    c = contact(jsonl(tmp_path / "ctr.jsonl", unanswered(caller_moved=False)))
    assert (c["n_transfers"], c["is_transferred"], c["final_queue"]) == (0, False, "Sales")
    assert c["final_outcome"] is None
    read(engine, jsonl(tmp_path / "again.jsonl", unanswered(caller_moved=False)))
    assert {r for r in events(engine, "ContactId", "leg_type") if r[0] == "k-2"} == {("k-2", "consult")}


def test_a_queue_transfer_nobody_answered_is_a_transfer_left_waiting(tmp_path: Path):
    """The mirror: Ann left the caller in the Supervisors queue (her after-contact work began before
    the leg ended), so it is a transfer, and the caller hung up waiting."""
    c = contact(jsonl(tmp_path / "ctr.jsonl", unanswered(caller_moved=True)))
    assert (c["n_transfers"], c["is_transferred"], c["final_queue"]) == (1, True, "Supervisors")
    assert c["final_outcome"] == "abandoned"


def test_a_transfer_after_a_consult_is_one_transfer(tmp_path: Path):
    """Ann consults Sue, then transfers the caller to Bob, who stays after Ann leaves: Sales → Payments."""
    c = contact(jsonl(tmp_path / "ctr.jsonl", consult(0, then_transfer=True)))
    assert (c["n_transfers"], c["is_transferred"], c["is_ping_pong"]) == (1, True, False)
    assert (c["first_queue"], c["final_queue"]) == ("Sales", "Payments")


def test_a_transfer_to_an_outside_number_is_transferred(tmp_path: Path):
    """``TransferCompletedTimestamp`` with no next leg in the export (handed to an outside number, which
    Connect records with ``TransferredToEndpoint`` and no ``NextContactId``): the leg ends transferred."""
    record = warm_transfer()[0] | {
        "NextContactId": None,
        "TransferredToEndpoint": {"Address": "+18885550123", "Type": "TELEPHONE_NUMBER"},
    }
    c = contact(jsonl(tmp_path / "ctr.jsonl", [record]))
    assert (c["is_transferred"], c["final_outcome"], c["n_transfers"]) == (True, "transferred", 0)


def test_an_external_legs_endpoint_is_not_the_customer(engine: Engine, tmp_path: Path):
    """An EXTERNAL_OUTBOUND leg's ``CustomerEndpoint`` is the outside party dialled: its events have no
    customer, and the contact keeps the caller's number."""
    first = warm_transfer()[0] | {"NextContactId": "x-2"}
    outside = ctr(
        "x-2",
        "2024-03-04T09:10:00Z",
        InitiationMethod="EXTERNAL_OUTBOUND",
        InitialContactId="w-1",
        PreviousContactId="w-1",
        Agent=None,
        DisconnectTimestamp="2024-03-04T09:20:00Z",
        CustomerEndpoint={"Address": "+18885550123", "Type": "TELEPHONE_NUMBER"},
    )
    path = jsonl(tmp_path / "ctr.jsonl", [first, outside])
    read(engine, path)
    customers = {r[0]: r[1] for r in events(engine, "ContactId", "customer_id") if r[0] == "x-2"}
    assert customers == {"x-2": None}
    c = contact(path)
    assert c["customer_id"] == "+31201234567" and c["is_transferred"]


def test_a_call_no_agent_touched_costs_no_agent_work(engine: Engine, tmp_path: Path):
    """A leg with ``Agent: null`` (abandoned in the queue, or ended in the flow): its start and end are
    the system's, so in a log without durations they are not priced as agent touches."""
    gave_up = ctr(
        "g-1",
        "2024-03-04T09:00:00Z",
        Agent=None,
        Queue=queue("Billing", "2024-03-04T09:00:25Z", "2024-03-04T09:03:10Z"),
        DisconnectTimestamp="2024-03-04T09:03:10Z",
        CustomerEndpoint=CALLER,
    )
    path = jsonl(tmp_path / "ctr.jsonl", [gave_up])
    c = contact(path)
    assert c["handle_s"] is None and (c["work_s"], c["cost"]) == (0, 0) and c["is_abandoned"]
    read(engine, path)
    assert {r[0] for r in events(engine, "actor_type")} == {"system"}


def test_queued_and_never_connected_is_abandoned(engine: Engine, tmp_path: Path):
    gave_up = ctr(
        "a-1",
        "2024-03-04T11:00:00Z",
        Channel="CHAT",
        InitiationMethod="API",
        Queue=queue("Chat", "2024-03-04T11:00:10Z", "2024-03-04T11:04:00Z"),
        DisconnectTimestamp="2024-03-04T11:04:00Z",
        DisconnectReason="CUSTOMER_DISCONNECT",
    )
    self_served = ctr("s-1", "2024-03-04T12:00:00Z", DisconnectTimestamp="2024-03-04T12:01:00Z")
    read(engine, jsonl(tmp_path / "ctr.jsonl", [gave_up, self_served]))
    rows = events(engine, "contact_id", "activity", "outcome", "channel", "DisconnectReason")
    assert ("a-1", "Disconnected", "abandoned", "chat", "CUSTOMER_DISCONNECT") in rows
    assert ("s-1", "Disconnected", None, "phone", None) in rows  # no queue: ended in the flow, not abandoned
    assert [r[1] for r in rows if r[0] == "a-1"] == ["Started by API", "Queued", "Disconnected"]


def test_only_the_latest_delivery_of_a_contact_id_is_kept(engine: Engine, tmp_path: Path):
    """At-least-once delivery: an older copy (earlier LastUpdateTimestamp), even later in the file, is
    dropped and its events counted as duplicates."""
    newer = CHAIN[2] | {"InitialContactId": None, "PreviousContactId": None, "InitiationMethod": "INBOUND"}
    older = json.loads(json.dumps(newer))
    del older["Agent"]["AfterContactWorkStartTimestamp"]
    older["Agent"]["CustomerHoldDuration"] = 0
    older["LastUpdateTimestamp"] = "2024-03-04T09:12:10Z"
    newer["LastUpdateTimestamp"] = "2024-03-04T09:14:00Z"
    summary = read(engine, jsonl(tmp_path / "ctr.jsonl", [newer, older]))
    assert summary.records_read == 2
    assert summary.duplicates_dropped == 4  # the older copy's initiated, queued, connected, disconnected
    assert summary.rows_kept == 6
    activities = [r[0] for r in events(engine, "activity")]
    assert "After-contact work" in activities and "Customer hold" in activities


def test_contact_attributes_give_customer_reason_and_outcome(engine: Engine, tmp_path: Path):
    """Attributes is a nested map: named ones feed customer_id, reason and outcome (reader_options);
    the others are kept as ``Attributes.<key>`` attributes."""
    record = CHAIN[0] | {
        "Attributes": {"CustomerNumber": "K-42", "reason": "billing", "disposition": "Resolved", "vip": "yes"}
    }
    mapping = Mapping.from_dict(
        {
            "reader": "amazon-connect-ctr",
            "reader_options": {
                "customer_attribute": "CustomerNumber",
                "reason_attribute": "reason",
                "outcome_attribute": "disposition",
            },
            "outcome_values": {"Resolved": "resolved"},
        }
    )
    summary = read(engine, jsonl(tmp_path / "ctr.jsonl", [record]), mapping)
    assert "Attributes.vip" in summary.attributes and "Attributes.CustomerNumber" not in summary.attributes
    rows = events(engine, "customer_id", "reason", "outcome", "Attributes.vip")
    assert {r[:2] for r in rows} == {("K-42", "billing")} and {r[3] for r in rows} == {"yes"}
    assert [r[2] for r in rows if r[2]] == ["resolved"]


def test_an_unknown_reader_option_or_reader_is_a_config_error(engine: Engine, tmp_path: Path):
    path = jsonl(tmp_path / "ctr.jsonl", CHAIN)
    with pytest.raises(ConfigError, match="unknown reader_options"):
        read(engine, path, Mapping.from_dict({"reader": "amazon-connect-ctr", "reader_options": {"x": "y"}}))
    with pytest.raises(ConfigError, match="not a known reader"):
        read(engine, path, Mapping.from_dict({"reader": "genesys"}))


@pytest.mark.parametrize(
    ("name", "gz", "joined"),
    [
        ("ctr.jsonl", False, "\n"),
        ("firehose-1-2024-03-04-09-00-00-abcd", False, ""),  # Firehose: objects back to back, no name
        ("ctr.jsonl.gz", True, "\n"),
        ("firehose-gzip-no-suffix", True, ""),
    ],
)
def test_json_lines_firehose_and_gzip_read_the_same(engine: Engine, tmp_path: Path, name, gz, joined):
    summary = read(engine, jsonl(tmp_path / name, CHAIN, gz=gz, joined=joined))
    assert (summary.records_read, summary.rows_kept, summary.rows_rejected) == (3, 14, 0)
    assert [f.clock for f in summary.per_file] == ["offset"]  # the field reference's UTC times, with a Z


def test_an_s3_export_folder_is_read_recursively(engine: Engine, tmp_path: Path):
    """Folders by hour as Firehose writes them; files in path order, hidden files skipped."""
    root = tmp_path / "connect" / "ctr"
    jsonl(root / "2024" / "03" / "04" / "09" / "ctr-1.gz", CHAIN[:1], gz=True, joined="")
    jsonl(root / "2024" / "03" / "04" / "10" / "ctr-2.gz", CHAIN[1:], gz=True, joined="")
    (root / ".DS_Store").write_bytes(b"\x00\x01junk")
    summary = read(engine, root)
    assert (summary.records_read, summary.rows_kept) == (3, 14)
    assert {r[0] for r in events(engine, "contact_id")} == {"leg-1"}
    with pytest.raises(InputError, match="no files"):
        (tmp_path / "empty").mkdir()
        read(engine, tmp_path / "empty")


def test_malformed_records_are_rejected_with_their_reason(engine: Engine, tmp_path: Path):
    """Not JSON: malformed_row (its record number and text); no ContactId or InitiationTimestamp: one
    rejected row each; the good records are read."""
    no_id = ctr(None, "2024-03-04T09:00:00Z", DisconnectTimestamp="2024-03-04T09:01:00Z")
    no_start = ctr("x-2", "", DisconnectTimestamp="2024-03-04T09:01:00Z")
    bad_time = ctr("x-3", "yesterday at noon", DisconnectTimestamp="2024-03-04T09:01:00Z")
    path = jsonl(
        tmp_path / "ctr.jsonl", [CHAIN[0], '{"ContactId": "x-1", "Channel": VOICE', no_id, no_start, bad_time]
    )
    summary = read(engine, path)
    assert summary.records_read == 5 and summary.rows_kept == 4
    assert summary.rejected_by_reason == {
        "bad_timestamp": 1, "malformed_row": 1, "missing_contact_id": 1, "missing_timestamp": 1,
    }  # fmt: skip
    rejected = engine.rows("SELECT source_row, reason, value FROM rejected WHERE reason = 'malformed_row'")
    assert rejected == [
        {"source_row": 2, "reason": "malformed_row", "value": '{"ContactId": "x-1", "Channel": VOICE'}
    ]


def test_a_file_without_any_record_is_an_input_error(engine: Engine, tmp_path: Path):
    with pytest.raises(InputError, match="no readable contact records"):
        read(engine, jsonl(tmp_path / "ctr.jsonl", ["not json at all"]))


def test_diagnose_reads_contact_records_from_the_cli(tmp_path: Path):
    path = jsonl(tmp_path / "ctr.jsonl.gz", CHAIN, gz=True)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["diagnose", str(path), "--mapping", "amazon-connect-ctr", "--out", str(out), "--quiet"]
    )
    assert result.exit_code == EXIT_OK, result.output
    doc = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    assert doc["input"]["records_read"] == 3 and doc["input"]["rows_kept"] == 14
    assert doc["metrics"]["overall"]["contacts"] == 1 and doc["metrics"]["overall"]["transfer_rate"] == 1.0


def test_reading_contact_records_does_not_import_pandas(tmp_path: Path):
    """Numbering the legs went through pyarrow calls that import pandas: a third of a second of every read
    (``cxray export``, ``validate``) that needs nothing of it."""
    import subprocess
    import sys

    path = jsonl(tmp_path / "ctr.jsonl.gz", CHAIN, gz=True)
    code = (
        "import sys\nfrom cxray.engine import Engine\nfrom cxray.io import ReadOptions, read_events\n"
        "from cxray.io.mapping import Mapping\n"
        "options = ReadOptions(mapping=Mapping.resolve('amazon-connect-ctr'))\n"
        f"with Engine() as e:\n    s = read_events([{str(path)!r}], e, options=options)\n"
        "print(s.rows_kept, 'pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["14", "False"]


# --- the simulator's round trip ---------------------------------------------------------------------------
ROUND_TRIP = Mapping.from_dict(
    {
        "reader": "amazon-connect-ctr",
        "reader_options": {
            "customer_attribute": "customer_id",
            "reason_attribute": "reason",
            "outcome_attribute": "disposition",
        },
    }
)
COMPARED = ("contacts", "journeys", "transfer_rate", "abandonment_rate", "escalation_rate", "fcr")


@pytest.fixture(scope="module")
def simulated():
    return simulate(load_scenario("default"), seed=7, days=7, customers=1500)


def _phone_and_chat(events: pa.Table) -> pa.Table:
    """The canonical log restricted to what CTRs carry: its phone and chat contacts."""
    voice = pc.is_in(events["channel"], value_set=pa.array(["phone", "chat"]))
    ids = pc.unique(pc.filter(events["contact_id"], voice))
    return events.filter(pc.is_in(events["contact_id"], value_set=ids))


def test_the_ctr_export_diagnoses_like_the_canonical_log(simulated, tmp_path: Path):
    """Same contacts, journeys, transfers, abandons, escalations and FCR as the canonical log's phone and
    chat contacts (a 2-day repeat window, so a 7-day log has uncensored journeys)."""
    path = tmp_path / "contact-records.jsonl.gz"
    n = write_contact_records(simulated.events, path)
    records = contact_records(simulated.events)
    assert n == len(records) > 0 and len({r["ContactId"] for r in records}) < n  # some delivered twice
    analysis = AnalysisOptions(window_days=2)
    ctr_run = diagnose(path, read=ReadOptions(mapping=ROUND_TRIP), analysis=analysis)
    canonical = diagnose(_phone_and_chat(simulated.events), analysis=analysis)
    got = {k: ctr_run.metrics.overall[k] for k in COMPARED}
    want = {k: canonical.metrics.overall[k] for k in COMPARED}
    assert got["fcr"] is not None and got["transfer_rate"] > 0 and got["abandonment_rate"] > 0
    assert got == pytest.approx(want, abs=0.01)
    assert ctr_run.input.duplicates_dropped > 0 and ctr_run.input.rows_rejected == 0


def test_without_attributes_the_structure_still_gives_transfers_and_abandons(simulated, tmp_path: Path):
    """CTRs alone (no disposition attribute) still say who was transferred and who abandoned."""
    path = tmp_path / "contact-records.jsonl.gz"
    write_contact_records(simulated.events, path)
    mapping = Mapping.from_dict(
        {"reader": "amazon-connect-ctr", "reader_options": {"customer_attribute": "customer_id"}}
    )
    ctr_run = diagnose(path, read=ReadOptions(mapping=mapping))
    canonical = diagnose(_phone_and_chat(simulated.events))
    for k in ("contacts", "transfer_rate", "abandonment_rate"):
        assert ctr_run.metrics.overall[k] == canonical.metrics.overall[k], k


def test_reader_options_given_apart_read_a_recognised_export_as_its_mapping_would(simulated, tmp_path: Path):
    """``--reader-option``: on an export recognised without a mapping, the same events as the mapping that
    names the adapter and the options; over a mapping's own options; refused on a file no adapter reads."""
    path = tmp_path / "contact-records.jsonl.gz"
    write_contact_records(simulated.events, path)
    given = dict(ROUND_TRIP.reader_options)
    tables = []
    for options in (
        ReadOptions(mapping=ROUND_TRIP),
        ReadOptions(reader_options=given),  # recognised, options given apart
        ReadOptions(mapping="amazon-connect-ctr", reader_options=given),  # over the built-in's (none)
        ReadOptions(  # over a mapping's own
            mapping=Mapping.from_dict({"reader": "amazon-connect-ctr", "reader_options": {
                "customer_attribute": "nothing", "reason_attribute": "reason"}}),
            reader_options={"customer_attribute": "customer_id", "outcome_attribute": "disposition"},
        ),
    ):  # fmt: skip
        with Engine() as engine:
            summary = read_events([path], engine, options=options)
            tables.append(engine.arrow("SELECT * FROM events ORDER BY source_row"))
        assert summary.adapters == {str(path): "amazon-connect-ctr"}
    assert all(t.equals(tables[0]) for t in tables[1:])
    assert pc.count(tables[0]["reason"]).as_py() > 0  # the options did something
    with Engine() as engine:  # the adapter's own check names its options
        with pytest.raises(ConfigError, match=r"unknown reader_options.*customer_attribute"):
            read_events([path], engine, options=ReadOptions(reader_options={"customer": "x"}))
        csv = tmp_path / "events.csv"
        csv.write_text("contact_id,timestamp,activity\nc1,2024-01-01 10:00,Call\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=r"apply to a platform export.*events\.csv is read as csv"):
            read_events([csv], engine, options=ReadOptions(reader_options=given))


def test_diagnose_takes_reader_options_for_a_recognised_export(tmp_path: Path):
    records = [  # no caller's number: the customer comes from the attribute the option names, or nowhere
        {k: v for k, v in r.items() if k != "CustomerEndpoint"} | {"Attributes": {"account": "A-7"}}
        for r in CHAIN
    ]
    path = jsonl(tmp_path / "ctr.jsonl", records)
    plain = CliRunner().invoke(app, ["diagnose", str(path), "--out", str(tmp_path / "plain"), "-q"])
    assert plain.exit_code == EXIT_OK, plain.output
    doc = json.loads((tmp_path / "plain" / "diagnosis.json").read_text(encoding="utf-8"))
    assert "customer_id" not in doc["input"]["fields_present"]
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["diagnose", str(path), "--reader-option", "customer_attribute=account", "--out", str(out), "-q"],
    )
    assert result.exit_code == EXIT_OK, result.output
    doc = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    assert doc["input"]["detected"] == [str(path)] and "customer_id" in doc["input"]["fields_present"]
    bad = CliRunner().invoke(app, ["diagnose", str(path), "--reader-option", "oops", "--out", str(out)])
    assert bad.exit_code != EXIT_OK and "--reader-option expects KEY=VALUE" in bad.output


def test_cxray_simulate_writes_contact_records(tmp_path: Path):
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--out",
            str(tmp_path),
            "--format",
            "amazon-connect-ctr",
            "--days",
            "2",
            "--customers",
            "400",
        ],
    )
    assert result.exit_code == EXIT_OK, result.output
    lines = gzip.decompress((tmp_path / "contact-records.jsonl.gz").read_bytes()).decode().splitlines()
    assert lines and all(json.loads(line)["ContactId"] for line in lines)
    assert (tmp_path / "ground_truth.json").is_file() and not (tmp_path / "events.csv").exists()


# --- the DuckDB fast path gives exactly the Python reader's rows ------------------------------------------
#: Values the fast path's view of the categories lists though no event may have them (its words, not the
#: data's): an outcome of a transferred or abandoned leg, the activities of the events after a leg's start,
#: the actor types.
_LISTED = {
    S.OUTCOME: {"transferred", "abandoned"},
    S.ACTIVITY: {"Queued", "Agent connected", "Customer hold", "Disconnected", "After-contact work"},
    S.ACTOR_TYPE: {"agent", "system"},
}


def _categories(engine: Engine) -> dict[str, set[str]]:
    """Each ENUM column of ``events`` and the values of its type."""
    types = engine.fetchall("SELECT name, type FROM pragma_table_info('events') WHERE type LIKE 'ENUM(%'")
    return {name: set(engine.scalar(f"SELECT enum_range(NULL::{kind})")) for name, kind in types}


def _both_paths(path: Path | list[Path], mapping: Mapping, monkeypatch) -> tuple[tuple, tuple]:
    """(summary, events) read by the fast path, then by the Python reader alone; the rejected rows
    (with their raw values) the same by both. The fast path's categories are learnt from its view of
    their values (not by rewriting the staged columns): every value the Python reader's scan finds, and
    at most the fast path's own words (``_LISTED``) more."""
    from cxray.io import read as read_module
    from cxray.io.readers import amazon_connect_sql

    out, rejected, categories = [], [], []
    real, encode = amazon_connect_sql.flatten, read_module.encode_categories
    results: list = []
    encoded: list[bool] = []
    monkeypatch.setattr(read_module, "encode_categories", lambda e: encoded.append(True) or encode(e))
    for fast in (True, False):
        spy = (
            (lambda *a, **k: results.append(real(*a, **k)) or results[-1]) if fast else (lambda *a, **k: None)
        )
        monkeypatch.setattr(amazon_connect_sql, "flatten", spy)
        with Engine() as engine:
            paths = path if isinstance(path, list) else [path]
            summary = read_events(paths, engine, options=ReadOptions(mapping=mapping))
            table = engine.arrow("SELECT * FROM events ORDER BY source_file, source_row")
            rejected.append(engine.arrow("SELECT * FROM rejected ORDER BY source_file, source_row"))
            categories.append(_categories(engine))
            left = engine.fetchall(
                "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '%\\_\\_%' ESCAPE '\\'"
            )
            views = engine.fetchall("SELECT view_name FROM duckdb_views() WHERE NOT internal")
            assert left == [] and views == []  # the fast path's work tables and views dropped
        out.append((summary, table))
    assert results and all(r is not None for r in results)  # the fast path did read them
    assert encoded == []  # neither path rewrote the staged columns
    fast_types, slow_types = categories
    assert fast_types.keys() == slow_types.keys() and S.ACTIVITY in fast_types
    for column, values in slow_types.items():
        mapped = {mapping.value_map(column).get(w, w) for w in _LISTED.get(column, set())} - {None}
        assert values <= fast_types[column], column
        assert fast_types[column] - values <= mapped, column
    names = sorted(rejected[0].column_names)  # the raw columns in another order: the readers' own
    assert names == sorted(rejected[1].column_names)
    assert rejected[0].select(names).equals(rejected[1].select(names))
    return out[0], out[1]


def test_the_fast_path_reads_the_simulated_export_exactly_as_the_python_reader(
    simulated, tmp_path: Path, monkeypatch
):
    from cxray.io.readers import amazon_connect_sql

    tried: list[bool] = []
    real = amazon_connect_sql._read
    monkeypatch.setattr(amazon_connect_sql, "_read", lambda *a: tried.append(a[3]) or real(*a))
    path = tmp_path / "contact-records.jsonl.gz"
    write_contact_records(simulated.events, path)
    (fast_summary, fast), (slow_summary, slow) = _both_paths(path, ROUND_TRIP, monkeypatch)
    assert tried == [True]  # read typed, at the first try
    assert fast.num_rows > 500 and fast_summary.duplicates_dropped > 0
    assert fast_summary == slow_summary
    assert fast.column_names == slow.column_names and fast.equals(slow)


def test_without_its_view_of_the_values_the_fast_path_rewrites_the_staged_columns(
    tmp_path: Path, monkeypatch
):
    """A view of the categories' values DuckDB refuses costs time, not the fast path: the same events, the
    staged columns rewritten as ENUMs of exactly the events' values."""
    from cxray.io import read as read_module
    from cxray.io.readers import amazon_connect_sql

    path = jsonl(tmp_path / "chain.jsonl", CHAIN)
    encoded: list[bool] = []
    encode = canonical.encode_categories
    monkeypatch.setattr(read_module, "encode_categories", lambda e: encoded.append(True) or encode(e))
    tables = []
    for broken in (False, True):
        if broken:
            monkeypatch.setattr(amazon_connect_sql, "_values_sql", lambda *a: "SELECT no_such_column")
        with Engine() as engine:
            read_events([path], engine, options=ReadOptions(mapping=CTR))
            assert engine.scalar("SELECT count(*) FROM duckdb_views() WHERE NOT internal") == 0
            tables.append(engine.arrow("SELECT * FROM events ORDER BY source_row"))
            assert encoded == ([True] if broken else [])
            if broken:
                for column, values in _categories(engine).items():
                    found = {r[0] for r in engine.fetchall(f"SELECT DISTINCT {column} FROM events")} - {None}
                    assert values == found, column
    assert tables[0].equals(tables[1])


def test_the_fast_path_reads_awkward_records_exactly_as_the_python_reader(tmp_path: Path, monkeypatch):
    """Transfer chains in any order, a chain by PreviousContactId only, an older delivery, a record
    without a timestamp, an unknown initiation method, attributes first seen late, and no Attributes."""
    older = CHAIN[1] | {"LastUpdateTimestamp": "2024-03-04T09:00:01Z", "DisconnectReason": "OLD"}
    orphan = ctr("x-1", "2024-03-05T10:00:00Z", InitiationMethod="SOME_NEW_METHOD", Attributes={"b": "1"})
    chained = ctr("p-2", "2024-03-05T11:00:00Z", PreviousContactId="p-1", Channel="CHAT")
    first = ctr("p-1", "2024-03-05T10:59:00Z", Channel="CHAT", Attributes={"a": "2", "b": ""})
    no_time = ctr("t-1", "", Attributes={"late": "yes"})
    bare = {k: v for k, v in ctr("n-1", "2024-03-05T12:00:00Z").items() if k != "Attributes"}
    records = [CHAIN[2], older, orphan, chained, CHAIN[0], first, no_time, CHAIN[1], bare]
    path = jsonl(tmp_path / "awkward.jsonl", records)
    (fast_summary, fast), (slow_summary, slow) = _both_paths(path, CTR, monkeypatch)
    assert fast_summary.rows_rejected == 1 and fast_summary.duplicates_dropped > 0
    assert fast_summary == slow_summary
    assert fast.column_names == slow.column_names and fast.equals(slow)


def test_the_fast_path_places_legs_of_every_root_shape_as_the_python_reader(tmp_path: Path, monkeypatch):
    """The fast path counts and numbers only the roots that another leg names: a first leg naming itself
    as its initial contact, legs naming a root that is not in the export (one leg, then two), a leg
    without a start among a chain's legs, and contacts of one leg around them."""
    records = [
        ctr("s-1", "2024-03-05T10:00:00Z", InitialContactId="s-1"),
        ctr("s-2", "2024-03-05T10:05:00Z", InitialContactId="s-1", InitiationMethod="TRANSFER"),
        ctr("a-2", "2024-03-05T10:01:00Z", InitialContactId="absent-1", InitiationMethod="TRANSFER"),
        ctr(
            "b-3",
            "2024-03-05T10:09:00Z",
            InitialContactId="absent-2",
            InitiationMethod="TRANSFER",
            DisconnectTimestamp="2024-03-05T10:09:30Z",
        ),
        ctr(
            "b-2",
            "2024-03-05T10:02:00Z",
            InitialContactId="absent-2",
            InitiationMethod="TRANSFER",
            DisconnectTimestamp="2024-03-05T10:02:30Z",
        ),
        ctr("c-1", "2024-03-05T10:00:00Z"),
        ctr("c-2", "", InitialContactId="c-1", InitiationMethod="TRANSFER"),
        ctr("c-3", "2024-03-05T10:04:00Z", PreviousContactId="c-1", InitiationMethod="TRANSFER"),
        ctr(
            "one",
            "2024-03-05T11:00:00Z",
            Agent=agent("ann", "2024-03-05T11:01:00Z", 60),
            Queue=queue("Q", "2024-03-05T11:00:10Z"),
            DisconnectTimestamp="2024-03-05T11:05:00Z",
        ),
    ]
    path = jsonl(tmp_path / "roots.jsonl", records)
    (fast_summary, fast), (slow_summary, slow) = _both_paths(path, CTR, monkeypatch)
    assert fast_summary == slow_summary and fast.equals(slow)
    contacts = dict(
        zip(fast.column("ContactId").to_pylist(), fast.column("contact_id").to_pylist(), strict=True)
    )
    assert contacts["s-2"] == contacts["s-1"] == "s-1" and contacts["a-2"] == "absent-1"
    assert contacts["b-2"] == contacts["b-3"] == "absent-2" and contacts["c-3"] == "c-1"
    outcomes = {
        c: o
        for c, o in zip(fast.column("ContactId").to_pylist(), fast.column("outcome").to_pylist(), strict=True)
        if o is not None
    }
    assert outcomes.get("b-2") == "transferred" and outcomes.get("b-3") != "transferred"  # b-2 started first


def _renamed(records: list[dict[str, Any]], old: str, new: str) -> list[dict[str, Any]]:
    return [json.loads(json.dumps(r).replace(f'"{old}', f'"{new}')) for r in records]


def test_the_fast_path_dates_and_classifies_legs_as_the_python_reader(tmp_path: Path, monkeypatch):
    """Overlapping legs, consults, conferences, a transfer after a consult, external legs (a transfer, a
    consult, a conference: the outside party's talk against the caller's hold), a transfer out of the
    export and a leg without an agent: the same events, dates, kinds and outcomes by both paths."""
    first = warm_transfer()[0]
    outside = ctr(
        "e-2", "2024-03-04T09:05:00Z", InitiationMethod="EXTERNAL_OUTBOUND", InitialContactId="e-1",
        PreviousContactId="e-1", Agent=None, DisconnectTimestamp="2024-03-04T09:08:00Z",
        ExternalThirdParty={"ExternalThirdPartyInteractionDuration": 40},
        CustomerEndpoint={"Address": "+18885550123", "Type": "TELEPHONE_NUMBER"},
    )  # fmt: skip
    held = first | {"ContactId": "e-1", "TransferCompletedTimestamp": None}
    held["Agent"] = held["Agent"] | {"CustomerHoldDuration": 170}  # more than the outside party talked
    talked = _renamed([held | {"Agent": first["Agent"]}, outside], "e-", "f-")  # less: a conference
    records = [
        *warm_transfer(),
        *consult(0),
        *_renamed(consult(120), "k-", "c-"),
        *_renamed(consult(0, then_transfer=True), "k-", "t-"),
        held, outside, *talked,
        *_renamed(  # the outside party stays after Ann leaves: a transfer
            [first, _renamed([outside], "e-", "w-")[0] | {"DisconnectTimestamp": "2024-03-04T09:20:00Z"}],
            "w-",
            "x-",
        ),
        ctr("g-1", "2024-03-04T09:00:00Z", Agent=None, DisconnectTimestamp="2024-03-04T09:03:10Z",
            Queue=queue("Billing", "2024-03-04T09:00:25Z")),
        *_renamed(unanswered(caller_moved=False), "k-", "u-"),
        *_renamed(unanswered(caller_moved=True), "k-", "v-"),
    ]  # fmt: skip
    path = jsonl(tmp_path / "legs.jsonl", records)
    (fast_summary, fast), (slow_summary, slow) = _both_paths(path, CTR, monkeypatch)
    assert fast_summary == slow_summary and fast.equals(slow)
    legs = zip(fast.column("ContactId").to_pylist(), fast.column("leg_type").to_pylist(), strict=True)
    kinds = {c: k for c, k in legs if k is not None}
    assert kinds == {"k-2": "consult", "c-2": "conference", "t-2": "consult", "e-2": "consult",
                     "f-2": "conference", "u-2": "consult"}  # fmt: skip
    assert pc.count(fast["ctr_timestamp"]).as_py() > 0


def test_files_read_together_each_keep_their_own_rows_and_rejections(tmp_path: Path, monkeypatch):
    """Two exports read at once: each flattened by its own view (over its own tables, alive until the
    canonical step has read both), rejected rows only in the second, shown with their raw values."""
    one = jsonl(tmp_path / "one.jsonl", CHAIN)
    two = jsonl(tmp_path / "two.jsonl", [ctr("y-1", "2024-03-05T10:00:00Z"), ctr("y-2", "soon")])
    (fast_summary, fast), (slow_summary, slow) = _both_paths([one, two], CTR, monkeypatch)
    assert fast_summary == slow_summary and fast.equals(slow)
    assert fast_summary.records_read == len(CHAIN) + 2 and fast_summary.rejected_by_reason == {
        "bad_timestamp": 1
    }
    assert set(fast.column("source_file").to_pylist()) == {str(one), str(two)}


def test_markers_are_cleaned_once_per_record_by_both_paths(tmp_path: Path, monkeypatch):
    """A marker in a leg's queue, agent, attribute or initiation method is missing on every event of the
    leg and counted once for the record (not once per event), the same by both paths; a value the mapping
    maps explicitly stays data."""
    marked = ctr(
        "m-1", "2024-03-05T10:00:00Z", InitiationMethod="null", DisconnectTimestamp="2024-03-05T10:09:00Z",
        Queue=queue(" EMPTY ", "2024-03-05T10:00:10Z"), Agent=agent("n/a", "2024-03-05T10:01:00Z", 300),
        Attributes={"customer_id": "?", "note": " - ", "disposition": "Unknown"},
    )  # fmt: skip
    plain = ctr("m-2", "2024-03-05T11:00:00Z", Queue=queue("  Billing ", "2024-03-05T11:00:10Z"))
    path = jsonl(tmp_path / "marked.jsonl", [marked, plain])
    mapping = Mapping.from_dict(
        {
            "reader": "amazon-connect-ctr",
            "reader_options": {"customer_attribute": "customer_id", "outcome_attribute": "disposition"},
            "outcome_values": {"Unknown": "unresolved"},
        }
    )
    (fast_summary, fast), (slow_summary, slow) = _both_paths(path, mapping, monkeypatch)
    assert fast_summary == slow_summary and fast.equals(slow)
    assert fast_summary.missing_markers == {
        "Attributes.note": 1, "InitiationMethod": 1, "activity": 1, "actor": 1, "customer_id": 1, "queue": 1,
    }  # fmt: skip
    assert fast_summary.rejected_by_reason == {"missing_activity": 1}  # "null" initiation -> "Null"
    events = fast.to_pylist()
    assert {e["ContactId"]: e["queue"] for e in events} == {"m-1": None, "m-2": "Billing"}  # trimmed
    assert not any(e["actor"] for e in events if e["ContactId"] == "m-1")
    assert {e["outcome"] for e in events if e["ContactId"] == "m-1"} - {None} == {"unresolved"}


def test_the_readers_own_outcomes_are_mapped_as_the_mapping_says_by_both_paths(tmp_path: Path, monkeypatch):
    """The outcomes the adapter gives (a leg transferred on, one left in the queue) go through the
    mapping's outcome values like any other; the fast path's type lists the mapped word of an abandoned
    leg though no leg here is one."""
    path = jsonl(tmp_path / "chain.jsonl", CHAIN)
    outcomes = {"transferred": "escalated", "abandoned": "closed"}
    mapping = Mapping.from_dict({"reader": "amazon-connect-ctr", "outcome_values": outcomes})
    (fast_summary, fast), (slow_summary, slow) = _both_paths(path, mapping, monkeypatch)
    assert fast_summary == slow_summary and fast.equals(slow)
    assert set(fast.column("outcome").to_pylist()) - {None} == {"escalated"}


def test_fields_of_other_json_types_than_the_data_model_are_read_as_objects(tmp_path: Path, monkeypatch):
    """A Queue given as text and a number where text is expected: the typed read refuses them, the read
    as JSON objects takes them, and the rows are still the Python reader's."""
    from cxray.io.readers import amazon_connect_sql

    tried: list[bool] = []
    real = amazon_connect_sql._read
    monkeypatch.setattr(amazon_connect_sql, "_read", lambda *a: tried.append(a[3]) or real(*a))
    odd = ctr("q-1", "2024-03-05T10:00:00Z") | {"Queue": "Billing", "Channel": 7}
    path = jsonl(tmp_path / "odd.jsonl", [CHAIN[0], odd, CHAIN[1]])
    (fast_summary, fast), (slow_summary, slow) = _both_paths(path, CTR, monkeypatch)
    assert tried[:2] == [True, False]  # typed first, refused; then as objects
    assert fast_summary == slow_summary and fast.equals(slow)
    assert fast.num_rows > 3


def test_malformed_text_falls_back_to_the_python_reader_which_names_it(engine: Engine, tmp_path: Path):
    path = jsonl(tmp_path / "ctr.jsonl", [CHAIN[0], "{not json", CHAIN[1]])
    summary = read(engine, path)
    assert summary.rejected_by_reason == {"malformed_row": 1} and summary.records_read == 3
