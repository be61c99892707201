"""cxray.sql: the one module that writes Python values into SQL text, and refuses the ones it must not."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import cxray
from cxray.engine import Engine
from cxray.sql import ident, in_list, integer, lit, lit_list, num, sql_string


def test_literals_round_trip_through_duckdb() -> None:
    """Every helper's text reads back in DuckDB as the value it was given."""
    with Engine() as e:
        assert e.scalar(f"SELECT {sql_string(chr(39) + 'a' + chr(34))}") == "'a\""
        assert e.scalar(f"SELECT {num(0.035714285714285715)} * 1e6") == pytest.approx(35714.285714285715)
        assert e.scalar(f"SELECT {integer(7)}") == 7
        assert e.scalar(f"SELECT {lit(None)} IS NULL")
        assert e.scalar(f"SELECT {lit_list(['x', 'y'])}") == ["x", "y"]
        assert e.scalar(f"SELECT 'b' IN {in_list(['a', 'b'])}")
        assert e.scalar(f"SELECT 'b' IN {in_list([])}") is None
        odd = 'a"b'
        e.execute(f"CREATE TABLE t ({ident('time:ts')} INT, {ident(odd)} INT)")
        assert e.columns("t") == ["time:ts", 'a"b']


@pytest.mark.parametrize("bad", [None, math.nan, math.inf, -math.inf, True])
def test_num_refuses_what_is_not_a_finite_number(bad: object) -> None:
    """None, NaN, infinities and bools never become SQL text."""
    with pytest.raises(ValueError):
        num(bad)


@pytest.mark.parametrize("bad", [None, 1.5, False])
def test_integer_refuses_what_is_not_an_integer(bad: object) -> None:
    """None, fractions and bools never become an integer literal."""
    with pytest.raises(ValueError):
        integer(bad)


@pytest.mark.parametrize("bad", [None, 3])
def test_string_and_ident_refuse_non_strings(bad: object) -> None:
    """A string literal or identifier is built from a string only (None is not the text 'None')."""
    with pytest.raises(TypeError):
        sql_string(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ident(bad)  # type: ignore[arg-type]


def test_there_is_one_sql_helper_module() -> None:
    """SQL text is written by cxray.sql alone: no second copy or re-export elsewhere in the package."""
    src = Path(cxray.__file__).parent
    assert [p.relative_to(src).as_posix() for p in src.rglob("sql.py")] == ["sql.py"]
