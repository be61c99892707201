"""Opening hours: the hours of the day when a centre's agents do not work.

The built-in scenarios run around the clock (repeats and retries come back at any hour and are staffed), so a
log of them has no closed hours. Real centres close, and their exports show calls that arrive while nobody
answers (the night-call artefact, ``artefacts``). ``closed`` is ``(from, to)`` in whole UTC hours of the day
and may wrap midnight: ``(0, 6)`` is 00:00-06:00, ``(22, 7)`` is 22:00-07:00.
"""

from __future__ import annotations

import numpy as np

from .waits import DAY, HOUR


def _since(t: np.ndarray, closed: tuple[int, int]) -> tuple[np.ndarray, float]:
    """Seconds since the closed window last began, and the window's length in seconds."""
    start, end = closed
    return (np.asarray(t) - start * HOUR) % DAY, ((end - start) % 24) * HOUR


def is_closed(t: np.ndarray, closed: tuple[int, int]) -> np.ndarray:
    """Whether each time (seconds from the first midnight) falls in the closed hours."""
    since, length = _since(t, closed)
    return since < length


def next_open(t: np.ndarray, closed: tuple[int, int]) -> np.ndarray:
    """Each time moved to the next opening where it falls in the closed hours, else left as it is.

    The opening is rounded up to the whole second, so that the log's whole seconds never show it a second
    early through floating-point error.
    """
    since, length = _since(t, closed)
    return np.where(since < length, np.ceil(t + (length - since)), t)
