"""The simulated log: canonical schema, sound ordering and vocabularies, determinism, files that read back."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import duckdb
import pyarrow.compute as pc
import pytest
from sim_signals import run

from cxray import schema as S
from cxray.engine import Engine
from cxray.io import read_events
from cxray.schema import canonical_arrow_schema
from cxray.simulate import load_scenario, simulate

ATTRIBUTES = ("survey_score", "survey_type", "verbatim")


@pytest.fixture(scope="module")
def small():
    return simulate(load_scenario("default"), seed=4, days=6, customers=25_000)


@pytest.mark.parametrize("name", ["default", "telco", "insurer"])
def test_events_follow_the_canonical_schema(name):
    """Columns and types are canonical; required columns are never NULL; vocabularies are cxray's."""
    events = run(name).events
    assert events.schema == canonical_arrow_schema(ATTRIBUTES)
    for column in S.REQUIRED:
        assert events.column(column).null_count == 0
    assert set(pc.unique(events.column(S.ACTOR_TYPE)).to_pylist()) <= set(S.ACTOR_TYPES)
    assert set(pc.unique(events.column(S.OUTCOME)).drop_null().to_pylist()) <= set(S.OUTCOMES)
    assert set(pc.unique(events.column(S.CHANNEL)).to_pylist()) <= set(S.CHANNELS)
    assert events.column(S.SOURCE_ROW).to_pylist() == list(range(1, events.num_rows + 1))
    scenario = load_scenario(name)
    start = datetime(scenario.start.year, scenario.start.month, scenario.start.day)
    assert pc.min(events.column(S.TIMESTAMP)).as_py() >= start
    assert pc.max(events.column(S.TIMESTAMP)).as_py() < start + timedelta(days=scenario.days)
    assert pc.min(events.column(S.DURATION_S)).as_py() >= 0


def test_events_are_in_contact_then_time_order():
    """Rows are grouped by contact, in (timestamp, source_row) order; one customer and channel a contact."""
    con = duckdb.connect()
    con.register("events", run("default").events)
    assert (
        con.execute("""
        SELECT count(*) FROM (SELECT contact_id, "timestamp" AS t,
            lag(contact_id) OVER (ORDER BY source_row) AS pc,
            lag("timestamp") OVER (ORDER BY source_row) AS pt
            FROM events) WHERE pc = contact_id AND t < pt
    """).fetchone()[0]
        == 0
    )
    assert (
        con.execute("""
        SELECT count(*) FROM (SELECT contact_id FROM events GROUP BY contact_id
        HAVING count(DISTINCT customer_id) > 1 OR count(DISTINCT channel) > 1
            OR max(source_row) - min(source_row) + 1 <> count(*))
    """).fetchone()[0]
        == 0
    )
    # Every contact opens with how it arrived, and an abandoned contact ends with the abandonment.
    firsts = {
        r[0]
        for r in con.execute("""
        SELECT DISTINCT arg_min(activity, source_row) FROM events GROUP BY contact_id
    """).fetchall()
    }
    assert firsts == {"IVR menu", "Bot: conversation started", "Email received", "Case queued"}
    assert (
        con.execute("""
        SELECT count(*) FROM (
            SELECT contact_id, arg_max(activity, source_row) FILTER (WHERE activity <> 'Survey') AS last,
                bool_or(activity = 'Abandoned') AS ab
            FROM events GROUP BY contact_id)
        WHERE ab AND last <> 'Abandoned'
    """).fetchone()[0]
        == 0
    )


def test_default_size_and_speed():
    """The demo centre has 200k-500k events in 30 days and simulates well within 15 s."""
    started = time.perf_counter()
    result = simulate(load_scenario("default"), seed=0)
    elapsed = time.perf_counter() - started
    assert 200_000 <= result.events.num_rows <= 500_000
    assert elapsed < 15
    assert result.ground_truth["n_contacts"] > result.ground_truth["n_journeys"] > 10_000


def test_same_seed_same_bytes(tmp_path, small):
    """The same seed gives byte-identical files; another seed gives another log."""
    again = simulate(load_scenario("default"), seed=4, days=6, customers=25_000)
    for fmt in ("csv", "parquet"):
        a = small.write(tmp_path / "a", fmt=fmt)
        b = again.write(tmp_path / "b", fmt=fmt)
        assert [p.name for p in a] == [p.name for p in b]
        for pa_, pb in zip(a, b, strict=True):
            assert pa_.read_bytes() == pb.read_bytes(), pa_.name
    other = simulate(load_scenario("default"), seed=5, days=6, customers=25_000)
    assert not other.events.equals(small.events)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_written_files_read_back_identically(tmp_path, small, fmt):
    """cxray's own reader turns the written file back into exactly the simulated table."""
    paths = small.write(tmp_path, fmt=fmt)
    assert paths[0].name == f"events.{fmt}" and paths[-1].name == "ground_truth.json"
    with Engine(threads=2) as engine:
        summary = read_events([paths[0]], engine)
        assert summary.rows_kept == small.events.num_rows
        back = engine.arrow("SELECT * EXCLUDE (source_file) FROM events ORDER BY source_row")
    assert back.equals(small.events.drop_columns([S.SOURCE_FILE]))


def test_ground_truth_names_entities_and_real_contacts(tmp_path, small):
    """Each planted breakdown names its entities by canonical column, its parameters, its contacts."""
    truth = small.ground_truth
    ids = set(small.events.column(S.CONTACT_ID).to_pylist())
    scenario = load_scenario("default")
    assert [b["name"] for b in truth["breakdowns"]] == [b.name for b in scenario.breakdowns]
    allowed = set(S.CANONICAL) | {"from", "to"}
    for b in truth["breakdowns"]:
        assert set(b["entities"]) <= allowed and b["entities"]
        assert b["parameters"] and b["n_contacts"] == len(b["contact_ids"]) > 0
        assert set(b["contact_ids"]) <= ids
        assert b["contact_ids"] == sorted(b["contact_ids"])
    assert {b["name"] for b in truth["breakdowns"] if b["decoy"]} == {"fraud_decoy", "order_status_decoy"}
    json.dumps(truth)  # serialisable as is

    paths = small.write(tmp_path, fmt="parquet")
    written = json.loads((tmp_path / "ground_truth.json").read_text())
    for b in written["breakdowns"]:
        if b["n_contacts"] > 2000:
            listed = (tmp_path / b["contact_ids_file"]).read_text().split()
            assert tmp_path / b["contact_ids_file"] in paths
        else:
            listed = b["contact_ids"]
        assert len(listed) == b["n_contacts"]


def test_surveys_score_friction():
    """Survey scores sit on a Survey event as attributes, and journeys with more contacts score lower."""
    con = duckdb.connect()
    con.register("events", run("default").events)
    rows = con.execute("""
        SELECT count(*) FILTER (WHERE activity <> 'Survey'), count(*) FILTER (WHERE activity = 'Survey'),
               count(*) FILTER (WHERE verbatim IS NOT NULL) FROM events WHERE survey_score IS NOT NULL
    """).fetchone()
    assert rows[0] == 0 and rows[1] > 1000 and 0.4 * rows[1] < rows[2] < 0.8 * rows[1]
    by_seq = con.execute("""
        WITH c AS (SELECT contact_id, any_value(customer_id) cu, any_value(reason) r, min("timestamp") s,
                          max(survey_score::INT) score FROM events GROUP BY ALL),
             n AS (SELECT *, count(*) OVER (PARTITION BY cu, r ORDER BY s) AS k FROM c)
        SELECT avg(score) FILTER (WHERE k = 1), avg(score) FILTER (WHERE k > 1) FROM n
    """).fetchone()
    assert by_seq[0] > by_seq[1] + 0.5


def test_overrides_scale_volume():
    """``customers`` scales volume and ``days`` the span; bad overrides are ConfigErrors."""
    from cxray.errors import ConfigError

    small_ = simulate(load_scenario("insurer"), seed=1, days=7, customers=10_000)
    large = simulate(load_scenario("insurer"), seed=1, days=7, customers=40_000)
    assert 3 < large.events.num_rows / small_.events.num_rows < 5
    with pytest.raises(ConfigError):
        simulate(load_scenario("insurer"), days=0)
