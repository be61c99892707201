"""A simulated centre's diagnosis (every breakdown listed) and its ground truth, shared by the plan tests."""

from __future__ import annotations

import pytest

from cxray import DiagnoseOptions, diagnose
from cxray.simulate import load_scenario, simulate


@pytest.fixture(scope="session")
def simulated():
    """``(diagnosis document, ground truth)`` of the default centre, all its breakdowns ranked."""
    result = simulate(load_scenario("default"), seed=7, days=28, customers=3000)
    return diagnose(result.events, DiagnoseOptions(top=20)).to_dict(), result.ground_truth


@pytest.fixture(scope="session")
def doc(simulated):
    return simulated[0]
