"""The rows behind the numbers: the ``contacts`` and ``journeys`` tables, captured and written as Parquet.

``diagnosis.json`` holds aggregates. An analyst who doubts one (or wants to slice it another way) needs the
rows it was computed from: one per contact, one per journey, with every flag the metrics and detectors read.
So a diagnosis keeps both tables as Arrow (captured before the engine may be closed) and ``write_outputs``
writes them as ``contacts.parquet`` and ``journeys.parquet``.

Outputs are deterministic: rows sorted by ``start_ts`` then the table's id, the columns in the table's
own order, one contiguous chunk per column (page boundaries then do not depend on how DuckDB's threads
split the result), so two runs on the same input give byte-identical files.

With ``redact`` the id columns are pseudonymised with the report's function and salt
(:func:`cxray.redact.pseudonymise`), so a contact named in the report's examples can be found in
``contacts.parquet`` by its pseudonym.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from . import schema as S
from .engine import Engine, arrow_strings
from .quality import EXCLUDED, EXCLUDED_CONTACTS_TABLE
from .sql import ident

if TYPE_CHECKING:
    from .redact import Redactor

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

    >>> from cxray.redact import pseudonymise
    >>> t = pa.table({"contact_id": ["c1", "c2"], "journey_id": ["c1", "c1"], "n": [1, 2]})
    >>> [r] = redact_ids([t])
    >>> r.column("journey_id").to_pylist() == [pseudonymise("c1")] * 2
    True
    >>> r.column("n").to_pylist()
    [1, 2]
    """
    from .redact import pseudonymise

    where = [(i, c) for i, t in enumerate(tables) for c in ID_COLUMNS if c in t.column_names]
    if not where:
        return list(tables)
    columns = [tables[i].column(c).cast(pa.string()) for i, c in where]
    encoded = pa.chunked_array([k for col in columns for k in col.chunks], pa.string()).combine_chunks()
    encoded = pc.dictionary_encode(encoded)  # nulls stay in the indices, out of the dictionary
    pseudonyms = arrow_strings([pseudonymise(v, salt=salt) for v in encoded.dictionary.to_pylist()]).take(
        encoded.indices
    )
    out = list(tables)
    start = 0
    for (i, c), col in zip(where, columns, strict=True):
        t = out[i]
        out[i] = t.set_column(t.schema.get_field_index(c), c, pseudonyms.slice(start, len(col)))
        start += len(col)
    return out


def mask_text_columns(tables: Sequence[pa.Table], text: Callable[[str], str]) -> list[pa.Table]:
    """The tables with every string column but the ids passed through ``text`` (a ``Redactor``'s).

    Queues, teams and reasons are free text a person typed, where an email or a phone number can hide;
    each distinct value is masked once (``dictionary_encode``), NULL stays NULL.

    >>> t = pa.table({"contact_id": ["a@b.example"], "queue": ["mail a@b.example"], "n": [1]})
    >>> [r] = mask_text_columns([t], lambda v: v.upper())
    >>> r.to_pylist()
    [{'contact_id': 'a@b.example', 'queue': 'MAIL A@B.EXAMPLE', 'n': 1}]
    """
    out = []
    for table in tables:
        for i, field in enumerate(table.schema):
            if field.name in ID_COLUMNS or not pa.types.is_string(field.type):
                continue
            encoded = pc.dictionary_encode(table.column(i).combine_chunks())
            masked = arrow_strings([text(v) for v in encoded.dictionary.to_pylist()])
            table = table.set_column(i, field, masked.take(encoded.indices))
        out.append(table)
    return out


def write_parquet(table: pa.Table, path: Path) -> Path:
    """Write ``table`` as Parquet (zstd), byte-identical for the same table; returns ``path``."""
    pq.write_table(table.combine_chunks(), path, compression="zstd")
    return path


def known_ids(tables: Sequence[pa.Table], candidates: Iterable[str]) -> set[str]:
    """The ``candidates`` that are ids (a value of an ``ID_COLUMNS`` column) in ``tables``.

    The candidates are the strings of a small document (``diagnosis.json``, the CLI's summary), the tables
    may hold millions of rows: Arrow checks membership, so no Python set of every id is built.

    >>> t = pa.table({"contact_id": ["c1", "c2"], "customer_id": ["k1", None]})
    >>> sorted(known_ids([t], ["c2", "k1", "fcr"]))
    ['c2', 'k1']
    """
    wanted = arrow_strings(sorted(set(candidates)))
    found: set[str] = set()
    for table in tables:
        for column in ID_COLUMNS:
            if column in table.column_names and len(wanted):
                values = pc.unique(table.column(column).cast(pa.string()))
                found.update(wanted.filter(pc.is_in(wanted, value_set=values)).to_pylist())
    return found


#: Source columns that name a contact or customer even without a mapping (XES case ids).
_ID_SOURCES = frozenset({*ID_COLUMNS, "case:concept:name", "case_id", "caseid"})


def id_sources(mapping: dict[str, Any] | None) -> frozenset[str]:
    """Lower-cased source column names holding ids: canonical names, XES keys, and the mapping's sources.

    >>> sorted(id_sources({"columns": {"contact_id": "ConvId", "queue": "Q"}}))[:2]
    ['case:concept:name', 'case_id']
    >>> "convid" in id_sources({"columns": {"contact_id": "ConvId"}})
    True
    """
    names = set(_ID_SOURCES)
    layouts = [mapping or {}, *((mapping or {}).get("events") or [])]
    for layout in layouts:
        for canonical, source in (layout.get("columns") or {}).items():
            if canonical in ID_COLUMNS:
                names.update([source] if isinstance(source, str) else list(source))
    return frozenset(n.lower() for n in names)


def _is_id(column: str | None, ids: Collection[str]) -> bool:
    return column is not None and column.lower().removeprefix("raw:") in ids


#: Columns of ``rejected.csv`` that say where and why, never holding a source value.
_REJECTED_FIXED = (S.SOURCE_FILE, S.SOURCE_ROW, "reason", "column")


def rejected_ids(rejected: pa.Table, ids: Collection[str]) -> set[str]:
    """Every raw value of the rejected rows' id columns (``ids`` from ``id_sources``)."""
    found: set[str] = set()
    for name in rejected.column_names:
        if name not in _REJECTED_FIXED and _is_id(name, ids):
            found.update(v for v in rejected.column(name).cast(pa.string()).to_pylist() if v)
    if "value" in rejected.column_names and "column" in rejected.column_names:
        pairs = zip(rejected.column("column").to_pylist(), rejected.column("value").to_pylist(), strict=True)
        found.update(str(v) for c, v in pairs if v and _is_id(c, ids))
    return found


def write_rejected_redacted(rejected: pa.Table, path: Path, redactor: Redactor, ids: Collection[str]) -> Path:
    """Write ``rejected.csv`` with every raw value redacted: id columns pseudonymised, the rest masked.

    ``value`` (the bad value) is an id when ``column`` names an id column; a malformed line's text is
    masked and its id tokens pseudonymised (the redactor knows the rejected rows' ids).
    """
    columns = []
    for name in rejected.column_names:
        col = rejected.column(name)
        if name in _REJECTED_FIXED:
            columns.append(col)
            continue
        values = col.cast(pa.string()).to_pylist()
        if name == "value" and "column" in rejected.column_names:
            where = rejected.column("column").to_pylist()
        else:
            where = [name] * len(values)
        columns.append(
            arrow_strings(
                [
                    None if v is None else redactor.pseudonym(v) if _is_id(w, ids) else redactor.text(v)
                    for v, w in zip(values, where, strict=True)
                ]
            )
        )
    pcsv.write_csv(pa.table(columns, names=rejected.column_names), path)
    return path


__all__ = [
    "ID_COLUMNS",
    "TABLE_KEYS",
    "capture",
    "id_sources",
    "known_ids",
    "mask_text_columns",
    "redact_ids",
    "rejected_ids",
    "write_parquet",
    "write_rejected_redacted",
]
