"""A batch of contacts about to start, and what each one met on the way (for its survey)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

NORMAL, CHASER, BO_ITEM = 0, 1, 2


@dataclass
class Batch:
    """Contacts about to start: one row each."""

    journey: np.ndarray
    customer: np.ndarray
    reason: np.ndarray
    channel: np.ndarray
    t: np.ndarray
    kind: np.ndarray
    seq: np.ndarray  # 0-based position of the contact in its journey
    case_queue: np.ndarray  # for a status chaser: the back-office queue of its case, else -1

    def __len__(self) -> int:
        return len(self.journey)

    def take(self, mask: np.ndarray) -> Batch:
        return Batch(**{f.name: getattr(self, f.name)[mask] for f in fields(self)})

    @staticmethod
    def concat(parts: list[Batch]) -> Batch:
        parts = [p for p in parts if len(p)]
        if not parts:
            return Batch(*(np.empty(0, dtype=np.int64) for _ in fields(Batch)))
        return Batch(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Batch)})


@dataclass
class Friction:
    """What the customer met in each contact of a batch (for the survey score)."""

    waited: np.ndarray
    context: np.ndarray
    hops: np.ndarray
    abandoned: np.ndarray
    unresolved: np.ndarray
    pending: np.ndarray

    @staticmethod
    def empty(n: int) -> Friction:
        z = np.zeros(n, dtype=bool)
        return Friction(np.zeros(n), z.copy(), np.zeros(n, dtype=np.int64), z.copy(), z.copy(), z.copy())


def pick(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    """n draws from a discrete law given by its cumulative shares."""
    return np.minimum(np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right"), cdf.size - 1)


def pick_rows(rng: np.random.Generator, cdf: np.ndarray) -> np.ndarray:
    """One draw per row of a matrix of cumulative shares."""
    u = rng.random(cdf.shape[0]) * cdf[:, -1]
    return np.minimum((cdf <= u[:, None]).sum(axis=1), cdf.shape[1] - 1)
