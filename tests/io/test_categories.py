"""Low-cardinality canonical text stored as ENUMs (``io.canonical.encode_categories``): faster to sort
and group, and nothing a query, an output or the diagnosis sees may change."""

from __future__ import annotations

from pathlib import Path

import pytest
from io_helpers import read_one, write

from cxray import schema as S
from cxray.engine import Engine
from cxray.io import ReadOptions, canonical, read


def _type(engine: Engine, column: str) -> str:
    return engine.scalar(f"SELECT type FROM pragma_table_info('events') WHERE name = '{column}'")


LOG = (
    "contact_id,timestamp,activity,queue,team,reason\n"
    "c1,2024-03-01 09:00,b step,Zürich,,it's late\n"
    "c1,2024-03-01 09:05,a step,zeta,,\n"
    "c2,2024-03-01 10:00,B step,Zürich,,\n"
    "c2,2024-03-01 10:01,Émile,alpha,,\n"
    "c3,not a time,Only here,rejected queue,,\n"
)


def test_text_columns_become_sorted_enums_and_still_read_as_text(engine: Engine, tmp_path: Path):
    summary = read_one(engine, write(tmp_path, "a.csv", LOG))
    assert summary.rows_rejected == 1  # its values are in no ENUM: the conversion skips deleted rows
    assert _type(engine, S.ACTIVITY).startswith("ENUM(")
    assert _type(engine, S.QUEUE).startswith("ENUM(")
    assert _type(engine, S.TEAM) == "VARCHAR"  # no value: nothing to encode
    assert _type(engine, S.CONTACT_ID) == "VARCHAR"  # ids are never encoded
    activities = ["B step", "a step", "b step", "Émile"]  # byte order, as VARCHAR sorts
    assert [r[0] for r in engine.fetchall("SELECT activity FROM events ORDER BY activity")] == activities
    assert sorted(activities) == activities  # Python's order is the same
    assert engine.fetchall("SELECT min(activity), max(activity) FROM events") == [("B step", "Émile")]
    # still text: comparisons with values in and out of the ENUM, functions, a join to VARCHAR
    assert engine.scalar("SELECT count(*) FROM events WHERE queue = 'Zürich'") == 2
    assert engine.scalar("SELECT count(*) FROM events WHERE activity = 'not there'") == 0
    joined_text = engine.scalar("SELECT string_agg(activity, '|' ORDER BY activity) FROM events")
    assert joined_text == "|".join(activities)
    assert engine.scalar("SELECT max(reason) FROM events") == "it's late"
    joined = "SELECT count(*) FROM events e JOIN (SELECT 'a step' AS a) t ON e.activity = t.a"
    assert engine.scalar(joined) == 1
    # what leaves the engine is text
    assert engine.arrow("SELECT activity FROM events ORDER BY activity").column(0).to_pylist() == activities


def test_a_column_with_more_values_than_the_cap_stays_text(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(canonical, "MAX_CATEGORIES", 3)
    read_one(engine, write(tmp_path, "a.csv", LOG))
    assert _type(engine, S.ACTIVITY) == "VARCHAR"  # four values
    assert _type(engine, S.QUEUE).startswith("ENUM(")  # three


def test_the_diagnosis_is_the_same_without_the_encoding(shared_data: Path, monkeypatch: pytest.MonkeyPatch):
    """The oracle: the same document with every column left VARCHAR, for a real ticket log and for a
    simulated centre where every step runs (transfers, bots, vendors, surveys)."""
    from cxray import diagnose
    from cxray.simulate import load_scenario, simulate

    centre = simulate(load_scenario("default"), seed=3, days=10, customers=1200).events
    sources = (
        (shared_data / "helpdesk/helpdesk.xes", ReadOptions(mapping="helpdesk")),
        (centre, None),
    )
    for source, options in sources:
        docs = []
        for encode in (True, False):
            with monkeypatch.context() as m:
                if not encode:
                    m.setattr(read, "encode_categories", lambda engine: {})
                with Engine(threads=2) as engine:
                    d = diagnose(source, engine=engine, read=options)
                    encoded = {c for c in S.CANONICAL if _type(engine, c).startswith("ENUM(")}
                docs.append((encoded, {k: v for k, v in d.to_dict().items() if k != "options"}))
        assert docs[0][0] and not docs[1][0]  # one run stored ENUMs, the other none
        assert docs[0][1]["breakdowns"] and docs[0][1] == docs[1][1]
