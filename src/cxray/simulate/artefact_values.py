"""Artefacts that are wrong values in the assembled log: no customer id, missing-value markers, a wrong year.

They change cells, never rows, so every count in the ground truth (events, contacts) still holds. Each
returns the table and its ground-truth record.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import schema as S
from .artefacts import Artefacts

ISO = "%Y-%m-%dT%H:%M:%SZ"  # as the CSV writes timestamps
EPOCH = datetime(1970, 1, 1)


def _text(table: pa.Table, column: str) -> np.ndarray:
    return table.column(column).to_numpy(zero_copy_only=False).astype(object)


def _set(table: pa.Table, column: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    i = table.schema.get_field_index(column)
    return table.set_column(i, table.schema.field(i), values)


def unidentify(
    table: pa.Table, rng: np.random.Generator, share: float, *, keep: set[str]
) -> tuple[pa.Table, dict[str, Any]]:
    """``round(share × contacts)`` contacts, none of those in ``keep``, lose their customer id."""
    contact = table.column(S.CONTACT_ID)
    names = sorted(pc.unique(contact).to_pylist())
    eligible = [c for c in names if c not in keep]
    n = min(round(share * len(names)), len(eligible))
    chosen = sorted(eligible[i] for i in rng.choice(len(eligible), size=n, replace=False)) if n > 0 else []
    gone = pc.is_in(contact, value_set=pa.array(chosen, pa.string()))
    customer = pc.if_else(gone, pa.scalar(None, pa.string()), table.column(S.CUSTOMER_ID))
    record = {"share": share, "n_contacts": len(chosen), "contact_ids": chosen}
    return _set(table, S.CUSTOMER_ID, customer), record


def mark_missing(table: pa.Table, rng: np.random.Generator, a: Artefacts) -> tuple[pa.Table, dict[str, Any]]:
    """``round(marker_share × events)`` events get one present value (of ``marker_columns``) replaced by a
    marker; the value and the marker are drawn uniformly."""
    columns = list(a.marker_columns)
    present = np.zeros((table.num_rows, len(columns)), dtype=bool)
    for j, c in enumerate(columns):
        present[:, j] = table.column(c).is_valid().to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(present.any(axis=1))
    n = min(round(a.marker_share * table.num_rows), rows.size)
    chosen = np.sort(rng.choice(rows, size=n, replace=False)) if n > 0 else rows[:0]
    # The k-th present value of each chosen row, k uniform among them.
    mine = present[chosen]
    k = np.floor(rng.random(n) * mine.sum(axis=1))
    column = np.argmax(np.cumsum(mine, axis=1) > k[:, None], axis=1)
    marker = rng.integers(len(a.markers), size=n) if n > 0 else np.empty(0, np.int64)
    for j, c in enumerate(columns):
        values = _text(table, c)
        values[chosen[column == j]] = np.array(a.markers, dtype=object)[marker[column == j]]
        table = _set(table, c, pa.array(values, pa.string()))
    used = Counter(a.markers[i] for i in marker)
    record = {
        "share": a.marker_share,
        "n_events": int(n),
        "columns": {c: int((column == j).sum()) for j, c in enumerate(columns)},
        "values": dict(sorted(used.items())),
    }
    return table, record


def wrong_year(year: int) -> int:
    """The year with its last two digits swapped (2024 → 2042), or ten years on where that changes nothing.

    >>> wrong_year(2024), wrong_year(2026), wrong_year(2022)
    (2042, 2062, 2032)
    """
    swapped = year - year % 100 + (year % 10) * 10 + (year // 10) % 10
    return swapped if swapped != year else year + 10


def mistype_years(table: pa.Table, rng: np.random.Generator, n: int) -> tuple[pa.Table, list[dict[str, Any]]]:
    """``n`` events, drawn uniformly, get their timestamp's year typed wrong (``wrong_year``)."""
    n = min(n, table.num_rows)
    rows = np.sort(rng.choice(table.num_rows, size=n, replace=False)) if n > 0 else np.empty(0, np.int64)
    micros = table.column(S.TIMESTAMP).cast(pa.int64()).to_numpy().copy()
    records = []
    for row in rows:
        before = EPOCH + timedelta(microseconds=int(micros[row]))
        year = wrong_year(before.year)
        try:
            after = before.replace(year=year)
        except ValueError:  # 29 February in a year without one
            after = before.replace(year=year, day=28)
        micros[row] = (after - EPOCH) // timedelta(microseconds=1)
        records.append(
            {
                S.CONTACT_ID: table.column(S.CONTACT_ID)[int(row)].as_py(),
                S.SOURCE_ROW: table.column(S.SOURCE_ROW)[int(row)].as_py(),
                S.ACTIVITY: table.column(S.ACTIVITY)[int(row)].as_py(),
                "original": before.strftime(ISO),
                "wrong": after.strftime(ISO),
            }
        )
    return _set(table, S.TIMESTAMP, pa.array(micros, pa.int64()).cast(pa.timestamp("us"))), records
