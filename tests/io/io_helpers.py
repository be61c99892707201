"""Small helpers shared by the io tests (written files, reading one file)."""

from __future__ import annotations

from pathlib import Path

from cxray.engine import Engine
from cxray.io import InputSummary, ReadOptions, read_events

HEADER = "contact_id,timestamp,activity"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8", newline: str = "\n") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def read_one(engine: Engine, path: Path, **options: object) -> InputSummary:
    return read_events([path], engine, options=ReadOptions(**options))  # type: ignore[arg-type]


def column(engine: Engine, name: str) -> list:
    return [r["v"] for r in engine.rows(f'SELECT "{name}" AS v FROM events ORDER BY source_file, source_row')]


def balanced(s: InputSummary) -> bool:
    return s.rows_read == s.rows_kept + s.rows_rejected + s.duplicates_dropped
