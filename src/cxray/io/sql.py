"""Tiny helpers to write SQL text safely: identifiers and literals quoted, never interpolated raw."""

from __future__ import annotations

from collections.abc import Iterable


def ident(name: str) -> str:
    """A quoted SQL identifier (any source column name, even ``time:timestamp`` or ``vru+line``)."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str | None) -> str:
    """A SQL string literal, or NULL."""
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def lit_list(values: Iterable[str]) -> str:
    """A SQL list literal ``['a', 'b']``."""
    return "[" + ", ".join(lit(v) for v in values) + "]"
