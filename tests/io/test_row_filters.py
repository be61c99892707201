"""A mapping's ``keep_rows`` / ``drop_rows``: a history export's other fields and a report's totals row
left out, counted (``records_left_out``), never rejected nor silent."""

from __future__ import annotations

from pathlib import Path

import pytest
from io_helpers import balanced, column, read_one, write

from cxray.engine import Engine
from cxray.errors import ConfigError, InputError
from cxray.io import Mapping

# An issue tracker's change history: one row per field changed, only the status changes are steps.
HISTORY = (
    "Issue,Changed,Field,To,Author\n"
    "T-1,2025-03-01 09:00,status,Open,ann\n"
    "T-1,2025-03-01 09:05,assignee,bob,ann\n"
    "T-1,2025-03-01 09:06,Priority,High,bob\n"
    "T-1,2025-03-02 10:00, Status ,Resolved,bob\n"
    "T-2,2025-03-01 11:00,status,Open,cat\n"
    "T-2,2025-03-01 11:30,,,cat\n"
    "Total,2025-03-31 00:00,status,Closed,\n"
)
COLUMNS = {"contact_id": "Issue", "timestamp": "Changed", "activity": "To", "actor": "Author"}


def test_keep_rows_reads_only_the_named_values_and_counts_the_rest(engine: Engine, tmp_path: Path):
    """Trimmed and case-insensitive (`` Status ``), a blank matching nothing; the oracle: the rows a
    hand filter of the same file keeps."""
    path = write(tmp_path, "history.csv", HISTORY)
    m = Mapping(columns=COLUMNS, keep_rows={"Field": ["STATUS"]}, drop_rows={"Issue": "total"})
    s = read_one(engine, path, mapping=m)
    assert balanced(s)
    assert column(engine, "activity") == ["Open", "Resolved", "Open"]
    assert s.records_left_out == {"drop_rows": 1, "keep_rows": 3}
    assert (s.records_read, s.rows_read, s.rows_rejected) == (7, 3, 0)
    assert s.rows_read + sum(s.records_left_out.values()) == s.records_read  # every record accounted for


def test_without_the_filter_the_other_fields_become_steps(engine: Engine, tmp_path: Path):
    """Why it exists: the assignee and priority changes read as steps, and the totals row as a contact."""
    s = read_one(engine, write(tmp_path, "history.csv", HISTORY), mapping=Mapping(columns=COLUMNS))
    assert s.records_left_out == {} and "Total" in column(engine, "contact_id")
    assert {"bob", "High"} <= set(column(engine, "activity"))


def test_values_from_yaml_may_be_one_value_or_numbers(tmp_path: Path):
    path = write(
        tmp_path, "m.yaml", "keep_rows:\n  Field: status\n  Level: [1, 2]\ndrop_rows:\n  Issue: Total\n"
    )
    m = Mapping.from_yaml(path)
    assert m.keep_rows == {"Field": ("status",), "Level": ("1", "2")} and m.drop_rows == {"Issue": ("Total",)}
    assert m.to_dict()["keep_rows"] == {"Field": ["status"], "Level": ["1", "2"]}
    for bad in ("keep_rows: [Field]\n", "keep_rows:\n  Field: []\n", "drop_rows:\n  Field: [null]\n"):
        with pytest.raises(ConfigError, match="_rows"):
            Mapping.from_yaml(write(tmp_path, "bad.yaml", bad))


def test_a_named_column_the_file_lacks_is_an_error_naming_it(engine: Engine, tmp_path: Path):
    path = write(tmp_path, "history.csv", HISTORY)
    m = Mapping(columns=COLUMNS, keep_rows={"field": ["status"]})  # another case: found
    assert read_one(engine, path, mapping=m).rows_kept == 4
    with pytest.raises(InputError, match="keep_rows names a column the file does not have") as caught:
        read_one(engine, path, mapping=Mapping(columns=COLUMNS, keep_rows={"Feld": ["status"]}))
    assert caught.value.column == "Feld" and str(caught.value.path).endswith("history.csv")


def test_a_wide_layout_filters_records_not_events(engine: Engine, tmp_path: Path):
    """One call a row with two steps: a dropped row takes both its events, counted once as a record."""
    text = (
        "Call,Queue,Start,Served\n"
        "c1,Sales,2025-03-01 09:00,2025-03-01 09:01\n"
        "c2,TEST,2025-03-01 10:00,2025-03-01 10:02\n"
    )
    m = Mapping.from_dict({
        "columns": {"contact_id": "Call", "queue": "Queue"},
        "events": [
            {"activity": "Queued", "timestamp": "Start"},
            {"activity": "Served", "timestamp": "Served"},
        ],
        "drop_rows": {"Queue": ["test"]},
    })  # fmt: skip
    s = read_one(engine, write(tmp_path, "calls.csv", text), mapping=m)
    assert column(engine, "contact_id") == ["c1", "c1"] and s.records_left_out == {"drop_rows": 1}
    assert balanced(s)


def test_the_summary_and_data_quality_say_what_was_left_out(tmp_path: Path):
    from cxray import ReadOptions, diagnose
    from cxray.summary import headline

    path = write(tmp_path, "history.csv", HISTORY)
    d = diagnose(path, read=ReadOptions(mapping=Mapping(columns=COLUMNS, keep_rows={"Field": "status"})))
    assert "left out 3 record(s) that give no event: keep_rows 3" in headline(d)
    assert "records_left_out" not in {w["code"] for w in d.to_dict()["data_quality"]["warnings"]}  # asked for
