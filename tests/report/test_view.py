"""The report's chart data: hand-checked layout, conservation laws, and flow_map's own counts as oracle."""

from __future__ import annotations

from collections import defaultdict

import pytest
from report_doc import make_doc

from cxray.errors import ConfigError
from cxray.report import render_html
from cxray.report.layout import layered_layout
from cxray.report.view import executive_summary, flow_view, journey_sankey, pareto
from test_contract import validate


def test_the_hand_written_document_fits_the_published_schema():
    """The report is tested on the shape the pipeline writes, not on one it might guess."""
    validate(make_doc())


def test_layout_layers_follow_the_flow_and_loops_do_not_push_steps_down():
    edges = [("s", "a", 9), ("a", "b", 5), ("b", "a", 4), ("b", "c", 5), ("a", "c", 1), ("c", "c", 2)]
    pos = layered_layout(["s", "a", "b", "c", "lonely"], edges, starts={"s": 1})
    assert {n: p.layer for n, p in pos.items()} == {"s": 0, "a": 1, "b": 2, "c": 3, "lonely": 0}
    by_layer = defaultdict(list)
    for p in pos.values():
        by_layer[p.layer].append(p.order)
    assert all(sorted(v) == list(range(len(v))) for v in by_layer.values())  # orders are a permutation


def test_flow_view_sizes_are_events_and_slices_are_kept():
    doc = make_doc()
    v = flow_view(doc["flow"])
    names = [n["name"] for n in v["nodes"]]
    size = {names[int(k)]: n for k, n in v["all"]["size"].items()}
    # every event either starts its contact or follows another: IVR menu starts 5820 and is never re-entered
    assert size["IVR menu"] == 5820
    assert size["Tier 1"] == 300 + 900 + 2250 + 180 + 95
    assert size["end"] == sum(doc["flow"]["end"].values())
    assert len(v["all"]["edges"]) == len(doc["flow"]["dfg"]) + len(doc["flow"]["start"]) + len(
        doc["flow"]["end"]
    )
    counts = [e[2] for e in v["all"]["edges"]]
    assert counts == sorted(counts, reverse=True)  # the slider hides from the tail
    assert [x["value"] for x in v["dims"]["channel"]] == ["phone", "chat"]  # most contacts first
    assert set(v["dims"]) == {"channel", "reason", "team"}
    assert flow_view(doc["flow"]) == v  # deterministic
    empty = dict(doc["flow"], dfg=[], start={}, end={})
    assert flow_view(empty) is None  # a log with no moves: the page says so instead of drawing


def test_sankey_conserves_journeys():
    doc = make_doc()
    s = journey_sankey(doc["metrics"])
    inflow, outflow = defaultdict(float), defaultdict(float)
    for a, b, n in s["links"]:
        outflow[a] += n
        inflow[b] += n
    total = sum(p["journeys"] for p in doc["metrics"]["journey_paths"])
    sinks = [i for i, n in enumerate(s["nodes"]) if n["outcome"]]
    assert sum(inflow[i] for i in sinks) == total
    assert sum(outflow[i] for i in range(len(s["nodes"])) if i not in inflow) == total
    for i in range(len(s["nodes"])):
        if i in inflow and i not in sinks:
            assert inflow[i] >= outflow[i]  # a journey may end at a stage only if it has an outcome
    assert journey_sankey({}) is None


def test_summary_sentences_carry_cost_share_bucket_and_kpi():
    s = executive_summary(make_doc())
    first = s["sentences"][0]["text"]
    for part in ("False containment in the billing bot", "5,490 EUR", "34.0%", "technology design",
                 "hidden by bot containment rate"):  # fmt: skip
        assert part in first
    assert "hidden by average handle time — each leg is short" in s["sentences"][1]["text"]
    assert "no party KPI hides it" in s["sentences"][2]["text"]
    assert s["top_share"] == 0.81 and s["n_shown"] == 4
    assert executive_summary(dict(make_doc(), breakdowns=[])) is None


def test_without_handle_times_the_summary_speaks_of_contacts_not_zero_money():
    """A log with no durations (BPIC 2013, helpdesk) prices nothing: no "0.00 EUR" sentences."""
    doc = make_doc()
    for b in doc["breakdowns"]:
        b.update(
            avoidable_cost=0.0, avoidable_minutes=0.0, avoidable_contacts=0.0, share_of_avoidable_cost=0.0
        )
    doc["breakdown_summary"].update(
        measure="contacts",
        total_avoidable_cost=0.0,
        total_avoidable_minutes=0.0,
        total_avoidable_contacts=0.0,
    )
    s = executive_summary(doc)
    assert "no handle times" in s["lead"] and "ranked by the contacts they touch" in s["lead"]
    first = doc["breakdowns"][0]
    assert f"touches {first['contacts_affected']:,} contacts" in s["sentences"][0]["text"]
    assert not any("EUR" in x["text"] for x in s["sentences"])
    doc["breakdown_summary"]["measure"] = "minutes"
    assert "ranked by avoidable handle minutes" in executive_summary(doc)["lead"]


def test_pareto_is_sorted_and_cumulates_to_the_explained_share():
    p = pareto(make_doc())
    assert p["cost"] == sorted(p["cost"], reverse=True)
    assert p["cum_share"] == sorted(p["cum_share"])
    assert p["cum_share"][-1] == pytest.approx((5490 + 4100 + 2200 + 1300) / 16150)


@pytest.mark.parametrize("drop", ["flow", "metrics", "breakdowns", "input", "options", "breakdown_summary"])
def test_a_document_missing_a_section_is_refused_by_name(drop):
    """Not a diagnosis document: the error names what is missing (it is never drawn as empty)."""
    doc = make_doc()
    del doc[drop]
    with pytest.raises(ConfigError, match=f"missing.*{drop}"):
        render_html(doc)


def test_empty_sections_render_a_note_not_a_crash():
    doc = make_doc()
    doc.update(breakdowns=[], all_findings=[], flow=dict(doc["flow"], dfg=[], start={}, end={}, by={}))
    doc["metrics"]["journey_paths"] = []
    html = render_html(doc)
    assert "</html>" in html and html.count('class="note"') >= 3


def test_redacted_report_pseudonymises_example_contacts():
    html = render_html(make_doc(), redact=True)
    assert "C-10023" not in html and "(pseudonymised)" in html


@pytest.mark.slow
def test_node_sizes_match_flow_map_activity_counts_on_a_real_log(shared_data, engine):
    from cxray.io import read_events
    from cxray.process import flow_map

    read_events([shared_data / "helpdesk" / "helpdesk.xes"], engine)
    flow = flow_map(engine)
    v = flow_view(flow)
    names = [n["name"] for n in v["nodes"]]
    size = {names[int(k)]: n for k, n in v["all"]["size"].items()}
    assert {a["activity"]: size[a["activity"]] for a in flow["activities"]} == {
        a["activity"]: a["count"] for a in flow["activities"]
    }
    assert size["end"] == flow["n_contacts"]


def test_an_unpriced_breakdown_states_its_target_not_zero_savings():
    from cxray.report.evidence import fix_sentence

    b = {"avoidable_contacts": 0.0, "avoidable_minutes": 0.0, "avoidable_cost": 0.0,
         "evidence": {"median_idle_days": 2.1, "baseline_median_idle_days": 0.2}}  # fmt: skip
    text = fix_sentence(b, "EUR")
    assert text.startswith("Bring") and "0.2" in text and "EUR" not in text and "would avoid" not in text
    assert "would avoid" in fix_sentence(dict(b, avoidable_minutes=12.0), "EUR")
