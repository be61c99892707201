"""The flow map on tiny hand-computed logs: ordering, ties, single-event contacts, times and limits."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxray import schema as S
from cxray.engine import Engine
from cxray.errors import ConfigError
from cxray.process import flow_map
from cxray.testing import load_rows

T0 = datetime(2024, 1, 1, 9, 0, 0)


def ev(contact: str, seconds: float, activity: str, row: int | None = None) -> dict:
    event = {S.CONTACT_ID: contact, S.TIMESTAMP: T0 + timedelta(seconds=seconds), S.ACTIVITY: activity}
    if row is not None:
        event[S.SOURCE_ROW] = row
    return event


def edges(flow: dict) -> dict[tuple[str, str], int]:
    return {(e["from"], e["to"]): e["count"] for e in flow["dfg"]}


def test_events_are_ordered_by_timestamp_not_by_insertion(engine):
    """Rows listed out of time order still give the time-ordered path."""
    load_rows(engine, [ev("c", 20, "C", 1), ev("c", 0, "A", 2), ev("c", 10, "B", 3)])
    flow = flow_map(engine)
    assert edges(flow) == {("A", "B"): 1, ("B", "C"): 1}
    assert flow["variants"][0]["activities"] == ["A", "B", "C"]


def test_equal_timestamps_keep_source_order(engine):
    """Ties are broken by source_row, whatever order the rows sit in the table."""
    load_rows(
        engine,
        [ev("c1", 0, "Y", 2), ev("c1", 0, "X", 1), ev("c2", 5, "X", 4), ev("c2", 5, "Y", 3)],
    )
    flow = flow_map(engine)
    assert edges(flow) == {("X", "Y"): 1, ("Y", "X"): 1}
    assert flow["start"] == {"X": 1, "Y": 1}
    assert [v["activities"] for v in flow["variants"]] == [["X", "Y"], ["Y", "X"]]
    assert {e["mean_s"] for e in flow["dfg"]} == {0.0}


def test_single_event_contacts_have_no_edges(engine):
    """A one-event contact starts and ends on that event, adds no DFG edge and lasts 0 s."""
    load_rows(engine, [ev("a", 0, "Call"), ev("b", 100, "Call"), ev("c", 0, "Chat"), ev("c", 30, "Call")])
    flow = flow_map(engine)
    assert flow["dfg"] == [{"from": "Chat", "to": "Call", "count": 1, "mean_s": 30.0, "median_s": 30.0}]
    assert flow["start"] == {"Call": 2, "Chat": 1}
    assert flow["end"] == {"Call": 3}
    assert flow["variants"][0] == {"activities": ["Call"], "count": 2, "share": 2 / 3, "mean_duration_s": 0.0}
    assert flow["n_contacts"] == 3 and flow["n_events"] == 4


def test_edge_times_mean_and_median(engine):
    """Gaps 10, 20, 60 s give mean 30 and median 20; gaps 10, 20 give median 15 (interpolated, as numpy)."""
    load_rows(
        engine,
        [
            *(ev(f"odd{i}", 0, "A") for i in range(3)),
            ev("odd0", 10, "B"),
            ev("odd1", 20, "B"),
            ev("odd2", 60, "B"),
            ev("even0", 0, "C"),
            ev("even0", 10, "D"),
            ev("even1", 0, "C"),
            ev("even1", 20, "D"),
        ],
    )
    dfg = {(e["from"], e["to"]): e for e in flow_map(engine)["dfg"]}
    assert (dfg[("A", "B")]["mean_s"], dfg[("A", "B")]["median_s"]) == (30.0, 20.0)
    assert (dfg[("C", "D")]["mean_s"], dfg[("C", "D")]["median_s"]) == (15.0, 15.0)


def test_sub_second_gaps_are_kept(engine):
    """Times keep microseconds: 0.25 s between events is not rounded to 0."""
    load_rows(engine, [ev("c", 0, "A"), ev("c", 0.25, "B")])
    assert flow_map(engine)["dfg"][0]["mean_s"] == pytest.approx(0.25)


def test_lists_are_sorted_by_count_then_name(engine):
    """Equal counts are ordered by name, so the document never depends on hash order."""
    rows = [ev("c1", 0, "b"), ev("c1", 1, "a"), ev("c2", 0, "a"), ev("c2", 1, "b")]
    rows += [ev("c3", 0, "a"), ev("c3", 1, "b")]
    load_rows(engine, rows)
    flow = flow_map(engine)
    assert [(e["from"], e["to"], e["count"]) for e in flow["dfg"]] == [("a", "b", 2), ("b", "a", 1)]
    assert list(flow["start"]) == ["a", "b"]
    assert [v["activities"] for v in flow["variants"]] == [["a", "b"], ["b", "a"]]
    assert [a["activity"] for a in flow["activities"]] == ["a", "b"]


def test_top_variants_limits_the_list_not_the_total(engine):
    """top_variants=1 lists one variant; n_variants still counts all; 0 lists all."""
    load_rows(engine, [ev("c1", 0, "A"), ev("c2", 0, "A"), ev("c3", 0, "B"), ev("c4", 0, "C")])
    top = flow_map(engine, top_variants=1)
    assert top["variants"] == [{"activities": ["A"], "count": 2, "share": 0.5, "mean_duration_s": 0.0}]
    assert top["n_variants"] == 3
    assert len(flow_map(engine, top_variants=0)["variants"]) == 3


def test_negative_top_variants_is_a_config_error(engine):
    load_rows(engine, [ev("c", 0, "A")])
    with pytest.raises(ConfigError, match="top_variants"):
        flow_map(engine, top_variants=-1)


def test_empty_log(engine):
    """No events: zeros and empty lists, no error."""
    load_rows(engine, [ev("c", 0, "A")])
    engine.execute(f"DELETE FROM {S.EVENTS_TABLE}")
    flow = flow_map(engine)
    assert flow["n_events"] == flow["n_contacts"] == flow["n_variants"] == 0
    assert flow["dfg"] == flow["variants"] == flow["loops"] == flow["self_loops"] == []
    assert flow["start"] == flow["end"] == {}


# --- property: equal to a straightforward Python reading of the definition --------------------------

_events = st.lists(
    st.tuples(st.sampled_from("pqrs"), st.integers(0, 4), st.sampled_from("ABC")), min_size=1, max_size=25
)


def _reference(rows: list[tuple[str, int, str]]) -> tuple[dict, dict, dict, dict]:
    """Sort each contact by (timestamp, source_row) in Python and count edges, starts, ends, variants;
    variants map to their count of contacts."""
    traces: dict[str, list[str]] = {}
    ordered = sorted(range(len(rows)), key=lambda i: (rows[i][1], i))  # (timestamp, source_row)
    for i in ordered:
        traces.setdefault(rows[i][0], []).append(rows[i][2])
    dfg: dict[tuple[str, str], int] = {}
    start: dict[str, int] = {}
    end: dict[str, int] = {}
    variants: dict[tuple[str, ...], int] = {}
    for trace in traces.values():
        for pair in pairwise(trace):
            dfg[pair] = dfg.get(pair, 0) + 1
        start[trace[0]] = start.get(trace[0], 0) + 1
        end[trace[-1]] = end.get(trace[-1], 0) + 1
        variants[tuple(trace)] = variants.get(tuple(trace), 0) + 1
    return dfg, start, end, variants


@settings(max_examples=60, deadline=None)
@given(rows=_events)
def test_matches_python_reference(rows):
    """On random logs full of ties, DFG, start/end and variants equal the definition computed in Python."""
    with Engine(threads=1) as engine:
        # source_row follows the list; rows are inserted backwards so insertion order cannot help.
        load_rows(engine, [ev(c, t, a, row=i + 1) for i, (c, t, a) in enumerate(rows)][::-1])
        flow = flow_map(engine, top_variants=0)
    dfg, start, end, variants = _reference(rows)
    assert edges(flow) == dfg
    assert flow["start"] == start and flow["end"] == end
    assert {tuple(v["activities"]): v["count"] for v in flow["variants"]} == variants
    assert sum(e["count"] for e in flow["dfg"]) == flow["n_events"] - flow["n_contacts"]
    assert sum(v["share"] for v in flow["variants"]) == pytest.approx(1.0)
    repeated = {t: n for t, n in variants.items() if len(set(t)) < len(t)}
    assert flow["rework_contacts"] == sum(repeated.values())
    repeats = {a: sum(n * (t.count(a) - 1) for t, n in variants.items() if a in t) for a in "ABC"}
    assert {r["activity"]: r["repeats"] for r in flow["loops"]} == {a: k for a, k in repeats.items() if k}
