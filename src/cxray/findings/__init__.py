"""The breakdown finder: the few breakdowns behind most avoidable cost, with evidence, in one currency.

Detectors (one per module, each with a stable code) find candidate breakdowns; ``find_breakdowns`` prices
them with the cost model, de-duplicates them so no contact counts twice, ranks them by avoidable cost and
states how much of the total the top few explain. Every module of this package that is not the framework
is a built-in detector, found on disk (no list to forget one). Add your own detector with
``register_detector``, or ship it in a distribution with an entry point in the group ``cxray.detectors``
(``DETECTORS_ENTRY_POINT``); see ``docs/contributing.md``.
"""

from __future__ import annotations

from .base import (
    AGENT_ABSORBED,
    BUCKETS,
    CUSTOMER_FELT,
    OPERATING_MODEL,
    TECHNOLOGY,
    Detector,
    Finding,
)
from .context import DetectorContext, StagedTables
from .finder import FinderOptions, find_breakdowns, stage_breakdowns
from .registry import (
    DETECTORS_ENTRY_POINT,
    default_detectors,
    register_detector,
    registered_detectors,
    unregister_detector,
)
from .stats import Thresholds

__all__ = [
    "AGENT_ABSORBED",
    "BUCKETS",
    "CUSTOMER_FELT",
    "DETECTORS_ENTRY_POINT",
    "OPERATING_MODEL",
    "TECHNOLOGY",
    "Detector",
    "DetectorContext",
    "FinderOptions",
    "Finding",
    "StagedTables",
    "Thresholds",
    "default_detectors",
    "find_breakdowns",
    "register_detector",
    "registered_detectors",
    "stage_breakdowns",
    "unregister_detector",
]
