"""Files that cannot be used stop with an InputError naming the file, and the row and column where known."""

from __future__ import annotations

from pathlib import Path

import pytest
from io_helpers import read_one, write

from cxray.engine import Engine
from cxray.errors import InputError, MissingColumnError
from cxray.io import Mapping, ReadOptions, read_events, write_rejected


def test_missing_file(engine: Engine, tmp_path: Path):
    with pytest.raises(InputError, match="file not found") as info:
        read_one(engine, tmp_path / "nope.csv")
    assert info.value.path == str(tmp_path / "nope.csv")


def test_empty_file_and_header_only(engine: Engine, tmp_path: Path):
    with pytest.raises(InputError, match="empty"):
        read_one(engine, write(tmp_path, "e.csv", ""))
    with pytest.raises(InputError, match="no rows"):
        read_one(engine, write(tmp_path, "h.csv", "contact_id,timestamp,activity\n"))


def test_missing_required_column_lists_columns_and_suggests_map(engine: Engine, tmp_path: Path):
    path = write(tmp_path, "m.csv", "Conversation,timestamp,activity\nk,2024-01-01,A\n")
    with pytest.raises(MissingColumnError) as info:
        read_one(engine, path)
    message = str(info.value)
    assert str(path) in message and "'Conversation'" in message and "--map contact_id=" in message
    assert info.value.column == "contact_id"
    assert "perhaps" not in message  # "Conversation" is not a name exports give ids
    assert "constants" not in message  # only a missing activity is told how a mapping names one


def test_a_missing_activity_says_how_a_mapping_gives_one(engine: Engine, tmp_path: Path):
    """A call log has a row a call and no step column: the error says a mapping's constants or events
    give one, not only --map."""
    path = write(tmp_path, "calls.csv", "contact_id,timestamp,agent\nk,2024-01-01,Ann\n")
    with pytest.raises(MissingColumnError, match=r"constants: \{activity: Call\}.*'events:'"):
        read_one(engine, path)


@pytest.mark.parametrize(
    ("header", "hint"),
    [
        ("Ticket Id,Created At,Status", '(perhaps --map "contact_id=Ticket Id")'),
        ("contact_id,Created At,Status", '(perhaps --map "timestamp=Created At")'),
        ("CASE_ID,timestamp,Event Name", '(perhaps --map "contact_id=CASE_ID")'),
    ],
)
def test_a_missing_required_column_names_the_likely_source_column(
    engine: Engine, tmp_path: Path, header, hint
):
    """A hint in the message, never a mapping made: the names exports give ids, times and steps."""
    path = write(tmp_path, "m.csv", f"{header}\nk,2024-01-01,A\n")
    with pytest.raises(MissingColumnError) as info:
        read_one(engine, path)
    assert hint in str(info.value)


def test_mapped_column_absent(engine: Engine, tmp_path: Path):
    path = write(tmp_path, "m.csv", "contact_id,timestamp,activity\nk,2024-01-01,A\n")
    with pytest.raises(MissingColumnError, match="'Chanel'"):
        read_one(engine, path, mapping=Mapping(columns={"channel": "Chanel"}))


def test_every_row_rejected_names_row_column_and_hint(engine: Engine, tmp_path: Path):
    path = write(tmp_path, "d.csv", "contact_id,when,activity\nk,29/2/2016 01:16,A\nk,30/2/2016,B\n")
    with pytest.raises(InputError) as info:
        read_one(engine, path, mapping=Mapping(columns={"timestamp": "when"}))
    e = info.value
    assert (e.path, e.row, e.column) == (str(path), 1, "when")
    assert "bad_timestamp" in str(e) and "29/2/2016 01:16" in str(e) and "--dayfirst" in str(e)


def test_excel_serials_are_not_guessed_but_the_error_says_how(engine: Engine, tmp_path: Path):
    """A file whose every timestamp is an Excel serial (a "General" cell saved as CSV) is not read as one
    unasked: the run stops naming the first row and --time-format excel, which then reads it."""
    path = write(tmp_path, "x.csv", "contact_id,timestamp,activity\nk,45231.5416666667,A\nk,45232,B\n")
    with pytest.raises(InputError, match=r"\(an Excel serial date\? try --time-format excel\)$") as info:
        read_one(engine, path)
    assert (info.value.row, info.value.column) == (1, "timestamp") and "'45231.5416666667'" in str(info.value)
    assert read_one(engine, path, time_format="excel").rows_kept == 2
    whole = write(tmp_path, "w.csv", "contact_id,timestamp,activity\nk,45231,A\n")
    with pytest.raises(InputError, match=r"try --time-format excel"):
        read_one(engine, whole)
    other = write(tmp_path, "o.csv", "contact_id,timestamp,activity\nk,4523,A\n")  # no 5-digit whole part
    with pytest.raises(InputError, match=r"\(try --dayfirst, --tz or --time-format\)"):
        read_one(engine, other)


def test_dates_read_in_the_wrong_day_order_stop_the_run(engine: Engine, tmp_path: Path):
    """Read month first, 14/01/2025 is rejected while 08/01/2025 becomes 1 August: a few rejected rows and
    the rest silently months off (a Freshdesk export, a phone system's report). The run stops naming the
    row, the column and --dayfirst; with --dayfirst the same dates read; the reverse mistake likewise."""
    text = "contact_id,when,activity\nk,08/01/2025 15:00,A\nk,14/01/2025 13:26,B\nk,09.01.2025,C\n"
    path = write(tmp_path, "d.csv", text)
    mapping = Mapping(columns={"timestamp": "when"})
    with pytest.raises(
        InputError, match=r"'14/01/2025 13:26' are day first \(14 is no month\).*add --dayfirst"
    ) as info:
        read_one(engine, path, mapping=mapping)
    assert (info.value.row, info.value.column) == (2, "when")
    assert read_one(engine, path, mapping=mapping, dayfirst=True).rows_kept == 3
    us = write(tmp_path, "u.csv", "contact_id,when,activity\nk,01/08/2025 15:00,A\nk,01/14/2025 13:26,B\n")
    with pytest.raises(InputError, match=r"'01/14/2025 13:26' are month first.*drop --dayfirst"):
        read_one(engine, us, mapping=mapping, dayfirst=True)
    # rows rejected for another reason, or a date only a format reads, are no reason to stop
    odd = write(tmp_path, "o.csv", "contact_id,when,activity\nk,08/01/2025 15:00,A\nk,yesterday,B\n")
    assert read_one(engine, odd, mapping=mapping).rows_rejected == 1


@pytest.mark.parametrize(
    ("name", "content"),
    [("x.xes", "hello"), ("x.parquet", "not parquet"), ("x.jsonl", "{not json\n"), ("x.docx", "?")],
)
def test_unreadable_files(engine: Engine, tmp_path: Path, name: str, content: str):
    path = write(tmp_path, name, content)
    with pytest.raises(InputError) as info:
        read_one(engine, path)
    assert info.value.path == str(path)


def test_write_rejected_has_raw_values(engine: Engine, tmp_path: Path):
    path = write(
        tmp_path, "r.csv", "contact_id,timestamp,activity,reason\nk,bad,A,billing\nk,2024-01-01,B,x\n"
    )
    read_events([path], engine, options=ReadOptions())
    out = tmp_path / "out" / "rejected.csv"
    assert write_rejected(engine, out) == 1
    lines = out.read_text().splitlines()
    assert lines[0] == "source_file,source_row,reason,column,value,contact_id,timestamp,activity,raw:reason"
    assert lines[1].endswith(",1,bad_timestamp,timestamp,bad,k,bad,A,billing")
