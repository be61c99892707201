"""Genesys Cloud analytics conversation details: one conversation in, the canonical events of one contact out.

Written from Genesys's published API models for ``POST /api/v2/analytics/conversations/details/query`` and
the details jobs (``/api/v2/analytics/conversations/details/jobs/{jobId}/results``): AnalyticsConversation,
AnalyticsParticipant, AnalyticsSession, AnalyticsFlow, AnalyticsFlowOutcome and AnalyticsConversationSegment
as the Platform API documents them (API Explorer, https://developer.genesys.cloud/devapps/api-explorer, and
the SDKs' model pages); docs/adapters/genesys-cloud.md has the field by field mapping and the choices
made here. In short:

* Input: API pages (``{"conversations": [...], "cursor"/"totalHits": ...}``), JSON arrays or JSON Lines of
  conversation objects, gzip or not, a file or a folder of them; records (conversations) are numbered
  across the files of a folder.
* One conversation is one contact (``contact_id`` = ``conversationId``). Its events come from the
  segments of its participants, ordered by (``segmentStart``, participant order): the conversation's
  start, flow (IVR/bot) time and flow outcomes, queue time, an agent's alert, interact, hold and wrap-up
  segments, voicemail. Interact, hold and wrap-up give ``duration_s`` (segment length), so handle time is
  talk + hold + after-contact work.
* A conversation delivered twice (overlapping intervals, a job re-run, an in-progress snapshot) is kept
  once: the ended copy over one still in progress, then the later ``conversationEnd``, then the later in
  the file. The older copy's events are counted as duplicates dropped.
* Outcomes are what the platform says: a wrap-up code (its name from the ``wrapup_codes`` lookup; then
  ``outcome_values``), ``transferred`` when an agent's segment ends in a transfer, ``abandoned`` when a
  queue's segment ends without an agent answering, ``contained`` when a flow outcome succeeded in a flow the
  conversation did not leave for a queue. Never ``resolved`` unless a wrap-up code says so.
* A record that is not a JSON object is a ``malformed_row``; one without ``conversationId`` or a readable
  ``conversationStart`` gives a single row, rejected ``missing_contact_id`` / ``missing_timestamp`` /
  ``bad_timestamp`` by the canonical checks.

Reader options: ``customer_attribute`` and ``reason_attribute`` (participant attributes; by default the
customer is the customer participant's ANI or address and there is no reason), and lookups from ids to
names, each a file (a JSON array of ``{id, name}``, an API page ``{"entities": [...]}``, or CSV ``id,name``):
``queues``, ``users``, ``teams``, ``wrapup_codes``, ``flow_outcomes``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ... import schema as S
from ...engine import Engine
from ...errors import ConfigError, InputError
from ..options import ReadOptions
from . import RawSource
from .records import Rows, json_values, latest, parse_records, read_text, register_rows
from .records import items as _items
from .records import obj as _obj
from .records import text as _text
from .records import time as _time

NAME = "genesys-cloud"
LOOKUPS = ("queues", "users", "teams", "wrapup_codes", "flow_outcomes")
OPTIONS = ("customer_attribute", "reason_attribute", *LOOKUPS)
#: The fields that, together, say a file holds conversation details (auto-detection, ``detect.py``).
SIGNATURE = (
    "conversationId",
    "conversationStart",
    "participants.purpose",
    "participants.sessions.segments.segmentType",
)
CHANNELS = {
    "voice": "phone",
    "callback": "phone",
    "chat": "chat",
    "message": "chat",
    "email": "email",
    "video": "video",
    "cobrowse": "web",
    "screenshare": "web",
}
_NOUNS = {"voice": "call", "callback": "callback", "chat": "chat", "message": "message", "email": "email"}
CUSTOMERS = ("customer", "external")  # in this order of preference
FLOWS = ("ivr", "workflow", "botflow")
AGENTS = ("agent", "user")
_BOT_FLOWS = {"BOT", "DIGITALBOT", "INBOUNDCHAT", "INBOUNDSHORTMESSAGE"}
#: Agent segment types and their activities (``alert`` only when it was not answered; others skipped).
AGENT_ACTIVITIES = {
    "interact": "Agent handling",
    "hold": "Customer hold",
    "wrapup": "After-contact work",
    "dialing": "Dialing",
    "contacting": "Contacting",
    "scheduled": "Callback scheduled",
    "callback": "Callback",
    "voicemail": "Voicemail",
}
_TIMED = {"interact", "hold", "wrapup"}  # segment types whose length is work (duration_s)
NOT_ANSWERED = "Alert not answered"
QUEUED, ABANDONED_IN_QUEUE, FLOW_OUTCOME = "Queued", "Abandoned", "Flow outcome"
#: Every event keeps these (when set); participant attributes follow as ``attributes.<key>``.
KEPT = (
    "participantId",
    "purpose",
    "sessionId",
    "mediaType",
    "segmentType",
    "disconnectType",
    "queueId",
    "userId",
    "wrapUpCode",
    "wrapUpNote",
    "requestedRoutingSkillIds",
    "flowName",
    "flowType",
    "exitReason",
    "transferType",
    "endingLanguage",
    "flowOutcomeId",
    "flowOutcomeValue",
    "originatingDirection",
    "divisionIds",
    "genesys_record",
)


def _transfer(disconnect: str | None) -> bool:
    """``transfer``, ``consultTransfer``, ``forwardTransfer``, ``noAnswerTransfer``... (any case, dotted
    spellings such as ``transfer.consult`` too)."""
    return disconnect is not None and "transfer" in disconnect.lower()


@dataclass
class _Conversation:
    number: int  # 1-based, across the files of a folder
    data: dict[str, Any]
    ended: datetime | None = None


@dataclass
class _Segment:
    participant: int
    order: int
    start: datetime | None
    end: datetime | None
    data: dict[str, Any]
    session: dict[str, Any]
    person: dict[str, Any]

    @property
    def kind(self) -> str:
        return (_text(self.data.get("segmentType")) or "").lower()

    @property
    def disconnect(self) -> str | None:
        return _text(self.data.get("disconnectType"))

    @property
    def seconds(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return (self.end - self.start).total_seconds()


def load(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
    """Read a conversation details file or folder into ``view``: one row per event."""
    settings = dict(options.mapping.reader_options) if options.mapping is not None else {}
    unknown = sorted(set(settings) - set(OPTIONS))
    if unknown:
        raise ConfigError(f"{NAME}: unknown reader_options {unknown}; known: {', '.join(OPTIONS)}")
    names = {key: _lookup(key, settings[key], path, options) for key in LOOKUPS if settings.get(key)}
    parsed = parse_records(path, options, unwrap=("conversations",))
    records = [_Conversation(r.number, r.data) for r in parsed.records]
    if not records and not parsed.malformed:
        raise InputError("no conversations found", path=path)
    kept, older = _latest(records)
    rows = Rows()
    for conversation in kept:
        for row in _events(conversation, settings, names):
            rows.add(row)
    duplicates = sum(len(_events(c, settings, names)) for c in older)
    if rows.n == 0:
        raise InputError(f"no readable conversations ({len(parsed.malformed)} malformed)", path=path)
    return register_rows(engine, view, rows, path, parsed, records=len(records), duplicates=duplicates)


# --- lookups -----------------------------------------------------------------------------------------
def _lookup(key: str, value: str, path: Path, options: ReadOptions) -> dict[str, str]:
    """id -> name from a lookup file: JSON (an array of objects, ``{"entities": [...]}`` as the API pages
    them, or JSON Lines) or CSV with ``id`` and ``name`` columns (else the first two). A relative path is
    taken from the working folder, else from the export's folder."""
    file = Path(value).expanduser()
    if not file.is_absolute() and not file.exists():
        file = (path if path.is_dir() else path.parent) / value
    if not file.is_file():
        raise ConfigError(f"{NAME}: reader_options {key}: file not found: {value}")
    try:
        content = read_text(file, options)
    except InputError as exc:
        raise ConfigError(f"{NAME}: reader_options {key}: {exc}") from None
    names: dict[str, str] = {}
    if content.lstrip("\ufeff \t\r\n")[:1] in ("[", "{"):
        for item, _ in json_values(content):
            entries = item.get("entities") if isinstance(item, dict) and "entities" in item else item
            for entry in entries if isinstance(entries, list) else [entries]:
                if isinstance(entry, dict) and _text(entry.get("id")) and _text(entry.get("name")):
                    names[str(entry["id"])] = str(entry["name"])
        return names
    table = list(csv.reader(io.StringIO(content.lstrip("\ufeff"))))
    header = [c.strip().lower() for c in table[0]] if table else []
    has_header = "id" in header and "name" in header
    i, n = (header.index("id"), header.index("name")) if has_header else (0, 1)
    for line in table[1 if has_header else 0 :]:
        if len(line) > max(i, n) and line[i].strip() and line[n].strip():
            names[line[i].strip()] = line[n].strip()
    return names


# --- de-duplication ---------------------------------------------------------------------------------
def _latest(records: list[_Conversation]) -> tuple[list[_Conversation], list[_Conversation]]:
    """(one copy per conversationId, and every record without one; the other copies)."""
    for r in records:
        r.ended = _time(r.data.get("conversationEnd"))
    return latest(
        records, key=lambda r: _text(r.data.get("conversationId")), rank=_rank, number=lambda r: r.number
    )


def _rank(r: _Conversation) -> tuple[bool, datetime]:
    return r.ended is not None, r.ended or datetime.min


# --- flattening ------------------------------------------------------------------------------------------
def _events(
    r: _Conversation, settings: dict[str, str], names: dict[str, dict[str, str]]
) -> list[dict[str, Any]]:
    """The rows of one conversation, in event order."""
    d = r.data
    cid = _text(d.get("conversationId"))
    started = _text(d.get("conversationStart"))
    people = _items(d, "participants")
    customer = next((p for kind in CUSTOMERS for p in people if _purpose(p) == kind), None)
    sessions = _items(customer, "sessions") if customer else []
    sessions = sessions or [s for p in people for s in _items(p, "sessions")][:1]
    media = (_text(sessions[0].get("mediaType")) if sessions else None) or ""
    media = media.lower()
    direction = (_text(d.get("originatingDirection")) or "inbound").lower()
    used = {settings.get("customer_attribute"), settings.get("reason_attribute")} - {None}
    attributes = _obj(customer, "attributes") if customer else {}
    base: dict[str, Any] = {
        S.CONTACT_ID: cid,
        S.CHANNEL: CHANNELS.get(media, media or None),
        S.CUSTOMER_ID: _customer(people, customer, settings),
        S.REASON: _attribute(people, customer, settings.get("reason_attribute")),
        "originatingDirection": _text(d.get("originatingDirection")),
        "divisionIds": _text(d.get("divisionIds")),
        "genesys_record": str(r.number),
    } | {f"attributes.{k}": _text(v) for k, v in attributes.items() if k not in used}
    noun = _NOUNS.get(media, "contact")
    opening = {S.TIMESTAMP: started, S.ACTIVITY: f"{direction.capitalize()} {noun}"}
    if cid is None or _time(d.get("conversationStart")) is None:  # one row, rejected by the canonical checks
        return [base | opening]
    segments = _segments(people)
    # a queue's name: the lookup's, else the name its ACD participant carries, else its id
    carried = {
        q: name
        for g in segments
        if _purpose(g.person) == "acd"
        and (q := _text(g.data.get("queueId"))) is not None
        and (name := _text(g.person.get("participantName"))) is not None
    }
    names = names | {"queues": carried | names.get("queues", {})}
    rows: list[tuple[tuple[datetime, int, int], dict[str, Any]]] = [((datetime.min, -1, 0), opening)]
    for place, row in _rows(segments, people, names):
        rows.append((place, row))
    rows.sort(key=lambda pr: pr[0])
    return [base | row for _, row in rows]


def _purpose(p: dict[str, Any] | None) -> str:
    return (_text(p.get("purpose")) or "").lower() if p else ""


def _attribute(people: list[dict[str, Any]], customer: dict[str, Any] | None, key: str | None) -> str | None:
    """Participant attribute ``key``: the customer's, else the first participant's that has it."""
    if not key:
        return None
    for p in ([customer] if customer else []) + people:
        value = _text(_obj(p, "attributes").get(key))
        if value is not None:
            return value
    return None


def _customer(
    people: list[dict[str, Any]], customer: dict[str, Any] | None, settings: dict[str, str]
) -> str | None:
    """The customer: a participant attribute when ``customer_attribute`` names one, else the customer
    participant's number or address (ANI of an inbound session, DNIS of an outbound one, ``tel:`` dropped)."""
    key = settings.get("customer_attribute")
    if key:
        return _attribute(people, customer, key)
    for s in _items(customer, "sessions") if customer else []:
        outbound = (_text(s.get("direction")) or "").lower() == "outbound"
        fields = ("dnis", "addressTo", "ani", "addressFrom") if outbound else ("ani", "addressFrom", "dnis")
        for field in (*fields, "addressOther"):
            value = _text(s.get(field))
            if value is not None:
                return value.removeprefix("tel:")
    return None


def _segments(people: list[dict[str, Any]]) -> list[_Segment]:
    out: list[_Segment] = []
    for i, p in enumerate(people):
        for s in _items(p, "sessions"):
            for seg in _items(s, "segments"):
                start, end = _time(seg.get("segmentStart")), _time(seg.get("segmentEnd"))
                out.append(_Segment(i, len(out), start, end, seg, s, p))
    return out


def _name(
    names: dict[str, dict[str, str]], kind: str, key: str | None, fallback: str | None = None
) -> str | None:
    if key is None:
        return fallback
    return names.get(kind, {}).get(key) or fallback or key


def _rows(
    segments: list[_Segment], people: list[dict[str, Any]], names: dict[str, dict[str, str]]
) -> list[tuple[tuple[datetime, int, int], dict[str, Any]]]:
    """(sort key, row) of every event the segments give."""
    out: list[tuple[tuple[datetime, int, int], dict[str, Any]]] = []
    routed = [g for g in segments if _purpose(g.person) in ("acd", *AGENTS)]
    answered = [g for g in segments if _purpose(g.person) in AGENTS and g.kind == "interact"]
    callbacks = [g for g in segments if (_text(g.session.get("mediaType")) or "").lower() == "callback"]
    for g in segments:
        purpose = _purpose(g.person)
        key = (g.start or datetime.max, g.participant, g.order)
        common = _common(g)
        if purpose in FLOWS:
            out += _flow(g, key, common, routed, names)
        elif purpose == "acd":
            out += _queue(g, key, common, segments, answered, callbacks, names)
        elif purpose in AGENTS:
            row = _agent(g, common, segments, names)
            if row is not None:
                out.append((key, row))
        elif purpose == "voicemail":
            row = {S.ACTIVITY: "Voicemail", S.ACTOR_TYPE: S.SYSTEM, S.DURATION_S: None}
            out.append((key, common | row))
    return out


def _common(g: _Segment) -> dict[str, Any]:
    seg, s, p = g.data, g.session, g.person
    return {
        S.TIMESTAMP: _text(seg.get("segmentStart")),
        "participantId": _text(p.get("participantId")),
        "purpose": _text(p.get("purpose")),
        "sessionId": _text(s.get("sessionId")),
        "mediaType": _text(s.get("mediaType")),
        "segmentType": _text(seg.get("segmentType")),
        "disconnectType": g.disconnect,
        "queueId": _text(seg.get("queueId")),
        "requestedRoutingSkillIds": _text(seg.get("requestedRoutingSkillIds")),
    }


def _flow(
    g: _Segment,
    key: tuple[datetime, int, int],
    common: dict[str, Any],
    routed: list[_Segment],
    names: dict[str, dict[str, str]],
) -> list[tuple[tuple[datetime, int, int], dict[str, Any]]]:
    """An IVR or bot flow's segment, and (on the session's first segment) its flow outcomes."""
    if g.kind == "alert":
        return []
    flow = _obj(g.session, "flow")
    flow_type = (_text(flow.get("flowType")) or "").upper()
    media = (_text(g.session.get("mediaType")) or "").lower()
    bot = flow_type in _BOT_FLOWS or _purpose(g.person) == "botflow" or media in ("chat", "message")
    actor_type = S.BOT if bot else S.IVR
    info = {
        "flowName": _text(flow.get("flowName")),
        "flowType": _text(flow.get("flowType")),
        "exitReason": _text(flow.get("exitReason")),
        "transferType": _text(flow.get("transferType")),
        "endingLanguage": _text(flow.get("endingLanguage")),
    }
    actor = info["flowName"] or _text(g.person.get("participantName"))
    activity = "Bot flow" if bot else "IVR flow"
    row = {S.ACTIVITY: activity, S.ACTOR: actor, S.ACTOR_TYPE: actor_type, S.DURATION_S: g.seconds}
    out = [(key, common | info | row)]
    first = next((x for x in _items(g.session, "segments")), None)
    if first is not g.data:
        return out
    left = info["transferType"] is not None or any(
        r.start is not None and g.start is not None and r.start >= g.start for r in routed
    )
    for k, outcome in enumerate(_items(flow, "outcomes")):
        at = _text(outcome.get("flowOutcomeStartTimestamp")) or _text(outcome.get("flowOutcomeEndTimestamp"))
        oid = _text(outcome.get("flowOutcomeId"))
        value = _text(outcome.get("flowOutcomeValue"))
        label = _name(names, "flow_outcomes", oid) or _text(outcome.get("flowOutcome")) or "unnamed"
        contained = not left and (value or "").upper() == "SUCCESS"
        event = {
            S.TIMESTAMP: at or common[S.TIMESTAMP],
            S.ACTIVITY: f"{FLOW_OUTCOME}: {label}",
            S.ACTOR: actor,
            S.ACTOR_TYPE: actor_type,
            S.OUTCOME: S.CONTAINED if contained else None,
            "flowOutcomeId": oid,
            "flowOutcomeValue": value,
        }
        t = _time(at) or g.start or datetime.max
        out.append(((t, g.participant, g.order * 1000 + k + 1), common | info | event))
    return out


def _queue(
    g: _Segment,
    key: tuple[datetime, int, int],
    common: dict[str, Any],
    segments: list[_Segment],
    answered: list[_Segment],
    callbacks: list[_Segment],
    names: dict[str, dict[str, str]],
) -> list[tuple[tuple[datetime, int, int], dict[str, Any]]]:
    """A queue's segment: ``Queued`` at the session's first one; ``Abandoned`` after its last one when
    it ended without an agent answering (or the session has a ``tAbandon`` metric)."""
    own = [x for x in segments if x.session is g.session]
    queue_id = next((_text(x.data.get("queueId")) for x in own if _text(x.data.get("queueId"))), None)
    queue = _name(names, "queues", queue_id, _text(g.person.get("participantName")))
    out: list[tuple[tuple[datetime, int, int], dict[str, Any]]] = []
    row = {S.QUEUE: queue, S.ACTOR: "ACD", S.ACTOR_TYPE: S.SYSTEM}
    if g is own[0]:
        out.append((key, common | {S.ACTIVITY: QUEUED} | row))
    if g is own[-1] and _abandoned(g, own[0], answered, callbacks):
        end = _text(g.data.get("segmentEnd"))
        event = {S.TIMESTAMP: end, S.ACTIVITY: ABANDONED_IN_QUEUE, S.ACTOR_TYPE: S.CUSTOMER}
        t = g.end or datetime.max
        out.append(((t, g.participant, g.order), common | row | event | {S.OUTCOME: S.ABANDONED}))
    return out


def _abandoned(last: _Segment, first: _Segment, answered: list[_Segment], callbacks: list[_Segment]) -> bool:
    metrics = {_text(m.get("name")) for m in _items(last.session, "metrics")}
    if "tAbandon" in metrics:
        return True
    if last.end is None or last.disconnect is None or _transfer(last.disconnect):
        return False
    since = first.start or datetime.min
    later = [a for a in answered + callbacks if a.start is not None and a.start >= since]
    return not later


def _agent(
    g: _Segment, common: dict[str, Any], segments: list[_Segment], names: dict[str, dict[str, str]]
) -> dict[str, Any] | None:
    """An agent's segment as an event (None for an answered alert and for system/delay time)."""
    kind = g.kind
    if kind == "alert":
        if not _transfer(g.disconnect) and g.disconnect not in ("timeout", "endpoint"):
            return None
        activity = NOT_ANSWERED
    else:
        activity = AGENT_ACTIVITIES.get(kind, "")
        if not activity:
            return None
    p = g.person
    user = _text(p.get("userId"))
    own = [x for x in segments if x.session is g.session]
    queue_id = _text(g.data.get("queueId")) or next(
        (_text(x.data.get("queueId")) for x in own if _text(x.data.get("queueId"))), None
    )
    code = _text(g.data.get("wrapUpCode"))
    outcome = _name(names, "wrapup_codes", code)
    if outcome is None and kind in ("interact", "hold") and _last_talk(g, own) and _transfer(g.disconnect):
        outcome = S.TRANSFERRED
    return common | {
        S.ACTIVITY: activity,
        S.ACTOR: _name(names, "users", user, _text(p.get("participantName"))),
        S.ACTOR_TYPE: S.AGENT,
        S.TEAM: _name(names, "teams", _text(p.get("teamId"))),
        S.QUEUE: _name(names, "queues", queue_id),
        S.OUTCOME: outcome,
        S.DURATION_S: g.seconds if kind in _TIMED else None,
        "queueId": queue_id,
        "userId": user,
        "wrapUpCode": code,
        "wrapUpNote": _text(g.data.get("wrapUpNote")),
    }


def _last_talk(g: _Segment, own: list[_Segment]) -> bool:
    """Whether ``g`` is its session's last interact or hold segment."""
    talk = [x for x in own if x.kind in ("interact", "hold")]
    return bool(talk) and talk[-1] is g
