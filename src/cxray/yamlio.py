"""The one YAML loader behind every configuration file: costs, process models, parties, scenarios, mappings.

``yaml.safe_load`` constructs only plain data, yet an alias (``*name``) repeats its anchor's whole subtree,
so a few hundred bytes of nested aliases ("billion laughs") expand to gigabytes. No cxray configuration
needs aliases, so this loader refuses them at the first ``*``, before anything is expanded, and every YAML
problem becomes one ``ConfigError`` naming the file and the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError


class _NoAliasLoader(yaml.SafeLoader):
    """``SafeLoader`` that stops at the first alias instead of composing (and so expanding) it."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                f"aliases (*{event.anchor}) are not supported",
                event.start_mark,
            )
        return super().compose_node(parent, index)


def load_yaml(text: str, *, path: str | Path | None = None) -> Any:
    """Parse YAML ``text`` as plain data; aliases and malformed YAML raise ``ConfigError`` naming ``path``.

    Every loader (mapping, costs, model, parties, scenario) says it the same way:
    ``PATH: not valid YAML: line N: problem``.

    >>> load_yaml("a: [1, 2]")
    {'a': [1, 2]}
    >>> load_yaml("a: &x [1]\\nb: *x", path="costs.yaml")
    Traceback (most recent call last):
    ...
    cxray.errors.ConfigError: costs.yaml: not valid YAML: line 2: aliases (*x) are not supported
    """
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = exc.problem or exc.context or "malformed"
        raise ConfigError(f"not valid YAML: {where}{problem}", path=path) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", path=path) from None
    except ValueError as exc:  # an impossible date the YAML resolver turns into a date (2024-13-18)
        raise ConfigError(f"not valid YAML: {exc}", path=path) from None


__all__ = ["load_yaml"]
