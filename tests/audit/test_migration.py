"""Effort migration: a bot launch where human minutes per journey stay flat is "work shifted, not removed"
and names where the minutes went; one where they fall is not."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from cxray.audit.migration import MigrationOptions, effort_migration
from cxray.engine import Engine
from cxray.journeys import build_journeys
from cxray.testing import load_rows

CHANGE = datetime(2026, 3, 16)
OPTIONS = MigrationOptions(n_boot=300)


def stage(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """The audit contract's tables: every contact is the pilot's, period by the change date."""
    load_rows(engine, rows)
    build_journeys(engine)
    engine.execute(
        """CREATE OR REPLACE TABLE audit_contacts AS
        SELECT c.*, 'pilot' AS audit_group,
               CASE WHEN start_ts >= ? THEN 'after' ELSE 'before' END AS audit_period,
               CAST(date_diff('day', date_trunc('week', min(start_ts) OVER ()), date_trunc('week', start_ts))
                    / 7 AS INTEGER) AS audit_week
        FROM contacts c""",
        [CHANGE],
    )


def ev(cid: str, cust: str, ts: datetime, activity: str, actor: str, seconds: float, **kw: Any) -> dict:
    channel = "chat" if actor == "bot" else "phone"
    base = {"contact_id": cid, "customer_id": cust, "timestamp": ts, "activity": activity}
    return {**base, "actor_type": actor, "channel": channel, "duration_s": seconds, "reason": "billing",
            "team": "Care", **kw}  # fmt: skip


def agent_call(cid: str, cust: str, ts: datetime, minutes: float, **kw: Any) -> list[dict]:
    """An agent call: talk, then 60 s of wrap-up."""
    return [
        ev(cid, cust, ts, "Handle", "agent", minutes * 60 - 60, outcome="resolved", **kw),
        ev(cid, cust, ts + timedelta(minutes=minutes), "Wrap up", "agent", 60, **kw),
    ]


def before_period(n: int = 120) -> list[dict]:
    """Every journey one agent call of 9-11 minutes."""
    rows: list[dict] = []
    for i in range(n):
        t = CHANGE - timedelta(days=20) + timedelta(hours=3 * i)
        rows += agent_call(f"b{i}", f"cb{i}", t, 9 + i % 3)
    return rows


def test_bot_launch_with_flat_human_minutes_is_work_shifted_and_names_where_it_went() -> None:
    """After the launch half the journeys start in the bot, fail, and come back to a 'Bot recovery' desk
    whose agents spend the same 10 minutes: the automated share rises, human minutes per journey stay flat,
    the finding fires and names the recovery step and team."""
    rows = before_period()
    for i in range(120):
        t = CHANGE + timedelta(days=1) + timedelta(hours=3 * i)
        if i % 2:
            rows += agent_call(f"a{i}", f"ca{i}", t, 9 + i % 3)
        else:
            rows.append(ev(f"bot{i}", f"ca{i}", t, "Bot answer", "bot", 120, outcome="contained"))
            rows += agent_call(f"a{i}", f"ca{i}", t + timedelta(hours=2), 9 + i % 3, team="Bot recovery")
            rows[-2]["activity"] = "Recover after bot"
    with Engine() as e:
        stage(e, rows)
        got = effort_migration(e, options=OPTIONS)
    auto = got.measure("automated_share")
    assert auto.before == 0 and auto.after == pytest.approx(60 / 180)
    assert auto.rose
    minutes = got.measure("human_minutes_per_journey")
    assert minutes.before == pytest.approx(10.0) and minutes.after == pytest.approx(10.0)
    assert not minutes.fell
    assert got.shifted and got.finding.startswith("work shifted, not removed")
    names = {(s.dimension, s.value) for s in got.went_to}
    assert ("step", "Recover after bot") in names and ("team", "Bot recovery") in names
    assert ("step", "Handle") not in names  # its minutes fell
    step = {s.value: s for s in got.steps}["Recover after bot"]
    assert step.minutes_before == 0 and step.minutes_after == pytest.approx(4.5, abs=0.2)
    # Every agent contact after a bot contact reached a human after a bot failure; repeats rose.
    assert got.measure("human_after_bot_failure").after == pytest.approx(60 / 180)
    assert got.measure("repeat_contact_rate").rose
    assert got.measure("after_contact_work_share").before == pytest.approx(60 / 600)
    assert got.to_dict()["shifted"] is True


def test_bot_launch_that_removes_work_does_not_fire() -> None:
    """After the launch half the journeys are answered by the bot for good: human minutes per journey halve
    (a fall beyond noise), so no shift is reported."""
    rows = before_period()
    for i in range(120):
        t = CHANGE + timedelta(days=1) + timedelta(hours=3 * i)
        if i % 2:
            rows += agent_call(f"a{i}", f"ca{i}", t, 9 + i % 3)
        else:
            rows.append(ev(f"bot{i}", f"ca{i}", t, "Bot answer", "bot", 120, outcome="contained"))
    with Engine() as e:
        stage(e, rows)
        got = effort_migration(e, options=OPTIONS)
    assert got.measure("automated_share").rose
    minutes = got.measure("human_minutes_per_journey")
    assert minutes.after == pytest.approx(5.0, abs=0.1) and minutes.fell
    assert not got.shifted and got.went_to == ()
    assert got.finding.startswith("work removed")


def test_no_bot_no_shift_and_the_reason_mix_reaching_agents() -> None:
    """Nothing automated: no shift to judge; a reason that now reaches agents more shows in the mix."""
    rows = before_period(60)
    for i in range(60):
        t = CHANGE + timedelta(days=1) + timedelta(hours=3 * i)
        rows += agent_call(f"a{i}", f"ca{i}", t, 10, reason="moving" if i % 3 == 0 else "billing")
    with Engine() as e:
        stage(e, rows)
        got = effort_migration(e, options=OPTIONS)
    assert not got.shifted and got.finding.startswith("no shift to judge")
    mix = {s.value: s for s in got.reasons}
    assert mix["moving"].share_of_human_contacts_before == 0
    assert mix["moving"].share_of_human_contacts_after == pytest.approx(1 / 3)
    assert got.reasons[0].value == "moving"  # the most grown first
