"""Amazon Lex V2 conversation logs: turns, sessions, CloudWatch wrappers and repeated deliveries, written from
Amazon's description of the text log entry (https://docs.aws.amazon.com/lexv2/latest/dg/conversation-logs-cw.html)
and the runtime SessionState / Interpretation shapes; the simulator's round trip."""

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
from cxray.io.mapping import Mapping
from cxray.simulate import load_scenario, simulate
from cxray.simulate.export_lex import conversation_logs, write

LEX = Mapping.resolve("amazon-lex-v2")
assert LEX is not None
BOT = {"name": "BankBot", "version": "4", "localeId": "en_GB", "id": "BOT1234567", "aliasId": "ALIAS12345",
       "aliasName": "live"}  # fmt: skip


def turn(
    session: str | None,
    request: str,
    *,
    intent: str | None = None,
    state: str = "InProgress",
    action: str = "ElicitSlot",
    mode: str = "Text",
    missed: bool = False,
    at: str | None = None,
    attributes: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A Lex V2 text log entry with the fields the field reference lists."""
    record: dict[str, Any] = {
        "messageVersion": "2.0",
        "bot": BOT,
        "messages": [{"contentType": "PlainText", "content": "..."}],
        "sessionState": {
            "dialogAction": {"type": action},
            "sessionAttributes": attributes or {},
            "originatingRequestId": "orig-1",
        },
        "interpretations": [
            {"intent": {"name": intent or "FallbackIntent", "state": state}, "nluConfidence": 0.91}
        ],
        "inputTranscript": "something the customer said",
        "missedUtterance": missed,
        "requestId": request,
        "inputMode": mode,
        "requestAttributes": {"x-amz-lex:accept-content-types": "PlainText,SSML"},
        "developerOverride": False,
    }
    if intent is not None:
        record["sessionState"]["intent"] = {
            "name": intent,
            "state": state,
            "confirmationState": "None",
            "slots": {},
        }
    if session is not None:
        record["sessionId"] = session
    if at is not None:
        record["timestamp"] = at
    return record


# A phone session through Amazon Connect (speech, then a DTMF account number), closed Fulfilled; the
# session attributes carry Connect's ContactId and the customer number.
CALLER = {"ContactId": "connect-1", "CustomerNumber": "K-42"}
PHONE = [
    turn("sess-phone", "r1", intent="CheckBalance", mode="Speech", at="2024-03-04T10:00:00+01:00",
         attributes=CALLER),
    turn("sess-phone", "r2", intent="CheckBalance", mode="DTMF", at="2024-03-04T10:00:20+01:00",
         attributes=CALLER),
    turn("sess-phone", "r3", intent="CheckBalance", state="Fulfilled", action="Close", mode="Speech",
         at="2024-03-04T10:00:40+01:00", attributes=CALLER),
]  # fmt: skip
# A chat session the bot did not understand twice (a missed utterance, then the fallback intent), then
# handed to an agent.
CHAT = [
    turn("sess-chat", "c1", missed=True, action="ElicitIntent", at="2024-03-04T11:00:00Z"),
    turn("sess-chat", "c2", intent="FallbackIntent", action="ElicitIntent", at="2024-03-04T11:00:30Z"),
    turn("sess-chat", "c3", intent="TransferToAgent", state="Fulfilled", action="Close",
         at="2024-03-04T11:01:00Z"),
]  # fmt: skip


def jsonl(path: Path, records: list[Any], *, gz: bool = False, joined: str = "\n") -> Path:
    text = joined.join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


def mapping(**options: str) -> Mapping:
    return Mapping.from_dict({"reader": "amazon-lex-v2", "reader_options": options})


def read(engine: Engine, path: Path, m: Mapping = LEX) -> InputSummary:
    summary = read_events([path], engine, options=ReadOptions(mapping=m))
    assert balanced(summary)
    return summary


def events(engine: Engine, *columns: str) -> list[tuple]:
    cols = ", ".join(f'"{c}"' for c in columns)
    return [
        tuple(r.values()) for r in engine.rows(f"SELECT {cols} FROM events ORDER BY timestamp, source_row")
    ]


def test_a_speech_session_recognises_asks_and_answers(engine: Engine, tmp_path: Path):
    """The first turn starts the session and recognises the intent; a DTMF turn on the same intent is a slot
    request; the Fulfilled Close is the answer, outcome contained. Offsets are converted to UTC; the session
    attribute ContactId (Connect's) names the contact."""
    summary = read(engine, jsonl(tmp_path / "lex.jsonl", list(reversed(PHONE))))
    assert summary.records_read == 3 and summary.rows_rejected == 0
    rows = events(
        engine, "contact_id", "activity", "outcome", "channel", "reason", "actor", "actor_type", "inputMode"
    )
    assert [r[1] for r in rows] == [
        "Bot: conversation started", "Bot: intent recognised", "Bot: slot requested", "Bot: answer given",
    ]  # fmt: skip
    assert [r[2] for r in rows] == [None, None, None, "contained"]
    assert {r[0] for r in rows} == {"connect-1"} and {r[3:7] for r in rows} == {
        ("phone", "CheckBalance", "BankBot", "bot")
    }
    assert [r[7] for r in rows] == ["Speech", "Speech", "DTMF", "Speech"]
    first = engine.rows("SELECT min(timestamp) AS t FROM events")[0]["t"]
    assert first.isoformat() == "2024-03-04T09:00:00"


def test_missed_fallback_and_handoff(engine: Engine, tmp_path: Path):
    """A missed utterance and the fallback intent are both 'not recognised'; the handoff intent hands over
    with outcome transferred and is not the session's reason; a text session is chat."""
    read(engine, jsonl(tmp_path / "lex.jsonl", CHAT))
    rows = events(engine, "activity", "outcome", "channel", "reason")
    assert [r[:2] for r in rows] == [
        ("Bot: conversation started", None), ("Bot: intent not recognised", None),
        ("Bot: intent not recognised", None), ("Bot: handoff to agent", "transferred"),
    ]  # fmt: skip
    assert {r[2:] for r in rows} == {("chat", None)}


def test_handoff_intents_option_names_the_handoff(engine: Engine, tmp_path: Path):
    """Without the option a TransferToAgent intent is the default handoff; with another name listed, that
    intent hands over and TransferToAgent is an ordinary intent answered."""
    speak = [
        turn("s", "1", intent="SpeakToHuman", state="Fulfilled", action="Close", at="2024-03-04T11:00:00Z")
    ]
    read(
        engine, jsonl(tmp_path / "a.jsonl", speak + CHAT[2:]), mapping(handoff_intents="SpeakToHuman, Other")
    )
    rows = events(engine, "contact_id", "activity", "outcome")
    assert ("s", "Bot: handoff to agent", "transferred") in rows
    assert ("sess-chat", "Bot: answer given", "contained") in rows


def test_contact_and_customer_attributes(engine: Engine, tmp_path: Path):
    """The session attribute ContactId (Connect's, the key of its contact records) is the contact id by
    default, sessionId staying an attribute; contact_attribute names another, "" keeps sessionId;
    customer_attribute names the customer id; other session attributes are kept as sessionAttributes.<key>;
    without a customer attribute the customer is unknown."""
    m = mapping(customer_attribute="CustomerNumber")
    summary = read(engine, jsonl(tmp_path / "lex.jsonl", PHONE), m)
    rows = events(engine, "contact_id", "customer_id", "sessionId")
    assert set(rows) == {("connect-1", "K-42", "sess-phone")}
    assert "sessionAttributes.ContactId" not in summary.attributes
    read(engine, jsonl(tmp_path / "other.jsonl", PHONE), mapping(contact_attribute="CustomerNumber"))
    assert {r[:2] for r in events(engine, "contact_id", "customer_id")} == {("K-42", None)}
    summary = read(engine, tmp_path / "other.jsonl", mapping(contact_attribute=""))
    assert {r[:2] for r in events(engine, "contact_id", "customer_id")} == {("sess-phone", None)}
    assert {"sessionAttributes.CustomerNumber", "sessionAttributes.ContactId"} <= set(summary.attributes)
    read(engine, jsonl(tmp_path / "chat.jsonl", CHAT))  # no ContactId attribute: the sessionId
    assert {r[0] for r in events(engine, "contact_id")} == {"sess-chat"}


def test_channel_option_overrides_the_input_mode(engine: Engine, tmp_path: Path):
    read(engine, jsonl(tmp_path / "lex.jsonl", PHONE), mapping(channel="bot"))
    assert {r[0] for r in events(engine, "channel")} == {"bot"}


def test_cloudwatch_wrappers_and_export_lines(engine: Engine, tmp_path: Path):
    """A subscription payload (logEvents, epoch ms), a filter-log-events answer (events), a console export
    line prefixed by its timestamp and a control message (no turn) read as the same turns; the wrapper's time
    is used when the turn has none of its own."""
    bare = [{k: v for k, v in t.items() if k != "timestamp"} for t in PHONE]
    payload = {
        "messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/aws/lex/BankBot",
        "logStream": "live", "subscriptionFilters": ["to-firehose"],
        "logEvents": [{"id": "1", "timestamp": 1709542800000, "message": json.dumps(bare[0])}],
    }  # fmt: skip
    control = {"messageType": "CONTROL_MESSAGE", "logEvents": []}
    listing = {"events": [{"eventId": "2", "timestamp": 1709542820000, "message": json.dumps(bare[1])}]}
    line = "2024-03-04T09:00:40.000Z " + json.dumps(bare[2])
    path = jsonl(tmp_path / "cw", [payload, control, listing], gz=True, joined="")
    summary = read(engine, path)
    assert summary.records_read == 2
    export = jsonl(tmp_path / "export.log", [line])
    summary = read(engine, export)
    assert summary.records_read == 1 and summary.rows_rejected == 0
    assert events(engine, "timestamp")[0][0].isoformat() == "2024-03-04T09:00:40"
    folder = tmp_path / "s3"
    jsonl(folder / "2024" / "03" / "04" / "09" / "part-1", [payload, control, listing], gz=True, joined="")
    jsonl(folder / "2024" / "03" / "04" / "10" / "part-2", [line])
    summary = read(engine, folder)
    assert (summary.records_read, summary.rows_kept) == (3, 4)
    rows = events(engine, "timestamp", "activity")
    assert [r[0].isoformat() for r in rows][::3] == ["2024-03-04T09:00:00", "2024-03-04T09:00:40"]
    assert [r[1] for r in rows][-1] == "Bot: answer given"


def test_a_control_message_is_no_record(engine: Engine, tmp_path: Path):
    """CloudWatch's health check carries a log event of its own text, not a turn: skipped, not counted as a
    record nor rejected malformed (a DATA_MESSAGE's envelope is no record either)."""
    control = {
        "messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
        "subscriptionFilters": [],
        "logEvents": [{"id": "", "timestamp": 1709542800000,
                       "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}],
    }  # fmt: skip
    data = {"messageType": "DATA_MESSAGE", "logEvents": [{"id": "1", "timestamp": 1709542800000,
                                                          "message": json.dumps(PHONE[0])}]}  # fmt: skip
    summary = read(engine, jsonl(tmp_path / "cw", [control, data, control], gz=True, joined=""))
    assert (summary.records_read, summary.rows_rejected, summary.rows_kept) == (1, 0, 2)


# Amazon Connect runs the bot from a "Get customer input" block: an intent whose slots are all filled is
# returned ReadyForFulfillment with a Close for the flow to fulfil (or to queue); the fallback intent too.
READY = [
    turn("sess-r", "r1", intent="BookTrip", at="2024-03-04T12:00:00Z", attributes={"ContactId": "ctr-ready"}),
    turn("sess-r", "r2", intent="BookTrip", state="ReadyForFulfillment", action="Close",
         at="2024-03-04T12:00:30Z", attributes={"ContactId": "ctr-ready"}),
    turn("sess-o", "o1", intent="BookTrip", state="ReadyForFulfillment", action="Close",
         at="2024-03-04T13:00:00Z", attributes={"ContactId": "ctr-once"}),
    turn("sess-f", "f1", intent="FallbackIntent", state="ReadyForFulfillment", action="Close", missed=True,
         at="2024-03-04T14:00:00Z", attributes={"ContactId": "ctr-missed"}),
]  # fmt: skip


def test_ready_for_fulfillment_closed_is_the_bots_claim_of_containment(engine: Engine, tmp_path: Path):
    """ReadyForFulfillment with a Close ends the bot's part: 'Bot: conversation closed', outcome contained
    (the bot completed its intent; it did not fulfil it itself, so not 'answer given'), on the turn that
    recognises the intent too; the fallback intent closed is not recognised, then closed without outcome."""
    read(engine, jsonl(tmp_path / "lex.jsonl", READY))
    rows = events(engine, "contact_id", "activity", "outcome")
    assert rows == [
        ("ctr-ready", "Bot: conversation started", None), ("ctr-ready", "Bot: intent recognised", None),
        ("ctr-ready", "Bot: conversation closed", "contained"),
        ("ctr-once", "Bot: conversation started", None), ("ctr-once", "Bot: intent recognised", None),
        ("ctr-once", "Bot: conversation closed", "contained"),
        ("ctr-missed", "Bot: conversation started", None), ("ctr-missed", "Bot: intent not recognised", None),
        ("ctr-missed", "Bot: conversation closed", None),
    ]  # fmt: skip


def _ctr(contact: str, start: str, end: str, *, agent: bool) -> dict[str, Any]:
    """A Connect contact record with the fields of its data model this join needs."""
    record: dict[str, Any] = {
        "ContactId": contact, "InitialContactId": None, "PreviousContactId": None, "NextContactId": None,
        "Channel": "CHAT", "InitiationMethod": "API", "InitiationTimestamp": start,
        "DisconnectTimestamp": end, "LastUpdateTimestamp": end, "CustomerEndpoint": None, "Attributes": {},
        "Queue": None, "Agent": None,
        "AWSAccountId": "123456789012", "InstanceARN": "arn:aws:connect:eu-west-2:123456789012:instance/x",
    }  # fmt: skip
    if agent:
        record["Queue"] = {"Name": "Bookings", "EnqueueTimestamp": end.replace(":05:", ":01:")}
        record["Agent"] = {"Username": "ann", "ConnectedToAgentTimestamp": end.replace(":05:", ":02:"),
                           "AgentInteractionDuration": 120, "RoutingProfile": {"Name": "Tier 1"}}  # fmt: skip
    return record


def test_lex_sessions_join_their_connect_contact_records_by_contact_id(tmp_path: Path):
    """With the contact records of the same chats, each session lands in its Connect contact (sessionId is
    not the ContactId); a closed intent the flow then queues to an agent is not contained, one the flow ends
    is."""
    ctrs = [
        _ctr("ctr-ready", "2024-03-04T11:59:50Z", "2024-03-04T12:05:00Z", agent=True),
        _ctr("ctr-once", "2024-03-04T12:59:50Z", "2024-03-04T13:05:00Z", agent=False),
    ]
    lex = jsonl(tmp_path / "lex.jsonl", READY[:3])
    ctr = jsonl(tmp_path / "ctr.jsonl", ctrs)
    run = diagnose([ctr, lex])
    assert run.input.adapters == {str(ctr): "amazon-connect-ctr", str(lex): "amazon-lex-v2"}
    contacts = {c["contact_id"]: c for c in run.contacts().to_pylist()}
    assert set(contacts) == {"ctr-ready", "ctr-once"}
    assert (contacts["ctr-ready"]["is_contained"], contacts["ctr-once"]["is_contained"]) == (False, True)


def test_repeated_deliveries_are_dropped_and_counted(engine: Engine, tmp_path: Path):
    """Firehose delivers at least once: a turn whose (sessionId, requestId) was read before is dropped and its
    events counted as duplicates, the first turn's two included."""
    summary = read(engine, jsonl(tmp_path / "lex.jsonl", [PHONE[0], *PHONE, PHONE[2]]))
    assert summary.records_read == 5
    assert summary.duplicates_dropped == 2 + 1 and summary.rows_kept == 4


def test_malformed_turns_are_rejected_with_their_reason(engine: Engine, tmp_path: Path):
    """Not JSON (a line or a log event's message): malformed_row with its record number and text; no
    sessionId, no time at all, an unreadable time: one rejected row each; the good turns are read."""
    no_session = turn(None, "x1", intent="CheckBalance", at="2024-03-04T09:00:00Z")
    no_time = turn("sess-x", "x2", intent="CheckBalance")
    bad_time = turn("sess-y", "x3", intent="CheckBalance", at="yesterday at noon")
    wrapped = {"logEvents": [{"id": "9", "timestamp": 1709542800000, "message": "START RequestId: abc"}]}
    path = jsonl(
        tmp_path / "lex.jsonl",
        [CHAT[0], '{"sessionId": "s", "bot": BankBot', no_session, no_time, bad_time, wrapped],
    )
    summary = read(engine, path)
    assert summary.records_read == 6 and summary.rows_kept == 2  # four turns, two malformed records
    assert summary.rejected_by_reason == {
        "bad_timestamp": 1, "malformed_row": 2, "missing_contact_id": 1, "missing_timestamp": 1,
    }  # fmt: skip
    rejected = engine.rows("SELECT source_row, value FROM rejected WHERE reason = 'malformed_row' ORDER BY 1")
    assert [r["value"] for r in rejected] == ['{"sessionId": "s", "bot": BankBot', "START RequestId: abc"]


def test_an_unknown_reader_option_is_a_config_error(engine: Engine, tmp_path: Path):
    with pytest.raises(ConfigError, match=r"unknown reader_options.*known: contact_attribute"):
        read(engine, jsonl(tmp_path / "lex.jsonl", PHONE), mapping(intent_attribute="x"))


def test_a_file_without_any_turn_is_an_input_error(engine: Engine, tmp_path: Path):
    with pytest.raises(InputError, match="no readable Lex turns"):
        read(engine, jsonl(tmp_path / "lex.jsonl", ["not json at all"]))


def test_diagnose_reads_lex_logs_from_the_cli(tmp_path: Path):
    path = jsonl(tmp_path / "lex.jsonl.gz", PHONE + CHAT, gz=True)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["diagnose", str(path), "--mapping", "amazon-lex-v2", "--out", str(out), "--quiet"]
    )
    assert result.exit_code == EXIT_OK, result.output
    doc = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    assert doc["input"]["records_read"] == 6 and doc["input"]["rows_kept"] == 8
    overall = doc["metrics"]["overall"]
    assert overall["contacts"] == 2 and overall["containment_rate"] == 0.5 and overall["transfer_rate"] == 0.5


# --- the simulator's round trip ---------------------------------------------------------------------------
ROUND_TRIP = mapping(customer_attribute="customer_id")
#: The bot never learns the intent of a session it did not understand, so journeys are chained by customer
#: alone on both sides (``any_reason``); a 2-day window leaves a 7-day log uncensored journeys.
ANALYSIS = AnalysisOptions(window_days=2, any_reason=True)
COMPARED = (
    "contacts", "journeys", "fcr", "repeat_contact_rate", "unidentified_share", "containment_rate",
    "abandonment_rate", "escalation_rate", "censored_contacts",
)  # fmt: skip


@pytest.fixture(scope="module")
def simulated():
    return simulate(load_scenario("default"), seed=7, days=7, customers=1500)


def _bot_events(events: pa.Table) -> pa.Table:
    """The canonical log restricted to what Lex logs carry: the bot events of phone and chat contacts."""
    bot = pc.and_(
        pc.equal(events["actor_type"], "bot"), pc.is_in(events["channel"], pa.array(["phone", "chat"]))
    )
    return events.filter(bot)


def test_the_lex_export_diagnoses_like_the_canonical_bot_events(simulated, tmp_path: Path):
    """Same sessions (contacts with bot events), journeys, FCR, repeats and containment as the canonical
    log's bot events. By design: the transfer rate is the share of sessions with a handoff (the canonical bot
    events carry no outcome on the handoff: the agent's events that follow say it), true containment is
    compared as counts (with no outcome on a handoff the canonical contact's containment is unknown, not
    false), and handle times are not compared (Lex logs turns, not durations)."""
    path = tmp_path / "lex-conversation-logs.jsonl.gz"
    n = write(simulated.events, path)
    payloads = conversation_logs(simulated.events)
    assert n == sum(len(p["logEvents"]) for p in payloads) > 0 and len(
        {json.dumps(p) for p in payloads}
    ) < len(payloads)
    lex = diagnose(path, read=ReadOptions(mapping=ROUND_TRIP), analysis=ANALYSIS)
    bot = _bot_events(simulated.events)
    canonical = diagnose(bot, analysis=ANALYSIS)
    got = {k: lex.metrics.overall[k] for k in COMPARED}
    want = {k: canonical.metrics.overall[k] for k in COMPARED}
    assert got["contacts"] == len(pc.unique(bot["contact_id"])) > 50
    assert 0 < got["containment_rate"] < 1 and got["fcr"] is not None
    assert got == pytest.approx(want, abs=0.01)
    assert lex.input.rows_kept == bot.num_rows  # a turn per canonical bot step, the first two events
    assert lex.input.duplicates_dropped > 0 and lex.input.rows_rejected == 0
    handed = pc.unique(pc.filter(bot["contact_id"], pc.equal(bot["activity"], "Bot: handoff to agent")))
    assert lex.metrics.overall["transfer_rate"] == pytest.approx(len(handed) / got["contacts"], abs=0.001)
    mine, theirs = lex.contacts().to_pylist(), canonical.contacts().to_pylist()
    assert (
        sum(bool(c["is_true_contained"]) for c in mine)
        == sum(bool(c["is_true_contained"]) for c in theirs)
        > 0
    )
    assert {c["contact_id"] for c in mine if c["is_contained"]} == {
        c["contact_id"] for c in theirs if c["is_contained"]
    }
