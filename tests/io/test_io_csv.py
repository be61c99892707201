"""CSV reading: encodings, delimiters, quoting, line ends, missing markers — each on a file written here."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from io_helpers import balanced, column, read_one, write

from cxray.engine import Engine
from cxray.errors import InputError
from cxray.io import InputSummary, Mapping

ROWS = (
    "contact_id,timestamp,activity,actor\nc1,2024-03-01 09:00:00,Start,José\nc1,2024-03-01 09:05:00,End,Zoë\n"
)


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("cp1252", b""),
    ],
)
def test_encodings_are_sniffed(engine: Engine, tmp_path: Path, encoding: str, bom: bytes):
    """UTF-8 with or without BOM, UTF-16 with BOM and cp1252 give the same names; no BOM in the header."""
    path = tmp_path / "e.csv"
    path.write_bytes(bom + ROWS.encode(encoding))
    s = read_one(engine, path)
    assert (s.rows_kept, s.rows_rejected) == (2, 0)
    assert column(engine, "actor") == ["José", "Zoë"]
    assert column(engine, "contact_id") == ["c1", "c1"]


def test_cp1252_beyond_the_sniffed_sample(engine: Engine, tmp_path: Path):
    """A legacy code page discovered only after the first 64 KiB falls back to cp1252, rows intact."""
    filler = "".join(f"c{i},2024-03-01 09:00:00,Step,plain\n" for i in range(4000))
    path = tmp_path / "late.csv"
    path.write_bytes(
        ("contact_id,timestamp,activity,actor\n" + filler + "cX,2024-03-02,End,Renée\n").encode("cp1252")
    )
    s = read_one(engine, path)
    assert s.rows_kept == 4001
    assert engine.scalar("SELECT actor FROM events WHERE contact_id = 'cX'") == "Renée"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(engine: Engine, tmp_path: Path, delimiter: str):
    text = ROWS.replace(",", delimiter).replace("2024-03-01 09:00:00", "2024-03-01 09:00:00")
    s = read_one(engine, write(tmp_path, "d.txt", text))
    assert s.rows_kept == 2 and column(engine, "activity") == ["Start", "End"]


def test_crlf_quotes_and_newlines_inside_fields(engine: Engine, tmp_path: Path):
    """CRLF line ends, quoted delimiters, doubled quotes and a newline inside a quoted field."""
    text = (
        "contact_id;timestamp;activity;note\n"
        'c1;2024-03-01T09:00:00;"Start; then wait";"said ""hi""\nand left"\n'
        "c1;2024-03-01T09:05:00;End;\n"
    )
    s = read_one(engine, write(tmp_path, "q.csv", text, newline="\r\n"))
    assert (s.rows_read, s.rows_kept) == (2, 2)
    assert column(engine, "activity") == ["Start; then wait", "End"]
    assert column(engine, "note") == ['said "hi"\r\nand left', None]
    assert column(engine, "source_row") == [1, 2]


def test_values_stay_text(engine: Engine, tmp_path: Path):
    """Leading zeros and numbers are not guessed into other types; empty fields are NULL."""
    text = "contact_id,timestamp,activity,zip,queue\n0012,2024-03-01,Start,00501,\n"
    read_one(engine, write(tmp_path, "t.csv", text))
    assert column(engine, "contact_id") == ["0012"]
    assert column(engine, "zip") == ["00501"]
    assert column(engine, "queue") == [None]


def test_bad_rows_are_rejected_and_counted(engine: Engine, tmp_path: Path):
    text = (
        "contact_id,timestamp,activity,duration_s\n"
        "c1,2024-03-01 09:00,Start,12.5\n"
        ",2024-03-01 09:01,Orphan,\n"
        "c1,yesterday,Lost,\n"
        "c1,2024-03-01 09:02,,\n"
        "c1,2024-03-01 09:03,Work,ten\n"
        "c1,,NoTime,\n"
        'c1,2024-03-01 09:04,Work,"1,5"\n'
        "c1,2024-03-01 09:05,End,0:02:00\n"
    )
    s = read_one(engine, write(tmp_path, "b.csv", text))
    assert s.rejected_by_reason == {
        "bad_duration_s": 1,
        "bad_timestamp": 1,
        "missing_activity": 1,
        "missing_contact_id": 1,
        "missing_timestamp": 1,
    }
    assert (s.rows_read, s.rows_kept, s.rows_rejected) == (8, 3, 5) and balanced(s)
    assert column(engine, "duration_s") == [12.5, 1.5, 120.0]
    rejected = engine.rows('SELECT source_row, reason, "column", value FROM rejected ORDER BY source_row')
    assert rejected[1] == {
        "source_row": 3,
        "reason": "bad_timestamp",
        "column": "timestamp",
        "value": "yesterday",
    }
    assert rejected[3] == {
        "source_row": 5,
        "reason": "bad_duration_s",
        "column": "duration_s",
        "value": "ten",
    }


def test_malformed_line_is_rejected_not_lost(engine: Engine, tmp_path: Path):
    text = "contact_id,timestamp,activity\nc1,2024-03-01,Start\nc1,2024-03-02,Oops,extra\nc1,2024-03-03,End\n"
    s = read_one(engine, write(tmp_path, "m.csv", text))
    assert (s.rows_read, s.rows_kept, s.rejected_by_reason) == (3, 2, {"malformed_row": 1})
    assert engine.scalar("SELECT value FROM rejected") == "c1,2024-03-02,Oops,extra"


def test_rows_after_a_malformed_line_keep_their_record_numbers(engine: Engine, tmp_path: Path):
    """Arrow drops the lines it cannot split; the records after them kept their place in the file only
    by a count of the rows it kept, so a row after a ragged line was named one record too early (in
    rejected.csv: the wrong row of the user's file). Now every record, the ragged ones included, has its
    number in the file: the header not counted, a quoted line break inside one record, a blank line not
    a record (as Arrow counts)."""
    text = (
        "contact_id,timestamp,activity\n"
        'c1,2024-03-01 09:00,"two\nlines"\n'  # record 1
        "\n"  # a blank line: no record
        "c1,2024-03-01 09:05\n"  # record 2: short
        "c2,2024-03-01 09:06,Start,extra\n"  # record 3: long
        "c2,yesterday,Middle\n"  # record 4: bad timestamp
        "c2,2024-03-01 09:08,End\n"  # record 5
    )
    s = read_one(engine, write(tmp_path, "r.csv", text))
    assert (s.rows_read, s.rows_kept) == (5, 2)
    assert s.rejected_by_reason == {"malformed_row": 2, "bad_timestamp": 1}
    rejected = engine.rows("SELECT source_row, reason FROM rejected ORDER BY source_row")
    assert rejected == [
        {"source_row": 2, "reason": "malformed_row"},
        {"source_row": 3, "reason": "malformed_row"},
        {"source_row": 4, "reason": "bad_timestamp"},
    ]
    kept = engine.fetchall("SELECT source_row, activity FROM events ORDER BY source_row")
    assert kept == [(1, "two\nlines"), (5, "End")]


def test_record_numbers_need_every_malformed_line_numbered():
    """A line Arrow did not number (a parallel parse) leaves the rows numbered 1..n, as before."""
    from cxray.io.readers.delimited import record_numbers

    lines: list[tuple[int | None, str]] = [(3, "a"), (5, "b")]
    assert record_numbers(3, lines).tolist() == [1, 3, 5] and lines == [(2, "a"), (4, "b")]
    assert record_numbers(3, [(None, "a")]) is None


def test_a_quote_never_closed_is_an_error_not_records_swallowed(engine: Engine, tmp_path: Path):
    """Arrow ends a quoted value at the end of the file: one stray opening quote made every record after
    it part of one value, read as no rows at all. The file is refused, naming the record and the lines."""
    from cxray.errors import InputError

    text = (
        "contact_id,timestamp,activity,verbatim\n"
        "c1,2024-03-01 09:00,Start,fine\n"
        'c1,2024-03-01 09:05,Survey,"Great service, but\n'
        "c2,2024-03-01 10:00,Start,\nc2,2024-03-01 10:05,End,\n"
    )
    with pytest.raises(InputError, match=r"u.csv.*record 2 opens a quoted value.*\(2 lines\)"):
        read_one(engine, write(tmp_path, "u.csv", text))


def test_quotes_past_python_csvs_field_limit_are_told_apart(engine: Engine, tmp_path: Path):
    """The check reads the file with Python's csv, whose fields stop at 128 KiB by default: a stray quote
    swallowing a large file is still refused, a closed 200 KB value in the last record still read."""
    from cxray.errors import InputError

    head = "contact_id,timestamp,activity\n"
    rest = "".join(f"c{i},2024-03-01 09:00,Step number {i:06d}\n" for i in range(8000))  # ~300 KB
    with pytest.raises(InputError, match=r"record 1 opens a quoted value .*\(8000 lines\)"):
        read_one(engine, write(tmp_path, "big.csv", head + 'c0,2024-03-01 09:00,"stray\n' + rest))
    value = "y" * 200_000 + "\nsecond line"
    s = read_one(engine, write(tmp_path, "long.csv", head + f'c1,2024-03-01 09:00,"{value}"\n'))
    assert s.rows_kept == 1 and column(engine, "activity") == [value]


@pytest.mark.parametrize(
    "last",
    [
        'c2,2024-03-01 10:05,Survey,"two lines,\nboth closed"\n',  # a closed quote over two lines, last
        'c2,2024-03-01 10:05,Survey,He said "hi\n',  # a quote inside an unquoted value is text
    ],
)
def test_quotes_that_close_or_are_text_read_as_they_are(engine: Engine, tmp_path: Path, last: str):
    text = "contact_id,timestamp,activity,verbatim\nc1,2024-03-01 09:00,Start,fine\n" + last
    s = read_one(engine, write(tmp_path, "q.csv", text))
    assert (s.rows_read, s.rows_kept) == (2, 2)
    assert column(engine, "verbatim")[1] in ("two lines,\nboth closed", 'He said "hi')


def test_exact_duplicates_dropped_keeping_the_first(engine: Engine, tmp_path: Path):
    text = (
        "contact_id,timestamp,activity,note\n"
        "c1,2024-03-01 09:00,A,x\n"
        "c1,2024-03-01 09:00,A,x\n"  # duplicate
        "c1,2024-03-01 09:00,A,y\n"  # differs in an attribute: kept
        "c1,2024-03-01T09:00:00Z,A,x\n"  # same instant, same values: duplicate
    )
    s = read_one(engine, write(tmp_path, "dup.csv", text))
    assert (s.rows_kept, s.duplicates_dropped) == (2, 2)
    assert column(engine, "source_row") == [1, 3]


def test_keep_duplicates_keeps_them(engine: Engine, tmp_path: Path):
    """With ``keep_duplicates`` every exact duplicate stays, in source order, and none is counted."""
    text = "contact_id,timestamp,activity\nc1,2024-03-01 09:00,A\nc1,2024-03-01 09:00,A\nc1,2024-03-01,B\n"
    s = read_one(engine, write(tmp_path, "dup.csv", text), keep_duplicates=True)
    assert (s.rows_read, s.rows_kept, s.duplicates_dropped) == (3, 3, 0) and balanced(s)
    assert column(engine, "source_row") == [1, 2, 3]


def test_time_zones(engine: Engine, tmp_path: Path):
    """Offsets convert to UTC; naive times are in --tz (DST aware); the stored value is naive UTC."""
    text = (
        "contact_id,timestamp,activity\n"
        "c1,2024-07-01 10:00:00,Naive summer\n"
        "c1,2024-01-15T10:00:00,Naive winter\n"
        "c1,2024-07-01T10:00:00+02:00,Offset\n"
        "c1,2024-07-01 10:00:00.250Z,Zulu\n"
        "c1,2024-07-01 10:00:00 -0500,Spaced offset\n"
    )
    read_one(engine, write(tmp_path, "tz.csv", text), tz="Europe/Amsterdam")
    assert column(engine, "timestamp") == [
        datetime(2024, 7, 1, 8, 0),
        datetime(2024, 1, 15, 9, 0),
        datetime(2024, 7, 1, 8, 0),
        datetime(2024, 7, 1, 10, 0, 0, 250000),
        datetime(2024, 7, 1, 15, 0),
    ]
    assert engine.scalar('SELECT typeof("timestamp") FROM events LIMIT 1') == "TIMESTAMP"


def test_dayfirst_and_monthfirst(engine: Engine, tmp_path: Path):
    text = (
        "contact_id,timestamp,activity\nc1,9-9-2011 9:23,A\nc1,29/2/2016 01:16,B\nc1,05/02/2012 13:32:57,C\n"
    )
    path = write(tmp_path, "df.csv", text)
    read_one(engine, path, dayfirst=True)
    assert column(engine, "timestamp") == [
        datetime(2011, 9, 9, 9, 23),
        datetime(2016, 2, 29, 1, 16),
        datetime(2012, 2, 5, 13, 32, 57),
    ]
    # month first, 29/2 cannot be a date and 05/02 would be 2 May: the run stops and says why
    with pytest.raises(InputError, match=r"'29/2/2016 01:16' are day first.*add --dayfirst"):
        read_one(engine, path)


def test_explicit_time_format(engine: Engine, tmp_path: Path):
    text = "contact_id,timestamp,activity\nc1,20240301-0930,A\n"
    read_one(engine, write(tmp_path, "f.csv", text), time_format="%Y%m%d-%H%M")
    assert column(engine, "timestamp") == [datetime(2024, 3, 1, 9, 30)]


@pytest.mark.parametrize(
    ("fmt", "values"),
    [
        ("epoch", ["1709285400", "1709285400.25", "-86400"]),
        ("epoch_ms", ["1709285400000", "1709285400250", "-86400000"]),
        ("EPOCH_US", ["1709285400000000", "1709285400250000", "-86400000000"]),
    ],
)
def test_epoch_time_formats(engine: Engine, tmp_path: Path, fmt: str, values: list[str]):
    """--time-format epoch / epoch_ms / epoch_us read numbers since 1970 as UTC (the zone option does
    not move them); a number past year 9999 or text is a bad timestamp, not a crash."""
    rows = "".join(f"c1,{v},A{i}\n" for i, v in enumerate([*values, "99999999999999999999", "soon"]))
    s = read_one(
        engine,
        write(tmp_path, "e.csv", "contact_id,timestamp,activity\n" + rows),
        time_format=fmt,
        tz="Europe/Paris",
    )
    assert s.rejected_by_reason == {"bad_timestamp": 2}
    assert column(engine, "timestamp") == [
        datetime(2024, 3, 1, 9, 30),
        datetime(2024, 3, 1, 9, 30, 0, 250000),
        datetime(1969, 12, 31),
    ]


def test_numbers_are_not_guessed_to_be_epoch_times_but_the_error_says_how(engine: Engine, tmp_path: Path):
    from cxray.errors import InputError

    text = "contact_id,timestamp,activity\nc1,1709285400000,A\n"
    with pytest.raises(
        InputError, match=r"a number since 1970\? try --time-format epoch, epoch_ms or epoch_us"
    ):
        read_one(engine, write(tmp_path, "n.csv", text))


def test_excel_serials_are_local_time_unlike_epoch_numbers(engine: Engine, tmp_path: Path):
    """--time-format excel reads a date-time cell saved as an Excel serial (days since 1899-12-30) as local
    time: with --tz Europe/Amsterdam noon on 1 November 2023 (CET) is 11:00 UTC, while the same noon as
    epoch seconds is UTC already and stays 12:00. Text, serial 60 (Excel's 1900-02-29), a time without a
    date and a year past 9999 are bad timestamps, counted."""
    values = ["45231", "45231.5", "45231.375", "45231.9999884259", "45231.375000000001", "45231.5000014236"]
    bad = ["soon", "60", "0.5", "2958466", "99999999999999999999"]
    rows = "".join(f"c1,{v},A{i}\n" for i, v in enumerate(values + bad))
    path = write(tmp_path, "x.csv", "contact_id,timestamp,activity\n" + rows)
    s = read_one(engine, path, time_format="excel", tz="Europe/Amsterdam")
    assert (s.rows_read, s.rows_kept, s.rejected_by_reason) == (11, 6, {"bad_timestamp": 5}) and balanced(s)
    assert column(engine, "timestamp") == [
        datetime(2023, 10, 31, 23),
        datetime(2023, 11, 1, 11),
        datetime(2023, 11, 1, 8),
        datetime(2023, 11, 1, 22, 59, 59),
        datetime(2023, 11, 1, 8),  # no microsecond noise: Excel keeps milliseconds
        datetime(2023, 11, 1, 11, 0, 0, 123000),
    ]
    assert engine.scalar("SELECT list(value ORDER BY source_row) FROM rejected") == bad
    epoch = write(tmp_path, "e.csv", "contact_id,timestamp,activity\nc1,1698840000,A\n")
    read_one(engine, epoch, time_format="epoch", tz="Europe/Amsterdam")
    assert column(engine, "timestamp") == [datetime(2023, 11, 1, 12)]


def test_a_mapping_reads_excel_serials_in_its_zone(engine: Engine, tmp_path: Path):
    """A mapping's ``time_formats: [excel]`` reads serials (decimal comma too, as a Dutch Excel saves a
    semicolon CSV), in the mapping's own ``tz``."""
    mapping = write(
        tmp_path, "nl.yaml", "columns:\n  timestamp: Begin\ntime_formats: [excel]\ntz: Europe/Amsterdam\n"
    )
    export = write(tmp_path, "nl.csv", "contact_id;Begin;activity\nc1;45108,5;A\nc1;45108,75;B\n")
    s = read_one(engine, export, mapping=mapping)
    assert s.rows_kept == 2 and balanced(s)
    assert column(engine, "timestamp") == [datetime(2023, 7, 1, 10), datetime(2023, 7, 1, 16)]


def test_durations_in_the_forms_exports_write(engine: Engine, tmp_path: Path):
    """Seconds, a decimal comma, a clock (hh:mm:ss), a word form, and an ISO 8601 duration as APIs write
    handle times; a calendar length (P1M) is no work time: a bad duration."""
    forms = ["330", "330,5", "00:05:30", "5m30s", "PT5M30S", "PT0.5S", "P1DT2H", "P1M"]
    rows = "".join(f'c{i},2024-03-01 09:00,A,"{v}"\n' for i, v in enumerate(forms))
    s = read_one(engine, write(tmp_path, "d.csv", "contact_id,timestamp,activity,duration_s\n" + rows))
    assert s.rejected_by_reason == {"bad_duration_s": 1}
    assert engine.scalar("SELECT value FROM rejected") == "P1M"
    assert column(engine, "duration_s") == [330.0, 330.5, 330.0, 330.0, 330.0, 0.5, 93600.0]


def durations(engine: Engine, tmp_path: Path, values: list[str], **options: object) -> InputSummary:
    """Read one event per value of a ``duration_s`` column (quoted: values may hold a comma)."""
    rows = "".join(f'c{i},2024-03-01 09:00,A,"{v}"\n' for i, v in enumerate(values))
    path = write(tmp_path, "d.csv", "contact_id,timestamp,activity,duration_s\n" + rows)
    return read_one(engine, path, **options)


def test_a_two_part_clock_is_minutes_and_seconds(engine: Engine, tmp_path: Path):
    """``M:SS`` is minutes and seconds, as call logs and spreadsheets write handle times (``65:10`` is
    65 min 10 s, not DuckDB's 65 h 10 min); three parts stay ``H:MM:SS``; seconds past 59 are no clock."""
    forms = ["5:30", "65:10", "0:07", "5:30.5", "12:05,5", "0:02:23", "64:00:00", "01:30:00", "5:75"]
    s = durations(engine, tmp_path, forms)
    assert s.rejected_by_reason == {"bad_duration_s": 1}
    assert engine.scalar("SELECT value FROM rejected") == "5:75"
    assert column(engine, "duration_s") == [330.0, 3910.0, 7.0, 330.5, 725.5, 143.0, 230400.0, 5400.0]


def test_a_clock_of_four_parts_is_a_bad_duration(engine: Engine, tmp_path: Path):
    """``1:02:03:04`` (days or frames?) is rejected, not cut to its first three parts (3723 s)."""
    s = durations(engine, tmp_path, ["1:02:03:04", "00:05:30:12", "0:05:30"])
    assert s.rejected_by_reason == {"bad_duration_s": 2}
    assert [r["value"] for r in engine.rows("SELECT value FROM rejected ORDER BY 1")] == [
        "00:05:30:12",
        "1:02:03:04",
    ]
    assert column(engine, "duration_s") == [330.0]


def test_thousands_separators_are_not_decimal_commas(engine: Engine, tmp_path: Path):
    """Commas grouping thousands (``1,234``, ``1,234.5``) and points grouping them before a decimal comma
    (``1.234,5``) give thousands; a comma before one or two digits, or after four, is a decimal comma."""
    forms = ["1,234", "1,234.5", "12,345,678", "1.234,5", "330,5", "12,75", "1234,5", "1.234"]
    s = durations(engine, tmp_path, forms)
    assert s.rejected_by_reason == {}
    assert column(engine, "duration_s") == [1234.0, 1234.5, 12345678.0, 1234.5, 330.5, 12.75, 1234.5, 1.234]


@pytest.mark.parametrize(
    ("unit", "seconds"),
    [("seconds", 17.0), ("minutes", 1020.0), ("hours", 61200.0), ("ms", 0.017)],
)
def test_the_duration_unit_scales_plain_numbers(engine: Engine, tmp_path: Path, unit: str, seconds: float):
    """A mapping's ``duration_unit`` is the unit of plain numbers (a decimal comma, thousands grouped);
    a clock, a word form and an ISO 8601 duration keep their own."""
    header = "contact_id,timestamp,activity,call duration in minutes\n"
    values = ["17", "1,5", "0:05:30", "5m30s", "PT1M"]
    rows = "".join(f'c{i},2024-03-01 09:00,A,"{v}"\n' for i, v in enumerate(values))
    mapping = Mapping(columns={"duration_s": "call duration in minutes"}, duration_unit=unit)
    s = read_one(engine, write(tmp_path, "u.csv", header + rows), mapping=mapping)
    assert s.rejected_by_reason == {}
    got = column(engine, "duration_s")
    assert got[:2] == pytest.approx([seconds, seconds * 1.5 / 17])
    assert got[2:] == [330.0, 330.0, 60.0]


def test_the_duration_unit_scales_a_numeric_column(engine: Engine, tmp_path: Path):
    """A typed (Parquet) duration column in milliseconds is read as seconds."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "ms.parquet"
    table = {"contact_id": ["c1"], "timestamp": ["2024-03-01 09:00"], "activity": ["A"], "talk_ms": [330500]}
    pq.write_table(pa.table(table), path)
    mapping = Mapping(columns={"duration_s": "talk_ms"}, duration_unit="ms")
    read_one(engine, path, mapping=mapping)
    assert column(engine, "duration_s") == [330.5]


def test_gzipped_csv(engine: Engine, tmp_path: Path):
    import gzip

    path = tmp_path / "z.csv.gz"
    path.write_bytes(gzip.compress(ROWS.encode()))
    assert read_one(engine, path).rows_kept == 2


def test_a_reports_title_lines_above_the_header_are_left_out_and_counted(engine: Engine, tmp_path: Path):
    """A call-detail report with a title, a date range and a blank line above its header: read from the
    header, the lines told as title_lines (the title was the header before, every mapped column missing)."""
    text = (
        "Call Detail Report\nDate Range: 11/01/2026 - 11/30/2026\n\n"
        "Call ID;Agent;Start\nC1;Ann;2026-11-29 10:00\nC2;Bob;2026-11-29 11:00\n"
    )
    mapping = Mapping(columns={"contact_id": "Call ID", "timestamp": "Start", "activity": "Agent"})
    s = read_one(engine, write(tmp_path, "report.csv", text), mapping=mapping)
    assert (s.rows_kept, s.records_left_out) == (2, {"title_lines": 3})
    assert column(engine, "contact_id") == ["C1", "C2"] and column(engine, "source_row") == [1, 2]


def test_rows_that_each_end_in_a_delimiter_read_under_a_header_that_does_not(engine: Engine, tmp_path: Path):
    """Every row one empty field longer than the header (a delimiter after each value): the rows read (they
    were all ragged, 'no rows to read'); a header one field short is a header, never taken for a title."""
    text = "contact_id,timestamp,activity\nc1,2024-03-01 10:00,A,\nc2,2024-03-01 11:00,B,\n"
    s = read_one(engine, write(tmp_path, "trail.csv", text))
    assert (s.rows_kept, s.rows_rejected, s.records_left_out) == (2, 0, {})
    assert column(engine, "activity") == ["A", "B"]


def test_a_header_repeated_inside_the_file_is_left_out_and_counted(engine: Engine, tmp_path: Path):
    """Two weeks' exports joined end to end, each with its header: the second header was a row rejected
    for a bad timestamp ('Start'). Now left out and counted as repeated_headers; the rows after it keep
    their record numbers. A row naming one column's header among values is data."""
    head = "Call ID;Agent;Start\n"
    text = (
        head + "C1;Ann;2026-11-29 10:00\n" + head + "C2;Bob;2026-11-30 11:00\nCall ID;Ann;2026-11-30 12:00\n"
    )
    mapping = Mapping(columns={"contact_id": "Call ID", "timestamp": "Start", "activity": "Agent"})
    s = read_one(engine, write(tmp_path, "weeks.csv", text), mapping=mapping)
    assert (s.rows_kept, s.rows_rejected, s.records_left_out) == (3, 0, {"repeated_headers": 1})
    assert column(engine, "contact_id") == ["C1", "C2", "Call ID"] and column(engine, "source_row") == [
        1,
        3,
        4,
    ]
    assert balanced(s)
