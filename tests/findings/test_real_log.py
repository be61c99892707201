"""BPIC 2013 incidents (Volvo IT): the challenge's own questions, ping-pong and "Wait - User" parking."""

from __future__ import annotations

import pytest

from cxray.findings import find_breakdowns
from cxray.io import Mapping, ReadOptions, read_events
from cxray.journeys import build_journeys


@pytest.mark.slow
def test_bpic2013_ping_pong_between_teams_and_wait_user_parking(engine, shared_data):
    path = shared_data / "bpic2013" / "BPI_Challenge_2013_incidents.xes"
    read_events([path], engine, options=ReadOptions(mapping=Mapping.builtin("bpic2013-incidents")))
    build_journeys(engine)
    out = find_breakdowns(engine)
    found = out["all_findings"]

    ping_pong = [f for f in found if f["code"] == "PP01"]
    assert len(ping_pong) >= 5
    assert all(
        f["evidence"]["dimension"] == "team" and f["where"]["from"] != f["where"]["to"] for f in ping_pong
    )
    assert sum(f["contacts_affected"] for f in ping_pong) >= 200
    # The bounces are between named support teams, with their legs counted.
    assert all(f["evidence"]["teams"] for f in ping_pong)

    parked = [f for f in found if f["code"] == "WT01" and f["where"]["activity"].endswith("Wait - User")]
    assert len(parked) == 1
    (wait,) = parked
    assert wait["evidence"]["share_of_idle_time"] >= 0.1
    teams = [t["team"] for t in wait["evidence"]["teams"]]
    assert wait["where"]["team"] == teams[0] == "G97"
    assert len(teams) >= 3

    # No handle times in this log: the work is priced from touches, and the summary says so.
    assert out["summary"]["total_avoidable_cost"] > 0
    assert out["summary"]["measure"] == "cost"
    assert out["summary"]["cost_basis"] == "estimated_from_touches"
    assert abs(sum(f["share_of_avoidable_cost"] for f in found) - 1) < 0.01  # a share of cost, always


@pytest.mark.slow
def test_waiting_after_resolution_is_not_parked_work(engine, shared_data):
    """Helpdesk: "Resolve ticket" -> "Closed" is the customer's confirmation period, not work waiting.

    The builtin mapping gives the resolving and closing activities their outcomes; WT01 then never
    names them, while the waits inside the work still count.
    """
    path = shared_data / "helpdesk" / "helpdesk.xes"
    read_events([path], engine, options=ReadOptions(mapping=Mapping.builtin("helpdesk")))
    build_journeys(engine)
    done = {
        r["activity"] for r in engine.rows("SELECT DISTINCT activity FROM events WHERE outcome IS NOT NULL")
    }
    assert {"Resolve ticket", "Closed"} <= done
    parked = [f for f in find_breakdowns(engine)["all_findings"] if f["code"] == "WT01"]
    assert parked and not {f["where"]["activity"] for f in parked} & done
