"""Zendesk tickets and ticket audits, written from Zendesk's Tickets, Incremental Export and Ticket Audits
references (https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_audits/ and the Ticket Audit
events reference); the simulator's round trip."""

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
from cxray.simulate.export_zendesk import DISPOSITION_FIELD, REASON_FIELD, write

ZENDESK = Mapping.resolve("zendesk")
assert ZENDESK is not None
REQUESTER, ANN, BOB, SYSTEM = 7881, 135, 136, -1


def ticket(tid: int | None, created: str, updated: str, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "created_at": created,
        "updated_at": updated,
        "status": "open",
        "via": {"channel": "email", "source": {"from": {}, "to": {}, "rel": None}},
        "requester_id": REQUESTER,
        "submitter_id": REQUESTER,
        "subject": "My order",
        "tags": [],
        "custom_fields": [],
    }
    if tid is not None:
        out["id"] = tid
    return out | fields


def audit(aid: int, tid: int | None, at: str | None, author: int, *events: dict[str, Any], via: str = "web"):
    out: dict[str, Any] = {"id": aid, "author_id": author, "via": {"channel": via}, "events": list(events)}
    if tid is not None:
        out["ticket_id"] = tid
    if at is not None:
        out["created_at"] = at
    return out


def create(field: str, value: Any) -> dict[str, Any]:
    return {"type": "Create", "field_name": field, "value": value}


def change(field: str, value: Any, previous: Any) -> dict[str, Any]:
    return {"type": "Change", "field_name": field, "value": value, "previous_value": previous}


def comment(author: int, public: bool = True) -> dict[str, Any]:
    return {"type": "Comment", "author_id": author, "public": public, "body": "...", "attachments": []}


# An email ticket: created by the requester, routed to Billing, taken by ann, answered, reopened by the
# customer, transferred to Payments, taken by bob, solved, rated, closed four days later by an automation.
EMAIL = [
    audit(1, 42, "2024-03-04T09:00:00Z", REQUESTER,
          create("requester_id", str(REQUESTER)), create("status", "new"), create("subject", "My order"),
          create("360001", "billing_question"), comment(REQUESTER), via="email"),
    audit(2, 42, "2024-03-04T09:00:05Z", SYSTEM, change("group_id", "11", None), via="rule"),
    audit(3, 42, "2024-03-04T10:00:00Z", ANN, change("assignee_id", str(ANN), None),
          change("status", "open", "new"), comment(ANN)),
    audit(4, 42, "2024-03-04T10:05:00Z", ANN, change("status", "solved", "open")),
    audit(5, 42, "2024-03-05T08:00:00+01:00", REQUESTER, comment(REQUESTER),
          change("status", "open", "solved"), via="email"),
    audit(6, 42, "2024-03-05T09:00:00Z", ANN, comment(ANN, public=False), change("group_id", "12", "11"),
          change("assignee_id", str(BOB), str(ANN))),
    audit(7, 42, "2024-03-05T09:30:00Z", BOB, comment(BOB), change("status", "solved", "open")),
    audit(8, 42, "2024-03-05T12:00:00Z", REQUESTER,
          {"type": "SatisfactionRating", "score": "bad", "assignee_id": BOB, "body": "Took two tries"}),
    audit(9, 42, "2024-03-09T09:30:00Z", SYSTEM, change("status", "closed", "solved"), via="rule"),
]  # fmt: skip
GROUPS = {"groups": [{"id": 11, "name": "Billing"}, {"id": 12, "name": "Payments"}]}


def write_json(path: Path, values: list[Any], *, gz: bool = False, lines: bool = True) -> Path:
    sep = "\n" if lines else ""
    text = sep.join(v if isinstance(v, str) else json.dumps(v) for v in values) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


def read(engine: Engine, path: Path, mapping: Mapping = ZENDESK) -> InputSummary:
    summary = read_events([path], engine, options=ReadOptions(mapping=mapping))
    assert balanced(summary)
    return summary


def mapping(**options: str) -> Mapping:
    return Mapping.from_dict({"reader": "zendesk", "reader_options": options})


def events(engine: Engine, *columns: str) -> list[tuple]:
    cols = ", ".join(f'"{c}"' for c in columns)
    return [
        tuple(r.values()) for r in engine.rows(f"SELECT {cols} FROM events ORDER BY timestamp, source_row")
    ]


def test_an_email_ticket_reads_as_one_contact_with_its_audit_trail(engine: Engine, tmp_path: Path):
    """Create, routing, assignment, replies, a reopen, a transfer, a solve and a rating: one contact in
    audit order; the description is part of the creation; the automatic close is no event."""
    folder = tmp_path / "zendesk"
    write_json(folder / "ticket_audits.json", [{"audits": EMAIL[:5]}, {"audits": EMAIL[5:]}])
    write_json(folder / "groups.json", [GROUPS])
    summary = read(engine, folder, mapping(reason_field="360001"))
    assert summary.records_read == 9 and summary.rows_rejected == 0
    rows = events(engine, "contact_id", "activity", "queue", "actor", "actor_type", "outcome")
    assert {r[0] for r in rows} == {"42"}
    assert [r[1] for r in rows] == [
        "Ticket created", "Group assigned", "Assigned", "Agent replied", "Status: solved",
        "Customer replied", "Reopened", "Internal note", "Transfer", "Reassigned",
        "Agent replied", "Status: solved", "Satisfaction rating",
    ]  # fmt: skip
    assert [(r[1], r[5]) for r in rows if r[5]] == [
        ("Status: solved", "resolved"), ("Reopened", "unresolved"), ("Transfer", "transferred"),
        ("Status: solved", "resolved"),
    ]  # fmt: skip
    assert [r[2] for r in rows][:3] == [None, "Billing", "Billing"] and rows[-2][2] == "Payments"
    assert ("Customer replied", str(REQUESTER), "customer") in {r[1:2] + r[3:5] for r in rows}
    assert ("Reassigned", str(BOB), "agent") in {r[1:2] + r[3:5] for r in rows}
    info = events(engine, "customer_id", "channel", "reason")
    assert set(info) == {(str(REQUESTER), "email", "billing_question")}
    survey = engine.rows(
        "SELECT survey_score, survey_type, verbatim FROM events WHERE survey_score IS NOT NULL"
    )
    assert survey == [{"survey_score": "1", "survey_type": "csat", "verbatim": "Took two tries"}]
    # the +01:00 offset is converted: the customer's reply is at 07:00 UTC, before ann's note at 09:00
    assert (
        engine.scalar("SELECT strftime(timestamp, '%H:%M') FROM events WHERE activity = 'Reopened'")
        == "07:00"
    )


def test_ticket_records_give_channel_customer_and_reason_and_the_latest_copy_wins(
    engine: Engine, tmp_path: Path
):
    """The incremental export may repeat a ticket: the copy with the latest updated_at is kept, wherever it
    is; the ticket's via.channel, requester and custom fields are read; without audits a ticket gives its
    creation and its current status."""
    newer = ticket(
        7,
        "2024-03-04T09:00:00Z",
        "2024-03-04T11:00:00Z",
        status="solved",
        assignee_id=ANN,
        via={"channel": "web"},
        custom_fields=[{"id": 360001, "value": "delivery"}],
        tags=["vip"],
    )
    older = ticket(7, "2024-03-04T09:00:00Z", "2024-03-04T09:00:00Z", status="new", via={"channel": "web"})
    folder = tmp_path / "export"
    write_json(folder / "tickets.json", [{"tickets": [newer]}, {"tickets": [older], "end_of_stream": True}])
    summary = read(engine, folder, mapping(reason_field="360001"))
    assert summary.records_read == 2 and summary.duplicates_dropped == 1  # the older copy's creation
    rows = events(engine, "contact_id", "activity", "outcome", "channel", "reason", "tags", "actor")
    assert rows == [
        ("7", "Ticket created", None, "web", "delivery", "vip", str(REQUESTER)),
        ("7", "Status: solved", "resolved", "web", "delivery", "vip", str(ANN)),
    ]


def test_an_audit_delivered_twice_is_read_once(engine: Engine, tmp_path: Path):
    path = write_json(tmp_path / "audits.jsonl", [*EMAIL[:4], EMAIL[3]])
    summary = read(engine, path)
    assert summary.records_read == 5 and summary.duplicates_dropped == 1
    assert [r[0] for r in events(engine, "activity")].count("Status: solved") == 1


def test_an_unanswered_chat_solved_by_a_trigger_is_abandoned_not_resolved(engine: Engine, tmp_path: Path):
    """Zendesk's recipe solves abandoned messaging tickets with a trigger: solved, but never answered."""
    chat = [
        audit(1, 5, "2024-03-04T09:00:00Z", REQUESTER, create("status", "new"),
              create("requester_id", str(REQUESTER)), comment(REQUESTER), via="native_messaging"),
        audit(2, 5, "2024-03-04T09:00:10Z", SYSTEM, change("group_id", "11", None), via="rule"),
        audit(3, 5, "2024-03-04T09:06:00Z", SYSTEM, change("status", "solved", "new"),
              change("tags", ["abandoned_conversation"], []), via="rule"),
    ]  # fmt: skip
    # an email solved by an agent without a reply is still solved: Zendesk says so
    email = [
        audit(
            4, 6, "2024-03-04T10:00:00Z", REQUESTER, create("status", "new"), comment(REQUESTER), via="email"
        ),
        audit(5, 6, "2024-03-04T10:30:00Z", ANN, change("status", "solved", "new")),
    ]
    read(engine, write_json(tmp_path / "audits.json", [{"audits": chat + email}]))
    rows = events(engine, "contact_id", "activity", "outcome", "channel", "actor_type")
    assert ("5", "Status: solved", "abandoned", "chat", "system") in rows
    assert ("6", "Status: solved", "resolved", "email", "agent") in rows


def test_the_outcome_field_and_tag_prefixes_give_dispositions_and_reasons(engine: Engine, tmp_path: Path):
    trail = [
        audit(1, 9, "2024-03-04T09:00:00Z", REQUESTER, create("status", "new"),
              create("tags", ["reason_refund"]), comment(REQUESTER), via="web"),
        audit(2, 9, "2024-03-04T09:10:00Z", ANN, change("assignee_id", str(ANN), None),
              change("tags", ["reason_refund", "outcome_escalated"], ["reason_refund"]), comment(ANN)),
    ]  # fmt: skip
    read(engine, write_json(tmp_path / "a.json", [{"audits": trail}]), mapping(reason_field="reason_",
         outcome_field="outcome_"))  # fmt: skip
    rows = events(engine, "activity", "outcome", "reason")
    assert ("Disposition: escalated", "escalated", "refund") in rows
    assert {r[2] for r in rows} == {"refund"}


def test_users_lookup_names_actors_and_says_who_is_a_customer(engine: Engine, tmp_path: Path):
    users = {"users": [{"id": ANN, "name": "Ann Agent", "role": "agent"},
                       {"id": 999, "name": "Cc Person", "role": "end-user"}]}  # fmt: skip
    trail = [*EMAIL[:3], audit(10, 42, "2024-03-04T10:02:00Z", 999, comment(999), via="email")]
    folder = tmp_path / "z"
    write_json(folder / "ticket_audits.json", [{"audits": trail}])
    lookup = write_json(tmp_path / "people.json", [users])
    read(engine, folder, mapping(users=str(lookup)))
    rows = events(engine, "activity", "actor", "actor_type")
    assert ("Assigned", "Ann Agent", "agent") in rows and (
        "Customer replied",
        "Cc Person",
        "customer",
    ) in rows
    assert ("Group assigned", "Zendesk", "system") in rows


@pytest.mark.parametrize(("name", "gz", "lines"), [("a.json", False, True), ("a.json.gz", True, True),
                                                   ("pages-no-suffix", True, False)])  # fmt: skip
def test_pages_json_lines_and_gzip_read_the_same(engine: Engine, tmp_path: Path, name, gz, lines):
    values = [{"audits": EMAIL[:4]}, {"audits": EMAIL[4:]}] if lines else [{"audits": EMAIL}]
    summary = read(engine, write_json(tmp_path / name, values, gz=gz, lines=lines))
    assert (summary.records_read, summary.rows_kept, summary.rows_rejected) == (9, 13, 0)


def test_malformed_records_are_rejected_with_their_reason(engine: Engine, tmp_path: Path):
    """Not JSON: malformed_row; an audit without ticket_id, or a ticket without an id, one row
    missing_contact_id; an audit without created_at missing_timestamp, an unreadable one bad_timestamp."""
    no_ticket = audit(20, None, "2024-03-04T09:00:00Z", ANN, comment(ANN))
    no_time = audit(21, 42, None, ANN, comment(ANN))
    bad_time = audit(22, 42, "last tuesday", ANN, comment(ANN))
    no_id = ticket(None, "2024-03-04T09:00:00Z", "2024-03-04T09:00:00Z")
    path = write_json(
        tmp_path / "mixed.jsonl", [*EMAIL[:4], '{"id": 23, "ticket_id": 42, "events": [', no_ticket, no_time,
                                   bad_time, no_id]
    )  # fmt: skip
    summary = read(engine, path)
    assert summary.records_read == 9 and summary.rows_kept == 5
    assert summary.rejected_by_reason == {
        "bad_timestamp": 1, "malformed_row": 1, "missing_contact_id": 2, "missing_timestamp": 1,
    }  # fmt: skip


def test_an_unknown_reader_option_a_missing_lookup_or_an_empty_folder_is_an_error(engine: Engine, tmp_path):
    path = write_json(tmp_path / "a.json", [{"audits": EMAIL}])
    with pytest.raises(ConfigError, match="unknown reader_options"):
        read(engine, path, mapping(reason_attribute="x"))
    with pytest.raises(ConfigError, match="does not exist"):
        read(engine, path, mapping(groups=str(tmp_path / "nope.json")))
    with pytest.raises(InputError, match="no readable"):
        read(engine, write_json(tmp_path / "junk.json", ["not json"]))


def test_diagnose_reads_a_zendesk_folder_from_the_cli(tmp_path: Path):
    folder = tmp_path / "zendesk"
    write_json(folder / "ticket_audits.json.gz", [{"audits": EMAIL}], gz=True)
    write_json(folder / "groups.json", [GROUPS])
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["diagnose", str(folder), "--mapping", "zendesk", "--out", str(out), "--quiet"]
    )
    assert result.exit_code == EXIT_OK, result.output
    doc = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    assert doc["input"]["records_read"] == 9 and doc["input"]["rows_kept"] == 13
    assert doc["metrics"]["overall"]["contacts"] == 1 and doc["metrics"]["overall"]["transfer_rate"] == 1.0


# --- ratings, ticket events, sideloads, deleted / merged / sample tickets ----------------------------------
def rating(rid: int, tid: int | None, score: str, at: str, comment: str | None = None) -> dict[str, Any]:
    """A satisfaction rating record, as List Satisfaction Ratings and the taps' streams give it."""
    out: dict[str, Any] = {
        "id": rid, "requester_id": REQUESTER, "assignee_id": BOB, "group_id": 12, "score": score,
        "comment": comment, "created_at": at, "updated_at": at,
        "url": f"https://example.zendesk.com/api/v2/satisfaction_ratings/{rid}.json",
    }  # fmt: skip
    return out if tid is None else out | {"ticket_id": tid}


def test_a_rating_recorded_as_field_changes_gives_one_rating_event(engine: Engine, tmp_path: Path):
    """The offer (unoffered -> offered, by the automation) is no answer; offered -> bad is, with the text
    of the satisfaction_comment Change of the same audit as its verbatim."""
    trail = [
        *EMAIL[:4],
        audit(30, 42, "2024-03-05T09:00:00Z", SYSTEM, {"type": "Notification", "subject": "Rate us"},
              change("satisfaction_score", "offered", "unoffered"), via="rule"),
        audit(31, 42, "2024-03-05T12:00:00Z", REQUESTER, change("satisfaction_score", "bad", "offered"),
              change("satisfaction_comment", "Nobody helped", None)),
    ]  # fmt: skip
    read(engine, write_json(tmp_path / "a.json", [{"audits": trail}]))
    rated = engine.rows(
        "SELECT activity, actor_type, survey_score, survey_type, verbatim FROM events "
        "WHERE activity = 'Satisfaction rating'"
    )
    assert rated == [
        {"activity": "Satisfaction rating", "actor_type": "customer", "survey_score": "1",
         "survey_type": "csat", "verbatim": "Nobody helped"}
    ]  # fmt: skip


def test_rating_records_attach_to_their_ticket_and_are_never_a_contact(engine: Engine, tmp_path: Path):
    """A rating record (JSON Lines, or a satisfaction_ratings page) is its ticket's rating event; one that
    names no ticket is rejected missing_contact_id; one that repeats a rating the audits carry is a
    duplicate; an offered one gives no event."""
    folder = tmp_path / "z"
    write_json(folder / "ticket_audits.json", [{"audits": EMAIL[:7]}, {"audits": [EMAIL[8]]}])
    write_json(
        folder / "satisfaction_ratings.jsonl",
        [
            rating(501, 42, "good", "2024-03-05T12:00:00Z", "Fixed"),
            rating(502, None, "bad", "2024-03-06T10:00:00Z"),
        ],
    )
    page = {
        "satisfaction_ratings": [
            rating(503, 43, "bad", "2024-03-06T11:00:00Z", "Slow"),
            rating(504, 44, "offered", "2024-03-06T11:00:00Z"),
        ],
        "next_page": None,
    }
    write_json(folder / "ratings_page.json", [page])
    summary = read(engine, folder)
    assert summary.records_read == 12 and summary.rejected_by_reason == {"missing_contact_id": 1}
    rows = events(engine, "contact_id", "activity", "customer_id", "survey_score", "verbatim", "queue")
    assert ("42", "Satisfaction rating", str(REQUESTER), "5", "Fixed", "12") in rows
    assert ("43", "Satisfaction rating", str(REQUESTER), "1", "Slow", "12") in rows
    assert {r[0] for r in rows} == {"42", "43"}  # no contact 501, 503 or 504
    # the same rating in an audit: the record is the same answer again, counted as a duplicate
    engine.execute("DROP TABLE IF EXISTS events")
    both = tmp_path / "both"
    write_json(both / "ticket_audits.json", [{"audits": EMAIL}])
    write_json(both / "ratings.jsonl", [rating(505, 42, "bad", "2024-03-05T12:00:00Z", "Took two tries")])
    summary = read(engine, both)
    assert summary.duplicates_dropped == 1
    assert [r[0] for r in events(engine, "activity")].count("Satisfaction rating") == 1


def test_incremental_ticket_events_read_as_the_audits_they_are(engine: Engine, tmp_path: Path):
    """A ticket_events page (and the same events as JSON Lines): each event is its ticket's audit, its
    updater the author, its epoch-seconds timestamp the time, its via name the channel; child events
    name the field they change as a key (or, with comment_events, are audit events already)."""
    created = {
        "id": 70, "ticket_id": 77, "timestamp": 1709542800, "updater_id": REQUESTER, "via": "Mail",
        "event_type": "Audit",
        "child_events": [
            {"id": 701, "via": "Mail", "via_reference_id": None, "comment_present": True,
             "comment_public": True, "event_type": "Comment"},
            {"id": 702, "via": "Mail", "via_reference_id": None, "status": "new", "event_type": "Create"},
            {"id": 703, "via": "Mail", "via_reference_id": None, "requester_id": REQUESTER,
             "event_type": "Create"},
        ],
    }  # fmt: skip
    answered = {
        "id": 71, "ticket_id": 77, "timestamp": 1709546400, "created_at": "2024-03-04T10:00:00Z",
        "updater_id": ANN, "via": "Web form", "event_type": "Audit",
        "child_events": [
            {"id": 711, "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
             "type": "Comment", "author_id": ANN, "body": "Done", "public": True, "event_type": "Comment"},
            {"id": 712, "via": "Web form", "via_reference_id": None, "assignee_id": ANN,
             "previous_value": None, "event_type": "Change"},
            {"id": 713, "via": "Web form", "via_reference_id": None, "status": "solved",
             "previous_value": "new", "event_type": "Change"},
            {"id": 714, "via": "Web form", "satisfaction_score": "good", "previous_value": "offered",
             "event_type": "Change"},
        ],
    }  # fmt: skip
    page = {"ticket_events": [created, answered], "count": 2, "end_of_stream": True, "end_time": 1709546400}
    for name, values in (("events.json", [page]), ("events.jsonl", [created, answered])):
        summary = read(engine, write_json(tmp_path / name, values))
        assert summary.records_read == 2 and summary.rows_rejected == 0
        rows = events(engine, "contact_id", "timestamp", "activity", "channel", "actor", "outcome")
        assert [r[2] for r in rows] == [
            "Ticket created", "Agent replied", "Assigned", "Status: solved", "Satisfaction rating"
        ]  # fmt: skip
        assert {(r[0], r[3]) for r in rows} == {("77", "email")}
        assert str(rows[0][1]) == "2024-03-04 09:00:00" and rows[0][4] == str(REQUESTER)
        assert ("Status: solved", str(ANN), "resolved") in {r[2:3] + r[4:] for r in rows}
        engine.execute("DROP TABLE IF EXISTS events")
    # an event that names no ticket is rejected, not read as a ticket
    orphan = {k: v for k, v in answered.items() if k != "ticket_id"}
    summary = read(engine, write_json(tmp_path / "orphan.jsonl", [created, orphan]))
    assert summary.rejected_by_reason == {"missing_contact_id": 1}
    assert {r[0] for r in events(engine, "contact_id")} == {"77"}


def test_a_page_with_audits_and_sideloads_reads_every_array(engine: Engine, tmp_path: Path):
    """include=tickets,users: the audits, the ticket and the users of one page are all read, the users as
    the lookup that names actors."""
    page = {
        "audits": EMAIL[:4],
        "tickets": [ticket(42, "2024-03-04T09:00:00Z", "2024-03-04T10:05:00Z", status="solved")],
        "users": [{"id": ANN, "name": "Ann Agent", "role": "agent"}],
        "next_page": None, "previous_page": None, "count": 4,
    }  # fmt: skip
    summary = read(engine, write_json(tmp_path / "page.json", [page]))
    assert summary.records_read == 5  # 4 audits + 1 ticket; the users are a lookup
    rows = events(engine, "activity", "actor", "subject")
    assert ("Status: solved", "Ann Agent", "My order") in rows
    assert len(rows) == 5


def test_deleted_and_sample_tickets_are_left_out_and_counted_as_read(engine: Engine, tmp_path: Path):
    """Deleted tickets (status deleted in the incremental export) and Zendesk's sample ticket are no
    customer's contact: read (records_read), no event, and their audits none either."""
    deleted = ticket(8, "2024-03-04T09:00:00Z", "2024-03-05T09:00:00Z", status="deleted")
    sample = ticket(1, "2024-03-01T09:00:00Z", "2024-03-01T09:00:00Z", via={"channel": "sample_ticket"})
    kept = ticket(9, "2024-03-04T09:00:00Z", "2024-03-04T09:00:00Z", status="new")
    folder = tmp_path / "z"
    write_json(folder / "tickets.json", [{"tickets": [deleted, sample, kept], "end_of_stream": True}])
    write_json(
        folder / "audits.jsonl", [audit(80, 8, "2024-03-04T09:00:00Z", REQUESTER, create("status", "new"))]
    )
    summary = read(engine, folder)
    assert summary.records_read == 4 and summary.rows_kept == 1 and summary.rows_rejected == 0
    assert summary.records_left_out == {"deleted_ticket": 1, "sample_ticket": 1}  # told, not silent
    assert {r[0] for r in events(engine, "contact_id")} == {"9"}


def test_a_run_says_what_it_left_out(tmp_path: Path):
    """The tickets left out reach the run's summary line and a data-quality warning, not only a count."""
    from cxray.diagnose import diagnose
    from cxray.summary import headline

    folder = tmp_path / "z"
    write_json(
        folder / "tickets.json",
        [{"tickets": [
            ticket(8, "2024-03-04T09:00:00Z", "2024-03-05T09:00:00Z", status="deleted"),
            *(ticket(k, f"2024-03-0{1 + k % 5}T09:00:00Z", "2024-03-06T09:00:00Z", status="solved")
              for k in range(10, 20)),
        ]}],
    )  # fmt: skip
    d = diagnose([folder], read=ReadOptions(mapping=ZENDESK))
    assert d.input.records_left_out == {"deleted_ticket": 1}
    assert "left out 1 record(s) that give no event: deleted_ticket 1" in headline(d)
    (w,) = [w for w in d.data_quality.warnings if w.code == "records_left_out"]
    assert w.count == 1 and w.examples == ("deleted_ticket: 1",)


def test_a_ticket_closed_by_merge_is_closed_not_resolved(engine: Engine, tmp_path: Path):
    """Merged into another ticket (via merge, tag closed_by_merge): a duplicate whose work goes on
    elsewhere, so 'Merged' with outcome closed, in audits and in a ticket read alone."""
    trail = [
        audit(90, 50, "2024-03-05T08:00:00Z", REQUESTER, create("status", "new"), comment(REQUESTER),
              via="email"),
        audit(91, 50, "2024-03-05T09:00:00Z", BOB, comment(BOB, public=False),
              change("status", "closed", "new"), change("tags", ["closed_by_merge"], []), via="merge"),
    ]  # fmt: skip
    alone = ticket(
        51, "2024-03-05T08:00:00Z", "2024-03-05T09:00:00Z", status="closed", tags=["closed_by_merge"]
    )
    folder = tmp_path / "z"
    write_json(folder / "audits.json", [{"audits": trail}])
    write_json(folder / "tickets.json", [{"tickets": [alone]}])
    read(engine, folder)
    rows = events(engine, "contact_id", "activity", "outcome")
    assert ("50", "Merged", "closed") in rows and ("51", "Merged", "closed") in rows
    assert not [r for r in rows if r[2] == "resolved"]


def test_a_ticket_read_alone_is_solved_at_its_solve_and_detected(engine: Engine, tmp_path: Path):
    """Without audits a solved ticket's status is timed at solved_at (the ticket's, or its metric set's:
    a metric_sets sideload or a ticket_metrics record), not at updated_at, which any later update moves;
    without either, updated_at. Tickets alone are recognised as Zendesk."""
    late = "2025-01-01T00:00:00Z"
    one = ticket(61, "2024-03-04T09:00:00Z", late, status="solved", solved_at="2024-03-04T10:00:00Z")
    two = ticket(62, "2024-03-04T09:00:00Z", late, status="closed")
    three = ticket(63, "2024-03-04T09:00:00Z", late, status="solved")
    four = ticket(64, "2024-03-04T09:00:00Z", late, status="pending")
    metric = {"id": 1, "ticket_id": 62, "solved_at": "2024-03-04T11:00:00Z", "reply_time_in_minutes": {}}
    page = {"tickets": [one, two], "metric_sets": [metric], "end_of_stream": True}
    path = write_json(tmp_path / "tickets.jsonl", [page, three, four])
    assert detect(path) == "zendesk"
    summary = read(engine, path)
    assert summary.records_read == 5
    rows = events(engine, "contact_id", "activity", "timestamp", "status_time")
    got = {r[0]: (r[1], str(r[2]), r[3]) for r in rows if r[1] != "Ticket created"}
    assert got == {
        "61": ("Status: solved", "2024-03-04 10:00:00", "solved_at"),
        "62": ("Status: closed", "2024-03-04 11:00:00", "solved_at"),
        "63": ("Status: solved", "2025-01-01 00:00:00", "updated_at"),
        "64": ("Status: pending", "2025-01-01 00:00:00", "updated_at"),
    }


def test_a_call_is_the_answering_agents_and_an_api_ticket_its_first_commenters(engine: Engine, tmp_path):
    """A VoiceComment's author is the caller: the call is the agent's who answered it (answered_by_id).
    A ticket created through the API is created by whoever wrote its first comment, not the API user."""
    api_user = 900
    voice = {"type": "VoiceComment", "author_id": REQUESTER, "public": False, "body": "Inbound call",
             "data": {"call_duration": 125, "answered_by_id": ANN, "answered_by_name": "Ann"}}  # fmt: skip
    trail = [
        audit(1, 70, "2024-03-04T09:00:00Z", api_user, create("requester_id", str(REQUESTER)),
              create("status", "new"), comment(REQUESTER), via="api"),
        audit(2, 70, "2024-03-04T09:30:00Z", REQUESTER, voice, via="voice"),
    ]  # fmt: skip
    read(engine, write_json(tmp_path / "a.json", [{"audits": trail}]))
    rows = events(engine, "activity", "actor", "actor_type", "duration_s")
    assert rows == [
        ("Ticket created", str(REQUESTER), "customer", None),
        ("Voice call", str(ANN), "agent", 125.0),
    ]


# --- the simulator's round trip ---------------------------------------------------------------------------
ROUND_TRIP = mapping(reason_field=str(REASON_FIELD), outcome_field=str(DISPOSITION_FIELD))
COMPARED = ("contacts", "journeys", "transfer_rate", "abandonment_rate", "escalation_rate", "fcr",
            "reported_fcr", "repeat_contact_rate")  # fmt: skip


@pytest.fixture(scope="module")
def simulated():
    return simulate(load_scenario("default"), seed=7, days=7, customers=1500)


def _tickets(events: pa.Table) -> pa.Table:
    """The canonical log restricted to what Zendesk carries: email contacts and chats handed to a queue."""
    email = pc.equal(events["channel"], "email")
    queued_chat = pc.and_(
        pc.equal(events["channel"], "chat"),
        pc.and_(pc.equal(events["actor_type"], "system"), pc.is_valid(events["queue"])),
    )
    ids = pc.unique(pc.filter(events["contact_id"], pc.or_(email, queued_chat)))
    return events.filter(pc.is_in(events["contact_id"], value_set=ids))


def _csat(run) -> float:
    return next(s["value"] for s in run.voc["scores"] if s["dimension"] == "overall" and s["week"] is None)


def test_the_zendesk_export_diagnoses_like_the_canonical_log(simulated, tmp_path: Path):
    """Same contacts, journeys, transfers, abandons, escalations, FCR (measured and reported), repeats and
    CSAT top-2-box share as the canonical email and queued chat contacts (a 2-day repeat window). The
    findings are not compared: 49 contacts give none on either side. Handle times, bot turns and the
    teams are not in tickets, so cost and step-level flow differ by design."""
    folder = tmp_path / "zendesk"
    n = write(simulated.events, folder)
    assert n > 0 and {p.name for p in folder.iterdir()} >= {"tickets.json", "ticket_audits.json"}
    assert detect(folder) == "zendesk"  # the audits' fields are the signature
    analysis = AnalysisOptions(window_days=2)
    run = diagnose(folder, read=ReadOptions(mapping=ROUND_TRIP), analysis=analysis)
    canonical = diagnose(_tickets(simulated.events), analysis=analysis)
    got = {k: run.metrics.overall[k] for k in COMPARED}
    want = {k: canonical.metrics.overall[k] for k in COMPARED}
    assert got["contacts"] > 40 and got["transfer_rate"] > 0 and got["abandonment_rate"] > 0
    assert got["escalation_rate"] > 0 and got["fcr"] is not None
    assert got == pytest.approx(want, abs=0.01)
    assert run.input.duplicates_dropped > 0 and run.input.rows_rejected == 0
    assert run.voc["input"]["rows_kept"] == canonical.voc["input"]["rows_kept"] > 0
    assert _csat(run) == pytest.approx(_csat(canonical), abs=0.01)


def test_without_options_the_structure_still_gives_transfers_and_abandons(simulated, tmp_path: Path):
    folder = tmp_path / "zendesk"
    write(simulated.events, folder)
    run = diagnose(folder, read=ReadOptions(mapping=ZENDESK))
    canonical = diagnose(_tickets(simulated.events))
    for k in ("contacts", "transfer_rate", "abandonment_rate"):
        assert run.metrics.overall[k] == canonical.metrics.overall[k], k
    assert run.metrics.overall["escalation_rate"] == 0  # escalations live in the disposition field
