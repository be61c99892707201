"""Progress on long steps. The library reports; the CLI decides whether and where to print."""

from __future__ import annotations

import sys
import time
from typing import Any, Protocol, TextIO


class Progress(Protocol):
    """Called at the start of each named step of a long job."""

    def step(self, name: str) -> None: ...

    def done(self) -> None: ...


class Silent:
    """The default: report nothing. A context manager, like ``RichProgress``, so callers need no branch."""

    def __enter__(self) -> Silent:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

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


class RichProgress:
    """A live display for a terminal: a spinner on the running step, each finished step with its time.

    ``rich`` redraws the lines in place, so a long run shows which step it is in and how long each took
    (``✓ measuring  2.4 s``). Use it as a context manager so that an error stops the display (and gives
    the terminal its cursor back) before the error is printed; a step that did not finish shows ``✗``.
    """

    def __init__(self, console: Any = None) -> None:
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> RichProgress:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self._finish(ok=exc_type is None)
        self._stop()

    def step(self, name: str) -> None:
        if self._bar is None:
            self._bar = _rich_bar(self.console)
            self._bar.start()
        self._finish(ok=True)
        self._task = self._bar.add_task(name, total=1, status="")

    def done(self) -> None:
        self._finish(ok=True)
        self._stop()

    def _finish(self, *, ok: bool) -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=1 if ok else 0, status="" if ok else "✗")
            self._bar.stop_task(self._task)
            self._task = None

    def _stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _rich_bar(console: Any) -> Any:
    """A ``rich.progress.Progress`` with a state mark, the step name and its elapsed seconds."""
    from rich.progress import Progress as Bar
    from rich.progress import ProgressColumn, SpinnerColumn, TextColumn
    from rich.text import Text

    class Mark(SpinnerColumn):
        def render(self, task: Any) -> Any:
            if task.fields.get("status"):
                return Text(task.fields["status"], style="red")
            return super().render(task)

    class Seconds(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text(f"{task.elapsed or 0.0:.1f} s", style="progress.elapsed")

    return Bar(
        Mark(finished_text=Text("✓", style="green")),
        TextColumn("{task.description}"),
        Seconds(),
        console=console,
        transient=False,
    )
