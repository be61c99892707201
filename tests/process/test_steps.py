"""The shared ordered events table: built once, reused while ``events`` is unchanged, rebuilt otherwise."""

from __future__ import annotations

from datetime import datetime, timedelta

from cxray import schema as S
from cxray.ordered import (
    ORDERED_TABLE,
    fold_events,
    ordered_events,
    release_ordered_events,
    unfold_events,
)
from cxray.process import flow_map
from cxray.testing import load_rows

T0 = datetime(2024, 1, 1, 9)


def ev(c: str, minute: int, activity: str, queue: str | None = None) -> dict:
    return {
        S.CONTACT_ID: c,
        S.TIMESTAMP: T0 + timedelta(minutes=minute),
        S.ACTIVITY: activity,
        S.QUEUE: queue,
    }


def _tables(engine) -> set[str]:
    return {r["name"] for r in engine.rows("SELECT table_name AS name FROM information_schema.tables")}


def test_flow_map_leaves_only_the_shared_tables(engine):
    """flow_map drops its view and its variants; the ordered table stays for the next analysis until
    released."""
    load_rows(engine, [ev("c", 0, "A"), ev("c", 1, "B")])
    before = _tables(engine)
    flow_map(engine)
    assert _tables(engine) == before | {ORDERED_TABLE}
    release_ordered_events(engine)
    assert _tables(engine) == before


def test_reused_while_events_unchanged(engine):
    """A second call does not rebuild: a marker row put into the table survives."""
    load_rows(engine, [ev("c", 0, "A"), ev("c", 1, "B")])
    name = ordered_events(engine)
    engine.execute(f"UPDATE {name} SET {S.ACTIVITY} = 'marker' WHERE seq = 1")
    ordered_events(engine)
    assert engine.scalar(f"SELECT count(*) FROM {name} WHERE {S.ACTIVITY} = 'marker'") == 1


def test_rebuilt_when_events_replaced_or_resized(engine):
    """A new events table, or rows inserted/deleted in place, give a fresh ordering."""
    load_rows(engine, [ev("c", 0, "A"), ev("c", 1, "B")])
    assert flow_map(engine)["n_events"] == 2
    load_rows(engine, [ev("d", 0, "X"), ev("d", 1, "Y"), ev("d", 2, "Z")])
    flow = flow_map(engine)
    assert flow["n_events"] == 3 and flow["dfg"][0]["from"] in ("X", "Y")
    engine.execute(f"DELETE FROM {S.EVENTS_TABLE} WHERE {S.ACTIVITY} = 'Z'")
    assert flow_map(engine)["n_events"] == 2


def test_legs_follow_the_route_carried_over_gaps(engine):
    """leg_no grows where the (carried-forward) queue changes, not where it is merely missing."""
    load_rows(
        engine,
        [
            ev("c", 0, "a", "Q1"),
            ev("c", 1, "b"),
            ev("c", 2, "c", "Q1"),
            ev("c", 3, "d", "Q2"),
            ev("c", 4, "e"),
        ],
    )
    rows = engine.rows(f"SELECT leg_key, leg_no, new_route FROM {ordered_events(engine)} ORDER BY seq")
    assert [(r["leg_key"], r["leg_no"]) for r in rows] == [
        ("Q1", 1), ("Q1", 1), ("Q1", 1), ("Q2", 2), ("Q2", 2)
    ]  # fmt: skip
    # a visit to a route starts at its first queue and where the queue changes, not after a gap in it
    assert [r["new_route"] for r in rows] == [True, False, False, True, False]


def test_no_route_column_starts_no_visit(engine):
    load_rows(engine, [ev("c", 0, "a"), ev("c", 1, "b")])
    ordered = ordered_events(engine, route=None)
    assert engine.fetchall(f"SELECT bool_or(new_route) FROM {ordered}") == [(False,)]


def _kind(engine, name: str) -> str:
    return engine.scalar(
        "SELECT any_value(table_type) FROM information_schema.tables WHERE table_name = ?", [name]
    )


FOLD_ROWS = [
    {**ev("c", 0, "A", "Q1"), "note": "x"},
    {**ev("c", 0, "B", "Q2"), S.ACTOR_TYPE: "agent", S.SOURCE_ROW: 9},
    {**ev("d", 5, "A"), S.SOURCE_ROW: 3},
]


def test_folded_events_read_the_same_from_the_one_ordered_table(engine):
    """After fold_events, events is a view over the ordered table with the same columns, rows and types,
    the ordered table built once with every event column; released, only its own columns go."""
    load_rows(engine, FOLD_ROWS)
    columns = engine.fetchall(f"DESCRIBE {S.EVENTS_TABLE}")
    rows = sorted(engine.fetchall(f"SELECT * FROM {S.EVENTS_TABLE}"))
    plain = engine.rows(f"SELECT * FROM {ordered_events(engine)}")
    release_ordered_events(engine)
    fold_events(engine)
    name = ordered_events(engine)
    assert _kind(engine, S.EVENTS_TABLE) == "VIEW"
    assert engine.fetchall(f"DESCRIBE {S.EVENTS_TABLE}") == columns
    assert sorted(engine.fetchall(f"SELECT * FROM {S.EVENTS_TABLE}")) == rows
    cols = ", ".join(plain[0])
    assert sorted(map(str, engine.rows(f"SELECT {cols} FROM {name}"))) == sorted(map(str, plain))
    assert ordered_events(engine) == name  # still current: not built again
    release_ordered_events(engine)  # the ordered columns go, the events stay readable
    assert "seq" not in engine.columns(ORDERED_TABLE)
    assert sorted(engine.fetchall(f"SELECT * FROM {S.EVENTS_TABLE}")) == rows
    assert engine.scalar(f"SELECT max(seq) FROM {ordered_events(engine)}") == 2  # built again


def test_folded_events_become_a_table_again_to_be_written(engine):
    load_rows(engine, FOLD_ROWS)
    fold_events(engine)
    ordered_events(engine)
    unfold_events(engine)
    assert _kind(engine, S.EVENTS_TABLE) == "BASE TABLE" and not engine.has_table(ORDERED_TABLE)
    engine.execute(f"DELETE FROM {S.EVENTS_TABLE} WHERE {S.CONTACT_ID} = 'd'")
    assert engine.scalar(f"SELECT count(*) FROM {ordered_events(engine)}") == 2


def test_an_attribute_named_like_an_ordered_column_keeps_two_tables(engine):
    load_rows(engine, [{**r, "Seq": "1"} for r in FOLD_ROWS])
    fold_events(engine)
    ordered_events(engine)
    assert _kind(engine, S.EVENTS_TABLE) == "BASE TABLE"
    assert engine.scalar(f"SELECT count(*) FROM {S.EVENTS_TABLE} WHERE Seq = '1'") == 3


def test_a_new_read_replaces_folded_events(engine, tmp_path):
    from cxray.io import read_events

    load_rows(engine, FOLD_ROWS)
    fold_events(engine)
    ordered_events(engine)
    path = tmp_path / "log.csv"
    path.write_text("contact_id,timestamp,activity\nk,2024-01-01 09:00,X\nk,2024-01-01 09:01,Y\n")
    read_events([path], engine)
    assert _kind(engine, S.EVENTS_TABLE) == "BASE TABLE"
    assert engine.scalar(f"SELECT string_agg(activity, '') FROM {ordered_events(engine)}") in ("XY", "YX")
