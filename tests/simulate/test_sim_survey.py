"""Survey effects (issue 16): a planted ``survey_drop`` moves only its segment's scores in its week, and the
verbatims come in varied phrasings whose ground truth names a step of their own contact.

Measured from the event log (pyarrow over the columns), compared against the same seed without the drop.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from cxray import schema as S
from cxray.errors import ConfigError
from cxray.simulate import SurveyDrop, load_scenario, simulate
from cxray.simulate import run as run_module
from cxray.simulate.survey import DRIVERS, TEMPLATES

TESTS = Path(__file__).resolve().parents[1]
SEED, DAYS, CUSTOMERS = 5, 28, 50_000
DROP = SurveyDrop(name="billing_drop", reason="billing_question", start_day=14, days=7, score_shift=-1.2)


def _with(*extra):
    scenario = load_scenario("default")
    return dataclasses.replace(scenario, breakdowns=(*scenario.breakdowns, *extra))


@cache
def run(*extra: SurveyDrop, seed: int = SEED):
    return simulate(_with(*extra), seed=seed, days=DAYS, customers=CUSTOMERS)


def _surveys(events: pa.Table) -> dict[str, np.ndarray]:
    """One row per survey response: contact, reason, channel, day (since the start), score."""
    rows = events.filter(pc.equal(events[S.ACTIVITY], "Survey"))
    start = datetime(2024, 3, 4)
    seconds = (
        pc.cast(rows[S.TIMESTAMP], pa.int64()).to_numpy() / 1e6
        - (start - datetime(1970, 1, 1)).total_seconds()
    )
    return {
        "contact": np.array(rows[S.CONTACT_ID].to_pylist()),
        "reason": np.array(rows[S.REASON].to_pylist()),
        "channel": np.array(rows[S.CHANNEL].to_pylist()),
        "day": np.floor(seconds / 86400),
        "score": np.array(rows[S.SURVEY_SCORE].to_pylist(), dtype=float),
    }


def _last_queue(events: pa.Table) -> dict[str, str]:
    """Each contact's last queue wait's queue."""
    waits = events.filter(pc.equal(events[S.ACTIVITY], "Queue wait"))
    return dict(zip(waits[S.CONTACT_ID].to_pylist(), waits[S.QUEUE].to_pylist(), strict=True))


# --- survey_drop --------------------------------------------------------------------------------------------
def test_drop_moves_only_its_segment_and_week():
    """Everything but the segment-week's scores is the same draw as without the drop; there the mean falls by
    about the planted shift, exactly the ground truth's realised shift."""
    plain, dropped = run(), run(DROP)
    for name in plain.events.column_names:
        if name != S.SURVEY_SCORE:
            assert plain.events[name].equals(dropped.events[name]), name
    before, after = _surveys(plain.events), _surveys(dropped.events)
    assert np.array_equal(before["contact"], after["contact"])
    segment = (before["reason"] == DROP.reason) & (before["day"] >= 14) & (before["day"] < 21)
    assert segment.sum() >= 50
    assert np.array_equal(before["score"][~segment], after["score"][~segment])  # other segments and weeks
    assert (after["score"][segment] <= before["score"][segment]).all()
    shift = after["score"][segment].mean() - before["score"][segment].mean()
    assert -1.25 <= shift <= -0.85  # rounding and the 1-5 clip take a little off the planted -1.2

    truth = next(b for b in dropped.ground_truth["breakdowns"] if b["name"] == DROP.name)
    assert truth["kind"] == "survey_drop" and not truth["decoy"]
    assert truth["entities"] == {S.REASON: "billing_question"}
    assert truth["parameters"] == {"start_day": 14, "days": 7, "score_shift": -1.2}
    survey = truth["survey"]
    assert survey["week_start"] == survey["period_start"] == "2024-03-18"
    assert date.fromisoformat(survey["week_start"]).weekday() == 0 and survey["period_end"] == "2024-03-25"
    assert survey["n_responses"] == segment.sum() == truth["n_contacts"]
    assert sorted(truth["contact_ids"]) == sorted(after["contact"][segment])
    assert survey["expected_shift"] == pytest.approx(shift, abs=1e-4)
    assert survey["mean_without"] == pytest.approx(before["score"][segment].mean(), abs=1e-4)
    assert survey["top2_with"] == pytest.approx((after["score"][segment] >= 4).mean(), abs=1e-4)


def test_switched_off_drop_changes_nothing():
    """``enabled: false`` gives the log without the drop, row for row."""
    off = run(dataclasses.replace(DROP, enabled=False))
    assert off.events.equals(run().events)
    truth = next(b for b in off.ground_truth["breakdowns"] if b["name"] == DROP.name)
    assert truth["n_contacts"] == 0 and truth["survey"]["n_responses"] == 0


def test_drop_on_channel_and_queue_segment():
    """A segment of several keys takes the responses matching all of them (queue: the last one waited in)."""
    drop = SurveyDrop(
        name="chat_drop", channel="chat", queue="General chat", start_day=7, days=7, score_shift=1.0
    )
    plain, raised = run(), run(drop)
    before, after = _surveys(plain.events), _surveys(raised.events)
    last = _last_queue(plain.events)
    queue = np.array([last.get(c) for c in before["contact"]])
    segment = (
        (before["channel"] == "chat")
        & (queue == "General chat")
        & (before["day"] >= 7)
        & (before["day"] < 14)
    )
    assert segment.sum() >= 30
    assert np.array_equal(before["score"][~segment], after["score"][~segment])
    assert (
        0.5 <= after["score"][segment].mean() - before["score"][segment].mean() <= 1.0
    )  # a rise, clipped at 5
    truth = next(b for b in raised.ground_truth["breakdowns"] if b["name"] == "chat_drop")
    assert truth["entities"] == {S.CHANNEL: "chat", S.QUEUE: "General chat"}
    assert sorted(truth["contact_ids"]) == sorted(before["contact"][segment])
    assert truth["survey"]["week_start"] == "2024-03-11"


def test_drop_from_yaml_and_its_mistakes(tmp_path):
    """A scenario file plants it; a drop with no segment, or naming an unknown queue, is a ConfigError."""
    text = (TESTS.parent / "src" / "cxray" / "simulate" / "scenarios" / "default.yaml").read_text(
        encoding="utf-8"
    )

    def load(spec: str):
        path = tmp_path / "s.yaml"
        path.write_text(text + f"  survey_week:\n    kind: survey_drop\n{spec}", encoding="utf-8")
        return load_scenario(path)

    planted = load("    queue: Billing phone\n    start_day: 7\n").breakdown("survey_week")
    assert planted == SurveyDrop(name="survey_week", queue="Billing phone", start_day=7)
    with pytest.raises(ConfigError, match="needs reason, channel, queue or team"):
        load("    days: 7\n")
    with pytest.raises(ConfigError, match="not a known queue"):
        load("    queue: Nowhere\n")
    with pytest.raises(ConfigError, match="start_day must be >= 0 and days >= 1"):
        load("    reason: billing_question\n    days: 0\n")


# --- verbatims ----------------------------------------------------------------------------------------------
def _phrasing(text: str) -> tuple[str, int]:
    """The driver and phrasing a verbatim text was written from."""
    for driver, templates in TEMPLATES.items():
        for i, template in enumerate(templates):
            head, _, tail = template.partition("{reason}")
            if text.startswith(head) and text.endswith(tail):
                return driver, i
    raise AssertionError(text)


def _verbatims(result) -> dict[str, str]:
    rows = result.events.filter(pc.is_valid(result.events[S.VERBATIM]))
    return dict(zip(rows[S.CONTACT_ID].to_pylist(), rows[S.VERBATIM].to_pylist(), strict=True))


def test_phrasings_vary_and_match_the_ground_truth_driver():
    """Every driver shows at least five of its phrasings, and each text is one of its recorded driver's."""
    result = run()
    texts = _verbatims(result)
    records = result.ground_truth["verbatims"]["records"]
    assert len(records) == len(texts) == result.ground_truth["verbatims"]["n_verbatims"]
    seen: dict[str, set[int]] = {d: set() for d in DRIVERS}
    for r in records:
        driver, phrasing = _phrasing(texts[r["contact_id"]])
        assert driver == r["driver"], (r, texts[r["contact_id"]])
        seen[driver].add(phrasing)
    assert all(len(p) >= 5 for p in seen.values()), seen
    by_driver = result.ground_truth["verbatims"]["by_driver"]
    assert sum(by_driver.values()) == len(records) and all(by_driver[d] > 0 for d in DRIVERS)


EXPECTED_STEP = {
    "context": {"Authenticate"},
    "transfers": {"Transfer", "Escalate to tier 2"},
    "wait": {"Queue wait"},
    "pending": {"Back-office case opened", "Case status checked"},
}


def test_verbatim_steps_are_events_of_their_contact():
    """Each recorded step is a row of the verbatim's own contact with the recorded activity, of the driver's
    kind: the repeated verification for ``context`` (the contact's last, after an earlier one or a
    handoff), the contact's first event for ``repeat``, its last before the survey for ``unresolved``, none
    for praise."""
    events = run().events
    records = run().ground_truth["verbatims"]["records"]
    contact = np.array(events[S.CONTACT_ID].to_pylist())
    activity = np.array(events[S.ACTIVITY].to_pylist())
    row = events[S.SOURCE_ROW].to_numpy()
    assert np.array_equal(row, np.arange(1, len(row) + 1))
    with_step = 0
    for r in records:
        rows = np.flatnonzero(contact == r["contact_id"])
        if r["driver"] == "none":
            assert r["activity"] is None and r["source_row"] is None
            continue
        if (
            r["activity"] is None
        ):  # a low score with no friction, worded as a wait, on a contact that never queued
            assert r["driver"] == "wait" and "Queue wait" not in activity[rows]
            continue
        with_step += 1
        i = r["source_row"] - 1
        assert contact[i] == r["contact_id"] and activity[i] == r["activity"], r
        if r["driver"] in EXPECTED_STEP:
            assert r["activity"] in EXPECTED_STEP[r["driver"]], r
        if r["driver"] == "context":
            assert i == max(j for j in rows if activity[j] == "Authenticate")
            before = {"Authenticate", "Bot: handoff to agent", "Transfer", "Escalate to tier 2"}
            assert any(activity[j] in before for j in rows if j < i), r
        if r["driver"] == "repeat":
            assert i == rows[0]
        if r["driver"] == "unresolved":
            assert i == max(j for j in rows if activity[j] != "Survey")
    assert with_step >= 0.4 * len(records)


def test_verbatim_steps_carry_the_vocabulary_names():
    """Under a vocabulary the recorded activity is the renamed step, as the log shows it."""
    result = simulate(load_scenario("default"), seed=2, days=10, customers=20_000)
    bank = load_scenario(TESTS / "findings" / "heldout" / "bank.yaml")
    renamed = simulate(bank, seed=1, days=10, customers=bank.customers // 5)
    names = {r["activity"] for r in renamed.ground_truth["verbatims"]["records"] if r["activity"]}
    shown = set(renamed.events[S.ACTIVITY].unique().to_pylist())
    assert names <= shown
    assert names - set(result.events[S.ACTIVITY].unique().to_pylist())  # some of them renamed


# --- determinism and output ---------------------------------------------------------------------------------
def test_same_seed_same_survey_output():
    """The same seed gives the same scores, verbatims and ground truth; another seed other phrasings."""
    a = simulate(_with(DROP), seed=9, days=21, customers=20_000)
    b = simulate(_with(DROP), seed=9, days=21, customers=20_000)
    assert a.events.equals(b.events)
    assert json.dumps(a.ground_truth, sort_keys=True) == json.dumps(b.ground_truth, sort_keys=True)
    c = simulate(_with(DROP), seed=10, days=21, customers=20_000)
    assert _verbatims(a) != _verbatims(c)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_write_spills_many_verbatim_records(tmp_path, fmt, monkeypatch):
    """Up to 2,000 records stay in ground_truth.json (here 500); more go to verbatims.csv/.parquet."""
    monkeypatch.setattr(run_module, "INLINE_IDS", 500)
    big = run(DROP)
    records = big.ground_truth["verbatims"]["records"]
    assert len(records) > 500
    paths = big.write(tmp_path / "big", fmt=fmt)
    truth = json.loads((tmp_path / "big" / "ground_truth.json").read_text(encoding="utf-8"))
    assert "records" not in truth["verbatims"] and truth["verbatims"]["records_file"] == f"verbatims.{fmt}"
    path = tmp_path / "big" / f"verbatims.{fmt}"
    assert path in paths
    nulls = pacsv.ConvertOptions(strings_can_be_null=True)  # a step-less record has an empty activity
    table = pacsv.read_csv(path, convert_options=nulls) if fmt == "csv" else pq.read_table(path)
    assert table.to_pylist() == records
    assert "records" in big.ground_truth["verbatims"]  # the in-memory result is untouched
    small = simulate(load_scenario("default"), seed=1, days=3, customers=5_000)
    assert 0 < len(small.ground_truth["verbatims"]["records"]) <= 500
    small.write(tmp_path / "small")
    inline = json.loads((tmp_path / "small" / "ground_truth.json").read_text(encoding="utf-8"))["verbatims"]
    assert inline["records"] == small.ground_truth["verbatims"]["records"] and "records_file" not in inline


def test_start_day_past_a_monday_reports_its_week():
    """A period starting mid-week names the Monday of its week and the period's own dates."""
    drop = dataclasses.replace(DROP, name="midweek", start_day=16, days=3)
    truth = next(b for b in run(drop).ground_truth["breakdowns"] if b["name"] == "midweek")["survey"]
    start = date(2024, 3, 4) + timedelta(days=16)
    assert truth["period_start"] == start.isoformat() and truth["week_start"] == "2024-03-18"
    assert truth["period_end"] == (start + timedelta(days=3)).isoformat()
