"""XES and OCEL 2.0 exports of the canonical events table (``cxray.io.writers``): pm4py (a test oracle only)
reads them to the same traces, events and objects; cxray reads them back to the same events."""

from __future__ import annotations

import gzip
import json
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from cxray import AnalysisOptions, diagnose
from cxray import schema as S
from cxray.engine import Engine
from cxray.errors import ConfigError, InputError
from cxray.io import ReadOptions, read_events
from cxray.io.mapping import Mapping
from cxray.io.writers import write_ocel, write_xes
from cxray.simulate import load_scenario, simulate

#: What a round trip must give back: every canonical column and the survey attributes.
COLUMNS = (*S.CANONICAL, S.SURVEY_SCORE, S.SURVEY_TYPE, S.VERBATIM)
COMPARED = ("contacts", "journeys", "transfer_rate", "abandonment_rate", "escalation_rate", "fcr")


def pm4py():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py as oracle
    return oracle


@pytest.fixture(scope="module")
def simulated() -> pa.Table:
    return simulate(load_scenario("default"), seed=7, days=7, customers=1500).events


def ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (r[S.CONTACT_ID], r[S.TIMESTAMP], r.get(S.SOURCE_ROW) or 0))


def canonical(table: pa.Table) -> list[dict[str, Any]]:
    """The rows' canonical and survey columns, in (contact, time, source row) order."""
    rows = ordered(table.to_pylist())
    return [{c: r.get(c) for c in COLUMNS} for r in rows]


def read_back(path: Path, mapping: Mapping | None = None) -> pa.Table:
    with Engine(threads=2) as engine:
        summary = read_events([path], engine, options=ReadOptions(mapping=mapping))
        assert summary.rows_rejected == 0
        return engine.arrow("SELECT * FROM events")


# --- XES ------------------------------------------------------------------------------------------------
def test_pm4py_reads_the_xes_export_to_the_same_traces_events_and_times(simulated, tmp_path: Path):
    path = tmp_path / "events.xes"
    assert write_xes(simulated, path) == simulated.num_rows
    log = pm4py().read_xes(str(path))
    assert len(log) == simulated.num_rows
    assert log["case:concept:name"].nunique() == len(set(simulated[S.CONTACT_ID].to_pylist()))
    want = canonical(simulated)
    got = sorted(
        zip(
            log["case:concept:name"],
            log["time:timestamp"],
            log["concept:name"],
            log["org:resource"],
            strict=True,
        ),
        key=lambda r: (r[0], r[1]),
    )
    # pm4py gives UTC-aware times: the offset was written and read
    assert [(c, t.tz_convert(None).to_pydatetime(), a) for c, t, a, _ in got] == [
        (r[S.CONTACT_ID], r[S.TIMESTAMP], r[S.ACTIVITY]) for r in want
    ]
    assert {str(t.tz) for t in log["time:timestamp"].head()} == {"UTC"}
    assert set(log["lifecycle:transition"]) == {"complete"}
    actors = [r[S.ACTOR] for r in want]
    assert [None if isinstance(x, float) else x for _, _, _, x in got] == actors
    assert log["duration_s"].dtype.kind == "f"  # written as float, read as a number


def test_cxray_reads_its_xes_export_back_to_the_same_events(simulated, tmp_path: Path):
    """canonical -> XES -> canonical: every canonical and survey column of every event comes back."""
    path = tmp_path / "events.xes"
    write_xes(simulated, path)
    back = read_back(path)
    assert canonical(back) == canonical(simulated)
    assert "lifecycle:transition" in back.column_names


def test_the_xes_export_diagnoses_like_the_canonical_log(simulated, tmp_path: Path):
    path = tmp_path / "events.xes.gz"
    write_xes(simulated, path)
    analysis = AnalysisOptions(window_days=2)
    run = diagnose(path, analysis=analysis)
    base = diagnose(simulated, analysis=analysis)
    got = {k: run.metrics.overall[k] for k in COMPARED}
    assert got["transfer_rate"] > 0 and got == pytest.approx({k: base.metrics.overall[k] for k in COMPARED})
    assert run.metrics.overall == base.metrics.overall


AWKWARD = pa.table(
    {
        S.CONTACT_ID: ['c<1>&"2"', 'c<1>&"2"', "c3"],
        S.TIMESTAMP: pa.array(
            [
                datetime(2024, 3, 4, 9, 0, 0, 123000),
                datetime(2024, 3, 4, 9, 0, 0, 123456),
                datetime(2024, 3, 5),
            ],
            pa.timestamp("us"),
        ),
        S.ACTIVITY: ['Say "hi" & <wave>', "Line\nbreak\tand tab", "Ctrl\x01char"],
        S.ACTOR: ["Zoë", None, "🤖 bot"],
        S.TEAM: [None, "R&D", None],
        S.DURATION_S: [1.5, None, float("nan")],
        "verbatim": ["it's <b>great</b>", None, "ok"],
        "case:segment": [None, "gold", "silver"],
        "lifecycle:transition": ["start", None, None],
        "org:resource": ["shadow", None, None],
        "n": pa.array([1, 2, None], pa.int64()),
        "flag": [True, None, False],
    }
)


def test_awkward_text_is_escaped_and_read_back(tmp_path: Path):
    """Quotes, <>&, line breaks and tabs survive (as character references); a control character XML cannot
    hold becomes U+FFFD; microseconds are kept; ``case:`` columns become trace attributes; an event's own
    ``lifecycle:transition`` is kept; a column named like a key the writer sets is written ``<key> (source)``;
    NaN is no value."""
    path = tmp_path / "awkward.xes"
    assert write_xes(AWKWARD, path) == 3
    text = path.read_text(encoding="utf-8")
    assert "&#10;" in text and "&#9;" in text and "\x01" not in text
    back = ordered(read_back(path).to_pylist())
    assert [r[S.ACTIVITY] for r in back] == ["Ctrl\ufffdchar", 'Say "hi" & <wave>', "Line\nbreak\tand tab"]
    assert [r[S.CONTACT_ID] for r in back] == ["c3", 'c<1>&"2"', 'c<1>&"2"']
    assert [r[S.TIMESTAMP].microsecond for r in back] == [0, 123000, 123456]
    assert [r[S.ACTOR] for r in back] == ["🤖 bot", "Zoë", None] and back[2][S.TEAM] == "R&D"
    assert [r[S.DURATION_S] for r in back] == [None, 1.5, None]
    assert [r["case:segment"] for r in back] == ["silver", "gold", "gold"]  # on the trace: one per contact
    assert [r["lifecycle:transition"] for r in back] == ["complete", "start", "complete"]
    assert [r["org:resource (source)"] for r in back] == [None, "shadow", None]
    assert [r["verbatim"] for r in back] == ["ok", "it's <b>great</b>", None]
    log = pm4py().read_xes(str(path))
    assert sorted(log["concept:name"]) == sorted(r[S.ACTIVITY] for r in back)
    assert set(log["case:segment"]) == {"gold", "silver"}


def test_a_real_log_exported_again_reads_like_the_original(tmp_path: Path, shared_data: Path):
    """van der Aalst's running example (pm4py-testlogs), read by cxray and written back: pm4py reads the
    same cases, activities, times and resources, and the trace attribute ``creator``, as from the original."""
    original = shared_data / "pm4py-testlogs" / "running-example.xes"
    with Engine(threads=2) as engine:
        read_events([original], engine, options=ReadOptions(mapping="running-example-xes"))
        events = engine.arrow("SELECT * FROM events")
    path = tmp_path / "again.xes"
    assert write_xes(events, path) == 42
    pm = pm4py()
    keys = ["case:concept:name", "concept:name", "time:timestamp", "org:resource", "case:creator"]
    a = pm.read_xes(str(original))[keys].sort_values(keys[:3]).reset_index(drop=True)
    b = pm.read_xes(str(path))[keys].sort_values(keys[:3]).reset_index(drop=True)
    assert a.astype(str).equals(b.astype(str))


def test_gzip_exports_are_deterministic_and_read_back(simulated, tmp_path: Path):
    one, two = tmp_path / "a.xes.gz", tmp_path / "b.xes.gz"
    write_xes(simulated, one)
    write_xes(simulated, two)
    assert one.read_bytes() == two.read_bytes() and one.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(one.read_bytes()).startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert canonical(read_back(one)) == canonical(simulated)
    write_ocel(simulated, tmp_path / "a.json.gz")
    write_ocel(simulated, tmp_path / "b.json.gz")
    assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()


# --- OCEL 2.0 -------------------------------------------------------------------------------------------
def test_pm4py_reads_the_ocel_export(simulated, tmp_path: Path):
    """Events, their types, the contact and customer objects and the relationships are all there."""
    path = tmp_path / "events.jsonocel"
    assert write_ocel(simulated, path) == simulated.num_rows
    log = pm4py().read_ocel2_json(str(path))
    contacts = set(simulated[S.CONTACT_ID].to_pylist())
    customers = set(simulated[S.CUSTOMER_ID].to_pylist()) - {None}
    assert len(log.events) == simulated.num_rows
    assert sorted(log.events["ocel:activity"]) == sorted(simulated[S.ACTIVITY].to_pylist())
    assert log.objects.groupby("ocel:type").size().to_dict() == {
        "contact": len(contacts),
        "customer": len(customers),
    }
    with_customer = simulated.num_rows - simulated[S.CUSTOMER_ID].null_count
    assert len(log.relations) == simulated.num_rows + with_customer
    assert set(log.relations["ocel:qualifier"]) == {"contact", "customer"}
    assert len(log.o2o) == len(contacts)  # each contact -> its customer
    assert log.events["ocel:timestamp"].min().to_pydatetime() == min(simulated[S.TIMESTAMP].to_pylist())


def test_cxray_reads_its_ocel_export_back_to_the_same_events(simulated, tmp_path: Path):
    path = tmp_path / "events.jsonocel"
    write_ocel(simulated, path)
    back = read_back(path, Mapping.from_dict({"reader": "ocel2"}))
    assert canonical(back) == canonical(simulated)


def test_columns_as_objects_get_ids_unique_across_types(tmp_path: Path):
    """A queue and a team both called Billing are two objects: the later type's id gets ``team:``."""
    table = pa.table(
        {
            S.CONTACT_ID: ["c1", "c1", "Billing"],
            S.TIMESTAMP: pa.array([datetime(2024, 3, 4, 9), datetime(2024, 3, 4, 10), datetime(2024, 3, 5)]),
            S.ACTIVITY: ["Queued", "Handled", "Queued"],
            S.CUSTOMER_ID: ["k1", "k1", None],
            S.QUEUE: ["Billing", "Billing", "Billing"],
            S.TEAM: [None, "Billing", None],
        }
    )
    path = tmp_path / "log.json"
    write_ocel(table, path, objects=["queue", "team"])
    doc = json.loads(path.read_text(encoding="utf-8"))
    ids = {(o["type"], o["id"]) for o in doc["objects"]}
    assert ids == {
        ("contact", "c1"), ("contact", "Billing"), ("customer", "k1"),
        ("queue", "queue:Billing"), ("team", "team:Billing"),
    }  # fmt: skip
    assert [o["name"] for o in doc["objectTypes"]] == ["contact", "customer", "queue", "team"]
    handled = next(e for e in doc["events"] if e["type"] == "Handled")
    assert {r["qualifier"]: r["objectId"] for r in handled["relationships"]} == {
        "contact": "c1", "customer": "k1", "queue": "queue:Billing", "team": "team:Billing",
    }  # fmt: skip
    assert "queue" not in {a["name"] for a in handled["attributes"]}
    log = pm4py().read_ocel2_json(str(path))
    assert log.objects["ocel:oid"].is_unique and len(log.objects) == 5


def test_bad_tables_and_options_are_refused(tmp_path: Path):
    with pytest.raises(InputError, match="no activity column"):
        write_xes(AWKWARD.drop_columns([S.ACTIVITY]), tmp_path / "x.xes")
    nulls = AWKWARD.set_column(0, S.CONTACT_ID, pa.array([None, "a", "b"], pa.string()))
    with pytest.raises(InputError, match="1 rows without contact_id"):
        write_ocel(nulls, tmp_path / "x.json")
    with pytest.raises(ConfigError, match=r"cannot write \['outcome'\] as objects"):
        write_ocel(AWKWARD, tmp_path / "x.json", objects=["outcome"])


# --- the command line ---------------------------------------------------------------------------------------
def test_cxray_export_writes_xes_and_ocel_that_read_back(tmp_path: Path):
    """``cxray export`` reads as diagnose does and writes both files; the XES reads back the same."""
    from typer.testing import CliRunner

    from cxray.cli import EXIT_OK, app

    source = tmp_path / "events.csv"
    source.write_text(
        "contact_id,timestamp,activity,customer_id,actor,verbatim\n"
        "c1,2024-03-04T09:00:00Z,Call,u1,ann,call me on +31 20 123 4567\n"
        "c1,2024-03-04T09:05:00Z,Resolved,u1,ann,\n"
        "c2,not a time,Call,u2,bob,\n"
    )
    xes, ocel = tmp_path / "out.xes", tmp_path / "out.jsonocel"
    result = CliRunner().invoke(app, ["export", str(source), "--xes", str(xes), "--ocel", str(ocel)])
    assert result.exit_code == EXIT_OK, result.output
    assert "read 3 rows: kept 2, rejected 1" in result.output and f"wrote 2 events to {xes}" in result.output
    with Engine() as engine:
        read_events([xes], engine)
        assert [r["activity"] for r in engine.rows("SELECT activity FROM events ORDER BY timestamp")] == [
            "Call",
            "Resolved",
        ]
    assert json.loads(ocel.read_text(encoding="utf-8"))["events"]


def test_cxray_export_redacts_ids_actors_and_verbatims(tmp_path: Path):
    from typer.testing import CliRunner

    from cxray.cli import EXIT_OK, app

    source = tmp_path / "events.csv"
    source.write_text(
        "contact_id,timestamp,activity,customer_id,actor,verbatim,email\n"
        "C-1001,2024-03-04T09:00:00Z,Call,CU-77,ann.smith,call me on +31 20 123 4567,a@b.com\n"
    )
    xes = tmp_path / "out.xes"
    result = CliRunner().invoke(app, ["export", str(source), "--xes", str(xes), "--redact", "-q"])
    assert result.exit_code == EXIT_OK, result.output
    text = xes.read_text(encoding="utf-8")
    for secret in ("C-1001", "CU-77", "ann.smith", "123 4567", "a@b.com"):
        assert secret not in text, secret


def test_cxray_export_needs_a_target(tmp_path: Path):
    from typer.testing import CliRunner

    from cxray.cli import EXIT_CONFIG, app

    result = CliRunner().invoke(app, ["export", str(tmp_path / "x.csv")])
    assert result.exit_code == EXIT_CONFIG and "--xes" in result.output
