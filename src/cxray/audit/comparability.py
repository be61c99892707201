"""Is the control like the pilot? Their mix of channels and of human-handled contacts before the change.

A difference in differences assumes the control would have moved as the pilot did without the change. The
trends check tests that on the weeks before; it cannot see a shift that starts on the change date and
moves the two groups differently, and that happens when the groups are made of different contacts: a
season that lengthens agents' calls moves a phone queue more than a control of chats that bots answer
(measured on the simulator: docs/audit.md, "How we know"). So the audit also compares what the groups are
made of, in the before period:

- ``channel``: the share of contacts by entry channel;
- ``handled by``: the share a human handled against those served without one.

For each, the total variation distance (half the sum of the absolute share differences: 0 the same mix, 1
no overlap). Above ``threshold`` (0.25 by default) the audit cautions that the control differs from the
pilot, names the largest shares of each, and suggests naming a control like the pilot. A caution, not a
verdict: alike mixes do not prove alike trends, and a pilot defined by its reasons is expected to differ in
reasons (which is why reasons are not compared).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final

from .. import schema as S
from ..engine import Engine
from ..sql import ident
from .segments import AUDIT_CONTACTS, AUDIT_GROUP, AUDIT_PERIOD

__all__ = ["MixDifference", "compare_mix"]

THRESHOLD: Final = 0.25
# What each compared mix groups contacts by (SQL over audit_contacts), and its name on the page.
_MIXES: Final = (
    ("channel", f"coalesce({ident(S.ENTRY_CHANNEL)}, '(none)')"),
    (
        "handled by",
        f"CASE WHEN {ident(S.IS_HUMAN_HANDLED)} THEN 'a human' "
        f"WHEN {ident(S.IS_HUMAN_HANDLED)} IS NULL THEN '(unknown)' ELSE 'no human' END",
    ),
)


@dataclass(frozen=True)
class MixDifference:
    """One mix compared: the distance, each group's shares (largest first), and whether it is past the
    threshold; ``sentence`` says it for the page when it is."""

    mix: str
    distance: float
    pilot: dict[str, float]
    control: dict[str, float]
    differs: bool
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare_mix(engine: Engine, *, threshold: float = THRESHOLD) -> tuple[MixDifference, ...]:
    """Each mix of :data:`_MIXES` in the pilot and the control before the change (``audit_contacts``);
    a mix a group has no contacts for is left out."""
    out = []
    for name, key in _MIXES:
        rows = engine.rows(
            f"""SELECT {ident(AUDIT_GROUP)} AS g, {key} AS k, count(*) AS n FROM {AUDIT_CONTACTS}
                WHERE {ident(AUDIT_PERIOD)} = 'before' AND {ident(AUDIT_GROUP)} IS NOT NULL
                GROUP BY ALL ORDER BY g, n DESC, k"""
        )
        counts: dict[str, dict[str, int]] = {"pilot": {}, "control": {}}
        for r in rows:
            counts[r["g"]][r["k"]] = int(r["n"])
        if not all(counts.values()):
            continue
        shares = {g: _shares(c) for g, c in counts.items()}
        keys = set(shares["pilot"]) | set(shares["control"])
        distance = 0.5 * sum(abs(shares["pilot"].get(k, 0.0) - shares["control"].get(k, 0.0)) for k in keys)
        differs = distance > threshold
        sentence = ""
        if differs:
            sentence = (
                f"The control differs from the pilot in {name} (distance {distance:.2f} of 1): pilot "
                f"{_top(shares['pilot'])}; control {_top(shares['control'])}. A season or another change "
                "may move such groups differently, which the trends check cannot see when it starts on the "
                "change date; name a control like the pilot (--control) if there is one."
            )
        out.append(
            MixDifference(name, round(distance, 4), shares["pilot"], shares["control"], differs, sentence)
        )
    return tuple(out)


def _shares(counts: dict[str, int]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: round(n / total, 4) for k, n in counts.items()}


def _top(shares: dict[str, float], k: int = 3) -> str:
    """The ``k`` largest shares in words; a share under half a percent reads ``<1%``.

    >>> _top({"phone": 0.998, "email": 0.002})
    'phone 100%, email <1%'
    """
    return ", ".join(
        f"{name} {share:.0%}" if share >= 0.005 else f"{name} <1%" for name, share in list(shares.items())[:k]
    )
