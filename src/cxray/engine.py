"""Where SQL runs. DuckDB, embedded and in-process, is the default engine: no server to install.

Every analysis is set-based SQL over the canonical ``events`` table and the tables derived from it,
so that the same statements can later run per partition of customers on a distributed engine.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from .errors import ConfigError, EngineError
from .sql import ident


class Engine:
    """A DuckDB connection with the session settings cxray relies on.

    The session time zone is UTC, so TIMESTAMPTZ values convert to UTC and naive timestamps are read
    as UTC unless a reader says otherwise. ``threads`` and ``memory_limit`` default to the
    ``CXRAY_THREADS`` and ``CXRAY_MEMORY_LIMIT`` environment variables, then to all cores and
    :func:`default_memory_limit` (3 GB, or half the RAM when that is less), not DuckDB's 80% of RAM:
    past the limit DuckDB spills sorts, joins and temporary tables to ``temp_directory`` (by default a
    private folder under the system temp dir, removed on close) instead of taking the machine's
    memory; 10M events diagnose within it at nearly the same speed (``bench/README.md``).

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
        memory_limit = memory_limit or os.environ.get("CXRAY_MEMORY_LIMIT") or default_memory_limit()
        if threads:
            config["threads"] = threads
        config["memory_limit"] = memory_limit
        if not temp_directory:
            # DuckDB's default is ".tmp" in the working directory: spill files do not belong there.
            temp_directory = tempfile.mkdtemp(prefix="cxray-duckdb-")
            self._cleanup = weakref.finalize(self, shutil.rmtree, temp_directory, ignore_errors=True)
        config["temp_directory"] = temp_directory
        try:
            self.con = duckdb.connect(database, config=config)
        except (duckdb.Error, ValueError) as exc:  # a bad memory limit or thread count, an unusable database
            shown = {k: v for k, v in config.items() if k != "temp_directory"}
            raise ConfigError(f"cannot start DuckDB with {shown}: {exc}") from None
        self.con.execute("SET TimeZone = 'UTC'")
        # cxray reports its own progress (cxray.progress); DuckDB's bar would print over it, and into logs
        # and a --quiet run, for every statement over two seconds (most of them at 10M events).
        self.con.execute("SET enable_progress_bar = false")
        # Deterministic results: keep insertion order where DuckDB can, and never guess row order.
        self.con.execute("SET preserve_insertion_order = true")

    # --- lifecycle ----------------------------------------------------------------------------------
    def close(self) -> None:
        self.con.close()
        cleanup = getattr(self, "_cleanup", None)
        if cleanup is not None:
            cleanup()

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
            return _plain(rel.to_arrow_table()) if rel is not None else pa.table({})

    def numpy(self, sql: str, params: Sequence[Any] | None = None) -> dict[str, np.ndarray]:
        """Run a query and return its columns as NumPy arrays (masked where a value is NULL). Unlike
        ``arrow(...).column(c).to_numpy()`` it does not import pandas (a third of a second)."""
        with self._errors(sql):
            rel = self.con.sql(sql, params=list(params) if params else None)
            return rel.fetchnumpy() if rel is not None else {}

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        """Run a query and return its rows as dicts (for small, aggregated results)."""
        with self._errors(sql):
            cur = self.con.execute(sql, params or [])
            names = [d[0] for d in cur.description or []]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a query and return all its rows as tuples, read completely (the connection is free after)."""
        with self._errors(sql):
            return self.con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """Run a query returning one value."""
        with self._errors(sql):
            # fetchall, not fetchone: a half-read result keeps the connection busy for the next query.
            rows = self.con.execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None

    def register(self, name: str, table: pa.Table) -> None:
        """Expose an Arrow table to SQL under ``name`` (zero-copy)."""
        with self._errors(f"register {name}"):
            self.con.register(name, table)

    def unregister(self, name: str) -> None:
        """Forget a table exposed with :meth:`register` (nothing happens when there is none)."""
        with self._errors(f"unregister {name}"):
            self.con.unregister(name)

    def copy_in(self, name: str, table: pa.Table, *, temp: bool = True) -> None:
        """Materialise an Arrow table as the (temporary) table ``name``, replacing one of that name: the
        Arrow data may go once this returns, unlike with :meth:`register`."""
        view = f"_cx_copy_in_{name}"
        self.register(view, table)
        try:
            kind = "TEMP TABLE" if temp else "TABLE"
            self.execute(f"CREATE OR REPLACE {kind} {ident(name)} AS SELECT * FROM {ident(view)}")
        finally:
            self.unregister(view)

    def columns(self, table: str) -> list[str]:
        """Column names of a table or view, in order."""
        return [r[0] for r in self.fetchall(f"DESCRIBE {ident(table)}")]

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


#: The most memory DuckDB takes by default: enough for 10M events with sorts spilled to disk.
MEMORY_CAP_BYTES = 3_000_000_000


def _plain(table: pa.Table) -> pa.Table:
    """``table`` with its ENUM columns (Arrow dictionaries: the reader stores low-cardinality text so,
    ``io.canonical.encode_categories``) as the text they are, at any depth: what leaves the engine has
    the types the data contract names, whatever the engine stores."""
    fields = [f.with_type(_plain_type(f.type)) for f in table.schema]
    plain = pa.schema(fields, metadata=table.schema.metadata)
    return table if plain.equals(table.schema) else table.cast(plain)


def _plain_type(t: pa.DataType) -> pa.DataType:
    if pa.types.is_dictionary(t):
        return _plain_type(t.value_type)
    if pa.types.is_list(t):
        return pa.list_(t.value_field.with_type(_plain_type(t.value_type)))
    if pa.types.is_large_list(t):
        return pa.large_list(t.value_field.with_type(_plain_type(t.value_type)))
    if pa.types.is_struct(t):
        return pa.struct([f.with_type(_plain_type(f.type)) for f in t])
    if pa.types.is_map(t):
        return pa.map_(_plain_type(t.key_type), _plain_type(t.item_type))
    return t


def arrow_from_lists(columns: Mapping[str, tuple[str, Sequence[Any]]]) -> pa.Table:
    """Python lists as an Arrow table: ``{name: (DuckDB type, values)}``, columns in that order.

    DuckDB builds it, the lists bound as parameters. ``pa.array(list)`` gives the same table, but pyarrow
    imports pandas the first time it converts Python objects, to learn whether they are pandas objects:
    where pandas is installed (cxray does not need it) that import was 0.2 s and 40 MB of every
    diagnosis (bench/README.md, session 22).

    >>> arrow_from_lists({"name": ("VARCHAR", ["a", None]), "n": ("BIGINT", [1, 2])}).to_pylist()
    [{'name': 'a', 'n': 1}, {'name': None, 'n': 2}]
    """
    global _LISTS
    if len({len(values) for _, values in columns.values()}) > 1:
        raise ValueError("arrow_from_lists: the columns' lists differ in length")
    select = ", ".join(f"unnest(?::{sql_type}[]) AS {ident(name)}" for name, (sql_type, _) in columns.items())
    params = [list(values) for _, values in columns.values()]
    with _LISTS_LOCK:  # one connection for the process: connecting costs about 10 ms a call
        if _LISTS is None:
            _LISTS = duckdb.connect(config={"threads": 1})
        return _LISTS.sql(f"SELECT {select}", params=params).to_arrow_table()


def arrow_strings(values: Sequence[str | None]) -> pa.Array:
    """Python strings (None: NULL) as an Arrow string array, as :func:`arrow_from_lists` builds it."""
    chunks = arrow_from_lists({"v": ("VARCHAR", values)}).column(0).chunks
    # combine_chunks() of no chunks builds its empty array from a Python list (the pandas import again)
    return pa.concat_arrays(chunks) if chunks else pa.nulls(0, pa.string())


def arrow_from_numpy(values: np.ndarray, type_: pa.DataType, *, mask: np.ndarray | None = None) -> pa.Array:
    """A NumPy array of fixed-width values as an Arrow array of ``type_`` (as wide: int64 for a timestamp),
    NULL where ``mask`` is True, from its buffer: ``pa.array(ndarray)`` imports pandas as a list does
    (:func:`arrow_from_lists`).

    >>> arrow_from_numpy(np.array([1.5, 2.0]), pa.float64(), mask=np.array([False, True])).to_pylist()
    [1.5, None]
    """
    data = np.ascontiguousarray(values)
    if data.ndim != 1 or data.dtype.itemsize * 8 != type_.bit_width:
        raise ValueError(f"arrow_from_numpy: a 1-d {data.dtype} array cannot hold {type_}")
    if mask is not None and len(mask) != len(data):
        raise ValueError("arrow_from_numpy: the mask and the values differ in length")
    nulls = 0 if mask is None else int(np.count_nonzero(mask))
    validity = pa.py_buffer(np.packbits(~np.asarray(mask, dtype=bool), bitorder="little")) if nulls else None
    return pa.Array.from_buffers(type_, len(data), [validity, pa.py_buffer(data)], null_count=nulls)


_LISTS: duckdb.DuckDBPyConnection | None = None
_LISTS_LOCK = threading.Lock()
_INHERITED: list[duckdb.DuckDBPyConnection] = []  # a forked child's parent's connection, kept unused


def _forget_lists() -> None:
    """In a forked child (a Spark worker, multiprocessing): a connection of its own and a free lock. The
    parent's connection is kept, never used: closing it in the child crashed it (SIGSEGV)."""
    global _LISTS, _LISTS_LOCK
    if _LISTS is not None:
        _INHERITED.append(_LISTS)
    _LISTS, _LISTS_LOCK = None, threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forget_lists)


def default_memory_limit() -> str:
    """DuckDB's memory limit when none is given: 3 GB, or half the physical RAM when that is less.

    A fixed cap rather than DuckDB's 80% of RAM: cxray runs beside other work (a laptop, a shared
    runner), and past the cap DuckDB spills to disk rather than failing.
    """
    cap = MEMORY_CAP_BYTES
    with contextlib.suppress(AttributeError, ValueError, OSError):  # not POSIX: keep the cap
        cap = min(cap, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2)
    return f"{max(cap // 1_000_000, 256)}MB"


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
