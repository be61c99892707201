"""Where SQL runs. DuckDB, embedded and in-process, is the default engine: no server to install.

Every analysis is set-based SQL over the canonical ``events`` table and the tables derived from it,
so that the same statements can later run per partition of customers on a distributed engine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import pyarrow as pa

from .errors import EngineError


class Engine:
    """A DuckDB connection with the session settings cxray relies on.

    The session time zone is UTC, so TIMESTAMPTZ values convert to UTC and naive timestamps are read
    as UTC unless a reader says otherwise. ``threads`` and ``memory_limit`` default to the
    ``CXRAY_THREADS`` and ``CXRAY_MEMORY_LIMIT`` environment variables, then to DuckDB's own (all
    cores, 80% of RAM). A limit such as ``"3GB"`` makes DuckDB spill large joins to disk instead of
    holding them in memory.

    >>> with Engine() as e:
    ...     e.scalar("SELECT 41 + 1")
    42
    """

    name = "duckdb"

    def __init__(
        self,
        *,
        database: str = ":memory:",
        threads: int | None = None,
        memory_limit: str | None = None,
        temp_directory: str | None = None,
    ) -> None:
        config: dict[str, Any] = {}
        threads = threads or _env_int("CXRAY_THREADS")
        memory_limit = memory_limit or os.environ.get("CXRAY_MEMORY_LIMIT")
        if threads:
            config["threads"] = threads
        if memory_limit:
            config["memory_limit"] = memory_limit
        if temp_directory:
            config["temp_directory"] = temp_directory
        self.con = duckdb.connect(database, config=config)
        self.con.execute("SET TimeZone = 'UTC'")
        # Deterministic results: keep insertion order where DuckDB can, and never guess row order.
        self.con.execute("SET preserve_insertion_order = true")

    # --- lifecycle ----------------------------------------------------------------------------------
    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- running SQL --------------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run a statement for its effect (CREATE, INSERT...)."""
        with self._errors(sql):
            self.con.execute(sql, params or [])

    def arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run a query and return an Arrow table."""
        with self._errors(sql):
            # A relation converts without the extra copy a DB-API cursor makes (DuckDB 2.0 warns on it).
            rel = self.con.sql(sql, params=list(params) if params else None)
            return rel.to_arrow_table() if rel is not None else pa.table({})

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        """Run a query and return its rows as dicts (for small, aggregated results)."""
        with self._errors(sql):
            cur = self.con.execute(sql, params or [])
            names = [d[0] for d in cur.description or []]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """Run a query returning one value."""
        with self._errors(sql):
            # fetchall, not fetchone: a half-read result keeps the connection busy for the next query.
            rows = self.con.execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None

    def register(self, name: str, table: pa.Table) -> None:
        """Expose an Arrow table to SQL under ``name`` (zero-copy)."""
        self.con.register(name, table)

    def columns(self, table: str) -> list[str]:
        """Column names of a table or view, in order."""
        return [r[0] for r in self.con.execute(f'DESCRIBE "{table}"').fetchall()]

    def has_table(self, name: str) -> bool:
        return bool(
            self.scalar(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                [name],
            )
        )

    @contextmanager
    def _errors(self, sql: str) -> Iterator[None]:
        try:
            yield
        except duckdb.Error as exc:
            head = " ".join(sql.split())[:160]
            raise EngineError(f"DuckDB failed: {exc} (in: {head}...)") from exc


def default_threads() -> int:
    """Threads for DuckDB: all cores unless CXRAY_THREADS says otherwise."""
    return _env_int("CXRAY_THREADS") or (os.cpu_count() or 1)


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise EngineError(f"{name} must be a whole number, got {value!r}") from None
