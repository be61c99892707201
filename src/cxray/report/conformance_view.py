"""Documented vs actual for the page: the fit, the deviations that cost most, and the flow-map overlay.

Reads ``doc["conformance"]`` (:func:`cxray.process.conformance.check_conformance`). The overlay marks
on the flow map every hand-off that the model allows for no contact (``conforming`` is 0: for a
documented model, a transition it does not have; for inferred happy paths, one on no reason's path).
Without a documented model the comparison is with each reason and entry channel's most frequent path;
the page says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..diagnosis import DiagnosisDocument

START, END = "start", "end"  # the conformance module's pseudo-steps
DEVIATION_LABELS = {
    "bad_start": "start where the process does not start",
    "bad_end": "end where the process does not end",
    "undocumented_transition": "take a hand-off the process does not have",
    "undocumented_step": "pass through a step the process does not have",
    "required_skipped": "skip a required step",
}


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def conformance_view(doc: DiagnosisDocument) -> dict[str, Any] | None:
    """The section's numbers and lists, or None when the document carries no conformance check."""
    conf = doc["conformance"]
    if not conf.get("model_source"):  # {}: the step did not run
        return None
    documented = conf["model_source"] == "documented"
    model = conf["model"] if isinstance(conf.get("model"), dict) else {}
    deviations = conf["deviations"] if isinstance(conf.get("deviations"), dict) else {}
    return {
        "documented": documented,
        "model_name": model.get("name"),
        "fitness": conf.get("fitness"),
        "n_contacts": conf.get("n_contacts"),
        "fitting": conf.get("fitting_contacts"),
        "cost_nonfitting": conf.get("cost_nonfitting"),
        "deviations": [
            {"kind": k, "label": DEVIATION_LABELS.get(k, k.replace("_", " ")), "contacts": v}
            for k, v in sorted(deviations.items(), key=lambda kv: (-_num(kv[1]), kv[0]))
        ],
        "transitions": _rows(conf.get("undocumented_transitions")),
        "steps": _rows(conf.get("undocumented_steps")),
        "skipped": _rows(conf.get("required_skipped")),
        "loops": _rows(conf.get("loops")),
        "slow": _rows(conf.get("slow_handoffs")),
        "happy_paths": _rows(conf.get("happy_paths")),
    }


def _rows(value: Any, top: int = 10) -> list[dict[str, Any]]:
    return [r for r in value if isinstance(r, dict)][:top] if isinstance(value, list) else []


def overlay(doc: DiagnosisDocument, flow: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Edges of the flow view (by node index) that the model allows for no contact.

    ``edges``: ``[[from, to, moves, contacts]]``; ``unplaced``: such hand-offs whose steps are not
    on the map (a model's step names may differ from the log's activities).
    """
    conf = doc["conformance"]
    if not conf.get("flow") or not flow:
        return None
    index: dict[str, int] = {}
    for i, n in enumerate(flow.get("nodes") or []):
        key = n["kind"] if n["kind"] in (START, END) else "a:" + str(n["name"])
        index[key] = i

    def node(step: Any) -> int | None:
        key = step if step in (START, END) else "a:" + str(step)
        return index.get(key)

    edges, unplaced = [], 0
    for e in conf["flow"]:
        if not isinstance(e, dict):
            continue
        if _num(e.get("count")) <= 0 or _num(e.get("conforming")) > 0:
            continue
        a, b = node(e.get("from")), node(e.get("to"))
        if a is None or b is None:
            unplaced += 1
            continue
        edges.append([a, b, int(_num(e.get("count"))), int(_num(e.get("contacts")))])
    edges.sort(key=lambda x: (-x[2], x[0], x[1]))
    return {"documented": conf.get("model_source") == "documented", "edges": edges, "unplaced": unplaced}
