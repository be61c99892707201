"""New bottlenecks in the pilot's flow map: planted loops, waits and dead ends are flagged; noise is not."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from cxray.audit.bottlenecks import BottleneckOptions, new_bottlenecks
from cxray.engine import Engine
from cxray.errors import InputError
from cxray.journeys import build_journeys
from cxray.testing import load_rows

CHANGE = datetime(2026, 3, 16)


def stage(engine: Engine, rows: list[dict[str, Any]], *, pilot: str = "P", control: str = "C") -> None:
    """The audit contract's tables from hand-built events: group by first team, period by the change."""
    load_rows(engine, rows)
    build_journeys(engine)
    engine.execute(
        """CREATE OR REPLACE TABLE audit_contacts AS
        SELECT c.*, CASE first_team WHEN ? THEN 'pilot' WHEN ? THEN 'control' END AS audit_group,
               CASE WHEN start_ts >= ? THEN 'after' ELSE 'before' END AS audit_period,
               CAST(date_diff('day', date_trunc('week', min(start_ts) OVER ()), date_trunc('week', start_ts))
                    / 7 AS INTEGER) AS audit_week
        FROM contacts c""",
        [pilot, control, CHANGE],
    )


def contact(cid: str, start: datetime, steps: list[tuple[str, float]], **kw: Any) -> list[dict[str, Any]]:
    """Events of one contact: (activity, seconds waited before it) in order."""
    out, ts = [], start
    for activity, wait in steps:
        ts += timedelta(seconds=wait)
        out.append({"contact_id": cid, "timestamp": ts, "activity": activity, "team": "P", **kw})
    return out


def log(n: int, after_steps: Any, *, before_steps: Any = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in range(n):
        b = before_steps(i) if before_steps else [("Open", 0), ("Handle", 60 + i % 7), ("Close", 30)]
        rows += contact(f"b{i}", CHANGE - timedelta(days=10, minutes=-i), b, customer_id=f"x{i}")
        rows += contact(f"a{i}", CHANGE + timedelta(days=3, minutes=i), after_steps(i), customer_id=f"y{i}")
    return rows


def test_a_loop_that_appears_only_after_is_flagged_as_new() -> None:
    """Verification repeated in 40% of the pilot's contacts after, never before: a new loop, named."""

    def after(i: int) -> list[tuple[str, float]]:
        loop = [("Verify", 5), ("Verify", 5)] if i % 5 < 2 else [("Verify", 5)]
        return [("Open", 0), *loop, ("Handle", 60 + i % 7), ("Close", 30)]

    before = lambda i: [("Open", 0), ("Verify", 5), ("Handle", 60 + i % 7), ("Close", 30)]  # noqa: E731
    with Engine() as e:
        stage(e, log(100, after, before_steps=before))
        got = new_bottlenecks(e, options=BottleneckOptions(n_boot=200))
    assert (got.n_contacts_before, got.n_contacts_after) == (100, 100)
    loops = {(lp.activity, lp.kind): lp for lp in got.loops}
    assert loops["Verify", "self_loop"].new and loops["Verify", "self_loop"].grew
    assert loops["Verify", "self_loop"].share_after == pytest.approx(0.4)
    assert loops["Verify", "repeat"].share_before == 0
    edge = {c.name: c for c in got.edges}["Verify → Verify"]
    assert edge.new and edge.volume_grew and edge.per100_after == pytest.approx(40)
    assert any(
        f.kind == "loop" and f.name == "Verify (self_loop)" and "new loop" in f.reason for f in got.top
    )
    # The steps that did not change are not flagged.
    assert not {c.name: c for c in got.edges}["Handle → Close"].volume_grew
    assert not {c.name: c for c in got.steps}["Close"].wait_grew


def test_a_slower_handoff_is_flagged_on_its_wait_and_a_steady_one_is_not() -> None:
    """Waits before Handle go from ~60 s to ~300 s: the edge and the step flag a wait rise, with an
    interval around +240 s; Close's 30 s wait is unchanged and not flagged."""
    after = lambda i: [("Open", 0), ("Handle", 300 + i % 7), ("Close", 30)]  # noqa: E731
    with Engine() as e:
        stage(e, log(60, after))
        got = new_bottlenecks(e, options=BottleneckOptions(n_boot=300))
    edges = {c.name: c for c in got.edges}
    slow = edges["Open → Handle"]
    assert slow.wait_grew and not slow.volume_grew
    assert slow.wait_change is not None and slow.wait_change.estimate == pytest.approx(240)
    assert slow.wait_change.low is not None and 200 < slow.wait_change.low <= 240
    assert not edges["Handle → Close"].wait_grew
    steps = {c.name: c for c in got.steps}
    assert steps["Handle"].wait_grew and not steps["Close"].wait_grew
    assert got.top[0].kind in ("edge wait", "step wait")


def test_a_step_that_becomes_the_end_of_unresolved_contacts_is_a_new_dead_end() -> None:
    """After the change 30% of contacts stop at 'Upload documents' and end unresolved: a new dead end."""

    def after(i: int) -> list[tuple[str, float]]:
        if i % 10 < 3:
            return [("Open", 0), ("Upload documents", 20)]
        return [("Open", 0), ("Handle", 60 + i % 7), ("Close", 30)]

    rows = log(100, after)
    for r in rows:
        if r["activity"] == "Upload documents":
            r["outcome"] = "unresolved"
    with Engine() as e:
        stage(e, rows)
        got = new_bottlenecks(e, options=BottleneckOptions(n_boot=200))
    dead = {d.activity: d for d in got.dead_ends}
    assert dead["Upload documents"].new and dead["Upload documents"].grew
    assert dead["Upload documents"].share_after == pytest.approx(0.3)
    assert any(f.kind == "dead end" and f.name == "Upload documents" for f in got.top)


def test_no_change_flags_nothing() -> None:
    """The same process before and after (waits drawn alike): nothing is flagged."""
    after = lambda i: [("Open", 0), ("Handle", 60 + (i + 3) % 7), ("Close", 30)]  # noqa: E731
    with Engine() as e:
        stage(e, log(80, after))
        got = new_bottlenecks(e, options=BottleneckOptions(n_boot=200))
    assert got.n_flagged == 0 and got.top == ()
    d = got.to_dict()
    assert d["edges"][0]["name"] in {"Open → Handle", "Handle → Close"}


def test_only_pilot_contacts_are_compared_and_a_missing_period_says_why() -> None:
    """Control contacts stay out of the pilot's flow map; a pilot without an after period has a note."""
    rows = contact("b1", CHANGE - timedelta(days=3), [("Open", 0), ("Close", 5)], customer_id="k")
    rows += contact("a1", CHANGE + timedelta(days=3), [("Open", 0), ("Close", 5)], customer_id="k")
    for r in rows:
        if r["contact_id"] == "a1":
            r["team"] = "C"
    with Engine() as e:
        stage(e, rows)
        got = new_bottlenecks(e)
        assert got.n_contacts_after == 0 and "after" in got.note and got.edges == ()
        e.execute("DROP TABLE audit_contacts")
        with pytest.raises(InputError, match="audit_contacts"):
            new_bottlenecks(e)


def test_the_same_log_gives_the_same_result() -> None:
    """Waits are sorted before they are resampled, so thread order never changes an interval."""
    after = lambda i: [("Open", 0), ("Handle", 60 + (i * 37) % 50), ("Close", 30 + i % 11)]  # noqa: E731
    with Engine() as e:
        stage(e, log(200, after))
        first = new_bottlenecks(e, options=BottleneckOptions(n_boot=200)).to_dict()
        assert new_bottlenecks(e, options=BottleneckOptions(n_boot=200)).to_dict() == first
