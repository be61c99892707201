"""The extension point: detectors register here, built-ins exactly as a user's own would.

A detector is registered by ``@register_detector`` when its module is imported. The registry imports,
on first use, every module that can hold one, so no list of detectors can forget a file:

* the built-ins: every module of ``cxray.findings`` (sub-packages included) except the framework's own
  (``INFRASTRUCTURE``), found on disk by ``pkgutil``;
* a user's own: every entry point in the group ``cxray.detectors`` (``DETECTORS_ENTRY_POINT``) of the
  installed distributions. An entry point names a module (importing it runs its ``@register_detector``)
  or a ``Detector`` subclass (registered here), e.g. in the user's ``pyproject.toml``::

      [project.entry-points."cxray.detectors"]
      mine = "my_package.my_detector"

A detector defined anywhere else is registered by calling ``register_detector`` before the diagnosis.
The default order is by code, whatever the order of discovery.

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
import pkgutil
from importlib.metadata import entry_points
from types import ModuleType
from typing import Final, TypeVar

from ..errors import ConfigError
from .base import BUCKETS, Detector

_REGISTRY: dict[str, type[Detector]] = {}

#: Modules of ``cxray.findings`` that are the framework, not detectors: never imported as built-ins.
INFRASTRUCTURE: Final[frozenset[str]] = frozenset(
    {"base", "registry", "context", "finder", "grouping", "stats"}
)
#: The entry-point group through which an installed distribution contributes its own detectors.
DETECTORS_ENTRY_POINT: Final = "cxray.detectors"
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


def _reraise(name: str) -> None:
    """Re-raise: called inside walk_packages' except clause, so a sub-package that fails is never skipped."""
    raise


def builtin_modules() -> list[str]:
    """The modules holding the built-in detectors: every module of ``cxray.findings`` but the framework's,
    sub-packages' modules included, in name order."""
    package = importlib.import_module(__package__ or "cxray.findings")
    names = []
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.", onerror=_reraise):
        if info.name.rsplit(".", 1)[-1] not in INFRASTRUCTURE:
            names.append(info.name)
    return sorted(names)


def load_entry_points() -> None:
    """Import every entry point of the group ``cxray.detectors``: a module registers its detectors as it is
    imported; a ``Detector`` subclass is registered here. One that fails is a ConfigError naming it."""
    for ep in sorted(entry_points(group=DETECTORS_ENTRY_POINT), key=lambda e: (e.name, e.value)):
        where = f"entry point {ep.name} = {ep.value!r} ({DETECTORS_ENTRY_POINT})"
        try:
            target = ep.load()
        except Exception as exc:  # a plug-in's import failed: say which one, keep its error
            raise ConfigError(f"{where} cannot be loaded: {type(exc).__name__}: {exc}") from exc
        if isinstance(target, type) and issubclass(target, Detector):
            register_detector(target)
        elif not isinstance(target, ModuleType):
            raise ConfigError(f"{where} names {target!r}: expected a module or a Detector subclass")


def _load_defaults() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True  # first: a module that asks for the registry as it is imported does not recurse
    try:
        for module in builtin_modules():
            importlib.import_module(module)
        load_entry_points()
    except BaseException:
        _loaded = False  # a failed load fails again next time, never leaves a silently partial registry
        raise


def registered_detectors() -> dict[str, type[Detector]]:
    """Registered detector classes by code, sorted by code."""
    _load_defaults()
    return dict(sorted(_REGISTRY.items()))


def default_detectors() -> list[Detector]:
    """One instance of every registered detector, with its default settings, in code order."""
    return [cls() for cls in registered_detectors().values()]
