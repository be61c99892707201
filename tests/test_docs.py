"""The docs cannot rot: every detector, metric, scenario key, CLI option and mapping is documented, links
resolve, and the examples in the docs run (datasette's ``test_docs.py``, applied to cxray)."""

from __future__ import annotations

import dataclasses
import doctest
import re
from pathlib import Path

import pytest
import typer
import yaml

from cxray.cli import app
from cxray.costs import CostModel
from cxray.findings import registered_detectors, unregister_detector
from cxray.io import builtin_mappings
from cxray.io.mapping import Mapping
from cxray.metrics import definitions
from cxray.simulate import Behaviour, Queue, Reason, Scenario, Team
from cxray.simulate.breakdowns import KINDS

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
LINKED = [REPO / "README.md", *sorted(DOCS.glob("*.md"))]
EXAMPLE_DETECTOR = "XM01"  # registered by the example in docs/breakdowns.md


def text(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def headings(doc: str) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(r"^#{2,6} (.+)$", doc, re.M)]


def section(doc: str, heading: str) -> str:
    """The text under the first heading starting with ``heading``, up to the next heading of its level."""
    m = re.search(rf"^(#{{2,6}}) {re.escape(heading)}.*$", doc, re.M)
    assert m, f"no heading {heading!r}"
    level = len(m.group(1))
    end = re.compile(rf"^#{{2,{level}}} ", re.M).search(doc, m.end())
    return doc[m.end() : end.start() if end else len(doc)]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


# --- coverage ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("code", list(registered_detectors()))
def test_every_registered_detector_has_a_section(code):
    """docs/breakdowns.md has a heading starting with each registered detector's code."""
    assert any(re.match(rf"{code}\b", h) for h in headings(text("breakdowns.md"))), code


@pytest.mark.parametrize("metric", list(definitions()))
def test_every_metric_has_a_section(metric):
    """docs/metrics.md has a heading naming each metric of ``metrics.definitions()``."""
    assert f"`{metric}`" in headings(text("metrics.md")), metric


SCENARIO_KEYS = sorted(
    {f.name for cls in (Scenario, Team, Queue, Reason, Behaviour) for f in dataclasses.fields(cls)}
)


@pytest.mark.parametrize("key", SCENARIO_KEYS)
def test_every_scenario_key_is_documented(key):
    """Every key a scenario YAML accepts appears, quoted as code, in docs/simulator.md."""
    assert f"`{key}`" in section(text("simulator.md"), "Scenario YAML") or f"| `{key}` |" in text(
        "simulator.md"
    ), key


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_breakdown_kind_and_parameter_is_documented(kind):
    """Each plantable kind has a heading in docs/simulator.md, and its section names every parameter."""
    doc = text("simulator.md")
    assert f"`{kind}`" in " ".join(headings(doc)), kind
    body = section(doc, f"`{kind}`")
    for f in dataclasses.fields(KINDS[kind]):
        if f.name not in ("name", "enabled"):
            assert f"`{f.name}`" in body, (kind, f.name)
    assert "`enabled`" in section(doc, "Plantable breakdowns")


def _options(command: str) -> list[str]:
    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    return [p.opts[0] for p in click_command.params if p.param_type_name == "option"]


@pytest.mark.parametrize(
    ("command", "option"),
    [(c, o) for c in ("diagnose", "simulate", "demo", "export", "audit") for o in _options(c)],
)
def test_every_cli_option_is_documented(command, option):
    """Each option of ``cxray diagnose/simulate/demo/export/audit`` (from Typer) is in docs/cli.md."""
    body = section(text("cli.md"), f"`cxray {command}")
    assert re.search(rf"`{re.escape(option)}[ `=,]", body), (command, option)


@pytest.mark.parametrize("name", builtin_mappings())
def test_every_builtin_mapping_is_documented(name):
    """docs/data-contract.md lists each built-in mapping in its table."""
    assert f"| `{name}` |" in section(text("data-contract.md"), "Built-in mappings"), name


def test_no_placeholder_is_left():
    """Placeholder lines such as MAPPING_DETAILS do not survive into the docs."""
    for path in LINKED:
        assert not re.search(r"^[A-Z]{3,}_[A-Z_]{3,}$", path.read_text(encoding="utf-8"), re.M), path.name


# --- links --------------------------------------------------------------------------------------------------
def _links() -> list[tuple[Path, str]]:
    out = []
    for path in LINKED:
        body = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
        out += [(path, m.group(1)) for m in re.finditer(r"\]\(([^)\s]+)\)", body)]
    return out


@pytest.mark.parametrize(("path", "target"), _links(), ids=lambda v: v.name if isinstance(v, Path) else v)
def test_relative_links_resolve(path, target):
    """Every relative link in README.md and docs/*.md points at an existing file (and heading)."""
    if re.match(r"[a-z]+:", target):
        return  # http(s), mailto: not checked offline
    file, _, anchor = target.partition("#")
    dest = (path.parent / file).resolve() if file else path
    assert dest.exists(), f"{path.name}: {target}"
    if anchor and dest.suffix == ".md":
        assert anchor in {slug(h) for h in headings(dest.read_text(encoding="utf-8"))}, (
            f"{path.name}: {target}"
        )


# --- examples -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["metrics.md", "breakdowns.md"])
def test_examples_in_the_docs_run(name):
    """The ``>>>`` examples of a page run and print what the page says."""
    try:
        result = doctest.testfile(
            str(DOCS / name), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False
        )
    finally:
        unregister_detector(EXAMPLE_DETECTOR)
    assert result.attempted > 0 and result.failed == 0, result


def test_example_cost_model_is_valid_and_matches_the_page():
    """docs/examples/costs.yaml loads, overrides defaults as documented, and is the file shown in costs.md."""
    path = DOCS / "examples" / "costs.yaml"
    model = CostModel.from_yaml(path)
    assert model.per_minute_by_team == {"Nexa BPO": 0.55, "Payments Specialists": 1.40}
    assert model.per_minute_by_actor_type["agent"] == 1.10
    assert model.per_minute_by_actor_type["ivr"] == CostModel().per_minute_by_actor_type["ivr"]
    shown = re.search(r"```yaml\n(.*?)```", text("costs.md"), re.S)
    assert shown and yaml.safe_load(shown.group(1)) == yaml.safe_load(path.read_text(encoding="utf-8"))


def test_mapping_yaml_example_is_valid():
    """The mapping YAML example in docs/data-contract.md is accepted by ``Mapping.from_dict``."""
    shown = re.search(r"```yaml\n(.*?)```", section(text("data-contract.md"), "Examples"), re.S)
    assert shown
    m = Mapping.from_dict(yaml.safe_load(shown.group(1)))
    assert m.columns["activity"] == ("Step", "SubStep") and m.value_map("outcome")["Closed"] == "resolved"


def test_cost_defaults_table_matches_the_code():
    """Each default rate in docs/costs.md's table is the one ``CostModel()`` uses."""
    doc = section(text("costs.md"), "Defaults")
    defaults = CostModel()
    for actor, rate in defaults.per_minute_by_actor_type.items():
        row = re.search(rf"^\| [^|]*`(?:per_minute_by_actor_type)?\.{actor}`[^|]* \| ([\d.]+) \|", doc, re.M)
        assert row and float(row.group(1)) == rate, actor
    for key in ("per_bot_session", "default_per_minute"):
        row = re.search(rf"^\| `{key}` \| ([\d.]+) \|", doc, re.M)
        assert row and float(row.group(1)) == getattr(defaults, key), key


def test_example_parties_file_loads_and_names_parties_of_the_helpdesk_log():
    """docs/examples/parties.yaml (used in the README) is valid and declares KPIs the code knows."""
    from cxray.incentives import KPIS, load_parties

    parties = load_parties(DOCS / "examples" / "parties.yaml")
    assert parties and all(p.kpi in KPIS for p in parties)
    assert "docs/examples/parties.yaml" in (DOCS.parent / "README.md").read_text(encoding="utf-8")
