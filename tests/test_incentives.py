"""Incentives vs outcomes: a fast vendor whose closes come back is flagged, healthy parties are not."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cxray import schema as S
from cxray.engine import Engine
from cxray.errors import ConfigError
from cxray.incentives import IncentiveAssessment, Party, assess_incentives, load_parties
from cxray.options import AnalysisOptions
from cxray.testing import load_rows

T0 = datetime(2024, 1, 1, 9, 0, 0)


def _contact(
    cid: str, cust: str, day: float, team: str | None, dur: float, **kw: Any
) -> list[dict[str, Any]]:
    base = {S.CONTACT_ID: cid, S.CUSTOMER_ID: cust, S.REASON: "billing", S.TEAM: team, **kw}
    kw.setdefault(S.ACTOR_TYPE, "agent")
    start = T0 + timedelta(days=day)
    return [
        {**base, S.ACTOR_TYPE: kw[S.ACTOR_TYPE], S.TIMESTAMP: start, S.ACTIVITY: "open", S.DURATION_S: 0.0},
        {**base, S.ACTOR_TYPE: kw[S.ACTOR_TYPE], S.TIMESTAMP: start + timedelta(seconds=dur),
         S.ACTIVITY: "close", S.DURATION_S: dur, S.OUTCOME: kw.get(S.OUTCOME, S.RESOLVED)},
    ]  # fmt: skip


def _centre() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in range(40):  # VendorFast: 2-minute closes, every other one comes back to Tier2 for 15 minutes
        rows += _contact(f"v{i:02d}", f"cv{i}", i % 30, "VendorFast", 120)
        if i % 2 == 0:
            rows += _contact(f"v{i:02d}r", f"cv{i}", i % 30 + 2, "Tier2", 900)
    for i in range(40):  # TeamGood: 5 minutes, 2 of 40 come back
        rows += _contact(f"g{i:02d}", f"cg{i}", i % 30, "TeamGood", 300)
        if i % 20 == 0:
            rows += _contact(f"g{i:02d}r", f"cg{i}", i % 30 + 2, "Tier2", 900)
    for i in range(30):  # the bot "contains" all, half come back to TeamGood the next day
        rows += _contact(f"b{i:02d}", f"cb{i}", i % 30, None, 60, actor_type="bot", channel="bot",
                         outcome=S.CONTAINED)  # fmt: skip
        if i % 2:
            rows += _contact(f"b{i:02d}r", f"cb{i}", i % 30 + 1, "TeamGood", 400)
    rows += _contact("zz", "czz", 60, "Tier2", 60)  # data ends later: nothing above is censored
    return rows


@pytest.fixture
def assessed(engine: Engine) -> IncentiveAssessment:
    load_rows(engine, _centre())
    return assess_incentives(engine)


def test_party_table_puts_kpi_beside_outcomes(assessed: IncentiveAssessment) -> None:
    t = {p["party"]: p for p in assessed.parties}
    assert assessed.kpi_source == "default" and set(t) == {"VendorFast", "TeamGood", "Tier2", "bot"}
    v = t["VendorFast"]
    assert (v["kpi"], v["kpi_value"], v["closed"], v["repeats_caused"], v["repeat_rate"]) == (
        "handle_time", 120.0, 40, 20, 0.5,
    )  # fmt: skip
    assert v["true_resolution"] == 0.5 and v["repeat_handle_s"] == 900.0
    g = t["TeamGood"]  # its own 40 closes plus the 15 bot follow-ups; 2 repeats
    assert (g["closed"], g["repeats_caused"], g["handle_s"]) == (55, 2, round((40 * 300 + 15 * 400) / 55, 1))
    b = t["bot"]
    assert (b["kpi"], b["containment"], b["true_containment"], b["transfer_out_rate"]) == (
        "containment",
        1.0,
        0.5,
        0.0,
    )
    # cost per resolved: own contacts (2 min at 1.00) plus the repeats they caused (15 min), per resolution
    assert v["cost_per_resolved"] == round((40 * 2.0 + 20 * 15.0) / 20, 2)


def test_fast_vendor_and_false_containment_are_flagged_healthy_parties_are_not(
    assessed: IncentiveAssessment,
) -> None:
    found = {(f["code"], next(iter(f["where"].values()))): f for f in map(_as_dict, assessed.findings)}
    assert set(found) == {("IN01", "VendorFast"), ("IN02", "bot")}
    v = found[("IN01", "VendorFast")]
    baseline = 2 / (55 + 22)  # TeamGood and Tier2 pooled ("zz" at the end of the data is censored)
    assert v["avoidable_contacts"] == round((0.5 - baseline) * 40, 1)
    assert v["avoidable_minutes"] == round((0.5 - baseline) * 40 * 15, 1)
    assert v["avoidable_cost"] == round((0.5 - baseline) * 40 * 15.0, 2)
    assert v["evidence"]["migrates_to"] == [
        {"party": "Tier2", "contacts": 20, "handle_s": 900.0, "longer_than_own": 7.5}
    ]
    assert v["evidence"]["examples"] == ["v00", "v02", "v04", "v06", "v08"]
    b = found[("IN02", "bot")]
    # 15 of the bot's 30 contained sessions came back; avoidable beyond the human parties' pooled repeat
    # rate: 20 + 2 + 0 repeats of 40 + 55 + 22 uncensored closes (VendorFast, TeamGood, Tier2)
    assert (b["contacts_affected"], b["customers_affected"]) == (15, 15)
    assert b["avoidable_contacts"] == round(15 - 30 * 22 / 117, 1)
    assert b["evidence"]["migrates_to"][0]["party"] == "TeamGood"
    assert [f["code"] for f in map(_as_dict, assessed.findings)] == ["IN01", "IN02"]  # by avoidable cost


def test_a_missed_declared_target_is_not_a_misalignment(engine: Engine) -> None:
    """VendorFast misses a declared 100 s handle-time target, so its KPI does not hide anything."""
    load_rows(engine, _centre())
    r = assess_incentives(engine, parties=(Party(name="VendorFast", kpi="handle_time", target=100),))
    assert r.kpi_source == "declared"
    assert "IN01" not in {_as_dict(f)["code"] for f in r.findings}


def test_kpi_improving_while_outcome_worsens(engine: Engine) -> None:
    rows: list[dict[str, Any]] = []
    for i in range(60):  # weeks 0-3: 10 min, no repeats; weeks 4-8: 3 min, every other contact returns
        day = i
        late = day >= 30
        rows += _contact(f"t{i:02d}", f"ct{i}", day, "Trend", 180 if late else 600)
        if late and i % 2 == 0:
            rows += _contact(f"t{i:02d}r", f"ct{i}", day + 1, "Other", 600)
    for i in range(60):
        rows += _contact(f"o{i:02d}", f"co{i}", i, "Other", 600)
    rows += _contact("zz", "czz", 90, "Other", 60)
    load_rows(engine, rows)
    codes = {(_as_dict(f)["code"], _as_dict(f)["where"][S.TEAM]) for f in assess_incentives(engine).findings}
    assert ("IN03", "Trend") in codes
    assert not any(party == "Other" for _, party in codes)


def test_load_parties(tmp_path: Path) -> None:
    p = tmp_path / "parties.yaml"
    p.write_text(
        "parties:\n  - {name: VendorA, kpi: handle_time, target: 240}\n  - {name: bot, kpi: containment}\n"
    )
    assert load_parties(p) == (
        Party(name="VendorA", kpi="handle_time", target=240),
        Party(name="bot", kpi="containment"),
    )
    p.write_text("parties:\n  - {name: VendorA, kpi: smiles}\n")
    with pytest.raises(ConfigError, match=r"parties\[0\].kpi: .*unknown kpi 'smiles'"):
        load_parties(p)
    p.write_text("parties:\n  - {name: VendorA, kpi: handle_time, target: fast}\n")
    with pytest.raises(ConfigError, match=r"parties\[0\].target"):
        load_parties(p)
    p.write_text("partys: []\n")
    with pytest.raises(ConfigError, match="parties"):
        load_parties(p)


def _as_dict(f: Any) -> dict[str, Any]:
    return f if isinstance(f, dict) else f.to_dict()


def test_diagnose_assesses_once_and_each_code_has_its_own_detector() -> None:
    """In a diagnosis the IN01-IN03 detectors read the one assessment and the section lists their findings."""
    from cxray import diagnose
    from cxray.findings import registered_detectors
    from cxray.testing import events_table

    detectors = registered_detectors()
    assert {"IN01", "IN02", "IN03"} <= set(detectors) and "IN" not in detectors
    steps: list[str] = []

    class Steps:
        def step(self, name: str) -> None:
            steps.append(name)

        def done(self) -> None:
            pass

    d = diagnose(events_table(_centre()), progress=Steps())
    assert steps.count("assessing incentives") == 1
    assert steps.index("assessing incentives") < steps.index("finding breakdowns")
    section = d.incentives
    assert list(section) == ["currency", "kpi_source", "parties", "findings"]
    assert {p["party"] for p in section["parties"]} == {"VendorFast", "TeamGood", "Tier2", "bot"}
    assert [f["code"] for f in section["findings"]] == ["IN01", "IN02"]
    assert section["findings"] == [f for f in d.all_findings if f["code"].startswith("IN")]


def test_durations_and_scores_are_staged_dyadic_so_every_sum_is_exact(engine: Engine) -> None:
    """Real exports log durations with fractions: summed per party and contact and averaged in a
    parallel aggregation, their last bits would follow the order threads add rows in. Staged as
    multiples of 2**-20 (sql.dyadic), every sum of them is exact, in any order."""
    import random

    from cxray.incentives.assessment import _EVENTS, _stage
    from cxray.journeys import build_journeys

    rng = random.Random(3)
    rows: list[dict[str, Any]] = []
    for i in range(60):
        contact = _contact(f"c{i:02d}", f"u{i % 17}", i % 30, "TeamGood", 60 + rng.random() * 600)
        contact.append({**contact[-1], S.ACTIVITY: "survey", S.DURATION_S: None})
        for row, score in zip(contact, ("1", "2", "4"), strict=True):  # a mean of thirds per contact
            row[S.SURVEY_SCORE] = score
        rows += contact
    load_rows(engine, rows)
    build_journeys(engine)
    _stage(engine, AnalysisOptions(), "_t_closer")
    for table, column in ((_EVENTS, "dur"), ("_t_closer", "score")):
        values = engine.fetchall(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL")
        assert values and any(v % 1 for (v,) in values)  # fractions there to round
        assert all(v * 2**20 == round(v * 2**20) for (v,) in values), (table, column)
