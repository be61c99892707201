"""The documented-process YAML: what it accepts, and errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

import cxray.process.model as M
from cxray.errors import ConfigError
from cxray.process.model import END, START, load_model, model_from_dict, parse_duration

MODELS = Path(M.__file__).parent / "models"
BASE = {"transitions": {"start": ["A"], "A": ["B", "A"], "B": ["end"]}}


def test_shipped_helpdesk_model_loads_with_targets() -> None:
    """The example model parses: steps, start/end transitions, required steps and both target kinds."""
    m = load_model(MODELS / "helpdesk.yaml")
    assert m.name == "helpdesk"
    assert (START, "Assign seriousness") in m.transitions and ("Closed", END) in m.transitions
    assert m.required == ("Take in charge ticket", "Resolve ticket", "Closed")
    kinds = {(t.kind, t.step, t.to, t.seconds) for t in m.targets}
    assert kinds == {
        ("step", "Wait", None, 7 * 86400.0),
        ("handoff", "Assign seriousness", "Take in charge ticket", 86400.0),
    }
    assert m.looping_steps() == {"Take in charge ticket", "Wait"}


@pytest.mark.parametrize(
    ("text", "seconds"),
    [(90, 90.0), ("90s", 90.0), ("15m", 900.0), ("15 min", 900.0), ("4h", 14400.0), ("2 days", 172800.0),
     ("1.5h", 5400.0), ("abc", None), (-3, None), (True, None), ("5 weeks", None)],
)  # fmt: skip
def test_durations(text: object, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


def test_steps_default_to_those_named_in_transitions_and_aliases_map_activities() -> None:
    m = model_from_dict(BASE)
    assert m.steps == ("A", "B")
    m = model_from_dict({**BASE, "steps": [{"name": "A", "aliases": ["a1", "a2"]}, "B"]})
    assert m.aliases == {"a1": "A", "a2": "A"}


def test_paths_are_keyed_by_reason_or_channel() -> None:
    m = model_from_dict({**BASE, "paths": {"reason": {"billing": ["A", "B"]}, "channel": {"bot": ["A"]}}})
    assert [(p.by, p.value, p.steps) for p in m.paths] == [
        ("channel", "bot", ("A",)),
        ("reason", "billing", ("A", "B")),
    ]


@pytest.mark.parametrize(
    ("patch", "key"),
    [
        ({"transitionz": {}}, "'transitionz'"),
        (
            {"steps": ["A", "B"], "transitions": {"start": ["A"], "A": ["C"], "B": ["end"]}},
            "transitions.A: step 'C'",
        ),
        ({"transitions": {"A": ["end"]}}, "no transition from 'start'"),
        ({"transitions": {"start": ["A"]}}, "no transition to 'end'"),
        ({"transitions": {"start": ["A"], "A": ["start", "end"]}}, "transitions.A: 'start'"),
        ({"required": ["Z"]}, "required: step 'Z'"),
        ({"steps": ["A", "B", "A"]}, "steps[2]: duplicate"),
        ({"steps": ["A", "end"]}, "steps[1]: 'end' is reserved"),
        ({"steps": [{"name": "A", "aliases": ["B"]}, "B"]}, "alias 'B' is also a step"),
        ({"steps": [{"name": "A", "aliases": ["x"]}, {"name": "B", "aliases": ["x"]}]}, "steps[1].aliases"),
        ({"paths": {"queue": {"q": ["A"]}}}, "paths: unknown key 'queue'"),
        ({"paths": {"reason": {"r": ["A", "Q"]}}}, "paths.reason.r: step 'Q'"),
        ({"targets": {"steps": {"A": "soon"}}}, "targets.steps.A: 'soon' is not a duration"),
        ({"targets": {"handoffs": [{"from": "A", "to": "B"}]}}, "targets.handoffs[0]"),
        ({"targets": {"handoffs": [{"from": "A", "to": "X", "within": 5}]}}, "targets.handoffs[0].to"),
    ],
)
def test_bad_content_names_the_key(tmp_path: Path, patch: dict, key: str) -> None:
    """Every mistake is a ConfigError naming the file and the offending key."""
    import yaml

    p = tmp_path / "model.yaml"
    p.write_text(yaml.safe_dump({**BASE, **patch}))
    with pytest.raises(ConfigError) as err:
        load_model(p)
    assert key in str(err.value) and str(p) in str(err.value)


def test_not_yaml_and_not_a_mapping(tmp_path: Path) -> None:
    p = tmp_path / "m.yaml"
    p.write_text("transitions: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_model(p)
    p.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_model(p)
    with pytest.raises(ConfigError, match="cannot read"):
        load_model(tmp_path / "missing.yaml")


def test_bpmn_suffix_dispatches_to_the_bpmn_reader(tmp_path: Path) -> None:
    from conformance_models import HELPDESK

    p = tmp_path / "helpdesk.bpmn"
    p.write_text(HELPDESK)
    assert load_model(p).transitions == load_model(MODELS / "helpdesk.yaml").transitions
