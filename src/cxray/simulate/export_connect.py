"""The simulated centre's phone and chat contacts as Amazon Connect contact records (CTRs).

One record per leg, in the shape of Amazon's data model (docs/adapters.md): the first leg from the
contact's first event (IVR or bot time included), a new leg at each later queue (a transfer or an
escalation: ``InitiationMethod`` TRANSFER, ``PreviousContactId`` the leg before, ``InitialContactId`` the
first), the agent's interaction and after-contact work with their durations, and the contact attributes
``customer_id``, ``reason`` and ``disposition`` (the leg's last outcome in the canonical log), which is how
a contact flow or an agent's disposition code carries them in a real centre. CTRs carry no bot or IVR
turns, no survey and no back-office or email work: those are not written. About one leg in twenty is
delivered twice, the extra copy an older version (before its after-contact work) with an earlier
``LastUpdateTimestamp``, as Connect's at-least-once delivery does.

Built from the canonical Arrow table alone: the simulator knows only the data contract (``schema``).
"""

from __future__ import annotations

import gzip
import json
import zlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from .. import schema as S
from .export_rows import contacts, end

CHANNELS = {"phone": "VOICE", "chat": "CHAT"}
DUPLICATE_EVERY = 20  # about one leg in this many is delivered twice
_SKIPPED = (S.CUSTOMER,)  # survey and abandonment rows are the customer's, not a leg's work


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def contact_records(events: pa.Table) -> list[dict[str, Any]]:
    """The CTRs of ``events``' phone and chat contacts, in delivery order (older copies included)."""
    records: list[dict[str, Any]] = []
    for contact, channel, evs in contacts(events):
        if channel not in CHANNELS:
            continue
        for record in _legs(contact, CHANNELS[channel], evs):
            records += _deliveries(record)
    return records


def _legs(contact: str, channel: str, evs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    legs: list[list[dict[str, Any]]] = [[]]
    queued = False
    for e in evs:
        if e[S.ACTOR_TYPE] == S.SYSTEM and e[S.QUEUE]:
            if queued:
                legs.append([])
            queued = True
        legs[-1].append(e)
    customer, reason = evs[0][S.CUSTOMER_ID], evs[0][S.REASON]
    out: list[dict[str, Any]] = []
    for k, leg in enumerate(legs):
        cid = contact if k == 0 else f"{contact}-{k + 1}"
        work = [e for e in leg if e[S.ACTOR_TYPE] not in _SKIPPED] or leg
        queue = next((e for e in leg if e[S.ACTOR_TYPE] == S.SYSTEM and e[S.QUEUE]), None)
        agent = [e for e in leg if e[S.ACTOR_TYPE] == S.AGENT]
        acw = next((e for e in agent if e[S.ACTIVITY] == "After-contact work"), None)
        talk = [e for e in agent if e is not acw]
        gave_up = next((e for e in leg if e[S.OUTCOME] == S.ABANDONED), None)
        outcomes = [e[S.OUTCOME] for e in leg if e[S.OUTCOME]]
        started = (queue or leg[0])[S.TIMESTAMP] if k else leg[0][S.TIMESTAMP]
        ended = max(end(e) for e in work)
        if gave_up is not None:
            ended = max(ended, gave_up[S.TIMESTAMP])
        record: dict[str, Any] = {
            "AWSAccountId": "000000000000",
            "ContactId": cid,
            "Channel": channel,
            "InitiationMethod": ("INBOUND" if channel == "VOICE" else "API") if k == 0 else "TRANSFER",
            "InitiationTimestamp": _iso(started),
            "DisconnectTimestamp": _iso(ended),
            "LastUpdateTimestamp": _iso(ended + timedelta(seconds=30)),
        }
        if k:
            record["InitialContactId"] = contact
            record["PreviousContactId"] = contact if k == 1 else f"{contact}-{k}"
        if channel == "VOICE" and customer:
            record["CustomerEndpoint"] = {"Address": customer, "Type": "TELEPHONE_NUMBER"}
        if queue is not None:
            dequeued = talk[0][S.TIMESTAMP] if talk else (gave_up or queue)[S.TIMESTAMP]
            record["Queue"] = {
                "Name": queue[S.QUEUE],
                "EnqueueTimestamp": _iso(queue[S.TIMESTAMP]),
                "DequeueTimestamp": _iso(dequeued),
                "Duration": int((dequeued - queue[S.TIMESTAMP]).total_seconds()),
            }
        if talk:
            first = talk[0]
            agent_record: dict[str, Any] = {
                "Username": first[S.ACTOR],
                "ConnectedToAgentTimestamp": _iso(first[S.TIMESTAMP]),
                "AgentInteractionDuration": round(sum(e[S.DURATION_S] or 0 for e in talk)),
                "CustomerHoldDuration": 0,
                "RoutingProfile": {"Name": first[S.TEAM]},
            }
            if acw is not None:
                agent_record["AfterContactWorkStartTimestamp"] = _iso(acw[S.TIMESTAMP])
                agent_record["AfterContactWorkEndTimestamp"] = _iso(end(acw))
                agent_record["AfterContactWorkDuration"] = round(acw[S.DURATION_S] or 0)
            record["Agent"] = agent_record
        record["DisconnectReason"] = (
            "CUSTOMER_DISCONNECT"
            if gave_up is not None
            else "AGENT_DISCONNECT"
            if talk
            else "CONTACT_FLOW_DISCONNECT"
        )
        attributes = {
            "customer_id": customer,
            "reason": reason,
            "disposition": outcomes[-1] if outcomes else None,
        }
        record["Attributes"] = {a: v for a, v in attributes.items() if v is not None}
        out.append(record)
    return out


def _deliveries(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The record, and for about one leg in twenty an older copy before it or after it."""
    tag = zlib.crc32(record["ContactId"].encode("utf-8"))
    if tag % DUPLICATE_EVERY:
        return [record]
    older = json.loads(json.dumps(record))
    for key in ("AfterContactWorkStartTimestamp", "AfterContactWorkEndTimestamp", "AfterContactWorkDuration"):
        older.get("Agent", {}).pop(key, None)
    older["Attributes"].pop("disposition", None)
    older["LastUpdateTimestamp"] = record["DisconnectTimestamp"]
    return [older, record] if tag % (2 * DUPLICATE_EVERY) else [record, older]


def write_contact_records(events: pa.Table, path: str | Path) -> int:
    """Write the CTRs of ``events`` as JSON Lines (gzip when ``path`` ends in ``.gz``); returns how many."""
    records = contact_records(events)
    text = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records).encode("utf-8")
    p = Path(path)
    p.write_bytes(gzip.compress(text, mtime=0) if p.name.endswith(".gz") else text)
    return len(records)
