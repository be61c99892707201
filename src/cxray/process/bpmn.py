"""BPMN 2.0 XML (as exported by Camunda, Signavio, bpmn.io, Bizagi...) to a :class:`ProcessModel`.

What is read: tasks of every kind (and call activities / sub-processes, as one step named by their
``name``), start and end events, sequence flows, exclusive / event-based / inclusive / parallel
gateways. Intermediate events are pass-through. Message flows, lanes and data objects are ignored;
all processes of a collaboration are merged.

How it maps to a directly-follows model:

* Gateways and events are silent: step ``a`` may be followed by step ``b`` when a sequence-flow path
  from ``a`` reaches ``b`` through silent nodes only (so exclusive choices and loops expand to direct
  task -> task transitions); ``start``/``end`` likewise from start events / to end events.
* Parallel (and inclusive) splits: the tasks of one branch (reachable from it before any joining
  parallel gateway) may be directly followed by the tasks of every other branch of the same split,
  which admits every interleaving. This over-approximates concurrency: a directly-follows model cannot
  require that *each* branch is done in *each* pass of a loop. Tasks that every completion must pass
  (parallel splits need all their branches) become ``required`` steps, which restores the
  "all branches" rule once per contact.

Security: BPMN needs no DTD, so any document with a DOCTYPE is refused before ElementTree sees it.
That closes both XXE (external entities are never resolved) and entity-expansion bombs ("billion
laughs"): no entity can be declared. A size cap bounds the rest.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final
from xml.parsers import expat

from ..errors import ConfigError
from .model import END, START, ProcessModel

MAX_BYTES: Final = 20_000_000
_NS = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
_TASKS = {
    "task", "userTask", "serviceTask", "manualTask", "scriptTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "adHocSubProcess", "transaction",
}  # fmt: skip
_XOR = {"exclusiveGateway", "eventBasedGateway", "complexGateway"}
_AND = {"parallelGateway"}
_OR = {"inclusiveGateway"}  # interleaves like a parallel split, but no branch is compulsory
_PASS = {"intermediateCatchEvent", "intermediateThrowEvent"}


class _Refused(Exception):
    """Raised inside the expat pre-pass when the document declares a DOCTYPE or entity."""


def load_bpmn(path: str | Path) -> ProcessModel:
    """Read a BPMN 2.0 XML file into a :class:`ProcessModel` (see the module docstring)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read BPMN file: {exc}", path=p) from exc
    return parse_bpmn(data, path=p, name=p.stem)


def parse_bpmn(data: bytes, *, path: str | Path | None = None, name: str = "process") -> ProcessModel:
    """Parse BPMN 2.0 XML bytes; :class:`ConfigError` on unsafe, malformed or unsupported content."""
    root = _safe_root(data, path)
    nodes: dict[str, tuple[str, str]] = {}  # id -> (kind, label)
    succ: dict[str, list[str]] = {}
    pred: dict[str, list[str]] = {}
    processes = [root] if root.tag == _NS + "process" else list(root.iter(_NS + "process"))
    if not processes:
        raise ConfigError("no BPMN <process> element found", path=path)
    for proc in processes:
        _collect(proc, nodes, succ, pred, path)
    tasks = sorted((i for i, (k, _) in nodes.items() if k == "task"), key=lambda i: nodes[i][1])
    starts = sorted(i for i, (k, _) in nodes.items() if k == "start")
    if not tasks:
        raise ConfigError("the BPMN process has no tasks", path=path)
    if not starts or not any(k == "end" for k, _ in nodes.values()):
        raise ConfigError("the BPMN process needs a start event and an end event", path=path)

    def label(i: str) -> str:
        return nodes[i][1]

    transitions: set[tuple[str, str]] = set()
    for src in tasks + starts:
        a = START if nodes[src][0] == "start" else label(src)
        for dst in _next_visible(src, nodes, succ):
            transitions.add((a, END if nodes[dst][0] == "end" else label(dst)))
    parallel = [g for g, (k, _) in nodes.items() if k in ("and", "or") and len(succ.get(g, ())) > 1]
    for g in parallel:
        branches = [_branch_tasks(b, nodes, succ, pred) for b in succ[g]]
        for i, bi in enumerate(branches):
            for j, bj in enumerate(branches):
                if i != j:
                    transitions |= {(label(x), label(y)) for x in bi for y in bj}
    steps = tuple(sorted({label(t) for t in tasks}))
    required = tuple(
        s for s in steps if not _can_finish(starts, nodes, succ, avoid={t for t in tasks if label(t) == s})
    )
    notes: tuple[str, ...] = ()
    if parallel:
        notes = (
            "parallel branches: any interleaving is allowed; steps every completion needs are required "
            "(once per contact, not once per loop pass)",
        )
    return ProcessModel(
        name=name, steps=steps, transitions=frozenset(transitions), required=required, notes=notes
    )


# --- parsing ------------------------------------------------------------------------------------------
def _safe_root(data: bytes, path: str | Path | None) -> ET.Element:
    if len(data) > MAX_BYTES:
        raise ConfigError(f"BPMN file larger than {MAX_BYTES} bytes", path=path)

    def refuse(*_: object) -> Any:
        raise _Refused

    pre = expat.ParserCreate()
    pre.StartDoctypeDeclHandler = refuse
    pre.EntityDeclHandler = refuse
    pre.ExternalEntityRefHandler = refuse
    try:
        pre.Parse(data, True)
    except _Refused:
        raise ConfigError(
            "BPMN with a DOCTYPE or entity declaration is refused (XXE guard)", path=path
        ) from None
    except expat.ExpatError as exc:
        raise ConfigError(f"not well-formed XML: {exc}", path=path) from exc
    return ET.fromstring(data)


def _collect(
    proc: ET.Element,
    nodes: dict[str, tuple[str, str]],
    succ: dict[str, list[str]],
    pred: dict[str, list[str]],
    path: str | Path | None,
) -> None:
    flows = []
    for el in proc:  # direct children only: a sub-process is one step, its inside is not flattened
        local = el.tag.removeprefix(_NS)
        ident = el.get("id")
        if ident is None:
            continue
        if local == "sequenceFlow":
            flows.append((ident, el.get("sourceRef"), el.get("targetRef")))
        elif local in _TASKS:
            nodes[ident] = ("task", _clean(el.get("name")) or ident)
        elif local == "startEvent":
            nodes[ident] = ("start", "")
        elif local == "endEvent":
            nodes[ident] = ("end", "")
        elif local in _XOR or local in _PASS:
            nodes[ident] = ("xor", "")
        elif local in _AND:
            nodes[ident] = ("and", "")
        elif local in _OR:
            nodes[ident] = ("or", "")
    for ident, src, dst in flows:
        if src not in nodes or dst not in nodes:
            raise ConfigError(f"sequenceFlow {ident!r} links an unknown or unsupported element", path=path)
        succ.setdefault(src, []).append(dst)
        pred.setdefault(dst, []).append(src)


def _clean(name: str | None) -> str:
    return re.sub(r"\s+", " ", name or "").strip()


# --- graph walks --------------------------------------------------------------------------------------
def _walk(first: list[str], expand: Callable[[str], bool], succ: dict[str, list[str]]) -> set[str]:
    """Nodes reached from ``first`` following flows, continuing only through nodes ``expand`` accepts."""
    seen: set[str] = set()
    todo = list(first)
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        if expand(n):
            todo.extend(succ.get(n, ()))
    return seen


def _next_visible(src: str, nodes: dict[str, tuple[str, str]], succ: dict[str, list[str]]) -> set[str]:
    """Tasks and end events reachable from ``src`` through silent nodes (gateways, pass-through events)."""
    reached = _walk(succ.get(src, []), lambda n: nodes[n][0] in ("xor", "and", "or"), succ)
    return {n for n in reached if nodes[n][0] in ("task", "end")}


def _branch_tasks(
    first: str, nodes: dict[str, tuple[str, str]], succ: dict[str, list[str]], pred: dict[str, list[str]]
) -> set[str]:
    """Tasks of one parallel branch: reachable from ``first`` before any joining parallel gateway."""

    def expand(n: str) -> bool:
        joins = nodes[n][0] in ("and", "or") and len(pred.get(n, ())) > 1
        return not joins and nodes[n][0] != "end"

    return {n for n in _walk([first], expand, succ) if nodes[n][0] == "task"}


def _can_finish(
    starts: list[str], nodes: dict[str, tuple[str, str]], succ: dict[str, list[str]], avoid: set[str]
) -> bool:
    """Can some start event reach an end while never doing a task in ``avoid``? A parallel split needs
    every branch to finish, other nodes any successor (least fixpoint, so loops cannot justify
    themselves)."""
    ok = {n for n, (k, _) in nodes.items() if k == "end"}
    changed = True
    while changed:
        changed = False
        for n, (kind, _) in nodes.items():
            if n in ok or n in avoid:
                continue
            nxt = succ.get(n, [])
            if not nxt:
                continue
            splits = kind == "and" and len(nxt) > 1
            if (all if splits else any)(m in ok for m in nxt):
                ok.add(n)
                changed = True
    return any(s in ok for s in starts)
