"""Small realistic logs where a detector's baseline is NULL (nothing to compare with) diagnose cleanly.

A NULL baseline once reached the claims query as the SQL text ``None`` (``coalesce(None, 0)``), failing
the whole diagnosis; the missing baseline now counts as 0 in SQL and the share is pasted as a number.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import cxray
from cxray.testing import events_table

T0 = datetime(2024, 1, 1, 9)


def _ev(contact: str, at: timedelta, activity: str, **cols: Any) -> dict[str, Any]:
    return {"contact_id": contact, "timestamp": T0 + at, "activity": activity, **cols}


def _codes(log: list[dict[str, Any]]) -> set[str]:
    diagnosis = cxray.diagnose(events_table(log))
    return {f["code"] for f in diagnosis.all_findings}


def test_one_queue_with_back_office_handoff() -> None:
    """One queue that hands every contact to the back office: TR01 fires with no other queue as baseline."""
    log = []
    for i in range(30):
        agent = {"customer_id": f"u{i}", "queue": "General", "actor_type": "agent", "channel": "phone"}
        agent["reason"] = "billing"
        at = timedelta(hours=i)
        log += [
            _ev(f"c{i}", at, "Answer", duration_s=120, **agent),
            _ev(f"c{i}", at + timedelta(minutes=5), "Handoff", outcome="transferred", duration_s=30, **agent),
            _ev(
                f"c{i}",
                at + timedelta(days=1),
                "Work item",
                customer_id=f"u{i}",
                actor_type="back_office",
                channel="back_office",
                reason="billing",
                outcome="resolved",
                duration_s=600,
            ),
        ]
    assert "TR01" in _codes(log)


def test_bot_only_log_whose_contained_customers_return() -> None:
    """A bot-only log (no agent-resolved baseline) whose contained customers come back: FC01 fires."""
    log = []
    for i in range(40):
        for j in range(2):
            at = timedelta(days=i, hours=2 * j)
            bot = {"customer_id": f"u{i}", "actor_type": "bot", "channel": "bot", "reason": "delivery"}
            log += [
                _ev(f"b{i}_{j}", at, "Bot start", **bot),
                _ev(f"b{i}_{j}", at + timedelta(minutes=2), "Bot end", outcome="contained", **bot),
            ]
    assert "FC01" in _codes(log)
