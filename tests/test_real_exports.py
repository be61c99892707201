"""Every public log through the whole CLI, and the first page believable on each (docs/data-quality.md).

Each expectation is checked against an independent count made here from the raw file with plain DuckDB,
not against cxray's own numbers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from cxray.cli import app
from cxray.io import builtin_mappings
from test_contract import validate

# (built-in mapping, file under ../shared/data): every public log with the mapping made for it.
LOGS = [
    ("helpdesk", "helpdesk/helpdesk.xes"),
    ("running-example-xes", "pm4py-testlogs/running-example.xes"),
    ("running-example-csv", "pm4py-testlogs/running-example.csv"),
    ("receipt", "pm4py-testlogs/receipt.csv"),
    ("bpic2013-incidents", "bpic2013/BPI_Challenge_2013_incidents.xes"),
    ("bpic2013-incidents", "bpic2013/BPI_Challenge_2013_closed_problems.xes"),
    ("bpic2013-incidents", "bpic2013/BPI_Challenge_2013_open_problems.xes"),
    ("bpic2014-incident-activity", "bpic2014/derived_incident_activity_EventLog.csv"),
    ("bpic2014-interactions", "bpic2014/Detail_Interaction.csv"),
    ("uci-servicenow", "uci-incident-servicenow/incident_event_log.csv"),
    ("bpic2016-complaints", "bpic2016-complaints/BPI2016_Complaints.csv"),
    ("anonymous-bank", "anonymous-bank-callcenter/data_anonymous_bank_february.txt"),
]
# The public logs no built-in mapping is made for, with the columns a user would map by hand.
UNMAPPED = {
    "bpic2012/BPI_Challenge_2012.xes.gz": [],  # standard XES keys are found on their own
    "helpdesk/helpdesk_verenich_ids.csv": [
        "--map", "contact_id=CaseID", "--map", "activity=ActivityID", "--map", "timestamp=CompleteTimestamp",
    ],
    "bpic2013/ibm_VINST-new_incidents.csv": [
        "--map", "contact_id=SR Number", "--map", "timestamp=Change Date+Time", "--map", "activity=Activity",
        "--map", "team=Involved ST",
    ],
    "bpic2014/Detail_Incident.csv": [
        "--map", "contact_id=Incident ID", "--map", "activity=Status", "--map", "timestamp=Open Time",
        "--dayfirst",
    ],
    "bpic2014/Detail_Change.csv": [
        "--map", "contact_id=Change ID", "--map", "activity=Change Type",
        "--map", "timestamp=Change record Open Time", "--dayfirst",
    ],
}  # fmt: skip
MARKERS = re.compile(r"(?<![\w-])(EMPTY|NULL|N/A|\?|\(none\)|unknown)(?![\w-])", re.IGNORECASE)

_cache: dict[str, dict] = {}


def run(shared_data: Path, tmp_path_factory, mapping: str, file: str) -> dict:
    """``cxray diagnose`` on one log (once per session); the diagnosis.json it wrote."""
    key = f"{mapping}:{file}"
    if key not in _cache:
        out = tmp_path_factory.mktemp("real")
        result = CliRunner().invoke(
            app,
            ["diagnose", str(shared_data / file), "--mapping", mapping, "--out", str(out), "--quiet"],
        )
        assert result.exit_code == 0, result.output
        _cache[key] = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
        _cache[key]["_out"] = str(out)
    return _cache[key]


def test_every_builtin_mapping_is_exercised():
    assert {m for m, _ in LOGS} == set(builtin_mappings())


@pytest.mark.slow
@pytest.mark.parametrize(("mapping", "file"), LOGS, ids=[f for _, f in LOGS])
def test_every_public_log_diagnoses_and_names_no_marker(shared_data, tmp_path_factory, mapping, file):
    """Exit 0, rows accounted, shares of cost in [0, 1], and no finding names a missing-value marker."""
    d = run(shared_data, tmp_path_factory, mapping, file)
    i = d["input"]
    assert i["rows_read"] == i["rows_kept"] + i["rows_rejected"] + i["duplicates_dropped"]
    for f in d["all_findings"]:
        assert not MARKERS.search(f["title"]), f["title"]
        assert not any(MARKERS.fullmatch(str(v)) for v in f["where"].values()), f["where"]
        assert 0 <= f["share_of_avoidable_cost"] <= 1 and f["avoidable_cost"] >= 0
    # Each share is rounded to 4 places: their sum may pass 1 by half a unit of that per finding.
    assert sum(f["share_of_avoidable_cost"] for f in d["all_findings"]) <= 1 + 5e-5 * len(d["all_findings"])
    out = Path(d["_out"])
    validate(json.loads((out / "diagnosis.json").read_text(encoding="utf-8")))  # the published contract
    assert (out / "report.html").stat().st_size > 0
    assert (out / "contacts.parquet").exists() and (out / "journeys.parquet").exists()
    check_plan(out)


def check_plan(out: Path) -> None:
    """``cxray plan`` on a real log's diagnosis: written whole, ids unique, benefit within what was found."""
    result = CliRunner().invoke(app, ["plan", str(out / "diagnosis.json"), "--out", str(out / "plan"), "-q"])
    assert result.exit_code == 0, result.output
    plan = json.loads((out / "plan" / "plan.json").read_text(encoding="utf-8"))
    ids = [i["id"] for i in plan["initiatives"]]
    assert len(set(ids)) == len(ids) and plan["draft"]
    case = plan["business_case"]
    assert case["benefit"]["expected"] <= case["baseline"]["annual_avoidable_cost"] + 0.01 * max(1, len(ids))
    assert sorted(p.stem for p in (out / "plan" / "briefs").glob("*.md")) == sorted(ids)
    assert all(
        item["status"] in ("ready", "partial", "not ready", "unknown") for item in plan["readiness"]["data"]
    )


@pytest.mark.slow
@pytest.mark.parametrize("file", sorted(UNMAPPED))
def test_every_other_public_log_diagnoses_with_columns_mapped_by_hand(shared_data, tmp_path, file):
    result = CliRunner().invoke(
        app, ["diagnose", str(shared_data / file), *UNMAPPED[file], "--out", str(tmp_path), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    d = json.loads((tmp_path / "diagnosis.json").read_text(encoding="utf-8"))
    validate(d)
    i = d["input"]
    assert i["rows_read"] == i["rows_kept"] + i["rows_rejected"] + i["duplicates_dropped"] > 0
    assert d["metrics"]["cost_basis"] == "estimated_from_touches"  # none of them records handle times


def test_every_public_file_is_exercised(shared_data):
    files = {str(p.relative_to(shared_data)) for p in shared_data.rglob("*") if p.is_file()}
    files -= {"README.md"}
    assert files == {f for _, f in LOGS} | set(UNMAPPED)


@pytest.mark.slow
def test_bank_night_calls_are_not_an_abandonment_hot_spot(shared_data, tmp_path_factory):
    """The bank's closed hours (an independent count: hours where under 2% of the busiest hour's calls
    reach an agent) never appear in an abandonment hot spot; FCR is over identified callers."""
    d = run(
        shared_data,
        tmp_path_factory,
        "anonymous-bank",
        "anonymous-bank-callcenter/data_anonymous_bank_february.txt",
    )
    raw = duckdb.sql(
        f"""SELECT CAST(substr(vru_entry, 1, instr(vru_entry, ':') - 1) AS INTEGER) AS h,
                   count(*) FILTER (WHERE ser_start <> '0:00:00') AS served
            FROM read_csv('{shared_data}/anonymous-bank-callcenter/data_anonymous_bank_february.txt',
                          delim='\\t', all_varchar=true)
            GROUP BY 1"""
    ).fetchall()
    peak = max(s for _, s in raw)
    closed = {h for h, s in raw if s < 0.02 * peak}
    assert closed >= {1, 2, 3, 4, 5}
    assert sorted(set(range(24)) - closed) == d["data_quality"]["opening_hours"]["phone"]
    for f in d["all_findings"]:
        if f["code"] == "AB01":
            assert not set(f["evidence"]["hours"]) & closed, f["title"]
    assert d["data_quality"]["out_of_hours_contacts"] > 0
    # Waiting in the IVR or in the call queue is not work parked by anyone (step kinds, actor types).
    parked = {f["where"]["activity"] for f in d["all_findings"] if f["code"] == "WT01"}
    assert not parked & {"VRU", "Queue"}, parked
    o = d["metrics"]["overall"]
    assert o["unidentified_share"] > 0.5  # most callers have customer_id 0 (unknown)
    assert o["fcr"] < 0.7  # over identified callers (0.748 when the unknown ones counted as resolved)


@pytest.mark.slow
def test_uci_bulk_callers_are_excluded_and_their_team_is_not_flagged(shared_data, tmp_path_factory):
    """The two callers behind most of Group 64's incidents (counted here) are bulk identities, and no
    repeat-contact finding names their team."""
    d = run(shared_data, tmp_path_factory, "uci-servicenow", "uci-incident-servicenow/incident_event_log.csv")
    top = duckdb.sql(
        f"""WITH i AS (SELECT number, any_value(caller_id) AS caller, mode(assignment_group) AS grp
                       FROM read_csv('{shared_data}/uci-incident-servicenow/incident_event_log.csv',
                                     all_varchar=true) GROUP BY number)
            SELECT caller, mode(grp) AS grp, count(*) AS n FROM i GROUP BY caller ORDER BY n DESC LIMIT 2"""
    ).fetchall()
    bulk = {b["customer_id"] for b in d["data_quality"]["bulk_identities"]}
    assert {caller for caller, _, _ in top} <= bulk
    team = top[0][1]
    assert not [f for f in d["all_findings"] if f["code"] == "RP01" and f["where"].get("team") == team]
    assert d["data_quality"]["period"]["tail_start"] is not None  # the copy is cut by rows


@pytest.mark.slow
def test_helpdesk_journeys_are_bounded(shared_data, tmp_path_factory):
    """No journey's contacts start further apart than max_journey_days (one was 250 tickets over 4 years)."""
    d = run(shared_data, tmp_path_factory, "helpdesk", "helpdesk/helpdesk.xes")
    contacts = Path(d["_out"]) / "contacts.parquet"
    span, most = duckdb.sql(
        f"""SELECT max(d), max(n) FROM (
                SELECT date_diff('second', min(start_ts), max(start_ts)) / 86400 AS d, count(*) AS n
                FROM read_parquet('{contacts}') WHERE journey_id IS NOT NULL GROUP BY journey_id)"""
    ).fetchall()[0]
    assert span <= d["options"]["analysis"]["max_journey_days"]
    assert most < 250


@pytest.mark.slow
def test_bpic2014_reported_fcr_is_the_label_share(shared_data, tmp_path_factory):
    """The share of analysed interactions whose First Call Resolution label is Y, counted from the CSV."""
    d = run(shared_data, tmp_path_factory, "bpic2014-interactions", "bpic2014/Detail_Interaction.csv")
    assert d["data_quality"]["bulk_identities"]  # keyed by configuration item: a CI with thousands
    contacts = Path(d["_out"]) / "contacts.parquet"
    y, n = duckdb.sql(
        f"""SELECT count(*) FILTER (WHERE "First Call Resolution" = 'Y'), count(*)
            FROM read_csv('{shared_data}/bpic2014/Detail_Interaction.csv', delim=';', all_varchar=true) i
            JOIN read_parquet('{contacts}') c ON c.contact_id = i."Interaction ID"
            WHERE c.excluded IS NULL"""
    ).fetchall()[0]
    assert n == d["metrics"]["overall"]["contacts"]
    assert d["metrics"]["overall"]["reported_fcr"] == round(y / n, 4)


@pytest.mark.slow
def test_the_diagnosis_does_not_depend_on_the_thread_count(shared_data):
    """One thread or four: the same document to the last bit (a parallel aggregation adds a group's rows
    in the order its threads meet them; the flow map's mean waits, means of doubles, moved in their last
    digits on receipt), for receipt and for a simulated centre where every step has something to do."""
    from cxray import diagnose
    from cxray.engine import Engine
    from cxray.io import ReadOptions
    from cxray.simulate import load_scenario, simulate

    # and a simulated centre: bots, vendors, back office, surveys and verbatims, so every step runs
    centre = simulate(load_scenario("default"), seed=11, days=14, customers=1500).events
    for source, read in (
        (shared_data / "pm4py-testlogs/receipt.csv", ReadOptions(mapping="receipt")),
        (centre, None),
    ):
        docs = []
        for threads in (1, 4):
            with Engine(threads=threads) as engine:
                d = diagnose(source, engine=engine, read=read).to_dict()
            docs.append({k: v for k, v in d.items() if k != "options"})
        assert docs[0]["flow"]["dfg"] and docs[0] == docs[1]
    assert docs[0]["breakdowns"]  # the centre's: every detector ran on it
