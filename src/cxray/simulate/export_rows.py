"""What every platform exporter starts from: the simulated events as Python rows, grouped by contact.

Each ``export_<platform>.py`` walks the contacts of the canonical table one at a time, in the order of their
first event, each contact's events in (timestamp, source row) order: the order a platform would have
recorded them. Built from the canonical Arrow table alone (``schema``), like the rest of the simulator.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from .. import schema as S

Row = dict[str, Any]


def contacts(events: pa.Table, extra: Iterable[str] = ()) -> list[tuple[str, str | None, list[Row]]]:
    """(contact id, its channel, its events in order) of every contact, in the order of first events.

    The rows hold the canonical columns, ``source_row`` and the ``extra`` columns the table has; the
    channel is the first one a contact's events name (None when none does).
    """
    keep = [c for c in (*S.CANONICAL, S.SOURCE_ROW, *extra) if c in events.column_names]
    rows = events.select(keep).to_pylist()
    rows.sort(key=lambda e: (e[S.CONTACT_ID], e[S.TIMESTAMP], e.get(S.SOURCE_ROW) or 0))
    by_contact: dict[str, list[Row]] = {}
    for e in rows:
        by_contact.setdefault(e[S.CONTACT_ID], []).append(e)
    ordered = sorted(by_contact, key=lambda c: (by_contact[c][0][S.TIMESTAMP], c))
    return [
        (c, next((e[S.CHANNEL] for e in by_contact[c] if e[S.CHANNEL]), None), by_contact[c]) for c in ordered
    ]


def end(e: Row) -> datetime:
    """When an event's work ends: its timestamp plus its duration (none: the timestamp)."""
    ts: datetime = e[S.TIMESTAMP]
    return ts + timedelta(seconds=e[S.DURATION_S] or 0)
