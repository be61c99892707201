"""DiagnoseOptions: every option of a run in one typed value, loadable from YAML, rendered into the docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxray import diagnose
from cxray.costs import CostModel
from cxray.diagnose_options import DiagnoseOptions, load_options, settings_table
from cxray.errors import ConfigError
from cxray.findings.stats import Thresholds
from cxray.incentives import IncentiveOptions, Party
from cxray.simulate import load_scenario, simulate

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_the_settings_table_in_the_docs_is_the_rendered_one():
    """docs/cli.md holds the table ``settings_table()`` renders from the dataclasses today."""
    table = settings_table()
    assert table in (DOCS / "cli.md").read_text(encoding="utf-8"), "regenerate docs/cli.md's settings table"
    for key in ("read.tz", "analysis.window_days", "analysis.quality.opening_hours", "finder.merge_ratio",
                "top", "detectors", "conformance.top", "incentives.min_z", "model", "parties"):  # fmt: skip
        assert f"| `{key}` |" in table, key


def test_the_example_options_file_loads_with_its_files_relative_to_it():
    """docs/examples/options.yaml is valid, is the file shown in cli.md, and reaches every part."""
    path = DOCS / "examples" / "options.yaml"
    o = load_options(path)
    assert o.read.tz == "Europe/Amsterdam" and o.read.mapping is not None
    assert o.analysis.quality.opening_hours == {"phone": (8, 20)}
    assert o.costs == CostModel.from_yaml(DOCS / "examples" / "costs.yaml")
    assert o.top == 7 and o.finder.merge_ratio == 0.5 and o.conformance.examples == 3
    assert o.incentives == IncentiveOptions(min_contacts=30, min_z=2.5)
    assert o.parties and all(isinstance(p, Party) for p in o.parties)
    # a nested mapping changes only the values named, over the detector's own default (min_lift 3.0)
    assert o.detectors["WT01"] == {"min_share": 0.1, "thresholds": Thresholds(min_lift=2.5)}
    built = {d.code: d for d in o.build_detectors()}
    assert built["MH01"].min_hops == 4  # type: ignore[attr-defined]
    assert path.read_text(encoding="utf-8") in (DOCS / "cli.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("windw_days: 3\n", r"unknown key\(s\) windw_days"),
        ("analysis: {windw_days: 3}\n", r"unknown key\(s\) analysis.windw_days"),
        ("analysis: {window_days: -1}\n", r"analysis: window_days must be > 0"),
        ("detectors: {ZZ99: {}}\n", r"detectors: unknown detector code 'ZZ99'"),
        ("detectors: {MH01: {hops: 4}}\n", r"detectors.MH01: unknown setting 'hops' \(known: min_hops"),
        ("detectors: {MH01: {min_hops: 1}}\n", r"detectors.MH01: MH01 min_hops must be >= 2"),
        ("detectors: {TR01: {thresholds: {lift: 2}}}\n", r"unknown key\(s\) detectors.TR01.thresholds.lift"),
        ("top: 0\n", r"top must be an integer >= 1"),
        ("costs: {currncy: USD}\n", r"unknown key\(s\) costs.currncy"),
        ("parties: [{name: A, kpi: smiles}]\n", r"parties\[0\].kpi: .*unknown kpi 'smiles'"),
        ("finder: {merge_ratio: 2}\n", r"finder: invalid finder options"),
        ("- a list\n", r"options must be a mapping"),
        ("a: [1\n", r"not valid YAML"),
    ],
)
def test_a_bad_options_file_names_the_file_and_the_key(tmp_path: Path, yaml_text: str, message: str):
    path = tmp_path / "options.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as err:
        DiagnoseOptions.from_yaml(path)
    assert err.value.path == str(path)


def test_a_missing_file_named_by_the_options_is_named(tmp_path: Path):
    path = tmp_path / "options.yaml"
    path.write_text("costs: nowhere.yaml\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        DiagnoseOptions.from_yaml(path)
    assert err.value.path == str(tmp_path / "nowhere.yaml")
    with pytest.raises(ConfigError, match="cannot read options"):
        DiagnoseOptions.from_yaml(tmp_path / "absent.yaml")


def test_an_empty_file_is_the_defaults(tmp_path: Path):
    path = tmp_path / "options.yaml"
    path.write_text("# nothing set\n", encoding="utf-8")
    assert DiagnoseOptions.from_yaml(path) == DiagnoseOptions()


def test_detector_settings_are_checked_in_python_too():
    with pytest.raises(ConfigError, match=r"detectors\.MH01: unknown setting 'hops'"):
        DiagnoseOptions(detectors={"MH01": {"hops": 3}})
    with pytest.raises(ConfigError, match="unknown detector code 'IN'"):
        DiagnoseOptions(detectors={"IN": {}})


def test_the_options_reach_the_diagnosis_and_are_recorded():
    """``top`` and a detector's settings change the run; every part is recorded under ``options``."""
    events = simulate(load_scenario("default"), seed=2, days=14, customers=600).events
    options = DiagnoseOptions(
        top=2, detectors={"MH01": {"min_hops": 9}}, incentives=IncentiveOptions(min_z=2)
    )
    d = diagnose(events, options)
    assert len(d.breakdowns) <= 2 and d.breakdown_summary["top"] == len(d.breakdowns)
    assert not [f for f in d.all_findings if f["code"] == "MH01"]
    recorded = d.options
    assert recorded["top"] == 2 and recorded["detectors"] == {"MH01": {"min_hops": 9}}
    assert recorded["incentives"]["min_z"] == 2 and recorded["finder"]["merge_ratio"] == 0.5
    assert recorded["conformance"] == {"examples": 5, "top": 20}
    assert set(recorded) >= {"analysis", "costs", "read", "model", "parties"}


def test_shorthand_keywords_replace_their_part():
    from cxray.diagnose import with_shorthands
    from cxray.options import AnalysisOptions

    base = DiagnoseOptions(top=3)
    got = with_shorthands(base, analysis=AnalysisOptions(window_days=3))
    assert got.top == 3 and got.analysis.window_days == 3
    assert with_shorthands(None) == DiagnoseOptions()
