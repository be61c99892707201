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
from typing import Any

from .fmt import fmt
from .layout import layered_layout

FLOW_DIMENSIONS = ("reason", "channel", "team", "queue")
_START, _END = "s:", "e:"  # namespaces keep the synthetic start/end nodes apart from any activity name


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def currency(doc: Mapping[str, Any]) -> str:
    return str(_dict(_dict(doc.get("options")).get("costs")).get("currency") or "")


def hidden_by(breakdown: Mapping[str, Any]) -> str | None:
    """The KPI that hides a breakdown, as text (the finder may give a string or ``{kpi, why}``)."""
    kpi = breakdown.get("hidden_by_kpi")
    if isinstance(kpi, dict):
        parts = [str(kpi[k]) for k in ("kpi", "name", "metric", "why", "how") if kpi.get(k)]
        return " — ".join(parts) or None
    return str(kpi) if kpi else None


def summary_sentence(b: Mapping[str, Any], cur: str) -> str:
    """One sentence a leader can repeat: what, how much, which share, what kind, which KPI hides it."""
    title = str(b.get("title") or b.get("code") or "A breakdown").rstrip(".")
    text = (
        f"{title}: {fmt(b.get('avoidable_cost'), 'money')} {cur} of avoidable cost "
        f"({fmt(b.get('share_of_avoidable_cost'), 'pct')} of the total, "
        f"{fmt(b.get('avoidable_contacts'))} avoidable contacts)"
    )
    if b.get("bucket"):
        text += f", {b['bucket']}"
    kpi = hidden_by(b)
    text += f"; hidden by {kpi}." if kpi else "; no party KPI hides it."
    return text.replace("  ", " ")


def executive_summary(doc: Mapping[str, Any], *, top: int = 5) -> dict[str, Any] | None:
    """The top breakdowns in one sentence each and the share of avoidable cost they explain."""
    breakdowns = [b for b in _list(doc.get("breakdowns")) if isinstance(b, dict)]
    if not breakdowns:
        return None
    shown = sorted(breakdowns, key=lambda b: (_num(b.get("rank")) or 1e9, str(b.get("code"))))[:top]
    summary = _dict(doc.get("breakdown_summary"))
    share = summary.get("top_share")
    if not isinstance(share, int | float):
        share = sum(_num(b.get("share_of_avoidable_cost")) for b in shown)
    total = summary.get("total_avoidable_cost")
    cur = currency(doc)
    return {
        "sentences": [{"rank": b.get("rank"), "text": summary_sentence(b, cur)} for b in shown],
        "top_share": share,
        "total": total,
        "n_shown": len(shown),
        "n_all": len(breakdowns),
    }


def pareto(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """Avoidable cost per breakdown, largest first, with the cumulative share of all avoidable cost."""
    rows = [
        b for b in _list(doc.get("breakdowns")) if isinstance(b, dict) and b.get("avoidable_cost") is not None
    ]
    if not rows:
        return None
    rows.sort(key=lambda b: (-_num(b.get("avoidable_cost")), _num(b.get("rank"))))
    total = _dict(doc.get("breakdown_summary")).get("total_avoidable_cost")
    cum, out = 0.0, []
    for b in rows:
        cum += _num(b.get("share_of_avoidable_cost")) if total is None else _num(b.get("avoidable_cost"))
        out.append(cum if total is None else (cum / total if total else 0.0))
    return {
        "labels": [f"#{b.get('rank', '?')} {b.get('title') or b.get('code') or ''}" for b in rows],
        "cost": [_num(b.get("avoidable_cost")) for b in rows],
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


def flow_view(flow: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The flow map for the page: nodes with fixed positions, edges by index, per-dimension slices.

    A node's size is its number of events, computed as starts + incoming hand-offs (exact: every event
    either starts its contact or follows another), so it is right in every filtered slice too.
    """
    flow = _dict(flow)
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


def journey_sankey(metrics: Mapping[str, Any] | None, *, max_paths: int = 200) -> dict[str, Any] | None:
    """Journeys from entry channel through the parties they touched to their outcome, as Sankey links.

    A node is a (stage, name) pair so the graph is acyclic even when a journey returns to a party;
    the outcomes are one column of sinks.
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
    }


def report_view(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the page's scripts draw, in one small JSON object."""
    return {
        "currency": currency(doc),
        "flow": flow_view(doc.get("flow")),
        "sankey": journey_sankey(doc.get("metrics")),
        "pareto": pareto(doc),
        "fragments": [
            {"id": f"fragment-{i}", "edges": fragment_edges(b)}
            for i, b in enumerate(_list(doc.get("breakdowns")))
            if isinstance(b, dict) and fragment_edges(b)
        ],
    }


def fragment_edges(b: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The flow fragment of a breakdown as edges ``{from, to, count}`` (empty when it has none)."""
    ev = _dict(b.get("evidence"))
    for key in ("flow_fragment", "fragment", "flow"):
        raw = ev.get(key)
        if isinstance(raw, dict):
            raw = raw.get("dfg") or raw.get("edges")
        edges = [
            {"from": str(e["from"]), "to": str(e["to"]), "count": e.get("count")}
            for e in _list(raw)
            if isinstance(e, dict) and e.get("from") is not None and e.get("to") is not None
        ]
        if edges:
            return edges
    return []


_NOT_EVIDENCE = frozenset(
    {"example_contacts", "example_contact_ids", "flow_fragment", "fragment", "flow", "baseline", "fix"}
)


def evidence_rows(b: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The evidence numbers as (label, value) rows; nested dicts become dotted labels."""
    rows: list[tuple[str, Any]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix} · {k}" if prefix else str(k), v)
        elif isinstance(value, list):
            if all(not isinstance(v, dict | list) for v in value):
                rows.append((prefix, ", ".join(fmt(v) for v in value)))
            else:
                rows.append((prefix, f"{len(value)} items"))
        else:
            rows.append((prefix, value))

    for k, v in _dict(b.get("evidence")).items():
        if k not in _NOT_EVIDENCE:
            walk(str(k), v)
    return rows


def baseline_rows(b: Mapping[str, Any]) -> list[tuple[str, Any]]:
    base = _dict(b.get("evidence")).get("baseline", b.get("baseline"))
    if base is None:
        return []
    if isinstance(base, dict):
        return [(str(k), v) for k, v in base.items()]
    return [("baseline", base)]


def example_contacts(b: Mapping[str, Any]) -> list[str]:
    ev = _dict(b.get("evidence"))
    raw = ev.get("example_contacts") or ev.get("example_contact_ids") or b.get("example_contacts")
    return [str(x) for x in _list(raw)][:10]


def fix_sentence(b: Mapping[str, Any], cur: str) -> str:
    """What the fix would need to move: the finder's own words when it gives them, else the numbers."""
    for source in (b, _dict(b.get("evidence"))):
        if source.get("fix"):
            return str(source["fix"])
    base = _dict(b.get("evidence")).get("baseline", b.get("baseline"))
    target = ""
    if isinstance(base, dict) and base.get("value") is not None:
        what = base.get("metric") or "the rate"
        scope = f" ({base['scope']})" if base.get("scope") else ""
        value = fmt(base["value"], "pct" if _is_share(base["value"]) else "")
        target = f"Bring {what} down to the baseline of {value}{scope}; that "
    elif isinstance(base, int | float) and not isinstance(base, bool):
        target = f"Bring it down to the baseline of {fmt(base, 'pct' if _is_share(base) else '')}; that "
    return (
        f"{target or 'Removing it '}would avoid {fmt(b.get('avoidable_contacts'))} contacts, "
        f"{fmt(b.get('avoidable_minutes'), 'money')} handle minutes and "
        f"{fmt(b.get('avoidable_cost'), 'money')} {cur}."
    )


def _is_share(x: Any) -> bool:
    return isinstance(x, float) and 0.0 <= x <= 1.0


def missing_fields(doc: Mapping[str, Any], optional: tuple[str, ...]) -> list[str]:
    present = set(_list(_dict(doc.get("input")).get("fields_present")))
    return [f for f in optional if f not in present]
