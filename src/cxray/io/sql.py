"""Re-exports of :mod:`cxray.sql`, where SQL text is written from Python values (kept for io's imports)."""

from ..sql import ident, lit, lit_list

__all__ = ["ident", "lit", "lit_list"]
