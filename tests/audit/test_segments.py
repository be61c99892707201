"""Segments and periods: who is pilot or control, before or after, and in which week."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pyarrow as pa
import pytest

from cxray import schema as S
from cxray.audit.segments import (
    AUDIT_CONTACTS,
    Segment,
    assign_segments,
    change_instant,
    parse_segment,
)
from cxray.engine import Engine
from cxray.errors import ConfigError
from cxray.io import read_table
from cxray.journeys import build_journeys

MONDAY = datetime(2024, 1, 8, 9)
NEXT_MONDAY = MONDAY + timedelta(days=7)


def _log(rows: list[tuple[str, int, str | None, str | None, str | None]]) -> pa.Table:
    """(contact, day offset from Monday 8 January, queue, team, the attribute ``site``) per event."""
    return pa.Table.from_pylist(
        [
            {S.CONTACT_ID: c, S.TIMESTAMP: MONDAY + timedelta(days=d, minutes=i), S.ACTIVITY: "Handle",
             S.CUSTOMER_ID: f"cu-{c}", S.QUEUE: q, S.TEAM: t, "site": site}
            for i, (c, d, q, t, site) in enumerate(rows)
        ]
    )  # fmt: skip


ROWS = [
    ("a", 0, "Q-Billing", "Care", "Leeds"),
    ("b", 1, "Q-Care", "Care", "Leeds"),
    ("b", 1, "Q-Billing", "Billing", None),  # b touched both segments: pilot
    ("c", 2, "Q-Care", "Care", "Cork"),
    ("d", 3, "Q-Other", "Other", "Cork"),  # neither, with a control segment
    ("e", 9, "Q-Billing", "Billing", "Leeds"),  # the next week, after the change
    ("f", 15, "Q-Care", "Care", "Cork"),  # two weeks on
]


@pytest.fixture
def engine():
    with Engine() as eng:
        read_table(_log(ROWS), eng)
        build_journeys(eng)
        yield eng


def labels(engine: Engine) -> dict[str, tuple[str | None, str, int]]:
    rows = engine.rows(f"SELECT contact_id, audit_group, audit_period, audit_week FROM {AUDIT_CONTACTS}")
    return {r["contact_id"]: (r["audit_group"], r["audit_period"], r["audit_week"]) for r in rows}


def test_pilot_wins_a_contact_in_both_and_neither_is_left_out(engine):
    control = parse_segment("queue=Q-Care", option="--control")
    s = assign_segments(
        engine, pilot=parse_segment("queue=Q-Billing"), control=control, change_at=NEXT_MONDAY
    )
    assert labels(engine) == {
        "a": ("pilot", "before", 0),
        "b": ("pilot", "before", 0),
        "c": ("control", "before", 0),
        "d": (None, "before", 0),
        "e": ("pilot", "after", 1),
        "f": ("control", "after", 2),
    }
    assert (s.in_both, s.in_neither) == (1, 1)
    assert s.contacts("pilot", "before") == 2 and s.contacts("control", "after") == 1


def test_without_a_control_segment_the_rest_is_control(engine):
    s = assign_segments(engine, pilot=parse_segment("team=Billing"), control=None, change_at=NEXT_MONDAY)
    got = labels(engine)
    assert {c for c, (g, _, _) in got.items() if g == "pilot"} == {"b", "e"}
    assert {c for c, (g, _, _) in got.items() if g == "control"} == {"a", "c", "d", "f"}
    assert s.control is None and s.in_neither == 0


def test_an_attribute_and_a_differently_cased_column_are_segments(engine):
    assign_segments(engine, pilot=parse_segment("site=Cork"), control=None, change_at=NEXT_MONDAY)
    assert {c for c, (g, _, _) in labels(engine).items() if g == "pilot"} == {"c", "d", "f"}
    assign_segments(engine, pilot=parse_segment("QUEUE=Q-Care"), control=None, change_at=NEXT_MONDAY)
    assert {c for c, (g, _, _) in labels(engine).items() if g == "pilot"} == {"b", "c", "f"}


def test_the_instant_of_the_change_is_inclusive(engine):
    """A contact starting exactly at the change is after it."""
    at = datetime(2024, 1, 17, 9, 5)  # e's start: 8 Jan 09:00 + 9 days + 5 minutes (its row index)
    assign_segments(engine, pilot=parse_segment("queue=Q-Billing"), control=None, change_at=at)
    assert labels(engine)["e"][1] == "after"


def test_two_logs_read_the_first_events_file():
    """With --before/--after, a contact is after when its first event came from the after log."""
    with Engine() as eng:
        read_table(_log(ROWS), eng)
        # two logs' names in one events table (source_file is an ENUM of the files actually read)
        eng.execute(f"ALTER TABLE events ALTER {S.SOURCE_FILE} TYPE VARCHAR")
        eng.execute(
            f"UPDATE events SET {S.SOURCE_FILE} = "
            "CASE WHEN contact_id IN ('a', 'f') THEN 'after.csv' ELSE 'before.csv' END"
        )
        build_journeys(eng)
        s = assign_segments(
            eng, pilot=parse_segment("queue=Q-Billing"), control=None, after_files=["after.csv"]
        )
        got = labels(eng)
    assert got["a"][1] == "after" and got["f"][1] == "after" and got["e"][1] == "before"
    assert s.change == "two logs"


@pytest.mark.parametrize("spec", ["queue", "queue=", "=x", "", " = "])
def test_a_malformed_spec_is_a_config_error_naming_it(spec):
    with pytest.raises(ConfigError, match=rf"--control expects COLUMN=VALUE.*got {spec!r}"):
        parse_segment(spec, option="--control")


def test_a_value_may_hold_an_equals_sign_and_spaces():
    assert parse_segment("queue = Orders phone=2 ") == Segment("queue", "Orders phone=2")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("colour=red", "--pilot colour=red: 'colour' is not a column of the log"),
        ("customer_id=cu-a", "'customer_id' is not a segment column"),
        ("timestamp=2024", "'timestamp' is not a segment column"),
        ("queue=Q-None", "--pilot queue=Q-None matches no contact"),
    ],
)
def test_a_segment_the_log_cannot_give_is_a_config_error(engine, spec, message):
    with pytest.raises(ConfigError, match=message):
        assign_segments(engine, pilot=parse_segment(spec), control=None, change_at=MONDAY)


def test_a_pilot_that_is_everyone_leaves_no_control(engine):
    with pytest.raises(ConfigError, match="matches every contact: no control is left"):
        assign_segments(engine, pilot=parse_segment("activity=Handle"), control=None, change_at=MONDAY)


def test_a_change_before_every_contact_leaves_no_before(engine):
    with pytest.raises(ConfigError, match="falls before the change"):
        assign_segments(
            engine, pilot=parse_segment("queue=Q-Billing"), control=None, change_at=datetime(2020, 1, 1)
        )


def test_change_instants_are_naive_utc():
    assert change_instant("2026-03-16") == datetime(2026, 3, 16)
    assert change_instant(date(2026, 3, 16)) == datetime(2026, 3, 16)
    assert change_instant(datetime(2026, 3, 16, 1, tzinfo=timezone(timedelta(hours=1)))) == datetime(
        2026, 3, 16
    )
    assert change_instant(datetime(2026, 3, 16, tzinfo=UTC)) == datetime(2026, 3, 16)
    with pytest.raises(ConfigError, match="--change-date expects a date"):
        change_instant("16/03/2026")
