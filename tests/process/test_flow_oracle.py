"""The flow map equals pm4py's DFG, performance DFG, start/end activities and variants on real XES logs."""

from __future__ import annotations

import math

import pytest
from flow_pm4py_log import CASE, NAME, TIME, read_pm4py

from cxray.io import ReadOptions, read_events
from cxray.process import flow_map

pm4py = pytest.importorskip("pm4py")

LOGS = [
    "pm4py-testlogs/running-example.xes",
    pytest.param("helpdesk/helpdesk.xes", marks=pytest.mark.slow),  # 130 same-timestamp pairs
    pytest.param("bpic2013/BPI_Challenge_2013_incidents.xes", marks=pytest.mark.slow),
]


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


@pytest.mark.oracle
@pytest.mark.parametrize("log", LOGS)
def test_flow_map_matches_pm4py(engine, load_xes, log):
    """DFG counts, start/end activities and variant counts are exactly pm4py's; times within 1e-6."""
    df = load_xes(log)
    flow = flow_map(engine, top_variants=0)

    dfg, start, end = pm4py.discover_dfg(df)
    assert {(e["from"], e["to"]): e["count"] for e in flow["dfg"]} == dict(dfg)
    assert flow["start"] == dict(start)
    assert flow["end"] == dict(end)

    perf, _, _ = pm4py.discover_performance_dfg(df)
    for edge in flow["dfg"]:
        expected = perf[(edge["from"], edge["to"])]
        assert _close(edge["mean_s"], expected["mean"]), edge
        assert _close(edge["median_s"], expected["median"]), edge

    variants = pm4py.get_variants(df)
    assert {tuple(v["activities"]): v["count"] for v in flow["variants"]} == dict(variants)
    assert flow["n_variants"] == len(variants)
    assert flow["n_contacts"] == df[CASE].nunique()
    assert flow["n_events"] == len(df)


@pytest.mark.oracle
@pytest.mark.parametrize("log", LOGS)
def test_variant_durations_match_pandas(engine, load_xes, log):
    """Mean case duration per variant equals a pandas computation over pm4py's (sorted) dataframe."""
    df = load_xes(log)
    flow = flow_map(engine, top_variants=0)

    cases = df.groupby(CASE, sort=False).agg(trace=(NAME, tuple), first=(TIME, "min"), last=(TIME, "max"))
    cases["duration_s"] = (cases["last"] - cases["first"]).dt.total_seconds()
    expected = cases.groupby("trace")["duration_s"].mean().to_dict()
    assert len(expected) == len(flow["variants"])
    for v in flow["variants"]:
        assert _close(v["mean_duration_s"], expected[tuple(v["activities"])]), v["activities"]


@pytest.mark.slow
def test_helpdesk_rework_counts(engine, load_xes):
    """Rework on helpdesk agrees with pandas: repeats per activity and contacts with any repeat."""
    df = load_xes("helpdesk/helpdesk.xes")
    flow = flow_map(engine)

    k = df.groupby([CASE, NAME]).size()
    repeated = k[k >= 2]
    expected_repeats = (repeated - 1).groupby(level=NAME).sum().to_dict()
    assert {r["activity"]: r["repeats"] for r in flow["loops"]} == expected_repeats
    assert flow["rework_contacts"] == repeated.index.get_level_values(CASE).nunique()
    dfg, _, _ = pm4py.discover_dfg(df)
    assert {s["activity"]: s["count"] for s in flow["self_loops"]} == {
        a: n for (a, b), n in dfg.items() if a == b
    }


@pytest.mark.slow
@pytest.mark.oracle
def test_flow_map_keeping_duplicates_matches_pm4py(engine, shared_data):
    """Read by cxray with ``keep_duplicates``, helpdesk's flow map is pm4py's DFG, start/end activities
    and variants of pm4py's own reading, its 127 exact duplicates included (they are self-loops)."""
    path = shared_data / "helpdesk/helpdesk.xes"
    df = read_pm4py(path)
    s = read_events([path], engine, options=ReadOptions(keep_duplicates=True))
    assert (s.rows_kept, s.duplicates_dropped) == (len(df), 0)
    assert len(df) - len(df.drop_duplicates()) == 127
    flow = flow_map(engine, top_variants=0)

    dfg, start, end = pm4py.discover_dfg(df)
    assert {(e["from"], e["to"]): e["count"] for e in flow["dfg"]} == dict(dfg)
    assert flow["start"] == dict(start)
    assert flow["end"] == dict(end)
    variants = pm4py.get_variants(df)
    assert {tuple(v["activities"]): v["count"] for v in flow["variants"]} == dict(variants)
    assert flow["n_events"] == len(df)
