"""Auto-detection: a platform export is recognised from its fields, never by name; no public log, canonical
file or other platform's export is taken for one; a folder nobody recognises names the closest adapters."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxray.cli import EXIT_OK, app
from cxray.engine import Engine
from cxray.errors import InputError
from cxray.io import ReadOptions, read_events
from cxray.io.detect import SAMPLE_BYTES, closest, detect, matches, sample_fields
from cxray.io.readers import registered_adapters
from cxray.simulate import load_scenario, simulate
from cxray.simulate.formats import PLATFORM_FORMATS

CTR = {
    "AWSAccountId": "123456789012",
    "ContactId": "c-1",
    "Channel": "VOICE",
    "InitiationMethod": "INBOUND",
    "InitiationTimestamp": "2024-03-04T09:00:00Z",
    "DisconnectTimestamp": "2024-03-04T09:05:00Z",
    "LastUpdateTimestamp": "2024-03-04T09:06:00Z",
    "CustomerEndpoint": {"Address": "+31201234567"},
}


def ctr(n: int) -> dict:
    return CTR | {"ContactId": f"c-{n}"}


def test_contact_records_are_recognised_in_any_wrapping(tmp_path: Path):
    """JSON Lines, gzip under no name at all, a JSON array and an API-style page all say Amazon Connect."""
    plain = tmp_path / "ctr.jsonl"
    plain.write_text("\n".join(json.dumps(ctr(i)) for i in range(3)))
    nameless = tmp_path / "firehose-object"
    nameless.write_bytes(gzip.compress("".join(json.dumps(ctr(i)) for i in range(3)).encode()))
    array = tmp_path / "array.json"
    array.write_text(json.dumps([ctr(i) for i in range(3)]))
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"records": [ctr(i) for i in range(3)], "next": None}))
    for path in (plain, nameless, array, page):
        assert detect(path) == "amazon-connect-ctr", path


def test_a_value_larger_than_the_sample_is_closed_at_its_last_complete_member(tmp_path: Path):
    """One JSON array of 2 MB: the sample cuts it mid-record, and detection still sees the records' fields."""
    path = tmp_path / "big.json"
    records = [ctr(i) | {"Attributes": {"note": "x" * 200}} for i in range(SAMPLE_BYTES // 300)]
    path.write_text(json.dumps(records))
    assert path.stat().st_size > SAMPLE_BYTES
    assert {"ContactId", "InitiationMethod", "Attributes.note"} <= sample_fields(path)
    assert detect(path) == "amazon-connect-ctr"


def test_json_carried_as_text_is_looked_into(tmp_path: Path):
    """A CloudWatch export carries each record as a JSON string in ``logEvents.message``."""
    path = tmp_path / "cloudwatch.json"
    wrapped = {"logEvents": [{"id": "1", "timestamp": 0, "message": json.dumps(ctr(1))}]}
    path.write_text(json.dumps(wrapped))
    assert "logEvents.message.ContactId" in sample_fields(path)
    assert detect(path) == "amazon-connect-ctr"


def test_a_folder_of_exports_is_recognised_and_read_without_a_mapping(engine: Engine, tmp_path: Path):
    folder = tmp_path / "connect" / "ctr" / "2024" / "03" / "04"
    folder.mkdir(parents=True)
    (folder / "part-1").write_bytes(gzip.compress(json.dumps(ctr(1)).encode()))
    (folder / "part-2").write_bytes(gzip.compress(json.dumps(ctr(2)).encode()))
    summary = read_events([tmp_path / "connect"], engine)
    root = str(tmp_path / "connect")
    assert summary.adapters == {root: "amazon-connect-ctr"} and summary.detected == [root]
    assert summary.records_read == 2 and summary.rows_rejected == 0


def test_a_named_mapping_is_used_as_given_and_not_reported_as_detected(engine: Engine, tmp_path: Path):
    path = tmp_path / "ctr.json"
    path.write_text(json.dumps(ctr(1)))
    summary = read_events([path], engine, options=ReadOptions(mapping="amazon-connect-ctr"))
    assert summary.adapters == {str(path): "amazon-connect-ctr"} and summary.detected == []


def test_a_canonical_file_beside_an_export_is_read_by_its_suffix(engine: Engine, tmp_path: Path):
    """Each path is recognised on its own: contact records and a canonical CSV in one run."""
    export = tmp_path / "ctr.jsonl"
    export.write_text(json.dumps(ctr(1)))
    canonical = tmp_path / "backoffice.csv"
    canonical.write_text("contact_id,timestamp,activity\nb-1,2024-03-04T10:00:00Z,Case opened\n")
    summary = read_events([export, canonical], engine)
    assert summary.adapters == {str(export): "amazon-connect-ctr"} and summary.detected == [str(export)]
    ids = {r["contact_id"] for r in engine.rows("SELECT DISTINCT contact_id FROM events")}
    assert ids == {"c-1", "b-1"}


def test_an_unrecognised_folder_names_the_closest_adapters(engine: Engine, tmp_path: Path):
    folder = tmp_path / "export"
    folder.mkdir()
    partial = {k: v for k, v in CTR.items() if k != "InitiationMethod"}
    (folder / "records.json").write_text(json.dumps(partial))
    assert detect(folder) is None
    best = closest(folder)[0]
    assert best.adapter == "amazon-connect-ctr" and best.missing == ("InitiationMethod",)
    with pytest.raises(InputError) as err:
        read_events([folder], engine)
    message = str(err.value)
    assert (
        "none recognises" in message
        and "amazon-connect-ctr (3 of 4 fields; lacks InitiationMethod)" in message
    )


def test_a_file_of_no_known_suffix_and_no_known_fields_says_both(engine: Engine, tmp_path: Path):
    path = tmp_path / "export.dat"
    path.write_text('{"id": 1, "when": "2024-03-04"}\n')
    with pytest.raises(InputError, match=r"unknown file type \.dat.*matches no platform export"):
        read_events([path], engine)


def test_sqlite_tables_and_columns_are_fields(tmp_path: Path):
    path = tmp_path / "log.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE event_object (ocel_event_id TEXT, ocel_object_id TEXT)")
    con.commit()
    con.close()
    assert {"table:event_object", "event_object.ocel_object_id"} <= sample_fields(path)


def test_a_gzipped_sqlite_file_is_looked_into(tmp_path: Path):
    """An OCEL 2.0 SQLite log shipped gzipped (``log.sqlite.gz``) is recognised as its reader reads it."""
    path = tmp_path / "log.sqlite"
    con = sqlite3.connect(path)
    for table in ("event", "event_object", "object_object", "event_map_type"):
        con.execute(f"CREATE TABLE {table} (ocel_id TEXT)")
    con.commit()
    con.close()
    packed = tmp_path / "log.sqlite.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    assert detect(packed) == "ocel2"


def test_field_names_are_matched_without_case(tmp_path: Path):
    """A header written in capitals (Salesforce's Data Loader) still matches the signature."""
    folder = tmp_path / "sf"
    folder.mkdir()
    (folder / "Case.csv").write_text("ID,CASENUMBER,STATUS\n500,00001001,New\n")
    (folder / "CaseHistory.csv").write_text("ID,CASEID,FIELD,OLDVALUE,NEWVALUE\n017,500,Status,New,Closed\n")
    assert detect(folder) == "salesforce-service-cloud"


def test_console_export_lines_are_looked_into(tmp_path: Path):
    """CloudWatch's console export: each line a time, then the JSON turn (read as CSV before)."""
    turn = {"sessionId": "s1", "bot": {"name": "Bank"}, "interpretations": [], "sessionState": {}}
    path = tmp_path / "lex-export.txt"
    path.write_text("\n".join(f"2024-03-04T09:00:0{k}.000Z {json.dumps(turn)}" for k in range(3)) + "\n")
    assert detect(path) == "amazon-lex-v2"


def test_a_python_sdk_dump_of_conversations_is_recognised_and_told_what_to_write(
    engine: Engine, tmp_path: Path
):
    """Genesys conversation details in the Python SDK's snake_case: recognised, and the reader says why it
    cannot read them, instead of 'required column contact_id not found'."""
    record = {
        "conversation_id": "c1", "conversation_start": "2024-03-04T09:00:00Z",
        "participants": [{"purpose": "customer", "sessions": [{"segments": [{"segment_type": "interact"}]}]}],
    }  # fmt: skip
    path = tmp_path / "details.json"
    path.write_text(json.dumps({"conversations": [record]}))
    assert detect(path) == "genesys-cloud"
    with pytest.raises(InputError, match="snake_case"):
        read_events([path], engine)


def test_taskrouter_callbacks_and_event_streams_are_recognised(tmp_path: Path):
    """Besides the Events list: a callback saved as (pretty-printed) JSON and an Event Streams batch."""
    callback = {
        "EventType": "task.created",
        "WorkspaceSid": "WS1",
        "TaskSid": "WT1",
        "Timestamp": "1709287200",
    }
    (tmp_path / "callback.json").write_text(json.dumps(callback, indent=2))
    stream = {
        "specversion": "1.0", "type": "com.twilio.taskrouter.task.created", "data": {"payload": {
            "eventtype": "task.created", "task_sid": "WT1", "workspace_sid": "WS1"}},
    }  # fmt: skip
    (tmp_path / "stream.json").write_text(json.dumps([stream]))
    assert detect(tmp_path / "callback.json") == detect(tmp_path / "stream.json") == "twilio-taskrouter"


def test_an_ocel_suffix_no_adapter_recognises_says_to_name_the_adapter(engine: Engine, tmp_path: Path):
    """An OCEL 1.0 log (or XML) under its own suffix: the error points to --mapping ocel2, whose reader
    then says how to convert it."""
    path = tmp_path / "log.jsonocel"
    path.write_text(json.dumps({"ocel:global-log": {}, "ocel:events": {}, "ocel:objects": {}}))
    with pytest.raises(InputError, match=r"unknown file type \.jsonocel \(an OCEL log: .*--mapping ocel2"):
        read_events([path], engine)


def test_no_public_log_is_taken_for_a_platform_export(shared_data: Path):
    """Every real log in ../shared/data is read by its suffix (or its own mapping), never by an adapter."""
    files = [p for p in sorted(shared_data.rglob("*")) if p.is_file() and p.suffix not in (".md", ".txt")]
    files += [p for p in sorted(shared_data.rglob("*.txt")) if "LICENSE" not in p.name.upper()]
    assert len(files) >= 10
    wrong = {str(p.relative_to(shared_data)): detect(p) for p in files if detect(p) is not None}
    assert wrong == {}


def test_every_adapter_has_a_signature():
    for name, adapter in registered_adapters().items():
        assert adapter.signatures() and all(len(s) >= 3 for s in adapter.signatures()), name


@pytest.fixture(scope="module")
def simulated():
    return simulate(load_scenario("default"), seed=3, days=3, customers=300)


@pytest.mark.parametrize("fmt", sorted(PLATFORM_FORMATS))
def test_each_simulated_export_is_recognised_as_itself_and_only_itself(simulated, tmp_path: Path, fmt: str):
    platform = PLATFORM_FORMATS[fmt]
    path = tmp_path / platform.file
    assert platform.write(simulated.events, path) > 0
    found = [m.adapter for m in matches(path) if m.complete]
    assert found == [fmt]


def test_the_cli_says_which_adapter_it_recognised(tmp_path: Path):
    path = tmp_path / "ctr.jsonl"
    path.write_text("\n".join(json.dumps(ctr(i)) for i in range(3)))
    result = CliRunner().invoke(app, ["diagnose", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == EXIT_OK, result.output
    assert f"read {path} as amazon-connect-ctr (recognised from its fields" in result.output
    doc = json.loads((tmp_path / "out" / "diagnosis.json").read_text(encoding="utf-8"))
    assert doc["input"]["detected"] == [str(path)]


def test_contact_records_and_lex_logs_given_together_are_each_recognised_and_joined(
    simulated, tmp_path: Path
):
    """Two platform exports in one run, no mapping: each is read by its own adapter, and the bot turns land
    in the contacts of the CTR legs (a Lex session names its Connect contact in its attribute ContactId)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from cxray import diagnose
    from cxray.simulate.export_connect import write_contact_records
    from cxray.simulate.export_lex import write as write_lex

    ctr_path, lex_path = tmp_path / "ctr.jsonl.gz", tmp_path / "lex.jsonl.gz"
    write_contact_records(simulated.events, ctr_path)
    assert write_lex(simulated.events, lex_path) > 0
    joined = diagnose([ctr_path, lex_path])
    assert joined.input.adapters == {str(ctr_path): "amazon-connect-ctr", str(lex_path): "amazon-lex-v2"}
    assert joined.input.detected == [str(ctr_path), str(lex_path)]
    events = simulated.events
    carried = pc.unique(
        pc.filter(events["contact_id"], pc.is_in(events["channel"], pa.array(["phone", "chat"])))
    )
    assert joined.metrics.overall["contacts"] == len(carried)
