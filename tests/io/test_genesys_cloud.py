"""Genesys Cloud analytics conversation details: participants, sessions, segments, lookups, deliveries and
files, written by hand from Genesys's API models (AnalyticsConversation, AnalyticsParticipant,
AnalyticsSession, AnalyticsFlow, AnalyticsFlowOutcome, AnalyticsConversationSegment); the simulator's round
trip."""

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
from cxray.cli import EXIT_OK, app
from cxray.engine import Engine
from cxray.errors import ConfigError, InputError
from cxray.io import InputSummary, ReadOptions, read_events
from cxray.io.detect import detect
from cxray.io.mapping import Mapping
from cxray.simulate import load_scenario, simulate
from cxray.simulate.export_genesys import conversations, write, write_lookups

GENESYS = Mapping.resolve("genesys-cloud")
assert GENESYS is not None
BILLING, PAYMENTS = "q-billing-0001", "q-payments-0002"
ANN, BOB = "u-ann-0001", "u-bob-0002"
TRANSFERRED_CODE, RESOLVED_CODE = "w-0001", "w-0002"


def seg(kind: str, start: str, end: str | None, **more: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"segmentType": kind, "segmentStart": start, **more}
    if end is not None:
        out["segmentEnd"] = end
    return out


def person(purpose: str, media: str, segments: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    session = {"mediaType": media, "sessionId": f"s-{purpose}-{len(segments)}", "segments": segments}
    session |= more.pop("session", {})
    return {"participantId": f"p-{purpose}", "purpose": purpose, "sessions": [session], **more}


def conversation(cid: str | None, start: str | None, people: list[dict[str, Any]], **more: Any) -> dict:
    out: dict[str, Any] = {"originatingDirection": "inbound", "divisionIds": ["d-1"], "participants": people}
    if cid is not None:
        out["conversationId"] = cid
    if start is not None:
        out["conversationStart"] = start
    return out | more


# A call: IVR, queued for Billing, ann talks, holds, transfers (consult) to Payments, bob resolves it.
# Times with a +01:00 offset on the IVR participant; ids everywhere, names only from the lookups.
CALL = conversation(
    "c-1",
    "2024-03-04T09:00:00.000Z",
    [
        person(
            "customer",
            "voice",
            [
                seg(
                    "interact",
                    "2024-03-04T09:00:00.000Z",
                    "2024-03-04T09:20:00.000Z",
                    disconnectType="endpoint",
                )
            ],
            session={"ani": "tel:+31201234567", "dnis": "tel:+3120999", "direction": "inbound"},
            attributes={"CustomerNumber": "K-42", "reason": "billing", "vip": "yes"},
        ),
        person(
            "ivr",
            "voice",
            [
                seg(
                    "ivr",
                    "2024-03-04T10:00:00.000+01:00",
                    "2024-03-04T10:01:00.000+01:00",
                    disconnectType="transfer",
                )
            ],
            session={
                "flow": {
                    "flowName": "Main IVR",
                    "flowType": "INBOUNDCALL",
                    "exitReason": "TRANSFER",
                    "transferType": "ACD",
                    "endingLanguage": "en-us",
                }
            },
        ),
        person(
            "acd",
            "voice",
            [
                seg(
                    "interact",
                    "2024-03-04T09:01:00.000Z",
                    "2024-03-04T09:02:00.000Z",
                    queueId=BILLING,
                    disconnectType="transfer",
                    requestedRoutingSkillIds=["sk-1"],
                )
            ],
        ),
        person(
            "agent",
            "voice",
            [
                seg("alert", "2024-03-04T09:02:00.000Z", "2024-03-04T09:02:05.000Z", queueId=BILLING),
                seg("interact", "2024-03-04T09:02:05.000Z", "2024-03-04T09:04:05.000Z", queueId=BILLING),
                seg("hold", "2024-03-04T09:04:05.000Z", "2024-03-04T09:04:50.000Z", queueId=BILLING),
                seg(
                    "interact",
                    "2024-03-04T09:04:50.000Z",
                    "2024-03-04T09:06:00.000Z",
                    queueId=BILLING,
                    disconnectType="consultTransfer",
                ),
                seg(
                    "wrapup",
                    "2024-03-04T09:06:00.000Z",
                    "2024-03-04T09:06:30.000Z",
                    queueId=BILLING,
                    wrapUpCode=TRANSFERRED_CODE,
                    wrapUpNote="sent to payments",
                ),
            ],
            userId=ANN,
            participantName="Ann A.",
        ),
        person(
            "acd",
            "voice",
            [
                seg(
                    "interact",
                    "2024-03-04T09:06:00.000Z",
                    "2024-03-04T09:07:00.000Z",
                    queueId=PAYMENTS,
                    disconnectType="transfer",
                )
            ],
        ),
        person(
            "agent",
            "voice",
            [
                seg("alert", "2024-03-04T09:07:00.000Z", "2024-03-04T09:07:03.000Z", queueId=PAYMENTS),
                seg(
                    "interact",
                    "2024-03-04T09:07:03.000Z",
                    "2024-03-04T09:19:00.000Z",
                    queueId=PAYMENTS,
                    disconnectType="peer",
                ),
                seg(
                    "wrapup",
                    "2024-03-04T09:20:00.000Z",
                    "2024-03-04T09:21:30.000Z",
                    queueId=PAYMENTS,
                    wrapUpCode=RESOLVED_CODE,
                ),
            ],
            userId=BOB,
        ),
    ],
    conversationEnd="2024-03-04T09:21:30.000Z",
)


def write_json(path: Path, value: Any, *, gz: bool = False) -> Path:
    text = value if isinstance(value, str) else json.dumps(value)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


def page(*convs: Any) -> dict[str, Any]:
    return {"conversations": list(convs), "totalHits": len(convs)}


def lookups(tmp_path: Path) -> dict[str, str]:
    """The three shapes a lookup comes in: an API page, a plain array, CSV."""
    queues = write_json(
        tmp_path / "queues.json",
        {"entities": [{"id": BILLING, "name": "Billing"}, {"id": PAYMENTS, "name": "Payments"}], "total": 2},
    )
    users = write_json(tmp_path / "users.json", [{"id": ANN, "name": "ann"}, {"id": BOB, "name": "bob"}])
    codes = tmp_path / "wrapup.csv"
    codes.write_text(f"name,id\nTransferred,{TRANSFERRED_CODE}\nResolved,{RESOLVED_CODE}\n", encoding="utf-8")
    return {"queues": str(queues), "users": str(users), "wrapup_codes": str(codes)}


def mapping(**options: str) -> Mapping:
    return Mapping.from_dict({"reader": "genesys-cloud", "reader_options": options})


def read(engine: Engine, path: Path, m: Mapping = GENESYS) -> InputSummary:
    summary = read_events([path], engine, options=ReadOptions(mapping=m))
    assert balanced(summary)
    return summary


def events(engine: Engine, *columns: str) -> list[tuple]:
    cols = ", ".join(f'"{c}"' for c in columns)
    return [
        tuple(r.values()) for r in engine.rows(f"SELECT {cols} FROM events ORDER BY timestamp, source_row")
    ]


def test_a_transferred_call_is_one_contact_with_its_segments_as_events(engine: Engine, tmp_path: Path):
    """IVR, two queues and two agents give one contact in time order; names come from the lookups,
    durations from interact/hold/wrap-up segments, the transfer from the consult transfer's disconnect
    type, the outcomes from the wrap-up codes; the +01:00 IVR times are converted to UTC."""
    summary = read(engine, write_json(tmp_path / "c.json", page(CALL)), mapping(**lookups(tmp_path)))
    assert (summary.records_read, summary.rows_rejected) == (1, 0)
    rows = events(engine, "contact_id", "activity", "queue", "actor", "actor_type", "outcome", "duration_s")
    assert {r[0] for r in rows} == {"c-1"}
    assert [r[1] for r in rows] == [
        "Inbound call", "IVR flow", "Queued",
        "Agent handling", "Customer hold", "Agent handling", "After-contact work",
        "Queued", "Agent handling", "After-contact work",
    ]  # fmt: skip
    assert [r[2] for r in rows if r[1] == "Queued"] == ["Billing", "Payments"]
    assert [(r[3], r[5], r[6]) for r in rows if r[4] == "agent"] == [
        ("ann", None, 120), ("ann", None, 45), ("ann", "transferred", 70), ("ann", "transferred", 30),
        ("bob", None, 717), ("bob", "resolved", 90),
    ]  # fmt: skip
    assert rows[1][3:5] == ("Main IVR", "ivr") and rows[1][6] is None  # flow time is no handle time
    assert str(engine.rows("SELECT min(timestamp) AS t FROM events WHERE activity = 'IVR flow'")[0]["t"]) == (
        "2024-03-04 09:00:00"
    )
    extra = events(
        engine, "customer_id", "channel", "wrapUpNote", "requestedRoutingSkillIds", "attributes.vip"
    )
    assert {(r[0], r[1]) for r in extra} == {("+31201234567", "phone")}
    assert "sent to payments" in {r[2] for r in extra} and '["sk-1"]' in {r[3] for r in extra}
    assert {r[4] for r in extra} == {"yes"}


def test_without_lookups_ids_stand_in_for_names(engine: Engine, tmp_path: Path):
    """No lookup: an agent is the participant's name (else the user id), a queue the id, a wrap-up code
    its id (an outcome without meaning, mappable with outcome_values)."""
    m = Mapping.from_dict({"reader": "genesys-cloud", "outcome_values": {RESOLVED_CODE: "resolved"}})
    read(engine, write_json(tmp_path / "c.json", page(CALL)), m)
    rows = events(engine, "activity", "queue", "actor", "outcome")
    assert [r[1] for r in rows if r[0] == "Queued"] == [BILLING, PAYMENTS]
    assert {r[2] for r in rows if r[0] == "Agent handling"} == {"Ann A.", BOB}
    assert [r[3] for r in rows if r[0] == "After-contact work"] == [TRANSFERRED_CODE, "resolved"]


def test_participant_attributes_give_customer_and_reason(engine: Engine, tmp_path: Path):
    m = mapping(customer_attribute="CustomerNumber", reason_attribute="reason")
    summary = read(engine, write_json(tmp_path / "c.json", page(CALL)), m)
    assert "attributes.vip" in summary.attributes and "attributes.CustomerNumber" not in summary.attributes
    assert {r[:2] for r in events(engine, "customer_id", "reason")} == {("K-42", "billing")}


def _abandoned_chat(cid: str, *, metric: bool, disconnect: str | None) -> dict[str, Any]:
    extra = {"disconnectType": disconnect} if disconnect else {}
    metrics = (
        [{"name": "tAbandon", "value": 120000, "emitDate": "2024-03-04T11:02:10.000Z"}] if metric else []
    )
    return conversation(
        cid,
        "2024-03-04T11:00:00.000Z",
        [
            person(
                "customer",
                "message",
                [
                    seg(
                        "interact",
                        "2024-03-04T11:00:00.000Z",
                        "2024-03-04T11:02:10.000Z",
                        disconnectType="endpoint",
                    )
                ],
                session={"addressFrom": "Jo"},
            ),
            person(
                "acd",
                "message",
                [
                    seg(
                        "interact",
                        "2024-03-04T11:00:10.000Z",
                        "2024-03-04T11:02:10.000Z",
                        queueId=BILLING,
                        **extra,
                    )
                ],
                session={"metrics": metrics},
            ),
        ],
        conversationEnd="2024-03-04T11:02:10.000Z",
    )


def test_queued_and_never_answered_is_abandoned(engine: Engine, tmp_path: Path):
    """The ACD segment ends without a transfer to an agent (the customer, its peer, left), or the session
    has a tAbandon metric: abandoned; still queued (no segmentEnd): no outcome yet."""
    by_peer = _abandoned_chat("a-1", metric=False, disconnect="peer")
    by_metric = _abandoned_chat("a-2", metric=True, disconnect=None)
    waiting = _abandoned_chat("a-3", metric=False, disconnect=None)
    del waiting["conversationEnd"], waiting["participants"][1]["sessions"][0]["segments"][0]["segmentEnd"]
    read(engine, write_json(tmp_path / "c.json", page(by_peer, by_metric, waiting)))
    rows = events(engine, "contact_id", "activity", "outcome", "channel", "actor_type", "customer_id")
    assert ("a-1", "Abandoned", "abandoned", "chat", "customer", "Jo") in rows
    assert ("a-2", "Abandoned", "abandoned", "chat", "customer", "Jo") in rows
    assert [r[1] for r in rows if r[0] == "a-3"] == ["Inbound message", "Queued"]


def test_an_alert_not_answered_is_an_event_and_the_next_agent_answers(engine: Engine, tmp_path: Path):
    """Agent one rings out (noAnswerTransfer), agent two answers: not abandoned, one 'Alert not answered'."""
    call = json.loads(json.dumps(CALL))
    people = call["participants"]
    ringing = person(
        "agent",
        "voice",
        [
            seg(
                "alert",
                "2024-03-04T09:01:30.000Z",
                "2024-03-04T09:02:00.000Z",
                queueId=BILLING,
                disconnectType="noAnswerTransfer",
            )
        ],
        userId="u-zed",
    )
    people.insert(3, ringing)
    read(engine, write_json(tmp_path / "c.json", page(call)))
    rows = events(engine, "activity", "actor", "outcome")
    assert ("Alert not answered", "u-zed", None) in rows
    assert "abandoned" not in {r[2] for r in rows}


def _bot(cid: str, *, handoff: bool) -> dict[str, Any]:
    flow: dict[str, Any] = {
        "flowName": "Ava",
        "flowType": "DIGITALBOT",
        "exitReason": "TRANSFER" if handoff else "DISCONNECT",
        "outcomes": [{"flowOutcomeId": "fo-1", "flowOutcomeValue": "SUCCESS", "flowOutcome": "fo-1:SUCCESS",
                      "flowOutcomeStartTimestamp": "2024-03-04T12:00:20.000Z"}],
    }  # fmt: skip
    if handoff:
        flow["transferType"] = "ACD"
    people = [
        person(
            "customer", "message", [seg("interact", "2024-03-04T12:00:00.000Z", "2024-03-04T12:05:00.000Z")]
        ),
        person(
            "workflow",
            "message",
            [seg("interact", "2024-03-04T12:00:00.000Z", "2024-03-04T12:00:40.000Z")],
            session={"flow": flow},
        ),
    ]
    return conversation(cid, "2024-03-04T12:00:00.000Z", people, conversationEnd="2024-03-04T12:05:00.000Z")


def test_a_successful_flow_outcome_in_a_flow_that_ended_the_contact_is_contained(
    engine: Engine, tmp_path: Path
):
    """A bot flow's SUCCESS outcome claims containment only when the conversation did not leave the flow
    for a queue (transferType); the outcome is named by the flow_outcomes lookup."""
    names = write_json(tmp_path / "fo.json", [{"id": "fo-1", "name": "Order status given"}])
    summary = read(
        engine,
        write_json(tmp_path / "c.json", page(_bot("b-1", handoff=False), _bot("b-2", handoff=True))),
        mapping(flow_outcomes=str(names)),
    )
    assert summary.rows_rejected == 0
    rows = events(engine, "contact_id", "activity", "actor", "actor_type", "outcome", "flowOutcomeValue")
    assert ("b-1", "Flow outcome: Order status given", "Ava", "bot", "contained", "SUCCESS") in rows
    assert ("b-2", "Flow outcome: Order status given", "Ava", "bot", None, "SUCCESS") in rows
    assert ("b-1", "Bot flow", "Ava", "bot", None, None) in rows


def test_a_conversation_delivered_twice_is_kept_once_the_ended_copy_winning(engine: Engine, tmp_path: Path):
    """Overlapping intervals: an in-progress copy (no conversationEnd, no wrap-up yet), even later in the
    file, loses to the ended one; its events are counted as duplicates dropped."""
    snapshot = json.loads(json.dumps(CALL))
    del snapshot["conversationEnd"]
    snapshot["participants"] = snapshot["participants"][:4]
    snapshot["participants"][3]["sessions"][0]["segments"] = snapshot["participants"][3]["sessions"][0][
        "segments"
    ][:2]
    summary = read(engine, write_json(tmp_path / "c.json", page(CALL, snapshot)))
    assert summary.records_read == 2
    assert summary.duplicates_dropped == 4  # the snapshot's start, IVR, queued and first talk
    assert summary.rows_kept == 10
    assert "After-contact work" in {r[0] for r in events(engine, "activity")}


@pytest.mark.parametrize("shape", ["page", "jsonl", "array", "gzip-jobs-folder"])
def test_api_pages_json_lines_arrays_and_job_folders_read_the_same(
    engine: Engine, tmp_path: Path, shape: str
):
    one, two = CALL, _bot("b-1", handoff=False)
    if shape == "page":
        path = write_json(tmp_path / "c.json", page(one, two))
    elif shape == "jsonl":
        path = write_json(tmp_path / "c.jsonl", json.dumps(one) + "\n" + json.dumps(two) + "\n")
    elif shape == "array":
        path = write_json(tmp_path / "c.json", [one, two])
    else:  # details job results, one page a file, gzip without a suffix
        path = tmp_path / "job"
        write_json(path / "page-1", page(one) | {"cursor": "abc"}, gz=True)
        write_json(path / "page-2", page(two), gz=True)
    summary = read(engine, path)
    assert (summary.records_read, summary.rows_kept, summary.rows_rejected) == (2, 13, 0)


def test_malformed_records_are_rejected_with_their_reason(engine: Engine, tmp_path: Path):
    """Not an object: malformed_row with its number; no conversationId, no or a bad conversationStart:
    one rejected row each; the good conversation is read."""
    no_id = conversation(None, "2024-03-04T09:00:00Z", [])
    no_start = conversation("x-2", None, CALL["participants"])
    bad_start = conversation("x-3", "yesterday at noon", CALL["participants"])
    summary = read(
        engine, write_json(tmp_path / "c.json", page(CALL, "not a conversation", no_id, no_start, bad_start))
    )
    assert summary.records_read == 5 and summary.rows_kept == 10
    assert summary.rejected_by_reason == {
        "bad_timestamp": 1, "malformed_row": 1, "missing_contact_id": 1, "missing_timestamp": 1,
    }  # fmt: skip
    rejected = engine.rows("SELECT source_row, value FROM rejected WHERE reason = 'malformed_row'")
    assert rejected == [{"source_row": 2, "value": '"not a conversation"'}]


def test_a_bad_segment_time_rejects_only_that_event(engine: Engine, tmp_path: Path):
    call = json.loads(json.dumps(CALL))
    call["participants"][2]["sessions"][0]["segments"][0]["segmentStart"] = "soon"
    summary = read(engine, write_json(tmp_path / "c.json", page(call)))
    assert summary.rejected_by_reason == {"bad_timestamp": 1} and summary.rows_kept == 9


def test_unknown_options_and_missing_lookups_are_config_errors(engine: Engine, tmp_path: Path):
    path = write_json(tmp_path / "c.json", page(CALL))
    with pytest.raises(ConfigError, match=r"unknown reader_options.*known: customer_attribute"):
        read(engine, path, mapping(queue_names="x"))
    with pytest.raises(ConfigError, match="queues: file not found"):
        read(engine, path, mapping(queues="nowhere.json"))
    with pytest.raises(InputError, match="no readable conversations"):
        read(engine, write_json(tmp_path / "bad.json", "not json at all"))


def test_a_relative_lookup_is_found_beside_the_export(engine: Engine, tmp_path: Path):
    lookups(tmp_path)
    read(engine, write_json(tmp_path / "c.json", page(CALL)), mapping(queues="queues.json"))
    assert [r[1] for r in events(engine, "activity", "queue") if r[0] == "Queued"] == ["Billing", "Payments"]


def test_conversation_details_are_detected_by_their_fields(tmp_path: Path):
    assert detect(write_json(tmp_path / "c.json", page(CALL))) == "genesys-cloud"
    assert detect(write_json(tmp_path / "c.jsonl", json.dumps(CALL) + "\n")) == "genesys-cloud"


def test_diagnose_reads_conversation_details_from_the_cli(tmp_path: Path):
    path = write_json(tmp_path / "conversations.json", page(CALL))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["diagnose", str(path), "--mapping", "genesys-cloud", "--out", str(out), "--quiet"]
    )
    assert result.exit_code == EXIT_OK, result.output
    doc = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    assert doc["input"]["records_read"] == 1 and doc["input"]["rows_kept"] == 10
    assert doc["metrics"]["overall"]["contacts"] == 1 and doc["metrics"]["overall"]["transfer_rate"] == 1.0


# --- the simulator's round trip ---------------------------------------------------------------------------
COMPARED = ("contacts", "journeys", "transfer_rate", "abandonment_rate", "escalation_rate", "fcr")


@pytest.fixture(scope="module")
def simulated():
    return simulate(load_scenario("default"), seed=7, days=7, customers=1500)


def _phone_chat_email(events: pa.Table) -> pa.Table:
    """The canonical log restricted to what the export carries: its phone, chat and email contacts."""
    carried = pc.is_in(events["channel"], value_set=pa.array(["phone", "chat", "email"]))
    ids = pc.unique(pc.filter(events["contact_id"], carried))
    return events.filter(pc.is_in(events["contact_id"], value_set=ids))


def test_the_export_diagnoses_like_the_canonical_log(simulated, tmp_path: Path):
    """Same contacts, journeys, transfers, abandons, escalations and FCR as the canonical log's phone, chat
    and email contacts (a 2-day repeat window), containment from the bots' flow outcomes too, and the same
    lead breakdown (code and team) when there is one. Step-level flow differs by design: Genesys records an
    agent's talk as interact segments, not the simulator's steps (authenticate, gather details...), nor IVR
    menu steps, nor surveys; so the lead breakdown's activity is not compared."""
    path = tmp_path / "conversations.json"
    n = write(simulated.events, path)
    records = conversations(simulated.events)
    assert n == len(records) > 0 and len({r["conversationId"] for r in records}) < n  # snapshots too
    options = write_lookups(simulated.events, tmp_path)
    m = mapping(customer_attribute="customer_id", reason_attribute="reason", **options)
    analysis = AnalysisOptions(window_days=2)
    run = diagnose(path, read=ReadOptions(mapping=m), analysis=analysis)
    canonical = diagnose(_phone_chat_email(simulated.events), analysis=analysis)
    got = {k: run.metrics.overall[k] for k in (*COMPARED, "containment_rate")}
    want = {k: canonical.metrics.overall[k] for k in (*COMPARED, "containment_rate")}
    assert got["fcr"] is not None and got["transfer_rate"] > 0 and got["abandonment_rate"] > 0
    assert got["escalation_rate"] > 0 and got["containment_rate"] > 0
    assert got == pytest.approx(want, abs=0.01)
    assert run.input.duplicates_dropped > 0 and run.input.rows_rejected == 0
    # the lead breakdown, when there is one: this small centre has none since WT01 stopped taking talk
    # time (Genesys's interact segments) and after-call work for parked work
    lead = [(b["code"], b["where"].get("team")) for b in run.breakdowns[:1]]
    assert lead == [(b["code"], b["where"].get("team")) for b in canonical.breakdowns[:1]]


def test_without_lookups_or_attributes_the_structure_still_gives_transfers_and_abandons(simulated, tmp_path):
    """Conversation details alone (queue names from the ACD participants, customers from ANI/address, no
    wrap-up names) still give the contacts, transfers and abandons; escalations need the wrap-up names."""
    path = tmp_path / "conversations.json"
    write(simulated.events, path)
    run = diagnose(path, read=ReadOptions(mapping=GENESYS))
    canonical = diagnose(_phone_chat_email(simulated.events))
    for k in ("contacts", "transfer_rate", "abandonment_rate"):
        assert run.metrics.overall[k] == canonical.metrics.overall[k], k
    assert run.metrics.overall["escalation_rate"] == 0


def test_cxray_simulate_writes_conversation_details(tmp_path: Path):
    args = [
        "simulate",
        "--out",
        str(tmp_path),
        "--format",
        "genesys-cloud",
        "--days",
        "2",
        "--customers",
        "400",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == EXIT_OK, result.output
    doc = json.loads((tmp_path / "conversations.json").read_text(encoding="utf-8"))
    assert doc["conversations"] and all(c["conversationId"] for c in doc["conversations"])
    assert (tmp_path / "ground_truth.json").is_file() and not (tmp_path / "events.csv").exists()


# --- what real records showed (each rule written from the field reference, not from the records) ----------
def _contacts(path: Path, m: Mapping = GENESYS) -> dict[str, dict[str, Any]]:
    """The per-contact rows of ``path``, by contact id."""
    rows = diagnose(path, read=ReadOptions(mapping=m)).contacts().to_pylist()
    return {r["contact_id"]: r for r in rows}


def _caller(hangs_up: str) -> dict[str, Any]:
    """The caller (+3120555) on the line from 10:00 until ``hangs_up``."""
    talk = seg("interact", "2024-03-04T10:00:00.000Z", hangs_up, disconnectType="endpoint")
    return person("customer", "voice", [talk], session={"ani": "tel:+3120555"})


def _billing_acd() -> dict[str, Any]:
    """Billing's queue, 10:00-10:01, routing the caller to ann."""
    waits = seg("interact", "2024-03-04T10:00:00.000Z", "2024-03-04T10:01:00.000Z", queueId=BILLING,
                disconnectType="transfer")  # fmt: skip
    return person("acd", "voice", [waits])


def _handed_over(cid: str, ending: str) -> dict[str, Any]:
    """Ann (Billing) hands over at 10:04 (a blind transfer ends her interact; a consult her hold), Payments'
    ACD participant starts at 10:03 (consult) or 10:04 (blind), bob answers at 10:04:30 and wraps up
    10:07-10:08; ann's wrap-up, recorded alongside the next leg, runs 10:07:30-10:10, after bob's began."""
    consult = ending == "transfer.consult"
    ann = [
        seg("alert", "2024-03-04T10:00:50.000Z", "2024-03-04T10:01:00.000Z", queueId=BILLING),
        seg("interact", "2024-03-04T10:01:00.000Z", "2024-03-04T10:03:00.000Z" if consult else
            "2024-03-04T10:04:00.000Z", queueId=BILLING, **({} if consult else {"disconnectType": ending})),
    ]  # fmt: skip
    if consult:
        ann.append(seg("hold", "2024-03-04T10:03:00.000Z", "2024-03-04T10:04:00.000Z", queueId=BILLING,
                       disconnectType=ending))  # fmt: skip
    ann.append(seg("wrapup", "2024-03-04T10:07:30.000Z", "2024-03-04T10:10:00.000Z", queueId=BILLING,
                   wrapUpCode=TRANSFERRED_CODE))  # fmt: skip
    second = "2024-03-04T10:03:00.000Z" if consult else "2024-03-04T10:04:00.000Z"
    return conversation(
        cid,
        "2024-03-04T10:00:00.000Z",
        [
            _caller("2024-03-04T10:08:00.000Z"),
            _billing_acd(),
            person("agent", "voice", ann, userId=ANN),
            person(
                "acd",
                "voice",
                [
                    seg(
                        "interact",
                        second,
                        "2024-03-04T10:04:30.000Z",
                        queueId=PAYMENTS,
                        disconnectType="transfer",
                    )
                ],
            ),
            person(
                "agent",
                "voice",
                [
                    seg("alert", "2024-03-04T10:04:20.000Z", "2024-03-04T10:04:30.000Z", queueId=PAYMENTS),
                    seg(
                        "interact",
                        "2024-03-04T10:04:30.000Z",
                        "2024-03-04T10:07:00.000Z",
                        queueId=PAYMENTS,
                        disconnectType="peer",
                    ),
                    seg(
                        "wrapup",
                        "2024-03-04T10:07:00.000Z",
                        "2024-03-04T10:08:00.000Z",
                        queueId=PAYMENTS,
                        wrapUpCode=RESOLVED_CODE,
                    ),
                ],
                userId=BOB,
            ),
        ],
        conversationEnd="2024-03-04T10:10:00.000Z",
    )


@pytest.mark.parametrize("ending", ["transfer", "transfer.consult"])
def test_a_transfer_is_one_transfer_when_the_first_agent_wraps_up_alongside_the_next_leg(
    engine: Engine, tmp_path: Path, ending: str
):
    """The first agent's wrap-up runs after the next queue and agent began (and here after they finished):
    it is dated at the next leg's start and placed before it, so the route is Billing, Payments (one
    transfer, no ping-pong) and the outcome is the last leg's; its real start and its duration are kept."""
    codes = tmp_path / "codes.csv"
    codes.write_text(f"id,name\n{TRANSFERRED_CODE},Transferred\n{RESOLVED_CODE},Resolved\n", encoding="utf-8")
    path = write_json(tmp_path / "c.json", page(_handed_over("t-1", ending)))
    contact = _contacts(path, mapping(wrapup_codes=str(codes)))["t-1"]
    assert (contact["n_transfers"], contact["is_ping_pong"], contact["final_outcome"]) == (
        1,
        False,
        "resolved",
    )
    read(engine, path)
    rows = events(engine, "activity", "queue", "actor", "duration_s", "segmentStart")
    queues = [r[1] for r in rows if r[1] is not None]
    assert queues == [BILLING] * (queues.count(BILLING)) + [PAYMENTS] * (queues.count(PAYMENTS))
    wrap = next(r for r in rows if r[0] == "After-contact work" and r[2] == ANN)
    assert (wrap[3], wrap[4]) == (150, "2024-03-04T10:07:30.000Z")
    moved = engine.rows(
        "SELECT timestamp FROM events WHERE activity = 'After-contact work' AND userId = ?", [ANN]
    )
    assert str(moved[0]["timestamp"]) == (
        "2024-03-04 10:03:00" if "consult" in ending else "2024-03-04 10:04:00"
    )


def _messaging(cid: str, flow_type: str, purpose: str = "workflow", media: str = "message") -> dict:
    """A message routed by an Architect flow (or a bot) to Billing, where ann answers."""
    flow = {
        "flowName": f"{flow_type} flow",
        "flowType": flow_type,
        "exitReason": "TRANSFER",
        "transferType": "ACD",
    }
    return conversation(
        cid,
        "2024-03-04T12:00:00.000Z",
        [
            person(media, media, [seg("interact", "2024-03-04T12:00:00.000Z", "2024-03-04T12:09:00.000Z")])
            | {"purpose": "customer"},
            person(
                purpose,
                media,
                [
                    seg(
                        "interact",
                        "2024-03-04T12:00:00.100Z",
                        "2024-03-04T12:00:00.800Z",
                        disconnectType="transfer",
                    )
                ],
                session={"flow": flow},
            ),
            person(
                "acd",
                media,
                [
                    seg(
                        "interact",
                        "2024-03-04T12:00:01.000Z",
                        "2024-03-04T12:01:00.000Z",
                        queueId=BILLING,
                        disconnectType="transfer",
                    )
                ],
            ),
            person(
                "agent",
                media,
                [
                    seg("alert", "2024-03-04T12:00:50.000Z", "2024-03-04T12:01:00.000Z"),
                    seg("interact", "2024-03-04T12:01:00.000Z", "2024-03-04T12:09:00.000Z", queueId=BILLING),
                ],
                userId=ANN,
            ),
        ],
    )


def test_architect_routing_flows_are_not_bots(tmp_path: Path):
    """Inbound chat, message and email flows only route: a system step, not self-service; BOT/DIGITALBOT
    flows and botflow participants are bots; a call's inbound flow is an IVR."""
    convs = [
        _messaging("m-chat", "INBOUNDCHAT", media="chat"),
        _messaging("m-sms", "INBOUNDSHORTMESSAGE"),
        _messaging("m-email", "INBOUNDEMAIL", media="email"),
        _messaging("m-bot", "DIGITALBOT"),
        _messaging("m-botflow", "INBOUNDSHORTMESSAGE", purpose="botflow"),
        _messaging("v-ivr", "INBOUNDCALL", purpose="ivr", media="voice"),
    ]
    path = write_json(tmp_path / "c.json", page(*convs))
    contacts = _contacts(path)
    assert {cid: c["is_self_service"] for cid, c in contacts.items()} == {
        "m-chat": False, "m-sms": False, "m-email": False, "m-bot": True, "m-botflow": True, "v-ivr": True,
    }  # fmt: skip
    with Engine() as engine:
        read(engine, path)
        flows = events(engine, "contact_id", "activity", "actor_type")
    assert ("m-sms", "Routing flow", "system") in flows and ("m-bot", "Bot flow", "bot") in flows
    assert ("v-ivr", "IVR flow", "ivr") in flows


def test_a_flow_system_segment_is_no_visit_of_its_own_and_its_outcomes_stay(engine: Engine, tmp_path: Path):
    """An IVR session opens with a few-millisecond system segment: one IVR event (the ivr segment), the
    flow outcomes still read; a session with only a system segment still counts as one visit."""
    flow = {"flowName": "Main IVR", "flowType": "INBOUNDCALL",
            "outcomes": [{"flowOutcomeId": "fo-1", "flowOutcomeValue": "SUCCESS",
                          "flowOutcomeStartTimestamp": "2024-03-04T12:00:10.000Z"}]}  # fmt: skip
    ivr = [
        seg("system", "2024-03-04T12:00:00.000Z", "2024-03-04T12:00:00.004Z"),
        seg("ivr", "2024-03-04T12:00:00.004Z", "2024-03-04T12:01:00.000Z", disconnectType="peer"),
    ]
    customer = person(
        "customer", "voice", [seg("interact", "2024-03-04T12:00:00.000Z", "2024-03-04T12:01:00.000Z")]
    )
    full = conversation(
        "f-1", "2024-03-04T12:00:00.000Z", [customer, person("ivr", "voice", ivr, session={"flow": flow})]
    )
    cut = conversation("f-2", "2024-03-04T12:00:00.000Z", [customer, person("ivr", "voice", ivr[:1])])
    read(engine, write_json(tmp_path / "c.json", page(full, cut)))
    rows = events(engine, "contact_id", "activity", "outcome", "duration_s")
    assert [r[1:] for r in rows if r[0] == "f-1"] == [
        ("Inbound call", None, None), ("IVR flow", None, None), ("Flow outcome: fo-1", "contained", None),
    ]  # fmt: skip
    assert [r[1] for r in rows if r[0] == "f-2"] == ["Inbound call", "IVR flow"]


def _rang_out(alert: dict[str, Any], *, wrapup: bool = False, metric: bool = False) -> dict[str, Any]:
    """CALL with a third agent (zed) whose alert went unanswered, before ann answers."""
    call = json.loads(json.dumps(CALL))
    segments = [alert]
    if wrapup:  # Genesys gives the agent who did not respond a wrap-up with a code
        segments.append(seg("wrapup", "2024-03-04T09:01:55.000Z", "2024-03-04T09:02:55.000Z", queueId=BILLING,
                            wrapUpCode=TRANSFERRED_CODE, disconnectType="client"))  # fmt: skip
    zed = person("agent", "voice", segments, userId="u-zed")
    if metric:
        zed["sessions"][0]["metrics"] = [{"name": "tNotResponding", "value": 8000}]
    call["participants"].insert(3, zed)
    return call


@pytest.mark.parametrize(
    "ending",
    [
        {"disconnectType": "client"},
        {"disconnectType": "system"},
        {"errorCode": "error.ininedgecontrol.session.inactive"},
        {"metric": True},
    ],
    ids=["client", "system", "error-code", "tNotResponding"],
)  # fmt: skip
def test_an_alert_without_an_interact_after_it_was_not_answered(
    engine: Engine, tmp_path: Path, ending: dict[str, Any]
):
    """Real alerts that ring out end client or system, or carry only an error code: with no interact after
    them in the session (or a tNotResponding metric) they are 'Alert not answered'; the wrap-up Genesys
    gives that agent adds no after-contact work and no outcome."""
    more = dict(ending)
    metric = bool(more.pop("metric", False))
    end = None if metric or "errorCode" in more else "2024-03-04T09:01:55.000Z"
    alert = seg("alert", "2024-03-04T09:01:30.000Z", end, queueId=BILLING, **more)
    read(engine, write_json(tmp_path / "c.json", page(_rang_out(alert, wrapup=True, metric=metric))))
    rows = [r for r in events(engine, "activity", "actor", "outcome", "duration_s") if r[1] == "u-zed"]
    assert rows == [("Alert not answered", "u-zed", None, None)]


def test_system_wrap_up_codes_are_no_outcome_unless_outcome_values_names_them(engine: Engine, tmp_path: Path):
    """ININ-WRAP-UP-TIMEOUT (no code chosen in time) and ININ-OUTBOUND-* are kept as wrapUpCode, not as
    an outcome; outcome_values naming one makes it one."""
    call = json.loads(json.dumps(CALL))
    call["participants"][5]["sessions"][0]["segments"][2]["wrapUpCode"] = "ININ-WRAP-UP-TIMEOUT"
    path = write_json(tmp_path / "c.json", page(call))
    read(engine, path)
    bob = [r for r in events(engine, "activity", "outcome", "wrapUpCode") if r[2] == "ININ-WRAP-UP-TIMEOUT"]
    assert bob == [("After-contact work", None, "ININ-WRAP-UP-TIMEOUT")]
    m = Mapping.from_dict(
        {"reader": "genesys-cloud", "outcome_values": {"ININ-WRAP-UP-TIMEOUT": "unresolved"}}
    )
    assert _contacts(path, m)["c-1"]["final_outcome"] == "unresolved"


def test_handle_time_is_talk_hold_and_after_contact_work_not_flow_time(tmp_path: Path):
    """The IVR minute of CALL is no handle time (its segmentStart/End keep it): handle_s is ann's and bob's
    talk, hold and wrap-up only."""
    contact = _contacts(write_json(tmp_path / "c.json", page(CALL)))["c-1"]
    assert contact["handle_s"] == pytest.approx(120 + 45 + 70 + 30 + 717 + 90)


def test_callbacks_campaigns_and_a_user_dialling_in(engine: Engine, tmp_path: Path):
    """Older records: a callback's customer is its first callbackNumbers entry, a campaign's conversation
    without originatingDirection is outbound; a user who dials the IVR is the caller, not an agent."""
    numbers = {"callbackNumbers": ["+13175550001", "+13175550002"], "outboundCampaignId": "camp-1"}
    callback = conversation(
        "cb-1",
        "2024-03-04T13:00:00.000Z",
        [
            person(
                "customer",
                "callback",
                [seg("interact", "2024-03-04T13:00:00.000Z", "2024-03-04T13:02:00.000Z")],
                session=numbers,
            ),
            person(
                "agent",
                "callback",
                [seg("interact", "2024-03-04T13:00:05.000Z", "2024-03-04T13:02:00.000Z", queueId=BILLING)],
                userId=ANN,
                session=numbers,
            ),
        ],
    )
    del callback["originatingDirection"]
    dialled = [
        seg("dialing", "2024-03-04T14:00:00.000Z", "2024-03-04T14:00:00.100Z"),
        seg("interact", "2024-03-04T14:00:00.100Z", "2024-03-04T14:02:00.000Z"),
    ]
    desk = {"direction": "outbound", "ani": "sip:desk@10.0.0.1", "dnis": "tel:+3120999"}
    test_call = conversation(
        "u-1",
        "2024-03-04T14:00:00.000Z",
        [
            person("user", "voice", dialled, userId="u-tester", session=desk),
            person("ivr", "voice", [seg("ivr", "2024-03-04T14:00:00.200Z", "2024-03-04T14:00:30.000Z")]),
            person("acd", "voice", [seg("interact", "2024-03-04T14:00:30.000Z", "2024-03-04T14:00:40.000Z",
                   queueId=BILLING, disconnectType="transfer")]),
            person("agent", "voice", [seg("interact", "2024-03-04T14:00:40.000Z", "2024-03-04T14:02:00.000Z",
                   queueId=BILLING)], userId=BOB),
        ],
    )  # fmt: skip
    del test_call["originatingDirection"]
    read(engine, write_json(tmp_path / "c.json", page(callback, test_call)))
    rows = events(engine, "contact_id", "activity", "customer_id", "actor", "actor_type")
    assert next(r[1:3] for r in rows if r[0] == "cb-1") == ("Outbound callback", "+13175550001")
    assert next(r[1:3] for r in rows if r[0] == "u-1") == ("Inbound call", "u-tester")
    assert {r[3] for r in rows if r[0] == "u-1" and r[4] == "agent"} == {BOB}


def test_a_python_sdk_dump_is_refused_with_what_to_write_instead(engine: Engine, tmp_path: Path):
    """to_dict() of the Python SDK's models writes snake_case: a clear error, not one rejection per
    conversation."""
    snake = {"conversation_id": "c-1", "conversation_start": "2024-03-04T09:00:00.000Z", "participants": []}
    with pytest.raises(InputError, match=r"snake_case.*camelCase JSON"):
        read(engine, write_json(tmp_path / "c.json", page(snake)))


def _consulted(cid: str, *, bob_transfers_back: bool = False) -> dict[str, Any]:
    """Ann (Billing) puts the caller on hold at 10:03 and consults Payments: its ACD participant routes to
    bob, who talks with ann and drops at 10:04:50; ann takes the caller back at 10:05 and resolves it.
    ``bob_transfers_back``: instead, bob ends his talk by transferring the caller (a real leg)."""
    caller, billing = _caller("2024-03-04T10:09:00.000Z"), _billing_acd()
    ann = person(
        "agent",
        "voice",
        [
            seg("interact", "2024-03-04T10:01:00.000Z", "2024-03-04T10:03:00.000Z", queueId=BILLING),
            seg("hold", "2024-03-04T10:03:00.000Z", "2024-03-04T10:05:00.000Z", queueId=BILLING),
            seg(
                "interact",
                "2024-03-04T10:05:00.000Z",
                "2024-03-04T10:08:00.000Z",
                queueId=BILLING,
                disconnectType="endpoint",
            ),
            seg(
                "wrapup",
                "2024-03-04T10:08:00.000Z",
                "2024-03-04T10:09:00.000Z",
                queueId=BILLING,
                wrapUpCode=RESOLVED_CODE,
            ),
        ],
        userId=ANN,
    )
    payments = person(
        "acd",
        "voice",
        [
            seg(
                "interact",
                "2024-03-04T10:03:05.000Z",
                "2024-03-04T10:03:20.000Z",
                queueId=PAYMENTS,
                disconnectType="transfer",
            )
        ],
    )
    bob = person("agent", "voice", [
        seg("interact", "2024-03-04T10:03:20.000Z", "2024-03-04T10:04:50.000Z", queueId=PAYMENTS,
            disconnectType="transfer" if bob_transfers_back else "peer"),
        seg("wrapup", "2024-03-04T10:04:50.000Z", "2024-03-04T10:05:30.000Z", queueId=PAYMENTS),
    ], userId=BOB)  # fmt: skip
    return conversation(cid, "2024-03-04T10:00:00.000Z", [caller, billing, ann, payments, bob],
                        conversationEnd="2024-03-04T10:09:00.000Z")  # fmt: skip


def test_a_consult_the_first_agent_keeps_is_no_transfer_and_no_ping_pong(engine: Engine, tmp_path: Path):
    """The consulted queue and agent came and went while ann kept the caller (she talks again after bob
    left, having transferred nothing): their events carry ``leg_type`` consult and no queue, so the route
    is Billing alone, not Billing, Payments, Billing (two transfers and a ping-pong). Bob's talk still
    counts as work."""
    path = write_json(tmp_path / "c.json", page(_consulted("k-1")))
    contact = _contacts(path)["k-1"]
    assert (contact["n_transfers"], contact["is_ping_pong"], contact["final_queue"]) == (0, False, BILLING)
    read(engine, path)
    rows = events(engine, "userId", "queue", "leg_type", "duration_s")
    assert {r[2] for r in rows if r[0] == BOB} == {"consult"} and {r[1] for r in rows if r[0] == BOB} == {
        None
    }
    assert {r[2] for r in rows if r[0] == ANN} == {None}
    assert 90 in [r[3] for r in rows if r[0] == BOB]


def test_a_consulted_agent_who_transfers_the_caller_is_a_leg(tmp_path: Path):
    """The mirror: bob ends his talk with a transfer, so his visit is a leg of the route (Billing,
    Payments, Billing: two transfers, a ping-pong), not a consult."""
    path = write_json(tmp_path / "c.json", page(_consulted("k-2", bob_transfers_back=True)))
    contact = _contacts(path)["k-2"]
    assert (contact["n_transfers"], contact["is_ping_pong"]) == (2, True)
