"""The layers hold: import-linter's contracts in pyproject.toml pass, and they cover every module of cxray."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import cxray

ROOT = Path(__file__).resolve().parents[1]


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def test_import_contracts_are_kept() -> None:
    """`lint-imports` (from the venv running the tests) reports every contract kept."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    assert lint_imports.exists(), (
        "import-linter is missing: pip install -e '.[dev]' (or pip install import-linter)"
    )
    run = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


def test_every_module_is_in_a_layer() -> None:
    """A new top-level module or package of cxray must be placed in a layer, or the contract cannot see it."""
    (layers,) = [c for c in _contracts() if c["type"] == "layers"]
    layer_specs = layers["layers"]
    assert isinstance(layer_specs, list)
    placed = {
        name.strip()
        for spec in layer_specs
        for name in str(spec).replace(":", "|").split("|")
        if name.strip()
    }
    modules = {f"cxray.{m.name}" for m in pkgutil.iter_modules(cxray.__path__) if m.name != "__main__"}
    assert modules - placed == set(), "place these in [tool.importlinter] layers in pyproject.toml"
    assert placed - modules == set(), "these layers name modules that do not exist"
