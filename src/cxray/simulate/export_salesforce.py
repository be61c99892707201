"""The simulated centre's routed contacts as a Salesforce Service Cloud export: a folder of CSV files.

What a CRM holds of the simulated centre: every contact that was routed to people (phone, chat, email and
back-office work with a queue) is one Case; self-service sessions that never reached a queue (IVR-only
calls, chats the bot contained) are not in it. The files are those Data Export / Data Loader write, a
header of API field names and ISO 8601 UTC times (``2024-03-04T09:00:00.000Z``), every value quoted:

* ``Case.csv``: CreatedDate the contact's first event, ClosedDate its last one (surveys aside), Origin from
  the channel (back-office work ``Internal``), Reason, ContactId/AccountId from the customer, Status
  ``Closed`` (``Closed - Unresolved`` when the contact ended unresolved; open back-office work ``New`` or
  ``Working``), IsEscalated.
* ``CaseHistory.csv``: ``created``; each queue an owner change to the queue (``ownerAssignment`` first,
  then ``Owner``), each agent's acceptance ``ownerAccepted`` (both written twice, ids and names, as
  Salesforce does for foreign keys); status changes to Working, Escalated and the closing status.
* ``AgentWork.csv``: one record per agent leg (a transfer is a new record, the earlier one ``Transferred``),
  HandleTime the leg's agent seconds (wrap-up included), WorkItemId the case, or for a chat its transcript;
  about one leg in twelve is first declined by another agent.
* ``User.csv`` (Id, Name, Department: the agent's team) and ``Group.csv`` (the queues, Type ``Queue``).
* ``LiveChatTranscript.csv``: one per chat case: RequestTime at the queue, StartTime at the agent, Status
  ``Completed``, or ``Missed`` with no agent when the customer gave up; a Body with commas, quotes and
  line breaks.

Built from the canonical Arrow table alone (``schema``); deterministic.
"""

from __future__ import annotations

import csv
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from .. import schema as S
from .export_rows import contacts, end

ORIGINS = {"phone": "Phone", "email": "Email", "chat": "Chat", S.BACK_OFFICE: "Internal"}
CHANNEL_NAMES = {"phone": "Phone", "email": "Case", "chat": "Chat", S.BACK_OFFICE: "Case"}
UNRESOLVED_STATUS = "Closed - Unresolved"
DECLINE_EVERY = 12  # about one agent leg in this many is first declined by another agent
AUTOMATION = "Automated Process"
_HUMANS = (S.AGENT, S.BACK_OFFICE)

CASE = (
    "Id", "CaseNumber", "CreatedDate", "ClosedDate", "Status", "Origin", "Reason", "Type", "Priority",
    "OwnerId", "ContactId", "AccountId", "IsClosed", "IsEscalated", "LastModifiedDate",
)  # fmt: skip
HISTORY = ("Id", "CaseId", "CreatedDate", "Field", "OldValue", "NewValue", "CreatedById")
WORK = (
    "Id", "WorkItemId", "UserId", "ServiceChannelId", "OriginalQueueId", "RequestDateTime",
    "AssignedDateTime", "AcceptDateTime", "CloseDateTime", "HandleTime", "ActiveTime", "Status",
)  # fmt: skip
CHAT = (
    "Id", "CaseId", "ChatKey", "RequestTime", "StartTime", "EndTime", "Status", "OwnerId", "ChatDuration",
    "WaitTime", "Abandoned", "ContactId", "AccountId", "Body",
)  # fmt: skip
USER = ("Id", "Name", "Department", "IsActive")
GROUP = ("Id", "Name", "Type")


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class _Ids:
    """Salesforce-shaped 18-character ids, one counter per key prefix, the same name always the same id."""

    counters: dict[str, int] = field(default_factory=dict)
    named: dict[tuple[str, str], str] = field(default_factory=dict)

    def new(self, prefix: str) -> str:
        n = self.counters.get(prefix, 0) + 1
        self.counters[prefix] = n
        return f"{prefix}SIM{n:09d}AAA"

    def of(self, prefix: str, name: str) -> str:
        key = (prefix, name)
        if key not in self.named:
            self.named[key] = self.new(prefix)
        return self.named[key]


@dataclass
class _Leg:
    queue: str
    queued: datetime
    work: list[dict[str, Any]]  # the agent's (or back office's) events at this queue
    gave_up: dict[str, Any] | None


@dataclass
class _Export:
    ids: _Ids = field(default_factory=_Ids)
    cases: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    work: list[dict[str, Any]] = field(default_factory=list)
    chats: list[dict[str, Any]] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)
    teams: dict[str, str] = field(default_factory=dict)  # agent -> team (User.Department)

    def user(self, name: str) -> str:
        return self.ids.of("005", name)

    def queue(self, name: str) -> str:
        return self.ids.of("00G", name)

    def owner_change(
        self, case_id: str, at: datetime, fld: str, old: tuple[str, str], new: tuple[str, str], by: str
    ) -> None:
        """The two rows Salesforce writes for a foreign-key change: ids, then names."""
        for k in (0, 1):
            self.history.append(
                {
                    "Id": self.ids.new("017"),
                    "CaseId": case_id,
                    "CreatedDate": _iso(at),
                    "Field": fld,
                    "OldValue": old[k],
                    "NewValue": new[k],
                    "CreatedById": by,
                }
            )

    def status(self, case_id: str, at: datetime, old: str, new: str, by: str) -> None:
        self.history.append(
            {
                "Id": self.ids.new("017"),
                "CaseId": case_id,
                "CreatedDate": _iso(at),
                "Field": "Status",
                "OldValue": old,
                "NewValue": new,
                "CreatedById": by,
            }
        )


def _legs(evs: list[dict[str, Any]]) -> list[_Leg]:
    legs: list[_Leg] = []
    for e in evs:
        if e[S.ACTOR_TYPE] == S.SYSTEM and e[S.QUEUE]:
            legs.append(_Leg(e[S.QUEUE], e[S.TIMESTAMP], [], None))
        elif legs and e[S.ACTOR_TYPE] in _HUMANS:
            legs[-1].work.append(e)
        elif legs and e[S.OUTCOME] == S.ABANDONED:
            legs[-1].gave_up = e
    return legs


def _is_survey(e: dict[str, Any]) -> bool:
    return e[S.ACTIVITY] == "Survey" or e.get(S.SURVEY_SCORE) is not None


def _case(out: _Export, number: int, evs: list[dict[str, Any]]) -> None:
    channel = next((e[S.CHANNEL] for e in evs if e[S.CHANNEL]), None) or "phone"
    legs = _legs(evs)
    ids = out.ids
    case_id = ids.new("500")
    customer = evs[0][S.CUSTOMER_ID]
    outcomes = [e[S.OUTCOME] for e in evs if e[S.OUTCOME]]
    created = evs[0][S.TIMESTAMP]
    last = max(e[S.TIMESTAMP] for e in evs if not _is_survey(e))
    closed = channel != S.BACK_OFFICE or bool(outcomes)
    worked = any(leg.work for leg in legs)
    status = (UNRESOLVED_STATUS if outcomes[-1:] == [S.UNRESOLVED] else "Closed") if closed else None
    status = status or ("Working" if worked else "New")
    escalated = S.ESCALATED in outcomes
    robot = out.user(AUTOMATION)
    chat_id = ids.new("570") if channel == "chat" else None
    owner = (robot, AUTOMATION)
    current = "New"
    out.history.append(
        {
            "Id": ids.new("017"),
            "CaseId": case_id,
            "CreatedDate": _iso(created),
            "Field": "created",
            "OldValue": None,
            "NewValue": None,
            "CreatedById": robot,
        }
    )
    for k, leg in enumerate(legs):
        queue = (out.queue(leg.queue), leg.queue)
        by = robot if k == 0 else owner[0]
        out.owner_change(case_id, leg.queued, "ownerAssignment" if k == 0 else "Owner", owner, queue, by)
        owner = queue
        if not leg.work:
            continue
        first = leg.work[0]
        name = first[S.ACTOR] or "Unknown agent"
        agent = (out.user(name), name)
        _work(out, case_id if chat_id is None else chat_id, channel, leg, agent, followed=k < len(legs) - 1)
        out.owner_change(case_id, first[S.TIMESTAMP], "ownerAccepted", owner, agent, agent[0])
        owner = agent
        if current == "New":
            out.status(case_id, first[S.TIMESTAMP], current, "Working", agent[0])
            current = "Working"
        for e in leg.work:
            if e[S.OUTCOME] == S.ESCALATED:
                out.status(case_id, e[S.TIMESTAMP], current, "Escalated", agent[0])
                current = "Escalated"
    if closed:
        out.status(case_id, last, current, status, owner[0] if owner[0].startswith("005") else robot)
    out.cases.append(
        {
            "Id": case_id,
            "CaseNumber": f"{number:08d}",
            "CreatedDate": _iso(created),
            "ClosedDate": _iso(last) if closed else None,
            "Status": status,
            "Origin": ORIGINS.get(channel, channel.replace("_", " ").title()),
            "Reason": evs[0][S.REASON],
            "Type": None,
            "Priority": "High" if escalated else "Medium",
            "OwnerId": owner[0],
            "ContactId": ids.of("003", customer) if customer else None,
            "AccountId": ids.of("001", customer) if customer else None,
            "IsClosed": "true" if closed else "false",
            "IsEscalated": "true" if escalated else "false",
            "LastModifiedDate": _iso(last),
        }
    )
    if chat_id is not None:
        _chat(out, chat_id, case_id, customer, legs, last)


def _work(
    out: _Export, item: str, channel: str, leg: _Leg, agent: tuple[str, str], *, followed: bool
) -> None:
    first = leg.work[0]
    accepted = first[S.TIMESTAMP]
    seconds = sum(e[S.DURATION_S] or 0 for e in leg.work)
    wrap = sum(e[S.DURATION_S] or 0 for e in leg.work if e[S.ACTIVITY] == "After-contact work")
    common = {
        "WorkItemId": item,
        "ServiceChannelId": out.ids.of("0N9", CHANNEL_NAMES.get(channel, "Case")),
        "OriginalQueueId": out.queue(leg.queue),
        "RequestDateTime": _iso(leg.queued),
    }
    tag = zlib.crc32(f"{item}{leg.queue}".encode())
    others = [a for a in out.agents if a != agent[1]]
    if others and tag % DECLINE_EVERY == 0:  # pushed first to another agent, who declined it
        other = others[tag % len(others)]
        offered = leg.queued + (accepted - leg.queued) / 2
        out.work.append(
            {
                "Id": out.ids.new("0Bz"),
                **common,
                "UserId": out.user(other),
                "AssignedDateTime": _iso(offered),
                "AcceptDateTime": None,
                "CloseDateTime": None,
                "HandleTime": None,
                "ActiveTime": None,
                "Status": "Declined",
            }
        )
    out.work.append(
        {
            "Id": out.ids.new("0Bz"),
            **common,
            "UserId": agent[0],
            "AssignedDateTime": _iso(accepted),
            "AcceptDateTime": _iso(accepted),
            "CloseDateTime": _iso(max(end(e) for e in leg.work)),
            "HandleTime": round(seconds),
            "ActiveTime": round(seconds - wrap),
            "Status": "Transferred" if followed else "Closed",
        }
    )


def _chat(
    out: _Export, chat_id: str, case_id: str, customer: str | None, legs: list[_Leg], last: datetime
) -> None:
    requested = legs[0].queued
    started = next((leg.work[0][S.TIMESTAMP] for leg in legs if leg.work), None)
    agents = [leg.work[0][S.ACTOR] for leg in legs if leg.work]
    owner = out.user(agents[-1] or "Unknown agent") if agents else out.user(AUTOMATION)
    waited = int(((started or last) - requested).total_seconds())
    body = None
    if started is not None:
        body = (
            f"Chat Started: {started:%A, %B %d, %Y, %H:%M:%S} (+0000)\n"
            f"Chat Origin: Web\nAgent {agents[0]}\n"
            f'( 4s ) Visitor: Hello, I have a question about my "order", please\n'
            f"( 9s ) {agents[0]}: Of course, let me check that for you."
        )
    out.chats.append(
        {
            "Id": chat_id,
            "CaseId": case_id,
            "ChatKey": f"{zlib.crc32(chat_id.encode()):08x}-sim-{chat_id[-12:-3]}",
            "RequestTime": _iso(requested),
            "StartTime": _iso(started) if started else None,
            "EndTime": _iso(last),
            "Status": "Completed" if started else "Missed",
            "OwnerId": owner,
            "ChatDuration": int((last - started).total_seconds()) if started else None,
            "WaitTime": waited,
            "Abandoned": None if started else waited,
            "ContactId": out.ids.of("003", customer) if customer else None,
            "AccountId": out.ids.of("001", customer) if customer else None,
            "Body": body,
        }
    )


def export(events: pa.Table) -> _Export:
    """The export of ``events``' routed contacts, in memory."""
    grouped = contacts(events, (S.SURVEY_SCORE,))
    rows = [e for _, _, evs in grouped for e in evs]
    out = _Export()
    out.agents = sorted({e[S.ACTOR] for e in rows if e[S.ACTOR_TYPE] in _HUMANS and e[S.ACTOR]})
    out.teams = {
        e[S.ACTOR]: e[S.TEAM] for e in rows if e[S.ACTOR_TYPE] in _HUMANS and e[S.ACTOR] and e[S.TEAM]
    }
    out.user(AUTOMATION)
    number = 1000
    for _contact, _channel, evs in grouped:
        if not any(e[S.ACTOR_TYPE] == S.SYSTEM and e[S.QUEUE] for e in evs):
            continue  # never routed to people: not a case
        number += 1
        _case(out, number, evs)
    out.history.sort(key=lambda h: h["CreatedDate"])  # stable: a change's two rows stay together
    return out


def _write_csv(path: Path, header: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if row.get(h) is None else row[h] for h in header])


def write(events: pa.Table, path: str | Path) -> int:
    """Write the export as the folder ``path`` (Case, CaseHistory, AgentWork, LiveChatTranscript CSVs and
    the User and Group lookups); returns how many records were written."""
    out = export(events)
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    users = [
        {"Id": i, "Name": name, "Department": out.teams.get(name), "IsActive": "true"}
        for (prefix, name), i in out.ids.named.items()
        if prefix == "005"
    ]
    queues = [
        {"Id": i, "Name": name, "Type": "Queue"}
        for (prefix, name), i in out.ids.named.items()
        if prefix == "00G"
    ]
    files = (
        ("Case.csv", CASE, out.cases),
        ("CaseHistory.csv", HISTORY, out.history),
        ("AgentWork.csv", WORK, out.work),
        ("LiveChatTranscript.csv", CHAT, out.chats),
        ("User.csv", USER, users),
        ("Group.csv", GROUP, queues),
    )
    for name, header, rows in files:
        _write_csv(folder / name, header, rows)
    return sum(len(rows) for _, _, rows in files)
