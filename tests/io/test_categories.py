"""Low-cardinality canonical text stored as ENUMs: faster to sort and group, and nothing a query, an
output or the diagnosis sees may change. Two paths: the values scanned before staging and staged as ENUMs
(``io.canonical.scan_categories``), or, for a source too costly to read twice, the staged columns
rewritten (``io.canonical.encode_categories``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from io_helpers import read_one, write

from cxray import schema as S
from cxray.engine import Engine
from cxray.io import ReadOptions, canonical
from cxray.io.readers import delimited


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


@pytest.fixture(params=["scanned", "rewritten"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Which path encodes: the CSV reader's source said too costly to read twice takes the rewrite."""
    if request.param == "rewritten":
        register = delimited.register_arrow
        monkeypatch.setattr(
            delimited, "register_arrow", lambda *a, **k: dataclasses.replace(register(*a, **k), rescan=False)
        )
    return request.param


def test_text_columns_become_sorted_enums_and_still_read_as_text(engine: Engine, tmp_path: Path, path: str):
    summary = read_one(engine, write(tmp_path, "a.csv", LOG))
    assert summary.rows_rejected == 1
    assert _type(engine, S.ACTIVITY).startswith("ENUM(")
    assert _type(engine, S.QUEUE).startswith("ENUM(")
    # the rejected row's queue is in the type only when scanned before the rejection: in no event either way
    assert ("'rejected queue'" in _type(engine, S.QUEUE)) == (path == "scanned")
    assert engine.scalar("SELECT count(*) FROM events WHERE queue = 'rejected queue'") == 0
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
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
):
    # four kept values each, and one more in the rejected row, which only the scan counts
    monkeypatch.setattr(canonical, "MAX_CATEGORIES", 4 if path == "scanned" else 3)
    read_one(engine, write(tmp_path, "a.csv", LOG))
    assert _type(engine, S.ACTIVITY) == "VARCHAR"  # four kept values, five with the rejected row
    assert _type(engine, S.QUEUE).startswith("ENUM(")  # three, four with the rejected row


@pytest.mark.parametrize("queue", ["queue", ["queue", "team"]], ids=["one column", "joined columns"])
def test_the_scan_over_distinct_values_finds_what_every_row_gives(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, queue: object
):
    """The scan cleans each source column's distinct values, not every row; a column joined from several
    is scanned over the rows. Either way the types hold the values every staged row has (spied on, with
    a value map, a vocabulary word's case and a marker in the data)."""
    from cxray.io.mapping import Mapping

    log = (
        "contact_id,timestamp,activity,queue,team,outcome\n"
        "c1,2024-03-01 09:00, a ,Q1,T1,RESOLVED\n"
        "c1,2024-03-01 09:05,b,Q1,T2,\n"
        "c2,2024-03-01 10:00,x,N/A,T1,Resolved\n"
        "c3,never,b,Q3,T3,abandoned\n"
    )
    mapping = Mapping.from_dict(
        {"columns": {"queue": queue}, "value_maps": {"activity": {"x": "b"}}, "missing_values": ["N/A"]}
    )
    scanned: list[dict[str, list[str] | None]] = []
    scan = canonical.scan_categories
    monkeypatch.setattr(canonical, "scan_categories", lambda *a: scanned.append(scan(*a)) or scanned[-1])
    domain, over_values = canonical._value_domain, []

    def spied(engine: Engine, plan: object, mapping: object) -> object:
        found = domain(engine, plan, mapping)  # type: ignore[arg-type]
        over_values.append(found is not plan)
        return found

    monkeypatch.setattr(canonical, "_value_domain", spied)
    read_one(engine, write(tmp_path, "a.csv", log), mapping=mapping)
    assert over_values == [queue == "queue"]
    staged = {  # what the rows themselves give, kept or not: the rejected row's values are in the type
        "activity": ["a", "b"],
        "outcome": ["abandoned", "resolved"],
        "queue": ["Q1", "Q3"] if queue == "queue" else ["Q1 - T1", "Q1 - T2", "Q3 - T3", "T1"],
    }
    if queue == "queue":  # the team column is the queue's second part otherwise, not a team
        staged["team"] = ["T1", "T2", "T3"]
    assert {c: v for c, v in scanned[0].items() if c in staged} == staged
    for column, values in staged.items():
        assert _type(engine, column) == canonical.enum_sql(values)


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
                if not encode:  # every column past the cap: none encoded by either path
                    m.setattr(canonical, "MAX_CATEGORIES", 0)
                with Engine(threads=2) as engine:
                    d = diagnose(source, engine=engine, read=options)
                    encoded = {c for c in S.CANONICAL if _type(engine, c).startswith("ENUM(")}
                docs.append((encoded, {k: v for k, v in d.to_dict().items() if k != "options"}))
        assert docs[0][0] and not docs[1][0]  # one run stored ENUMs, the other none
        assert docs[0][1]["breakdowns"] and docs[0][1] == docs[1][1]
