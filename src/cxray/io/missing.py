"""Missing values: blanks and missing-value markers, one rule for SQL and for Python.

A value is missing when it is blank or, surrounding white space aside and case ignored, one of
``schema.MISSING_MARKERS`` or the mapping's ``missing_values``; a value the mapping maps explicitly for its
canonical column (``Unknown: unresolved``) is data there, not a marker (``kept_words``). The canonical step
tests every text column with :func:`test_sql` (:func:`pattern`, guarded) in SQL; a platform adapter that
builds its rows itself cleans its per-record columns once per record instead of once per event, with the
same test in DuckDB or with :class:`Cleaner` in Python, and says so (``RawSource.clean``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .. import schema as S
from ..sql import lit as _lit
from .mapping import Mapping

#: White space as RE2's ``\\s`` has it, spelled out so that Python's ``re`` reads the pattern the same.
SPACE = r"[\t\n\f\r ]"
_SPACES = "\t\n\f\r "
#: SQL pattern: some character other than white space (a marker, not a blank).
NOT_BLANK = _lit(r"\S")


def marker_words(m: Mapping) -> frozenset[str]:
    """The markers of a mapping, lower-case and trimmed; the empty string is missing but not a marker."""
    return frozenset(w.strip().lower() for w in (*S.MISSING_MARKERS, *m.missing_values)) - {""}


def kept_words(m: Mapping, canonical: str) -> frozenset[str]:
    """The values the mapping maps explicitly for ``canonical``: data in that column, not markers."""
    return frozenset(str(v).strip().lower() for v in m.value_map(canonical))


def pattern(m: Mapping, keep: frozenset[str] = frozenset()) -> str:
    """A regular expression (RE2 and Python alike) that matches a whole value that is a marker or blank."""
    words = "|".join(re.escape(w) for w in sorted(marker_words(m) - keep))
    return rf"(?i){SPACE}*(?:{words})?{SPACE}*"


#: Characters other than an ASCII letter's two cases that RE2's ``(?i)`` folds onto it (checked against
#: every code point: tests/io/test_io_markers.py).
_FOLDS = {"k": "\u212a", "s": "\u017f"}
_SPACE_CODES = (0, 9, 10, 12, 13, 32)  # 0: ``ascii('')``, the empty value


def first_codes(m: Mapping, keep: frozenset[str] = frozenset()) -> tuple[int, ...] | None:
    """The code points a missing value can begin with (``ascii`` of it), or None when a marker begins with
    a character beyond ASCII, whose case variants are not listed here."""
    codes = set(_SPACE_CODES)
    for word in marker_words(m) - keep:
        first = word[0]
        if not first.isascii():
            return None
        variants = (first, first.upper(), first.lower(), _FOLDS.get(first.lower(), ""))
        codes.update(ord(c) for c in variants if c)
    return tuple(sorted(codes))


def test_sql(ref: str, m: Mapping, keep: frozenset[str] = frozenset()) -> str:
    """SQL: whether ``ref`` is blank or a marker (NULL or false when it is not).

    Most values cannot be one by their first character alone (an id, a time, a queue name), and reading
    it costs a fraction of the regular expression, which then runs on the few that can: the canonical
    step's staging took half the time with this guard on a million-event log.
    """
    full = f"regexp_full_match({ref}, {_lit(pattern(m, keep))})"
    codes = first_codes(m, keep)
    if codes is None:
        return full
    return f"CASE WHEN {_begins_with(ref, codes)} THEN {full} ELSE false END"


def _begins_with(ref: str, codes: tuple[int, ...]) -> str:
    """SQL: whether ``ascii(ref)`` is one of ``codes``, those below 127 as a bit of one HUGEINT: an ``IN``
    list of a dozen codes is planned as a join (at 10M events 0.12 s of four columns' tests, of 0.47)."""
    small = [c for c in codes if c < 127]
    big = [c for c in codes if c >= 127]
    mask = sum(1 << c for c in small)
    rest = f"ascii({ref}) IN ({', '.join(map(str, big))})" if big else "false"
    return f"CASE WHEN ascii({ref}) < 127 THEN ({mask}::HUGEINT >> ascii({ref})) & 1 = 1 ELSE {rest} END"


def trim_sql(ref: str) -> str:
    """SQL ``trim(ref)`` (spaces only), run only on a value that begins or ends with one."""
    return f"CASE WHEN starts_with({ref}, ' ') OR ends_with({ref}, ' ') THEN trim({ref}) ELSE {ref} END"


@dataclass
class Cleaner:
    """The canonical step's cleaning, in Python, for a reader that cleans its own rows.

    ``text`` trims spaces (SQL ``trim``) and ``attribute`` keeps the value as it is, both giving None for a
    blank or a marker; ``markers`` counts, per column, the records in which a marker was met.
    """

    mapping: Mapping
    markers: Counter[str] = field(default_factory=Counter)
    _patterns: dict[frozenset[str], re.Pattern[str]] = field(default_factory=dict)
    _kept: dict[str, frozenset[str]] = field(default_factory=dict)  # per canonical column (a row at a time)

    def text(self, column: str, value: str | None, record: set[str] | None = None) -> str | None:
        """``value`` of canonical ``column``, trimmed; None when missing. ``record``: the columns a marker
        was met in for this record (a marker counts once per record, see :meth:`count`)."""
        keep = self._kept.get(column)
        if keep is None:
            keep = self._kept[column] = kept_words(self.mapping, column)
        if self._missing(value, keep, column, record):
            return None
        assert value is not None
        return value.strip(" ")

    def attribute(self, column: str, value: str | None, record: set[str] | None = None) -> str | None:
        """An attribute's ``value`` untrimmed; None when missing."""
        return None if self._missing(value, frozenset(), column, record) else value

    def count(self, record: set[str]) -> None:
        """Count the markers one record gave (the columns :meth:`text` and :meth:`attribute` noted)."""
        self.markers.update(record)

    def _missing(self, value: str | None, keep: frozenset[str], column: str, record: set[str] | None) -> bool:
        if value is None:
            return True
        compiled = self._patterns.get(keep)
        if compiled is None:
            compiled = self._patterns[keep] = re.compile(pattern(self.mapping, keep))
        if compiled.fullmatch(value) is None:
            return False
        if record is not None and value.strip(_SPACES):  # a marker, not a blank
            record.add(column)
        return True
