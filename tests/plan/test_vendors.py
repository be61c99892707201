"""Vendor evaluation: scenario fit weighted by volume, weighted totals, and the ±20% weight check."""

from __future__ import annotations

from typing import Any

import pytest

from cxray.errors import ConfigError
from cxray.plan.context import VendorContext
from cxray.plan.scenarios import ScenarioDoc
from cxray.plan.vendors import evaluate_vendors

AREAS = ["workflow", "data", "service_model", "control", "adoption"]


def vendor(name: str, scenario_scores: dict[str, Any] | None = None, **scores: Any) -> VendorContext:
    return VendorContext(name, scores=scores, scenario_scores=scenario_scores or {})


def scenario(sid: str, volume: float) -> ScenarioDoc:
    return {
        "id": sid,
        "initiative_id": sid[2:],
        "kind": "transfer",
        "title": sid,
        "description": sid,
        "volume": volume,
        "annual_volume": volume * 13,
    }


def test_total_is_the_normalised_weighted_sum_by_hand() -> None:
    """Weights normalise to 1 (unset areas weigh 1.0) and each total is sum(weight * score)."""
    ev = evaluate_vendors(
        [
            vendor("Alpha", workflow=5, data=2, service_model=3, control=4, adoption=1),
            vendor("Beta", workflow=3, data=5, service_model=5, control=5, adoption=5),
        ],
        [],
        {"workflow": 3.0, "data": 1.0},
    )
    assert ev is not None
    # Weights 3, 1, 1, 1, 1 out of 7.
    assert ev["weights"] == pytest.approx({"workflow": 3 / 7, **{a: 1 / 7 for a in AREAS[1:]}}, abs=1e-4)
    totals = {v["name"]: v["total"] for v in ev["vendors"]}
    assert totals["Alpha"] == pytest.approx((3 * 5 + 2 + 3 + 4 + 1) / 7, abs=1e-4)  # 3.5714
    assert totals["Beta"] == pytest.approx((3 * 3 + 5 + 5 + 5 + 5) / 7, abs=1e-4)  # 4.1429
    assert [v["name"] for v in ev["vendors"]] == ["Beta", "Alpha"]
    assert ev["winner"] == "Beta"
    assert ev["areas"] == AREAS


def test_scenario_fit_is_weighted_by_volume_and_replaces_workflow() -> None:
    """A scenario standing for 300 contacts counts three times one standing for 100; unscored ones are
    listed, not averaged in."""
    scs = [scenario("S-a", 300), scenario("S-b", 100), scenario("S-c", 50)]
    ev = evaluate_vendors(
        [vendor("Alpha", {"S-a": 2, "S-b": 5}, workflow=5, data=3, service_model=3, control=3, adoption=3)],
        scs,
        {},
    )
    assert ev is not None
    (alpha,) = ev["vendors"]
    assert alpha["scenario_fit"] == pytest.approx((300 * 2 + 100 * 5) / 400)  # 2.75, not the plain mean 3.5
    assert alpha["area_scores"]["workflow"] == pytest.approx(2.75)
    assert alpha["total"] == pytest.approx((2.75 + 3 * 4) / 5, abs=1e-4)
    assert alpha["missing"] == ["S-c"]
    assert ev["scenarios"] == ["S-a", "S-b", "S-c"]


def test_without_scenario_scores_the_workflow_area_score_stands() -> None:
    ev = evaluate_vendors([vendor("Alpha", workflow=4)], [scenario("S-a", 10)], {})
    assert ev is not None
    assert ev["vendors"][0]["scenario_fit"] is None
    assert ev["vendors"][0]["area_scores"]["workflow"] == 4


def test_unscored_areas_count_as_the_worst_and_are_listed() -> None:
    ev = evaluate_vendors([vendor("Alpha", data=4)], [scenario("S-a", 10)], {})
    assert ev is not None
    (alpha,) = ev["vendors"]
    assert alpha["area_scores"] == {"workflow": 1.0, "data": 4.0, "service_model": 1.0, "control": 1.0,
                                    "adoption": 1.0}  # fmt: skip
    assert alpha["missing"] == ["workflow", "service_model", "control", "adoption", "S-a"]
    assert alpha["total"] == pytest.approx((1 + 4 + 1 + 1 + 1) / 5)


# --- the ±20% check -------------------------------------------------------------------------------------
def test_a_lead_resting_on_one_heavy_weight_is_not_robust() -> None:
    """Alpha leads only through workflow (weight 3.5): at 2.8 (-20%) Beta wins, so the result is fragile."""
    ev = evaluate_vendors(
        [
            vendor("Alpha", workflow=5, data=1, service_model=1, control=1, adoption=1),
            vendor("Beta", workflow=1, data=4, service_model=4, control=4, adoption=4),
        ],
        [],
        {"workflow": 3.5},
    )
    assert ev is not None
    # Alpha (3.5*5 + 4*1) / 7.5 = 2.8667; Beta (3.5*1 + 4*4) / 7.5 = 2.6.
    assert {v["name"]: v["total"] for v in ev["vendors"]} == pytest.approx({"Alpha": 2.8667, "Beta": 2.6})
    assert ev["winner"] == "Alpha"
    assert ev["robust"] is False
    flips = [(s["area"], s["change"], s["winner"]) for s in ev["sensitivity"] if s["changes_winner"]]
    assert flips == [("workflow", -0.2, "Beta")]  # at 2.8: Alpha 18/6.8 = 2.647, Beta 18.8/6.8 = 2.765
    assert len(ev["sensitivity"]) == 10
    assert "workflow" in ev["verdict"] and "Beta" in ev["verdict"]


def test_a_clear_winner_is_robust() -> None:
    ev = evaluate_vendors(
        [
            vendor("Alpha", workflow=5, data=5, service_model=4, control=5, adoption=4),
            vendor("Beta", workflow=2, data=3, service_model=2, control=3, adoption=2),
        ],
        [],
        {"workflow": 3.5},
    )
    assert ev is not None
    assert ev["winner"] == "Alpha"
    assert ev["robust"] is True
    assert {s["winner"] for s in ev["sensitivity"]} == {"Alpha"}
    assert "stays ahead" in ev["verdict"]


def test_a_tie_at_the_top_has_no_winner() -> None:
    ev = evaluate_vendors([vendor("Beta", data=3), vendor("Alpha", control=3)], [], {})
    assert ev is not None
    assert ev["winner"] is None
    assert ev["robust"] is False
    assert [v["name"] for v in ev["vendors"]] == ["Alpha", "Beta"]  # equal totals: by name
    assert ev["verdict"].startswith("No winner")


def test_no_vendors_no_evaluation() -> None:
    assert evaluate_vendors([], [scenario("S-a", 1)], {}) is None


# --- mistakes -------------------------------------------------------------------------------------------
def test_an_unknown_scenario_id_is_a_config_error() -> None:
    """A typo in a scenario id must not silently drop the score."""
    with pytest.raises(ConfigError) as err:
        evaluate_vendors(
            [vendor("Alpha", {"S-TR01-ordres-phone": 4})], [scenario("S-TR01-orders-phone", 5)], {}
        )
    message = str(err.value)
    assert "Alpha" in message and "S-TR01-ordres-phone" in message and "S-TR01-orders-phone" in message


@pytest.mark.parametrize(
    "weights", [{"workflw": 1.0}, {"workflow": -1.0}, {a: 0.0 for a in AREAS}, {"data": float("nan")}]
)
def test_bad_weights_are_config_errors(weights: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        evaluate_vendors([vendor("Alpha", data=3)], [], weights)


# --- scenarios ------------------------------------------------------------------------------------------
