"""The extension point: detectors register here, built-ins exactly as a user's own would.

>>> from cxray.findings import Detector, register_detector, registered_detectors, CUSTOMER_FELT
>>> @register_detector
... class Mine(Detector):
...     '''Detects nothing (an example).'''
...     code, name, bucket = "ZZ99", "mine", CUSTOMER_FELT
...     def detect(self, ctx):
...         return []
>>> "ZZ99" in registered_detectors()
True
>>> unregister_detector("ZZ99")
"""

from __future__ import annotations

import importlib
from typing import TypeVar

from ..errors import ConfigError
from .base import BUCKETS, Detector

_REGISTRY: dict[str, type[Detector]] = {}

#: Modules holding the built-in detectors, imported (and so registered) on first use of the registry.
DEFAULT_DETECTORS: tuple[str, ...] = (
    "cxray.findings.transfers",
    "cxray.findings.ping_pong",
    "cxray.findings.multi_hop",
    "cxray.findings.false_containment",
    "cxray.findings.repeats",
    "cxray.findings.context_loss",
    "cxray.findings.back_office",
    "cxray.findings.parked_work",
    "cxray.findings.abandonment",
    "cxray.findings.loops",
    "cxray.findings.dead_ends",
    "cxray.findings.incentives",
)
_loaded = False

D = TypeVar("D", bound=type[Detector])


def register_detector(cls: D) -> D:
    """Register a detector class (usable as a decorator). Its ``code`` must be new and its bucket known."""
    if not (isinstance(cls, type) and issubclass(cls, Detector)):
        raise ConfigError(f"{cls!r} is not a Detector subclass")
    if not cls.code or not cls.name:
        raise ConfigError(f"detector {cls.__name__} needs a code and a name")
    if cls.bucket not in BUCKETS:
        raise ConfigError(f"detector {cls.code}: bucket must be one of {BUCKETS}, got {cls.bucket!r}")
    if not (cls.__doc__ or "").strip():
        raise ConfigError(f"detector {cls.code} needs a docstring: what it detects, why it matters, example")
    existing = _REGISTRY.get(cls.code)
    if existing is not None and existing is not cls:
        raise ConfigError(f"detector code {cls.code} is already registered by {existing.__name__}")
    _REGISTRY[cls.code] = cls
    return cls


def unregister_detector(code: str) -> None:
    """Remove a registered detector (tests; or to switch a built-in off for good)."""
    _REGISTRY.pop(code, None)


def _load_defaults() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in DEFAULT_DETECTORS:
            importlib.import_module(module)


def registered_detectors() -> dict[str, type[Detector]]:
    """Registered detector classes by code, sorted by code."""
    _load_defaults()
    return dict(sorted(_REGISTRY.items()))


def default_detectors() -> list[Detector]:
    """One instance of every registered detector, with its default settings, in code order."""
    return [cls() for cls in registered_detectors().values()]
