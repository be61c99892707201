"""The simulated centre's phone, chat and email contacts as Genesys Cloud analytics conversation details.

One conversation per contact, in the shape of the details query response (``{"conversations": [...],
"totalHits": n}``; docs/adapters/genesys-cloud.md): a customer participant (its ANI or address, and the
participant attributes ``customer_id`` and ``reason`` a flow would set), an IVR (phone) or bot workflow
(chat) participant for the self-service time with its flow (exit reason, transfer to ACD, a flow outcome
SUCCESS when the bot answered and ended the contact, FAILURE when it did not recognise the intent), then
per queue an ACD participant (``interact`` segment while queued, ended ``transfer`` when answered, ``peer``
with a ``tAbandon`` metric when the customer gave up) and the agent who answered (``alert``, ``interact``
ended ``transfer`` when a later queue follows, and a ``wrapup`` segment carrying the wrap-up code named
after the leg's last outcome: Resolved, Transferred, Escalated, Unresolved, Closed). Queues, users, teams,
wrap-up codes and flow outcomes are ids, as in Genesys; ``lookups``/``write_lookups`` give the id -> name
lists that ``/api/v2/routing/queues``, ``/api/v2/users``... would. About one conversation in twenty-five is
also delivered as an in-progress snapshot (no ``conversationEnd``, open segments), before or after the
final copy, as overlapping query intervals do. Surveys and back-office work are not written.

Built from the canonical Arrow table alone: the simulator knows only the data contract (``schema``).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from .. import schema as S
from .export_rows import contacts
from .export_rows import end as _end

MEDIA = {"phone": "voice", "chat": "message", "email": "email"}
DUPLICATE_EVERY = 25  # about one conversation in this many is also delivered in progress
_NAMESPACE = uuid.UUID("6f0c3c1e-2d4b-4a53-9a51-2b7c8e0d9f10")
CONTAINED_OUTCOME = "Self-service answer"


def genesys_id(kind: str, name: str) -> str:
    """The stable id of a queue, user, team, wrap-up code or flow (outcome) named ``name``."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{name}"))


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _ms(a: datetime, b: datetime) -> int:
    return int((b - a).total_seconds() * 1000)


def _contacts(events: pa.Table) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(contact id, media type, events in order) of the phone, chat and email contacts."""
    out = []
    for contact, channel, evs in contacts(events):
        if channel in MEDIA:
            out.append((contact, MEDIA[channel], evs))
    return out


def conversations(events: pa.Table) -> list[dict[str, Any]]:
    """The conversation details of ``events``' phone, chat and email contacts, in delivery order
    (in-progress snapshots included)."""
    out: list[dict[str, Any]] = []
    for contact, media, evs in _contacts(events):
        out += _deliveries(_conversation(contact, media, evs))
    return out


def _legs(evs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """(events before the first queue, one list per queue from its queue event on)."""
    before: list[dict[str, Any]] = []
    legs: list[list[dict[str, Any]]] = []
    for e in evs:
        if e[S.ACTOR_TYPE] == S.SYSTEM and e[S.QUEUE]:
            legs.append([])
        (legs[-1] if legs else before).append(e)
    return before, legs


def _conversation(contact: str, media: str, evs: list[dict[str, Any]]) -> dict[str, Any]:
    work = [e for e in evs if e[S.ACTIVITY] != "Survey"] or evs
    start, end = work[0][S.TIMESTAMP], max(_end(e) for e in work)
    customer, reason = evs[0][S.CUSTOMER_ID], evs[0][S.REASON]
    before, legs = _legs(work)
    abandoned = any(e[S.OUTCOME] == S.ABANDONED for e in work)
    session: dict[str, Any] = {
        "mediaType": media,
        "sessionId": genesys_id("session", f"{contact}:customer"),
        "direction": "inbound",
    }
    if media == "voice" and customer:
        session["ani"] = "tel:+1555" + f"{zlib.crc32(customer.encode()) % 10_000_000:07d}"
    elif media == "email" and customer:
        session["addressFrom"] = f"{customer.lower()}@example.com"
    session["segments"] = [
        {
            "segmentStart": _iso(start),
            "segmentEnd": _iso(end),
            "segmentType": "interact",
            "disconnectType": "endpoint" if abandoned or not legs else "peer",
        }
    ]
    attributes = {k: v for k, v in (("customer_id", customer), ("reason", reason)) if v is not None}
    people: list[dict[str, Any]] = [
        {
            "participantId": genesys_id("participant", f"{contact}:customer"),
            "purpose": "customer",
            "attributes": attributes,
            "sessions": [session],
        }
    ]
    self_service = [e for e in before if e[S.ACTOR_TYPE] in (S.IVR, S.BOT)]
    if self_service:
        people.append(_flow(contact, media, self_service, legs))
    for k, leg in enumerate(legs):
        people += _leg(contact, media, k, leg, last=k == len(legs) - 1)
    return {
        "conversationId": contact,
        "conversationStart": _iso(start),
        "conversationEnd": _iso(end),
        "originatingDirection": "inbound",
        "divisionIds": [genesys_id("division", "Home")],
        "participants": people,
    }


def _flow(
    contact: str, media: str, steps: list[dict[str, Any]], legs: list[list[dict[str, Any]]]
) -> dict[str, Any]:
    bot = steps[0][S.ACTOR_TYPE] == S.BOT
    name = steps[0][S.ACTOR] or ("Bot" if bot else "IVR")
    began, ended = steps[0][S.TIMESTAMP], max(_end(e) for e in steps)
    outcomes = []
    for e in steps:
        value = "SUCCESS" if e[S.OUTCOME] == S.CONTAINED else None
        if e[S.ACTIVITY] == "Bot: intent not recognised":
            value = "FAILURE"
        if value:
            oid = genesys_id("flow_outcome", CONTAINED_OUTCOME)
            outcomes.append(
                {
                    "flowOutcomeId": oid,
                    "flowOutcomeValue": value,
                    "flowOutcome": f"{oid}:{value}",
                    "flowOutcomeStartTimestamp": _iso(e[S.TIMESTAMP]),
                    "flowOutcomeEndTimestamp": _iso(_end(e)),
                }
            )
    flow: dict[str, Any] = {
        "flowId": genesys_id("flow", name),
        "flowName": name,
        "flowType": "DIGITALBOT" if bot else "INBOUNDCALL",
        "flowVersion": "1.0",
        "entryType": "dnis" if not bot else "direct",
        "exitReason": "TRANSFER" if legs else "DISCONNECT",
        "startingLanguage": "en-us",
        "endingLanguage": "en-us",
    }
    if legs:
        flow |= {"transferType": "ACD", "transferTargetName": legs[0][0][S.QUEUE]}
    if outcomes:
        flow["outcomes"] = outcomes
    segment = {
        "segmentStart": _iso(began),
        "segmentEnd": _iso(ended),
        "segmentType": "interact" if bot else "ivr",
        "disconnectType": "transfer" if legs else "peer",
    }
    return {
        "participantId": genesys_id("participant", f"{contact}:flow"),
        "participantName": name,
        "purpose": "workflow" if bot else "ivr",
        "sessions": [
            {
                "mediaType": media,
                "sessionId": genesys_id("session", f"{contact}:flow"),
                "flow": flow,
                "metrics": [{"name": "tFlow", "value": _ms(began, ended), "emitDate": _iso(ended)}],
                "segments": [segment],
            }
        ],
    }


def _leg(contact: str, media: str, k: int, leg: list[dict[str, Any]], *, last: bool) -> list[dict[str, Any]]:
    """The ACD participant of one queue, and the agent who answered it."""
    queued = leg[0]
    queue, queue_id = queued[S.QUEUE], genesys_id("queue", queued[S.QUEUE])
    agent = [e for e in leg if e[S.ACTOR_TYPE] == S.AGENT]
    acw = next((e for e in agent if e[S.ACTIVITY] == "After-contact work"), None)
    talk = [e for e in agent if e is not acw]
    gave_up = next((e for e in leg if e[S.OUTCOME] == S.ABANDONED), None)
    answered = talk[0][S.TIMESTAMP] if talk else None
    left = answered or (gave_up or queued)[S.TIMESTAMP]
    metrics = [{"name": "tAcd", "value": _ms(queued[S.TIMESTAMP], left), "emitDate": _iso(left)}]
    if gave_up is not None and not talk:
        metrics.append({"name": "tAbandon", "value": _ms(queued[S.TIMESTAMP], left), "emitDate": _iso(left)})
    acd = {
        "participantId": genesys_id("participant", f"{contact}:acd:{k}"),
        "participantName": queue,
        "purpose": "acd",
        "sessions": [
            {
                "mediaType": media,
                "sessionId": genesys_id("session", f"{contact}:acd:{k}"),
                "metrics": metrics,
                "segments": [
                    {
                        "segmentStart": _iso(queued[S.TIMESTAMP]),
                        "segmentEnd": _iso(left),
                        "segmentType": "interact",
                        "queueId": queue_id,
                        "disconnectType": "transfer" if talk else "peer",
                    }
                ],
            }
        ],
    }
    if not talk:
        return [acd]
    first = talk[0]
    talk_end = max(_end(e) for e in talk)
    segments: list[dict[str, Any]] = [
        {
            "segmentStart": _iso(first[S.TIMESTAMP]),
            "segmentEnd": _iso(first[S.TIMESTAMP]),
            "segmentType": "alert",
            "queueId": queue_id,
        },
        {
            "segmentStart": _iso(first[S.TIMESTAMP]),
            "segmentEnd": _iso(talk_end),
            "segmentType": "interact",
            "queueId": queue_id,
            "disconnectType": "client" if last else "transfer",
        },
    ]
    outcomes = [e[S.OUTCOME] for e in agent if e[S.OUTCOME]]
    if acw is not None or outcomes:
        wrap_start = acw[S.TIMESTAMP] if acw is not None else talk_end
        wrapup: dict[str, Any] = {
            "segmentStart": _iso(wrap_start),
            "segmentEnd": _iso(_end(acw) if acw is not None else talk_end),
            "segmentType": "wrapup",
            "queueId": queue_id,
        }
        if outcomes:
            wrapup["wrapUpCode"] = genesys_id("wrapup", outcomes[-1].capitalize())
        segments.append(wrapup)
    talk_ms = int(sum(e[S.DURATION_S] or 0 for e in talk) * 1000)
    person: dict[str, Any] = {
        "participantId": genesys_id("participant", f"{contact}:agent:{k}"),
        "participantName": first[S.ACTOR],
        "userId": genesys_id("user", first[S.ACTOR]),
        "purpose": "agent",
        "sessions": [
            {
                "mediaType": media,
                "sessionId": genesys_id("session", f"{contact}:agent:{k}"),
                "metrics": [{"name": "tTalk", "value": talk_ms, "emitDate": _iso(talk_end)}],
                "segments": segments,
            }
        ],
    }
    if first[S.TEAM]:
        person["teamId"] = genesys_id("team", first[S.TEAM])
    return [acd, person]


def _snapshot(conversation: dict[str, Any]) -> dict[str, Any]:
    """The conversation as a query made while it was still going on (halfway) would have returned it."""
    start = datetime.fromisoformat(conversation["conversationStart"])
    end = datetime.fromisoformat(conversation["conversationEnd"])
    cut = start + (end - start) / 2
    older = json.loads(json.dumps(conversation))
    del older["conversationEnd"]
    people = []
    for p in older["participants"]:
        for s in p["sessions"]:
            s.pop("metrics", None)
            kept = []
            for seg in s["segments"]:
                if datetime.fromisoformat(seg["segmentStart"]) > cut:
                    continue
                if datetime.fromisoformat(seg["segmentEnd"]) > cut:
                    for key in ("segmentEnd", "disconnectType", "wrapUpCode"):
                        seg.pop(key, None)
                kept.append(seg)
            s["segments"] = kept
            flow = s.get("flow", {})
            flow.pop("outcomes", None)
        if any(s["segments"] for s in p["sessions"]):
            people.append(p)
    older["participants"] = people
    return older


def _deliveries(conversation: dict[str, Any]) -> list[dict[str, Any]]:
    """The conversation, and for about one in twenty-five an in-progress copy before or after it."""
    tag = zlib.crc32(conversation["conversationId"].encode("utf-8"))
    if tag % DUPLICATE_EVERY:
        return [conversation]
    older = _snapshot(conversation)
    return [older, conversation] if tag % (2 * DUPLICATE_EVERY) else [conversation, older]


def lookups(events: pa.Table) -> dict[str, list[dict[str, str]]]:
    """id -> name lists (``{"id", "name"}``) of the queues, users, teams, wrap-up codes and flow outcomes
    the export of ``events`` names, keyed by the reader option that reads them."""
    names: dict[str, set[str]] = {"queues": set(), "users": set(), "teams": set()}
    for _, _, evs in _contacts(events):
        for e in evs:
            if e[S.QUEUE]:
                names["queues"].add(e[S.QUEUE])
            if e[S.ACTOR_TYPE] == S.AGENT and e[S.ACTOR]:
                names["users"].add(e[S.ACTOR])
            if e[S.ACTOR_TYPE] == S.AGENT and e[S.TEAM]:
                names["teams"].add(e[S.TEAM])
    kinds = {"queues": "queue", "users": "user", "teams": "team"}
    out = {key: [{"id": genesys_id(kinds[key], n), "name": n} for n in sorted(v)] for key, v in names.items()}
    codes = ("Resolved", "Unresolved", "Transferred", "Escalated", "Closed", "Abandoned", "Contained")
    out["wrapup_codes"] = [{"id": genesys_id("wrapup", c), "name": c} for c in codes]
    out["flow_outcomes"] = [{"id": genesys_id("flow_outcome", CONTAINED_OUTCOME), "name": CONTAINED_OUTCOME}]
    return out


def write_lookups(events: pa.Table, folder: str | Path) -> dict[str, str]:
    """Write the lookups beside an export: ``queues.json`` as the API pages it (``{"entities": [...]}``),
    ``users.json``, ``teams.json`` and ``flow-outcomes.json`` as arrays, ``wrapup-codes.csv`` as CSV;
    returns the reader options naming them."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    for key, entries in lookups(events).items():
        name = key.replace("_", "-")
        if key == "wrapup_codes":
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(["id", "name"])
            writer.writerows([e["id"], e["name"]] for e in entries)
            (root / f"{name}.csv").write_text(buffer.getvalue(), encoding="utf-8")
            files[key] = str(root / f"{name}.csv")
            continue
        doc: Any = entries
        if key == "queues":
            doc = {"entities": entries, "pageSize": len(entries), "pageNumber": 1, "total": len(entries)}
        (root / f"{name}.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
        files[key] = str(root / f"{name}.json")
    return files


def write(events: pa.Table, path: str | Path) -> int:
    """Write the conversation details of ``events`` as one query response; returns how many
    conversation records (snapshots included) were written."""
    records = conversations(events)
    doc = {"conversations": records, "totalHits": len(records)}
    Path(path).write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")
    return len(records)
