"""One exception tree for cxray; user mistakes are separate from internal failures.

::

    CxrayError                  anything cxray raises on purpose
    ├── InputError              the data cannot be used: file, row and column say where
    │   └── MissingColumnError  a required column is absent and no mapping supplies it
    ├── ConfigError             an option, mapping, cost model or scenario is wrong
    └── EngineError             the engine failed on valid input (a bug or a resource limit)

The CLI turns each into a one-line message and an exit code (``cli.EXIT_*``); it never shows a
traceback for a ``CxrayError``.
"""

from __future__ import annotations

from pathlib import Path


class CxrayError(Exception):
    """Base class of every error cxray raises on purpose."""


class InputError(CxrayError):
    """The input cannot be used. Carries where: ``path``, ``row`` (1-based record) and ``column``."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.row = row
        self.column = column
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.path:
            where.append(self.path)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class MissingColumnError(InputError):
    """A required canonical column is absent and no mapping supplies it."""


class ConfigError(CxrayError):
    """An option, mapping, cost model or scenario is invalid. ``path`` names the file when there is one."""

    def __init__(self, message: str, *, path: str | Path | None = None) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        super().__init__(f"{self.path}: {message}" if self.path else message)


class EngineError(CxrayError):
    """The engine failed on input that passed validation."""
