"""The plan's first step: one initiative per breakdown, from the catalogue, in a lane, effects scored."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cxray import diagnose
from cxray.cli import app
from cxray.errors import ConfigError
from cxray.findings import registered_detectors
from cxray.plan import LANES, catalogue, make_plan
from cxray.plan.initiatives import parse_catalogue
from cxray.simulate import load_scenario, simulate

# The lane each planted kind's fix belongs in (docs/plan.md), by the detector that leads its breakdown.
EXPECTED_LANE = {"IN01": "policy", "RP01": "immediate", "BO01": "redesign", "PP01": "redesign",
                 "TR01": "platform", "CL01": "platform", "FC01": "platform", "AB01": "immediate"}  # fmt: skip


@pytest.fixture(scope="module")
def doc():
    return diagnose(simulate(load_scenario("default"), seed=7, days=28, customers=3000).events).to_dict()


def test_every_built_in_detector_has_a_candidate_fix():
    """A detector added without a catalogue entry fails here: every breakdown must propose something."""
    assert set(registered_detectors()) <= set(catalogue())


def test_each_breakdown_proposes_one_initiative_in_its_lane(doc):
    plan = make_plan(doc)
    found = plan["initiatives"]
    assert sorted(i["breakdown_rank"] for i in found) == [b["rank"] for b in doc["breakdowns"]]
    assert len({i["id"] for i in found}) == len(found)
    for i in found:
        assert i["lane"] == EXPECTED_LANE[i["code"]] and i["lane_label"] == LANES[i["lane"]]
        for screen in ("customer_effect", "operational_effect", "delivery_complexity", "dependency_risk"):
            assert 1 <= i[screen]["score"] <= 5 and i[screen]["reason"]
    assert [i["priority"] for i in found] == sorted((i["priority"] for i in found), reverse=True)
    assert make_plan(doc) == plan  # deterministic: the same ids, scores and order
    assert plan["needs_from_people"]  # without a context the draft says what it needs


def test_effects_follow_the_diagnosis(doc):
    """The breakdown with the largest share of the avoidable cost scores the highest operational effect."""
    found = make_plan(doc)["initiatives"]
    top_cost = max(doc["breakdowns"], key=lambda b: b["share_of_avoidable_cost"])
    best = max(i["operational_effect"]["score"] for i in found)
    assert (
        next(i for i in found if i["breakdown_rank"] == top_cost["rank"])["operational_effect"]["score"]
        == best
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"initiatives": {"XX01": {"fix": "x"}}}, "missing"),
        ({"initiatives": {"XX01": {**dict.fromkeys(["fix", "systems", "approvals", "cost_band"], "x"),
                                   "lane": "someday", "complexity": 1, "dependency_risk": 1}}}, "lane"),
        ({"fixes": {}}, "initiatives"),
    ],
)  # fmt: skip
def test_a_bad_catalogue_is_refused_by_key(body, message):
    with pytest.raises(ConfigError, match=message):
        parse_catalogue(body, path="mine.yaml")


def test_cxray_plan_writes_plan_json_and_refuses_what_is_not_a_diagnosis(doc, tmp_path):
    source = tmp_path / "diagnosis.json"
    source.write_text(json.dumps(doc, default=str), encoding="utf-8")
    result = CliRunner().invoke(app, ["plan", str(source), "--out", str(tmp_path / "plan")])
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "plan" / "plan.json").read_text(encoding="utf-8"))
    assert [i["id"] for i in written["initiatives"]] == [i["id"] for i in make_plan(doc)["initiatives"]]
    other = tmp_path / "other.json"
    other.write_text('{"rows": []}', encoding="utf-8")
    refused = CliRunner().invoke(app, ["plan", str(other), "--out", str(tmp_path / "p2")])
    assert refused.exit_code != 0 and "not a diagnosis.json" in refused.output
