"""The simulated centre's bot conversations as Amazon Lex V2 text conversation logs.

One turn per bot event of a phone or chat contact, in the shape of Lex V2's text log entry
(docs/adapters/amazon-lex-v2.md), delivered as Amazon Connect would hand the bot over and as a CloudWatch
Logs subscription through Firehose writes it to S3: each line a ``DATA_MESSAGE`` whose ``logEvents`` hold
one session's turns, the turn as the string ``message`` and its time as the event's ``timestamp`` (epoch
ms). The session has an id of its own and the contact id in the session attribute ``ContactId``, as a
Connect chat's log shows (the adapter names the contact by it), the customer id the session attribute
``customer_id``, the inputMode ``Speech`` on the phone and ``Text`` in chat. ``Bot: conversation started``
is not a turn of its own (the first turn starts the session, at that time); ``Bot: intent recognised`` and
any other bot step (``Authenticate``) are turns of the contact's intent (its reason) eliciting a slot,
``Bot: answer given`` closes the intent Fulfilled, ``Bot: handoff to agent`` is the ``TransferToAgent``
intent fulfilled, ``Bot: intent not recognised`` a missed utterance caught by the fallback intent. About one
session in twenty is delivered twice, as Firehose's at-least-once delivery may.

Built from the canonical Arrow table alone: the simulator knows only the data contract (``schema``).
"""

from __future__ import annotations

import gzip
import json
import uuid
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from .. import schema as S
from .export_rows import contacts

INPUT_MODES = {"phone": "Speech", "chat": "Text"}
HANDOFF_INTENT = "TransferToAgent"
FALLBACK_INTENT = "FallbackIntent"
DUPLICATE_EVERY = 20  # about one session in this many is delivered twice
_NAMESPACE = uuid.UUID("5f0c7c1e-6d8a-4c1b-9a57-1e8f3c2b7a10")


def _ms(t: datetime) -> int:
    return int(t.replace(tzinfo=UTC).timestamp() * 1000)


def _turn(contact: str, k: int, e: dict[str, Any], channel: str, first: bool) -> dict[str, Any]:
    """The log entry of one bot event (``first``: the turn that starts the session)."""
    activity, intent = e[S.ACTIVITY], e[S.REASON] or "GeneralEnquiry"
    missed = activity == "Bot: intent not recognised"
    if activity == "Bot: answer given":
        name, state, action, text = intent, "Fulfilled", {"type": "Close"}, "Here is what I found."
    elif activity == "Bot: handoff to agent":
        name, state, action, text = (
            HANDOFF_INTENT,
            "Fulfilled",
            {"type": "Close"},
            "Connecting you to an agent.",
        )
    elif missed:
        name, state, action, text = (
            FALLBACK_INTENT,
            "InProgress",
            {"type": "ElicitIntent"},
            "Sorry, say again?",
        )
    elif activity == "Bot: conversation started":  # a session of a welcome turn only
        name, state, action, text = None, None, {"type": "ElicitIntent"}, "How can I help?"
    else:
        slot = "AccountNumber" if k or not first else "Details"
        name, state, action, text = (
            intent,
            "InProgress",
            {"type": "ElicitSlot", "slotToElicit": slot},
            "Go on.",
        )
    session_state: dict[str, Any] = {
        "dialogAction": action,
        "originatingRequestId": str(uuid.uuid5(_NAMESPACE, contact)),
    }
    if name is not None:
        session_state["intent"] = {"name": name, "state": state, "confirmationState": "None", "slots": {}}
    session_state["sessionAttributes"] = {"ContactId": contact}
    if e[S.CUSTOMER_ID]:
        session_state["sessionAttributes"]["customer_id"] = e[S.CUSTOMER_ID]
    confidence = 0.45 if missed else 0.9 - 0.01 * (zlib.crc32(f"{contact}/{k}".encode()) % 20)
    interpretations: list[dict[str, Any]] = [
        {"intent": {"name": name or FALLBACK_INTENT, "state": state or "InProgress"}}
    ]
    if not missed and name is not None:
        interpretations[0]["nluConfidence"] = round(confidence, 2)
        interpretations.append({"intent": {"name": FALLBACK_INTENT}})
    return {
        "messageVersion": "2.0",
        "bot": {
            "name": e[S.ACTOR] or "cxray-bot",
            "version": "3",
            "localeId": "en_GB",
            "id": "CXRAYBOT01",
            "aliasId": "PRODALIAS1",
            "aliasName": "production",
        },
        "messages": [{"contentType": "PlainText", "content": text}],
        "sessionState": session_state,
        "interpretations": interpretations,
        "sessionId": str(uuid.uuid5(_NAMESPACE, f"session/{contact}")),
        "inputTranscript": "(customer input)",
        "missedUtterance": missed,
        "requestId": str(uuid.uuid5(_NAMESPACE, f"{contact}/{k}")),
        "inputMode": INPUT_MODES[channel],
        "requestAttributes": {"x-amz-lex:channels:platform": "Connect"},
        "developerOverride": False,
    }


def conversation_logs(events: pa.Table) -> list[dict[str, Any]]:
    """The CloudWatch Logs payloads of ``events``' bot sessions, in delivery order (repeats included)."""
    payloads: list[dict[str, Any]] = []
    for contact, channel, evs in contacts(events):
        bot = [e for e in evs if e[S.ACTOR_TYPE] == S.BOT]
        if channel not in INPUT_MODES or not bot:
            continue
        started = bot[0][S.TIMESTAMP]
        steps = [e for e in bot if e[S.ACTIVITY] != "Bot: conversation started"] or bot[:1]
        log_events = []
        for k, e in enumerate(steps):
            at = started if k == 0 else e[S.TIMESTAMP]  # the first turn starts the session
            turn = _turn(contact, k, e, channel, first=k == 0)
            log_events.append(
                {
                    "id": str(zlib.crc32(f"{contact}/{k}".encode()) * 10**6 + _ms(at) % 10**6),
                    "timestamp": _ms(at),
                    "message": json.dumps(turn, separators=(",", ":")),
                }
            )
        payload = {
            "messageType": "DATA_MESSAGE",
            "owner": "000000000000",
            "logGroup": "/aws/lex/cxray-bot",
            "logStream": f"{started:%Y/%m/%d}/[production]{contact}",
            "subscriptionFilters": ["lex-to-firehose"],
            "logEvents": log_events,
        }
        payloads.append(payload)
        if zlib.crc32(contact.encode("utf-8")) % DUPLICATE_EVERY == 0:
            payloads.append(payload)  # delivered again
    return payloads


def write(events: pa.Table, path: Path) -> int:
    """Write the bot turns of ``events`` as JSON Lines of CloudWatch payloads (gzip when ``path`` ends in
    ``.gz``); returns how many turns were written, repeated deliveries included."""
    payloads = conversation_logs(events)
    text = "".join(json.dumps(p, separators=(",", ":")) + "\n" for p in payloads).encode("utf-8")
    p = Path(path)
    p.write_bytes(gzip.compress(text, mtime=0) if p.name.endswith(".gz") else text)
    return sum(len(p["logEvents"]) for p in payloads)
