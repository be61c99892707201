"""Real-export artefacts: each is in the log with its documented size, exactly where the ground truth says,
off unless asked for, deterministic, and the log still reads through cxray."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

import duckdb
import pytest
from typer.testing import CliRunner

import cxray
from cxray import schema as S
from cxray.cli import EXIT_OK, app
from cxray.errors import ConfigError
from cxray.simulate import Artefacts, builtin_scenarios, load_scenario, simulate
from cxray.simulate import run as sim_run
from cxray.simulate.artefact_values import wrong_year

MARKERS = Artefacts().markers


@pytest.fixture(scope="module")
def sim():
    return simulate(load_scenario("default"), seed=5, days=14, customers=30_000, artefacts=Artefacts())


def connect(sim) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("events", sim.events)
    return con


def ids_sql(ids: list[str]) -> str:
    return "(" + ",".join(f"'{i}'" for i in ids) + ")"


def test_off_unless_asked_for():
    """Without artefacts, and with ``Artefacts.none()``, the log and its truth are the scenario's own."""
    scenario = load_scenario("default")
    plain = simulate(scenario, seed=2, days=3, customers=3000)
    none = simulate(scenario, seed=2, days=3, customers=3000, artefacts=Artefacts.none())
    assert none.events.equals(plain.events)
    assert none.ground_truth == plain.ground_truth
    assert "artefacts" not in plain.ground_truth
    assert not Artefacts.none().active and Artefacts().active


def test_bulk_identities_raise_short_contacts_in_one_place(sim):
    """Each bulk customer raises round(share × the centre's contacts) contacts, share in [2%, 5%], all in
    one queue, team and reason, each handled and resolved by an agent, none abandoned."""
    truth = sim.ground_truth["artefacts"]
    con = connect(sim)
    bulk = truth["bulk_identities"]
    assert len(bulk) == 2 and len({b["customer_id"] for b in bulk}) == 2
    for b in bulk:
        assert 0.02 <= b["share"] <= 0.05
        assert b["n_contacts"] == len(b["contact_ids"]) == round(b["share"] * truth["base_contacts"]) > 100
        ids = ids_sql(b["contact_ids"])
        # The customer id is the bulk identity's alone: every contact that carries it is listed, and back.
        carrying = con.execute(
            f"SELECT DISTINCT contact_id FROM events WHERE customer_id = '{b['customer_id']}'"
        ).fetchall()
        assert sorted(c for (c,) in carrying) == b["contact_ids"]
        for column in (S.QUEUE, S.TEAM, S.REASON, S.CHANNEL):
            values = con.execute(
                f"SELECT DISTINCT {column} FROM events WHERE contact_id IN {ids} AND {column} IS NOT NULL"
            ).fetchall()
            assert {v for (v,) in values} - set(MARKERS) == {b[column]}, column
        shape = con.execute(f"""
            SELECT count(DISTINCT contact_id), count(*) FILTER (WHERE activity = 'Agent handling'
                AND outcome = 'resolved' AND actor_type = 'agent' AND duration_s BETWEEN 60 AND 240),
                count(*) FILTER (WHERE outcome = 'abandoned'),
                max(span) FROM (SELECT *, max("timestamp") OVER w - min("timestamp") OVER w AS span
                                FROM events WHERE contact_id IN {ids} WINDOW w AS (PARTITION BY contact_id))
        """).fetchone()
        assert shape[:3] == (b["n_contacts"], b["n_contacts"], 0)
        assert shape[3].total_seconds() < 600


def test_missing_markers_replace_exactly_the_counted_values(sim):
    """round(2% × events) events carry exactly one marker, in the columns and casings the truth counts."""
    truth = sim.ground_truth["artefacts"]["missing_markers"]
    con = connect(sim)
    columns = Artefacts().marker_columns
    per_row = " + ".join(f"coalesce({c} IN {ids_sql(list(MARKERS))}, false)::INT" for c in columns)
    rows = con.execute(f"SELECT {per_row} AS n FROM events WHERE {per_row} > 0").fetchall()
    assert len(rows) == truth["n_events"] == round(0.02 * sim.events.num_rows)
    assert {n for (n,) in rows} == {1}
    for c in columns:
        n = con.execute(f"SELECT count(*) FROM events WHERE {c} IN {ids_sql(list(MARKERS))}").fetchone()[0]
        assert n == truth["columns"][c] > 0, c
    used = dict(
        con.execute(f"""
        SELECT v, count(*) FROM (
            {" UNION ALL ".join(f"SELECT {c} AS v FROM events" for c in columns)}
        ) WHERE v IN {ids_sql(list(MARKERS))} GROUP BY v
    """).fetchall()
    )
    assert used == truth["values"] and set(used) == set(MARKERS)  # mixed case included


def test_every_marker_reads_as_missing():
    """The simulator writes only markers that cxray's reader reads as NULL (case-insensitively)."""
    known = {m.lower() for m in S.MISSING_MARKERS}
    assert {m.lower() for m in MARKERS} <= known


def test_night_calls_reach_a_closed_centre_and_all_hang_up(sim):
    """round(3% × phone contacts) calls arrive in the closed hours, pass the IVR, mostly wait in a queue and
    all hang up; no agent takes one, and they are the only phone contacts that start while closed."""
    truth = sim.ground_truth["artefacts"]["night_calls"]
    assert truth["closed_hours"] == [0, 6]
    assert truth["n_contacts"] == len(truth["contact_ids"]) == round(0.03 * truth["base_phone_contacts"]) > 20
    con = connect(sim)
    ids = ids_sql(truth["contact_ids"])
    shape = con.execute(f"""
        SELECT count(DISTINCT contact_id), bool_and(channel = 'phone'),
               bool_and(extract(hour FROM "timestamp") < 6),
               count(*) FILTER (WHERE actor_type IN ('agent', 'back_office')),
               count(DISTINCT contact_id) FILTER (WHERE activity = 'Queue wait'),
               count(DISTINCT contact_id) FILTER (WHERE outcome = 'abandoned'),
               bool_and(activity IN ('IVR menu', 'Queue wait', 'Abandoned'))
        FROM events WHERE contact_id IN {ids}
    """).fetchone()
    n = truth["n_contacts"]
    assert shape == (n, True, True, 0, truth["n_queued"], n, True)
    assert truth["n_abandoned"] == n and 0.9 * n <= truth["n_queued"] < n
    starting = con.execute("""
        SELECT contact_id FROM events WHERE channel = 'phone' GROUP BY contact_id
        HAVING extract(hour FROM min("timestamp")) < 6 AND max("timestamp") < TIMESTAMP '2030-01-01'
    """).fetchall()
    assert sorted(c for (c,) in starting) == truth["contact_ids"]


@pytest.mark.parametrize("name", builtin_scenarios())
def test_no_agent_works_while_closed(name):
    """In any scenario, closed hours (wrapping midnight too) mean no agent or back-office step starts then,
    even where the scenario's own phone line is open at night (telco)."""
    art = dataclasses.replace(Artefacts.none(), closed_hours=(22, 7), night_call_share=0.03)
    result = simulate(load_scenario(name), seed=3, days=5, customers=20_000, artefacts=art)
    con = connect(result)
    working = con.execute("""
        SELECT count(*) FROM events WHERE actor_type IN ('agent', 'back_office')
        AND (extract(hour FROM "timestamp") >= 22 OR extract(hour FROM "timestamp") < 7)
    """).fetchone()[0]
    assert working == 0
    night = result.ground_truth["artefacts"]["night_calls"]
    assert night["closed_hours"] == [22, 7] and night["n_contacts"] > 0
    hours = con.execute(
        f"""SELECT DISTINCT extract(hour FROM "timestamp") FROM events
            WHERE contact_id IN {ids_sql(night["contact_ids"])}"""
    ).fetchall()
    assert {h for (h,) in hours} <= {22, 23, 0, 1, 2, 3, 4, 5, 6}


def test_a_mistyped_year_moves_one_event_decades_on(sim):
    """One event's year is typed wrong (2024 → 2042); it is the only one outside the simulated days."""
    truth = sim.ground_truth["artefacts"]["mistyped_years"]
    assert len(truth) == 1
    (m,) = truth
    original = datetime.strptime(m["original"], "%Y-%m-%dT%H:%M:%SZ")
    wrong = datetime.strptime(m["wrong"], "%Y-%m-%dT%H:%M:%SZ")
    assert original.year == 2024 and wrong == original.replace(year=2042)
    con = connect(sim)
    out = con.execute("""
        SELECT contact_id, source_row, activity, "timestamp" FROM events
        WHERE "timestamp" >= TIMESTAMP '2024-03-04' + INTERVAL 14 DAY
    """).fetchall()
    assert out == [(m["contact_id"], m["source_row"], m["activity"], wrong)]
    assert (wrong_year(2024), wrong_year(2026), wrong_year(2022)) == (2042, 2062, 2032)


def test_unidentified_contacts_have_no_customer_id(sim):
    """round(5% × contacts) contacts, none of a bulk identity, have no customer id on any event."""
    truth = sim.ground_truth["artefacts"]
    unidentified = truth["unidentified"]
    assert unidentified["n_contacts"] == round(0.05 * sim.ground_truth["n_contacts"]) > 100
    con = connect(sim)
    null = con.execute("""
        SELECT contact_id, bool_and(customer_id IS NULL) FROM events WHERE customer_id IS NULL GROUP BY 1
    """).fetchall()
    assert sorted(c for c, _ in null) == unidentified["contact_ids"]
    assert all(every for _, every in null)
    bulk = {c for b in truth["bulk_identities"] for c in b["contact_ids"]}
    assert not bulk & set(unidentified["contact_ids"])


def test_deterministic_with_a_stream_per_artefact(sim):
    """The same seed gives the same log and truth; another seed another; turning the markers off leaves
    the other artefacts exactly where they were."""
    scenario = load_scenario("default")
    again = simulate(scenario, seed=5, days=14, customers=30_000, artefacts=Artefacts())
    assert again.events.equals(sim.events) and again.ground_truth == sim.ground_truth
    other = simulate(scenario, seed=6, days=14, customers=30_000, artefacts=Artefacts())
    assert other.ground_truth["artefacts"] != sim.ground_truth["artefacts"]
    unmarked_options = dataclasses.replace(Artefacts(), marker_share=0)
    unmarked = simulate(scenario, seed=5, days=14, customers=30_000, artefacts=unmarked_options)
    a, b = unmarked.ground_truth["artefacts"], sim.ground_truth["artefacts"]
    assert a["missing_markers"]["n_events"] == 0
    for key in ("bulk_identities", "night_calls", "unidentified", "mistyped_years"):
        assert a[key] == b[key], key


def test_the_log_reads_through_cxray():
    """cxray diagnoses a log with every artefact; each row is accounted for by the reader."""
    result = simulate(load_scenario("default"), seed=8, days=7, customers=8000, artefacts=Artefacts())
    d = cxray.diagnose(result.events)
    i = d.input
    assert i.rows_read == i.rows_kept + i.rows_rejected + i.duplicates_dropped == result.events.num_rows


def test_written_truth_moves_long_id_lists_to_files(tmp_path, monkeypatch):
    """ground_truth.json has the artefacts record; lists over the inline limit go to files of their own."""
    monkeypatch.setattr(sim_run, "INLINE_IDS", 5)
    result = simulate(load_scenario("default"), seed=1, days=4, customers=20_000, artefacts=Artefacts())
    result.write(tmp_path)
    written = json.loads((tmp_path / "ground_truth.json").read_text())["artefacts"]
    for record, truth in [
        *zip(written["bulk_identities"], result.ground_truth["artefacts"]["bulk_identities"], strict=True),
        (written["unidentified"], result.ground_truth["artefacts"]["unidentified"]),
        (written["night_calls"], result.ground_truth["artefacts"]["night_calls"]),
    ]:
        assert "contact_ids" not in record
        lines = (tmp_path / record["contact_ids_file"]).read_text().split()
        assert lines == truth["contact_ids"]


def test_cli_flag_adds_the_artefacts(tmp_path):
    """``cxray simulate --artefacts`` writes a log with the artefacts record in its ground truth."""
    result = CliRunner().invoke(
        app,
        ["simulate", "-o", str(tmp_path), "--days", "2", "--customers", "3000", "--artefacts", "-q"],
        catch_exceptions=False,
    )
    assert result.exit_code == EXIT_OK
    truth = json.loads((tmp_path / "ground_truth.json").read_text())
    assert truth["artefacts"]["options"] == json.loads(json.dumps(dataclasses.asdict(Artefacts())))


@pytest.mark.parametrize(
    "bad",
    [
        {"bulk_share": (0.05, 0.02)},
        {"marker_share": 1.5},
        {"closed_hours": (3, 3)},
        {"closed_hours": (0, 24)},
        {"closed_hours": None},  # night calls need closed hours
        {"marker_columns": ("actor",)},
        {"bulk_customers": -1},
    ],
)
def test_bad_options_are_config_errors(bad):
    """Out-of-range sizes and hours are a configuration error, not a silent oddity."""
    with pytest.raises(ConfigError):
        Artefacts(**bad)
