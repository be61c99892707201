"""Amazon Lex V2 text conversation logs: one JSON object per turn in, the bot's events of each session out.

Written from Amazon's description of the text log entry ("Viewing text logs in Amazon CloudWatch Logs",
https://docs.aws.amazon.com/lexv2/latest/dg/conversation-logs-cw.html) and of the runtime shapes it
embeds (``SessionState``, ``Interpretation``, ``DialogAction``: https://docs.aws.amazon.com/lexv2/latest/
APIReference/). docs/adapters/amazon-lex-v2.md has the field by field mapping and the choices. In short:

* Input: the turns as JSON Lines or back to back (Firehose), gzip or not, a file or a folder; a line of a
  CloudWatch console export may start with the event's timestamp (``2024-03-04T09:00:00.000Z {...}``); a
  CloudWatch Logs subscription payload (``{"messageType": "DATA_MESSAGE", "logEvents": [...]}``) or a
  ``filter-log-events`` answer (``{"events": [...]}``) wraps each turn as the string ``message`` of a log
  event with its ``timestamp`` (epoch ms). A ``CONTROL_MESSAGE`` (CloudWatch's health check) carries no turn:
  it is skipped, no record, as a payload's envelope is none.
* Time: the turn's own ``timestamp`` when it has one, else its wrapper's (the log event's, or the line's
  prefix); a turn with neither gives one row, rejected ``missing_timestamp``.
* One session is one cxray contact, named by its session attribute ``ContactId`` (Amazon Connect's id, the
  key of its contact records, which a Connect session's ``sessionId`` is not), else its ``sessionId``;
  ``contact_attribute`` names another attribute (``""``: always ``sessionId``). Its first turn gives ``Bot:
  conversation started``; the first turn of each intent ``Bot: intent recognised``; a turn that closes an
  intent as Fulfilled ``Bot: answer given``, one that returns it ReadyForFulfillment with a Close (for
  Connect's flow to fulfil) ``Bot: conversation closed``, both with outcome ``contained``: the bot's own
  claim; a missed utterance or the fallback intent ``Bot: intent not recognised``; a handoff intent
  (``handoff_intents``) ``Bot: handoff to agent`` (outcome ``transferred``); any other turn is named by its
  dialog action (``Bot: slot requested``).
* At-least-once delivery (a subscription through Firehose): a turn whose ``(sessionId, requestId)`` was
  read before is a repeated delivery; its events are counted as duplicates dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ... import schema as S
from ...engine import Engine
from ...errors import ConfigError, InputError
from ..options import ReadOptions
from . import RawSource
from .records import MAX_SNIPPET, Parsed, Rows, files, json_values, read_text, register_rows
from .records import obj as _obj
from .records import text as _text
from .records import time as _time

OPTIONS = ("contact_attribute", "customer_attribute", "handoff_intents", "channel")
#: The fields that, together, say a file holds Lex V2 conversation log turns (auto-detection).
SIGNATURE = ("sessionId", "bot.name", "interpretations", "sessionState")
DEFAULT_HANDOFF = "TransferToAgent"
#: The session attribute that names the contact by default: Amazon Connect's ContactId, the key of its contact
#: records; a session without it is named by its ``sessionId`` (``contact_attribute: ""`` always does that).
DEFAULT_CONTACT = "ContactId"
FALLBACK = ("FallbackIntent", "AMAZON.FallbackIntent")
CHANNELS = {"SPEECH": "phone", "DTMF": "phone", "TEXT": "chat"}
STARTED, RECOGNISED, NOT_RECOGNISED, ANSWERED, HANDOFF, FAILED, CLOSED = (
    "Bot: conversation started",
    "Bot: intent recognised",
    "Bot: intent not recognised",
    "Bot: answer given",
    "Bot: handoff to agent",
    "Bot: intent failed",
    "Bot: conversation closed",
)
#: A turn that neither starts, closes nor misses an intent, named by what the bot does next.
DIALOG_ACTIONS = {
    "ELICITSLOT": "Bot: slot requested",
    "CONFIRMINTENT": "Bot: confirmation requested",
    "ELICITINTENT": "Bot: intent requested",
    "DELEGATE": "Bot: delegated",
    "CLOSE": CLOSED,
}
OTHER_TURN = "Bot: turn"
#: A CloudWatch console export line: the event's timestamp, then the JSON turn.
_PREFIX = re.compile(
    r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)[ \t]+(?=\{)"
)
_WRAPPERS = ("logEvents", "events")


@dataclass
class _Turn:
    number: int  # 1-based, across the files of a folder
    data: dict[str, Any]
    wrapper_time: Any = None  # the log event's timestamp (epoch ms) or the export line's prefix
    at: datetime | None = None


@dataclass
class _Parsed:
    turns: list[_Turn]
    malformed: list[tuple[int | None, str]]
    encoding_repairs: int = 0
    nul_bytes_stripped: int = 0


def load(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
    """Read Lex V2 conversation logs (a file or a folder) into ``view``: one row per bot event."""
    settings = dict(options.mapping.reader_options) if options.mapping is not None else {}
    unknown = sorted(set(settings) - set(OPTIONS))
    if unknown:
        raise ConfigError(f"amazon-lex-v2: unknown reader_options {unknown}; known: {', '.join(OPTIONS)}")
    parsed = _parse(path, options)
    if not parsed.turns and not parsed.malformed:
        raise InputError("no Lex conversation log turns found", path=path)
    kept, repeated = _first_deliveries(parsed.turns)
    rows = Rows()
    counts: dict[int, int] = {}
    for turn, turn_rows in _flatten(kept, settings):
        counts[turn.number] = len(turn_rows)
        for row in turn_rows:
            rows.add(row)
    if rows.n == 0:
        raise InputError(f"no readable Lex turns ({len(parsed.malformed)} malformed)", path=path)
    duplicates = sum(counts.get(twin, 1) for twin in repeated)
    return register_rows(engine, view, rows, path, parsed, records=len(parsed.turns), duplicates=duplicates)


# --- reading ---------------------------------------------------------------------------------------------
def _parse(path: Path, options: ReadOptions) -> _Parsed:
    """Every turn of every file, numbered, unwrapped from CloudWatch payloads; the rest malformed."""
    counters = Parsed()  # the shared reader's decoding counters
    out = _Parsed([], [])
    for file in files(path):
        for value, shown, prefix in _values(read_text(file, options, counters)):
            for item, item_shown, when in _unwrap(value, shown, prefix):
                number = len(out.turns) + len(out.malformed) + 1
                if isinstance(item, dict):
                    out.turns.append(_Turn(number, item, when))
                else:
                    snippet = (
                        item_shown if len(item_shown) <= MAX_SNIPPET else item_shown[:MAX_SNIPPET] + "..."
                    )
                    out.malformed.append((number, snippet))
    out.encoding_repairs, out.nul_bytes_stripped = counters.encoding_repairs, counters.nul_bytes_stripped
    return out


def _values(text: str) -> Iterator[tuple[Any, str, str | None]]:
    """JSON values with their text and, for a CloudWatch export line, the timestamp it starts with."""
    if not any(_PREFIX.match(line) for line in text.splitlines()[:50]):
        for value, shown in json_values(text):
            yield value, shown, None
        return
    for line in text.splitlines():
        m = _PREFIX.match(line)
        prefix, rest = (m.group(1), line[m.end() :]) if m else (None, line)
        for value, shown in json_values(rest):
            yield value, shown, prefix


def _unwrap(value: Any, shown: str, prefix: str | None) -> Iterator[tuple[Any, str, Any]]:
    """The turns of one JSON value: itself, or the ``message`` of each log event of a CloudWatch payload."""
    if not isinstance(value, dict):
        yield value, shown, prefix
        return
    if value.get("messageType") == "CONTROL_MESSAGE":
        # CloudWatch's check that the destination is reachable: its log event is CloudWatch's own text, not
        # a turn, so it is no record (as a DATA_MESSAGE's envelope is none), not a malformed one
        return
    key = next((k for k in _WRAPPERS if isinstance(value.get(k), list)), None)
    if key is None:
        yield value, shown, prefix
        return
    for event in value[key]:
        message = event.get("message") if isinstance(event, dict) else None
        when = event.get("timestamp") if isinstance(event, dict) else None
        if isinstance(message, dict):
            yield message, "", when
            continue
        text = message if isinstance(message, str) else str(event)
        decoded = [v for v, _ in json_values(text)] if isinstance(message, str) else [None]
        yield (decoded[0] if len(decoded) == 1 else None), text, when


# --- de-duplication --------------------------------------------------------------------------------------
def _first_deliveries(turns: list[_Turn]) -> tuple[list[_Turn], list[int]]:
    """(the first delivery of each (sessionId, requestId) and every turn without one, the record numbers of
    the first deliveries that later copies repeat: one entry per repeated copy)."""
    seen: dict[tuple[str, str], int] = {}
    kept: list[_Turn] = []
    repeated: list[int] = []
    for t in turns:
        sid, rid = _text(t.data.get("sessionId")), _text(t.data.get("requestId"))
        if sid is not None and rid is not None:
            if (sid, rid) in seen:
                repeated.append(seen[(sid, rid)])
                continue
            seen[(sid, rid)] = t.number
        kept.append(t)
    return kept, repeated


# --- flattening ------------------------------------------------------------------------------------------
def _when(t: _Turn) -> str | None:
    """The turn's time as text: its own ``timestamp``, else its wrapper's; epoch ms as ISO UTC."""
    for value in (t.data.get("timestamp"), t.wrapper_time):
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            at = _time(value)
            return at.isoformat() if at is not None else str(value)
        if _text(value) is not None:
            return _text(value)
    return None


def _contact_attribute(settings: dict[str, str]) -> str | None:
    """The attribute naming the contact: the option's (``""``: none, always ``sessionId``), else ContactId."""
    value = settings.get("contact_attribute", DEFAULT_CONTACT).strip()
    return value or None


def _attribute(turns: list[_Turn], key: str | None) -> str | None:
    """The first value of a session or request attribute ``key`` over a session's turns."""
    if not key:
        return None
    for t in turns:
        for source in (
            _obj(_obj(t.data, "sessionState"), "sessionAttributes"),
            _obj(t.data, "sessionAttributes"),
        ):
            if (value := _text(source.get(key))) is not None:
                return value
        if (value := _text(_obj(t.data, "requestAttributes").get(key))) is not None:
            return value
    return None


def _intent(d: dict[str, Any]) -> tuple[str | None, str | None, str | None, str | None]:
    """(intent name, its state, the dialog action's type, the top interpretation's NLU confidence)."""
    state = _obj(d, "sessionState")
    intent = _obj(state, "intent")
    interpretations = [i for i in d.get("interpretations") or [] if isinstance(i, dict)]
    top = interpretations[0] if interpretations else {}
    name = _text(intent.get("name")) or _text(_obj(top, "intent").get("name"))
    confidence = top.get("nluConfidence")
    if isinstance(confidence, dict):
        confidence = confidence.get("score")
    return name, _text(intent.get("state")), _text(_obj(state, "dialogAction").get("type")), _text(confidence)


def _missed(d: dict[str, Any]) -> bool:
    value = d.get("missedUtterance")
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _flatten(turns: list[_Turn], settings: dict[str, str]) -> Iterator[tuple[_Turn, list[dict[str, Any]]]]:
    """Each turn with its rows: sessions in the order of their first record, turns in time order."""
    handoff = {s.strip() for s in settings.get("handoff_intents", DEFAULT_HANDOFF).split(",") if s.strip()}
    sessions: dict[str, list[_Turn]] = {}
    alone: list[_Turn] = []  # no session id or no readable time: one rejected row each
    for t in turns:
        t.at = _time(_when(t))
        sid = _text(t.data.get("sessionId"))
        if sid is None or t.at is None:
            alone.append(t)
        else:
            sessions.setdefault(sid, []).append(t)
    ordered = [(t.number, [t], True) for t in alone]
    ordered += [(min(t.number for t in ts), ts, False) for ts in sessions.values()]
    for _, session, lone in sorted(ordered, key=lambda p: p[0]):
        if lone:
            yield session[0], [_lone_row(session[0])]
        else:
            yield from _session(session, settings, handoff)


def _turn_columns(t: _Turn, used: set[str]) -> dict[str, Any]:
    d = t.data
    name, state, action, confidence = _intent(d)
    bot = _obj(d, "bot")
    columns = {
        "sessionId": _text(d.get("sessionId")),
        "requestId": _text(d.get("requestId")),
        "inputMode": _text(d.get("inputMode")),
        "inputTranscript": _text(d.get("inputTranscript")),
        "intent": name,
        "intentState": state,
        "dialogAction": action,
        "nluConfidence": confidence,
        "missedUtterance": "true" if _missed(d) else None,
        "bot.aliasName": _text(bot.get("aliasName")),
        "bot.version": _text(bot.get("version")),
        "bot.localeId": _text(bot.get("localeId")),
        "lex_record": str(t.number),
    }
    attributes = _obj(_obj(d, "sessionState"), "sessionAttributes") or _obj(d, "sessionAttributes")
    columns |= {f"sessionAttributes.{k}": _text(v) for k, v in attributes.items() if k not in used}
    return columns


def _lone_row(t: _Turn) -> dict[str, Any]:
    """The one row of a turn that cannot give events (rejected by the canonical checks)."""
    return {
        S.CONTACT_ID: _text(t.data.get("sessionId")),
        S.TIMESTAMP: _when(t),
        S.ACTIVITY: OTHER_TURN,
        S.ACTOR_TYPE: S.BOT,
    } | _turn_columns(t, set())


def _session(
    turns: list[_Turn], settings: dict[str, str], handoff: set[str]
) -> Iterator[tuple[_Turn, list[dict[str, Any]]]]:
    turns.sort(key=lambda t: (t.at or datetime.min, t.number))
    contact = _contact_attribute(settings)
    used = {a for a in (contact, settings.get("customer_attribute")) if a}
    modes = {(_text(t.data.get("inputMode")) or "").upper() for t in turns}
    channel = settings.get("channel") or next(
        (CHANNELS[m] for m in ("SPEECH", "DTMF", "TEXT") if m in modes), None
    )
    real = [n for t in turns if (n := _intent(t.data)[0]) and n not in handoff and n not in FALLBACK]
    base = {
        S.CONTACT_ID: _attribute(turns, contact) or _text(turns[0].data.get("sessionId")),
        S.CUSTOMER_ID: _attribute(turns, settings.get("customer_attribute")),
        S.CHANNEL: channel,
        S.REASON: real[0] if real else None,
        S.ACTOR: _text(_obj(turns[0].data, "bot").get("name")),
        S.ACTOR_TYPE: S.BOT,
    }
    previous: str | None = None
    for k, t in enumerate(turns):
        steps = _steps(t.data, first=k == 0, previous=previous, handoff=handoff)
        name = _intent(t.data)[0]
        if name and name not in handoff and name not in FALLBACK:
            previous = name
        when = _when(t)
        columns = _turn_columns(t, used)
        yield t, [base | {S.TIMESTAMP: when, S.ACTIVITY: a, S.OUTCOME: o} | columns for a, o in steps]


def _steps(
    d: dict[str, Any], *, first: bool, previous: str | None, handoff: set[str]
) -> list[tuple[str, str | None]]:
    """The (activity, outcome) pairs one turn gives."""
    name, state, action, _ = _intent(d)
    steps: list[tuple[str, str | None]] = [(STARTED, None)] if first else []
    state_code = (state or "").upper()
    closes = (action or "").upper() == "CLOSE"
    if _missed(d) or name in FALLBACK:
        # the bot gives up on the turn; a Close hands the contact back to its caller (Connect's flow)
        return [*steps, (NOT_RECOGNISED, None), *([(CLOSED, None)] if closes else [])]
    if name in handoff:
        return [*steps, (HANDOFF, S.TRANSFERRED)]
    new = name is not None and name != previous
    if new:
        steps.append((RECOGNISED, None))
    if state_code == "FULFILLED":
        steps.append((ANSWERED, S.CONTAINED))
    elif state_code == "FAILED":
        steps.append((FAILED, None))
    elif state_code == "READYFORFULFILLMENT" and closes:
        # every slot is filled and the bot returns the intent for its caller to fulfil (a Connect flow
        # branching on the intent): the bot's own outcome is that it completed the intent, its claim of
        # containment; a queue the flow then sends the contact to shows in the contact records
        steps.append((CLOSED, S.CONTAINED))
    elif not new:
        steps.append((DIALOG_ACTIONS.get((action or "").upper(), OTHER_TURN), None))
    return steps
