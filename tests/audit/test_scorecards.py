"""Scorecards: strict YAML, composites from shared definitions, and the "resolved" definitions check."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cxray.audit.scorecards import definitions_check, load_scorecards, parse_scorecards, scorecards
from cxray.engine import Engine
from cxray.errors import ConfigError
from cxray.journeys import build_journeys
from cxray.testing import load_rows

START = datetime(2026, 3, 2)

SPEC = """
parties:
  - {name: Nexa BPO, team: Nexa}
  - {name: Care, team: Care}
weights: {fcr: 2, handle_time_mean_s: 1}
pairs:
  - {leading: fcr, lagging: csat}
definitions: {threshold: 0.2, min_contacts: 20}
"""


def stage(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """The audit contract's tables (every contact after the change, no groups needed here)."""
    load_rows(engine, rows)
    build_journeys(engine)
    engine.execute(
        """CREATE OR REPLACE TABLE audit_contacts AS
        SELECT c.*, NULL AS audit_group, 'after' AS audit_period, 0 AS audit_week FROM contacts c"""
    )


def party_log(
    team: str, n: int, resolved: float, come_back: float, minutes: float, csat: float
) -> list[dict]:
    """``n`` customers of ``team``: a share marked resolved, a share calling again the next day."""
    rows: list[dict] = []
    for i in range(n):
        t = START + timedelta(hours=i)
        cust = f"{team}-{i}"
        base = {"customer_id": cust, "team": team, "reason": "billing", "activity": "Handle"}
        outcome = "resolved" if i < round(resolved * n) else "closed"
        rows.append({**base, "contact_id": f"{cust}-1", "timestamp": t, "outcome": outcome,
                     "duration_s": minutes * 60, "csat": str(csat)})  # fmt: skip
        if i >= n - round(come_back * n):
            again = {"contact_id": f"{cust}-2", "timestamp": t + timedelta(days=1), "outcome": "resolved"}
            rows.append({**base, **again, "duration_s": minutes * 60, "team": "Second line"})
    return rows


def logs() -> list[dict]:
    rows = party_log("Nexa", 100, resolved=0.9, come_back=0.5, minutes=5, csat=3.0)
    rows += party_log("Care", 100, resolved=0.6, come_back=0.1, minutes=10, csat=4.5)
    rows.append({"contact_id": "end", "customer_id": "z", "timestamp": START + timedelta(days=30),
                 "activity": "Handle", "team": "Late"})  # fmt: skip
    return rows


def test_a_party_marking_90_percent_resolved_while_half_come_back_is_flagged() -> None:
    """Nexa reports 90% resolved but 50% come back (a 40-point gap): flagged; Care reports 60% with 10%
    coming back: not flagged."""
    with Engine() as e:
        stage(e, logs())
        got = scorecards(e, parse_scorecards(SPEC))
        teams = definitions_check(e, by="team")
    cards = {c.party: c for c in got.cards}
    nexa = cards["Nexa BPO"].definitions
    assert nexa.reported_resolved == pytest.approx(0.9) and nexa.not_came_back == pytest.approx(0.5)
    assert nexa.flagged and "90% resolved while 50% came back" in nexa.reason
    assert not cards["Care"].definitions.flagged
    assert got.flagged == ("Nexa BPO",)
    assert teams[0].party == "Nexa" and teams[0].flagged
    assert {c.party for c in teams if c.flagged} == {"Nexa"}


def test_composite_by_hand_and_a_leading_lagging_pair() -> None:
    """FCR 50% vs 90%, handle time 5 vs 10 minutes: composite = (2·fcr + best/ht) / 3 — Nexa (2·0.5 + 1)/3,
    Care (2·0.9 + 0.5)/3; Care's FCR and CSAT both beat the total (agree)."""
    with Engine() as e:
        stage(e, logs())
        got = scorecards(e, parse_scorecards(SPEC))
    cards = {c.party: c for c in got.cards}
    assert dict(cards["Nexa BPO"].values)["fcr"] == pytest.approx(0.5)
    assert cards["Nexa BPO"].composite == pytest.approx((2 * 0.5 + 1.0) / 3)
    assert cards["Care"].composite == pytest.approx((2 * 0.9 + 0.5) / 3)
    assert got.cards[0].party == "Care"
    (pair,) = cards["Care"].pairs
    assert pair.lagging_value == pytest.approx(4.5) and pair.agree is True
    assert got.to_dict()["cards"][0]["party"] == "Care"


def test_source_file_parties_and_missing_measures() -> None:
    """A party by source file gets the contacts of that file's events; a measure with no value is missing,
    not a zero."""
    rows = [
        dict(r, source_file="crm.csv" if r["customer_id"].startswith("Care") else "nexa.csv") for r in logs()
    ]
    spec = parse_scorecards(
        "parties: [{name: CRM, source_file: crm.csv}]\nweights: {fcr: 1, containment_rate: 1}\n"
    )
    with Engine() as e:
        stage(e, rows)
        got = scorecards(e, spec)
    (card,) = got.cards
    assert card.contacts == 110 and card.missing == ("containment_rate",)
    assert card.composite == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("parties: [{name: A, team: A, colour: red}]", "parties[0].colour: unknown key"),
        ("parties: [{name: A, team: A}]\nweights: {speed: 1}", "weights.speed: unknown key"),
        ("parties: [{name: A, team: A}]\nweights: {fcr: -1}", "weights.fcr: expected a number"),
        ("parties: [{name: A, team: A}]\npairs: [{leading: fcr, lagging: nps}]", "pairs[0].lagging"),
        ("parties: [{name: A}]", "parties[0]: needs exactly one"),
        ("parties: [{name: A, team: A}]\nextra: 1", "extra: unknown key"),
        ("parties: [{name: A, team: A}]\ndefinitions: {threshold: 2}", "definitions.threshold"),
    ],
)
def test_unknown_keys_and_bad_values_name_the_file_and_key(tmp_path: Path, text: str, where: str) -> None:
    """Every mistake is a ConfigError naming the file and the key."""
    path = tmp_path / "scorecards.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_scorecards(path)
    assert "scorecards.yaml" in str(info.value) and where in str(info.value)
