"""The detector registry cannot forget: every detector file is found, and a user's plugs in the same way."""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
import textwrap
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from test_framework import _ten_contacts

import cxray.findings
from cxray.errors import ConfigError
from cxray.findings import BUCKETS, Detector, find_breakdowns, registered_detectors, unregister_detector
from cxray.findings import registry as R

FINDINGS = Path(cxray.findings.__file__).parent


def _detector_modules() -> list[str]:
    """Every module under src/cxray/findings/ that is not the framework, from the files on disk."""
    names = []
    for path in sorted(FINDINGS.rglob("*.py")):
        parts = path.relative_to(FINDINGS).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts and parts[-1] not in R.INFRASTRUCTURE:
            names.append(".".join(("cxray.findings", *parts)))
    return names


def _defined_detectors(module: str) -> list[type[Detector]]:
    mod = importlib.import_module(module)
    return [
        c
        for _, c in inspect.getmembers(mod, inspect.isclass)
        if issubclass(c, Detector) and c is not Detector and c.__module__ == module
    ]


def test_discovery_covers_every_file_of_the_package():
    """The built-ins are every module of cxray.findings on disk except the framework's own."""
    assert R.builtin_modules() == _detector_modules()
    assert len(_detector_modules()) >= 9


def test_every_detector_defined_in_findings_is_registered():
    """A Detector subclass in any file of findings/ that is not in registered_detectors() fails this test."""
    registered = registered_detectors()
    found = []
    for module in _detector_modules():
        classes = _defined_detectors(module)
        assert len(classes) <= 1, f"{module}: one detector per file, found {[c.__name__ for c in classes]}"
        for cls in classes:
            found.append(cls)
            assert registered.get(cls.code) is cls, f"{module}.{cls.__name__} is not registered"
            doc = cls.__doc__ or ""
            assert "**Detects**" in doc and "**Why it matters**" in doc and "**Example**" in doc, cls.code
            assert cls.bucket in BUCKETS
    assert len(found) >= 9
    assert {c.code for c in found} <= set(registered)


def test_the_ast_agrees_no_detector_class_hides_from_import():
    """Oracle apart from import: every class whose base is named like a detector is a registered class."""
    registered = {(c.__module__, c.__name__) for c in registered_detectors().values()}
    for module in _detector_modules():
        rel = module.removeprefix("cxray.findings.").replace(".", "/")
        path = FINDINGS / f"{rel}.py"
        if not path.exists():
            path = FINDINGS / rel / "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
                if "Detector" in bases:
                    assert (module, node.name) in registered, f"{module}.{node.name} is not registered"


def test_default_order_is_by_code():
    assert list(registered_detectors()) == sorted(registered_detectors())
    assert [d.code for d in cxray.findings.default_detectors()] == sorted(registered_detectors())


PLUGIN = '''
"""A user's own detectors, shipped in their own distribution."""
from cxray.findings import TECHNOLOGY, Detector, register_detector


@register_detector
class Decorated(Detector):
    """Detects one thing, always (a user's detector, registered by its decorator)."""

    code, name, bucket = "UP01", "user-decorated", TECHNOLOGY

    def detect(self, ctx):
        return [self.finding(title="user plug-in", contacts_affected=1, avoidable_cost=4.0,
                             avoidable_contacts=1)]


class Named(Detector):
    """Detects nothing (a user's detector, named by its entry point rather than decorated)."""

    code, name, bucket = "UP02", "user-named", TECHNOLOGY

    def detect(self, ctx):
        return []
'''


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """Installs ``entry_points`` answering the given entry points; the registry reloads, then forgets."""
    (tmp_path / "cxray_user_plugin.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))

    def install(*values: str) -> None:
        eps = [
            EntryPoint(name=f"ep{i}", value=v, group=R.DETECTORS_ENTRY_POINT) for i, v in enumerate(values)
        ]

        def fake(*, group: str) -> list[EntryPoint]:
            return eps if group == R.DETECTORS_ENTRY_POINT else []

        monkeypatch.setattr(R, "entry_points", fake)
        monkeypatch.setattr(R, "_loaded", False)

    yield install
    for code in ("UP01", "UP02"):
        unregister_detector(code)
    sys.modules.pop("cxray_user_plugin", None)  # not monkeypatch: its undo would put it back


def test_a_detector_plugged_in_through_an_entry_point_runs(engine, plugin):
    """An entry point naming a module registers its decorated detectors; one naming a class registers it."""
    plugin("cxray_user_plugin", "cxray_user_plugin:Named")
    detectors = registered_detectors()
    assert {"UP01", "UP02"} <= set(detectors) and set(detectors) > {"UP01", "UP02"}
    assert list(detectors) == sorted(detectors)  # plug-ins take their place by code, like the built-ins
    _ten_contacts(engine)
    out = find_breakdowns(engine)
    mine = [f for f in out["all_findings"] if f["code"] == "UP01"]
    assert mine and mine[0]["avoidable_cost"] == 4.0 and mine[0]["rank"] == 1


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("cxray_no_such_plugin", r"entry point ep0 = 'cxray_no_such_plugin' .*cannot be loaded"),
        ("cxray_user_plugin:PLUGIN_NOT_HERE", r"cannot be loaded: AttributeError"),
        ("textwrap:dedent", r"expected a module or a Detector subclass"),
    ],
)
def test_a_broken_entry_point_is_a_config_error_naming_it(plugin, value, match):
    """A plug-in that cannot be loaded fails the registry loudly, every time, never leaving it half-loaded."""
    plugin(value)
    for _ in range(2):
        with pytest.raises(ConfigError, match=match):
            registered_detectors()


def test_an_installed_distribution_plugs_in_through_its_entry_point_metadata(tmp_path, monkeypatch):
    """No mock: a distribution on sys.path whose entry_points.txt names a module in cxray.detectors."""
    (tmp_path / "cxray_user_plugin.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    info = tmp_path / "cxray_user_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cxray-user-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{R.DETECTORS_ENTRY_POINT}]\nmine = cxray_user_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(R, "_loaded", False)
    try:
        assert "UP01" in registered_detectors() and "UP02" not in registered_detectors()
    finally:
        unregister_detector("UP01")
        sys.modules.pop("cxray_user_plugin", None)  # not monkeypatch: its undo would put it back
