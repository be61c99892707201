"""``io.timeparse``: the instant's epoch route to naive UTC agrees with DuckDB's own cast."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from cxray.engine import Engine
from cxray.io.timeparse import instant_to_utc, local_to_utc

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
