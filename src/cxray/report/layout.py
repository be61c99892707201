"""A layered (left-to-right) layout for the flow map, computed once in Python.

Why here and not in the browser: the positions are deterministic and testable, and they stay fixed
when the reader filters or simplifies the map, so a step never jumps around between views.
The input is the directly-follows graph (a few hundred edges at most), never the events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Position:
    layer: int  # longest forward path of hand-offs from a start step (0 = where contacts start)
    order: int  # position within the layer, 0 = top


def layered_layout(
    nodes: Sequence[str],
    edges: Sequence[tuple[str, str, int]],
    *,
    starts: Mapping[str, int] | None = None,
    sweeps: int = 4,
) -> dict[str, Position]:
    """Layer each step by its longest path of hand-offs from a start step (after setting aside the
    edges that loop back, found depth-first along the busiest edges), then order each layer
    by the barycentre of its neighbours (a few sweeps) to reduce crossings.

    So a loop never pushes a step down, and where work ends is below where it starts.
    Ties break by volume, then name.

    >>> pos = layered_layout(["a", "b", "c"], [("a", "b", 5), ("b", "c", 5), ("a", "c", 1), ("c", "a", 1)],
    ...                      starts={"a": 6})
    >>> [(n, pos[n].layer) for n in "abc"]
    [('a', 0), ('b', 1), ('c', 2)]
    """
    names = sorted(set(nodes) | {s for s, _, _ in edges} | {t for _, t, _ in edges})
    volume: dict[str, int] = defaultdict(int)
    succ: dict[str, list[str]] = defaultdict(list)
    pred: dict[str, list[str]] = defaultdict(list)
    for src, dst, count in sorted(edges, key=lambda e: (-e[2], e[0], e[1])):
        volume[src] += count
        volume[dst] += count
        if src != dst:
            succ[src].append(dst)
            pred[dst].append(src)

    roots = [n for n in names if (starts or {}).get(n)] or [n for n in names if not pred[n]] or names[:1]
    back = _back_edges(names, roots, succ, volume)
    # longest path from a root over the forward edges (acyclic), in topological order (Kahn)
    forward = {n: [m for m in succ[n] if (n, m) not in back] for n in names}
    indegree = {n: 0 for n in names}
    for n in names:
        for m in forward[n]:
            indegree[m] += 1
    layer = {n: 0 for n in names}
    ready = [n for n in names if indegree[n] == 0]
    while ready:
        n = ready.pop()
        for m in forward[n]:
            layer[m] = max(layer[m], layer[n] + 1)
            indegree[m] -= 1
            if indegree[m] == 0:
                ready.append(m)

    layers: dict[int, list[str]] = defaultdict(list)
    for n in sorted(names, key=lambda n: (-volume[n], n)):
        layers[layer[n]].append(n)
    order = {n: i for members in layers.values() for i, n in enumerate(members)}
    for sweep in range(sweeps):
        neighbours = pred if sweep % 2 == 0 else succ
        for k in sorted(layers, reverse=sweep % 2 == 1):

            def key(n: str, nb: dict[str, list[str]] = neighbours) -> tuple[float, int, str]:
                around = [order[m] for m in nb[n] if layer[m] != layer[n]]
                centre = sum(around) / len(around) if around else float(order[n])
                return (centre, -volume[n], n)

            layers[k].sort(key=key)
            order.update({n: i for i, n in enumerate(layers[k])})
    return {n: Position(layer=layer[n], order=order[n]) for n in names}


def _back_edges(
    names: list[str], roots: list[str], succ: Mapping[str, list[str]], volume: Mapping[str, int]
) -> set[tuple[str, str]]:
    """Edges closing a cycle in an iterative depth-first search from the roots (busiest edges first)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    back: set[tuple[str, str]] = set()
    rest = sorted((n for n in names if n not in roots), key=lambda n: (-volume[n], n))
    for root in [*roots, *rest]:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(succ[root]))]
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                back.add((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(succ[nxt])))
    return back
