"""Perception beside operations, on tables built by hand: a breakdown's contacts against the others, an
alert beside its segment's operation, nested alerts explained by the one that caused them."""

from __future__ import annotations

import pytest

from cxray.engine import Engine
from cxray.findings.finder import FINDING_CONTACTS
from cxray.voc.perception import breakdown_voice, explain_nested, pair_alerts
from cxray.voc.responses import RESPONSES


@pytest.fixture
def engine():
    e = Engine(threads=2)
    # 200 contacts: c0..c99 in queue A (reason x), c100..c199 in queue B (reason y); weeks of 2024-03-04/11.
    e.execute(
        """
        CREATE TABLE contacts AS
        SELECT 'c' || i AS contact_id, 'u' || i AS customer_id,
               CASE WHEN i < 100 THEN 'x' ELSE 'y' END AS reason, 'phone' AS entry_channel,
               CASE WHEN i < 100 THEN 'A' ELSE 'B' END AS final_queue,
               't' AS final_team, TIMESTAMP '2024-03-04 09:00' + INTERVAL (i % 14) DAY AS start_ts,
               TIMESTAMP '2024-03-04 09:10' + INTERVAL (i % 14) DAY AS end_ts,
               (i % 5 = 0) AS has_repeat, (i % 7 = 0) AS is_transferred, 5.0 AS cost, FALSE AS is_censored
        FROM range(200) t(i)
        """
    )
    # CSAT: reason x's contacts of the first week (the breakdown's) answer 2 (not top-2), everyone else 5.
    e.execute(
        f"""
        CREATE TABLE {RESPONSES} AS
        SELECT row_number() OVER (ORDER BY contact_id) AS response_id, contact_id, customer_id,
               end_ts + INTERVAL 1 HOUR AS ts, CAST(date_trunc('week', end_ts) AS DATE) AS week,
               'csat' AS survey_type,
               CASE WHEN reason = 'x' AND start_ts < TIMESTAMP '2024-03-11' THEN 2.0 ELSE 5.0 END AS score,
               NULL AS verbatim, reason, entry_channel AS channel, final_queue AS queue, final_team AS team,
               'contact' AS matched_by
        FROM contacts
        """
    )
    e.execute(
        f"CREATE TABLE {FINDING_CONTACTS} AS SELECT 'TR01' AS code, 'Queue A transfers' AS title, contact_id "
        f"FROM {RESPONSES} WHERE score = 2"
    )
    yield e
    e.close()


def _breakdown(title: str, rank: int = 1) -> dict:
    return {"rank": rank, "code": "TR01", "title": title, "symptoms": []}


def test_a_breakdown_customers_feel_scores_lower_beyond_the_noise(engine):
    (row,) = breakdown_voice(engine, [_breakdown("Queue A transfers")])
    bad = engine.scalar(f"SELECT count(*) FROM {RESPONSES} WHERE score = 2")
    assert row["affected"] == {"responses": bad, "value": 0.0}
    assert row["unaffected"] == {"responses": 200 - bad, "value": 1.0}
    assert row["difference"] == -1.0 and row["upper"] < 0 and row["verdict"] == "felt"


def test_a_breakdown_with_too_few_surveyed_contacts_draws_no_interval(engine):
    keep = f"SELECT contact_id FROM {RESPONSES} WHERE score = 2 ORDER BY contact_id LIMIT 5"
    engine.execute(f"DELETE FROM {FINDING_CONTACTS} WHERE contact_id NOT IN ({keep})")
    (row,) = breakdown_voice(engine, [_breakdown("Queue A transfers")])
    assert row["verdict"] == "too few responses" and row["lower"] is None


def _alert(segment: dict, value: float, week: str = "2024-03-04") -> dict:
    return {"metric": "csat_top2", "segment": segment, "period_start": week, "value": value, "expected": 0.9,
            "lower": 0.8, "upper": 1.0, "responses": 100, "bad_share": 1 - value, "expected_bad_share": 0.1,
            "bad_limit": 0.2, "sigma_z": 1.0, "p_value": 1e-9, "q_value": 1e-8,
            "explained_by": None}  # fmt: skip


def test_a_wider_segment_whose_drop_one_reason_explains_says_so(engine):
    """Queue A's week holds all the bad answers; without reason x the whole centre's week is clean."""
    alerts = [_alert({"reason": "x"}, 0.4), _alert({}, 0.7), _alert({"queue": "B"}, 0.7)]
    out = explain_nested(engine, alerts, sigma=3.0)
    assert out[0]["explained_by"] is None and out[1]["explained_by"] == {"reason": "x"}
    assert out[2]["explained_by"] is None  # queue B shares no response with reason x: its own drop


def test_an_alert_beside_an_operation_that_did_not_move_is_survey_movement(engine):
    (pairing,) = pair_alerts(engine, [_alert({"queue": "A"}, 0.4)])
    assert not pairing["operations_moved"] and pairing["reading"].startswith("survey movement")
    assert {c["metric"] for c in pairing["operations"]} == {
        "repeat_contact_rate",
        "transfer_rate",
        "cost_per_contact",
    }
    # Make every contact of queue A's first week a transfer: the operation moved with the score.
    engine.execute(
        "UPDATE contacts SET is_transferred = TRUE "
        "WHERE final_queue = 'A' AND start_ts < TIMESTAMP '2024-03-11'"
    )
    (moved,) = pair_alerts(engine, [_alert({"queue": "A"}, 0.4)])
    assert moved["operations_moved"] and "transfer rate" in moved["reading"]
