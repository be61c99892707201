"""The one place SQL text is written from Python values: identifiers quoted, literals that refuse bad values.

Data-dependent values travel as parameters (``engine.rows(sql, [value])``) or through staged tables.
Where a value must be part of the SQL text (a claims query kept for later, a name from configuration),
it goes through one of these helpers, never ``f"{value}"``: a Python ``None`` pasted as text becomes the
SQL word ``None`` (a column reference), and ``0.035714285714285715`` becomes a DECIMAL that overflows.

>>> ident('time:timestamp'), sql_string("O'Brien"), num(0.5), lit(None)
('"time:timestamp"', "'O''Brien'", 'CAST(0.5 AS DOUBLE)', 'NULL')
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any


def ident(name: str) -> str:
    """A quoted SQL identifier (any source column name, even ``time:timestamp`` or ``vru+line``)."""
    if not isinstance(name, str):
        raise TypeError(f"an SQL identifier must be a string, got {name!r}")
    return '"' + name.replace('"', '""') + '"'


def sql_string(value: str) -> str:
    """A SQL string literal (quotes doubled). ``None`` is a bug here, never the text ``'None'``."""
    if not isinstance(value, str):
        raise TypeError(f"an SQL string literal needs a string, got {value!r}")
    return "'" + value.replace("'", "''") + "'"


def lit(value: str | None) -> str:
    """A SQL string literal, or ``NULL`` for None (where a missing value is meant)."""
    return "NULL" if value is None else sql_string(value)


def lit_list(values: Iterable[str]) -> str:
    """A SQL list literal ``['a', 'b']``."""
    return "[" + ", ".join(lit(v) for v in values) + "]"


def in_list(values: Iterable[str]) -> str:
    """The right-hand side of ``x IN (...)``: ``('a', 'b')``; an empty list matches nothing."""
    items = [sql_string(v) for v in values]
    return "(" + ", ".join(items) + ")" if items else "(NULL)"


def num(value: Any) -> str:
    """A SQL DOUBLE literal for a Python number.

    Pasted as plain text, ``0.035714285714285715`` is a DECIMAL(18, 18) to DuckDB, and multiplying it
    overflows; None, NaN, infinity or a bool is a bug, never the SQL word.
    """
    if value is None or isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return f"CAST({number!r} AS DOUBLE)"


def integer(value: Any) -> str:
    """A SQL integer literal (LIMIT, a count); refuses None, bools and non-integral numbers."""
    if value is None or isinstance(value, bool):
        raise ValueError(f"not an integer: {value!r}")
    number = int(value)
    if number != value:
        raise ValueError(f"not an integer: {value!r}")
    return str(number)


def timestamp(value: datetime | None) -> str:
    """A SQL TIMESTAMP literal for a naive datetime (the data's end), or a typed NULL for None.

    >>> timestamp(datetime(2012, 6, 15, 10, 19, 56)), timestamp(None)
    ("TIMESTAMP '2012-06-15 10:19:56'", 'CAST(NULL AS TIMESTAMP)')
    """
    if value is None:
        return "CAST(NULL AS TIMESTAMP)"
    if not isinstance(value, datetime):
        raise TypeError(f"not a datetime: {value!r}")
    return f"TIMESTAMP '{value.isoformat(sep=' ')}'"


def days_us(days: float) -> int:
    """A span of days (the repeat window, the longest journey) in whole microseconds.

    Whole microseconds make comparisons at the boundary exact: a contact exactly ``window_days`` after
    the last one's end is within the window on every engine.

    >>> days_us(0.5)
    43200000000
    """
    return round(days * 86_400 * 1_000_000)


def days_interval(days: float) -> str:
    """A span of days as a SQL INTERVAL expression of whole microseconds (see :func:`days_us`).

    >>> days_interval(7)
    'to_microseconds(CAST(604800000000 AS BIGINT))'
    """
    return f"to_microseconds(CAST({integer(days_us(days))} AS BIGINT))"


def list_in_order(value: str, key: str, where: str | None = None) -> str:
    """SQL aggregate: the list of ``value`` in the order of ``key`` (unique within a group), like
    ``list(value ORDER BY key)`` but gathered as pairs and sorted within the list: an ordered aggregate sorts
    group by group (journey paths at 10M events took 12.5 s with two of them, 8.9 s with pairs). NULL
    values are kept unless ``where`` (the aggregate's ``FILTER``) leaves them out; a group without rows
    gives NULL, as ``list`` does.

    >>> sql = list_in_order("a", "k", where="a IS NOT NULL")
    >>> sql.startswith("list_transform(list_sort(list({'k': k, 'v': a}) FILTER (WHERE a IS NOT NULL), ")
    True
    """
    pairs = f"list({{'k': {key}, 'v': {value}}})" + (f" FILTER (WHERE {where})" if where else "")
    return f"list_transform(list_sort({pairs}, 'ASC', 'NULLS FIRST'), lambda x: x.v)"


def exact(value: str, scale: int) -> str:
    """SQL: ``value`` as a DECIMAL with ``scale`` decimals, to be added up exactly.

    A double sum in a parallel aggregation adds a group's rows in the order its threads meet them, so its
    last bits move from run to run, enough to flip a figure sitting on a rounding tie. DECIMAL sums are
    integer arithmetic: the same in any order. (38 digits: sums up to 10**(38 - scale) fit.)

    >>> exact("cost", 6)
    'CAST(cost AS DECIMAL(38, 6))'
    """
    return f"CAST({value} AS DECIMAL(38, {scale}))"


#: exact_sum's scale: a double of magnitude 2**-8 or more is a whole multiple of 2**-60 (its last bit is
#: worth that or more), so it is added exactly; a smaller one is rounded to a multiple of 2**-60 (8.7e-19).
EXACT_BITS = 60


def exact_sum(value: str) -> str:
    """SQL aggregate: the sum of the DOUBLE ``value`` whatever the order its rows are added in, as a
    DOUBLE again. Each value is scaled by 2**60 to a HUGEINT (exact, but for values below 2**-8 rounded to
    8.7e-19) and the integers added, then scaled back: sums up to 1.4e20 fit (a duration is at most 1e9
    seconds). Two runs of the same 1M-event log gave one contact's cost as 7.738666666666667 and ...666
    with a double sum. (A sum of ``DECIMAL(38, 18)`` casts gave the same guarantee at 2.5x the cost: the
    contacts' three sums over 10M events took 0.9 s, now 0.35 s.)

    >>> exact_sum("cost")
    '(CAST(sum(CAST(round((cost) * 1152921504606846976) AS HUGEINT)) AS DOUBLE) / 1152921504606846976)'
    """
    scale = 2**EXACT_BITS
    return f"(CAST(sum(CAST(round(({value}) * {scale}) AS HUGEINT)) AS DOUBLE) / {scale})"


DYADIC_BITS = 20


def dyadic(value: str) -> str:
    """SQL: the DOUBLE ``value`` rounded to a multiple of 2**-20 (about 1e-6).

    Any sum of such values is exact, so the same in every order rows are added in, while it stays below
    2**33 (8.6e9): the seconds, minutes and costs that later steps add up (a contact's, an event's in the
    finder) are made so where they are computed, and every sum over them is then the same from run to
    run. (A double sum in a parallel aggregation otherwise moves in its last bits, enough to flip a
    rounded figure: 12532.4 or 12532.5 minutes in two runs of the same log.)

    >>> dyadic("x")
    '(round((x) * 1048576) / 1048576)'
    """
    scale = 2**DYADIC_BITS
    return f"(round(({value}) * {scale}) / {scale})"


def pair_key(major: str, minor: str, bits: int = 32) -> str:
    """SQL: one HUGEINT that orders as the pair (``major``, ``minor``) of integers, for ``arg_max``,
    ``arg_min`` and ``min``/``max``: one number is cheaper to compare than a struct (a contact's closer at
    10M events: its grouping 0.92 -> 0.51 s). ``minor`` must lie strictly between -2**bits and 2**bits;
    NULL when either is NULL (coalesce first where that must not drop a row).

    >>> pair_key("a", "b")
    '((a)::HUGEINT * 4294967296 + (b))'
    """
    return f"(({major})::HUGEINT * {2**bits} + ({minor}))"


def _key_hash(keys: str) -> str:
    """The hash :func:`sparse_group_by` finds groups of more than one row by (a test makes it collide)."""
    return f"hash({keys})"


def maybe_repeated(source: str, keys: list[str]) -> str:
    """SQL condition: the row's ``keys`` may be shared by another row of ``source`` (the hash of the key
    is; a test to place before ``GROUP BY keys HAVING count(*) > 1`` where most keys are one row's, so
    that only the candidates are grouped). ``source`` as for :func:`sparse_group_by`."""
    h = _key_hash(", ".join(keys))
    return f"{h} IN (SELECT {h} FROM {source} GROUP BY 1 HAVING count(*) > 1)"


def sparse_group_by(source: str, keys: list[str], columns: list[tuple[str, str, str]]) -> str:
    """SQL: ``SELECT keys, aggregates FROM source GROUP BY keys``, for when most groups hold one row.

    ``columns``: ``(name, aggregate, value)``, ``value`` being what the aggregate gives over one row
    (``count(*)``: ``1``; ``sum(x)``, ``min(x)``, ``arg_min(x, k)``: ``x``). The groups of more than one
    row are found by the hash of their key alone (one integer a row, grouped); only their rows are
    grouped with the aggregates, every other row is its own group as it is. A grouping of (contact, leg,
    activity) over 10M events, where an activity seldom repeats within a leg, took 3.8-5.5 s one way and
    1.8 s the other. Two keys of one hash both go to the grouped rows, where their keys part them again.
    ``source`` is a table or view name, or a parenthesised query with an alias; it is read three times.
    Same rows as the plain ``GROUP BY`` (not in the same order).
    """
    by = ", ".join(keys)
    h = _key_hash(by)
    many = "__cx_many"
    aggregated = ", ".join(f"{aggregate} AS {name}" for name, aggregate, _ in columns)
    single = ", ".join(f"{value} AS {name}" for name, _, value in columns)
    return f"""
        WITH {many} AS MATERIALIZED (SELECT {h} AS h FROM {source} GROUP BY 1 HAVING count(*) > 1)
        SELECT {by}, {aggregated} FROM {source} WHERE {h} IN (SELECT h FROM {many}) GROUP BY {by}
        UNION ALL
        SELECT {by}, {single} FROM {source} WHERE {h} NOT IN (SELECT h FROM {many})
    """


def modal(value: str) -> str:
    """SQL aggregate: the most frequent non-NULL ``value`` of the group, ties to the smallest.

    DuckDB's ``mode()`` breaks a tie by the order it meets the rows in, which follows the thread count and
    the storage order: the same log could name a touchpoint's actor ``agent`` in one run and ``system``
    in the next. NULL when the group has no value.

    >>> modal("x").startswith("list_sort(list_transform(map_entries(histogram(x))")
    True
    """
    entries = f"map_entries(histogram({value}))"
    ranked = f"list_transform({entries}, lambda e: struct_pack(n := -CAST(e.value AS BIGINT), v := e.key))"
    return f"list_sort({ranked})[1].v"


__all__ = [
    "DYADIC_BITS",
    "days_interval",
    "days_us",
    "dyadic",
    "exact",
    "exact_sum",
    "ident",
    "in_list",
    "integer",
    "list_in_order",
    "lit",
    "lit_list",
    "maybe_repeated",
    "modal",
    "num",
    "pair_key",
    "sparse_group_by",
    "sql_string",
]
