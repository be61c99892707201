"""Missing-value markers (``EMPTY``, ``N/A``, ``?``...) are missing in every text column, and counted."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pytest
from io_helpers import balanced, column, read_one, write

from cxray import schema as S
from cxray.engine import Engine
from cxray.io import Mapping, missing, read_table
from cxray.sql import lit

EXPORT = (
    "contact_id,timestamp,activity,team,actor,channel,note\n"
    "c1,2024-03-01 09:00,Start,EMPTY,ann,phone,x\n"
    "c1,2024-03-01 09:01,Work,empty,N/A,phone, ? \n"
    "c2,2024-03-01 09:02,Start, ? ,bob,n/a,EMPTY\n"
    "N/A,2024-03-01 09:03,Start,T1,bob,phone,y\n"
    "c3,2024-03-01 09:04,-,T1,bob,phone,\n"
    "c3,2024-03-01 09:05,End,  ,Unknown,(none),null\n"
    "c4,n/a,Start,T1,bob,phone,z\n"
)


def test_markers_are_null_in_every_text_column_and_counted(engine: Engine, tmp_path: Path):
    """Markers of any case, padded or not, are NULL; blanks are NULL too but are not counted."""
    s = read_one(engine, write(tmp_path, "m.csv", EXPORT))
    assert balanced(s) and s.rows_kept == 4
    assert s.rejected_by_reason == {"missing_activity": 1, "missing_contact_id": 1, "missing_timestamp": 1}
    assert column(engine, "team") == [None, None, None, None]
    assert column(engine, "actor") == ["ann", None, "bob", None]
    assert column(engine, "channel") == ["phone", "phone", None, None]
    assert column(engine, "note") == ["x", None, None, None]
    assert s.missing_markers == {
        "activity": 1,  # "-": a rejected row's markers count too
        "actor": 2,
        "channel": 2,
        "contact_id": 1,
        "note": 3,
        "team": 3,  # the blank is not a marker
        "timestamp": 1,
    }
    assert list(s.missing_markers) == sorted(s.missing_markers)
    assert s.to_dict()["missing_markers"] == s.missing_markers


def test_no_markers_no_counts(engine: Engine, tmp_path: Path):
    """Values that merely contain a marker ("N/A-east", "unknown caller") are data."""
    text = "contact_id,timestamp,activity,team\nc1,2024-03-01,Start,N/A-east\nc1,2024-03-02,unknown caller,\n"
    s = read_one(engine, write(tmp_path, "n.csv", text))
    assert column(engine, "team") == ["N/A-east", None]
    assert column(engine, "activity") == ["Start", "unknown caller"]
    assert s.missing_markers == {}


def test_mapping_missing_values_add_to_the_markers(engine: Engine, tmp_path: Path):
    """A mapping's own markers are matched case-insensitively and counted under the source column."""
    text = "Id,When,Step,Caller\nk1,2024-03-01,Open,ANON\nk1,2024-03-02,Close,anon \nk2,2024-03-01,Open,?\n"
    m = Mapping(
        columns={"contact_id": "Id", "timestamp": "When", "activity": "Step", "customer_id": "Caller"},
        missing_values=("Anon",),
    )
    s = read_one(engine, write(tmp_path, "a.csv", text), mapping=m)
    assert column(engine, "customer_id") == [None, None, None]
    assert s.missing_markers == {"Caller": 3}


def test_a_value_the_mapping_maps_is_data(engine: Engine, tmp_path: Path):
    """``Unknown`` mapped explicitly for a column is not read as a marker there."""
    text = "contact_id,timestamp,activity,outcome\nc1,2024-03-01,End,Unknown\nc2,2024-03-01,End,N/A\n"
    m = Mapping(value_maps={"outcome": {"Unknown": "unresolved"}})
    s = read_one(engine, write(tmp_path, "v.csv", text), mapping=m)
    assert column(engine, "outcome") == ["unresolved", None]
    assert s.missing_markers == {"outcome": 1}


def test_wide_layout_counts_a_source_value_once(engine: Engine, tmp_path: Path):
    """A marker copied onto every event of a wide record is one missing source value."""
    text = "id,caller,start,end\nx1,?,2024-03-01 09:00,2024-03-01 09:05\nx2,c9,2024-03-01 10:00,-\n"
    m = Mapping.from_dict(
        {
            "columns": {"contact_id": "id", "customer_id": "caller"},
            "events": [{"activity": "Start", "timestamp": "start"}, {"activity": "End", "timestamp": "end"}],
        }
    )
    s = read_one(engine, write(tmp_path, "w.csv", text), mapping=m)
    assert column(engine, "customer_id") == [None, None, "c9"]  # x2's End is absent: its time is "-"
    assert s.missing_markers == {"caller": 1}


def test_float_nan_and_typed_columns(engine: Engine):
    """A float NaN attribute reads as the marker "nan"; other typed columns are never markers."""
    table = pa.table(
        {
            S.CONTACT_ID: ["c1", "c2"],
            S.TIMESTAMP: ["2024-03-01", "2024-03-02"],
            S.ACTIVITY: ["A", "B"],
            "score": pa.array([float("nan"), 2.5]),
            "n": pa.array([0, 1]),
        }
    )
    s = read_table(table, engine)
    assert column(engine, "score") == [None, "2.5"]
    assert column(engine, "n") == ["0", "1"]
    assert s.missing_markers == {"score": 1}


def test_the_data_contract_lists_every_marker():
    """docs/data-contract.md's section on missing values names each marker of the vocabulary."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "data-contract.md").read_text(encoding="utf-8")
    section = re.search(r"^## Missing values$(.*?)^## ", doc, re.M | re.S)
    assert section, "no section 'Missing values'"
    for marker in S.MISSING_MARKERS:
        assert not marker or f"`{marker}`" in section.group(1), marker


# --- one rule in SQL and in Python (io/missing.py) ----------------------------------------------------------
_VALUES = [
    "",
    " ",
    "\t",
    " \n ",
    "EMPTY",
    " empty ",
    "Null",
    "n/a",
    "N.A.",
    "#n/a",
    "-",
    "?",
    "(None)",
    "UNKNOWN",
    "nan",
    "NaN ",
    "na",
    "Kein",
    "\u212aein",
    "\u017fonst",
    "sonst",
    "keine Angabe",
    "emptyish",
    "C-0001",
    "  Billing  ",
    "Billing",
    "2024-03-04T09:00:00Z",
    "\u00e9t\u00e9",
    "\u00c9T\u00c9",
    "?!",
    None,
]


@pytest.mark.parametrize("words", [(), ("kein", "sonst"), ("\u00e9t\u00e9",)])
def test_the_guarded_test_and_the_python_cleaner_agree_with_the_regular_expression(
    engine: Engine, words: tuple[str, ...]
):
    """The first-character guard only skips values the pattern cannot match (the Kelvin sign and the long
    s fold onto k and s), and Python's ``re`` reads the pattern as DuckDB's RE2 does."""
    m = Mapping(missing_values=list(words), outcome_values={"Unknown": "unresolved"})
    keep = missing.kept_words(m, "outcome")
    assert keep == {"unknown"}  # data in the outcome column, a marker elsewhere
    cleaner = missing.Cleaner(m)
    values = "[" + ", ".join("NULL" if v is None else lit(v) for v in _VALUES) + "]"
    for kept in (frozenset(), keep):
        guarded = missing.test_sql("v", m, kept)
        full = f"regexp_full_match(v, {lit(missing.pattern(m, kept))})"
        rows = engine.fetchall(
            f"SELECT v, coalesce({guarded}, false), coalesce({full}, false), {missing.trim_sql('v')}, "
            f"trim(v) FROM (SELECT unnest({values}) AS v)"
        )
        assert len(rows) == len(_VALUES)
        for v, by_guard, by_pattern, trimmed, by_trim in rows:
            assert by_guard == by_pattern, v
            assert trimmed == by_trim, v
            by_python = cleaner.text("outcome", v) if kept else cleaner.attribute("note", v)
            assert (by_python is None) == (v is None or by_pattern), v
            if by_python is not None:
                assert by_python == (by_trim if kept else v), v
    assert (missing.first_codes(m) is None) == any(not w[0].isascii() for w in words)


def test_no_other_character_folds_onto_an_ascii_letter(engine: Engine):
    """The guard lists each ASCII letter's case variants; RE2's case folding adds only these two."""
    rows = engine.fetchall(
        """SELECT c FROM (  -- every code point but the surrogates (no character), as a space
            SELECT chr(CASE WHEN cp BETWEEN 55296 AND 57343 THEN 32 ELSE cp END::INT) AS c
            FROM range(128, 1114112) t(cp)
        ) WHERE regexp_full_match(c, '(?i)[a-z]')"""
    )
    folds = {
        letter: c
        for (c,) in rows
        for letter in "abcdefghijklmnopqrstuvwxyz"
        if re.fullmatch(f"(?i){letter}", c)
    }
    assert folds == missing._FOLDS and len(rows) == len(folds)
