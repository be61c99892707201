"""The diagnosis document shaped for reading: summary sentences and compact chart data.

Everything the page's charts need is computed here, in Python, so it is tested without a browser and
the page only draws. Every function tolerates a missing or partial section (another part of the
pipeline may not provide it yet) by returning ``None``; the template then shows a note instead.

Shapes this module reads beyond ``Diagnosis.to_dict()`` as it stands (see the report's README note):

- ``flow["by"][dim][value] = {"n_contacts": int, "dfg": [...], "start": {...}}`` — the flow map per
  reason / channel / team / queue, same edge shape as ``flow["dfg"]``; drives the flow-map filters.
- ``metrics["journey_paths"] = [{"path": [stage, ...], "outcome": "resolved"|"repeat"|"abandoned",
  "journeys": int}]`` — journeys aggregated by entry channel then the parties they touched, in order;
  drives the journey Sankey.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import schema as S
from ..summary import clock_text as clock_text  # the templates say a file's clock as the summary does
from .conformance_view import overlay
from .fmt import fmt
from .layout import layered_layout

if TYPE_CHECKING:
    from ..diagnosis import DiagnosisDocument
    from ..findings.base import FindingDoc
    from ..process.flow import FlowDoc

FLOW_DIMENSIONS = (S.REASON, S.CHANNEL, S.TEAM, S.QUEUE)
_START, _END = "s:", "e:"  # namespaces keep the synthetic start/end nodes apart from any activity name


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def currency(doc: DiagnosisDocument) -> str:
    return str(_dict(doc["options"].get("costs")).get("currency") or "")


def hidden_by(breakdown: FindingDoc) -> str | None:
    """The KPI that hides a breakdown (``FindingDoc.hidden_by_kpi``), or None."""
    kpi = breakdown.get("hidden_by_kpi")
    return str(kpi) if kpi else None


def contacts_text(value: Any) -> str:
    """Avoidable contacts as a whole number, or "" when there are none (ping-pong costs minutes only)."""
    n = round(_num(value))
    return f"{n:,} avoidable contact{'s' if n != 1 else ''}" if n else ""


def summary_sentence(b: FindingDoc, cur: str, measure: str = "cost") -> str:
    """One sentence a leader can repeat: what, how much, which share, what kind, which KPI hides it.

    ``measure`` is the finder's ranking measure (``breakdown_summary.measure``): cost, or minutes when
    nothing could be priced, or contacts when the log has no handle times at all.
    """
    title = (b["title"] or b["code"]).rstrip(".")
    contacts = contacts_text(b["avoidable_contacts"])
    share = fmt(b["share_of_avoidable_cost"], "pct")
    if measure == "minutes":
        text = f"{title}: {fmt(b['avoidable_minutes'])} avoidable handle minutes ({share} of the total)"
    elif measure == "contacts" and not contacts:
        text = f"{title}: touches {fmt(b['contacts_affected'])} contacts"
    elif measure == "contacts":
        text = f"{title}: {contacts} ({share} of the total)"
    else:
        text = (
            f"{title}: {fmt(b['avoidable_cost'], 'money')} {cur} of avoidable cost "
            f"({share} of the total{', ' + contacts if contacts else ''})"
        )
    waited = b["customer_days_waited"]
    if waited:
        text += f"; customers waited {fmt(waited)} days beyond the baseline (not priced)"
    text += f", {b['bucket']}"
    kpi = hidden_by(b)
    text += f"; hidden by {kpi}." if kpi else "; no party KPI hides it."
    return text.replace("  ", " ")


def executive_summary(doc: DiagnosisDocument, *, top: int = 5) -> dict[str, Any] | None:
    """The top breakdowns in one sentence each and the share of avoidable cost they explain."""
    breakdowns = doc["breakdowns"]
    if not breakdowns:
        return None
    shown = sorted(breakdowns, key=lambda b: (b["rank"] or 1e9, b["code"]))[:top]
    summary = doc["breakdown_summary"]
    share = summary.get("pareto_share")
    if summary.get("top") not in (None, len(shown)) or not isinstance(share, int | float):
        share = sum(_num(b.get("share_of_avoidable_cost")) for b in shown)
    total = summary.get("total_avoidable_cost")
    cur = currency(doc)
    measure = str(summary.get("measure") or "cost")
    n = len(shown)
    if measure == "cost":
        lead = f"The top {n} breakdowns explain {fmt(share, 'pct')} of the avoidable cost found" + (
            f" ({fmt(total, 'money')} {cur})." if total is not None else "."
        )
    elif measure == "minutes":
        lead = (
            f"Nothing could be priced (the cost model has no rate for this work), so the top {n} "
            f"breakdowns are ranked by avoidable handle minutes: they explain {fmt(share, 'pct')} of "
            f"the {fmt(summary.get('total_avoidable_minutes'))} found."
        )
    elif _num(summary.get("total_avoidable_contacts")):
        lead = (
            f"The data carries no handle times, so the top {n} breakdowns are ranked by avoidable "
            f"contacts: they explain {fmt(share, 'pct')} of the "
            f"{fmt(summary.get('total_avoidable_contacts'))} found."
        )
    else:
        lead = (
            f"The data carries no handle times (duration_s), so nothing could be priced or counted as "
            f"avoidable work: the top {n} breakdowns are ranked by the contacts they touch. Map a "
            f"duration column to see their cost."
        )
    if summary.get("cost_basis") == "estimated_from_touches" and measure == "cost":
        lead += (
            " The data carries no handle times: costs are estimated from touches (minutes per event by "
            "actor type, docs/costs.md), so read them as orders of magnitude."
        )
    return {
        "sentences": [{"rank": b.get("rank"), "text": summary_sentence(b, cur, measure)} for b in shown],
        "top_share": share,
        "total": total,
        "lead": lead,
        "measure": measure,
        "n_shown": n,
        "n_all": len(breakdowns),
    }


def pareto(doc: DiagnosisDocument) -> dict[str, Any] | None:
    """Avoidable cost per breakdown, largest first, with the cumulative share of all avoidable cost."""
    rows = list(doc["breakdowns"])
    if not rows:
        return None
    rows.sort(key=lambda b: (-b["avoidable_cost"], b["rank"] or 0))
    total = doc["breakdown_summary"].get("total_avoidable_cost")
    cum, out = 0.0, []
    for b in rows:
        cum += b["share_of_avoidable_cost"] if total is None else b["avoidable_cost"]
        out.append(cum if total is None else (cum / total if total else 0.0))
    return {
        "labels": [f"#{b['rank'] if b['rank'] is not None else '?'} {b['title'] or b['code']}" for b in rows],
        "cost": [float(b["avoidable_cost"]) for b in rows],
        "cum_share": [round(x, 6) for x in out],
        "currency": currency(doc),
    }


def _edges(dfg: Any) -> list[tuple[str, str, int, float | None, float | None]]:
    out = []
    for e in _list(dfg):
        if isinstance(e, dict) and e.get("from") is not None and e.get("to") is not None:
            out.append(
                (str(e["from"]), str(e["to"]), int(_num(e.get("count"))), e.get("median_s"), e.get("mean_s"))
            )
    return out


def _with_ends(dfg: Any, start: Any, end: Any) -> list[tuple[str, str, int, float | None, float | None]]:
    """Activity edges (namespaced) plus start → first step and last step → end edges."""
    edges = [("a:" + s, "a:" + t, n, md, mn) for s, t, n, md, mn in _edges(dfg)]
    edges += [(_START, "a:" + str(a), int(_num(n)), None, None) for a, n in _dict(start).items()]
    edges += [("a:" + str(a), _END, int(_num(n)), None, None) for a, n in _dict(end).items()]
    return sorted(edges, key=lambda e: (-e[2], e[0], e[1]))


def flow_view(flow: FlowDoc) -> dict[str, Any] | None:
    """The flow map for the page: nodes with fixed positions, edges by index, per-dimension slices.

    A node's size is its number of events, computed as starts + incoming hand-offs (exact: every event
    either starts its contact or follows another), so it is right in every filtered slice too.
    """
    if not _edges(flow.get("dfg")) and not _dict(flow.get("start")):
        return None
    overall = _with_ends(flow.get("dfg"), flow.get("start"), flow.get("end"))
    slices: dict[str, list[dict[str, Any]]] = {}
    for dim in FLOW_DIMENSIONS:
        by_value = _dict(_dict(flow.get("by")).get(dim))
        values = []
        for value, part in by_value.items():
            part = _dict(part)
            edges = _with_ends(part.get("dfg"), part.get("start"), part.get("end"))
            if edges:
                values.append({"value": str(value), "contacts": part.get("n_contacts"), "edges": edges})
        if values:
            values.sort(key=lambda v: (-_num(v["contacts"]), v["value"]))
            slices[dim] = values

    names = sorted(
        {n for e in overall for n in e[:2]}
        | {n for vs in slices.values() for v in vs for e in v["edges"] for n in e[:2]}
    )
    pos = layered_layout(names, [(s, t, n) for s, t, n, _, _ in overall], starts={_START: 1})
    end_layer = max(p.layer for p in pos.values()) + 1
    index = {n: i for i, n in enumerate(names)}

    def pack(edges: list[tuple[str, str, int, float | None, float | None]]) -> dict[str, Any]:
        size: dict[int, int] = defaultdict(int)
        for _s, t, n, _, _ in edges:
            size[index[t]] += n
        return {
            "edges": [[index[s], index[t], n, md, mn] for s, t, n, md, mn in edges],
            "size": {str(k): v for k, v in sorted(size.items())},
        }

    nodes = []
    for n in names:
        kind = "start" if n == _START else "end" if n == _END else "step"
        layer = end_layer if kind == "end" else pos[n].layer
        nodes.append(
            {"name": n[2:] if kind == "step" else kind, "kind": kind, "layer": layer, "order": pos[n].order}
        )
    return {
        "nodes": nodes,
        "all": dict(pack(overall), contacts=flow.get("n_contacts")),
        "dims": {
            dim: [dict(pack(v["edges"]), value=v["value"], contacts=v["contacts"]) for v in vs]
            for dim, vs in slices.items()
        },
        "n_edges": len(_edges(flow.get("dfg"))),
    }


def journey_sankey(metrics: Mapping[str, Any] | None, *, max_paths: int = 40) -> dict[str, Any] | None:
    """Journeys from entry channel through the parties they touched to their outcome, as Sankey links.

    A node is a (stage, name) pair so the graph is acyclic even when a journey returns to a party;
    the outcomes are one column of sinks. Only the ``max_paths`` busiest paths are drawn (more is
    unreadable); ``n_shown``, ``n_paths`` and the journeys left out say so on the page.
    """
    paths = [
        p for p in _list(_dict(metrics).get("journey_paths")) if isinstance(p, dict) and _list(p.get("path"))
    ]
    if not paths:
        return None
    paths.sort(key=lambda p: (-_num(p.get("journeys")), [str(s) for s in p["path"]]))
    links: dict[tuple[str, str], float] = defaultdict(float)
    label: dict[str, str] = {}
    for p in paths[:max_paths]:
        ids = []
        for i, stage in enumerate(p["path"]):
            ids.append(f"{i}:{stage}")
            label[ids[-1]] = str(stage)
        if p.get("outcome"):
            ids.append(f"end:{p['outcome']}")
            label[ids[-1]] = str(p["outcome"])
        for a, b in itertools.pairwise(ids):
            links[(a, b)] += _num(p.get("journeys"))
    names = sorted(label)
    index = {n: i for i, n in enumerate(names)}
    return {
        "nodes": [{"label": label[n], "outcome": n.startswith("end:")} for n in names],
        "links": [
            [index[a], index[b], v] for (a, b), v in sorted(links.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "n_paths": len(paths),
        "n_shown": min(len(paths), max_paths),
        "journeys_shown": sum(_num(p.get("journeys")) for p in paths[:max_paths]),
        "journeys": sum(_num(p.get("journeys")) for p in paths),
    }


def report_view(doc: DiagnosisDocument) -> dict[str, Any]:
    """Everything the page's scripts draw, in one small JSON object."""
    flow = flow_view(doc["flow"])
    return {
        "currency": currency(doc),
        "flow": flow,
        "overlay": overlay(doc, flow),
        "sankey": journey_sankey(doc["metrics"]),
        "pareto": pareto(doc),
    }


def quality_warnings(doc: DiagnosisDocument, *, handled: bool) -> list[Any]:
    """The data-quality warnings the guards handled (``handled``), or those told for the user to fix (the
    numbers follow the data as read until then). A document from before the field counts every warning
    as handled, as it was shown then."""
    warnings = _list(_dict(doc.get("data_quality")).get("warnings"))
    return [w for w in warnings if bool(_dict(w).get("handled", True)) is handled]


def value_text(value: Any) -> str:
    """A dimension's value in a table: a missing team or queue reads "(none)", not "None"."""
    return "(none)" if value is None or value == "" else str(value)


IN_MEMORY = "<table>"  # what ``read_table`` records as the file of an in-memory table


def source_text(doc: DiagnosisDocument) -> str:
    """Where the events came from: the input's ``source`` label, its files, or an in-memory table."""
    files = [f for f in doc["input"]["files"] if f != IN_MEMORY]
    if files:
        return f"{len(files)} file{'s' if len(files) > 1 else ''}: " + ", ".join(files)
    return "an in-memory table"


def period_text(doc: DiagnosisDocument) -> str:
    """The span of the events, in the data's clock: ``2016-02-29 01:23 to 2017-02-15 15:00 (data clock)``.

    Never labelled UTC on the data's behalf: the clock is the ``--tz`` zone, or the data's own (UTC only
    for timestamps that carried an offset); empty when the input has no times.

    >>> period_text({"input": {"time_start": "2024-01-01T09:00:00Z", "time_end": "2024-01-31T17:30:00Z"},
    ...              "data_quality": {"clock": "data clock"}})
    '2024-01-01 09:00 to 2024-01-31 17:30 (data clock)'
    """
    start, end = doc["input"]["time_start"], doc["input"]["time_end"]
    if not start or not end:
        return ""

    def short(t: Any) -> str:
        return str(t).removesuffix("Z").replace("T", " ")[:16]

    clock = doc["data_quality"]["clock"] or "data clock"
    return f"{short(start)} to {short(end)} ({clock})"


def missing_fields(doc: DiagnosisDocument, optional: tuple[str, ...]) -> list[str]:
    present = set(doc["input"]["fields_present"])
    return [f for f in optional if f not in present]
