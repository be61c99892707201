"""Scenarios from the diagnosis: one per initiative, its text from the breakdown's evidence."""

from __future__ import annotations

from typing import Any

import pytest

from cxray.errors import ConfigError
from cxray.findings.finder import BreakdownDoc
from cxray.plan.initiatives import initiative_id
from cxray.plan.scenarios import scenarios


def breakdown(code: str, where: dict[str, str], evidence: dict[str, Any], contacts: int = 10) -> BreakdownDoc:
    doc: dict[str, Any] = {
        "rank": 1,
        "code": code,
        "title": f"{code} somewhere",
        "bucket": "technology design",
        "where": where,
        "contacts_affected": contacts,
        "evidence": evidence,
        "scope": "finding",
        "symptoms": [],
    }
    return doc  # type: ignore[return-value]


# --- totals ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def diagnosis(doc: dict[str, Any]) -> dict[str, Any]:
    return doc


def test_scenarios_from_a_simulated_diagnosis(diagnosis: dict[str, Any]) -> None:
    """One scenario per breakdown, in order, named after its initiative, with its volume and its failure
    points in the title."""
    breakdowns: list[BreakdownDoc] = diagnosis["breakdowns"]
    assert breakdowns
    pairs = [(initiative_id(b), b) for b in breakdowns]
    out = scenarios(pairs, 365 / 28)
    assert len(out) == len(breakdowns)
    assert len({s["id"] for s in out}) == len(out)
    for s, (iid, b) in zip(out, pairs, strict=True):
        assert s["id"] == f"S-{iid}" and s["initiative_id"] == iid
        assert s["volume"] == b["contacts_affected"]
        assert s["annual_volume"] == pytest.approx(b["contacts_affected"] * 365 / 28, abs=0.05)
        for value in b["where"].values():
            assert str(value) in s["title"], (value, s["title"])
        assert s["kind"] != "other" and s["description"].rstrip().endswith(".")
        if b["code"] == "TR01":  # the real numbers from the evidence
            ev = b["evidence"]
            assert f"{ev['transferred_onward']} of {ev['legs']}" in s["description"]
            assert s["title"].startswith(f"A {b['where']['reason']} contact reaches {b['where']['from']}")
    assert scenarios(pairs, 365 / 28) == out  # deterministic


def test_every_simulated_finding_makes_a_scenario(diagnosis: dict[str, Any]) -> None:
    """Not only the ranked top: every finding's evidence turns into text naming its failure points."""
    findings = diagnosis["all_findings"]
    out = scenarios([(f"{f['code']}-{i}", f) for i, f in enumerate(findings)], 1.0)
    for s, f in zip(out, findings, strict=True):
        assert all(str(v) in s["title"] for v in f["where"].values())
        assert "None" not in s["description"]


@pytest.mark.parametrize(
    "code", ["TR01", "PP01", "MH01", "CL01", "BO01", "WT01", "AB01", "LP01", "RP01", "DE01", "FC01", "IN01",
             "IN02", "IN03", "XX99"],
)  # fmt: skip
def test_missing_evidence_never_crashes(code: str) -> None:
    """A breakdown with no evidence (or a user's own detector) still gets a scenario naming where it is."""
    where = {"queue": "Claims desk", "reason": "lost_parcel"}
    (s,) = scenarios([("X-1", breakdown(code, where, {}))], 2.0)
    assert "Claims desk" in s["title"] and "lost_parcel" in s["title"]
    assert s["description"] and s["volume"] == 10 and s["annual_volume"] == 20


def test_an_unknown_detector_gets_a_generic_scenario_from_its_evidence() -> None:
    b = breakdown(
        "XX99", {"queue": "Claims desk"}, {"flow": ["Claims desk -> Legal"], "baseline": "elsewhere"}
    )
    (s,) = scenarios([("XX99-claims-desk", b)], 1.0)
    assert s["kind"] == "other"
    assert "Claims desk -> Legal" in s["description"] and "10 contacts" in s["description"]


def test_wrongly_typed_evidence_is_ignored() -> None:
    b = breakdown(
        "TR01",
        {"from": "Orders phone", "to": "Billing phone"},
        {"legs": "many", "transferred_onward": True, "destinations": "Billing phone", "flow": None},
    )
    (s,) = scenarios([("TR01-orders-phone", b)], 1.0)
    assert "many" not in s["description"] and "True" not in s["description"]
    assert s["title"] == "A contact reaches Orders phone and must get to Billing phone"


def test_a_repeated_initiative_id_still_gives_unique_scenario_ids() -> None:
    b = breakdown("MH01", {}, {})
    assert [s["id"] for s in scenarios([("MH01", b), ("MH01", b)], 1.0)] == ["S-MH01", "S-MH01-2"]


def test_a_negative_annualisation_is_refused() -> None:
    with pytest.raises(ConfigError):
        scenarios([], -1.0)


def test_a_dead_end_says_how_many_more_were_still_open() -> None:
    ev = {"contacts": 45, "no_outcome": 42, "dead_end_rate": 0.9333, "baseline_rate": 0.1126}
    b = breakdown(
        "DE01",
        {"activity": "Queued - Awaiting Assignment"},
        ev | {"still_open": 27, "open_within_days": 68.65},
    )
    (s,) = scenarios([("DE01-queued", b)], 1.0)
    assert "42 of 45 contacts ending at 'Queued - Awaiting Assignment' had no outcome" in s["description"]
    assert "27 more ending there were silent for less than 68.7 days" in s["description"]
    (s,) = scenarios([("DE01-queued", breakdown("DE01", b["where"], ev | {"still_open": 0}))], 1.0)
    assert "still open" not in s["description"]
