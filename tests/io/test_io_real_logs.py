"""Every built-in mapping on its real log, and the XES reader against pm4py's own (Python) XES parser."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from cxray import schema as S
from cxray.engine import Engine
from cxray.io import Mapping, ReadOptions, builtin_mappings, read_events
from cxray.journeys import build_journeys

# mapping -> its real logs: (file under shared data, records in the README table)
LOGS: dict[str, tuple[tuple[str, int], ...]] = {
    "helpdesk": (("helpdesk/helpdesk.xes", 21348),),
    "running-example-xes": (("pm4py-testlogs/running-example.xes", 42),),
    "running-example-csv": (("pm4py-testlogs/running-example.csv", 42),),
    "receipt": (("pm4py-testlogs/receipt.csv", 8577),),
    "bpic2013-incidents": (
        ("bpic2013/BPI_Challenge_2013_incidents.xes", 65533),
        ("bpic2013/BPI_Challenge_2013_closed_problems.xes", 6660),
        ("bpic2013/BPI_Challenge_2013_open_problems.xes", 2351),  # misspelt `oranization country`
    ),
    "bpic2014-incident-activity": (("bpic2014/derived_incident_activity_EventLog.csv", 466660),),
    "bpic2014-interactions": (("bpic2014/Detail_Interaction.csv", 147004),),
    "uci-servicenow": (("uci-incident-servicenow/incident_event_log.csv", 119998),),
    "bpic2016-complaints": (("bpic2016-complaints/BPI2016_Complaints.csv", 289),),
    "anonymous-bank": (("anonymous-bank-callcenter/data_anonymous_bank_february.txt", 33344),),
}
CASES = [
    pytest.param(name, file, records, id=file)
    for name, logs in sorted(LOGS.items())
    for file, records in logs
]


def first_log(name: str) -> str:
    """The first (main) log of a mapping."""
    return LOGS[name][0][0]


def test_every_builtin_has_a_real_log():
    assert set(LOGS) == set(builtin_mappings())
    assert all(LOGS.values())


@pytest.mark.slow
@pytest.mark.parametrize(("name", "file", "records"), CASES)
def test_builtin_mapping_reads_its_log(shared_data: Path, name: str, file: str, records: int):
    with Engine(threads=2) as engine:
        s = read_events([shared_data / file], engine, options=ReadOptions(mapping=Mapping.builtin(name)))
        assert s.records_read == records
        assert s.rows_read == s.rows_kept + s.rows_rejected + s.duplicates_dropped
        assert s.rows_kept > 0
        # the bank log's only bad values: 25 negative VRU times (a negative duration_s is rejected)
        assert s.rejected_by_reason == ({"bad_duration_s": 25} if name == "anonymous-bank" else {})
        nulls = engine.scalar(
            "SELECT count(*) FROM events WHERE " + " OR ".join(f'"{c}" IS NULL' for c in S.REQUIRED)
        )
        assert nulls == 0


@pytest.mark.slow
def test_known_facts_of_the_real_logs(shared_data: Path):
    """Spot checks a reader bug would break: day-first dates, Wait - User visible, the wide bank layout."""
    with Engine(threads=2) as e:
        read_events(
            [shared_data / first_log("uci-servicenow")],
            e,
            options=ReadOptions(mapping=Mapping.builtin("uci-servicenow")),
        )
        assert str(e.scalar('SELECT min("timestamp") FROM events')) == "2016-02-29 01:23:00"
        assert e.scalar("SELECT count(*) FROM events WHERE customer_id = '?' OR actor = '?'") == 0
        read_events(
            [shared_data / first_log("bpic2013-incidents")],
            e,
            options=ReadOptions(mapping=Mapping.builtin("bpic2013-incidents")),
        )
        assert e.scalar("SELECT count(*) FROM events WHERE activity = 'Accepted - Wait - User'") > 0
        s = read_events(
            [shared_data / first_log("anonymous-bank")],
            e,
            options=ReadOptions(mapping=Mapping.builtin("anonymous-bank")),
        )
        assert e.scalar("SELECT count(DISTINCT contact_id) FROM events") == 33344
        served = e.scalar("SELECT count(*) FROM events WHERE activity = 'Service'")
        assert served == s.rows_read - 33344 - e.scalar(
            "SELECT count(*) FROM events WHERE activity = 'Queue'"
        )
        # where each column came from, the wide layout's per-event columns and constants included
        columns = s.per_file[0].columns
        assert columns["actor"] == "(events: Service: server)" and columns["queue"] == "type"
        assert columns["actor_type"] == "(events: VRU: 'ivr' (constant), Service: 'agent' (constant))"
        assert columns["activity"] == "(events: VRU, Queue, Service)"


@pytest.mark.slow
def test_markers_are_missing_in_the_real_logs(shared_data: Path):
    """receipt's team `EMPTY` is missing, and counted under its source column `org:group`."""
    path = shared_data / first_log("receipt")
    with path.open(encoding="utf-8", newline="") as f:
        raw = sum(row["org:group"].strip().upper() == "EMPTY" for row in csv.DictReader(f))
    with Engine(threads=2) as e:
        s = read_events([path], e, options=ReadOptions(mapping="receipt"))
        assert e.scalar("SELECT count(*) FROM events WHERE upper(team) = 'EMPTY'") == 0
        assert e.scalar("SELECT count(*) FROM events WHERE team IS NULL") == raw == 1936
        assert s.missing_markers == {"org:group": raw}


@pytest.mark.slow
def test_bpic2014_interactions_final_outcome_is_first_call_resolution(shared_data: Path):
    """One contact per interaction, Open and Close events; its final outcome is the first-touch one:
    as many contacts end resolved as the file has `Y` in First Call Resolution, escalated as `N`."""
    path = shared_data / first_log("bpic2014-interactions")
    with path.open(encoding="ascii", newline="") as f:
        fcr = Counter(row["First Call Resolution"] for row in csv.DictReader(f, delimiter=";"))
    with Engine(threads=2) as e:
        s = read_events([path], e, options=ReadOptions(mapping="bpic2014-interactions"))
        assert (s.records_read, s.rows_read, s.rows_rejected) == (147004, 2 * 147004, 0)
        assert s.missing_markers["CI Name (aff)"] == 16  # "#N/B", Dutch Excel's #N/A
        build_journeys(e)
        outcomes = e.rows(
            f"SELECT {S.FINAL_OUTCOME} AS outcome, count(*) AS n FROM {S.CONTACTS_TABLE} GROUP BY ALL"
        )
    final = {r["outcome"]: r["n"] for r in outcomes}
    assert final == {S.RESOLVED: fcr["Y"], S.ESCALATED: fcr["N"]}
    assert final[S.RESOLVED] / sum(final.values()) == fcr["Y"] / fcr.total()


@pytest.mark.slow
@pytest.mark.oracle
@pytest.mark.parametrize("file", ["pm4py-testlogs/running-example.xes", "helpdesk/helpdesk.xes"])
def test_xes_equals_pm4py(shared_data: Path, file: str):
    """Same events, same order per case, same UTC timestamps as pm4py's iterparse reader (not rustxes):
    all of them with ``keep_duplicates`` (as pm4py keeps them), less the exact duplicates by default."""
    pm4py = pytest.importorskip("pm4py")
    df = pm4py.read_xes(str(shared_data / file), variant="iterparse", show_progress_bar=False)
    for keep, theirs_df in ((True, df), (False, df.drop_duplicates(keep="first"))):  # helpdesk has 127
        with Engine(threads=2) as engine:
            s = read_events([shared_data / file], engine, options=ReadOptions(keep_duplicates=keep))
            ours = engine.rows('SELECT contact_id, activity, "timestamp", actor FROM events')
        assert s.rows_kept == len(theirs_df)
        assert s.duplicates_dropped == len(df) - len(theirs_df)
        theirs = [
            (str(c), str(a), t.tz_convert("UTC").tz_localize(None).to_pydatetime(), r)
            for c, a, t, r in zip(
                theirs_df["case:concept:name"],
                theirs_df["concept:name"],
                theirs_df["time:timestamp"],
                theirs_df["org:resource"],
                strict=True,
            )
        ]
        mine = [(r["contact_id"], r["activity"], r["timestamp"], r["actor"]) for r in ours]
        assert mine == theirs
