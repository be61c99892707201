"""Numeric dates read the right way round when no date has a part past 12 (``io.day_order``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from io_helpers import read_one, write

from cxray import diagnose
from cxray.engine import Engine
from cxray.errors import InputError
from cxray.io import ReadOptions, read_events
from cxray.io.mapping import Mapping
from cxray.quality import TO_FIX
from cxray.summary import input_lines

MAPPING = Mapping(
    columns={"contact_id": "Id", "timestamp": "When", "activity": "Step", "customer_id": "Client"}
)


def export(
    tmp_path: Path, name: str, start: datetime, days: int, fmt: str, *, weekdays_only: bool = False
) -> Path:
    """Calls every 40 minutes, 08:00 to 18:00, on ``days`` days from ``start``, times written in ``fmt``."""
    lines = ["Id;When;Step;Client"]
    k = 0
    for d in range(days):
        day = start + timedelta(days=d)
        if weekdays_only and day.weekday() >= 5:
            continue
        for minute in range(0, 600, 40):
            t = day + timedelta(minutes=minute)
            lines += [
                f"c{k};{t:{fmt}};Call;p{k % 37}",
                f"c{k};{t + timedelta(minutes=6):{fmt}};Close;p{k % 37}",
            ]
            k += 1
    return write(tmp_path, name, "\n".join(lines) + "\n")


def span(engine: Engine) -> tuple[datetime, datetime]:
    return engine.fetchall("SELECT min(timestamp), max(timestamp) FROM events")[0]


def test_a_week_of_day_first_dates_read_month_first_stops_the_run(engine: Engine, tmp_path: Path):
    """1 to 7 March written 01/03/2024...07/03/2024: read month first (the default) they are the 3rd of
    January to July, nothing rejected, every journey a month apart. The run stops naming the file, the
    column, both spreads and --dayfirst; with it the week reads as the week."""
    path = export(tmp_path, "calls.csv", datetime(2024, 3, 1, 8), 7, "%d/%m/%Y %H:%M")
    with pytest.raises(InputError) as info:
        read_one(engine, path, mapping=MAPPING)
    e = info.value
    assert (Path(e.path).name, e.column, e.row) == ("calls.csv", "When", None)
    assert "read month first they scatter: 7 date(s) over 183 day(s), 2024-01-03 to 2024-07-03" in e.message
    assert (
        "read day first they are days in a row: 7 date(s) over 7 day(s), 2024-03-01 to 2024-03-07"
        in e.message
    )
    assert "Add --dayfirst" in e.message and "'%m/%d/%Y %H:%M'" in e.message
    s = read_one(engine, path, mapping=MAPPING, dayfirst=True)
    assert span(engine) == (datetime(2024, 3, 1, 8), datetime(2024, 3, 7, 17, 26))
    assert (s.per_file[0].day_order, s.per_file[0].dates_ambiguous) == ("day first", False)


def test_the_reverse_mistake_and_an_explicit_format(engine: Engine, tmp_path: Path):
    """Month-first dates read with --dayfirst stop the run the same way (drop --dayfirst); an explicit
    format is the user's word on the order and is not second-guessed."""
    path = export(tmp_path, "us.csv", datetime(2024, 3, 1, 8), 5, "%m/%d/%Y %I:%M %p")
    with pytest.raises(InputError, match=r"read day first they scatter.*Drop --dayfirst.*'%d/%m/%Y %H:%M'"):
        read_one(engine, path, mapping=MAPPING, dayfirst=True)
    s = read_one(engine, path, mapping=MAPPING)
    assert span(engine)[0] == datetime(2024, 3, 1, 8) and s.per_file[0].day_order == "month first"
    read_one(engine, path, mapping=MAPPING, dayfirst=True, time_format="%d/%m/%Y %I:%M %p")
    assert span(engine)[0] == datetime(2024, 1, 3, 8)  # as the format says, however it spreads


def test_a_centre_closed_at_weekends_is_still_days_in_a_row(engine: Engine, tmp_path: Path):
    """Two weeks of working days (1-12 March 2024, 8 of them) and two-digit years: still told apart."""
    path = export(tmp_path, "w.csv", datetime(2024, 3, 1, 8), 12, "%d-%m-%y %H:%M", weekdays_only=True)
    with pytest.raises(
        InputError, match=r"read day first they are days in a row: 8 date\(s\) over 12 day\(s\)"
    ):
        read_one(engine, path, mapping=MAPPING)
    read_one(engine, path, mapping=MAPPING, dayfirst=True)
    assert span(engine)[1].date() == datetime(2024, 3, 12).date()


def test_a_part_past_12_or_times_that_are_no_numeric_dates_ask_nothing(engine: Engine, tmp_path: Path):
    """A day past the 12th settles the order (month first: read, not ambiguous; the rejected-rows check
    has the wrong order); ISO times have no day order at all."""
    us = export(tmp_path, "us.csv", datetime(2024, 3, 10, 8), 6, "%m/%d/%Y %H:%M")
    s = read_one(engine, us, mapping=MAPPING)
    assert (s.per_file[0].day_order, s.per_file[0].dates_ambiguous) == ("month first", False)
    iso = export(tmp_path, "iso.csv", datetime(2024, 3, 1, 8), 7, "%Y-%m-%d %H:%M")
    s = read_one(engine, iso, mapping=MAPPING)
    assert (s.per_file[0].day_order, s.per_file[0].dates_ambiguous) == (None, False)


def test_one_days_export_is_read_as_asked_and_said(engine: Engine, tmp_path: Path):
    """05/03/2024 alone is 5 March or 3 May and nothing in the file tells: read month first, said as a
    handled warning naming the file and --dayfirst; --check stays clean (nothing to fix is known)."""
    path = export(tmp_path, "day.csv", datetime(2024, 3, 5, 8), 1, "%d/%m/%Y %H:%M")
    d = diagnose(path, read=ReadOptions(mapping=MAPPING))
    assert d.input.per_file[0].day_order == "month first" and d.input.per_file[0].dates_ambiguous
    (w,) = [w for w in d.data_quality.warnings if w.code == "ambiguous_dates"]
    assert w.handled and "ambiguous_dates" not in TO_FIX
    assert "add --dayfirst" in w.message and w.examples == (f"{path}: read month first",)
    d = diagnose(path, read=ReadOptions(mapping=MAPPING, dayfirst=True))
    (w,) = [w for w in d.data_quality.warnings if w.code == "ambiguous_dates"]
    assert "as --dayfirst asks (drop it" in w.message


def test_the_same_day_and_month_read_alike_and_a_date_joined_to_its_time(engine: Engine, tmp_path: Path):
    """03/03 reads the same either way: nothing to say. A date column joined to a time column is asked
    by its date."""
    same = write(tmp_path, "s.csv", "Id;When;Step\na;03/03/2024 09:00;X\nb;04/04/2024 10:00;Y\n")
    s = read_one(
        engine, same, mapping=Mapping(columns={"contact_id": "Id", "timestamp": "When", "activity": "Step"})
    )
    assert (s.per_file[0].day_order, s.per_file[0].dates_ambiguous) == ("month first", False)
    lines = ["Id,Date,Time,Step"] + [f"c{d},0{d}/02/2024,09:{d}0,Call" for d in range(1, 6)]
    joined = write(tmp_path, "j.csv", "\n".join(lines) + "\n")
    mapping = Mapping(columns={"contact_id": "Id", "timestamp": ("Date", "Time"), "activity": "Step"})
    with pytest.raises(InputError, match=r"column 'Date'|read month first they scatter") as info:
        read_one(engine, joined, mapping=mapping)
    assert info.value.column == "Date"


def test_the_spread_is_asked_of_the_whole_file_not_its_first_rows(engine: Engine, tmp_path: Path):
    """The first rows only tell whether the times are numeric dates. Here 1,100 rows on 1-2 March (day
    first) come before one on the 20th: the 20th settles the order, and the rejected-rows check names it,
    where the first rows alone would have told the spread."""
    rows = [f"c{k};0{1 + k // 550}/03/2024 09:00;Call;p" for k in range(1100)] + ["z;20/03/2024 09:00;Call;p"]
    path = write(tmp_path, "long.csv", "Id;When;Step;Client\n" + "\n".join(rows) + "\n")
    with pytest.raises(InputError, match=r"'20/03/2024 09:00' are day first \(20 is no month\)"):
        read_one(engine, path, mapping=MAPPING)


def test_one_days_export_beside_another_systems_days_is_read_as_they_say(engine: Engine, tmp_path: Path):
    """A CRM's one day of cases, 05/03/2024 day first, beside the phone system's ISO calls of 4-6 March:
    read month first it is 3 May, and no journey crosses the two files. The run stops naming the file and
    both readings; with --dayfirst (numeric dates only: the ISO file is read as before) it joins them, and
    the per-file lines say each file's clock and order."""
    calls = export(tmp_path, "calls.csv", datetime(2024, 3, 4, 8), 3, "%Y-%m-%dT%H:%M:%SZ")
    cases = export(tmp_path, "cases.csv", datetime(2024, 3, 5, 9), 1, "%d/%m/%Y %H:%M")
    options = ReadOptions(mapping=MAPPING)
    with pytest.raises(InputError) as info:
        read_events([calls, cases], engine, options=options)
    assert Path(info.value.path).name == "cases.csv"
    assert "read month first (2024-05-03) they share no day with the other files" in info.value.message
    assert "read day first (2024-03-05) they fall on their days. Add --dayfirst" in info.value.message
    s = read_events([calls, cases], engine, options=ReadOptions(mapping=MAPPING, dayfirst=True))
    assert [(f.day_order, f.dates_ambiguous) for f in s.per_file] == [(None, False), ("day first", True)]
    assert [line.split("/")[-1] for line in input_lines(s) if ", times " in line] == [
        "calls.csv: read 90, kept 90, rejected 0, duplicates 0, times with their UTC offset",
        "cases.csv: read 30, kept 30, rejected 0, duplicates 0, times in UTC, day first",
    ]
    # a month-first day that is among the calls' days: nothing to say but the warning
    may = export(tmp_path, "may.csv", datetime(2024, 5, 3, 8), 3, "%Y-%m-%d %H:%M")
    crm = export(tmp_path, "crm.csv", datetime(2024, 5, 4, 9), 1, "%m/%d/%Y %H:%M")
    s = read_events([may, crm], engine, options=options)
    assert s.per_file[1].day_order == "month first" and s.per_file[1].dates_ambiguous
