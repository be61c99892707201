"""One initiative per breakdown, from the catalogue, in a lane, its screens scored; the context applied."""

from __future__ import annotations

import pytest

from cxray.errors import ConfigError
from cxray.findings import registered_detectors
from cxray.metrics import METRICS
from cxray.plan import LANES, PlanContext, catalogue, make_plan
from cxray.plan.context import Match
from cxray.plan.initiatives import initiative_id, matches, parse_catalogue

# The lane each planted kind's fix belongs in (docs/plan.md), by the detector that leads its breakdown.
EXPECTED_LANE = {"IN01": "policy", "RP01": "immediate", "BO01": "redesign", "PP01": "redesign",
                 "TR01": "platform", "CL01": "platform", "FC01": "platform", "AB01": "immediate",
                 "WT01": "policy", "IN02": "policy", "IN03": "policy"}  # fmt: skip
# The detector (and where) that names each planted kind, as the acceptance tests match them.
PLANTED = {
    "vendor_pressure": lambda b, e: b["code"] in ("IN01", "RP01", "IN03")
    and b["where"].get("team") == e["team"],
    "misrouted_handoff": lambda b, e: b["code"] == "TR01" and b["where"].get("queue") == e["queue"],
    "context_loss": lambda b, e: b["code"] == "CL01" and b["where"].get("to") == e["queue"],
    "back_office_black_hole": lambda b, e: b["code"] == "BO01" and b["where"].get("queue") == e["queue"],
    "ping_pong": lambda b, e: b["code"] == "PP01" and {b["where"].get("from"), b["where"].get("to")}
    == {e["from"], e["to"]},
    "false_containment": lambda b, e: b["code"] == "FC01" and b["where"].get("reason") == e["reason"],
    "abandonment_hot_spot": lambda b, e: b["code"] == "AB01" and b["where"].get("queue") == e["queue"],
}  # fmt: skip


def test_every_built_in_detector_has_a_candidate_fix_and_a_metric_that_exists():
    """A detector added without a catalogue entry fails here: every breakdown must propose something."""
    assert set(registered_detectors()) <= set(catalogue())
    for code, entry in catalogue().items():
        assert entry.metric in METRICS, code
        assert entry.target_workflow and entry.fix, code


def test_each_planted_breakdown_yields_exactly_one_initiative_in_its_lane(simulated):
    doc, truth = simulated
    plan = make_plan(doc)
    by_rank = {b["rank"]: b for b in doc["breakdowns"]}
    found_kinds = 0
    for planted in truth["breakdowns"]:
        match = PLANTED.get(planted["kind"])
        if match is None:
            continue
        mine = [i for i in plan["initiatives"] if match(by_rank[i["breakdown_rank"]], planted["entities"])]
        if not any(match(b, planted["entities"]) for b in doc["breakdowns"]):
            continue  # not among this run's breakdowns (the acceptance tests own recall)
        found_kinds += 1
        assert len(mine) == 1, (planted["kind"], [i["id"] for i in mine])
        assert mine[0]["lane"] == EXPECTED_LANE[mine[0]["code"]], mine[0]["id"]
    assert found_kinds >= 5


def test_each_breakdown_proposes_one_initiative_scored_and_ordered(doc):
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


def test_effects_follow_the_diagnosis(doc):
    """The breakdown with the largest share of the avoidable cost scores the highest operational effect."""
    found = make_plan(doc)["initiatives"]
    top_cost = max(doc["breakdowns"], key=lambda b: b["share_of_avoidable_cost"])
    best = max(i["operational_effect"]["score"] for i in found)
    assert (
        next(i for i in found if i["breakdown_rank"] == top_cost["rank"])["operational_effect"]["score"]
        == best
    )


def test_success_is_the_findings_own_number_with_its_peer_baseline_as_the_default_target(doc):
    """TR01 is measured on its own transfer-onward rate at the failure point; the target is its peers'."""
    tr = next(i for i in make_plan(doc)["initiatives"] if i["code"] == "TR01")
    evidence = next(b for b in doc["breakdowns"] if b["code"] == "TR01")["evidence"]
    measure = tr["success_measure"]
    assert measure["measure"] == "transfer_rate" and measure["direction"] == "down"
    assert measure["baseline"] == evidence["transfer_rate"] and measure["target"] == evidence["baseline_rate"]
    assert measure["target_source"] == "peer baseline" and tr["where"]["queue"] in measure["scope"]
    assert tr["business_metric"]["metric"] == "transfer_rate"
    assert tr["business_metric"]["value"] == doc["metrics"]["overall"]["transfer_rate"]
    # Without a number of its own (PP01 has no peer rate), the target waits for the owner.
    pp = next(i for i in make_plan(doc)["initiatives"] if i["code"] == "PP01")
    assert pp["success_measure"]["target"] is None and pp["success_measure"]["target_source"] is None
    assert any(q["key"] == "measure" and q["needs"] for q in pp["questions"])


def test_the_context_overrides_what_it_matches_and_says_so(doc):
    bo = next(b for b in doc["breakdowns"] if b["code"] == "BO01")
    context = PlanContext.from_dict(
        {
            "initiatives": [
                {
                    "match": {"queue": bo["where"]["queue"]},
                    "lane": "platform",
                    "complexity": 5,
                    "one_off_cost": 9000,
                },
                {"match": {"code": "BO01"}, "complexity": 4},  # later entries win, key by key
                {"match": {"id": "XX01-nowhere"}, "owner": "nobody"},
            ]
        }
    )
    plan = make_plan(doc, context)
    i = next(i for i in plan["initiatives"] if i["code"] == "BO01")
    assert i["lane"] == "platform" and i["lane_label"] == LANES["platform"]
    assert i["delivery_complexity"] == {"score": 4, "reason": "set in the context"}
    assert (
        i["one_off_cost"] == 9000
        and i["sources"]["lane"] == "context"
        and i["sources"]["systems"] == "catalogue"
    )
    assert any("initiatives[2]" in w and "matches no initiative" in w for w in plan["warnings"])


def test_a_match_needs_every_key_and_a_queue_matches_either_end_of_a_transfer(doc):
    tr = next(b for b in doc["breakdowns"] if b["code"] == "TR01")
    iid = initiative_id(tr)
    assert matches(Match(queue=tr["where"]["to"]), iid, tr)
    assert matches(Match(code="TR01", reason=tr["where"]["reason"]), iid, tr)
    assert not matches(Match(code="TR01", reason="something else"), iid, tr)
    assert not matches(Match(code="PP01"), iid, tr)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"initiatives": {"XX01": {"fix": "x"}}}, "missing"),
        ({"initiatives": {"XX01": {**dict.fromkeys(["fix", "systems", "approvals", "cost_band",
                                                    "target_workflow", "metric"], "x"), "direction": "down",
                                   "measure": None, "measure_target": None, "measure_direction": "down",
                                   "lane": "someday", "complexity": 1, "dependency_risk": 1}}}, "lane"),
        ({"fixes": {}}, "initiatives"),
    ],
)  # fmt: skip
def test_a_bad_catalogue_is_refused_by_key(body, message):
    with pytest.raises(ConfigError, match=message):
        parse_catalogue(body, path="mine.yaml")


def test_dependency_risk_rises_for_what_is_declared_or_left_open(doc):
    """A platform change nobody has said the vendors can make is riskier; saying so lowers it again."""
    tr = next(i for i in make_plan(doc)["initiatives"] if i["code"] == "TR01")
    entry = catalogue()["TR01"]
    assert tr["lane"] == "platform" and "vendor capability unknown" in tr["dependency_risk"]["reason"]
    assert tr["dependency_risk"]["score"] == entry.dependency_risk + 1
    answered = PlanContext.from_dict({"readiness": {"vendor": "yes, within a quarter"}})
    tr2 = next(i for i in make_plan(doc, answered)["initiatives"] if i["code"] == "TR01")
    assert (
        tr2["dependency_risk"]["score"] == entry.dependency_risk
        and "vendor" not in tr2["dependency_risk"]["reason"]
    )
    bo = next(i for i in make_plan(doc)["initiatives"] if i["code"] == "BO01")  # not a platform change
    assert "vendor" not in bo["dependency_risk"]["reason"]
