"""Parties and the KPI each is measured on: ``Party``, the flagging thresholds and the YAML loader."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import yaml

from ..errors import ConfigError
from ..yamlio import load_yaml

KPIS: Final = {  # kpi -> True when higher is better
    "containment": True,
    "handle_time": False,
    "cost_per_contact": False,
    "speed_to_close": False,
}
KPI_LABEL: Final = {k: k.replace("_", " ") for k in KPIS}


@dataclass(frozen=True, kw_only=True)
class Party:
    """A party and the KPI it is measured on; ``target`` in the KPI's unit (share, seconds, currency)."""

    name: str
    kpi: str
    target: float | None = None

    def __post_init__(self) -> None:
        if self.kpi not in KPIS:
            raise ConfigError(f"party {self.name!r}: unknown kpi {self.kpi!r} (known: {', '.join(KPIS)})")


@dataclass(frozen=True, kw_only=True)
class IncentiveOptions:
    """Thresholds for flagging a misalignment (IN01-IN03).

    Attributes
    ----------
    min_contacts:
        Uncensored closes a party needs before it is judged (per half of its weeks for IN03).
    min_excess:
        Absolute repeat-rate excess over the peers for the same reasons (IN01), or rise (IN03).
    min_z:
        Significance of the IN01 excess (indirectly standardised z).
    min_gap:
        Reported containment minus true containment that flags a bot or IVR (IN02).
    examples:
        Contact ids listed per finding.
    """

    min_contacts: int = 20
    min_excess: float = 0.05
    min_z: float = 3.0
    min_gap: float = 0.10
    examples: int = 5

    def __post_init__(self) -> None:
        if self.min_contacts < 0 or self.examples < 0 or self.min_excess < 0 or self.min_gap < 0:
            raise ConfigError(f"incentive thresholds must be >= 0: {self}")


def load_parties(path: str | Path) -> tuple[Party, ...]:
    """Read ``parties: [{name, kpi, target}]`` from YAML; ConfigError naming the file and key."""
    p = Path(path)
    try:
        data = load_yaml(p.read_text(encoding="utf-8"), path=p)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read parties: {exc}", path=p) from exc
    if not isinstance(data, dict) or set(data) != {"parties"} or not isinstance(data["parties"], list):
        raise ConfigError("expected exactly one key 'parties' with a list", path=p)
    return parties_from_list(data["parties"], path=p)


def parties_from_list(
    items: list[object], *, path: Path | None = None, key: str = "parties"
) -> tuple[Party, ...]:
    """``[{name, kpi, target}]`` (as read from YAML) as parties; ConfigError naming ``key[i]``."""
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not {"name", "kpi"} <= set(item) <= {"name", "kpi", "target"}:
            raise ConfigError(f"{key}[{i}]: expected keys name, kpi and optional target", path=path)
        target = item.get("target")
        if target is not None and (isinstance(target, bool) or not isinstance(target, int | float)):
            raise ConfigError(f"{key}[{i}].target: expected a number, got {target!r}", path=path)
        try:
            out.append(Party(name=str(item["name"]), kpi=str(item["kpi"]), target=target))
        except ConfigError as exc:
            raise ConfigError(f"{key}[{i}].kpi: {exc.message}", path=path) from exc
    return tuple(out)
