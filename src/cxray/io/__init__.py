"""Reading interaction-event files into the canonical ``events`` table, losing no row silently.

Readers (CSV/TSV, Excel, Parquet, JSON Lines, XES) expose each file's raw columns; one SQL step
(``canonical``) maps, parses, rejects and de-duplicates them. See ``docs/data-contract.md``.
"""

from __future__ import annotations

from .mapping import Mapping, WideEvent, builtin_mappings
from .options import InputSummary, ReadOptions
from .read import read_events, read_table
from .rejected import write_rejected

__all__ = [
    "InputSummary",
    "Mapping",
    "ReadOptions",
    "WideEvent",
    "builtin_mappings",
    "read_events",
    "read_table",
    "write_rejected",
]
