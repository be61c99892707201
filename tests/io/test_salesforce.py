"""Salesforce Service Cloud CSV exports: cases, their history, Omni-Channel work and chats read as one log,
written from Salesforce's Object Reference (Case, CaseHistory, AgentWork, LiveChatTranscript:
https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/); the simulator's
round trip."""

from __future__ import annotations

import csv
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
from cxray.io.readers.salesforce import unread
from cxray.simulate import load_scenario, simulate
from cxray.simulate.export_salesforce import export, write

NAME = "salesforce-service-cloud"
SF = Mapping.resolve(NAME)
assert SF is not None

# Ids as Salesforce writes them: 18 characters, the first three naming the object.
CASE_1, CASE_2, CASE_3 = "5003X00001AbCdEQAV", "5003X00001AbCdFQAV", "5003X00001AbCdGQAV"
ANN, BOB, ROBOT = "0053X00000Ann01QAA", "0053X00000Bob01QAA", "0053X00000Aut01QAA"
BILLING, PAYMENTS, CHATQ = "00G3X00000Bil01UAA", "00G3X00000Pay01UAA", "00G3X00000Cht01UAA"
CONTACT, ACCOUNT = "0033X00000Cus01QAA", "0013X00000Acc01QAA"


def case(cid: str, created: str, closed: str | None = None, **fields: Any) -> dict[str, Any]:
    row = {
        "Id": cid,
        "CaseNumber": f"0000{cid[12:15]}",
        "CreatedDate": created,
        "ClosedDate": closed,
        "Status": "Closed" if closed else "New",
        "Origin": "Phone",
        "Reason": "Billing",
        "Type": "Problem",
        "Priority": "Medium",
        "OwnerId": ANN,
        "ContactId": CONTACT,
        "AccountId": ACCOUNT,
        "IsClosed": "true" if closed else "false",
        "IsEscalated": "false",
    }
    return row | fields


_hid = iter(range(1, 10_000))


def change(
    cid: str, at: str, field: str, old: str | None, new: str | None, by: str = ROBOT
) -> dict[str, Any]:
    return {
        "Id": f"0173X0000{next(_hid):06d}AAA",
        "CaseId": cid,
        "CreatedDate": at,
        "Field": field,
        "OldValue": old,
        "NewValue": new,
        "CreatedById": by,
    }


def owner(cid: str, at: str, field: str, old: tuple[str, str], new: tuple[str, str]) -> list[dict[str, Any]]:
    """The two rows of a foreign-key change: ids, then names."""
    return [change(cid, at, field, old[0], new[0]), change(cid, at, field, old[1], new[1])]


def work(wid: str, item: str, user: str, queue: str, accepted: str | None, **fields: Any) -> dict[str, Any]:
    row = {
        "Id": wid,
        "WorkItemId": item,
        "UserId": user,
        "ServiceChannelId": "0N93X0000000001AAA",
        "OriginalQueueId": queue,
        "RequestDateTime": accepted,
        "AssignedDateTime": accepted,
        "AcceptDateTime": accepted,
        "CloseDateTime": None,
        "HandleTime": None,
        "ActiveTime": None,
        "Status": "Closed",
    }
    return row | fields


def folder(root: Path, files: dict[str, list[dict[str, Any]]]) -> Path:
    """CSV files as Data Loader writes them: a header of API names, every value quoted."""
    root.mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        header = list(dict.fromkeys(k for r in rows for k in r))
        with (root / name).open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
            writer.writerow(header)
            writer.writerows([["" if r.get(h) is None else r[h] for h in header] for r in rows])
    return root


def read(engine: Engine, path: Path, mapping: Mapping = SF) -> InputSummary:
    summary = read_events([path], engine, options=ReadOptions(mapping=mapping))
    assert balanced(summary)
    return summary


def events(engine: Engine, *columns: str, contact: str | None = None) -> list[tuple]:
    cols = ", ".join(f'"{c}"' for c in columns)
    where = f"WHERE contact_id = '{contact}'" if contact else ""
    return [
        tuple(r.values())
        for r in engine.rows(f"SELECT {cols} FROM events {where} ORDER BY contact_id, timestamp, source_row")
    ]


# A phone case routed to Billing, accepted by Ann, transferred to Payments, accepted by Bob, closed.
TRANSFER = {
    "Case.csv": [case(CASE_1, "2024-03-04T09:00:00.000Z", "2024-03-04T09:20:00.000Z", OwnerId=BOB)],
    "CaseHistory.csv": [
        change(CASE_1, "2024-03-04T09:00:00.000Z", "created", None, None),
        *owner(
            CASE_1,
            "2024-03-04T09:00:30.000Z",
            "ownerAssignment",
            (ROBOT, "Automated Process"),
            (BILLING, "Billing"),
        ),
        *owner(CASE_1, "2024-03-04T09:02:00.000Z", "ownerAccepted", (BILLING, "Billing"), (ANN, "Ann Lee")),
        change(CASE_1, "2024-03-04T09:02:00.000Z", "Status", "New", "Working", ANN),
        *owner(CASE_1, "2024-03-04T09:08:00.000Z", "Owner", (ANN, "Ann Lee"), (PAYMENTS, "Payments")),
        *owner(CASE_1, "2024-03-04T09:10:00.000Z", "ownerAccepted", (PAYMENTS, "Payments"), (BOB, "Bob Ng")),
        change(CASE_1, "2024-03-04T09:20:00.000Z", "Status", "Working", "Closed", BOB),
    ],
    "AgentWork.csv": [
        work(
            "0Bz3X00000W0001AAA",
            CASE_1,
            ANN,
            BILLING,
            "2024-03-04T09:02:00.000Z",
            Status="Transferred",
            RequestDateTime="2024-03-04T09:00:30.000Z",
            HandleTime="360",
            ActiveTime="300",
            CloseDateTime="2024-03-04T09:08:00.000Z",
        ),
        # the same case by its 15-character id, as reports write it
        work(
            "0Bz3X00000W0002AAA",
            CASE_1[:15],
            BOB,
            PAYMENTS,
            "2024-03-04T09:10:00.000Z",
            RequestDateTime="2024-03-04T09:08:00.000Z",
            HandleTime="600",
            ActiveTime="540",
            CloseDateTime="2024-03-04T09:20:00.000Z",
        ),
    ],
}


def test_a_transferred_case_is_one_contact_with_its_queues_agents_and_outcome(engine: Engine, tmp_path: Path):
    """History, Omni-Channel work and the case join on the case id (15 or 18 characters); the id/name twin
    rows of each owner change give one event and name the users and queues AgentWork refers to by id."""
    summary = read(engine, folder(tmp_path / "sf", TRANSFER))
    assert summary.records_read == 14 and summary.rows_rejected == 0
    # one of each owner twin (4), the history's 'created' row and the closing status change
    assert summary.duplicates_dropped == 6
    rows = events(engine, "contact_id", "activity", "queue", "actor", "actor_type", "outcome", "duration_s")
    assert {r[0] for r in rows} == {CASE_1}
    assert [r[1:6] for r in rows] == [
        ("Case created", None, None, "system", None),
        ("Queued", "Billing", None, "system", None),
        ("Assigned to agent", "Billing", "Ann Lee", "agent", None),
        ("Status: Working", "Billing", None, "system", None),
        ("Agent work", "Billing", "Ann Lee", "agent", "transferred"),
        ("Queued", "Payments", None, "system", "transferred"),
        ("Assigned to agent", "Payments", "Bob Ng", "agent", None),
        ("Agent work", "Payments", "Bob Ng", "agent", None),
        ("Case closed", "Payments", None, "system", "resolved"),
    ]
    assert [r[6] for r in rows if r[6] is not None] == [360.0, 600.0]
    detail = events(engine, "customer_id", "channel", "reason", "Case.CaseNumber", "sf_record")
    assert {r[:4] for r in detail} == {(CONTACT, "phone", "Billing", "0000CdE")}
    assert "CaseHistory.csv:3" in {r[4] for r in detail}  # file and line of the record behind each event


def test_queued_and_never_answered_is_abandoned_whatever_the_closing_status(engine: Engine, tmp_path: Path):
    """A case closed by automation after the caller hung up in the queue: abandoned, not resolved. One
    answered, transferred and then left in the second queue is abandoned too."""
    files = {
        "Case.csv": [
            case(CASE_2, "2024-03-04T10:00:00.000Z", "2024-03-04T10:04:00.000Z", OwnerId=BILLING),
            case(CASE_3, "2024-03-04T11:00:00.000Z", "2024-03-04T11:30:00.000Z", OwnerId=PAYMENTS),
        ],
        "CaseHistory.csv": [
            *owner(
                CASE_2,
                "2024-03-04T10:00:20.000Z",
                "ownerAssignment",
                (ROBOT, "Automated Process"),
                (BILLING, "Billing"),
            ),
            *owner(
                CASE_3,
                "2024-03-04T11:00:20.000Z",
                "ownerAssignment",
                (ROBOT, "Automated Process"),
                (BILLING, "Billing"),
            ),
            *owner(
                CASE_3, "2024-03-04T11:01:00.000Z", "ownerAccepted", (BILLING, "Billing"), (ANN, "Ann Lee")
            ),
            *owner(CASE_3, "2024-03-04T11:09:00.000Z", "Owner", (ANN, "Ann Lee"), (PAYMENTS, "Payments")),
        ],
        "AgentWork.csv": [
            work(
                "0Bz3X00000W0003AAA",
                CASE_3,
                ANN,
                BILLING,
                "2024-03-04T11:01:00.000Z",
                Status="Transferred",
                HandleTime="480",
            )
        ],
    }
    read(engine, folder(tmp_path / "sf", files))
    closed = events(engine, "contact_id", "outcome", "activity")
    assert [(r[0], r[1]) for r in closed if r[2] == "Case closed"] == [
        (CASE_2, "abandoned"),
        (CASE_3, "abandoned"),
    ]
    assert (CASE_3, "transferred", "Queued") in closed


def test_chats_join_their_case_and_a_missed_chat_without_one_is_abandoned(engine: Engine, tmp_path: Path):
    """Omni-Channel work on a chat names the transcript (WorkItemId), which names the case (CaseId); a chat
    without a case is a contact of its own, its customer the transcript's ContactId (else AccountId).
    Times with offsets are read as UTC."""
    chat, lost = "5703X00000Cht01AAA", "5703X00000Cht02AAA"
    body = 'Chat Started: Monday, March 04, 2024\nVisitor: my "order", it is late\nAgent: sorry, checking'
    files = {
        "Case.csv": [case(CASE_1, "2024-03-04T09:00:00.000Z", "2024-03-04T09:15:00.000Z", Origin="Chat")],
        "LiveChatTranscript.csv": [
            {
                "Id": chat,
                "CaseId": CASE_1,
                "ChatKey": "k-1",
                "RequestTime": "2024-03-04T10:01:00+01:00",
                "StartTime": "2024-03-04T09:03:00.000Z",
                "EndTime": "2024-03-04T09:15:00.000Z",
                "Status": "Completed",
                "OwnerId": ANN,
                "ChatDuration": "720",
                "WaitTime": "120",
                "ContactId": CONTACT,
                "AccountId": None,
                "Body": body,
            },
            {
                "Id": lost,
                "CaseId": None,
                "ChatKey": "k-2",
                "RequestTime": "2024-03-04T12:00:00.000+0000",  # the API writes offsets so
                "StartTime": None,
                "EndTime": "2024-03-04T12:05:00.000Z",
                "Status": "Missed",
                "OwnerId": ROBOT,
                "ChatDuration": None,
                "WaitTime": "300",
                "ContactId": None,
                "AccountId": ACCOUNT,
                "Body": None,
            },
        ],
        "AgentWork.csv": [
            work(
                "0Bz3X00000W0004AAA",
                chat,
                ANN,
                CHATQ,
                "2024-03-04T09:03:00.000Z",
                RequestDateTime="2024-03-04T09:01:00.000Z",
                HandleTime="800",
            )
        ],
        "User.csv": [{"Id": ANN, "Name": "Ann Lee", "Department": "Care Tier 1"}],
        "Group.csv": [{"Id": CHATQ, "Name": "General chat", "Type": "Queue"}],
    }
    summary = read(engine, folder(tmp_path / "sf", files))
    rows = events(
        engine, "contact_id", "activity", "timestamp", "actor", "team", "queue", "outcome", "channel"
    )
    mine = [r for r in rows if r[0] == CASE_1]
    assert [r[1] for r in mine] == [
        "Case created",
        "Chat requested",
        "Agent work",
        "Chat started",
        "Chat ended",
        "Case closed",
    ]
    assert str(mine[1][2]) == "2024-03-04 09:01:00"  # +01:00 read as UTC
    assert mine[2][3:6] == ("Ann Lee", "Care Tier 1", "General chat")  # lookups: User and Group
    assert mine[-1][6] == "resolved" and {r[7] for r in mine} == {"chat"}
    assert [(r[1], str(r[2]), r[6], r[7]) for r in rows if r[0] == lost] == [
        ("Chat requested", "2024-03-04 12:00:00", None, "chat"),
        ("Chat missed", "2024-03-04 12:05:00", "abandoned", "chat"),
    ]
    assert {
        r["c"] for r in engine.rows(f"SELECT customer_id AS c FROM events WHERE contact_id = '{lost}'")
    } == {ACCOUNT}
    assert summary.records_read == 6


def test_statuses_decide_resolution_only_as_the_options_say(engine: Engine, tmp_path: Path):
    """``closed_statuses`` lists the resolved-like statuses; another closing status is passed on (mapped by
    ``outcome_values``); an Escalated status change, or IsEscalated alone, is an escalation."""
    files = {
        "Case.csv": [
            case(CASE_1, "2024-03-04T09:00:00.000Z", "2024-03-04T09:30:00.000Z", Status="Closed - Resolved"),
            case(
                CASE_2, "2024-03-04T10:00:00.000Z", "2024-03-04T10:30:00.000Z", Status="Closed - Unresolved"
            ),
            case(CASE_3, "2024-03-04T11:00:00.000Z", "2024-03-04T11:30:00.000Z", IsEscalated="true"),
        ],
        "CaseHistory.csv": [
            change(CASE_1, "2024-03-04T09:10:00.000Z", "Status", "New", "Escalated", ANN),
            change(CASE_1, "2024-03-04T09:12:00.000Z", "Priority", "Medium", "High", ANN),
        ],
    }
    path = folder(tmp_path / "sf", files)
    mapping = Mapping.from_dict(
        {
            "reader": NAME,
            "reader_options": {"closed_statuses": "Closed - Resolved, Resolved"},
            "outcome_values": {"Closed - Unresolved": "unresolved"},
        }
    )
    read(engine, path, mapping)
    rows = events(engine, "contact_id", "activity", "outcome")
    assert (CASE_1, "Status: Escalated", "escalated") in rows and (CASE_1, "Priority changed", None) in rows
    assert [(r[0], r[2]) for r in rows if r[1] == "Case closed"] == [
        (CASE_1, "resolved"),
        (CASE_2, "unresolved"),
        (CASE_3, "closed"),
    ]
    assert (CASE_3, "Case created", "escalated") in rows
    read(engine, path)  # default: only "Closed" is resolved
    closing = [r[2] for r in events(engine, "contact_id", "activity", "outcome") if r[1] == "Case closed"]
    assert closing == ["Closed - Resolved", "Closed - Unresolved", "resolved"]


def test_customer_is_the_contact_else_the_account_or_the_field_named(engine: Engine, tmp_path: Path):
    files = {
        "Case.csv": [
            case(CASE_1, "2024-03-04T09:00:00.000Z", SuppliedEmail="a@example.com"),
            case(CASE_2, "2024-03-04T10:00:00.000Z", ContactId=None, SuppliedEmail="b@example.com"),
        ]
    }
    path = folder(tmp_path / "sf", files)
    read(engine, path)
    assert events(engine, "contact_id", "customer_id") == [(CASE_1, CONTACT), (CASE_2, ACCOUNT)]
    read(
        engine,
        path,
        Mapping.from_dict({"reader": NAME, "reader_options": {"customer_field": "SuppliedEmail"}}),
    )
    assert events(engine, "contact_id", "customer_id") == [
        (CASE_1, "a@example.com"),
        (CASE_2, "b@example.com"),
    ]


def test_files_are_recognised_by_name_and_others_skipped(engine: Engine, tmp_path: Path):
    """Any case, a suffix after the object name (a split export); CaseComment, Account and hidden files are
    not read; a folder without any Salesforce file is an InputError."""
    root = folder(
        tmp_path / "export",
        {
            "case_2024-03.csv": TRANSFER["Case.csv"],
            "CASEHISTORY.csv": TRANSFER["CaseHistory.csv"],
            "agentwork-1.csv": TRANSFER["AgentWork.csv"][:1],
            "AgentWork-2.csv": TRANSFER["AgentWork.csv"][1:],
            "CaseComment.csv": [{"Id": "00a3X000001", "ParentId": CASE_1, "CommentBody": "x"}],
            "Account.csv": [{"Id": ACCOUNT, "Name": "Acme"}],
        },
    )
    (root / ".DS_Store").write_bytes(b"\x00\x01junk")
    summary = read(engine, root)
    assert summary.records_read == 14 and summary.rows_kept == 9
    assert detect(root) == NAME
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "Account.csv").write_text("Id,Name\n1,Acme\n")
    with pytest.raises(InputError, match="no Salesforce export files"):
        read(engine, tmp_path / "other")


def test_the_null_id_of_an_empty_lookup_is_no_customer(engine: Engine, tmp_path: Path):
    """Data Export writes 000000000000000AAA (15 characters: 000000000000000) for an empty lookup: read
    as empty, so two unrelated cases do not share a customer (a false repeat contact), and the account
    stands in for a null contact as for an empty one."""
    null = "000000000000000AAA"
    files = {
        "Case.csv": [
            case(CASE_1, "2024-03-04T09:00:00.000Z", ContactId=null, AccountId=null, OwnerId=null),
            case(CASE_2, "2024-03-04T10:00:00.000Z", ContactId=null[:15], AccountId=null[:15]),
            case(CASE_3, "2024-03-04T11:00:00.000Z", ContactId=null, AccountId=ACCOUNT),
        ]
    }
    read(engine, folder(tmp_path / "sf", files))
    assert events(engine, "contact_id", "customer_id") == [(CASE_1, None), (CASE_2, None), (CASE_3, ACCOUNT)]
    run = diagnose(tmp_path / "sf", read=ReadOptions(mapping=SF))
    assert run.metrics.overall["contacts"] == 3 and run.metrics.overall["journeys"] == 3


def test_deleted_records_are_left_out_and_counted(engine: Engine, tmp_path: Path):
    """Export All includes the recycle bin: a record with IsDeleted 1 or true is not read, and neither is
    the history, work or chat of a deleted case; no rejected row (no data fault), but counted by why in
    records_left_out, so nothing goes unsaid."""
    live = TRANSFER["CaseHistory.csv"][1:3]
    files = {
        "Case.csv": [
            case(CASE_1, "2024-03-04T09:00:00.000Z", "2024-03-04T09:20:00.000Z", IsDeleted="0"),
            case(CASE_2, "2024-03-04T10:00:00.000Z", IsDeleted="1"),
        ],
        "CaseHistory.csv": [
            *({**r, "IsDeleted": "false"} for r in live),
            change(CASE_1, "2024-03-04T09:05:00.000Z", "Priority", "Medium", "High") | {"IsDeleted": "true"},
            change(CASE_2, "2024-03-04T10:01:00.000Z", "Status", "New", "Working") | {"IsDeleted": "false"},
        ],
        "AgentWork.csv": [work("0Bz3X00000W0009AAA", CASE_2, ANN, BILLING, "2024-03-04T10:02:00.000Z")],
    }
    summary = read(engine, folder(tmp_path / "sf", files))
    assert {r[0] for r in events(engine, "contact_id")} == {CASE_1}
    assert summary.rows_rejected == 0
    # the deleted case and the history row flagged deleted; the deleted case's history and work
    assert summary.records_left_out == {"deleted_record": 2, "of_deleted_record": 2}
    assert summary.rows_read == summary.rows_kept + summary.duplicates_dropped


def test_field_names_are_matched_without_case(engine: Engine, tmp_path: Path):
    """Data Loader may write the header in capitals (ID,CASENUMBER,CONTACTID...): the rows are read as
    with API names, and the export is still recognised."""
    upper = {k.upper(): v for k, v in TRANSFER["Case.csv"][0].items()}
    files = {"Case.csv": [upper], "CaseHistory.csv": TRANSFER["CaseHistory.csv"]}
    summary = read(engine, folder(tmp_path / "sf", files))
    assert summary.rows_rejected == 0
    rows = events(engine, "contact_id", "customer_id", "channel", "activity", "outcome")
    assert {r[:3] for r in rows} == {(CASE_1, CONTACT, "phone")}
    assert rows[-1][3:] == ("Case closed", "resolved")
    assert detect(tmp_path / "sf") == NAME
    everything = {name: [{k.upper(): v for k, v in r.items()} for r in rs] for name, rs in files.items()}
    assert detect(folder(tmp_path / "upper", everything)) == NAME


def test_split_files_need_a_separator_and_the_files_not_read_are_named(engine: Engine, tmp_path: Path):
    """CaseHistory2 is another object (Id, CaseId, Status, PreviousUpdate): not read as CaseHistory; nor a
    custom object (Case_Survey__c) or a CaseHistory file without Field and NewValue; ``unread`` names each
    file skipped, with why."""
    root = folder(
        tmp_path / "sf",
        {
            "Case.csv": TRANSFER["Case.csv"],
            "CaseHistory_1.csv": TRANSFER["CaseHistory.csv"],
            "CaseHistory2.csv": [
                {"Id": "01X3X0000001AAA", "CaseId": CASE_1, "OwnerId": ANN, "Status": "Working",
                 "PreviousUpdate": None, "LastModifiedDate": "2024-03-04T09:03:00.000Z"},
            ],
            "Case_Survey__c.csv": [{"Id": "a003X0000001AAA", "CreatedDate": "2024-03-04T12:00:00.000Z"}],
            "CaseHistory_old.csv": [{"Id": "0173X0000999AAA", "CaseId": CASE_1, "Status": "Working"}],
        },
    )  # fmt: skip
    summary = read(engine, root)
    # the file named like a history but without its fields: its row counted, never read silently
    assert summary.records_read == 1 + 11 + 1 and summary.rows_kept == 7
    assert summary.records_left_out == {"CaseHistory_old.csv: no Field, NewValue in its header": 1}
    assert unread(root) == [
        "CaseHistory2.csv: not an object read",
        "CaseHistory_old.csv: no Field, NewValue in its header",
        "Case_Survey__c.csv: not an object read",
    ]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "CaseHistory_old.csv").write_text("Id,CaseId,Status\n1,2,3\n")
    with pytest.raises(InputError, match=r"skipped CaseHistory_old\.csv: no Field, NewValue"):
        read(engine, tmp_path / "other")


def test_messaging_sessions_are_read_as_chats(engine: Engine, tmp_path: Path):
    """Enhanced Messaging's MessagingSession (Live Chat's successor) joins its case like a chat transcript:
    requested at StartTime, started when an agent accepted it (AcceptTime, its owner), ended at EndTime;
    Omni-Channel work may name the session. One without a case is a contact of its own (customer: its
    contact, else the messaging end user); one no agent accepted is missed, abandoned, unless a bot had it."""
    session, lost, bot = "0Mw3X00000Ses01AAA", "0Mw3X00000Ses02AAA", "0Mw3X00000Ses03AAA"
    end_user = "0PA3X00000End01AAA"

    def messaging(sid: str, case_id: str | None, start: str, accept: str | None, end: str, **more: Any):
        row = {"Id": sid, "CaseId": case_id, "OwnerId": ANN, "Status": "Ended", "Origin": "InboundInitiated"}
        row |= {"ChannelType": "WhatsApp", "AgentType": "User", "MessagingEndUserId": end_user}
        return row | {"StartTime": start, "AcceptTime": accept, "EndTime": end} | more

    files = {
        "Case.csv": [
            case(CASE_1, "2024-03-04T09:00:00.000Z", "2024-03-04T09:15:00.000Z", Origin="Messaging")
        ],
        "MessagingSession.csv": [
            messaging(session, CASE_1, T(9, 0, 5), T(9, 1), T(9, 14)),
            messaging(lost, None, T(12, 0), None, T(12, 5)),
            messaging(bot, None, T(13, 0), None, T(13, 2), AgentType="Bot", ContactId=CONTACT),
        ],
        "AgentWork.csv": [work("0Bz3X00000W0005AAA", session, ANN, CHATQ, T(9, 1), HandleTime="780")],
        "User.csv": [{"Id": ANN, "Name": "Ann Lee", "Department": "Care Tier 1"}],
    }
    summary = read(engine, folder(tmp_path / "sf", files))
    assert summary.rows_rejected == 0
    rows = events(
        engine, "contact_id", "activity", "actor", "actor_type", "outcome", "channel", "customer_id"
    )
    assert [r[1:5] for r in rows if r[0] == CASE_1] == [
        ("Case created", None, "system", None),
        ("Chat requested", None, "customer", None),
        ("Agent work", "Ann Lee", "agent", None),
        ("Chat started", "Ann Lee", "agent", None),
        ("Chat ended", None, "system", None),
        ("Case closed", None, "system", "resolved"),
    ]
    assert [r[1:] for r in rows if r[0] == lost] == [
        ("Chat requested", None, "customer", None, "chat", end_user),
        ("Chat missed", None, "customer", "abandoned", "chat", end_user),
    ]
    assert [r[1:] for r in rows if r[0] == bot] == [
        ("Chat requested", None, "customer", None, "chat", CONTACT),
        ("Chat ended", None, "bot", None, "chat", CONTACT),
    ]
    assert {r[0] for r in events(engine, "MessagingSession.ChannelType", contact=lost)} == {"WhatsApp"}


def T(hour: int, minute: int, second: int = 0) -> str:
    return f"2024-03-04T{hour:02d}:{minute:02d}:{second:02d}.000Z"


def test_a_case_exported_twice_keeps_its_latest_copy(engine: Engine, tmp_path: Path):
    """Two overlapping extracts: per Id the copy with the later LastModifiedDate wins; the older copy's
    events are counted as duplicates."""
    newer = case(
        CASE_1,
        "2024-03-04T09:00:00.000Z",
        "2024-03-04T09:20:00.000Z",
        LastModifiedDate="2024-03-04T09:20:00.000Z",
    )
    older = case(CASE_1, "2024-03-04T09:00:00.000Z", LastModifiedDate="2024-03-04T09:05:00.000Z")
    summary = read(engine, folder(tmp_path / "sf", {"Case.csv": [newer, older]}))
    assert summary.records_read == 2 and summary.duplicates_dropped == 1 and summary.rows_kept == 2
    assert [r[0] for r in events(engine, "activity")] == ["Case created", "Case closed"]


def test_malformed_rows_are_rejected_with_their_file_and_line(engine: Engine, tmp_path: Path):
    """A row that does not split into the header's fields is malformed_row (file and line in its value);
    a history row without CaseId, a case without CreatedDate or with an unreadable one: one rejected row
    each; the good rows are read."""
    root = folder(
        tmp_path / "sf",
        {
            "Case.csv": [
                case(CASE_1, "2024-03-04T09:00:00.000Z"),
                case(CASE_2, ""),
                case(CASE_3, "yesterday at noon"),
            ],
            "CaseHistory.csv": [change(None, "2024-03-04T09:05:00.000Z", "Status", "New", "Working")],  # type: ignore[arg-type]
        },
    )
    with (root / "Case.csv").open("a", encoding="utf-8") as f:
        f.write('"5003X00001AbCdHQAV","0000HQ","2024-03-04T12:00:00.000Z","extra","fields",\r\n')
    summary = read(engine, root)
    assert summary.records_read == 5 and summary.rows_kept == 1
    assert summary.rejected_by_reason == {
        "bad_timestamp": 1,
        "malformed_row": 1,
        "missing_contact_id": 1,
        "missing_timestamp": 1,
    }
    rejected = engine.rows("SELECT value FROM rejected WHERE reason = 'malformed_row'")
    assert rejected[0]["value"].startswith('Case.csv line 5: "5003X00001AbCdHQAV"')


def test_an_unknown_reader_option_is_a_config_error(engine: Engine, tmp_path: Path):
    path = folder(tmp_path / "sf", TRANSFER)
    with pytest.raises(ConfigError, match=r"unknown reader_options.*closed_statuses"):
        read(engine, path, Mapping.from_dict({"reader": NAME, "reader_options": {"resolved": "Closed"}}))


def test_diagnose_reads_a_salesforce_folder_from_the_cli(tmp_path: Path):
    path = folder(tmp_path / "salesforce", TRANSFER)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["diagnose", str(path), "--mapping", NAME, "--out", str(out), "--quiet"])
    assert result.exit_code == EXIT_OK, result.output
    doc = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    assert doc["input"]["records_read"] == 14 and doc["input"]["rows_kept"] == 9
    assert doc["metrics"]["overall"]["contacts"] == 1 and doc["metrics"]["overall"]["transfer_rate"] == 1.0


# --- the simulator's round trip ---------------------------------------------------------------------------
ROUND_TRIP = Mapping.from_dict({"reader": NAME, "outcome_values": {"Closed - Unresolved": "unresolved"}})
COMPARED = ("contacts", "journeys", "transfer_rate", "abandonment_rate", "escalation_rate", "fcr")


@pytest.fixture(scope="module")
def simulated():
    return simulate(load_scenario("default"), seed=7, days=7, customers=1500)


def _routed(events: pa.Table) -> pa.Table:
    """The canonical log restricted to what a CRM holds: the contacts routed to a queue (all channels)."""
    routed = pc.and_(pc.equal(events["actor_type"], "system"), pc.is_valid(events["queue"]))
    ids = pc.unique(pc.filter(events["contact_id"], routed))
    return events.filter(pc.is_in(events["contact_id"], value_set=ids))


def test_the_export_has_salesforce_shape_and_its_awkward_cases(simulated, tmp_path: Path):
    path = tmp_path / "salesforce"
    n = write(simulated.events, path)
    names = sorted(p.name for p in path.iterdir())
    assert names == [
        "AgentWork.csv",
        "Case.csv",
        "CaseHistory.csv",
        "Group.csv",
        "LiveChatTranscript.csv",
        "User.csv",
    ]
    out = export(simulated.events)
    rows = sum(
        len(list(csv.reader(p.read_text(encoding="utf-8").splitlines(keepends=True)))) - 1
        for p in path.iterdir()
    )
    assert n == rows > len(out.cases) > 0  # every record written is counted, lookups included
    assert {c["Origin"] for c in out.cases} == {"Phone", "Chat", "Email", "Internal"}
    assert {w["Status"] for w in out.work} == {"Closed", "Transferred", "Declined"}
    assert {c["Status"] for c in out.chats} == {"Completed", "Missed"}
    assert any(w["WorkItemId"].startswith("570") for w in out.work)  # chat work names the transcript
    owner_rows = [h for h in out.history if h["Field"] == "ownerAccepted"]
    assert len(owner_rows) % 2 == 0 and owner_rows[0]["NewValue"].startswith("005")  # id row, then names
    text = (path / "Case.csv").read_text(encoding="utf-8")
    assert text.startswith('"Id","CaseNumber","CreatedDate"') and ".000Z" in text
    with (path / "LiveChatTranscript.csv").open(encoding="utf-8", newline="") as f:
        bodies = [r["Body"] for r in csv.DictReader(f) if r["Body"]]
    assert bodies and all("\n" in b and '"order"' in b for b in bodies)


def test_the_salesforce_export_diagnoses_like_the_canonical_log(simulated, tmp_path: Path):
    """Same contacts, journeys, transfers, abandons, escalations and FCR as the canonical log's routed
    contacts (a 2-day repeat window, so a 7-day log has uncensored journeys), and the same top two
    breakdowns (code and team). Containment, bot and IVR steps and surveys are not in the export, so the
    flow, self-service measures and handle time of self-service are not compared; activities are
    Salesforce's own (``Agent work``, not ``Agent handling``), so breakdowns are compared by code and team."""
    path = tmp_path / "salesforce"
    write(simulated.events, path)
    analysis = AnalysisOptions(window_days=2)
    sf_run = diagnose(path, read=ReadOptions(mapping=ROUND_TRIP), analysis=analysis)
    canonical = diagnose(_routed(simulated.events), analysis=analysis)
    got = {k: sf_run.metrics.overall[k] for k in COMPARED}
    want = {k: canonical.metrics.overall[k] for k in COMPARED}
    assert got["fcr"] is not None and got["transfer_rate"] > 0 and got["abandonment_rate"] > 0
    assert got["escalation_rate"] > 0
    assert got == pytest.approx(want, abs=0.01)
    top = [(b["code"], b["where"].get("team")) for b in sf_run.breakdowns[:2]]
    assert top == [(b["code"], b["where"].get("team")) for b in canonical.breakdowns[:2]]
    assert sf_run.input.rows_rejected == 0 and sf_run.input.duplicates_dropped > 0


def test_cxray_simulate_writes_a_salesforce_folder(tmp_path: Path):
    result = CliRunner().invoke(
        app, ["simulate", "--out", str(tmp_path), "--format", NAME, "--days", "2", "--customers", "400"]
    )
    assert result.exit_code == EXIT_OK, result.output
    text = (tmp_path / "salesforce" / "Case.csv").read_text(encoding="utf-8")
    cases = list(csv.DictReader(text.splitlines()))
    assert cases and all(c["Id"].startswith("500") for c in cases)
    assert detect(tmp_path / "salesforce") == NAME
