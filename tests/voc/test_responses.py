"""Survey responses in: files found by their columns or mapped by hand, every bad row rejected with its
reason and counted, each response matched to its contact by contact id, else by customer."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cxray import DiagnoseOptions, diagnose
from cxray.cli import app
from cxray.engine import Engine
from cxray.errors import ConfigError, InputError
from cxray.io.options import ReadOptions
from cxray.voc import VocOptions
from cxray.voc.responses import NO_SCORE, RESPONSES, TEXT_SCORE, SurveyOptions, build_responses

EVENTS = """contact_id,timestamp,activity,customer_id,channel,queue,team,reason,outcome,duration_s
c1,2024-03-04T09:00:00,Call start,u1,phone,billing,tier1,bill,,
c1,2024-03-04T09:05:00,Call end,u1,phone,billing,tier1,bill,resolved,300
c2,2024-03-05T10:00:00,Chat start,u2,chat,tech,tier2,wifi,,
c2,2024-03-05T10:09:00,Chat end,u2,chat,tech,tier2,wifi,resolved,540
c3,2024-03-06T11:00:00,Call start,u3,phone,billing,tier1,bill,,
c3,2024-03-06T11:04:00,Call end,u3,phone,billing,tier1,bill,resolved,240
"""
SURVEYS = """Interaction ID,Customer,Responded At,NPS,Comment
c1,u1,2024-03-04 12:00,9,quick and helpful
c2,u2,2024-03-05 12:00,11,out of range
,,2024-03-05 12:00,5,no id at all
,u3,2024-03-06 18:00,3,matched by customer
c9,u9,2024-03-06 18:00,7,nobody we know
c1,u1,not a time,8,
c1,u1,2024-03-07,EMPTY,
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    events, surveys = tmp_path / "events.csv", tmp_path / "surveys.csv"
    events.write_text(EVENTS, encoding="utf-8")
    surveys.write_text(SURVEYS, encoding="utf-8")
    return events, surveys


def _staged(events: Path, options: SurveyOptions):
    engine = Engine(threads=2)
    diagnose(events, engine=engine)  # leaves events and contacts in the engine
    return engine, build_responses(engine, options, read=ReadOptions())


def test_a_survey_file_is_read_checked_and_matched(files):
    events, surveys = files
    engine, doc = _staged(events, SurveyOptions(files=(str(surveys),)))
    try:
        assert doc is not None
        assert (doc["rows_read"], doc["rows_kept"], doc["rows_rejected"]) == (7, 3, 4)
        assert doc["rejected_by_reason"] == {
            "score outside the survey type's scale": 1,
            "no contact or customer id": 1,
            "timestamp missing or not a time": 1,
            "score not a number (map text scores with --survey-score)": 1,
        }
        first = doc["rejected_examples"][0]
        assert first == {"source": str(surveys), "row": 2, "column": "score", "value": "11",
                         "reason": "score outside the survey type's scale"}  # fmt: skip
        assert (doc["matched_by_contact"], doc["matched_by_customer"], doc["unmatched"]) == (1, 1, 1)
        rows = {r["verbatim"]: r for r in engine.rows(f"SELECT * FROM {RESPONSES}")}
        assert rows["matched by customer"]["contact_id"] == "c3"  # u3's latest contact before the response
        assert (
            rows["matched by customer"]["queue"] == "billing"
            and rows["matched by customer"]["reason"] == "bill"
        )
        assert rows["nobody we know"]["contact_id"] is None and rows["nobody we know"]["queue"] is None
        assert {r["survey_type"] for r in rows.values()} == {"nps"}  # said by the score column's name
        assert doc["by_type"] == {"nps": 3}
    finally:
        engine.close()


def test_columns_can_be_mapped_by_hand_and_a_type_given(files, tmp_path):
    events, _ = files
    odd = tmp_path / "odd.csv"
    odd.write_text("ref,when,Q7 rating\nc1,2024-03-04 12:00,4\nc2,2024-03-05 12:00,2\n", encoding="utf-8")
    columns = {"contact_id": "ref", "timestamp": "when", "score": "Q7 rating"}
    options = SurveyOptions(files=(str(odd),), columns=columns, survey_type="csat")
    engine, doc = _staged(events, options)
    engine.close()
    assert doc is not None and doc["rows_kept"] == 2 and doc["by_type"] == {"csat": 2}


def test_a_file_that_cannot_say_its_survey_type_or_has_no_score_is_an_input_error(files, tmp_path):
    events, _ = files
    untyped = tmp_path / "untyped.csv"
    untyped.write_text("contact_id,timestamp,score\nc1,2024-03-04 12:00,4\n", encoding="utf-8")
    no_score = tmp_path / "no_score.csv"
    no_score.write_text("contact_id,timestamp,comment\nc1,2024-03-04 12:00,hi\n", encoding="utf-8")
    for path, message in ((untyped, "--survey-type"), (no_score, "no score column")):
        engine = Engine(threads=2)
        try:
            diagnose(events, engine=engine)
            with pytest.raises(InputError, match=message) as caught:
                build_responses(engine, SurveyOptions(files=(str(path),)), read=ReadOptions())
            assert str(path) in str(caught.value)
        finally:
            engine.close()


def test_bad_survey_options_are_config_errors():
    with pytest.raises(ConfigError, match="unknown field 'rating'"):
        SurveyOptions(columns={"rating": "x"})
    with pytest.raises(ConfigError, match="survey_type"):
        SurveyOptions(survey_type="stars")


def test_a_log_without_surveys_says_so(files):
    events, _ = files
    voc = diagnose(events).to_dict()["voc"]
    assert voc["available"] is False and voc["input"] is None and voc["alerts"] == []


def test_the_diagnosis_carries_the_voc_of_a_survey_file(files):
    events, surveys = files
    options = DiagnoseOptions(voc=VocOptions(surveys=SurveyOptions(files=(str(surveys),))))
    voc = diagnose(events, options).to_dict()["voc"]
    assert voc["available"] and voc["input"]["rows_kept"] == 3
    assert voc["sentiment"]["scored"] == 3 and voc["verbatim_stats"]["verbatims"] == 3
    overall = [s for s in voc["scores"] if s["dimension"] == "overall" and s["week"] is None]
    assert [(s["metric"], s["responses"]) for s in overall] == [("nps", 3)]


def test_cli_surveys_flags_reach_the_diagnosis(files, tmp_path):
    events, surveys = files
    out = tmp_path / "out"
    args = ["diagnose", str(events), "--surveys", str(surveys), "--survey-map", "verbatim=Comment",
            "--out", str(out), "-q"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    assert doc["voc"]["input"]["rows_rejected"] == 4
    assert doc["options"]["voc"]["surveys"]["columns"] == {"verbatim": "Comment"}
    assert "Customer voice" in (out / "report.html").read_text(encoding="utf-8")
    touchpoints = (out / "touchpoints.csv").read_text(encoding="utf-8").splitlines()
    assert touchpoints[0].startswith('"touchpoint","activities","channel","owner"')
    assert len(touchpoints) - 1 == len(doc["voc"]["touchpoints"]) > 0
    bad = CliRunner().invoke(app, ["diagnose", str(events), "--survey-type", "stars", "--out", str(out)])
    assert bad.exit_code != 0 and "survey_type" in bad.output


def test_a_tie_between_a_customers_contacts_goes_to_the_same_one_in_any_row_order(tmp_path):
    """Two contacts of one customer starting at the same second: a response matched by customer goes to
    the one with the larger id, whatever order the export lists them in (not the one met first)."""
    header = "contact_id,timestamp,activity,customer_id,channel,queue,team,reason,outcome,duration_s\n"
    a = "c4a,2024-03-06T11:00:00,Call start,u4,phone,billing,tier1,bill,resolved,60\n"
    b = "c4b,2024-03-06T11:00:00,Chat start,u4,chat,tech,tier2,wifi,resolved,60\n"
    surveys = tmp_path / "surveys.csv"
    surveys.write_text("Customer,Responded At,NPS,Comment\nu4,2024-03-06 18:00,3,tied\n", encoding="utf-8")
    matched = set()
    for k, rows in enumerate((a + b, b + a)):
        events = tmp_path / f"events{k}.csv"
        events.write_text(header + rows, encoding="utf-8")
        engine, doc = _staged(events, SurveyOptions(files=(str(surveys),)))
        try:
            assert doc is not None and doc["matched_by_customer"] == 1
            matched.add(engine.scalar(f"SELECT contact_id FROM {RESPONSES}"))
        finally:
            engine.close()
    assert matched == {"c4b"}


# --- a real helpdesk export: a ticket Type column, text scores (Freshdesk, Zendesk, Help Scout) ---------
TICKETS = "id,ts,act,cust\nT1,2024-03-01 10:00,Created,a@x.com\nT2,2024-03-01 11:00,Created,b@x.com\n"
TICKET_SURVEYS = (
    "Ticket ID,Type,Rating,Updated\nT1,Incident,5,2024-03-02 10:00\nT2,Question,2,2024-03-02 11:00\n"
)
TICKET_MAP = ["--map", "contact_id=id", "--map", "timestamp=ts", "--map", "activity=act",
              "--map", "customer_id=cust"]  # fmt: skip


def _tickets(tmp_path: Path, surveys: str) -> tuple[Path, Path]:
    events, responses = tmp_path / "tickets.csv", tmp_path / "ticket_surveys.csv"
    events.write_text(TICKETS, encoding="utf-8")
    responses.write_text(surveys, encoding="utf-8")
    return events, responses


def test_survey_type_given_wins_over_a_type_column_found_by_name(tmp_path):
    """A ticket export's ``Type`` (Incident, Question) found by name does not override ``--survey-type
    csat``: both responses are kept as CSAT, and the printed summary says so."""
    events, surveys = _tickets(tmp_path, TICKET_SURVEYS)
    out = tmp_path / "out"
    args = ["diagnose", str(events), *TICKET_MAP, "--surveys", str(surveys), "--survey-type", "csat",
            "--survey-map", "timestamp=Updated", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))["voc"]["input"]
    assert (doc["rows_kept"], doc["rows_rejected"], doc["by_type"]) == (2, 0, {"csat": 2})
    assert "cxray: surveys: read 2 responses: kept 2, rejected 0" in result.output


def test_a_type_column_mapped_by_hand_wins_over_the_survey_type_given(files, tmp_path):
    """``--survey-map survey_type=COL`` is read row by row even with ``survey_type`` given."""
    events, _ = files
    typed = tmp_path / "typed.csv"
    typed.write_text("contact_id,timestamp,kind,score\nc1,2024-03-04 12:00,NPS,9\n", encoding="utf-8")
    options = SurveyOptions(files=(str(typed),), columns={"survey_type": "kind"}, survey_type="csat")
    engine, doc = _staged(events, options)
    engine.close()
    assert doc is not None and doc["by_type"] == {"nps": 1}


def test_a_type_column_found_by_name_is_used_only_when_it_holds_survey_types(files, tmp_path):
    """Without ``survey_type``, a by-name type column of survey types says each row's type; one holding
    anything else is ignored for the score column's name, or, when that says nothing, is an input error
    naming the column and a value."""
    events, _ = files
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("contact_id,timestamp,Survey,score\nc1,2024-03-04 12:00,NPS,9\nc2,2024-03-05 12:00,"
                     " csat ,4\nc3,2024-03-06 12:00,,4\n", encoding="utf-8")  # fmt: skip
    engine, doc = _staged(events, SurveyOptions(files=(str(mixed),)))
    engine.close()
    assert doc is not None and doc["by_type"] == {"csat": 1, "nps": 1} and doc["rows_rejected"] == 1
    tickets = tmp_path / "tickets.csv"
    tickets.write_text("contact_id,timestamp,Type,CSAT\nc1,2024-03-04 12:00,Incident,4\n", encoding="utf-8")
    engine, doc = _staged(events, SurveyOptions(files=(str(tickets),)))
    engine.close()
    assert doc is not None and doc["by_type"] == {"csat": 1}  # the score column's name says it
    _, surveys = _tickets(tmp_path, TICKET_SURVEYS)
    engine = Engine(threads=2)
    try:
        diagnose(events, engine=engine)
        with pytest.raises(InputError, match="the column 'Type' holds 'Incident', not a survey type"):
            options = SurveyOptions(files=(str(surveys),), columns={"timestamp": "Updated"})
            build_responses(engine, options, read=ReadOptions())
    finally:
        engine.close()


FRESHDESK = """contact_id,timestamp,Rating
c1,2024-03-04 12:00,Extremely satisfied
c2,2024-03-05 12:00, extremely DISSATISFIED
c3,2024-03-06 12:00,Neither satisfied nor dissatisfied
c3,2024-03-06 13:00,
"""


def test_text_scores_are_read_through_the_score_mapping(files, tmp_path):
    """Text scores map to numbers without case or surrounding spaces; an unmapped one is rejected with a
    reason that says to map it, apart from a missing score."""
    events, _ = files
    text = tmp_path / "freshdesk.csv"
    text.write_text(FRESHDESK, encoding="utf-8")
    scores = {"Extremely satisfied": 5, "Extremely dissatisfied": "1"}
    engine, doc = _staged(events, SurveyOptions(files=(str(text),), survey_type="csat", scores=scores))
    try:
        assert doc is not None and doc["rows_kept"] == 2
        assert doc["rejected_by_reason"] == {TEXT_SCORE: 1, NO_SCORE: 1}
        assert doc["rejected_examples"][0]["value"] == "Neither satisfied nor dissatisfied"
        rows = engine.rows(f"SELECT contact_id, score FROM {RESPONSES}")
        assert {r["contact_id"]: r["score"] for r in rows} == {"c1": 5.0, "c2": 1.0}
    finally:
        engine.close()
    with pytest.raises(ConfigError, match=r"surveys\.scores: 'good' expects a number"):
        SurveyOptions(scores={"good": "great"})


def test_cli_survey_score_flags_reach_the_diagnosis(files, tmp_path):
    """``--survey-score LABEL=NUMBER`` (repeatable) fills ``voc.surveys.scores`` over the options file's."""
    events, _ = files
    text = tmp_path / "freshdesk.csv"
    text.write_text(FRESHDESK, encoding="utf-8")
    out = tmp_path / "out"
    scores = ["--survey-score", "Extremely satisfied=5", "--survey-score", "Extremely dissatisfied=1"]
    args = [
        "diagnose",
        str(events),
        "--surveys",
        str(text),
        "--survey-type",
        "csat",
        *scores,
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    assert doc["options"]["voc"]["surveys"]["scores"] == {
        "Extremely satisfied": 5.0,
        "Extremely dissatisfied": 1.0,
    }
    assert doc["voc"]["input"]["rows_kept"] == 2
    assert f"surveys: read 4 responses: kept 2, rejected 2 ({NO_SCORE}: 1; {TEXT_SCORE}: 1)" in result.output


def test_the_text_score_example_in_the_docs_loads():
    """docs/voc.md's options example maps Freshdesk's five labels to CSAT 5..1."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "voc.md").read_text(encoding="utf-8")
    shown = re.search(r"```yaml\n(.*?)```", doc, re.S)
    assert shown
    surveys = DiagnoseOptions.from_dict(yaml.safe_load(shown.group(1))).voc.surveys
    assert surveys.survey_type == "csat" and sorted(surveys.scores.values()) == [1, 2, 3, 4, 5]


def test_a_survey_workbook_has_its_own_sheet_not_the_events_one(files, tmp_path: Path):
    """The events' ``--sheet`` names the events' sheet: a survey workbook is read from its own (its only
    sheet with values, or ``surveys.sheet``), as the same responses in a CSV are."""
    openpyxl = pytest.importorskip("openpyxl")
    events, surveys = files
    book = openpyxl.Workbook()
    book.active.title = "Responses"
    for line in SURVEYS.splitlines():
        book.active.append(line.split(","))
    book.create_sheet("Notes").append(["exported by hand"])
    path = tmp_path / "surveys.xlsx"
    book.save(path)
    engine, from_csv = _staged(events, SurveyOptions(files=(str(surveys),)))
    engine.close()
    engine = Engine(threads=2)
    try:
        diagnose(events, engine=engine)
        read = ReadOptions(sheet="Calls")  # the events' sheet: no sheet of the survey workbook
        with pytest.raises(InputError, match="name the sheet"):
            build_responses(engine, SurveyOptions(files=(str(path),)), read=read)
        doc = build_responses(engine, SurveyOptions(files=(str(path),), sheet="Responses"), read=read)
        assert doc is not None and from_csv is not None
        keys = ("rows_read", "rows_kept", "rows_rejected", "rejected_by_reason", "matched_by_contact")
        assert {k: doc[k] for k in keys} == {k: from_csv[k] for k in keys}
    finally:
        engine.close()
