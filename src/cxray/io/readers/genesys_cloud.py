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
  start, flow visits (a flow session's opening ``system`` segment skipped) and flow outcomes, queue time,
  an agent's unanswered alert, interact, hold and wrap-up segments, voicemail. Only interact, hold and
  wrap-up give ``duration_s`` (segment length), so handle time is talk + hold + after-contact work; IVR
  and bot time is not.
* Bots are bot flows only (BOT, DIGITALBOT, ``botflow``); other flows route: an IVR on a call, a system
  step on chat, message and email, so a message routed to a queue is not self-service.
* An agent who transferred the customer wraps up alongside the next leg: those tail segments are dated at
  the next leg's start, before it (``_tails``), so one transfer counts once and the last leg's outcome is
  the final one.
* A conversation delivered twice (overlapping intervals, a job re-run, an in-progress snapshot) is kept
  once: the ended copy over one still in progress, then the later ``conversationEnd``, then the later in
  the file. The older copy's events are counted as duplicates dropped.
* Outcomes are what the platform says: a wrap-up code (its name from the ``wrapup_codes`` lookup; then
  ``outcome_values``; Genesys's own ``ININ-`` codes, set when no one chose a code, only when
  ``outcome_values`` names them), ``transferred`` when an agent's segment ends in a transfer, ``abandoned``
  when a queue's segment ends without an agent answering, ``contained`` when a flow outcome succeeded in a
  flow the conversation did not leave for a queue. Never ``resolved`` unless a wrap-up code says so.
* A record that is not a JSON object is a ``malformed_row``; one without ``conversationId`` or a readable
  ``conversationStart`` gives a single row, rejected ``missing_contact_id`` / ``missing_timestamp`` /
  ``bad_timestamp`` by the canonical checks. A Python SDK dump in snake_case is refused with what to write.

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
from .amazon_connect import CONSULT, LEG_TYPE
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
#: The same dumped by the Python SDK in snake_case: recognised, so the reader says what to write instead.
MORE_SIGNATURES = (
    (
        "conversation_id",
        "conversation_start",
        "participants.purpose",
        "participants.sessions.segments.segment_type",
    ),
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
#: Flow types that converse with the customer as a bot; every other flow routes (IVR on voice, else system).
BOT_FLOWS = {"BOT", "DIGITALBOT"}
#: Flow types that never talk to the customer, whatever the media.
_SILENT_FLOWS = {"WORKFLOW", "WORKITEM"}
_VOICE = ("voice", "callback", "")  # a flow session without a media type is taken as a call's
#: Wrap-up codes Genesys sets itself when no one chose one (``ININ-WRAP-UP-TIMEOUT``,
#: ``ININ-OUTBOUND-PREVIEW-SKIPPED``...): no outcome unless ``outcome_values`` names them.
SYSTEM_CODE_PREFIX = "ININ-"
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
_TALK = ("interact", "hold")  # the segments an agent spends with the customer
NOT_ANSWERED = "Alert not answered"
QUEUED, ABANDONED_IN_QUEUE, FLOW_OUTCOME = "Queued", "Abandoned", "Flow outcome"
IVR_FLOW, BOT_FLOW, ROUTING_FLOW = "IVR flow", "Bot flow", "Routing flow"
#: Every event keeps these (when set); participant attributes follow as ``attributes.<key>``.
KEPT = (
    "participantId",
    "purpose",
    "sessionId",
    "mediaType",
    "segmentType",
    "segmentStart",
    "segmentEnd",
    "disconnectType",
    "errorCode",
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


@dataclass(frozen=True)
class _Context:
    """What every conversation is read with: the reader options, the lookups (kind -> id -> name) and the
    codes ``outcome_values`` names (a system wrap-up code among them stays an outcome)."""

    settings: dict[str, str]
    names: dict[str, dict[str, str]]
    mapped_codes: frozenset[str]


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
    mapped = options.mapping.value_map(S.OUTCOME) if options.mapping is not None else {}
    context = _Context(settings, names, frozenset(mapped))
    parsed = parse_records(path, options, unwrap=("conversations",))
    records = [_Conversation(r.number, r.data) for r in parsed.records]
    if not records and not parsed.malformed:
        raise InputError("no conversations found", path=path)
    _refuse_snake_case(records, path)
    kept, older = _latest(records)
    rows = Rows()
    for conversation in kept:
        for row in _events(conversation, context):
            rows.add(row)
    duplicates = sum(len(_events(c, context)) for c in older)
    if rows.n == 0:
        raise InputError(f"no readable conversations ({len(parsed.malformed)} malformed)", path=path)
    return register_rows(engine, view, rows, path, parsed, records=len(records), duplicates=duplicates)


def _refuse_snake_case(records: list[_Conversation], path: Path) -> None:
    """A Python SDK model dumped with ``to_dict()`` spells every field in snake_case (``conversation_id``,
    ``segment_type``): read on, each conversation would be one row rejected ``missing_contact_id``, which
    hides the cause. Say what to write instead."""
    if any("conversationId" in r.data for r in records):
        return
    if any("conversation_id" in r.data for r in records):
        raise InputError(
            f"{NAME}: fields are in snake_case (conversation_id, segment_type...), as the Python SDK's "
            "to_dict() writes them; the adapter reads the API's camelCase JSON (conversationId, "
            "segmentType...): save the response body as returned, or "
            "ApiClient().sanitize_for_serialization(result)",
            path=path,
        )


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
#: Where an event goes in its conversation: (time, 0 for a re-dated tail event else 1, participant, order).
Place = tuple[datetime, int, int, int]


def _events(r: _Conversation, context: _Context) -> list[dict[str, Any]]:
    """The rows of one conversation, in event order."""
    d = r.data
    settings = context.settings
    cid = _text(d.get("conversationId"))
    started = _text(d.get("conversationStart"))
    people = _items(d, "participants")
    customer = _customer_party(people)
    sessions = _items(customer, "sessions") if customer else []
    sessions = sessions or [s for p in people for s in _items(p, "sessions")][:1]
    media = (_text(sessions[0].get("mediaType")) if sessions else None) or ""
    media = media.lower()
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
    direction = _direction(d, people, customer)
    opening = {S.TIMESTAMP: started, S.ACTIVITY: f"{direction.capitalize()} {noun}"}
    if cid is None or _time(d.get("conversationStart")) is None:  # one row, rejected by the canonical checks
        return [base | opening]
    # the customer's own segments give no events (a user who dialled in stands in for the customer)
    segments = [g for g in _segments(people) if g.person is not customer]
    # a queue's name: the lookup's, else the name its ACD participant carries, else its id
    carried = {
        q: name
        for g in segments
        if _purpose(g.person) == "acd"
        and (q := _text(g.data.get("queueId"))) is not None
        and (name := _text(g.person.get("participantName"))) is not None
    }
    names = context.names | {"queues": carried | context.names.get("queues", {})}
    rows: list[tuple[Place, dict[str, Any]]] = [((datetime.min, -1, -1, 0), opening)]
    rows += _rows(segments, names, context.mapped_codes)
    rows.sort(key=lambda pr: pr[0])
    return [base | row for _, row in rows]


def _purpose(p: dict[str, Any] | None) -> str:
    return (_text(p.get("purpose")) or "").lower() if p else ""


def _customer_party(people: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The customer's participant: ``customer``, else ``external``, else a ``user`` who placed the call
    (a ``dialing`` segment or an outbound session) into a conversation with neither: an employee calling
    the IVR or a queue is the caller there, not an agent handling it."""
    found = next((p for kind in CUSTOMERS for p in people if _purpose(p) == kind), None)
    if found is not None:
        return found
    for p in people:
        if _purpose(p) == "user" and any(
            (_text(s.get("direction")) or "").lower() == "outbound"
            or any((_text(g.get("segmentType")) or "").lower() == "dialing" for g in _items(s, "segments"))
            for s in _items(p, "sessions")
        ):
            return p
    return None


def _direction(d: dict[str, Any], people: list[dict[str, Any]], customer: dict[str, Any] | None) -> str:
    """``originatingDirection``; when absent (older records), outbound for a campaign's conversation
    (``outboundCampaignId`` on a session), inbound when a user called in, else the customer's session
    ``direction``, else inbound."""
    given = _text(d.get("originatingDirection"))
    if given is not None:
        return given.lower()
    if any(_text(s.get("outboundCampaignId")) for p in people for s in _items(p, "sessions")):
        return "outbound"
    if _purpose(customer) == "user":
        return "inbound"
    for s in _items(customer, "sessions") if customer else []:
        direction = _text(s.get("direction"))
        if direction is not None:
            return direction.lower()
    return "inbound"


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
    participant's number or address (ANI of an inbound session, DNIS of an outbound one, then the first of
    a callback's ``callbackNumbers``; ``tel:`` dropped); a user who dialled in is its ``userId``."""
    key = settings.get("customer_attribute")
    if key:
        return _attribute(people, customer, key)
    if _purpose(customer) == "user" and customer is not None and _text(customer.get("userId")):
        return _text(customer.get("userId"))
    for s in _items(customer, "sessions") if customer else []:
        outbound = (_text(s.get("direction")) or "").lower() == "outbound"
        fields = ("dnis", "addressTo", "ani", "addressFrom") if outbound else ("ani", "addressFrom", "dnis")
        numbers = s.get("callbackNumbers")
        values = [s.get(field) for field in fields]
        values += numbers if isinstance(numbers, list) else []
        for value in (*values, s.get("addressOther")):
            found = _text(value) if isinstance(value, str) else None
            if found is not None:
                return found.removeprefix("tel:")
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
    segments: list[_Segment], names: dict[str, dict[str, str]], mapped_codes: frozenset[str]
) -> list[tuple[Place, dict[str, Any]]]:
    """(place, row) of every event the segments give."""
    out: list[tuple[Place, dict[str, Any]]] = []
    sessions: dict[int, list[_Segment]] = {}
    for g in segments:
        sessions.setdefault(id(g.session), []).append(g)
    routed = [g for g in segments if _purpose(g.person) in ("acd", *AGENTS)]
    answered = [g for g in segments if _purpose(g.person) in AGENTS and g.kind == "interact"]
    callbacks = [g for g in segments if (_text(g.session.get("mediaType")) or "").lower() == "callback"]
    side = _side_legs(segments)
    tails = _tails(sessions, side)
    for g in segments:
        purpose = _purpose(g.person)
        own = sessions[id(g.session)]
        before = len(out)
        key: Place = (g.start or datetime.max, 1, g.participant, g.order)
        common = _common(g)
        if purpose in FLOWS:
            out += _flow(g, key, common, own, routed, names)
        elif purpose == "acd":
            out += _queue(g, key, common, own, answered, callbacks, names)
        elif purpose in AGENTS:
            row = _agent(g, common, own, names, mapped_codes)
            if row is not None and g.order in tails:
                at, text = tails[g.order]
                key, row = (at, 0, g.participant, g.order), row | {S.TIMESTAMP: text}
            if row is not None:
                out.append((key, row))
        elif purpose == "voicemail":
            row = {S.ACTIVITY: "Voicemail", S.ACTOR_TYPE: S.SYSTEM}
            out.append((key, common | row))
        if g.participant in side:  # a consulted queue or agent: no route change, and said so
            out[before:] = [(k, r | {S.QUEUE: None, LEG_TYPE: CONSULT}) for k, r in out[before:]]
    return out


def _side_legs(segments: list[_Segment]) -> set[int]:
    """The participants (queues and agents) an agent consulted while keeping the customer: they joined
    after that agent answered, and the agent talked with the customer again after they left, having
    transferred the customer nowhere by then (nor did a consulted agent). Their visits are no transfer: in
    time order the route read Q1, Q2, Q1, a ping-pong for a question asked of a colleague."""
    spans: dict[int, tuple[datetime, datetime]] = {}
    handed: dict[int, list[datetime]] = {}  # each agent's transfers (end of the segment that made one)
    talks: dict[int, list[datetime]] = {}  # each agent's interact starts
    routed: dict[int, bool] = {}  # participant -> whether it is an agent (else a queue)
    for g in segments:
        purpose = _purpose(g.person)
        if purpose not in ("acd", *AGENTS):
            continue
        routed[g.participant] = purpose in AGENTS
        if g.start is not None and g.end is not None and g.kind != "wrapup":
            first, last = spans.get(g.participant, (g.start, g.end))
            spans[g.participant] = (min(first, g.start), max(last, g.end))
        if purpose in AGENTS and g.kind == "interact" and g.start is not None:
            talks.setdefault(g.participant, []).append(g.start)
        if purpose in AGENTS and g.kind in _TALK and _transfer(g.disconnect) and g.end is not None:
            handed.setdefault(g.participant, []).append(g.end)
    out: set[int] = set()
    for b, (joined, left) in spans.items():
        if routed[b] and handed.get(b):  # a consulted agent who transferred the customer on: a real leg
            continue
        for a, starts in talks.items():
            if a == b or min(starts) >= joined or not any(t >= left for t in starts):
                continue
            if not any(t <= left for t in handed.get(a, [])):
                out.add(b)
                break
    return out


def _tails(sessions: dict[int, list[_Segment]], side: set[int]) -> dict[int, tuple[datetime, str]]:
    """Segment order -> (time, text) for the tail events of agents who transferred the customer.

    Genesys records an agent's after-call work (and the hold that ended a consult transfer) alongside the
    next leg: the new ACD participant and the next agent are already running when it starts. In time
    order the route would read Q1, Q2, Q1, Q2 (three transfers, a ping-pong, and the first agent's wrap-up
    code as the final outcome when it wraps up last). So the segments of a session that ended in a
    transfer which start at or after the next leg began (the first ACD or agent session of another
    participant that started after this agent answered and no later than the transfer) are dated at that
    leg's start and placed before it; ``segmentStart`` keeps their real time, ``duration_s`` is unchanged.
    """
    starts: list[tuple[datetime, str, int]] = []  # (start, its text, participant) of each routed session
    for own in sessions.values():
        timed = [g for g in own if g.start is not None and _text(g.data.get("segmentStart")) is not None]
        if timed and _purpose(own[0].person) in ("acd", *AGENTS) and own[0].participant not in side:
            first = min(timed, key=lambda g: g.start or datetime.max)
            starts.append((first.start or datetime.max, str(first.data["segmentStart"]), first.participant))
    out: dict[int, tuple[datetime, str]] = {}
    for own in sessions.values():
        if _purpose(own[0].person) not in AGENTS:
            continue
        answer = min((g.start for g in own if g.kind == "interact" and g.start is not None), default=None)
        handed = [g.end for g in own if g.kind in _TALK and _transfer(g.disconnect) and g.end is not None]
        if answer is None or not handed:
            continue
        left = max(handed)
        later = [(t, text) for t, text, who in starts if who != own[0].participant and answer < t <= left]
        if not later:
            continue
        at, text = min(later)
        for g in own:
            if g.start is not None and g.start >= at:
                out[g.order] = (at, text)
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
        "segmentStart": _text(seg.get("segmentStart")),
        "segmentEnd": _text(seg.get("segmentEnd")),
        "disconnectType": g.disconnect,
        "errorCode": _text(seg.get("errorCode")),
        "queueId": _text(seg.get("queueId")),
        "requestedRoutingSkillIds": _text(seg.get("requestedRoutingSkillIds")),
    }


def _flow_kind(flow_type: str, purpose: str, media: str) -> tuple[str, str]:
    """(activity, actor type) of a flow: a bot only for bot flows (BOT, DIGITALBOT, or a ``botflow``
    participant); any other Architect flow routes: an IVR on a call (the caller hears it), a system step
    on chat, message and email (inbound message flows pick a queue; the customer never talks to them)."""
    if flow_type in BOT_FLOWS or purpose == "botflow":
        return BOT_FLOW, S.BOT
    if flow_type not in _SILENT_FLOWS and media in _VOICE:
        return IVR_FLOW, S.IVR
    return ROUTING_FLOW, S.SYSTEM


def _flow(
    g: _Segment,
    key: Place,
    common: dict[str, Any],
    own: list[_Segment],
    routed: list[_Segment],
    names: dict[str, dict[str, str]],
) -> list[tuple[Place, dict[str, Any]]]:
    """A flow's visit, and (with its first event) its flow outcomes. A flow session opens with a
    ``system`` segment of a few milliseconds: it is skipped, unless the session has nothing else (a visit
    is never lost). Flow time is no handle time: no ``duration_s`` (``segmentStart``/``segmentEnd`` keep
    it)."""
    visit = [x for x in own if x.kind not in ("alert", "system")]
    visit = visit or [x for x in own if x.kind == "system"][:1]
    if not any(x is g for x in visit):
        return []
    flow = _obj(g.session, "flow")
    flow_type = (_text(flow.get("flowType")) or "").upper()
    media = (_text(g.session.get("mediaType")) or "").lower()
    activity, actor_type = _flow_kind(flow_type, _purpose(g.person), media)
    info = {
        "flowName": _text(flow.get("flowName")),
        "flowType": _text(flow.get("flowType")),
        "exitReason": _text(flow.get("exitReason")),
        "transferType": _text(flow.get("transferType")),
        "endingLanguage": _text(flow.get("endingLanguage")),
    }
    actor = info["flowName"] or _text(g.person.get("participantName"))
    row = {S.ACTIVITY: activity, S.ACTOR: actor, S.ACTOR_TYPE: actor_type}
    out = [(key, common | info | row)]
    if g is not visit[0]:
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
        out.append(((t, 1, g.participant, g.order * 1000 + k + 1), common | info | event))
    return out


def _queue(
    g: _Segment,
    key: Place,
    common: dict[str, Any],
    own: list[_Segment],
    answered: list[_Segment],
    callbacks: list[_Segment],
    names: dict[str, dict[str, str]],
) -> list[tuple[Place, dict[str, Any]]]:
    """A queue's segment: ``Queued`` at the session's first one; ``Abandoned`` after its last one when
    it ended without an agent answering (or the session has a ``tAbandon`` metric)."""
    queue_id = next((_text(x.data.get("queueId")) for x in own if _text(x.data.get("queueId"))), None)
    queue = _name(names, "queues", queue_id, _text(g.person.get("participantName")))
    out: list[tuple[Place, dict[str, Any]]] = []
    row = {S.QUEUE: queue, S.ACTOR: "ACD", S.ACTOR_TYPE: S.SYSTEM}
    if g is own[0]:
        out.append((key, common | {S.ACTIVITY: QUEUED} | row))
    if g is own[-1] and _abandoned(g, own[0], answered, callbacks):
        end = _text(g.data.get("segmentEnd"))
        event = {S.TIMESTAMP: end, S.ACTIVITY: ABANDONED_IN_QUEUE, S.ACTOR_TYPE: S.CUSTOMER}
        t = g.end or datetime.max
        out.append(((t, 1, g.participant, g.order), common | row | event | {S.OUTCOME: S.ABANDONED}))
    return out


def _metrics(g: _Segment) -> set[str | None]:
    return {_text(m.get("name")) for m in _items(g.session, "metrics")}


def _abandoned(last: _Segment, first: _Segment, answered: list[_Segment], callbacks: list[_Segment]) -> bool:
    if "tAbandon" in _metrics(last):
        return True
    if last.end is None or last.disconnect is None or _transfer(last.disconnect):
        return False
    since = first.start or datetime.min
    later = [a for a in answered + callbacks if a.start is not None and a.start >= since]
    return not later


def _agent(
    g: _Segment,
    common: dict[str, Any],
    own: list[_Segment],
    names: dict[str, dict[str, str]],
    mapped_codes: frozenset[str],
) -> dict[str, Any] | None:
    """An agent's segment as an event (None for an answered alert, for system/delay time, and for the
    wrap-up of an agent who never answered: no work on this contact, and no outcome)."""
    kind = g.kind
    if kind == "alert":
        if not _unanswered(g, own):
            return None
        activity = NOT_ANSWERED
    elif kind == "wrapup" and not any(x.kind == "interact" for x in own):
        return None
    else:
        activity = AGENT_ACTIVITIES.get(kind, "")
        if not activity:
            return None
    p = g.person
    user = _text(p.get("userId"))
    queue_id = _text(g.data.get("queueId")) or next(
        (_text(x.data.get("queueId")) for x in own if _text(x.data.get("queueId"))), None
    )
    code = _text(g.data.get("wrapUpCode"))
    outcome = _code_outcome(code, names, mapped_codes)
    if outcome is None and kind in _TALK and _last_talk(g, own) and _transfer(g.disconnect):
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


def _unanswered(alert: _Segment, own: list[_Segment]) -> bool:
    """Whether an alert went unanswered: no interact after it in its session and it is over (an end, a
    disconnect type, an ``errorCode``) or the session has ``tNotResponding``. Real records end such
    alerts ``client``, ``system``, ``peer``, ``noAnswerTransfer``... or with only an error code, so the
    disconnect type alone cannot tell."""
    if any(x.kind == "interact" and x.order > alert.order for x in own):
        return False
    over = alert.end is not None or alert.disconnect is not None or _text(alert.data.get("errorCode"))
    return bool(over) or "tNotResponding" in _metrics(alert)


def _code_outcome(code: str | None, names: dict[str, dict[str, str]], mapped: frozenset[str]) -> str | None:
    """A wrap-up code's outcome: its name. A system code (``ININ-WRAP-UP-TIMEOUT``, ``ININ-OUTBOUND-*``)
    says no one chose a code: none, unless ``outcome_values`` names it (the code stays ``wrapUpCode``)."""
    name = _name(names, "wrapup_codes", code)
    if code is not None and code.upper().startswith(SYSTEM_CODE_PREFIX) and not {code, name} & mapped:
        return None
    return name


def _last_talk(g: _Segment, own: list[_Segment]) -> bool:
    """Whether ``g`` is its session's last interact or hold segment."""
    talk = [x for x in own if x.kind in _TALK]
    return bool(talk) and talk[-1] is g
