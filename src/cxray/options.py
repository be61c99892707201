"""Typed options for the analyses, with their defaults in the signature (no ``parameters`` dicts)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .quality import QualityOptions


@dataclass(frozen=True, kw_only=True)
class AnalysisOptions:
    """What the analyses of ``diagnose`` need to know besides the data.

    Attributes
    ----------
    window_days:
        Repeat-contact window: a customer's later contact within this many days of the previous
        one (same reason, unless ``any_reason``) joins the same journey. Contacts ending in the
        last ``window_days`` of the data are right-censored for resolution metrics.
    any_reason:
        Join contacts into journeys whatever their reason.
    top_variants:
        How many variants ``flow.variants`` lists (``n_variants`` always gives the total). 0 lists all.
    keep_bulk:
        Keep bulk identities (customers whose contact count is far outside the population, see
        ``cxray.quality``) in journeys, repeat and FCR metrics and findings. By default they are excluded,
        counted and listed in ``data_quality``.
    max_journey_days:
        A journey is cut here: a contact starting more than this many days after its journey's first
        contact opens a new one, so a customer id that never stops calling cannot chain one endless journey.
    quality:
        Thresholds of the data-quality guards (``cxray.quality``).
    step_kinds:
        A step-kinds YAML (docs/step-kinds.md) that adds or overrides phrases of the built-in vocabulary,
        so that this centre's names for verifying a caller or gathering details are recognised.
    """

    window_days: float = 7.0
    any_reason: bool = False
    top_variants: int = 50
    keep_bulk: bool = False
    max_journey_days: float = 30.0
    quality: QualityOptions = field(default_factory=QualityOptions)
    step_kinds: str | None = None

    def __post_init__(self) -> None:
        from .errors import ConfigError

        if not self.window_days > 0:
            raise ConfigError(f"window_days must be > 0, got {self.window_days}")
        if not self.max_journey_days >= self.window_days:
            raise ConfigError(
                f"max_journey_days must be >= window_days ({self.window_days}), got {self.max_journey_days}"
            )
        if self.top_variants < 0:
            raise ConfigError(f"top_variants must be >= 0, got {self.top_variants}")
