"""Amazon Connect contact records (CTRs): one record per leg in, the canonical events of each contact out.

Written from Amazon's published data model ("Data model for Amazon Connect contact records",
https://docs.aws.amazon.com/connect/latest/adminguide/ctr-data-model.html); docs/adapters.md has the field
by field mapping and the choices made here. In short:

* Input: JSON Lines, Kinesis Firehose objects (JSON records written back to back, ``}{``), gzip or not
  (told by the magic bytes, not the name), or a folder of them (an S3 export, read recursively in path
  order). Record numbers run on across the files of a folder.
* At-least-once delivery: per ``ContactId`` only the record with the latest ``LastUpdateTimestamp`` is
  kept (the later one in the file on a tie); the events the older deliveries would have given are counted
  as duplicates dropped (``RawSource.duplicates``), so ``rows_read`` still balances.
* Legs: a transfer or callback leg has a ``ContactId`` of its own; every leg with one ``InitialContactId``
  (or, without it, one ``PreviousContactId`` chain) is one cxray contact named by that initial id.
* Consult and conference legs (``leg_type``), told apart from transfers as Amazon's "Identify conferences
  and transfers" page does (the consulted agent enters after-contact work before the one who consulted),
  are side legs: the customer never left the first agent, so their events carry no queue and their end
  says nothing of a transfer. A leg with ``TransferCompletedTimestamp`` ends ``transferred`` even when no
  later leg is in the export (an external transfer).
* Overlapping legs (a warm transfer: the next leg starts before this one disconnects): this leg's events
  dated after the next leg's start are dated at it and come before it, their recorded time kept in
  ``ctr_timestamp``, so the route runs A → B, not A, B, A, B. Durations stay as the record says.
* Each leg gives up to six events (initiated, queued, agent connected, customer hold, after-contact work,
  disconnected) as rows of canonical columns plus the leg's attributes; the usual canonicalisation then
  parses, rejects and counts them. The start and the end are the ``system``'s, not an agent's touch. A
  record that is not a JSON object is a ``malformed_row``; one without ``ContactId`` or
  ``InitiationTimestamp`` gives a single row that is rejected ``missing_contact_id`` /
  ``missing_timestamp`` (``bad_timestamp`` for an unreadable one).

Reader options (a mapping's ``reader_options``): ``customer_attribute`` (the contact attribute holding the
customer id; default ``CustomerEndpoint.Address``), ``reason_attribute`` (the contact reason; default none)
and ``outcome_attribute`` (a disposition the contact flow or agent sets; default none).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from ... import schema as S
from ...engine import Engine
from ...errors import ConfigError, InputError
from .. import missing
from ..mapping import Mapping
from ..missing import Cleaner
from ..options import ReadOptions
from . import RawSource
from .records import GZIP_MAGIC, Rows, files, latest, parse_records, raw_head, register_rows
from .records import number as _number
from .records import obj as _obj
from .records import text as _text
from .records import time as _time

OPTIONS = ("customer_attribute", "reason_attribute", "outcome_attribute")
#: The fields that, together, say a file holds contact records (auto-detection, ``detect.py``).
SIGNATURE = ("ContactId", "InitiationMethod", "InitiationTimestamp", "Channel")
CHANNELS = {"VOICE": "phone", "CHAT": "chat", "TASK": "back_office", "EMAIL": "email"}
NOUNS = {"VOICE": "call", "CHAT": "chat", "TASK": "task", "EMAIL": "email"}
INITIATED = {
    "INBOUND": "Inbound {noun}",
    "OUTBOUND": "Outbound {noun}",
    "TRANSFER": "Transfer",
    "QUEUE_TRANSFER": "Queue transfer",
    "CALLBACK": "Callback",
    "API": "Started by API",
    "DISCONNECT": "Disconnect flow",
    "MONITOR": "Monitoring",
    "EXTERNAL_OUTBOUND": "External outbound call",
    "WEBRTC_API": "In-app call",
    "AGENT_REPLY": "Agent reply",
    "FLOW": "Started by flow",
}
QUEUED, CONNECTED, HOLD, ACW, DISCONNECTED = (
    "Queued",
    "Agent connected",
    "Customer hold",
    "After-contact work",
    "Disconnected",
)
#: Leg attributes kept on every event of the leg (besides ``Attributes.<key>``).
LEG_COLUMNS = ("ContactId", "InitiationMethod", "DisconnectReason", "ctr_record")
#: The adapter's own attributes, never cleaned: a side leg's kind, an event's recorded time when re-dated.
LEG_TYPE, RECORDED = "leg_type", "ctr_timestamp"
CONSULT, CONFERENCE = "consult", "conference"
#: A consulted party who talked at most this long (seconds) with the customer was only consulted (Amazon's
#: snippets use 2 s too: a consult leg's interaction is 0 but for the connection's rounding).
CONSULT_TALK_S = 2.0
EXTERNAL = "EXTERNAL_OUTBOUND"  # a leg dialled to an outside number: its CustomerEndpoint is that party


@dataclass
class _Record:
    number: int  # 1-based, across the files of a folder
    data: dict[str, Any]
    initiated: datetime | None = None
    updated: datetime | None = None


@dataclass(frozen=True)
class _Place:
    """A leg among its contact's: its kind when it is a side leg (consult, conference), whether a later
    leg the customer moved to follows it, and that leg (whose start dates this leg's later events)."""

    kind: str | None = None
    followed: bool = False
    after: _Record | None = None


#: The clock of a CTR's times: ISO 8601 in UTC with their offset (``2019-08-20T21:07:20Z``), as the field
#: reference gives every timestamp.
CLOCK = S.OFFSET_CLOCK


def load(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
    """Read a CTR file or folder into ``view``: one row per event, canonical columns plus leg attributes."""
    settings = dict(options.mapping.reader_options) if options.mapping is not None else {}
    unknown = sorted(set(settings) - set(OPTIONS))
    if unknown:
        raise ConfigError(
            f"amazon-connect-ctr: unknown reader_options {unknown}; known: {', '.join(OPTIONS)}"
        )
    from .amazon_connect_sql import flatten  # it reads this module's vocabulary

    mapping = options.mapping or Mapping()
    found = files(path)
    if (options.encoding or "utf-8").lower().replace("_", "-") in ("utf-8", "utf8"):
        fast = flatten(found, [raw_head(f) == GZIP_MAGIC for f in found], engine, mapping, view)
        if fast is not None:  # the same rows as below, flattened by DuckDB (amazon_connect_sql)
            return RawSource(
                path=str(path), view=view, records=fast.records, duplicates=fast.older_rows,
                owned=fast.tables, rescan=False, values=fast.values, clock=CLOCK,
                **_cleaned(mapping, fast.attributes),
            )  # fmt: skip
    parsed = parse_records(path, options)
    records = [_Record(r.number, r.data) for r in parsed.records]
    malformed = parsed.malformed
    if not records and not malformed:
        raise InputError("no contact records found", path=path)
    kept, older = _latest(records)
    rows, cleaner = Rows(), Cleaner(mapping)
    attributes: dict[str, None] = {}
    for leg_rows in _flatten(kept, settings):
        met: set[str] = set()
        for row in leg_rows:
            rows.add(_clean(row, cleaner, met))
            attributes.update((k, None) for k in row if k.startswith("Attributes."))
        cleaner.count(met)
    duplicates = sum(len(r) for r in _flatten(older, settings, contacts_of=kept))
    if rows.n == 0:
        raise InputError(f"no readable contact records ({len(malformed)} malformed)", path=path)
    source = register_rows(engine, view, rows, path, parsed, records=len(records), duplicates=duplicates)
    return dataclasses.replace(
        source, markers=dict(cleaner.markers), clock=CLOCK, **_cleaned(mapping, list(attributes))
    )


# --- cleaning: once per leg, not once per event (io.missing) ---------------------------------------------
#: The canonical columns a leg's events carry, cleaned here (their timestamps and actor type are not).
CLEANED = (S.CONTACT_ID, S.CUSTOMER_ID, S.CHANNEL, S.REASON, S.QUEUE, S.ACTOR, S.TEAM, S.ACTIVITY, S.OUTCOME)


def _clean(row: dict[str, Any], cleaner: Cleaner, met: set[str]) -> dict[str, Any]:
    """``row`` with its carried columns cleaned as the canonical step would; markers noted in ``met``."""
    out = dict(row)
    for column, value in row.items():
        if column in CLEANED:
            out[column] = cleaner.text(column, value, met)
        elif column in LEG_COLUMNS or column.startswith("Attributes."):
            out[column] = cleaner.attribute(column, value, met)
    return out


def _cleaned(mapping: Mapping, attributes: list[str]) -> dict[str, Any]:
    """``RawSource.clean`` and ``clean_attributes`` for the columns both paths clean."""
    return {
        "clean": {c: missing.kept_words(mapping, c) for c in CLEANED},
        "clean_attributes": frozenset([*LEG_COLUMNS, LEG_TYPE, RECORDED, *attributes]),
    }


# --- de-duplication ---------------------------------------------------------------------------------
def _latest(records: list[_Record]) -> tuple[list[_Record], list[_Record]]:
    """(the latest delivery per ContactId and every record without one, the older deliveries)."""
    for r in records:
        r.initiated = _time(r.data.get("InitiationTimestamp"))
        r.updated = _time(r.data.get("LastUpdateTimestamp"))
    return latest(
        records,
        key=lambda r: _text(r.data.get("ContactId")),
        rank=lambda r: r.updated or datetime.min,
        number=lambda r: r.number,
    )


# --- flattening ------------------------------------------------------------------------------------------
def _root(cid: str, record: dict[str, Any], previous: dict[str, str | None]) -> str:
    """The contact a leg belongs to: ``InitialContactId``, else the first id of its ``PreviousContactId``
    chain."""
    initial = _text(record.get("InitialContactId"))
    if initial is not None:
        return initial
    seen = {cid}
    current = cid
    while (prev := previous.get(current)) is not None and prev not in seen:
        seen.add(prev)
        current = prev
        if current not in previous:  # the chain leaves the data: its last known id is the initial one
            break
    return current


def _flatten(
    records: list[_Record], settings: dict[str, str], *, contacts_of: list[_Record] | None = None
) -> Iterator[list[dict[str, Any]]]:
    """The rows of each record, legs joined into contacts (``contacts_of``: the records the legs are
    joined over, when ``records`` are older deliveries counted only)."""
    legs_from = records if contacts_of is None else contacts_of
    previous = {
        cid: _text(r.data.get("PreviousContactId"))
        for r in legs_from
        if (cid := _text(r.data.get("ContactId"))) is not None
    }
    by_id = {cid: r for r in legs_from if (cid := _text(r.data.get("ContactId"))) is not None}
    roots: dict[str, list[_Record]] = {}
    for r in legs_from:
        cid = _text(r.data.get("ContactId"))
        if cid is not None and r.initiated is not None:
            roots.setdefault(_root(cid, r.data, previous), []).append(r)
    places: dict[int, _Place] = {}
    place: dict[int, tuple[int, int]] = {}  # record number -> (its contact's first record, leg index)
    for legs in roots.values():
        legs.sort(key=lambda r: (r.initiated or datetime.min, r.number))
        first = min(r.number for r in legs)
        place.update((r.number, (first, k)) for k, r in enumerate(legs))
        if len(legs) > 1:
            kinds = {r.number: _side(r, by_id) for r in legs}
            for r in legs:
                if kinds[r.number] is not None:
                    places[r.number] = _Place(kinds[r.number])
            main = [r for r in legs if kinds[r.number] is None]
            places.update((r.number, _Place(None, True, nxt)) for r, nxt in pairwise(main))
    # rows in leg order within a contact, so that events at one instant (a leg's end, the next one's
    # start) keep that order; contacts in the order of their first record
    counted = _Place(followed=True)  # an older delivery's rows are only counted
    for r in sorted(records, key=lambda r: place.get(r.number, (r.number, 0))):
        where = counted if contacts_of is not None else places.get(r.number, _Place())
        yield _events(r, settings, previous, where)


def _side(r: _Record, by_id: dict[str, _Record]) -> str | None:
    """``consult`` or ``conference`` when the leg is one (the customer stayed with the party who started
    it), else None: the rule of Amazon's "Identify conferences and transfers" page. The consulted party
    leaves first: an agent enters after-contact work, an outside number disconnects, before the agent of
    the leg that called it enters after-contact work. A consulted agent who never talked to the customer
    (an outside party who talked less than the customer was held) was consulted, else conferenced. A leg no
    agent answered ended before the calling agent's after-contact work began: a consult nobody took."""
    d = r.data
    parent = by_id.get(_text(d.get("PreviousContactId")) or "")
    if parent is None:
        return None
    parent_acw = _time(_text(_obj(parent.data, "Agent").get("AfterContactWorkStartTimestamp")))
    agent = _obj(d, "Agent")
    if (_text(d.get("InitiationMethod")) or "").upper() == EXTERNAL:
        left = _time(_text(d.get("DisconnectTimestamp")))
        if parent_acw is None or left is None or not parent_acw > left:
            return None
        held = _number(_obj(parent.data, "Agent").get("CustomerHoldDuration")) or 0.0
        talked = _number(_obj(d, "ExternalThirdParty").get("ExternalThirdPartyInteractionDuration")) or 0.0
        return CONSULT if held - talked > CONSULT_TALK_S else CONFERENCE
    acw = _text(agent.get("AfterContactWorkStartTimestamp"))
    left = _time(acw)
    if acw is None and _text(agent.get("ConnectedToAgentTimestamp")) is None:
        # nobody answered: the caller stayed with the agent who tried when that agent's after-contact work
        # starts after this leg ended (a consult no one took); else the caller was moved and left waiting
        left = _time(_text(d.get("DisconnectTimestamp")))
        return CONSULT if parent_acw is not None and left is not None and parent_acw > left else None
    if parent_acw is None or left is None or not parent_acw > left:
        return None
    talked = _number(agent.get("AgentInteractionDuration")) or 0.0
    return CONSULT if talked <= CONSULT_TALK_S else CONFERENCE


def _events(
    r: _Record, settings: dict[str, str], previous: dict[str, str | None], where: _Place
) -> list[dict[str, Any]]:
    d = r.data
    cid = _text(d.get("ContactId"))
    started = _text(d.get("InitiationTimestamp"))
    attributes = _obj(d, "Attributes")
    method = (_text(d.get("InitiationMethod")) or "").upper()
    channel_code = (_text(d.get("Channel")) or "").upper()
    leg = {
        "ContactId": cid,
        "InitiationMethod": method or None,
        "DisconnectReason": _text(d.get("DisconnectReason")),
        "ctr_record": str(r.number),
        LEG_TYPE: where.kind,
        RECORDED: None,
    }
    used = {settings.get(k) for k in OPTIONS} - {None}
    leg |= {f"Attributes.{k}": _text(v) for k, v in attributes.items() if k not in used}
    noun = NOUNS.get(channel_code, "contact")
    activity = INITIATED.get(method, method.replace("_", " ").capitalize() or "Contact initiated")
    if cid is None or started is None or r.initiated is None:  # one row, rejected by the canonical checks
        return [{S.CONTACT_ID: cid, S.TIMESTAMP: started, S.ACTIVITY: activity.format(noun=noun)} | leg]
    customer_key = settings.get("customer_attribute")
    if customer_key:
        customer = _text(attributes.get(customer_key))
    else:  # an external leg's endpoint is the party dialled, not the customer
        customer = None if method == EXTERNAL else _text(_obj(d, "CustomerEndpoint").get("Address"))
    reason_key = settings.get("reason_attribute")
    base = {
        S.CONTACT_ID: _root(cid, d, previous),
        S.CUSTOMER_ID: customer,
        S.CHANNEL: CHANNELS.get(channel_code, channel_code.lower() or None),
        S.REASON: _text(attributes.get(reason_key)) if reason_key else None,
    }
    queue, agent = _obj(d, "Queue"), _obj(d, "Agent")
    queue_name = None if where.kind is not None else _text(queue.get("Name"))  # a side leg is no route
    username = _text(agent.get("Username"))
    team = _text(_obj(agent, "RoutingProfile").get("Name"))
    by_agent = {S.ACTOR: username, S.ACTOR_TYPE: S.AGENT, S.TEAM: team, S.QUEUE: queue_name}
    rows: list[dict[str, Any]] = [
        {
            S.TIMESTAMP: started,
            S.ACTIVITY: activity.format(noun=noun),
            S.QUEUE: queue_name,
            S.ACTOR_TYPE: S.SYSTEM,
        }
    ]
    enqueued = _text(queue.get("EnqueueTimestamp"))
    if enqueued is not None:
        rows.append({S.TIMESTAMP: enqueued, S.ACTIVITY: QUEUED, S.QUEUE: queue_name, S.ACTOR_TYPE: S.SYSTEM})
    connected = _text(agent.get("ConnectedToAgentTimestamp"))
    if connected is not None:
        work = _number(agent.get("AgentInteractionDuration"))
        rows.append({S.TIMESTAMP: connected, S.ACTIVITY: CONNECTED, S.DURATION_S: work} | by_agent)
        hold = _number(agent.get("CustomerHoldDuration"))
        if hold:
            rows.append({S.TIMESTAMP: connected, S.ACTIVITY: HOLD, S.DURATION_S: hold} | by_agent)
    ended = _text(d.get("DisconnectTimestamp"))
    if ended is not None:
        outcome_key = settings.get("outcome_attribute")
        outcome = _text(attributes.get(outcome_key)) if outcome_key else None
        if outcome is None and where.kind is None:
            if where.followed or _text(d.get("TransferCompletedTimestamp")) is not None:
                outcome = S.TRANSFERRED
            elif enqueued is not None and connected is None:
                outcome = S.ABANDONED
        rows.append(
            {
                S.TIMESTAMP: ended,
                S.ACTIVITY: DISCONNECTED,
                S.QUEUE: queue_name,
                S.OUTCOME: outcome,
                S.ACTOR_TYPE: S.SYSTEM,
            }
        )
    acw_start = _text(agent.get("AfterContactWorkStartTimestamp"))
    if acw_start is not None:
        acw = _number(agent.get("AfterContactWorkDuration"))
        rows.append({S.TIMESTAMP: acw_start, S.ACTIVITY: ACW, S.DURATION_S: acw} | by_agent)
    out = [base | row | leg for row in rows]
    nxt = where.after
    if nxt is not None and nxt.initiated is not None:  # dated at the next leg's start, if later
        for row in out:
            at = _time(row[S.TIMESTAMP])
            if at is not None and at > nxt.initiated:
                row[RECORDED], row[S.TIMESTAMP] = row[S.TIMESTAMP], _text(nxt.data.get("InitiationTimestamp"))
    return out
