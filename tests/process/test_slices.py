"""The flow map per reason/channel/team/queue: each slice is flow_map of its sub-log, membership by hand."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from cxray import schema as S
from cxray.engine import Engine
from cxray.errors import ConfigError, InputError
from cxray.journeys import build_journeys
from cxray.process import flow_map, slices
from cxray.process.slices import flow_by
from cxray.simulate import load_scenario, simulate
from cxray.testing import load_rows

T0 = datetime(2024, 1, 1, 9, 0, 0)


def ev(contact: str, minutes: float, activity: str, **kw: str) -> dict:
    return {S.CONTACT_ID: contact, S.TIMESTAMP: T0 + timedelta(minutes=minutes), S.ACTIVITY: activity, **kw}


def edges(part: dict) -> dict[tuple[str, str], int]:
    return {(e["from"], e["to"]): e["count"] for e in part["dfg"]}


@pytest.fixture(scope="module")
def sim_events():
    return simulate(load_scenario("default"), seed=11, days=4, customers=8_000).events


def test_membership_by_contact_value_and_by_touch(engine):
    """Reason and channel come from the contact's first value; a team counts every contact it touched."""
    load_rows(
        engine,
        [
            ev("c1", 0, "Greet", reason="bill", channel="phone", team="T1"),
            ev("c1", 1, "Transfer", reason="refund", team="T1"),  # a later reason does not move c1
            ev("c1", 3, "Solve", channel="chat", team="V"),
            ev("c2", 0, "Greet", reason="refund", channel="chat", team="V"),
            ev("c2", 2, "Solve", team="V"),
            ev("c3", 0, "Bot"),  # no value anywhere: in no slice
        ],
    )
    build_journeys(engine)
    by = flow_by(engine)
    assert set(by) == {S.REASON, S.CHANNEL, S.TEAM}  # no queue in this log
    assert {v: p["n_contacts"] for v, p in by[S.REASON].items()} == {"bill": 1, "refund": 1}
    assert edges(by[S.REASON]["bill"]) == {("Greet", "Transfer"): 1, ("Transfer", "Solve"): 1}
    assert by[S.CHANNEL]["phone"]["start"] == {"Greet": 1} and by[S.CHANNEL]["chat"]["end"] == {"Solve": 1}
    assert list(by[S.TEAM]) == ["V", "T1"]  # V touched two contacts, T1 one: most contacts first
    assert edges(by[S.TEAM]["V"]) == {
        ("Greet", "Transfer"): 1,
        ("Transfer", "Solve"): 1,
        ("Greet", "Solve"): 1,
    }
    # ties by name: Greet → Solve (c2, 2 minutes) comes first
    assert by[S.TEAM]["V"]["dfg"][0] == {
        "from": "Greet",
        "to": "Solve",
        "count": 1,
        "mean_s": 120.0,
        "median_s": 120.0,
    }
    assert by[S.TEAM]["T1"]["end"] == {"Solve": 1}  # the whole contact, not only T1's events


def test_top_values_and_max_edges_truncate_and_say_so(engine):
    """Only the busiest values and edges are kept; n_edges still counts every edge of the slice."""
    rows = []
    for i, reason in enumerate(["a", "a", "a", "b", "b", "c"]):
        rows += [ev(f"c{i}", 0, "X", reason=reason), ev(f"c{i}", 1, "Y"), ev(f"c{i}", 2, f"Z{i % 2}")]
    load_rows(engine, rows)
    build_journeys(engine)
    by = flow_by(engine, dims=[S.REASON], top_values=2, max_edges=2)
    assert list(by[S.REASON]) == ["a", "b"]
    a = by[S.REASON]["a"]
    assert a["n_edges"] == 3 and len(a["dfg"]) == 2
    assert edges(a) == {("X", "Y"): 3, ("Y", "Z0"): 2}  # busiest first, the rarest edge dropped


def test_bad_arguments_and_missing_contacts_raise(engine):
    load_rows(engine, [ev("c", 0, "A", reason="r")])
    with pytest.raises(InputError, match="build_journeys"):
        flow_by(engine)
    build_journeys(engine)
    with pytest.raises(ConfigError, match="customer_id"):
        flow_by(engine, dims=[S.CUSTOMER_ID])
    with pytest.raises(ConfigError):
        flow_by(engine, top_values=0)
    assert flow_by(engine, dims=[]) == {}


def _flow_of_contacts(events, contact_ids: list[str]) -> dict:
    """Oracle: flow_map in a fresh engine holding only the given contacts' events."""
    sub = events.filter(pc.is_in(events[S.CONTACT_ID], value_set=pa.array(contact_ids)))
    with Engine(threads=1) as e:
        e.register("sub", sub)
        e.execute(f"CREATE TABLE {S.EVENTS_TABLE} AS SELECT * FROM sub")
        return flow_map(e, top_variants=1)


@pytest.fixture
def paths_taken(monkeypatch):
    """Which way each flow_by call counted its edges: "runs" (per member mask) or "joined"."""
    taken: list[str] = []
    by_runs, joined = slices._edges_by_runs, slices._edges_joined

    def spy_runs(engine, steps):
        sql = by_runs(engine, steps)
        if sql is not None:
            taken.append("runs")
        return sql

    def spy_joined(steps):
        taken.append("joined")
        return joined(steps)

    monkeypatch.setattr(slices, "_edges_by_runs", spy_runs)
    monkeypatch.setattr(slices, "_edges_joined", spy_joined)
    return taken


@pytest.mark.parametrize("share, path", [(1.0, "runs"), (0.0, "joined")])
def test_each_slice_is_flow_map_of_its_sub_log(engine, sim_events, monkeypatch, paths_taken, share, path):
    """On a simulated centre, each slice (two values per dimension) equals flow_map of its filtered events,
    whether the steps are counted in runs per member mask or joined to every member value."""
    monkeypatch.setattr(slices, "RUNS_SHARE", share)
    engine.register("sim", sim_events)
    engine.execute(f"CREATE TABLE {S.EVENTS_TABLE} AS SELECT * FROM sim")
    build_journeys(engine)
    by = flow_by(engine, max_edges=10_000)
    assert set(by) == {S.REASON, S.CHANNEL, S.TEAM, S.QUEUE}
    member = {
        S.REASON: f"SELECT {S.CONTACT_ID} FROM {S.CONTACTS_TABLE} WHERE {S.REASON} = ?",
        S.CHANNEL: f"SELECT {S.CONTACT_ID} FROM {S.CONTACTS_TABLE} WHERE {S.ENTRY_CHANNEL} = ?",
        S.TEAM: f"SELECT DISTINCT {S.CONTACT_ID} FROM {S.EVENTS_TABLE} WHERE {S.TEAM} = ?",
        S.QUEUE: f'SELECT DISTINCT {S.CONTACT_ID} FROM {S.EVENTS_TABLE} WHERE "{S.QUEUE}" = ?',
    }
    for dim, values in by.items():
        for value in list(values)[:1] + list(values)[-1:]:  # the biggest and the smallest value
            ids = [r[S.CONTACT_ID] for r in engine.rows(member[dim], [value])]
            expected = _flow_of_contacts(sim_events, ids)
            got = values[value]
            assert got["n_contacts"] == expected["n_contacts"] == len(ids)
            assert got["start"] == expected["start"] and got["end"] == expected["end"]
            assert list(got["start"]) == list(expected["start"])  # same order too
            assert got["n_edges"] == len(expected["dfg"])
            assert [(e["from"], e["to"], e["count"], e["median_s"]) for e in got["dfg"]] == [
                (e["from"], e["to"], e["count"], e["median_s"]) for e in expected["dfg"]
            ]
            assert [e["mean_s"] for e in got["dfg"]] == pytest.approx([e["mean_s"] for e in expected["dfg"]])
    assert paths_taken == [path]


def _gaps(engine, gaps_min: list[float], **values: str) -> None:
    rows = []
    for i, gap in enumerate(gaps_min):
        rows += [ev(f"c{i}", 0, "A", **values), ev(f"c{i}", gap, "B")]
    load_rows(engine, rows)
    build_journeys(engine)


@pytest.mark.parametrize("share", [1.0, 0.0])
def test_median_interpolates_between_the_middle_gaps_counted_in_runs(engine, monkeypatch, paths_taken, share):
    """Hand-computed: gaps 1, 1, 2, 5 minutes (two contacts in one run) have median 1.5 min, mean 2.25."""
    monkeypatch.setattr(slices, "RUNS_SHARE", share)
    _gaps(engine, [5, 1, 2, 1], reason="r", channel="phone")
    edge = flow_by(engine)[S.REASON]["r"]["dfg"][0]
    assert (edge["count"], edge["median_s"]) == (4, 90.0)
    assert edge["mean_s"] == pytest.approx(135.0)
    assert flow_by(engine, dims=[S.CHANNEL])[S.CHANNEL]["phone"]["dfg"] == [edge]
    assert paths_taken == ["runs" if share else "joined"] * 2


def test_more_member_values_than_a_mask_holds_join_every_step(engine, paths_taken):
    """130 reasons do not fit a 127-bit mask: each step is joined to its values, the slices still right."""
    rows = []
    for i in range(130):
        rows += [ev(f"c{i}", 0, "A", reason=f"r{i:03d}"), ev(f"c{i}", 1 + i % 3, "B")]
    load_rows(engine, rows)
    build_journeys(engine)
    by = flow_by(engine, dims=[S.REASON], top_values=200)[S.REASON]
    assert len(by) == 130 and paths_taken == ["joined"]
    assert by["r004"]["dfg"] == [{"from": "A", "to": "B", "count": 1, "mean_s": 120.0, "median_s": 120.0}]
    assert (by["r004"]["start"], by["r004"]["end"]) == ({"A": 1}, {"B": 1})
