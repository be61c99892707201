"""The simulated centre's email and chat contacts as Zendesk Support tickets and ticket audits.

A folder ``zendesk/`` in the shapes of Zendesk's references (docs/adapters/zendesk.md):

* ``tickets.json``: time-based incremental export pages (``{"tickets": [...], "end_of_stream": ...}``,
  one page a line), one ticket per contact with ``external_id`` the canonical contact id, ``via.channel``,
  ``requester_id``, the final ``status``, ``group_id`` and ``assignee_id``, the custom fields *Contact
  reason* (``REASON_FIELD``) and *Disposition* (``DISPOSITION_FIELD``: the contact's last outcome other
  than resolved) and ``satisfaction_rating``. As the incremental export may, about one ticket in twenty
  is exported twice, the extra copy an older version (as created) in a neighbouring page.
* ``ticket_audits.json``: List Ticket Audits pages (``{"audits": [...]}``, one page a line): the Create
  audit at the contact's first event (requester, status new, subject, reason, the description), a group
  change by a trigger at each queue (the second one a transfer), an assignee change when an agent takes
  the ticket, a public comment per agent handling and an internal note per after-contact work, the
  outcome as status and disposition (resolved -> solved; unresolved -> pending; closed -> on hold, the
  back office has it; escalated -> disposition only, the group change follows), an abandoned chat solved
  by a trigger that tags it ``abandoned_conversation``, the CSAT answer as a satisfaction rating (4-5
  good, 1-3 bad) and, four days after a solve, the automatic close when it falls inside the data. About
  one ticket in twenty has an audit delivered twice (a page fetched again).
* ``groups.json`` and ``users.json``: the lookups (queues as groups; customers as end-users, agents).

Contacts that never reached a queue (chats the bot contained) are not tickets: Zendesk's messaging makes
a ticket when the bot hands over. Phone, back-office work, bot and IVR turns are not written. Built from
the canonical Arrow table alone: the simulator knows only the data contract (``schema``).
"""

from __future__ import annotations

import json
import re
import zlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from .. import schema as S
from .export_rows import contacts

CHANNELS = {"email": "email", "chat": "chat"}
REASON_FIELD = 360000000001
DISPOSITION_FIELD = 360000000002
DUPLICATE_EVERY = 20
PAGE = 100  # records per export page
CLOSE_AFTER = timedelta(days=4)  # Zendesk's default automation closes solved tickets after 4 days
SYSTEM = -1  # Zendesk's author id of triggers and automations
ABANDONED_TAG = "abandoned_conversation"


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Ids:
    """Zendesk's integer ids for the simulator's text ids, stable within one export."""

    def __init__(self, base: int) -> None:
        self.base = base
        self.ids: dict[str, int] = {}

    def __call__(self, name: str) -> int:
        if name not in self.ids:
            self.ids[name] = self.base + len(self.ids) + 1
        return self.ids[name]


def _customer_id(customer: str) -> int:
    digits = re.sub(r"\D", "", customer)
    return 10_000_000 + (int(digits) if digits else zlib.crc32(customer.encode()) % 1_000_000)


def _contacts(events: pa.Table) -> list[list[dict[str, Any]]]:
    """The email contacts and the chat contacts that reached a queue, in order of their first event."""
    out = []
    for _contact, channel, evs in contacts(events, (S.SURVEY_SCORE, S.VERBATIM)):
        queued = any(e[S.ACTOR_TYPE] == S.SYSTEM and e[S.QUEUE] for e in evs)
        if channel == "email" or (channel == "chat" and queued):
            out.append(evs)
    return out


class _Export:
    def __init__(self, events: pa.Table) -> None:
        self.contacts = _contacts(events)
        self.end = max(e[S.TIMESTAMP] for evs in self.contacts for e in evs) if self.contacts else None
        self.agents = _Ids(20_000_000)
        self.groups = _Ids(30_000_000)
        self.customers: dict[int, str] = {}
        self.audit_id = 5_000_000
        self.tickets: list[dict[str, Any]] = []
        self.audits: list[dict[str, Any]] = []

    def run(self) -> None:
        for k, evs in enumerate(self.contacts):
            self._ticket(1000 + k + 1, evs)

    def _audit(self, ticket: int, at: datetime, author: int, via: str, events: list[dict[str, Any]]) -> None:
        self.audit_id += 1
        for i, e in enumerate(events):
            e.setdefault("id", self.audit_id * 10 + i)
        self.audits.append(
            {
                "id": self.audit_id,
                "ticket_id": ticket,
                "created_at": _iso(at),
                "author_id": author,
                "via": {"channel": via, "source": {"from": {}, "to": {}, "rel": None}},
                "metadata": {"system": {}, "custom": {}},
                "events": events,
            }
        )

    def _ticket(self, tid: int, evs: list[dict[str, Any]]) -> None:
        first = evs[0]
        channel = CHANNELS[next(e[S.CHANNEL] for e in evs if e[S.CHANNEL])]
        customer = first[S.CUSTOMER_ID]
        requester = _customer_id(customer) if customer else SYSTEM
        if customer:
            self.customers[requester] = customer
        reason = first[S.REASON]
        subject = f"{(reason or 'question').replace('_', ' ').capitalize()}"
        status, group, assignee = "new", None, None
        disposition: str | None = None
        tags = [channel] + ([reason] if reason else [])
        rating: dict[str, Any] = {"score": "unoffered"}
        solved_at: datetime | None = None
        self._audit(
            tid,
            first[S.TIMESTAMP],
            requester,
            channel,
            [
                {"type": "Create", "field_name": "requester_id", "value": str(requester)},
                {"type": "Create", "field_name": "status", "value": "new"},
                {"type": "Create", "field_name": "subject", "value": subject},
                {"type": "Create", "field_name": "priority", "value": "normal"},
                {"type": "Create", "field_name": "tags", "value": list(tags)},
                {"type": "Create", "field_name": str(REASON_FIELD), "value": reason},
                {
                    "type": "Comment",
                    "public": True,
                    "author_id": requester,
                    "body": subject,
                    "attachments": [],
                },
            ],
        )

        def set_status(value: str, changes: list[dict[str, Any]]) -> None:
            nonlocal status
            if value != status:
                changes.append(_change("status", value, status))
                status = value

        for e in evs[1:]:
            at, kind = e[S.TIMESTAMP], e[S.ACTOR_TYPE]
            changes: list[dict[str, Any]] = []
            if kind == S.SYSTEM and e[S.QUEUE]:
                new = self.groups(e[S.QUEUE])
                if new != group:
                    changes.append(_change("group_id", str(new), None if group is None else str(group)))
                    group = new
                if changes:
                    self._audit(tid, at, SYSTEM, "rule", changes)
                continue
            if kind == S.AGENT and e[S.ACTOR]:
                agent = self.agents(e[S.ACTOR])
                if agent != assignee:
                    previous: str | None = None if assignee is None else str(assignee)
                    changes.append(_change("assignee_id", str(agent), previous))
                    assignee = agent
                if status == "new":
                    set_status("open", changes)
                if e[S.ACTIVITY] == "After-contact work":
                    changes.append(
                        {"type": "Comment", "public": False, "author_id": agent, "body": "Wrap-up note"}
                    )
                elif e[S.ACTIVITY] == "Agent handling":
                    changes.append({"type": "Comment", "public": True, "author_id": agent, "body": "Reply"})
                outcome = e[S.OUTCOME]
                if outcome in (S.UNRESOLVED, S.ESCALATED, S.CLOSED):
                    changes.append(_change(str(DISPOSITION_FIELD), outcome, disposition))
                    disposition = outcome
                if outcome == S.RESOLVED:
                    set_status("solved", changes)
                    solved_at = at
                elif outcome == S.UNRESOLVED:
                    set_status("pending", changes)
                elif outcome == S.CLOSED:
                    set_status("hold", changes)
                self._audit(tid, at, agent, "web", changes)
            elif kind == S.CUSTOMER and e[S.OUTCOME] == S.ABANDONED:
                set_status("solved", changes)
                changes.append(_change("tags", [*tags, ABANDONED_TAG], list(tags)))
                tags.append(ABANDONED_TAG)
                solved_at = at
                self._audit(tid, at, SYSTEM, "rule", changes)
            elif kind == S.CUSTOMER and e.get(S.SURVEY_SCORE):
                score = "good" if float(e[S.SURVEY_SCORE]) >= 4 else "bad"
                rating = {"id": 9_000_000 + tid, "score": score, "comment": e.get(S.VERBATIM)}
                event = {
                    "type": "SatisfactionRating",
                    "score": score,
                    "assignee_id": assignee,
                    "body": e.get(S.VERBATIM) or "",
                }
                self._audit(tid, at, requester, "web", [event])
        last_at = max(e[S.TIMESTAMP] for e in evs)
        if status == "solved" and solved_at is not None and self.end and solved_at + CLOSE_AFTER <= self.end:
            close = [_change("status", "closed", "solved")]
            self._audit(tid, solved_at + CLOSE_AFTER, SYSTEM, "rule", close)
            status, last_at = "closed", solved_at + CLOSE_AFTER
        if status in ("solved", "closed") and rating["score"] == "unoffered":
            rating = {"score": "offered"}
        self.tickets.append(
            {
                "id": tid,
                "external_id": first[S.CONTACT_ID],
                "created_at": _iso(first[S.TIMESTAMP]),
                "updated_at": _iso(last_at),
                "type": "question",
                "subject": subject,
                "status": status,
                "priority": "normal",
                "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
                "requester_id": requester,
                "submitter_id": requester,
                "assignee_id": assignee,
                "group_id": group,
                "tags": tags,
                "custom_fields": [
                    {"id": REASON_FIELD, "value": reason},
                    {"id": DISPOSITION_FIELD, "value": disposition},
                ],
                "satisfaction_rating": rating,
            }
        )

    def ticket_pages(self) -> list[dict[str, Any]]:
        """The tickets as incremental export pages; about one in twenty also as an older copy (as created)
        in a neighbouring page."""
        stream: list[dict[str, Any]] = []
        for t in self.tickets:
            tag = zlib.crc32(str(t["external_id"]).encode("utf-8"))
            if tag % DUPLICATE_EVERY:
                stream.append(t)
                continue
            older = json.loads(json.dumps(t))
            older |= {"status": "new", "updated_at": t["created_at"], "assignee_id": None}
            older["satisfaction_rating"] = {"score": "unoffered"}
            stream += [older, t] if tag % (2 * DUPLICATE_EVERY) else [t, older]
        return _pages(stream, "tickets")

    def audit_pages(self) -> list[dict[str, Any]]:
        """The audits as List Ticket Audits pages; one ticket in twenty has its last audit delivered twice."""
        stream: list[dict[str, Any]] = []
        last = {a["ticket_id"]: a["id"] for a in self.audits}
        for a in self.audits:
            stream.append(a)
            if (
                last[a["ticket_id"]] == a["id"]
                and zlib.crc32(str(a["ticket_id"]).encode()) % DUPLICATE_EVERY == 1
            ):
                stream.append(json.loads(json.dumps(a)))
        return _pages(stream, "audits")


def _pages(stream: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    pages = []
    for start in range(0, max(len(stream), 1), PAGE):
        last = start + PAGE >= len(stream)
        page: dict[str, Any] = {key: stream[start : start + PAGE]}
        page |= (
            {"end_of_stream": last}
            if key == "tickets"
            else {"after_cursor": None if last else f"c{start + PAGE}"}
        )
        pages.append(page)
    return pages


def write(events: pa.Table, path: Path) -> int:
    """Write ``events``' email and chat contacts as a Zendesk folder at ``path``; returns how many ticket
    and audit records were written (repeated deliveries included)."""
    export = _Export(events)
    export.run()
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    tickets, audits = export.ticket_pages(), export.audit_pages()
    lines = {
        "tickets.json": tickets,
        "ticket_audits.json": audits,
        "groups.json": [{"groups": [{"id": i, "name": n} for n, i in export.groups.ids.items()]}],
        "users.json": [
            {
                "users": [{"id": i, "name": n, "role": "agent"} for n, i in export.agents.ids.items()]
                + [{"id": i, "name": n, "role": "end-user"} for i, n in sorted(export.customers.items())]
            }
        ],
    }
    for name, pages in lines.items():
        text = "".join(json.dumps(p, separators=(",", ":")) + "\n" for p in pages)
        (folder / name).write_text(text, encoding="utf-8")
    return sum(len(p["tickets"]) for p in tickets) + sum(len(p["audits"]) for p in audits)


def _change(field_name: str, value: Any, previous: Any) -> dict[str, Any]:
    """One ``Change`` event of an audit: a field's new and previous value."""
    return {"type": "Change", "field_name": field_name, "value": value, "previous_value": previous}
