"""Spreadsheets (.xlsx, .ods...): workbooks written by openpyxl (a writer independent of calamine, which
reads them) read as the same sheet saved as CSV would be: titles, clocks, blank rows, several sheets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from io_helpers import balanced, column, read_one, write

from cxray.engine import Engine
from cxray.errors import InputError
from cxray.io import Mapping, ReadOptions, read_events

openpyxl = pytest.importorskip("openpyxl")

HEADER = ["CallID", "Start", "Step", "Talk", "Agent"]
ROWS = [
    ["c1", dt.datetime(2025, 3, 1, 9, 0), "IVR", None, None],
    ["c1", dt.datetime(2025, 3, 1, 9, 2), "Agent", dt.timedelta(minutes=75, seconds=30), "ann"],
    ["c2", dt.datetime(2025, 3, 1, 23, 59, 1, 250000), "IVR", 12.5, " bob "],
    ["c3", "not a date", "IVR", None, "0012"],
]
MAPPING = Mapping(columns={"contact_id": "CallID", "timestamp": "Start", "activity": "Step",
                           "duration_s": "Talk", "actor": "Agent"})  # fmt: skip
AS_CSV = (  # the same sheet as Excel's "CSV UTF-8" would write it (a duration cell as [h]:mm:ss)
    "CallID,Start,Step,Talk,Agent\n"
    "c1,2025-03-01 09:00:00,IVR,,\n"
    "c1,2025-03-01 09:02:00,Agent,1:15:30,ann\n"
    "c2,2025-03-01 23:59:01.250,IVR,12.5, bob \n"
    "c3,not a date,IVR,,0012\n"
)


def workbook(path: Path, rows: list[list], *, titles: list[list] = (), sheets: dict | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Calls"
    for row in [*titles, HEADER, *rows]:
        ws.append(row)
    for cell in ws["D"]:
        if isinstance(cell.value, dt.timedelta):
            cell.number_format = "[h]:mm:ss"
    for name, extra in (sheets or {}).items():
        other = wb.create_sheet(name)
        for row in extra:
            other.append(row)
    wb.save(path)
    return path


def _events(engine: Engine) -> list[tuple]:
    return engine.fetchall(
        "SELECT contact_id, timestamp, activity, duration_s, actor, source_row FROM events "
        "ORDER BY source_row"
    )


def test_a_sheet_reads_as_the_same_sheet_saved_as_csv(engine: Engine, tmp_path: Path):
    """The oracle: the CSV Excel would write of the sheet. The duration cell (75 min 30 s, a fraction of
    a day formatted [h]:mm:ss) is 4530 seconds; milliseconds and a padded name kept; a text id stays text;
    the bad date rejected as in the CSV, row and column named."""
    s = read_one(engine, workbook(tmp_path / "calls.xlsx", ROWS), mapping=MAPPING)
    assert balanced(s) and (s.rows_kept, s.rows_rejected) == (3, 1)
    from_sheet = _events(engine)
    with Engine() as other:
        read_events([write(tmp_path, "calls.csv", AS_CSV)], other, options=ReadOptions(mapping=MAPPING))
        assert from_sheet == _events(other)
    assert [r[3] for r in from_sheet] == [None, 4530.0, 12.5]
    assert engine.fetchall('SELECT reason, source_row, "column" FROM rejected') == [
        ("bad_timestamp", 4, "Start")
    ]


def test_titles_above_the_header_and_blank_rows_are_skipped_rows_keep_their_numbers(
    engine: Engine, tmp_path: Path
):
    titles = [["Call Detail Report"], ["From 2025-03-01 to 2025-03-02"], []]
    rows = [ROWS[0], [None] * 5, ROWS[1]]
    s = read_one(engine, workbook(tmp_path / "calls.xlsx", rows, titles=titles), mapping=MAPPING)
    assert s.records_left_out == {"title_lines": 3} and s.rows_kept == 2 and balanced(s)
    assert column(engine, "source_row") == [1, 3]  # Excel rows 5 and 7, below the header on row 4


def test_a_time_of_day_column_joins_its_date_column(engine: Engine, tmp_path: Path):
    """A wide layout's date and time of day in cells of their own (Excel keeps a time as a fraction of a
    day): ``2025-03-01`` and ``09:05:07`` read as 2025-03-01 09:05:07."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Call", "Date", "Entered", "Served"])
    ws.append(["c1", dt.date(2025, 3, 1), dt.time(9, 5, 7), dt.time(9, 6, 0)])
    path = tmp_path / "wide.xlsx"
    wb.save(path)
    m = Mapping.from_dict({
        "columns": {"contact_id": "Call"},
        "events": [{"activity": "Entered", "timestamp": "Entered", "date": "Date"},
                   {"activity": "Served", "timestamp": "Served", "date": "Date"}],
    })  # fmt: skip
    read_one(engine, path, mapping=m)
    assert [str(t) for t in column(engine, "timestamp")] == ["2025-03-01 09:05:07", "2025-03-01 09:06:00"]


def test_a_workbook_of_several_sheets_must_name_one(engine: Engine, tmp_path: Path):
    path = workbook(tmp_path / "calls.xlsx", ROWS[:2], sheets={"Notes": [["read me"]], "Empty": []})
    with pytest.raises(InputError, match=r"2 sheets with values \('Calls', 'Notes'\): name the sheet"):
        read_one(engine, path, mapping=MAPPING)
    assert read_one(engine, path, mapping=MAPPING, sheet="Calls").rows_kept == 2
    assert read_one(engine, path, mapping=MAPPING, sheet="1").rows_kept == 2
    from dataclasses import replace

    assert read_one(engine, path, mapping=replace(MAPPING, sheet="Calls")).rows_kept == 2
    with pytest.raises(InputError, match="no sheet 'Detail'; the workbook's sheets: Calls, Notes, Empty"):
        read_one(engine, path, mapping=MAPPING, sheet="Detail")


def test_a_file_that_is_no_workbook_is_an_error_naming_it(engine: Engine, tmp_path: Path):
    path = write(tmp_path, "calls.xlsx", "CallID,Start\nc1,2025-03-01\n")
    with pytest.raises(InputError, match="cannot read as a spreadsheet") as caught:
        read_one(engine, path, mapping=MAPPING)
    assert str(caught.value.path).endswith("calls.xlsx")


def test_diagnose_reads_a_workbook_from_the_cli(tmp_path: Path):
    import json

    from typer.testing import CliRunner

    from cxray.cli import app

    rows = [[f"c{i}", dt.datetime(2025, 3, 1 + i % 20, 9, i % 60), step, 30 + i, f"a{i % 5}"]
            for i in range(60) for step in ("IVR", "Agent")]  # fmt: skip
    path = workbook(tmp_path / "calls.xlsx", rows, sheets={"Notes": [["x"]]})
    yaml = write(tmp_path, "m.yaml", "columns: {contact_id: CallID, timestamp: Start, activity: Step, "
                 "duration_s: Talk, actor: Agent}\n")  # fmt: skip
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["diagnose", str(path), "--mapping", str(yaml), "--sheet", "Calls", "--out", str(out), "-q"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    assert doc["input"]["rows_kept"] == 120 and doc["metrics"]["overall"]["contacts"] == 60


WIDE = Mapping.from_dict({
    "columns": {"contact_id": "Call"},
    "events": [{"activity": "Start", "timestamp": "Start", "date": "Date"},
               {"activity": "Answered", "timestamp": "Answered", "date": "Date", "duration": "Talk"}],
})  # fmt: skip


def _sheet(path: Path, rows: list[list], *, formats: dict[str, str] | None = None, epoch1904: bool = False):
    wb = openpyxl.Workbook()
    if epoch1904:
        from openpyxl.utils.datetime import CALENDAR_MAC_1904

        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    for row in rows:
        ws.append(row)
    for letter, number_format in (formats or {}).items():
        for cell in ws[letter][1:]:
            cell.number_format = number_format
    wb.save(path)
    return path


def test_a_date_column_with_a_stray_value_still_joins_its_time_columns(engine: Engine, tmp_path: Path):
    """One ``N/A`` among the dates (a Total row, a repeated header) no longer makes every row's date the
    cell's date-time: each row joins its own date, as the CSV of the sheet does; the N/A row alone is
    rejected. The CSV path joins a spreadsheet-style date-time too."""
    rows = [["Call", "Date", "Start", "Answered", "Talk"],
            ["C1", dt.date(2025, 3, 1), dt.time(9, 0), dt.time(9, 1), dt.timedelta(minutes=5)],
            ["C2", "N/A", dt.time(10, 0), dt.time(10, 2), dt.timedelta(minutes=3)]]  # fmt: skip
    s = read_one(engine, _sheet(tmp_path / "wide.xlsx", rows, formats={"E": "[h]:mm:ss"}), mapping=WIDE)
    assert (s.rows_kept, s.rejected_by_reason) == (2, {"missing_timestamp": 2})
    assert [str(t) for t in column(engine, "timestamp")] == ["2025-03-01 09:00:00", "2025-03-01 09:01:00"]
    text = "Call,Date,Start,Answered,Talk\nC1,2025-03-01 00:00:00,09:00:00,09:01:00,00:05:00\n"
    assert read_one(engine, write(tmp_path, "wide.csv", text), mapping=WIDE).rows_kept == 2


def test_a_date_time_held_in_both_the_date_and_the_time_cell(engine: Engine, tmp_path: Path):
    """ACD reports put one date-time in two cells, one formatted as a date, one as a time: read once."""
    at = dt.datetime(2025, 3, 1, 9, 0, 5)
    rows = [["Call", "Date", "Start", "Answered", "Talk"], ["C1", at, at, at + dt.timedelta(minutes=1), 60]]
    path = _sheet(tmp_path / "acd.xlsx", rows, formats={"B": "m/d/yyyy", "C": "h:mm:ss AM/PM"})
    read_one(engine, path, mapping=WIDE)
    assert [str(t) for t in column(engine, "timestamp")] == ["2025-03-01 09:00:05", "2025-03-01 09:01:05"]


def test_times_and_durations_of_every_length_and_a_mac_workbook(engine: Engine, tmp_path: Path):
    """Durations over a day and over 61 days (Excel's 1900-02-29 that never was is calamine's too: 60 to
    61 days cannot be told from 59 to 60), and a workbook in the 1904 date system."""
    m = Mapping(columns={"contact_id": "Call", "timestamp": "At", "activity": "Step", "duration_s": "Talk"})
    for epoch1904 in (False, True):
        rows = [["Call", "At", "Step", "Talk"]] + [
            ["C1", dt.datetime(2025, 3, 1, 9, k), "Work", d]
            for k, d in enumerate([dt.timedelta(seconds=90.5), dt.timedelta(hours=26, minutes=3),
                                   dt.timedelta(days=75), dt.timedelta(days=58, hours=23)])
        ]  # fmt: skip
        path = _sheet(tmp_path / f"t{epoch1904}.xlsx", rows, formats={"D": "[h]:mm:ss"}, epoch1904=epoch1904)
        read_one(engine, path, mapping=m)
        assert column(engine, "duration_s") == [90.5, 93780.0, 6480000.0, 5094000.0], epoch1904


def test_a_placeholder_date_among_dates_stays_a_date_not_a_clock(engine: Engine, tmp_path: Path):
    """``1900-01-01`` (a database's "no date") in a date column is a date, an outlier for the guards, not a
    24-hour clock: only a column whose every date-time is a fraction of a day reads as clocks."""
    m = Mapping(columns={"contact_id": "Call", "timestamp": "At", "activity": "Step"})
    rows = [
        ["Call", "At", "Step"],
        ["C1", dt.datetime(2025, 3, 1, 9), "Open"],
        ["C1", dt.datetime(1900, 1, 1), "Close"],
    ]
    read_one(engine, _sheet(tmp_path / "p.xlsx", rows), mapping=m)
    assert [str(t) for t in column(engine, "timestamp")] == ["2025-03-01 09:00:00", "1900-01-01 00:00:00"]


def test_hidden_sheets_do_not_count_and_sheet_names_ignore_case(engine: Engine, tmp_path: Path):
    wb = openpyxl.Workbook()
    wb.active.title = "Calls"
    for row in [HEADER, *ROWS[:2]]:
        wb.active.append(row)
    hidden = wb.create_sheet("Lookup")
    hidden.append(["queue", "name"])
    hidden.sheet_state = "hidden"
    path = tmp_path / "h.xlsx"
    wb.save(path)
    assert read_one(engine, path, mapping=MAPPING).rows_kept == 2  # the only visible sheet with values
    assert read_one(engine, path, mapping=MAPPING, sheet="calls").rows_kept == 2


@pytest.mark.parametrize(
    ("name", "content", "told"),
    [("export.xls", b"<html><table><tr><td>Key</td></tr></table></html>", "it is a web page or XML"),
     ("export.xls", b"Key,Status\nA-1,Open\n", "it is text, not a workbook: if it is CSV, name it .csv")],
)  # fmt: skip
def test_a_file_named_xls_that_is_a_web_page_or_text_says_what_it_is(
    engine, tmp_path: Path, name, content, told
):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=told):
        read_one(engine, path, mapping=MAPPING)


def test_an_opendocument_sheet_is_refused_with_what_to_do(engine: Engine, tmp_path: Path):
    """calamine reads an .ods sheet's time and duration cells as empty: handle times would vanish."""
    path = write(tmp_path, "calls.ods", "x")
    with pytest.raises(
        InputError, match=r"unknown file type \.ods \(an OpenDocument sheet.*save it as \.xlsx"
    ):
        read_one(engine, path, mapping=MAPPING)


def test_a_csv_title_padded_with_delimiters_is_skipped(engine: Engine, tmp_path: Path):
    """Excel saves a report's title row with the sheet's width of empty fields: ``Call Detail Report,,,,``."""
    text = "Call Detail Report,,,,\n,,,,\n" + AS_CSV
    s = read_one(engine, write(tmp_path, "padded.csv", text), mapping=MAPPING)
    assert s.records_left_out == {"title_lines": 2} and s.rows_kept == 3


def test_booleans_read_as_excel_shows_them(engine: Engine, tmp_path: Path):
    """``TRUE``/``FALSE``, as in the CSV Excel writes: an outcome mapped from ``TRUE`` reads either file."""
    m = Mapping(columns={"contact_id": "Call", "timestamp": "At", "activity": "Step", "outcome": "Solved"},
                outcome_values={"TRUE": "resolved", "FALSE": "unresolved"})  # fmt: skip
    rows = [["Call", "At", "Step", "Solved"], ["C1", dt.datetime(2025, 3, 1, 9), "Close", True],
            ["C2", dt.datetime(2025, 3, 1, 10), "Close", False]]  # fmt: skip
    read_one(engine, _sheet(tmp_path / "b.xlsx", rows), mapping=m)
    assert column(engine, "outcome") == ["resolved", "unresolved"]
