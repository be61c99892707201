"""Where each contact goes: its planned queues and how each hop ends, planted misroutes included."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .batch import NORMAL
from .breakdowns import MisroutedHandoff, PingPong, RareAwfulJourney
from .model import Model
from .scenario import ENTRY_CHANNELS

FINAL, TRANSFER, ESCALATE = 0, 1, 2
MAX_HOPS = 10


def plan_routes(
    m: Model,
    rng: np.random.Generator,
    r: np.ndarray,
    ch: np.ndarray,
    kind: np.ndarray,
    cid: np.ndarray,
    touch: Callable[[str, np.ndarray], None],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Planned queues (contacts × hops, −1 after the last), how each hop ends, and who goes to back office.

    ``r``, ``ch`` and ``kind`` are each contact's reason, entry channel and kind; ``touch(name, ids)``
    records the contacts a planted breakdown acted on.
    """
    n = r.size
    route = np.full((n, MAX_HOPS), -1, dtype=np.int64)
    exit_ = np.full((n, MAX_HOPS), FINAL, dtype=np.int64)
    length = np.ones(n, dtype=np.int64)
    route[:, 0] = m.route[r, ch]
    rows = np.arange(n)
    normal = kind == NORMAL

    def append(mask: np.ndarray, queue: np.ndarray | int, how: int) -> None:
        mask = mask & (length < MAX_HOPS)
        i = rows[mask]
        exit_[i, length[i] - 1] = how
        route[i, length[i]] = queue[mask] if isinstance(queue, np.ndarray) else queue
        length[i] += 1

    for mh in m.active(MisroutedHandoff):
        hit = normal & (r == m.reason(mh.reason)) & (ch == ENTRY_CHANNELS.index(mh.channel))
        hit &= rng.random(n) < mh.share
        correct = route[:, 0].copy()
        route[hit, 0] = m.queue(mh.wrong_queue)
        append(hit, correct, TRANSFER)
        touch(mh.name, cid[hit])
    for ra in m.active(RareAwfulJourney):
        hit = normal & (r == m.reason(ra.reason))
        for q in ra.route:
            append(hit, m.queue(q), TRANSFER)
        touch(ra.name, cid[hit])
    for pp in m.active(PingPong):
        a, z = m.queue(pp.first), m.queue(pp.second)
        hit = (
            normal & (r == m.reason(pp.reason)) & (route[rows, length - 1] == a) & (rng.random(n) < pp.share)
        )
        append(hit, z, TRANSFER)
        append(hit, a, TRANSFER)
        touch(pp.name, cid[hit])
    to = m.transfer_to[r]
    append(
        normal & (to >= 0) & (route[rows, length - 1] != to) & (rng.random(n) < m.transfer_p[r]),
        to,
        TRANSFER,
    )
    up = m.escalate_to[r]
    append(normal & (up >= 0) & (rng.random(n) < m.tier2_p[r]), up, ESCALATE)
    to_bo = normal & (rng.random(n) < m.bo_p[r]) & (m.bo_queue[r] >= 0)
    return route, exit_, to_bo
