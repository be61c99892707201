"""Scenarios a vendor must demonstrate, written from this diagnosis's breakdowns, not a feature list.

Every initiative on the roadmap gives one scenario from its breakdown's evidence: real queues, reasons and
counts ("a payment_failed contact reaches Orders phone and must get to Billing phone": 28 of 28 such legs
were transferred), with the volume of contacts it stands for. ``cxray.plan.vendors`` weighs a vendor's
scenario scores by those volumes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Final

from typing_extensions import TypedDict

from .. import schema as S
from ..errors import ConfigError
from ..findings.finder import BreakdownDoc


class ScenarioDoc(TypedDict):
    """A case every vendor must demonstrate, written from one initiative's breakdown."""

    id: str
    initiative_id: str
    kind: str
    title: str
    description: str
    volume: float
    annual_volume: float


def scenarios(pairs: list[tuple[str, BreakdownDoc]], annualisation: float) -> list[ScenarioDoc]:
    """One scenario per (initiative id, breakdown), in the order given.

    ``annualisation`` scales the diagnosed period to a year (365 / period days). The text comes from the
    breakdown's evidence; a detector this module does not know (a user's own) gets a generic scenario
    from its title, where and flow. An initiative id given twice gets ``-2``, ``-3``... so ids stay unique.
    """
    if not math.isfinite(annualisation) or annualisation < 0:
        raise ConfigError(f"annualisation must be a number of at least 0, got {annualisation!r}")
    out: list[ScenarioDoc] = []
    seen: dict[str, int] = {}
    for initiative_id, b in pairs:
        sid = f"S-{initiative_id}"
        seen[sid] = seen.get(sid, 0) + 1
        if seen[sid] > 1:
            sid = f"{sid}-{seen[sid]}"
        kind, title, description = _scenario_text(b)
        volume = float(b.get("contacts_affected") or 0)
        out.append(
            {
                "id": sid,
                "initiative_id": initiative_id,
                "kind": kind,
                "title": title,
                "description": description,
                "volume": volume,
                "annual_volume": round(volume * annualisation, 1),
            }
        )
    return out


_Text = tuple[str, str, list[str | None]]  # title, what the vendor must show, the facts (None: unknown)


def _scenario_text(b: BreakdownDoc) -> tuple[str, str, str]:
    where = {str(k): str(v) for k, v in (b.get("where") or {}).items() if v is not None}
    ev = b.get("evidence") or {}
    kind, build = _BUILDERS.get(str(b.get("code")), ("other", _generic))
    title, show, facts = build(b, where, ev if isinstance(ev, Mapping) else {})
    rest = [f"{k} {v}" for k, v in where.items() if v not in title]
    if rest:  # every failure point the breakdown names appears in the title
        title = f"{title} ({', '.join(rest)})"
    if b.get("scope") == "process" and b.get("symptoms"):
        facts.append(f"It is one of {len(b['symptoms']) + 1} such cases across the process.")
    return kind, title, " ".join([f for f in facts if f] + [show])


def _say(template: str, **values: str | None) -> str | None:
    """The sentence, or None when a value it needs is missing from the evidence."""
    return None if any(v is None for v in values.values()) else template.format(**values)


def _num(ev: Mapping[str, object], key: str) -> float | None:
    v = ev.get(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return float(v)


def _count(ev: Mapping[str, object], key: str) -> str | None:
    v = _num(ev, key)
    return None if v is None else f"{v:,.0f}"


def _pct(ev: Mapping[str, object], key: str) -> str | None:
    v = _num(ev, key)
    return None if v is None else f"{v:.0%}"


def _days(ev: Mapping[str, object], key: str) -> str | None:
    v = _num(ev, key)
    if v is None:
        return None
    if v >= 1:
        return f"{v:,.1f} days"
    return f"{v * 24:.1f} hours" if v * 24 >= 1 else f"{v * 1440:.0f} minutes"


def _listed(items: Any, name: str, count: str) -> str | None:
    """``"Billing phone (28), Payments (3)"`` from a list of dicts; None when there is none."""
    if not isinstance(items, list):
        return None
    parts = [
        f"{i[name]} ({i[count]:,.0f})" if isinstance(i.get(count), (int, float)) else str(i[name])
        for i in items
        if isinstance(i, dict) and i.get(name) is not None
    ]
    return ", ".join(parts) or None


def _flow(ev: Mapping[str, Any]) -> str | None:
    flow = ev.get("flow")
    if isinstance(flow, list) and flow:
        return "; ".join(str(f) for f in flow[:3])
    return None


def _transfer(b: BreakdownDoc, w: dict[str, str], ev: Mapping[str, Any]) -> _Text:
    src = w.get("from") or w.get(S.QUEUE) or w.get(S.TEAM) or "the first queue"
    to, reason = w.get("to"), w.get(S.REASON)
    who = f"A {reason} contact" if reason else "A contact"
    title = f"{who} reaches {src} and must get to {to}" if to else f"{who} reaches {src} and is passed on"
    facts = [
        _say(
            "{k} of {n} such legs at {src} were transferred onward ({rate}, against {base} elsewhere).",
            k=_count(ev, "transferred_onward"),
            n=_count(ev, "legs"),
            src=src,
            rate=_pct(ev, "transfer_rate"),
            base=_pct(ev, "baseline_rate"),
        ),
        _say("They went to {dests}.", dests=_listed(ev.get("destinations"), "to", "contacts")),
    ]
    show = f"Show the contact routed to {to or 'the team that resolves it'} first time, or resolved at {src}."
    return title, show, facts


def _ping_pong(b: BreakdownDoc, w: dict[str, str], ev: Mapping[str, Any]) -> _Text:
    a, z, reason = w.get("from", "one queue"), w.get("to", "another"), w.get(S.REASON)
    title = f"A {reason + ' ' if reason else ''}contact bounces between {a} and {z}"
    facts = [
        _say("{k} contacts went {flow}.", k=_count(ev, "contacts"), flow=_flow(ev)),
        _say(
            "{legs} legs were revisited, {minutes} minutes of work.",
            legs=_count(ev, "revisited_legs"),
            minutes=_count(ev, "revisited_minutes"),
        ),
    ]
    show = (
        f"Show who owns the contact after the first transfer, and {z} resolving it without sending it back."
    )
    return title, show, facts


def _multi_hop(b: BreakdownDoc, w: dict[str, str], ev: Mapping[str, Any]) -> _Text:
    reason = w.get(S.REASON)
    flow = _flow(ev)
    who = f"A {reason} contact" if reason else "A contact"
    title = f"{who} is passed along {flow}" if flow else f"{who} is transferred more than once"
    facts = [
        _say("{k} contacts took a chain of transfers.", k=_count(ev, "contacts")),
        _say("{m} minutes were spent after the second leg.", m=_count(ev, "minutes_after_second_leg")),
    ]
    return title, "Show the contact reaching whoever can resolve it with one transfer at most.", facts


def _context_loss(b: BreakdownDoc, w: dict[str, str], ev: Mapping[str, Any]) -> _Text:
    to = w.get("to") or w.get(S.QUEUE) or w.get(S.TEAM) or "the next queue"
    src, step = w.get("from", "the previous step"), w.get(S.ACTIVITY, "the same step")
    steps = ev.get("repeated_steps")
    facts = [
        _say(
            "{k} of {n} handoffs into {to} repeated a step ({rate}, against {base} elsewhere).",
            k=_count(ev, "repeated"),
            n=_count(ev, "handoffs"),
            to=to,
            rate=_pct(ev, "repeat_rate"),
            base=_pct(ev, "baseline_rate"),
        ),
        _say("Repeated: {s}.", s="; ".join(map(str, steps)) if isinstance(steps, list) and steps else None),
    ]
    title = f"A customer handed from {src} to {to} must do '{step}' again"
    show = f"Show what {src} knew and did arriving with the handoff, so {to} does not repeat '{step}'."
    return title, show, facts


def _back_office(b: BreakdownDoc, w: dict[str, str], ev: Mapping[str, Any]) -> _Text:
    q = w.get(S.QUEUE) or w.get(S.TEAM) or "the back office"
    at = w.get(S.ACTIVITY)
    title = f"A customer chases a case waiting{f' at {at!r}' if at else ''} in {q}"
    facts = [
        _say(
            "{n} cases in {q} took a median {med} (90th percentile {p90}) against {base} in other queues.",
            n=_count(ev, "cases"),
            q=q,
            med=_days(ev, "median_days"),
            p90=_days(ev, "p90_days"),
            base=_days(ev, "baseline_days"),
        ),
        _say("{k} were still open.", k=_count(ev, "still_open")),
        _say(
            "Customers chased them in {k} contacts, {s} of them status checks.",
            k=_count(ev, "chasing_contacts"),
            s=_count(ev, "status_checks"),
        ),
    ]
    show = (
        "Show the case's status visible to the customer and the front line, and the case aged and escalated "
    )
    return title, show + "before the customer has to ask.", facts


def _parked(b: BreakdownDoc, w: dict[str, str], ev: Mapping[str, Any]) -> _Text:
    at, team = w.get(S.ACTIVITY, "a status"), w.get(S.TEAM)
    title = f"A case parked at {at!r}{f' with {team}' if team else ''} waits for someone to act"
    facts = [
        _say(
            "{n} waits at {at!r}, a median {med} against {base} after other activities.",
            n=_count(ev, "events"),
            at=at,
            med=_days(ev, "median_idle_days"),
            base=_days(ev, "baseline_days"),
        ),
        _say(
            "{x} waited beyond that, {share} of all waiting time.",
            x=_days(ev, "excess_idle_days"),
            share=_pct(ev, "share_of_idle_time"),
        ),
    ]
    return title, "Show parked work surfaced and aged, with an owner and a due date.", facts


def _abandonment(b: BreakdownDoc, w: dict[str, str], ev: Mapping[str, Any]) -> _Text:
    q = next(iter(w.values()), "the queue")
    hours = ev.get("hours")
    span = ", ".join(f"{h:02d}:00" for h in hours if isinstance(h, int)) if isinstance(hours, list) else ""
    title = f"A customer contacting {q}{f' at {span}' if span else ' at its peak'} gives up waiting"
    clock = ev.get("clock")
    facts = [
        _say(
            "{k} of {n} contacts to {q} at those hours{clock} were abandoned ({rate}, against {base} at "
            "its other hours).",
            k=_count(ev, "abandoned"),
            n=_count(ev, "contacts"),
            q=q,
            clock=f" ({clock})" if clock else "",
            rate=_pct(ev, "abandon_rate"),
            base=_pct(ev, "baseline_rate"),
        ),
        _say("{k} of them tried again.", k=_count(ev, "retries_within_window")),
    ]
    show = (
        "Show the peak absorbed (forecast, callback, overflow or self-service with context) without abandons."
    )
    return title, show, facts


def _loop(b: BreakdownDoc, w: dict[str, str], ev: Mapping[str, Any]) -> _Text:
    step = w.get(S.ACTIVITY, "a step")
    x = next((v for k, v in w.items() if k != S.ACTIVITY), "one queue")
    facts = [
        _say(
            "{k} of {n} legs in {x} repeated {step!r} ({rate}, against {base} in other queues).",
            k=_count(ev, "with_repeat"),
            n=_count(ev, "legs"),
            x=x,
            step=step,
            rate=_pct(ev, "repeat_rate"),
            base=_pct(ev, "baseline_rate"),
        ),
    ]
    title = f"An agent in {x} repeats {step!r} within one contact"
    return title, f"Show {step!r} done once, its result kept and visible, so nobody does it twice.", facts


def _dead_end(b: BreakdownDoc, w: dict[str, str], ev: Mapping[str, Any]) -> _Text:
    step = w.get(S.ACTIVITY, "a step")
    facts = [
        _say(
            "{k} of {n} contacts ending at {step!r} had no outcome ({rate}, against {base} elsewhere).",
            k=_count(ev, "no_outcome"),
            n=_count(ev, "contacts"),
            step=step,
            rate=_pct(ev, "dead_end_rate"),
            base=_pct(ev, "baseline_rate"),
        ),
        _say(
            "{k} more ending there were silent for less than {d}, the wait within which most contacts go on "
            "from that step: counted as still open, not as dead ends.",
            k=_count(ev, "still_open") if _num(ev, "still_open") else None,
            d=_days(ev, "open_within_days"),
        ),
    ]
    title = f"A contact ends at {step!r} with no outcome"
    return title, f"Show the next step after {step!r} offered, and the contact closed with an outcome.", facts


def _false_containment(b: BreakdownDoc, w: dict[str, str], ev: Mapping[str, Any]) -> _Text:
    ch, reason = w.get(S.CHANNEL, "self-service"), w.get(S.REASON)
    title = f"A {reason + ' ' if reason else ''}contact contained on {ch} comes back"
    facts = [
        _say(
            "{k} of {n} contained contacts came back within {d} days ({rate}, against {base} after an "
            "agent resolved it).",
            k=_count(ev, "came_back"),
            n=_count(ev, "contained"),
            d=_count(ev, "window_days"),
            rate=_pct(ev, "comeback_rate"),
            base=_pct(ev, "baseline_rate"),
        ),
        _say("They came back on {c}.", c=_listed(ev.get("came_back_on"), "channel", "contacts")),
    ]
    show = (
        f"Show {ch} completing the request end to end, or handing over with context, and counting it "
        "contained only when the customer does not come back."
    )
    return title, show, facts


def _repeats(b: BreakdownDoc, w: dict[str, str], ev: Mapping[str, Any]) -> _Text:
    dim = str(ev.get("dimension") or next(iter(w), "team"))
    value, reason = w.get(dim) or next(iter(w.values()), "one team"), w.get(S.REASON)
    title = f"A {reason + ' ' if reason else ''}customer comes back after a contact with {dim} {value}"
    facts = [
        _say(
            "{k} of {n} contacts with {dim} {value} were followed by a repeat ({rate}, against {base} for "
            "the same reasons elsewhere).",
            k=_count(ev, "followed_by_repeat"),
            n=_count(ev, "contacts"),
            dim=dim,
            value=value,
            rate=_pct(ev, "repeat_rate"),
            base=_pct(ev, "baseline_rate"),
        ),
        _say(
            "Repeats by reason: {r}.",
            r=_listed(ev["by_reason"][:3], "reason", "k") if isinstance(ev.get("by_reason"), list) else None,
        ),
    ]
    return title, "Show the first contact resolving it, and a repeat recognised and linked to it.", facts


def _incentive(b: BreakdownDoc, w: dict[str, str], ev: Mapping[str, Any]) -> _Text:
    party = next(iter(w.values()), "a party")
    if b.get("code") == "IN02":
        title = f"A contact counted as contained by {party} comes back"
        facts = [
            _say(
                "Containment for {party} is reported as {c}, truly {t}: {k} contacts came back.",
                party=party,
                c=_pct(ev, "containment"),
                t=_pct(ev, "true_containment"),
                k=_count(ev, "came_back"),
            ),
        ]
        show = (
            f"Show true containment (customers who do not come back) reported for {party}, and a contact "
            "it cannot finish handed over with context."
        )
        return title, show, facts
    title = f"A contact closed quickly by {party} comes back"
    rates = ev.get("repeat_rate")
    trend = (
        (f"{rates[0]:.0%}", f"{rates[1]:.0%}")
        if isinstance(rates, list) and len(rates) == 2 and all(isinstance(r, (int, float)) for r in rates)
        else None
    )
    facts = [
        _say(
            "{party}'s closes are followed by a repeat {rate} of the time, against {base} for the same "
            "reasons elsewhere.",
            party=party,
            rate=_pct(ev, "repeat_rate"),
            base=_pct(ev, "baseline_repeat_rate"),
        ),
        _say(
            "Its repeat rate rose from {r1} to {r2} while its handle time fell.",
            r1=trend and trend[0],
            r2=trend and trend[1],
        ),
    ]
    show = f"Show repeats and true outcomes reported against {party}, beside the KPI it is measured on."
    return title, show, facts


def _generic(b: BreakdownDoc, w: dict[str, str], ev: Mapping[str, Any]) -> _Text:
    title = str(b.get("title") or b.get("code") or "A breakdown")
    facts = [
        _say("{k} contacts were affected in the diagnosed period.", k=_count(b, "contacts_affected")),
        _say("The flow: {f}.", f=_flow(ev)),
        _say("Against: {base}.", base=ev.get("baseline") if isinstance(ev.get("baseline"), str) else None),
    ]
    return title, "Show this case handled end to end, with the evidence that it does not recur.", facts


_BUILDERS: Final[
    dict[str, tuple[str, Callable[[BreakdownDoc, dict[str, str], Mapping[str, Any]], _Text]]]
] = {
    "TR01": ("transfer", _transfer),
    "PP01": ("transfer", _ping_pong),
    "MH01": ("transfer", _multi_hop),
    "CL01": ("handoff", _context_loss),
    "BO01": ("waiting", _back_office),
    "WT01": ("waiting", _parked),
    "AB01": ("peak", _abandonment),
    "LP01": ("rework", _loop),
    "RP01": ("rework", _repeats),
    "DE01": ("exception", _dead_end),
    "FC01": ("exception", _false_containment),
    "IN01": ("measurement", _incentive),
    "IN02": ("measurement", _incentive),
    "IN03": ("measurement", _incentive),
}


__all__ = ["ScenarioDoc", "scenarios"]
