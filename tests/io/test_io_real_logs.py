"""Every built-in mapping on its real log, and the XES reader against pm4py's own (Python) XES parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxray import schema as S
from cxray.engine import Engine
from cxray.io import Mapping, ReadOptions, builtin_mappings, read_events

# mapping -> (file under shared data, records in the README table)
LOGS = {
    "helpdesk": ("helpdesk/helpdesk.xes", 21348),
    "running-example-xes": ("pm4py-testlogs/running-example.xes", 42),
    "running-example-csv": ("pm4py-testlogs/running-example.csv", 42),
    "receipt": ("pm4py-testlogs/receipt.csv", 8577),
    "bpic2013-incidents": ("bpic2013/BPI_Challenge_2013_incidents.xes", 65533),
    "bpic2014-incident-activity": ("bpic2014/derived_incident_activity_EventLog.csv", 466660),
    "uci-servicenow": ("uci-incident-servicenow/incident_event_log.csv", 119998),
    "bpic2016-complaints": ("bpic2016-complaints/BPI2016_Complaints.csv", 289),
    "anonymous-bank": ("anonymous-bank-callcenter/data_anonymous_bank_february.txt", 33344),
}


def test_every_builtin_has_a_real_log():
    assert set(LOGS) == set(builtin_mappings())


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(LOGS))
def test_builtin_mapping_reads_its_log(shared_data: Path, name: str):
    file, records = LOGS[name]
    with Engine(threads=2) as engine:
        s = read_events([shared_data / file], engine, options=ReadOptions(mapping=Mapping.builtin(name)))
        assert s.records_read == records
        assert s.rows_read == s.rows_kept + s.rows_rejected + s.duplicates_dropped
        assert s.rows_kept > 0 and s.rows_rejected == 0
        nulls = engine.scalar(
            "SELECT count(*) FROM events WHERE " + " OR ".join(f'"{c}" IS NULL' for c in S.REQUIRED)
        )
        assert nulls == 0


@pytest.mark.slow
def test_known_facts_of_the_real_logs(shared_data: Path):
    """Spot checks a reader bug would break: day-first dates, Wait - User visible, the wide bank layout."""
    with Engine(threads=2) as e:
        read_events(
            [shared_data / LOGS["uci-servicenow"][0]],
            e,
            options=ReadOptions(mapping=Mapping.builtin("uci-servicenow")),
        )
        assert str(e.scalar('SELECT min("timestamp") FROM events')) == "2016-02-29 01:23:00"
        assert e.scalar("SELECT count(*) FROM events WHERE customer_id = '?' OR actor = '?'") == 0
        read_events(
            [shared_data / LOGS["bpic2013-incidents"][0]],
            e,
            options=ReadOptions(mapping=Mapping.builtin("bpic2013-incidents")),
        )
        assert e.scalar("SELECT count(*) FROM events WHERE activity = 'Accepted - Wait - User'") > 0
        s = read_events(
            [shared_data / LOGS["anonymous-bank"][0]],
            e,
            options=ReadOptions(mapping=Mapping.builtin("anonymous-bank")),
        )
        assert e.scalar("SELECT count(DISTINCT contact_id) FROM events") == 33344
        served = e.scalar("SELECT count(*) FROM events WHERE activity = 'Service'")
        assert served == s.rows_read - 33344 - e.scalar(
            "SELECT count(*) FROM events WHERE activity = 'Queue'"
        )


@pytest.mark.slow
@pytest.mark.oracle
@pytest.mark.parametrize("file", ["pm4py-testlogs/running-example.xes", "helpdesk/helpdesk.xes"])
def test_xes_equals_pm4py(shared_data: Path, file: str):
    """Same events, same order per case, same UTC timestamps as pm4py's iterparse reader (not rustxes)."""
    pm4py = pytest.importorskip("pm4py")
    df = pm4py.read_xes(str(shared_data / file), variant="iterparse", show_progress_bar=False)
    df = df.drop_duplicates(keep="first")  # cxray drops exact duplicates (helpdesk has 127)
    ours_engine = Engine(threads=2)
    s = read_events([shared_data / file], ours_engine)
    ours = ours_engine.rows('SELECT contact_id, activity, "timestamp", actor FROM events')
    ours_engine.close()
    assert s.rows_kept == len(df)
    theirs = [
        (str(c), str(a), t.tz_convert("UTC").tz_localize(None).to_pydatetime(), r)
        for c, a, t, r in zip(
            df["case:concept:name"], df["concept:name"], df["time:timestamp"], df["org:resource"], strict=True
        )
    ]
    mine = [(r["contact_id"], r["activity"], r["timestamp"], r["actor"]) for r in ours]
    assert mine == theirs
