"""A breakdown's evidence shaped for reading: numbers, small nested tables, baseline, examples, the fix.

Detectors write their evidence freely (numbers, lists of rows, nested maps, a baseline given as a
sentence beside ``baseline_rate``...); a few keys have one meaning in every detector
(``cxray.findings.base``: ``examples``, ``flow``, ``baseline``), and this module reads those by that one
name. It never drops a value: what it does not recognise is shown as text.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from ..findings.base import EVIDENCE_BASELINE, EVIDENCE_EXAMPLES, EVIDENCE_FLOW
from .fmt import fmt

# Evidence keys shown elsewhere in the breakdown's card, not in its evidence table.
_NOT_EVIDENCE = frozenset({EVIDENCE_EXAMPLES, EVIDENCE_FLOW, "currency"})
_BASELINE = EVIDENCE_BASELINE


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _evidence(b: Mapping[str, Any]) -> dict[str, Any]:
    return _dict(b.get("evidence"))


def _is_baseline(key: str) -> bool:
    return key == _BASELINE or key.startswith(_BASELINE + "_")


def label(key: str) -> str:
    """``baseline_repeat_rate`` → ``baseline repeat rate``."""
    return key.replace("_", " ")


def value_kind(key: str, value: Any) -> str:
    """How to format a number from its key: a share, seconds, or plain."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    if key.rsplit("_", 1)[-1] in ("rate", "share", "containment", "resolution") and 0 <= value <= 1:
        return "pct"
    if key.endswith("_s"):
        return "s"
    return ""


def cell(key: str, value: Any) -> dict[str, Any]:
    """One evidence value: ``{"kind": "text", "text"}`` or ``{"kind": "table", "columns", "rows"}``
    (a list of rows) or ``{"kind": "list", "items"}`` (a list of anything else)."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        columns = list(dict.fromkeys(k for v in value for k in v))
        rows = [[fmt(v.get(c), value_kind(c, v.get(c))) for c in columns] for v in value]
        return {"kind": "table", "columns": [label(c) for c in columns], "rows": rows}
    if isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            return {"kind": "text", "text": ", ".join(fmt(v, value_kind(key, v)) for v in value)}
        return {"kind": "list", "items": [cell(key, v) for v in value]}
    if isinstance(value, dict):
        rows = [[label(str(k)), _flat(str(k), v)] for k, v in value.items()]
        return {"kind": "table", "columns": ["", ""], "rows": rows}
    return {"kind": "text", "text": fmt(value, value_kind(key, value))}


def _flat(key: str, value: Any) -> str:
    if isinstance(value, dict | list):
        c = cell(key, value)
        return c["text"] if c["kind"] == "text" else f"{len(value)} entries"
    return fmt(value, value_kind(key, value))


def evidence_rows(b: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The evidence as (label, cell) rows, baseline, examples and flow fragment excepted."""
    return [
        (label(str(k)), cell(str(k), v))
        for k, v in _evidence(b).items()
        if k not in _NOT_EVIDENCE and not _is_baseline(str(k))
    ]


def baseline_rows(b: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """What the breakdown is compared with: ``baseline`` (a number, a sentence or a map) and every
    ``baseline_*`` number beside it."""
    ev = _evidence(b)
    rows: list[tuple[str, dict[str, Any]]] = []
    base = ev.get(_BASELINE, b.get(_BASELINE))
    if isinstance(base, dict):
        rows += [(label(str(k)), cell(str(k), v)) for k, v in base.items()]
    elif base is not None:
        rows.append((_BASELINE, cell(_BASELINE, base)))
    rows += [(label(k), cell(k, v)) for k, v in ev.items() if k != _BASELINE and _is_baseline(k)]
    return rows


def example_contacts(b: Mapping[str, Any]) -> list[str]:
    return [str(x) for x in _list(_evidence(b).get(EVIDENCE_EXAMPLES))][:10]


def fragment_edges(b: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The flow fragment (``evidence.flow``, paths ``"A -> B -> C"``) as edges ``{from, to, count}``."""
    edges: list[dict[str, Any]] = []
    for e in _list(_evidence(b).get(EVIDENCE_FLOW)):
        if isinstance(e, str) and "->" in e:
            steps = [s.strip() for s in e.split("->")]
            edges += [{"from": a, "to": z, "count": None} for a, z in itertools.pairwise(steps)]
    return edges


def _target(ev: Mapping[str, Any]) -> str:
    """The "bring <measure> from <now> to the baseline <then>" clause, from ``baseline_<x>`` and ``<x>``."""
    for key, then in ev.items():
        if not (key.startswith(_BASELINE + "_") and isinstance(then, int | float)) or isinstance(then, bool):
            continue
        suffix = key[len(_BASELINE) + 1 :]
        now_key = next(
            (k for k in ev if not _is_baseline(k) and (k == suffix or k.endswith("_" + suffix))),
            None,
        )
        now = ev.get(now_key) if now_key else None
        if not isinstance(now, int | float) or isinstance(now, bool):
            continue
        assert now_key is not None
        unit = " days" if suffix.endswith("days") else ""
        kind = value_kind(now_key, now)
        why = f" ({ev[_BASELINE]})" if isinstance(ev.get(_BASELINE), str) else ""
        return (
            f"Bring {label(now_key)} from {fmt(now, kind)}{unit} to the baseline of "
            f"{fmt(then, value_kind(now_key, then))}{unit}{why}; that "
        )
    base = ev.get(_BASELINE)
    if isinstance(base, dict) and isinstance(base.get("value"), int | float):
        what = base.get("metric") or "the rate"
        scope = f" ({base['scope']})" if base.get("scope") else ""
        value = fmt(base["value"], _share(base["value"]))
        return f"Bring {what} down to the baseline of {value}{scope}; that "
    if isinstance(base, int | float) and not isinstance(base, bool):
        return f"Bring it down to the baseline of {fmt(base, _share(base))}; that "
    return ""


def _share(x: Any) -> str:
    return "pct" if isinstance(x, float) and 0.0 <= x <= 1.0 else ""


def fix_sentence(b: Mapping[str, Any], cur: str) -> str:
    """What the fix must move, from the numbers: the avoidable volume and the baseline to reach."""
    n = b.get("avoidable_contacts")
    contacts = f"{round(n):,} contacts, " if isinstance(n, int | float) and round(n) else ""
    if not contacts and not b.get("avoidable_minutes") and not b.get("avoidable_cost"):
        target = _target(_evidence(b))
        if target:  # nothing priced (no handle times): the baseline alone says what must move
            return target.removesuffix("; that ") + "."
        return (
            "Remove the pattern the evidence describes; with handle times in the data cxray would price it."
        )
    return (
        f"{_target(_evidence(b)) or 'Removing it '}would avoid {contacts}"
        f"{fmt(b.get('avoidable_minutes'), 'money')} handle minutes and "
        f"{fmt(b.get('avoidable_cost'), 'money')} {cur}."
    )
