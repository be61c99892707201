"""One YAML loader for every configuration file: aliases refused before they expand, errors name the file."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cxray import CostModel
from cxray.errors import ConfigError
from cxray.incentives import load_parties
from cxray.io.mapping import Mapping
from cxray.process.model import load_model
from cxray.simulate.loader import load_scenario
from cxray.yamlio import load_yaml

#: Nine levels of nine aliases each: 9**9 (387 million) leaves once expanded, from under 700 bytes.
BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{b}: &{b} [{','.join(['*' + a] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi", strict=True)]
)

LOADERS: dict[str, Callable[[Path], Any]] = {
    "costs": CostModel.from_yaml,
    "model": load_model,
    "parties": load_parties,
    "scenario": load_scenario,
    "mapping": Mapping.from_yaml,
}


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_alias_bomb_is_refused_quickly_without_growing_memory(name: str, tmp_path: Path):
    """A billion-laughs file is a ConfigError naming the file and line, in well under a second and a MB."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(BOMB, encoding="utf-8")
    assert len(BOMB) < 1000
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ConfigError) as info:
            LOADERS[name](path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 2
    assert peak < 5_000_000
    message = str(info.value)
    assert str(path) in message and "line 2" in message and "aliases" in message


def test_malformed_yaml_names_file_and_line(tmp_path: Path):
    path = tmp_path / "costs.yaml"
    path.write_text("currency: EUR\nchannels: [voice\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"costs\.yaml: not valid YAML: line \d+"):
        CostModel.from_yaml(path)


def test_plain_yaml_still_loads():
    assert load_yaml("a: 1\nb: [x, y]\nc: {d: null}") == {"a": 1, "b": ["x", "y"], "c": {"d": None}}
    assert load_yaml("") is None


def test_an_impossible_date_is_a_config_error_naming_the_file():
    with pytest.raises(ConfigError, match=r"scenario\.yaml: not valid YAML: month must be in 1\.\.12"):
        load_yaml("start: 2024-13-18\n", path="scenario.yaml")
