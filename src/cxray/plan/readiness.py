"""Readiness: what the data and the organisation allow, scored before initiatives are sequenced.

A plan that needs customers followed across channels is not ready where half the chats carry no customer
id, and one that needs a vendor to change its routing waits on a contract. Each constraint is one item,
``ready``, ``partial``, ``not ready`` or ``unknown``, with its value and the reason; every item that is not
ready is a risk of the plan, *unknown included*: nobody having said is itself a risk.

From the diagnosis (``data``), a share scores ready from 95%, partial from 70%, else not ready:

- ``customer_id``: the share of contacts with a customer id (repeats and journeys need it);
- ``queue_team``: the share of contacts with a queue or a team (the larger of the two: where work goes);
- ``cross_channel``: the identified share of the least identified channel (a channel without ids cannot be
  joined to the others);
- ``outcomes``: whether outcomes are recorded and mean what customers do: the largest gap, overall or in a
  channel, between reported and measured first-contact resolution is partial above 10 points;
- ``quality_warnings``: the data-quality warnings, none ready, one or two partial, more not ready.

From the context file (``organisation``), the method's three questions: vendors, decision rights and change
capacity. An answer is recorded, not judged (it is free text): answered is ``ready`` with the answer as the
reason, unanswered ``unknown``.

>>> from cxray.plan.context import PlanContext
>>> doc = {"metrics": {"overall": {"contacts": 10, "unidentified_share": 0.4}}}
>>> item = readiness(doc, PlanContext())["data"][0]
>>> item["status"], item["reason"]
('not ready', '60.0% of contacts carry a customer id')
"""

from __future__ import annotations

from typing import Any, Final, Literal

from typing_extensions import TypedDict

from .. import schema as S
from ..diagnosis import DiagnosisDocument
from .context import PlanContext

Status = Literal["ready", "partial", "not ready", "unknown"]
# A share from which a data item is ready, and from which it is partial.
_READY: Final = 0.95
_PARTIAL: Final = 0.7
# Reported minus measured first-contact resolution above which outcome definitions look inconsistent.
_OUTCOME_GAP: Final = 0.10
#: The method's organisation questions, by context key (``readiness`` in the context file).
QUESTIONS: Final[dict[str, str]] = {
    "vendor": "Can your vendors change routing, scripts and reporting within a quarter?",
    "decision_rights": "Who decides policy, funding, workflow and channel changes?",
    "change_capacity": "How many changes can the operation absorb at once?",
}


class ReadinessItem(TypedDict):
    key: str
    label: str
    status: Status
    value: float | None
    reason: str


class ReadinessDoc(TypedDict):
    """The execution constraints of a plan: data items, organisation items, and the risks they raise."""

    data: list[ReadinessItem]
    organisation: list[ReadinessItem]
    risks: list[str]


def readiness(doc: DiagnosisDocument, context: PlanContext) -> ReadinessDoc:
    """The readiness of one diagnosis' data and of the organisation the context file describes."""
    metrics: Any = doc.get("metrics") or {}
    fields = set((doc.get("input") or {}).get("fields_present") or [])
    data = [
        _customer_id(doc, metrics, fields),
        _queue_team(metrics, fields),
        _cross_channel(metrics, fields),
        _outcomes(metrics, fields),
        _warnings(doc),
    ]
    organisation = _organisation(context)
    return {
        "data": data,
        "organisation": organisation,
        "risks": [_risk(i) for i in data + organisation if i["status"] != "ready"],
    }


def _item(key: str, label: str, status: Status, value: float | None, reason: str) -> ReadinessItem:
    return {"key": key, "label": label, "status": status, "value": value, "reason": reason}


def _share_status(share: float) -> Status:
    return "ready" if share >= _READY else "partial" if share >= _PARTIAL else "not ready"


def _customer_id(doc: Any, metrics: Any, fields: set[str]) -> ReadinessItem:
    label = "Customer ids on contacts"
    overall = metrics.get("overall") or {}
    unidentified = overall.get("unidentified_share")
    if unidentified is None:
        unidentified = (doc.get("data_quality") or {}).get("unidentified_share")
    if unidentified is None and fields and S.CUSTOMER_ID not in fields:
        unidentified = 1.0
    if unidentified is None:
        return _item("customer_id", label, "unknown", None, "the diagnosis does not say")
    share = round(1 - float(unidentified), 4)
    return _item(
        "customer_id", label, _share_status(share), share, f"{share:.1%} of contacts carry a customer id"
    )


def _queue_team(metrics: Any, fields: set[str]) -> ReadinessItem:
    label = "Queue or team on contacts"
    contacts = int((metrics.get("overall") or {}).get("contacts") or 0)
    if not contacts:
        return _item("queue_team", label, "unknown", None, "no contacts")
    shares = {}
    for dim, field in (("queue", S.QUEUE), ("team", S.TEAM)):
        rows = metrics.get(f"by_{dim}") or []
        if field not in fields or not rows:
            shares[dim] = 0.0
            continue
        missing = sum(int(r.get("contacts") or 0) for r in rows if r.get(dim) is None)
        shares[dim] = round(1 - missing / contacts, 4)
    share = max(shares.values())
    reason = f"{shares['queue']:.1%} of contacts carry a queue, {shares['team']:.1%} a team"
    return _item("queue_team", label, _share_status(share), share, reason)


def _cross_channel(metrics: Any, fields: set[str]) -> ReadinessItem:
    label = "Customers followed across channels"
    rows = [r for r in metrics.get("by_channel") or [] if r.get("channel") is not None and r.get("contacts")]
    if S.CHANNEL not in fields or not rows:
        return _item("cross_channel", label, "unknown", None, "the log names no channel")
    identified = {
        str(r["channel"]): 0.0
        if r.get("unidentified_share") is None
        else round(1 - r["unidentified_share"], 4)
        for r in rows
    }
    worst = min(identified, key=lambda c: (identified[c], c))
    share = identified[worst]
    if len(identified) == 1:
        reason = f"one channel ({worst}): {share:.1%} of its contacts carry a customer id"
    else:
        reason = f"{worst} is the least identified channel: {share:.1%} of its contacts carry a customer id"
        if share == 0:
            reason += "; its contacts cannot be joined to the other channels"
    return _item("cross_channel", label, _share_status(share), share, reason)


def _outcomes(metrics: Any, fields: set[str]) -> ReadinessItem:
    label = "Consistent outcome definitions"
    if S.OUTCOME not in fields:
        return _item("outcomes", label, "not ready", None, "the log records no outcome")
    pairs = [("overall", metrics.get("overall") or {})] + [
        (str(r["channel"]), r) for r in metrics.get("by_channel") or [] if r.get("channel") is not None
    ]
    gaps = {
        where: round(float(r["reported_fcr"]) - float(r["fcr"]), 4)
        for where, r in pairs
        if r.get("reported_fcr") is not None and r.get("fcr") is not None
    }
    if not gaps:
        return _item(
            "outcomes", label, "unknown", None, "reported and measured resolution cannot both be computed"
        )
    where = max(gaps, key=lambda w: (abs(gaps[w]), w == "overall"))
    gap = gaps[where]
    r = dict(pairs)[where]
    numbers = f"reported FCR {float(r['reported_fcr']):.1%} vs measured {float(r['fcr']):.1%}"
    scope = "overall" if where == "overall" else f"in {where}"
    if abs(gap) > _OUTCOME_GAP:
        reason = f"{scope}, {numbers}: the systems' outcomes do not mean what customers do"
        return _item("outcomes", label, "partial", abs(gap), reason)
    return _item("outcomes", label, "ready", abs(gap), f"largest gap {scope}, {numbers}")


def _warnings(doc: Any) -> ReadinessItem:
    label = "Data-quality warnings"
    warnings = (doc.get("data_quality") or {}).get("warnings") or []
    n = len(warnings)
    status: Status = "ready" if n == 0 else "partial" if n <= 2 else "not ready"
    names = ", ".join(str(w.get("code")) for w in warnings)
    reason = "none" if n == 0 else f"{n} warning{'s' if n > 1 else ''}: {names}"
    return _item("quality_warnings", label, status, float(n), reason)


def _organisation(context: PlanContext) -> list[ReadinessItem]:
    said = context.readiness
    org = context.organisation
    items = []
    items.append(_answered("vendor", said.vendor))
    if said.decision_rights is not None:
        items.append(_answered("decision_rights", said.decision_rights))
    else:
        rights = {k: v for k, v in vars(org.decision_rights).items() if v is not None}
        missing = [k for k in vars(org.decision_rights) if k not in rights]
        answer = "; ".join(f"{k}: {v}" for k, v in rights.items())
        if rights and missing:
            reason = f"{answer}; nobody named for {', '.join(missing)}"
            items.append(_item("decision_rights", QUESTIONS["decision_rights"], "partial", None, reason))
        else:
            items.append(_answered("decision_rights", answer or None))
    if said.change_capacity is None and org.change_capacity is not None:
        n = org.change_capacity
        reason = f"{n} initiative{'s' if n > 1 else ''} in flight at once"
        items.append(_item("change_capacity", QUESTIONS["change_capacity"], "ready", float(n), reason))
    else:
        items.append(_answered("change_capacity", said.change_capacity))
    return items


def _answered(key: str, answer: str | None) -> ReadinessItem:
    if answer is None or not answer.strip():
        return _item(key, QUESTIONS[key], "unknown", None, "not answered in the context file")
    return _item(key, QUESTIONS[key], "ready", None, answer.strip())


def _risk(item: ReadinessItem) -> str:
    tail = "; unknown is a risk" if item["status"] == "unknown" else ""
    return f"{item['label']} - {item['status']}: {item['reason']}{tail}."


__all__ = ["QUESTIONS", "ReadinessDoc", "ReadinessItem", "Status", "readiness"]
