"""Progress on long steps. The library reports; the CLI decides whether and where to print."""

from __future__ import annotations

import sys
import time
from typing import Protocol, TextIO


class Progress(Protocol):
    """Called at the start of each named step of a long job."""

    def step(self, name: str) -> None: ...

    def done(self) -> None: ...


class Silent:
    """The default: report nothing."""

    def step(self, name: str) -> None:
        pass

    def done(self) -> None:
        pass


class StderrProgress:
    """One line per step with the time the previous step took, e.g. ``cxray: reading events (0.4 s)``."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self._name: str | None = None
        self._t0 = 0.0

    def _finish(self) -> None:
        if self._name is not None:
            print(f"cxray: {self._name} ({time.perf_counter() - self._t0:.1f} s)", file=self.stream)

    def step(self, name: str) -> None:
        self._finish()
        self._name, self._t0 = name, time.perf_counter()

    def done(self) -> None:
        self._finish()
        self._name = None
