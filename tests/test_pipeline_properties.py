"""The whole pipeline on small random logs: no crash, and the numbers stay within their meaning.

Random optional columns (present, absent or NULL), equal timestamps, every outcome and actor type,
durations including 0, now and then a row without contact id or timestamp: ``cxray.diagnose`` must
finish, account for every row, keep every rate in [0, 1], every finding within the contacts there are,
and the shares of avoidable cost summing to <= 1.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cxray
from cxray import schema as S
from cxray.errors import InputError
from cxray.metrics import DIMENSIONS, Metrics
from cxray.testing import events_table

T0 = datetime(2024, 3, 4, 9)
VALUES: dict[str, list[Any]] = {
    S.CUSTOMER_ID: ["u1", "u2", "u3"],
    S.CHANNEL: [*S.CHANNELS[:6], "Phone"],
    S.QUEUE: ["General", "Cards", "Loans"],
    S.TEAM: ["A", "B", "vendor-x"],
    S.ACTOR: ["ann", "bob", "bot-1"],
    S.ACTOR_TYPE: [*S.ACTOR_TYPES, "Agent"],
    S.REASON: ["billing", "card lost", "O'Brien's"],
    S.OUTCOME: [*S.OUTCOMES],
    S.DURATION_S: [0.0, 0.0, 30.0, 600.0],
}
#: Offsets from T0: several equal, minutes apart, a day apart and past the repeat window.
OFFSETS = [timedelta(0), timedelta(0), timedelta(minutes=1), timedelta(days=1), timedelta(days=12)]


@st.composite
def logs(draw: st.DrawFn) -> list[dict[str, Any]]:
    present = draw(st.sets(st.sampled_from(sorted(VALUES))))
    rows = []
    for c in range(draw(st.integers(1, 6))):
        start = draw(st.sampled_from(OFFSETS))
        for _ in range(draw(st.integers(1, 4))):
            row: dict[str, Any] = {
                # Now and then a row the reader must reject: no contact id, or no timestamp.
                S.CONTACT_ID: draw(st.sampled_from([f"c{c}"] * 8 + [None, ""])),
                S.TIMESTAMP: draw(
                    st.sampled_from([T0 + start + draw(st.sampled_from(OFFSETS[:3]))] * 8 + [None])
                ),
                S.ACTIVITY: draw(st.sampled_from(["Start", "Handle", "Transfer", "End"])),
            }
            for col in present:
                row[col] = draw(st.one_of(st.none(), st.sampled_from(VALUES[col])))
            rows.append(row)
    # Copies of the same few contacts (other ids, other customers) reach the detectors' thresholds.
    copies = draw(st.sampled_from([1, 1, 15]))
    return [
        {**r, S.CONTACT_ID: r[S.CONTACT_ID] and f"{r[S.CONTACT_ID]}-{k}"}
        | ({S.CUSTOMER_ID: f"{r[S.CUSTOMER_ID]}-{k}"} if r.get(S.CUSTOMER_ID) else {})
        for k in range(copies)
        for r in rows
    ]


def _rates(metrics: Metrics) -> list[tuple[str, Any]]:
    rows = [metrics.overall] + [r for dim in DIMENSIONS for r in metrics.by(dim)]
    names = ("fcr", "reported_fcr", "unidentified_share")
    return [(k, v) for r in rows for k, v in r.items() if k.endswith("_rate") or k in names]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=logs())
def test_diagnose_never_crashes_and_its_numbers_keep_their_meaning(log: list[dict[str, Any]]) -> None:
    """Any small log diagnoses; rows are accounted, rates and shares are in [0, 1], costs are >= 0."""
    usable = [r for r in log if r[S.CONTACT_ID] and r[S.TIMESTAMP] is not None]
    if not usable:
        with pytest.raises(InputError, match="every row was rejected"):
            cxray.diagnose(events_table(log))
        return
    d = cxray.diagnose(events_table(log))
    i = d.input
    assert i.rows_read == len(log)
    assert i.rows_kept + i.rows_rejected + i.duplicates_dropped == i.rows_read
    contacts = d.metrics.overall["contacts"]
    assert i.rows_rejected >= len(log) - len(usable)
    assert contacts == len({r[S.CONTACT_ID] for r in usable})
    for name, rate in _rates(d.metrics):
        assert rate is None or 0 <= rate <= 1, (name, rate)
    shares = 0.0
    for f in d.all_findings:
        assert 0 <= f["contacts_affected"] <= contacts, f
        assert 0 <= f["share_of_avoidable_cost"] <= 1, f
        assert f["avoidable_cost"] >= 0 and f["avoidable_minutes"] >= 0 and f["avoidable_contacts"] >= 0, f
        if "merged_into" not in f["evidence"]:
            shares += f["share_of_avoidable_cost"]
    assert shares <= 1 + 1e-3 * max(1, len(d.all_findings))
    assert d.breakdown_summary["total_avoidable_cost"] >= 0
