"""``io.timeparse``: the instant's epoch route to naive UTC agrees with DuckDB's own cast; Excel serials
agree with Python's and pandas' reading of them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cxray.engine import Engine
from cxray.io.timeparse import fallback_formats, instant_to_utc, likely_format, local_to_utc, parse_text

_ZONES = ["UTC", "Europe/Paris", "America/Sao_Paulo", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Apia"]


@settings(max_examples=60, deadline=None)
@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.sampled_from(_ZONES),
)
def test_an_instant_is_its_utc_wall_clock(naive: datetime, zone: str):
    """Any instant, written with any zone's offset (DST gaps and folds included), gives the same naive UTC
    timestamp as the ICU cast it replaces; a local time converts through the zone as before."""
    with Engine() as engine:
        text = naive.isoformat(sep=" ")
        sql = f"TIMESTAMP '{text}'"
        ours, cast = engine.fetchall(
            f"SELECT {local_to_utc(sql, zone)}, CAST(timezone('{zone}', {sql}) AS TIMESTAMP)"
            if zone != "UTC"
            else f"SELECT {instant_to_utc(f'CAST({sql} AS TIMESTAMPTZ)')}, {sql}"
        )[0]
        assert ours == cast


def test_infinity_and_the_years_past_the_range_are_null_or_out_of_range():
    with Engine() as engine:
        rows = engine.fetchall(
            "SELECT v, " + instant_to_utc("TRY_CAST(v AS TIMESTAMPTZ)") + " FROM (VALUES ('infinity'), "
            "('-infinity'), ('2024-03-31T02:30:00+02:00'), ('0001-01-01T00:30:00+01:00')) t(v) ORDER BY v"
        )
    got = dict(rows)
    assert got["infinity"] is None and got["-infinity"] is None  # rejected as bad_timestamp
    assert got["2024-03-31T02:30:00+02:00"] == datetime(2024, 3, 31, 0, 30)
    # a year before 1 (DuckDB shows it as BC text): outside the range the canonical step accepts
    assert not isinstance(got["0001-01-01T00:30:00+01:00"], datetime)


def _parse(engine: Engine, value: str, *, dayfirst: bool = False) -> datetime | None:
    return engine.fetchall(
        f"SELECT {parse_text('v', tz='UTC', dayfirst=dayfirst)} FROM (SELECT ? AS v)", [value]
    )[0][0]


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=datetime(1969, 1, 1), max_value=datetime(2068, 12, 31)), st.booleans())
def test_two_digit_years_are_read_as_years_of_the_century(moment: datetime, dayfirst: bool):
    """Excel's default m/d/yy h:mm (d/m/yy with dayfirst) reads back as the same minute: DuckDB's own cast
    read "3/1/24" as the year 3, and %m/%d/%Y as the year 24, both inside the accepted range."""
    moment = moment.replace(second=0, microsecond=0)
    date = (
        f"{moment.day}/{moment.month}/{moment:%y}" if dayfirst else f"{moment.month}/{moment.day}/{moment:%y}"
    )
    with Engine() as engine:
        assert _parse(engine, f"{date} {moment.hour}:{moment:%M}", dayfirst=dayfirst) == moment


def test_month_names_and_short_years_as_reports_write_them():
    cases = {
        "Mar 1, 2024 9:00 AM": datetime(2024, 3, 1, 9),  # Salesforce
        "March 1, 2024 9:05 PM": datetime(2024, 3, 1, 21, 5),
        "1 March 2024 09:00": datetime(2024, 3, 1, 9),
        "01-MAR-2024 09:00:00": datetime(2024, 3, 1, 9),  # Oracle
        "12/31/99 11:59 PM": datetime(1999, 12, 31, 23, 59),
        "3/1/24": datetime(2024, 3, 1),
    }
    with Engine() as engine:
        assert {v: _parse(engine, v) for v in cases} == cases
        assert _parse(engine, "01.03.24 09:00", dayfirst=True) == datetime(2024, 3, 1, 9)
        assert _parse(engine, "3/1/24 9:00 PM", dayfirst=True) is None  # no AM/PM with a day-first date


def test_twelve_hour_clocks_and_the_forms_call_logs_write():
    """Forms real call-log and phone-system exports write, rejected before: an ISO date with AM/PM, AM/PM
    without a space, month-first dashes, a day-first date with AM/PM, a month name without a comma, an
    e-mail header's date (RFC 2822)."""
    cases = {
        "2021-01-01 8:00:00 AM": datetime(2021, 1, 1, 8),
        "2026-11-29 5:30 pm": datetime(2026, 11, 29, 17, 30),
        "2026/11/29 5:30:12 PM": datetime(2026, 11, 29, 17, 30, 12),
        "11/29/2026 05:30:12PM": datetime(2026, 11, 29, 17, 30, 12),
        "11-29-2026 17:30:12": datetime(2026, 11, 29, 17, 30, 12),
        "Nov 29 2026 5:30PM": datetime(2026, 11, 29, 17, 30),
        "Thu, 27 Oct 2016 14:51:34": datetime(2016, 10, 27, 14, 51, 34),
    }
    with Engine() as engine:
        assert {v: _parse(engine, v) for v in cases} == cases
        assert _parse(engine, "29/11/2026 5:30:12 PM", dayfirst=True) == datetime(2026, 11, 29, 17, 30, 12)
        assert _parse(engine, "29-11-2026 17:30", dayfirst=True) == datetime(2026, 11, 29, 17, 30)
        assert _parse(engine, "29-11-2026 17:30") is None  # month first: no 29th month (the run says so)


_EXCEL_ZERO = datetime(1899, 12, 30)


def _excel(engine: Engine, value: str, tz: str = "UTC") -> datetime | None:
    sql = parse_text("v", tz=tz, dayfirst=False, formats=("excel",))
    return engine.fetchall(f"SELECT {sql} FROM (SELECT ? AS v)", [value])[0][0]


def _to_ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=0) + timedelta(milliseconds=round(moment.microsecond / 1000))


def test_excel_serials_are_days_since_1899_12_30_to_the_millisecond():
    """Whole days and fractions, hand-computed, are what Python's date arithmetic and pandas' own
    ``origin="1899-12-30"`` make of the same serial; a binary fraction's noise below the millisecond (Excel
    keeps none) is rounded away, a real millisecond kept."""
    cases = {
        "45231": datetime(2023, 11, 1),
        "45231.5": datetime(2023, 11, 1, 12),
        "45231.375": datetime(2023, 11, 1, 9),
        "45231.9999884259": datetime(2023, 11, 1, 23, 59, 59),  # as Excel writes 86399/86400
        "45231.375000000001": datetime(2023, 11, 1, 9),  # 09:00:00.000000086 unrounded
        "45231.5000014236": datetime(2023, 11, 1, 12, 0, 0, 123000),  # 122.999 ms
        "25569": datetime(1970, 1, 1),
        "61": datetime(1900, 3, 1),
        "2958465.9999999884": datetime(9999, 12, 31, 23, 59, 59, 999000),
    }
    for serial, moment in cases.items():
        assert _to_ms(_EXCEL_ZERO + timedelta(days=float(serial))) == moment, serial
        if moment.year < 2262:  # pandas' nanoseconds end there
            by_pandas = pd.to_datetime(float(serial), unit="D", origin="1899-12-30").round("ms")
            assert by_pandas.to_pydatetime() == moment, serial
    with Engine() as engine:
        assert {v: _excel(engine, v) for v in cases} == cases
        assert _excel(engine, "45231,5") == datetime(2023, 11, 1, 12)  # a decimal comma's locale


def test_excel_serials_before_march_1900_and_what_is_no_serial():
    """Serials 1-59 are the dates Excel shows (it counts a 1900-02-29 that never was, serial 60, so they
    are days since 1899-12-31); 60, below 1 (a time without a date), past year 9999, and anything but a
    plain decimal number are NULL."""
    with Engine() as engine:
        assert _excel(engine, "1") == datetime(1900, 1, 1)
        assert _excel(engine, "59.5") == datetime(1900, 2, 28, 12)
        for value in ["60", "60.75", "0.375", "0", "-45231", "2958466", "99999999999999999999", "4.5e4",
                      "45231.5.1", "45 231", ""]:  # fmt: skip
            assert _excel(engine, value) is None, value


def test_excel_serials_are_local_time():
    """A serial is a wall-clock time: the ``tz`` zone converts it to UTC (CEST in July, CET in November)."""
    with Engine() as engine:
        assert _excel(engine, "45108.5", tz="Europe/Amsterdam") == datetime(2023, 7, 1, 10)
        assert _excel(engine, "45231.5", tz="Europe/Amsterdam") == datetime(2023, 11, 1, 11)


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)))
def test_any_serial_python_writes_reads_back_as_its_millisecond(moment: datetime):
    """A moment to the millisecond, written as a serial by Python's own float division, reads back."""
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    serial = repr((moment - _EXCEL_ZERO) / timedelta(days=1))
    with Engine() as engine:
        assert _excel(engine, serial) == moment


def _texts() -> list[str]:
    """Times written in every fallback format of both orders, DuckDB's own forms, and near misses."""
    moments = [
        datetime(2024, 3, 5, 8, 7, 9, 250000),
        datetime(2023, 11, 29, 17, 30),
        datetime(1999, 12, 31, 23, 59, 59),
    ]
    texts = {m.strftime(f) for m in moments for d in (True, False) for f in fallback_formats(d)}
    texts |= {m.isoformat(sep=s) for m in moments for s in (" ", "T")}
    texts |= {
        "2024-03-05T08:07:09Z", "2024-03-05 08:07:09 +01:00", "2024-03-05 8:07:09 PM", "2024-03-05 08:07 EST",
        "05/03/2024 08:07 +01:00", "3/1/24", "3/1/24 9:00 PM", "1-Mar-24", "2024/03/05", "31/04/2024 10:00",
        "13/13/2024", "yesterday", "",
    }  # fmt: skip
    return sorted(texts)


def test_the_likely_format_first_changes_no_time_read():
    """``likely`` is only tried first: over times in every format the reader knows (and some it does not),
    in both day orders and two zones, each candidate given as the likely one reads exactly what the whole
    list reads."""
    texts = _texts()
    with Engine() as engine:
        engine.execute("CREATE TABLE t AS SELECT unnest(?) AS v", [texts])
        for dayfirst in (False, True):
            for tz in ("UTC", "America/New_York"):
                plain = engine.fetchall(
                    f"SELECT {parse_text('v', tz=tz, dayfirst=dayfirst)} FROM t ORDER BY v"
                )
                assert sum(r[0] is not None for r in plain) > len(texts) // 2
                for f in fallback_formats(dayfirst):
                    sql = parse_text("v", tz=tz, dayfirst=dayfirst, likely=f)
                    assert engine.fetchall(f"SELECT {sql} FROM t ORDER BY v") == plain, (f, dayfirst, tz)


def test_the_likely_format_is_the_one_most_of_a_files_first_times_are_in():
    def likely(values: list[str], dayfirst: bool = False) -> str | None:
        with Engine() as engine:
            engine.execute("CREATE TABLE t AS SELECT unnest(?) AS x", [values])
            return likely_format(engine, "SELECT x FROM t", dayfirst=dayfirst)

    days = [f"{d:02d}/03/2024 {h:02d}:15:00" for d in range(1, 29) for h in range(8, 18)]
    assert likely(days, dayfirst=True) == "%d/%m/%Y %H:%M:%S"
    assert likely([f"3/{d}/2024 9:{d:02d} AM" for d in range(1, 29)]) == "%m/%d/%Y %I:%M %p"
    assert likely([f"2024-03-{d:02d} 09:00:00" for d in range(1, 29)]) is None  # DuckDB's cast reads them
    # a two-digit year, which DuckDB's cast reads as the year 1 (01-03-24: 0001-03-24) and %Y as 24
    assert likely([f"{d:02d}-03-24 09:00" for d in range(1, 29)], dayfirst=True) == "%d-%m-%y %H:%M"
    assert likely(["5 March 2024 09:00"] * 3 + ["x", "y", "z", "w"]) is None  # under half
    assert likely([]) is None


def test_a_time_zone_never_drops_what_follows_a_time():
    """DuckDB's TIMESTAMP cast reads ``2024-03-05 8:07:09 PM`` as 08:07:09 and ``08:07 EST`` as 08:07,
    ignoring the rest: under a --tz zone both were read so, silently (in UTC they were right). Now the
    same in any zone: PM is 20:07, a zone's name its instant, and trailing junk no time."""

    def read(engine: Engine, value: str, tz: str) -> datetime | None:
        sql = parse_text("v", tz=tz, dayfirst=False)
        return engine.fetchall(f"SELECT {sql} FROM (SELECT ? AS v)", [value])[0][0]

    with Engine() as engine:
        for tz in ("UTC", "Europe/London", "America/New_York"):
            behind = timedelta(hours=5 if tz == "America/New_York" else 0)  # of UTC in early March
            assert read(engine, "2024-03-05 8:07:09 PM", tz) == datetime(2024, 3, 5, 20, 7, 9) + behind
            assert read(engine, "2024-03-05 8:07:09 AM", tz) == datetime(2024, 3, 5, 8, 7, 9) + behind
            assert read(engine, "2024-03-05 08:07", tz) == datetime(2024, 3, 5, 8, 7) + behind
            assert read(engine, "2024-03-05 08:07 EST", tz) == datetime(
                2024, 3, 5, 13, 7
            )  # whatever the zone
            assert read(engine, "2024-03-05T08:07:09 abc", tz) is None


def test_a_files_time_format_is_asked_of_the_text_staging_parses(tmp_path):
    """A plain column, a date joined to its time, a wide layout's first event (its date joined): each
    gives the format of the text staging parses; ISO times and an explicit format give none."""
    from pathlib import Path

    from cxray.io import ReadOptions
    from cxray.io.canonical import time_format
    from cxray.io.mapping import Mapping, WideEvent
    from cxray.io.plan import plan_file
    from cxray.io.readers import open_source

    rows = [
        f"c{d},{d:02d}/03/2024,09:{d:02d},{d:02d}/03/2024 10:{d:02d},2024-03-{d:02d} 11:00"
        for d in range(1, 29)
    ]
    path = Path(tmp_path) / "t.csv"
    path.write_text("Id,Day,At,Opened,Iso\n" + "\n".join(rows) + "\n")

    def asked(mapping: Mapping, **options: object) -> str | None:
        read = ReadOptions(mapping=mapping, dayfirst=True, **options)  # type: ignore[arg-type]
        with Engine() as engine:
            plan = plan_file(0, open_source(path, engine, "_v", read), engine, mapping)
            return time_format(engine, plan, read)

    def plain(ts: str | tuple[str, ...]) -> Mapping:
        return Mapping(columns={"contact_id": "Id", "timestamp": ts}, constants={"activity": "Call"})

    assert asked(plain("Opened")) == "%d/%m/%Y %H:%M"
    assert asked(plain(("Day", "At"))) == "%d/%m/%Y %H:%M"
    wide = Mapping(
        columns={"contact_id": "Id"}, events=(WideEvent(activity="Call", timestamp="At", date="Day"),)
    )
    assert asked(wide) == "%d/%m/%Y %H:%M"
    assert asked(plain("Iso")) is None
    assert asked(plain("Opened"), time_format="%d/%m/%Y %H:%M") is None
