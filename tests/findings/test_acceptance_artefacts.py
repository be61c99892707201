"""Acceptance with real-export artefacts: the planted breakdowns still rank on top and no artefact does.

Every built-in scenario gets the simulator's artefacts (bulk identities, missing-value markers, night calls
into a closed centre, a mistyped year, unidentified contacts; ``cxray.simulate.Artefacts``) and is diagnosed
the way a user would, with ``cxray.diagnose``. The guards (docs/data-quality.md) must report each
artefact exactly as the ground truth says it was planted, and keep every one of them out of the top.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from test_acceptance import DAYS, SCALE, _matches

from cxray import diagnose
from cxray import schema as S

simulate_mod = pytest.importorskip("cxray.simulate")

SEEDS = (1, 2)
MARKER = re.compile(r"^(empty|\?|n/a|unknown)$", re.IGNORECASE)


def _run(scenario: str, seed: int) -> tuple[Any, dict]:
    centre = simulate_mod.load_scenario(scenario)
    sim = simulate_mod.simulate(
        centre, seed=seed, days=DAYS, customers=centre.customers // SCALE, artefacts=simulate_mod.Artefacts()
    )
    return diagnose(sim.events), sim.ground_truth


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("scenario", simulate_mod.builtin_scenarios())
def test_planted_breakdowns_rank_on_top_and_no_artefact_does(scenario, seed):
    d, truth = _run(scenario, seed)
    art = truth["artefacts"]
    ranked = [f for f in d.all_findings if f["rank"]]

    planted: dict[str, int | None] = {}
    for b in truth["breakdowns"]:
        if b["enabled"] and not b["decoy"]:
            hits = [f["rank"] for f in ranked if _matches(b["kind"], b["entities"], f)]
            planted[b["name"]] = min(hits) if hits else None
    assert planted and all(r is not None for r in planted.values()), planted
    top = len(planted) + 2  # as the acceptance test without artefacts allows
    assert max(planted.values()) <= top, planted  # type: ignore[type-var]

    bulk = art["bulk_identities"]
    closed = set(range(*art["night_calls"]["closed_hours"]))
    for f in ranked[:top]:
        assert not any(MARKER.match(str(v)) for v in f["where"].values()), f["title"]
        if f["code"] == "AB01":
            assert not set(f["evidence"]["hours"]) & closed, f["title"]
        if f["code"] == "RP01":  # the bulk ids' repeats are not a repeat-contact hot spot
            for b in bulk:
                assert f["where"] not in ({S.QUEUE: b["queue"]}, {S.TEAM: b["team"]}), f["title"]

    # Each artefact is reported exactly as planted.
    dq = d.data_quality
    assert {b.customer_id for b in dq.bulk_identities} == {b["customer_id"] for b in bulk}
    assert dq.excluded_contacts == sum(b["n_contacts"] for b in bulk)
    assert dq.outlier_events == len(art["mistyped_years"])
    assert dq.analysed_end < min(m["wrong"] for m in _parsed(art["mistyped_years"]))
    assert dq.out_of_hours_contacts >= art["night_calls"]["n_contacts"]
    assert d.input.missing_markers == dict(sorted(art["missing_markers"]["columns"].items()))
    codes = {w.code for w in dq.warnings}
    assert {"bulk_identities", "timestamp_outliers", "out_of_hours", "missing_markers"} <= codes
    assert "unidentified_contacts" in codes


def _parsed(mistyped: list[dict]) -> list[dict]:
    from datetime import UTC, datetime

    def naive_utc(text: str) -> datetime:
        t = datetime.fromisoformat(str(text))
        return t if t.tzinfo is None else t.astimezone(UTC).replace(tzinfo=None)

    return [{**m, "wrong": naive_utc(m["wrong"])} for m in mistyped]
