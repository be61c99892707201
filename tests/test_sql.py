"""cxray.sql: the one module that writes Python values into SQL text, and refuses the ones it must not."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

import cxray
from cxray.engine import Engine
from cxray.sql import (
    dyadic,
    exact_sum,
    ident,
    in_list,
    integer,
    list_in_order,
    lit,
    lit_list,
    maybe_repeated,
    modal,
    num,
    pair_key,
    sparse_group_by,
    sql_string,
)


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


def test_list_in_order_gives_what_the_ordered_aggregate_gives() -> None:
    """Against ``list(v ORDER BY k)`` on shuffled groups: NULL values kept or filtered, a group whose
    rows are all filtered (NULL), nested lists as values."""
    with Engine() as engine:
        engine.execute(
            """CREATE TABLE t AS SELECT i % 37 AS g, (i * 7919) % 1000 AS k,
                   CASE WHEN i % 5 = 0 THEN NULL ELSE 'v' || (i % 11) END AS v, [i % 3, i % 2] AS l
               FROM range(1000) r(i) ORDER BY hash(i)"""
        )
        engine.execute("INSERT INTO t VALUES (99, 1, NULL, NULL)")  # every value filtered below
        pairs = [("v", None), ("v", "v IS NOT NULL"), ("l", None)]
        for value, where in pairs:
            kept = f" FILTER (WHERE {where})" if where else ""
            got = engine.fetchall(
                f"SELECT g, {list_in_order(value, 'k', where=where)} AS a, "
                f"list({value} ORDER BY k){kept} AS b FROM t GROUP BY g ORDER BY g"
            )
            assert len(got) == 38 and all(a == b for _, a, b in got), (value, where)
        assert (
            engine.fetchall(f"SELECT {list_in_order('v', 'k', where='v IS NOT NULL')} FROM t WHERE g = 99")[
                0
            ][0]
            is None
        )


def test_there_is_one_sql_helper_module() -> None:
    """SQL text is written by cxray.sql alone: no second copy or re-export elsewhere in the package."""
    src = Path(cxray.__file__).parent
    assert [p.relative_to(src).as_posix() for p in src.rglob("sql.py")] == ["sql.py"]


def test_exact_sum_does_not_depend_on_the_order_rows_are_added_in() -> None:
    """A double sum of the same values in two orders differs in its last bits; exact_sum does not, and
    stays the double sum's value to within the double's precision (NULLs ignored, none at all NULL)."""
    values = [1e16, 1.0, -1e16, 0.1, 7.738666666666667, -2.5, 1e-9, 123456.789]
    orders = [values, list(reversed(values)), values[3:] + values[:3]]
    with Engine(threads=1) as e:
        plain, exact = set(), set()
        for k, order in enumerate(orders):
            rows = ", ".join(f"({i}, {num(v)})" for i, v in enumerate(order))
            e.execute(f"CREATE TABLE t{k} AS SELECT * FROM (VALUES {rows}) v(i, x) ORDER BY i")
            plain.add(e.scalar(f"SELECT sum(x) FROM t{k}"))
            exact.add(e.scalar(f"SELECT {exact_sum('x')} FROM t{k}"))
        assert len(plain) > 1  # the orders do change a double sum here
        assert len(exact) == 1 and exact.pop() == math.fsum(values)  # the exactly rounded sum
        assert e.scalar(f"SELECT {exact_sum('x')} FROM (VALUES (NULL::DOUBLE), (2.5)) v(x)") == 2.5
        assert e.scalar(f"SELECT {exact_sum('x')} FROM (VALUES (NULL::DOUBLE)) v(x)") is None


def test_exact_sum_is_the_exactly_rounded_sum_of_the_doubles() -> None:
    """Oracle math.fsum (the sum of the doubles, rounded once): equal on random sets of durations and
    costs from a millisecond to a billion, and on repeated thirds and tenths."""
    rng = random.Random(3)
    with Engine(threads=2) as e:
        for _ in range(100):
            values = [
                rng.choice([rng.uniform(0, 1000), rng.uniform(0, 1) * 10 ** rng.randint(-3, 9), 0.1, 1 / 3])
                for _ in range(rng.randint(1, 60))
            ]
            e.execute("CREATE OR REPLACE TABLE t AS SELECT unnest(?) AS x", [values])
            assert e.scalar(f"SELECT {exact_sum('x')} FROM t") == math.fsum(values)


def test_sums_of_dyadic_values_are_the_same_in_any_order() -> None:
    """Values made dyadic add up exactly: every order gives the same double, within 1e-6 of each value."""
    values = [1e6 / 3, 0.1, 7.738666666666667, 2.5 / 60, 1e5 + 1 / 7, 3.3, 0.7] * 50
    with Engine(threads=1) as e:
        plain, quantized = set(), set()
        for k in range(4):
            order = sorted(values, key=lambda v, k=k: (hash((v, k)) % 97, v))
            rows = ", ".join(f"({i}, {num(v)})" for i, v in enumerate(order))
            e.execute(f"CREATE TABLE d{k} AS SELECT * FROM (VALUES {rows}) v(i, x) ORDER BY i")
            plain.add(e.scalar(f"SELECT sum(x) FROM d{k}"))
            quantized.add(e.scalar(f"SELECT sum({dyadic('x')}) FROM d{k}"))
        assert len(plain) > 1  # these orders do change a double sum
        assert len(quantized) == 1 and quantized.pop() == pytest.approx(
            math.fsum(values), abs=1e-6 * len(values)
        )
        one = e.scalar(f"SELECT {dyadic('x')} FROM (VALUES (1.0 / 3)) v(x)")
        assert abs(one - 1 / 3) <= 2**-21 and (one * 2**20).is_integer()


def test_modal_breaks_ties_by_value_not_by_row_order() -> None:
    """The most frequent value; on a tie the smallest, whatever order the rows come in (DuckDB's mode()
    takes whichever its hash table meets first)."""
    with Engine(threads=1) as e:
        found = set()
        for rows in (["b", "a", "a", "b"], ["a", "b", "b", "a"], ["b", "b", "a", "a"], ["a", "a", "b", "b"]):
            values = ", ".join(f"({i}, {lit(v)})" for i, v in enumerate(rows))
            e.execute(f"CREATE OR REPLACE TABLE m AS SELECT * FROM (VALUES {values}) v(i, x) ORDER BY i")
            found.add(e.scalar(f"SELECT {modal('x')} FROM m"))
        assert found == {"a"}
        assert (
            e.scalar(f"SELECT {modal('x')} FROM (VALUES ('c'), ('b'), ('b'), (NULL), (NULL), (NULL)) v(x)")
            == "b"
        )
        assert e.scalar(f"SELECT {modal('x')} FROM (VALUES (NULL::VARCHAR)) v(x)") is None
        assert e.scalar(f"SELECT {modal('x')} FROM (VALUES (3), (1), (3)) v(x)") == 3


@pytest.fixture(params=[False, True], ids=["hashes", "colliding"])
def colliding(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Run once with ``sql``'s key hash as it is and once with one that collides (two values)."""
    import cxray.sql as sql

    if request.param:
        monkeypatch.setattr(sql, "_key_hash", lambda keys: f"(hash({keys}) % 2)")
    return bool(request.param)


def test_sparse_group_by_gives_the_rows_of_group_by(colliding: bool) -> None:
    """Groups of one row, of several, NULL keys, and (with a hash of two values) keys whose hashes collide:
    the same rows as the plain GROUP BY, with the same types."""
    rng = random.Random(7)
    rows = [
        (rng.choice(["a", "b", "c", None]), rng.randrange(40), rng.choice([1.5, 2.25, None]), i)
        for i in range(300)
    ]
    values = ", ".join(f"({lit(k)}, {n}, {'NULL' if x is None else x}, {i})" for k, n, x, i in rows)
    columns = [
        ("n", "count(*)", "CAST(1 AS BIGINT)"),
        ("total", "sum(x)", "x"),
        ("first", "arg_min(x, i)", "x"),
        ("lowest", "min(i)", "i"),
    ]
    with Engine(threads=2) as e:
        e.execute(f"CREATE TABLE t AS SELECT * FROM (VALUES {values}) v(k, g, x, i)")
        plain = (
            "SELECT k, g, count(*) AS n, sum(x) AS total, arg_min(x, i) AS first, min(i) AS lowest "
            "FROM t GROUP BY k, g"
        )
        e.execute(f"CREATE TABLE a AS {plain}")
        e.execute(f"CREATE TABLE b AS {sparse_group_by('t', ['k', 'g'], columns)}")
        assert e.fetchall("SELECT count(*) FROM a")[0][0] == e.fetchall("SELECT count(*) FROM b")[0][0]
        assert 0 < e.scalar("SELECT count(*) FROM a WHERE n > 1") < e.scalar("SELECT count(*) FROM a")
        assert e.fetchall("SELECT * FROM a EXCEPT ALL SELECT * FROM b") == []
        assert e.fetchall("SELECT * FROM b EXCEPT ALL SELECT * FROM a") == []
        types = (
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position"
        )
        assert e.fetchall(types, ["a"]) == e.fetchall(types, ["b"])


def test_maybe_repeated_keeps_every_repeated_key(colliding: bool) -> None:
    """Filtering by ``maybe_repeated`` before ``HAVING count(*) > 1`` gives the same groups, and without
    collisions lets through only the rows of repeated keys."""
    with Engine(threads=2) as e:
        e.execute(
            "CREATE TABLE t AS SELECT CASE WHEN i >= 150 THEN i WHEN i % 7 = 0 THEN NULL "
            "ELSE i % 5 END AS k, i % 11 AS g FROM range(200) r(i)"
        )
        grouped = "SELECT k, g, count(*) AS n FROM t {} GROUP BY k, g HAVING count(*) > 1 ORDER BY ALL"
        plain = e.fetchall(grouped.format(""))
        assert plain and plain == e.fetchall(grouped.format(f"WHERE {maybe_repeated('t', ['k', 'g'])}"))
        passed = e.scalar(f"SELECT count(*) FROM t WHERE {maybe_repeated('t', ['k', 'g'])}")
        assert passed == (200 if colliding else sum(n for *_, n in plain)) and sum(n for *_, n in plain) < 150


def test_pair_key_orders_as_the_pair() -> None:
    """Sorting by the one number sorts as (major, minor), minors negative and positive, majors as large as
    a timestamp's microseconds; arg_max by it picks the pair's maximum."""
    rng = random.Random(3)
    pairs = [
        (rng.choice([0, 1, -5, 1_790_000_000_000_000]) + rng.randrange(3), rng.randrange(-(2**31), 2**31))
        for _ in range(400)
    ]
    values = ", ".join(f"({i}, {a}, {b})" for i, (a, b) in enumerate(pairs))
    with Engine(threads=2) as e:
        e.execute(f"CREATE TABLE t AS SELECT * FROM (VALUES {values}) v(i, a, b)")
        by_key = [r[0] for r in e.fetchall(f"SELECT i FROM t ORDER BY {pair_key('a', 'b')}, i")]
        by_pair = [r[0] for r in e.fetchall("SELECT i FROM t ORDER BY a, b, i")]
        assert by_key == by_pair
        assert e.scalar(f"SELECT arg_max(i, {pair_key('a', 'b')}) FROM t") == by_pair[-1] or (
            pairs[by_pair[-1]] == pairs[e.scalar(f"SELECT arg_max(i, {pair_key('a', 'b')}) FROM t")]
        )
        assert e.scalar(f"SELECT {pair_key('NULL', '1')}") is None
