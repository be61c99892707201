"""The headline printed after a run, and the progress display on a terminal."""

from __future__ import annotations

import dataclasses
import io
import re
import time
from typing import Any

import pytest
from rich.console import Console

from cxray.diagnose import Diagnosis
from cxray.io import InputSummary
from cxray.metrics import Metrics
from cxray.progress import RichProgress
from cxray.summary import headline
from cxray.voc import empty_voc

OVERALL = {
    "contacts": 12345,
    "fcr": 0.61137,
    "reported_fcr": 0.72,
    "repeat_contact_rate": 0.1834,
    "true_containment_rate": 0.4,
    "cost_per_resolved_journey": 1234.5,
}


def _diagnosis(overall: dict[str, Any], disabled: dict[str, str] | None = None, **kw: Any) -> Diagnosis:
    summary = InputSummary(
        files=["calls.csv"],
        rows_read=10,
        rows_kept=8,
        rows_rejected=1,
        rejected_by_reason={"bad timestamp": 1},
        duplicates_dropped=1,
        fields_present=[],
        attributes=[],
        time_start=None,
        time_end=None,
    )
    return Diagnosis(
        input=summary,
        metrics=Metrics(overall=overall, disabled=disabled or {}),
        flow={},
        options={"costs": {"currency": "GBP"}},
        **kw,
    )


def _kpis(lines: list[str]) -> dict[str, str]:
    return {m.group(1): m.group(2) for line in lines if (m := re.match(r"(\S.*?)\s{2,}(\S.*)$", line))}


def test_headline_shows_rows_then_each_kpi_formatted():
    """Counts with thousands separators, shares as 61.1%, cost with the model's currency."""
    lines = headline(_diagnosis(OVERALL))
    assert lines[0] == "read 10 rows: kept 8, rejected 1, duplicates dropped 1"
    assert _kpis(lines) == {
        "contacts": "12,345",
        "FCR": "61.1%",
        "reported FCR": "72.0%",
        "repeat contact rate": "18.3%",
        "true containment": "40.0%",
        "cost per resolution": "1,234.50 GBP",
    }


def test_records_of_several_events_are_counted_as_both():
    """A wide layout (a ticket row giving created, resolved and closed events) or a platform export: a
    21-row file is not 'read 31 rows'."""
    d = _diagnosis(OVERALL)
    d.input = dataclasses.replace(d.input, rows_read=31, rows_kept=29, records_read=21)
    assert headline(d)[0] == "read 31 events from 21 records: kept 29, rejected 1, duplicates dropped 1"


def test_a_disabled_metric_says_why_and_a_missing_one_says_na():
    """A metric the log cannot support reads 'n/a (reason)'; one absent from the metrics reads 'n/a'; one
    computed over nothing says what was missing (every contact censored)."""
    overall = {**OVERALL, "fcr": None, "repeat_contact_rate": None}
    del overall["reported_fcr"]
    kpis = _kpis(headline(_diagnosis(overall, {"fcr": "needs customer_id"})))
    assert kpis["FCR"] == "n/a (needs customer_id)"
    assert kpis["reported FCR"] == "n/a"
    assert kpis["repeat contact rate"] == (
        "n/a (every identified contact ends within the repeat window of the data's end)"
    )


def test_top_breakdowns_are_listed_in_rank_order_up_to_top():
    """The top breakdowns follow the KPIs, '#rank title', at most ``top`` of them."""
    found = [{"rank": i, "title": f"finding {i}"} for i in range(1, 8)]
    lines = headline(_diagnosis(OVERALL, breakdowns=found), top=3)
    assert lines[-4:] == ["top breakdowns:", "  #1 finding 1", "  #2 finding 2", "  #3 finding 3"]


@pytest.mark.parametrize(
    ("summary", "why"),
    [
        ({"n_findings": 0, "set_aside": []}, "no detector found a pattern above its baseline"),
        ({"n_findings": 1, "set_aside": [{"title": "Rare loop"}]}, "set aside: Rare loop"),
    ],
)
def test_no_breakdown_says_so_plainly(summary, why):
    """Without breakdowns the last line says none stood out, and why, instead of saying nothing."""
    last = headline(_diagnosis(OVERALL, breakdown_summary=summary))[-1]
    assert last.startswith("no breakdown stood out: ") and why in last


def _survey_input(kept: int, rejected: dict[str, int], unmatched: int = 0) -> dict[str, Any]:
    return {
        "sources": ["surveys.csv"], "rows_read": kept + sum(rejected.values()), "rows_kept": kept,
        "rows_rejected": sum(rejected.values()), "rejected_by_reason": rejected, "rejected_examples": [],
        "by_type": {"csat": kept}, "matched_by_contact": kept - unmatched, "matched_by_customer": 0,
        "unmatched": unmatched,
    }  # fmt: skip


def test_survey_responses_are_accounted_for_after_the_rows():
    """With survey responses read, the line after the rows says how many were kept and rejected, and
    the most frequent reasons (three at most), so a run that lost every response says so."""
    rejected = {"score missing": 20, "unknown survey type (nps, csat or ces)": 2, "a": 1, "b": 1}
    voc = empty_voc(_survey_input(0, rejected))  # type: ignore[arg-type]
    lines = headline(_diagnosis(OVERALL, voc=voc))
    assert lines[1] == (
        "surveys: read 24 responses: kept 0, rejected 24 (score missing: 20; "
        "unknown survey type (nps, csat or ces): 2; a: 1; 1 more reason(s))"
    )
    voc = empty_voc(_survey_input(1200, {}, unmatched=3))  # type: ignore[arg-type]
    assert headline(_diagnosis(OVERALL, voc=voc))[1] == (
        "surveys: read 1,200 responses: kept 1,200, rejected 0, 3 matched to no contact"
    )


def test_no_survey_line_without_surveys():
    """A run without survey files or survey fields in the log says nothing about surveys."""
    assert not any(line.startswith("surveys:") for line in headline(_diagnosis(OVERALL)))


def test_rich_progress_writes_each_step_with_its_time():
    """Each step appears with a done mark and its seconds; the display stops at done()."""
    out = io.StringIO()
    progress = RichProgress(Console(file=out, width=80, color_system=None))
    progress.step("reading events")
    time.sleep(0.2)
    progress.step("measuring")
    progress.done()
    lines = out.getvalue().splitlines()
    assert re.fullmatch(r"✓ reading events\s+0\.[2-9] s", lines[0].rstrip()), lines
    assert re.fullmatch(r"✓ measuring\s+0\.\d s", lines[1].rstrip()), lines


def test_rich_progress_marks_the_step_an_error_interrupted():
    """Leaving the context on an error stops the display and marks the running step as failed."""
    out = io.StringIO()
    with pytest.raises(RuntimeError), RichProgress(Console(file=out, width=80, color_system=None)) as p:
        p.step("reading events")
        raise RuntimeError("boom")
    assert out.getvalue().startswith("✗ reading events")


def test_the_warnings_a_mapping_fixes_are_printed_whole():
    """The flags an unmapped-columns or unknown-outcomes warning suggests are where the next command is
    typed; any other warning is only named, its text in the report."""
    from cxray.quality import DataQuality

    dq = DataQuality()
    dq.warn("unmapped_columns", "1 column(s) ... map them: --map outcome=Disposition", 1)
    dq.warn("bulk_identities", "2 customer ids raised ...", 80)
    lines = headline(_diagnosis(OVERALL, data_quality=dq))
    assert "data quality: 1 warning(s) handled as the report explains: bulk_identities (80)" in lines
    assert (
        "data quality: 1 warning(s) to fix in the input, the numbers follow the data as read until then: "
        "unmapped_columns (1)"
    ) in lines
    assert "unmapped_columns: 1 column(s) ... map them: --map outcome=Disposition" in lines
    assert not [line for line in lines if line.startswith("bulk_identities:")]


def test_phone_ids_rewritten_are_said_only_with_a_phone_region():
    d = _diagnosis(OVERALL)
    assert not [line for line in headline(d) if "phone" in line]
    d.input = dataclasses.replace(d.input, phone_ids={"rewritten": 1234, "not_valid": 5})
    told = "customer ids as phone numbers: 1,234 written in E.164, 5 not valid numbers kept as written"
    assert told in headline(d)


def test_the_columns_taken_are_said_except_those_of_their_own_name():
    from cxray.io.options import FileCounts

    d = _diagnosis(OVERALL)
    own = {"contact_id": "contact_id", "timestamp": "timestamp"}
    d.input = dataclasses.replace(d.input, per_file=[FileCounts("calls.csv", 10, 8, 1, 1, own)])
    assert not [line for line in headline(d) if line.startswith("columns:")]
    mapped = {"contact_id": "Call ID", "timestamp": "timestamp", "channel": "'phone' (constant)"}
    d.input = dataclasses.replace(d.input, per_file=[FileCounts("calls.csv", 10, 8, 1, 1, mapped)])
    assert "columns: contact_id=Call ID, channel='phone' (constant)" in headline(d)


def test_a_measure_with_nothing_to_measure_says_so_and_a_disabled_one_says_why():
    """No value and no missing field: the denominator was empty (a two-hour log: every journey censored)."""
    overall = dict(OVERALL, fcr=None, true_containment_rate=None)
    kpis = _kpis(headline(_diagnosis(overall, disabled={"true_containment_rate": "needs outcome"})))
    assert (
        kpis["FCR"]
        == "n/a (every identified customer's journey ends within the repeat window of the data's end)"
    )
    assert kpis["true containment"] == "n/a (needs outcome)"
