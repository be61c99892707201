"""Human formatting of numbers for the report; ``None`` (not measurable) shows as an em dash."""

from __future__ import annotations

from typing import Any

DASH = "—"


def fmt(value: Any, kind: str = "") -> str:
    """Format a value: ``pct`` (a share 0..1), ``s`` (seconds), ``money``, or plain.

    >>> fmt(0.1234, "pct"), fmt(30, "s"), fmt(600, "s"), fmt(12345.678, "money"), fmt(None)
    ('12.3%', '30 s', '10.0 min', '12,346', '—')
    """
    if value is None or isinstance(value, bool):
        return DASH if value is None else str(value)
    if isinstance(value, int | float):
        if kind == "pct":
            return f"{100 * value:.1f}%"
        if kind == "s":
            if value >= 2 * 86400:
                return f"{value / 86400:.1f} d"
            if value >= 2 * 3600:
                return f"{value / 3600:.1f} h"
            return f"{value / 60:.1f} min" if value >= 90 else f"{value:.0f} s"
        if kind == "money":
            return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
        if isinstance(value, float):
            return f"{value:,.2f}"
        return f"{value:,}"
    return str(value)
