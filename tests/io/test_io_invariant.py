"""Property: for rows with any defects, rows_read == kept + rejected + duplicates; reasons counted right."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxray.engine import Engine
from cxray.errors import InputError
from cxray.io import ReadOptions, read_events

TIMES = {
    "2024-03-01 09:00:00": 1,
    "2024-03-01T09:00:00Z": 1,
    "2024-03-01 10:00:00": 2,
    "soon": None,
    "": None,
}
DURATIONS = {"": None, "5": 5.0, "5.0": 5.0, "7,5": 7.5, "x": None}

row = st.tuples(
    st.sampled_from(["c1", "c2", ""]),
    st.sampled_from(list(TIMES)),
    st.sampled_from(["A", "B", ""]),
    st.sampled_from(list(DURATIONS)),
)


def expected_reason(contact: str, ts: str, activity: str, duration: str) -> str | None:
    if not contact:
        return "missing_contact_id"
    if not ts:
        return "missing_timestamp"
    if not activity:
        return "missing_activity"
    if TIMES[ts] is None:
        return "bad_timestamp"
    if duration and DURATIONS[duration] is None:
        return "bad_duration_s"
    return None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, min_size=1, max_size=30))
def test_counts_always_add_up(tmp_path_factory, rows):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["contact_id", "timestamp", "activity", "duration_s"])
    writer.writerows(rows)
    path: Path = tmp_path_factory.mktemp("p") / "rows.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")

    reasons: dict[str, int] = {}
    kept_keys = []
    for r in rows:
        reason = expected_reason(*r)
        if reason:
            reasons[reason] = reasons.get(reason, 0) + 1
        else:
            kept_keys.append((r[0], TIMES[r[1]], r[2], DURATIONS[r[3]]))
    with Engine(threads=1) as engine:
        if not kept_keys:  # every row rejected: the file is unusable
            with pytest.raises(InputError, match="every row was rejected"):
                read_events([path], engine, options=ReadOptions())
            return
        s = read_events([path], engine, options=ReadOptions())
        assert s.rows_read == len(rows) == s.rows_kept + s.rows_rejected + s.duplicates_dropped
        assert s.rejected_by_reason == dict(sorted(reasons.items()))
        assert s.rows_kept == len(set(kept_keys))
        assert engine.scalar("SELECT count(*) FROM rejected") == s.rows_rejected
