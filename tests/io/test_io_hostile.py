"""Hostile input: column names that mimic internal ones, out-of-range values, bad bytes, deep XES nesting.

Each is rejected per row with a reason, repaired and counted, or refused with an InputError naming the
file: never a traceback, a crash or a silent change of meaning.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from io_helpers import balanced, column, read_one

import cxray
from cxray.engine import Engine
from cxray.errors import InputError
from cxray.io import ReadOptions, read_events, write_rejected
from cxray.io.readers.xes import MAX_NESTING, check_xes


def _bytes(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- 1. internal column names --------------------------------------------------------------------------
ODD = ("__cx_reason", "__cx_value", "__cx_column", "__CX_ROW", "__cx_marker_0", "__cx_hash", "__cx_file")


def test_source_columns_named_like_internal_ones_are_ordinary_attributes(engine: Engine, tmp_path: Path):
    header = "contact_id,timestamp,activity,duration_s," + ",".join(ODD)
    rows = [
        "c1,2024-01-01 10:00,A,5," + ",".join(["x"] * len(ODD)),
        ",2024-01-01 10:01,B,5," + ",".join(["y"] * len(ODD)),  # missing contact
        "c1,not a time,C,5,,,,,,,",
        "c1,2024-01-01 10:02,D,soon,N/A,,,,,,",
        "c2,2024-01-01 10:03,E,,,,,9,,,",
    ]
    path = _bytes(tmp_path, "odd.csv", ("\n".join([header, *rows]) + "\n").encode())
    s = read_one(engine, path)
    assert balanced(s)
    assert (s.rows_read, s.rows_kept, s.rows_rejected) == (5, 2, 3)
    assert s.rejected_by_reason == {"bad_duration_s": 1, "bad_timestamp": 1, "missing_contact_id": 1}
    assert s.attributes == [f"{name} (source)" for name in ODD]
    assert column(engine, "__cx_reason (source)") == ["x", None]
    assert column(engine, "__CX_ROW (source)") == ["x", "9"]
    assert column(engine, "source_row") == [1, 5]
    assert s.missing_markers == {"__cx_reason": 1}
    rejected = engine.rows('SELECT source_row, reason, "column", value FROM rejected ORDER BY source_row')
    assert [(r["source_row"], r["reason"], r["column"], r["value"]) for r in rejected] == [
        (2, "missing_contact_id", "contact_id", None),
        (3, "bad_timestamp", "timestamp", "not a time"),
        (4, "bad_duration_s", "duration_s", "soon"),
    ]
    # the raw values keep their source names, prefixed where they would clash
    assert write_rejected(engine, tmp_path / "rejected.csv") == 3
    head = (tmp_path / "rejected.csv").read_text().splitlines()[0]
    assert "raw:__cx_reason" in head and "__CX_ROW (source)" in head


def test_parquet_row_number_and_internal_names(engine: Engine, tmp_path: Path):
    path = tmp_path / "odd.parquet"
    pq.write_table(
        pa.table(
            {
                "contact_id": ["c1", None, "c2"],
                "timestamp": ["2024-01-01", "2024-01-02", "2024-01-03"],
                "activity": ["A", "B", "C"],
                "__cx_row": ["r1", "r2", "r3"],
                "file_row_number": [7, 8, 9],
                "__cx_reason": ["x", "y", "z"],
            }
        ),
        path,
    )
    s = read_one(engine, path)
    assert (s.rows_kept, s.rejected_by_reason) == (2, {"missing_contact_id": 1})
    assert column(engine, "__cx_row (source)") == ["r1", "r3"]
    assert column(engine, "file_row_number") == ["7", "9"]
    assert column(engine, "source_row") == [1, 3]


# --- 2. out-of-range values ----------------------------------------------------------------------------
OUT_OF_RANGE = (
    "10000-01-01",
    "0001-01-01 00:00:00+01:00",
    "9999-12-31 23:59:59-01:00",
    "infinity",
    "-infinity",
)


def _range_csv(tmp_path: Path) -> Path:
    lines = ["contact_id,timestamp,activity,duration_s", "c1,2024-01-01 10:00,A,60"]
    lines += [f"c1,{t},B,1" for t in OUT_OF_RANGE]
    lines += ["c1,0001-01-01 00:00:00,C,1", "c1,9999-12-31 23:59:59,C,1"]  # the extremes are fine
    lines += ["c1,2024-01-01 10:01,D,-1", "c1,2024-01-01 10:02,D,1e10", "c1,2024-01-01 10:03,D,inf"]
    lines += ["c1,2024-01-01 10:04,E,1e9", "c1,2024-01-01 10:05,E,0"]
    return _bytes(tmp_path, "range.csv", ("\n".join(lines) + "\n").encode())


def test_out_of_range_timestamps_and_durations_are_rejected(engine: Engine, tmp_path: Path):
    s = read_one(engine, _range_csv(tmp_path))
    assert balanced(s)
    assert s.rejected_by_reason == {"bad_timestamp": len(OUT_OF_RANGE), "bad_duration_s": 3}
    values = [r["value"] for r in engine.rows("SELECT value FROM rejected WHERE reason = 'bad_timestamp'")]
    assert values == list(OUT_OF_RANGE)
    assert (s.time_start, s.time_end) == ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z")
    assert column(engine, "duration_s") == [60.0, 1.0, 1.0, 1e9, 0.0]


def test_out_of_range_timestamp_of_a_parquet_column(engine: Engine, tmp_path: Path):
    path = tmp_path / "t.parquet"
    engine.execute(
        f"COPY (SELECT * FROM (VALUES ('c1', TIMESTAMPTZ '2024-01-01 00:00:00+00', 'A'), "
        f"('c1', TIMESTAMPTZ 'infinity', 'B'), ('c1', TIMESTAMPTZ '0001-01-01 00:30:00+01', 'C')) "
        f"t(contact_id, timestamp, activity)) TO '{path}' (FORMAT parquet)"
    )
    s = read_one(engine, path)
    assert (s.rows_kept, s.rejected_by_reason) == (1, {"bad_timestamp": 2})
    assert s.time_start == s.time_end == "2024-01-01T00:00:00Z"


def test_diagnose_survives_out_of_range_values(tmp_path: Path):
    d = cxray.diagnose(_range_csv(tmp_path), read=ReadOptions())
    assert d.input.rejected_by_reason == {"bad_timestamp": len(OUT_OF_RANGE), "bad_duration_s": 3}
    assert d.input.time_end == "9999-12-31T23:59:59Z"


# --- 3. encoding ---------------------------------------------------------------------------------------
HEAD = b"contact_id,timestamp,activity\n"


def test_a_bad_byte_in_a_ragged_row_is_replaced_not_fatal(engine: Engine, tmp_path: Path):
    data = HEAD + b"c1,2024-01-01,caf\xc3\xa9\nc1,2024-01-02,B,\xff\xfe,extra\nc1,2024-01-03,C\n"
    s = read_one(engine, _bytes(tmp_path, "r.csv", data))
    assert (s.rows_read, s.rows_kept, s.rejected_by_reason) == (3, 2, {"malformed_row": 1})
    assert s.encoding_repairs == 2  # \xff and \xfe: neither starts a UTF-8 sequence
    assert column(engine, "activity") == ["café", "C"]
    assert "\ufffd" in engine.scalar("SELECT value FROM rejected")


def test_a_bad_byte_after_the_sample_does_not_recode_the_file(engine: Engine, tmp_path: Path):
    filler = b"".join(b"c%d,2024-01-01,x\n" % i for i in range(10_000))  # well past 64 KiB
    data = HEAD + b"c1,2024-01-01,caf\xc3\xa9\n" + filler + b"c2,2024-01-02,Ren\xe9e\n"
    s = read_one(engine, _bytes(tmp_path, "late.csv", data))
    assert s.rows_kept == 10_002 and s.encoding_repairs == 1
    assert column(engine, "activity")[0] == "café"
    assert column(engine, "activity")[-1] == "Ren\ufffde"


def test_nul_bytes_are_stripped_and_counted(engine: Engine, tmp_path: Path):
    data = HEAD + b"c1,2024-01-01,A\x00B\n\x00c2,2024-01-02,C\n"
    s = read_one(engine, _bytes(tmp_path, "nul.csv", data))
    assert (s.nul_bytes_stripped, s.encoding_repairs) == (2, 0)
    assert column(engine, "activity") == ["AB", "C"]
    assert column(engine, "contact_id") == ["c1", "c2"]


def test_utf16_nul_free_and_legacy_code_page(engine: Engine, tmp_path: Path):
    text = "contact_id,timestamp,activity\nc1,2024-01-01,Renée\n"
    s = read_one(engine, _bytes(tmp_path, "u16.csv", text.encode("utf-16")))
    assert (s.nul_bytes_stripped, s.encoding_repairs) == (0, 0)  # its zero bytes are characters' halves
    assert column(engine, "activity") == ["Renée"]
    s = read_one(engine, _bytes(tmp_path, "cp.csv", text.encode("cp1252") + b"c2,2024-01-02,\x81\n"))
    assert column(engine, "activity") == ["Renée", "\ufffd"]  # 0x81 is undefined in cp1252
    assert s.encoding_repairs == 1


def test_explicit_encoding_counts_its_repairs(engine: Engine, tmp_path: Path):
    data = HEAD + b"c1,2024-01-01,caf\xc3\xa9\xff\n"
    s = read_one(engine, _bytes(tmp_path, "e.csv", data), encoding="utf-8")
    assert s.encoding_repairs == 1 and column(engine, "activity") == ["café\ufffd"]


def test_json_lines_bad_bytes_and_nuls_are_repaired_per_row(engine: Engine, tmp_path: Path):
    lines = [
        b'{"contact_id": "c1", "timestamp": "2024-01-01", "activity": "caf\xc3\xa9"}',
        b'{"contact_id": "c2", "timestamp": "2024-01-02", "activity": "B\xff"}\x00',
    ]
    s = read_one(engine, _bytes(tmp_path, "e.jsonl", b"\n".join(lines) + b"\n"))
    assert (s.rows_kept, s.encoding_repairs, s.nul_bytes_stripped) == (2, 1, 1)
    assert column(engine, "activity") == ["café", "B\ufffd"]
    assert column(engine, "source_file") == [str(tmp_path / "e.jsonl")] * 2


def test_unknown_encoding_is_an_input_error(engine: Engine, tmp_path: Path):
    for name in ("u.csv", "u.jsonl"):
        path = _bytes(tmp_path, name, HEAD)
        with pytest.raises(InputError, match="unknown encoding") as info:
            read_one(engine, path, encoding="no-such-codec")
        assert info.value.path == str(path)


# --- 4. XES nesting and entities -----------------------------------------------------------------------
def _xes(depth: int, tag: str = "list") -> bytes:
    event = (
        '<event><string key="concept:name" value="A"/>'
        '<date key="time:timestamp" value="2024-01-01T00:00:00.000+00:00"/>'
        + f'<{tag} key="l/>">' * depth  # a quoted "/>" does not close the tag
        + f"</{tag}>" * depth
        + '<list key="empty"/><string key="note" value="a &gt; b /&gt;"/></event>'
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">'
        f'<trace><string key="concept:name" value="c1"/>{event}</trace></log>\n'
    ).encode()


def test_deep_xes_nesting_is_an_input_error_not_a_crash(tmp_path: Path):
    path = _bytes(tmp_path, "deep.xes", _xes(4000))
    assert path.stat().st_size > 20_000
    code = (
        "import sys\nfrom pathlib import Path\nfrom cxray.engine import Engine\n"
        "from cxray.errors import InputError\nfrom cxray.io import read_events\n"
        "try:\n    read_events([Path(sys.argv[1])], Engine())\nexcept InputError as e:\n"
        "    print(e)\n    sys.exit(7)\n"
    )
    run = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 7, run.stderr[-2000:]  # a segfault would be -11
    assert str(path) in run.stdout and f"deeper than {MAX_NESTING}" in run.stdout
    assert len(run.stdout.strip().splitlines()) == 1


def test_xes_nesting_bound_and_gzip(engine: Engine, tmp_path: Path):
    ok = _bytes(tmp_path, "ok.xes", _xes(MAX_NESTING))
    assert read_one(engine, ok).rows_kept == 1
    gz = _bytes(tmp_path, "deep.xes.gz", gzip.compress(_xes(MAX_NESTING + 1, "container")))
    with pytest.raises(InputError, match=f"deeper than {MAX_NESTING}") as info:
        read_one(engine, gz)
    assert info.value.path == str(gz)


def test_xes_pre_scan_across_chunk_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from cxray.io.readers import xes

    monkeypatch.setattr(xes, "_CHUNK", 7)  # every tag cut somewhere
    check_xes(_bytes(tmp_path, "ok.xes", _xes(MAX_NESTING)))
    with pytest.raises(InputError, match="deeper"):
        check_xes(_bytes(tmp_path, "deep.xes", _xes(MAX_NESTING + 1)))


def test_xes_entity_declarations_are_refused(engine: Engine, tmp_path: Path):
    data = _xes(1).replace(b"<log", b'<!DOCTYPE log [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<log', 1)
    with pytest.raises(InputError, match="entity declarations"):
        read_one(engine, _bytes(tmp_path, "xxe.xes", data))


@pytest.mark.slow
def test_xes_pre_scan_is_fast_on_a_real_log(shared_data: Path):
    path = shared_data / "bpic2013/BPI_Challenge_2013_incidents.xes"  # 40 MB
    started = time.perf_counter()
    check_xes(path)
    assert time.perf_counter() - started < 3.0  # about 0.15 s here; rustxes itself takes about 1 s


def test_reading_several_hostile_files_keeps_the_invariant(engine: Engine, tmp_path: Path):
    a = _bytes(tmp_path, "a.csv", HEAD + b"c1,2024-01-01,A\x00\nc1,infinity,B\n")
    b = _bytes(tmp_path, "b.csv", b"contact_id,timestamp,activity,__cx_reason\nc2,2024-01-02,caf\xe9,\n")
    s = read_events([a, b], engine)
    assert balanced(s)
    assert (s.rows_kept, s.rejected_by_reason) == (2, {"bad_timestamp": 1})
    assert (s.nul_bytes_stripped, s.encoding_repairs) == (1, 0)  # b is all cp1252: no repair
    assert column(engine, "activity") == ["A", "café"]


def test_an_escaped_nul_in_json_lines_is_removed_and_counted(tmp_path):
    """``\\u0000`` inside a JSON string is no NUL byte in the file, but would reach the log: stripped too."""
    import json as _json

    from cxray.engine import Engine
    from cxray.io import read_events

    path = tmp_path / "events.jsonl"
    lines = [
        {"contact_id": "c1", "timestamp": "2024-03-04 09:00", "activity": "Ans\u0000wer"},
        {
            "contact_id": "c2",
            "timestamp": "2024-03-04 09:01",
            "activity": "Answer",
            "team": "\u0000Sales\u0000",
        },
    ]
    path.write_text("\n".join(_json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    with Engine() as e:
        s = read_events([path], e)
        assert s.nul_bytes_stripped == 3
        assert e.scalar("SELECT count(*) FROM events WHERE activity LIKE '%' || chr(0) || '%'") == 0
        assert sorted(r["activity"] for r in e.rows("SELECT activity FROM events")) == ["Answer", "Answer"]
