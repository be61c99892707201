"""The rows behind the numbers: the ``contacts`` and ``journeys`` tables, captured and written as Parquet.

``diagnosis.json`` holds aggregates. An analyst who doubts one (or wants to slice it another way) needs the
rows it was computed from: one per contact, one per journey, with every flag the metrics and detectors read.
So a diagnosis keeps both tables as Arrow (captured before the engine may be closed) and ``write_outputs``
writes them as ``contacts.parquet`` and ``journeys.parquet``.

Outputs are deterministic: rows sorted by ``start_ts`` then the table's id, the columns in the table's
own order, one contiguous chunk per column (page boundaries then do not depend on how DuckDB's threads
split the result), so two runs on the same input give byte-identical files.

With ``redact`` the id columns are pseudonymised with the report's function and salt
(:func:`cxray.report.redact.pseudonymise`), so a contact named in the report's examples can be found in
``contacts.parquet`` by its pseudonym.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import schema as S
from .engine import Engine
from .io.sql import ident
from .quality import EXCLUDED, EXCLUDED_CONTACTS_TABLE

#: The columns that identify a contact, a customer or a journey: pseudonymised by ``redact_ids``.
ID_COLUMNS: tuple[str, ...] = (S.CONTACT_ID, S.CUSTOMER_ID, S.JOURNEY_ID)

#: Each exported table and its id, the tie-breaker of the ``start_ts`` order.
TABLE_KEYS: dict[str, str] = {S.CONTACTS_TABLE: S.CONTACT_ID, S.JOURNEYS_TABLE: S.JOURNEY_ID}


def capture(engine: Engine, table: str) -> pa.Table:
    """Every column of ``contacts`` or ``journeys``, sorted by ``start_ts`` then id, as one chunk.

    >>> with Engine() as e:
    ...     e.execute("CREATE TABLE contacts AS SELECT * FROM (VALUES ('b', TIMESTAMP '2024-01-01'), "
    ...               "('a', TIMESTAMP '2024-01-01')) t(contact_id, start_ts)")
    ...     capture(e, "contacts").column("contact_id").to_pylist()
    ['a', 'b']
    """
    key = TABLE_KEYS[table]
    source = ident(table)
    if table == S.CONTACTS_TABLE:
        # Contacts left out of the analysis (bulk identities, ``cxray.quality``) are rows too, with the
        # reason in ``excluded``: nothing read disappears from the per-contact output.
        source = f"(SELECT *, CAST(NULL AS VARCHAR) AS {EXCLUDED} FROM {source})"
        if engine.has_table(EXCLUDED_CONTACTS_TABLE):
            source = f"({source[1:-1]} UNION ALL BY NAME SELECT * FROM {EXCLUDED_CONTACTS_TABLE})"
    rows = engine.arrow(f"SELECT * FROM {source} ORDER BY {ident(S.START_TS)}, {ident(key)}")
    return rows.combine_chunks()


def redact_ids(tables: Sequence[pa.Table], *, salt: str = "cxray") -> list[pa.Table]:
    """The tables with every id column (``ID_COLUMNS``) pseudonymised; NULL stays NULL.

    Each distinct id is hashed once, whichever table and column it appears in (a journey id is its first
    contact's id): the hash is a Python call, so it runs over the dictionary of one ``dictionary_encode``
    of all the id columns together, and Arrow's ``take`` maps the rows back.

    >>> from cxray.report.redact import pseudonymise
    >>> t = pa.table({"contact_id": ["c1", "c2"], "journey_id": ["c1", "c1"], "n": [1, 2]})
    >>> [r] = redact_ids([t])
    >>> r.column("journey_id").to_pylist() == [pseudonymise("c1")] * 2
    True
    >>> r.column("n").to_pylist()
    [1, 2]
    """
    from .report.redact import pseudonymise  # here: importing the report package loads jinja2

    where = [(i, c) for i, t in enumerate(tables) for c in ID_COLUMNS if c in t.column_names]
    if not where:
        return list(tables)
    columns = [tables[i].column(c).cast(pa.string()) for i, c in where]
    encoded = pa.chunked_array([k for col in columns for k in col.chunks], pa.string()).combine_chunks()
    encoded = pc.dictionary_encode(encoded)  # nulls stay in the indices, out of the dictionary
    pseudonyms = pa.array(
        [pseudonymise(v, salt=salt) for v in encoded.dictionary.to_pylist()], type=pa.string()
    ).take(encoded.indices)
    out = list(tables)
    start = 0
    for (i, c), col in zip(where, columns, strict=True):
        t = out[i]
        out[i] = t.set_column(t.schema.get_field_index(c), c, pseudonyms.slice(start, len(col)))
        start += len(col)
    return out


def write_parquet(table: pa.Table, path: Path) -> Path:
    """Write ``table`` as Parquet (zstd), byte-identical for the same table; returns ``path``."""
    pq.write_table(table.combine_chunks(), path, compression="zstd")
    return path


__all__ = ["ID_COLUMNS", "TABLE_KEYS", "capture", "redact_ids", "write_parquet"]
