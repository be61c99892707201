"""An engine is a boundary: nothing outside ``engine.py`` touches the DuckDB connection (``engine.con``)."""

from __future__ import annotations

import re
from pathlib import Path

import cxray

SRC = Path(cxray.__file__).parent
CON = re.compile(r"\.con\b")
#: Known gaps, each with the owner's fix still to come; strict: an entry that no longer applies fails.
KNOWN: dict[str, str] = {}


def _uses() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel == "engine.py":
            continue
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if CON.search(line):
                found.setdefault(rel, []).append(f"src/cxray/{rel}:{no}: {line.strip()}")
    return found


def test_no_connection_outside_engine() -> None:
    """No module but engine.py reaches for ``engine.con``: callers ask ``Engine`` for what they need."""
    uses = _uses()
    offending = [hit for rel, hits in uses.items() if rel not in KNOWN for hit in hits]
    assert not offending, "engine.con used outside engine.py:\n" + "\n".join(offending)


def test_known_gaps_are_still_gaps() -> None:
    """Every listed exception still uses the connection; a fixed one must leave the list."""
    stale = sorted(set(KNOWN) - set(_uses()))
    assert not stale, f"no longer use engine.con, remove from KNOWN: {stale}"
