"""Data-quality guards (cxray.quality) on hand-made logs whose artefacts are known exactly."""

from __future__ import annotations

import json
import shlex
from datetime import date, datetime, timedelta

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cxray import AnalysisOptions, diagnose
from cxray import schema as S
from cxray.cli import app
from cxray.costs import CostModel
from cxray.io import Mapping, ReadOptions
from cxray.quality import QualityOptions, screen_events
from cxray.testing import events_table, load_rows

T0 = datetime(2024, 3, 4, 9, 0)  # a Monday


def ev(contact: str, ts: datetime, activity: str = "Handle", **cols):
    return {S.CONTACT_ID: contact, S.TIMESTAMP: ts, S.ACTIVITY: activity, **cols}


def ordinary(days: int = 60, per_day: int = 10, *, start: datetime = T0) -> list[dict]:
    """``per_day`` customers a day, each one short agent contact that is resolved."""
    rows = []
    for d in range(days):
        for i in range(per_day):
            t = start + timedelta(days=d, minutes=37 * i)
            c = f"c{d:03d}-{i}"
            rows.append(
                ev(c, t, "Answer", customer_id=f"cust{d:03d}-{i}", actor_type="agent", channel="phone")
            )
            rows.append(
                ev(c, t + timedelta(minutes=6), "Close", customer_id=f"cust{d:03d}-{i}", actor_type="agent",
                   channel="phone", outcome="resolved")
            )  # fmt: skip
    return rows


def warnings(d) -> dict[str, object]:
    return {w.code: w for w in d.data_quality.warnings}


def test_bulk_identity_is_excluded_counted_and_listed():
    """Two ids raising 40 contacts a week each leave journeys, metrics and findings; the rest stay."""
    rows = ordinary()
    for bulk in ("MONITOR-1", "MONITOR-2"):
        for k in range(40):
            t = T0 + timedelta(days=10, hours=k % 8, minutes=k)
            rows.append(ev(f"{bulk}-{k}", t, "Answer", customer_id=bulk, actor_type="agent", channel="phone"))
    d = diagnose(events_table(rows))
    w = warnings(d)["bulk_identities"]
    assert w.count == 80
    assert {b.customer_id for b in d.data_quality.bulk_identities} == {"MONITOR-1", "MONITOR-2"}
    assert d.data_quality.excluded_contacts == 80 and d.data_quality.excluded_events == 80
    assert d.metrics.overall["contacts"] == 600
    assert d.metrics.overall["repeat_contact_rate"] == 0  # the bulk repeats are not the centre's
    assert d.input.rows_kept == 1280  # still read and counted: only left out of the analysis

    kept = diagnose(events_table(rows), analysis=AnalysisOptions(keep_bulk=True))
    assert kept.metrics.overall["contacts"] == 680
    assert kept.metrics.overall["repeat_contact_rate"] > 0
    assert warnings(kept)["bulk_identities"].count == 80 and kept.data_quality.excluded_contacts == 0


def test_heavy_but_ordinary_customers_are_not_bulk():
    """A customer with 15 contacts in a week is below the 20 floor: nothing is excluded."""
    rows = ordinary(days=20)
    rows += [
        ev(f"h{k}", T0 + timedelta(days=3, hours=k), customer_id="heavy", actor_type="agent")
        for k in range(15)
    ]
    d = diagnose(events_table(rows))
    assert "bulk_identities" not in warnings(d)
    assert d.data_quality.excluded_contacts == 0


def test_one_mistyped_year_does_not_move_the_period():
    """An event in 2034 is an outlier: the analysed period and censoring end with the real data."""
    rows = ordinary(days=30)
    rows.append(
        ev("c010-1", datetime(2034, 3, 14, 9, 0), "Note", customer_id="cust010-1", actor_type="agent")
    )
    d = diagnose(events_table(rows))
    dq = d.data_quality
    assert warnings(d)["timestamp_outliers"].count == 1
    assert dq.outlier_events == 1
    assert dq.data_end == datetime(2034, 3, 14, 9, 0)
    assert dq.analysed_end == T0 + timedelta(days=29, minutes=37 * 9 + 6)
    # Censoring still works: the last week's contacts are censored (not every contact as "resolved").
    assert d.metrics.overall["censored_contacts"] >= 70


def test_a_thinning_tail_of_late_updates_is_not_an_outlier():
    """Late events spread over weeks (no empty gap) are a tail, not outliers."""
    rows = ordinary(days=30)
    for k in range(12):
        rows.append(ev(f"c00{k % 10}-0", T0 + timedelta(days=30 + 4 * k), "Update", actor_type="agent"))
    with_tail = diagnose(events_table(rows))
    assert "timestamp_outliers" not in warnings(with_tail)


def test_truncated_tail_ends_censoring_where_new_contacts_stop():
    """Contacts stop starting after day 29 while updates go on 3 weeks: the tail is flagged and censors."""
    rows = ordinary(days=30)
    for k in range(21):
        rows.append(ev(f"c0{20 + k % 9:02d}-1", T0 + timedelta(days=30 + k), "Update", actor_type="agent"))
    d = diagnose(events_table(rows))
    w = warnings(d)["truncated_tail"]
    assert w.count == 21  # the events after new contacts stopped
    assert "(no contact starts then, against about" in w.message  # not "only 0 contact(s)"
    assert d.data_quality.tail_start == datetime(2024, 4, 3)  # the day after the last normal day
    assert d.data_quality.censor_end == d.data_quality.tail_start


def test_no_tail_in_a_log_that_ends_normally():
    d = diagnose(events_table(ordinary(days=30)))
    assert d.data_quality.tail_start is None
    assert d.data_quality.censor_end == d.data_quality.analysed_end == d.data_quality.data_end


def _night_calls() -> list[dict]:
    """Open 08:00-20:00 with agents; 3 calls an hour at night reach only the IVR and hang up."""
    rows = []
    for d in range(14):
        day = datetime(2024, 3, 4) + timedelta(days=d)
        for h in range(8, 20):
            for i in range(6):
                c = f"d{d}-{h}-{i}"
                t = day + timedelta(hours=h, minutes=9 * i)
                rows.append(
                    ev(c, t, "IVR", actor_type="ivr", channel="phone", queue="Sales", customer_id=f"u{c}")
                )
                if i == 0:  # one abandon an hour while open: a normal 17%
                    rows.append(ev(c, t + timedelta(minutes=2), "Hang up", channel="phone", queue="Sales",
                                   customer_id=f"u{c}", outcome="abandoned"))  # fmt: skip
                else:
                    rows.append(ev(c, t + timedelta(minutes=2), "Talk", actor_type="agent", channel="phone",
                                   queue="Sales", customer_id=f"u{c}", outcome="resolved"))  # fmt: skip
        for h in (0, 1, 2, 3, 4, 5):
            for i in range(3):
                c = f"n{d}-{h}-{i}"
                t = day + timedelta(hours=h, minutes=15 * i)
                rows.append(
                    ev(c, t, "IVR", actor_type="ivr", channel="phone", queue="Sales", customer_id=f"u{c}")
                )
                rows.append(ev(c, t + timedelta(minutes=1), "Hang up", channel="phone", queue="Sales",
                               customer_id=f"u{c}", outcome="abandoned"))  # fmt: skip
    return rows


def test_calls_into_a_closed_centre_are_counted_apart_not_a_hot_spot():
    d = diagnose(events_table(_night_calls()))
    dq = d.data_quality
    assert dq.opening_hours == {"phone": list(range(8, 20))}
    assert dq.out_of_hours_contacts == 14 * 6 * 3
    assert warnings(d)["out_of_hours"].count == 252
    assert not [f for f in d.all_findings if f["code"] == "AB01"]
    assert dq.clock_label == "data clock"  # naive times are never labelled UTC on the data's behalf


def test_hours_are_read_in_the_given_zone():
    """The same calls read as Europe/Amsterdam local time (UTC+1 in March): the open hours stay 08-20."""
    from cxray import ReadOptions

    table = events_table(_night_calls())
    d = diagnose(table, read=ReadOptions(tz="Europe/Amsterdam"))
    assert d.data_quality.opening_hours == {"phone": list(range(8, 20))}
    assert d.data_quality.clock_label == "Europe/Amsterdam"


def test_fcr_is_measured_over_identified_contacts_with_the_unidentified_share_beside_it():
    """4 identified customers, 2 of them call back; 6 contacts without an id would otherwise be 'FCR'."""
    rows = []
    for i in range(4):
        rows.append(ev(f"a{i}", T0 + timedelta(hours=i), customer_id=f"k{i}", outcome="resolved"))
    rows.append(ev("b0", T0 + timedelta(days=1), customer_id="k0", outcome="resolved"))
    rows.append(ev("b1", T0 + timedelta(days=2), customer_id="k1", outcome="resolved"))
    rows += [ev(f"anon{i}", T0 + timedelta(hours=3 + i), outcome="resolved") for i in range(6)]
    rows.append(ev("zz", T0 + timedelta(days=40), customer_id="late"))  # ends the data far after
    d = diagnose(events_table(rows))
    o = d.metrics.overall
    assert o["fcr"] == 0.5  # k2, k3 of k0..k3 (the late contact is censored)
    assert o["unidentified_share"] == round(6 / 13, 4)
    assert warnings(d)["unidentified_contacts"].count == 6


def test_reported_fcr_is_each_contacts_own_label_and_needs_no_customer():
    rows = [
        ev(f"x{i}", T0 + timedelta(hours=i), outcome="resolved" if i < 3 else "escalated") for i in range(5)
    ]
    d = diagnose(events_table(rows))
    assert d.metrics.overall["reported_fcr"] == 0.6
    assert d.metrics.overall["fcr"] is None  # needs customer_id
    no_label = diagnose(events_table([ev("x", T0, outcome="closed")]))
    assert no_label.metrics.overall["reported_fcr"] is None
    assert "reported_fcr" in no_label.metrics.disabled


def test_journeys_are_cut_at_max_journey_days():
    """A customer calling every 5 days for 100 days chains one journey without the cap; with it, 4."""
    rows = [
        ev(f"k{i}", T0 + timedelta(days=5 * i), customer_id="same", outcome="resolved") for i in range(20)
    ]
    rows.append(ev("zz", T0 + timedelta(days=300), customer_id="other"))
    d = diagnose(events_table(rows))
    j = d.journeys().to_pylist()
    mine = sorted((r[S.START_TS], r[S.N_CONTACTS]) for r in j if r[S.CUSTOMER_ID] == "same")
    assert [n for _, n in mine] == [6, 6, 6, 2]  # days 0-25, 30-55, 60-85, 90-95 (spans of 30 days)
    assert all((r[S.END_TS] - r[S.START_TS]).days <= 30 for r in j)
    wide = diagnose(events_table(rows), analysis=AnalysisOptions(max_journey_days=1000))
    assert max(r[S.N_CONTACTS] for r in wide.journeys().to_pylist()) == 20


def test_a_log_without_handle_times_is_priced_from_touches():
    """3 agent touches (5 min each) and 2 back-office ones (10 min) at EUR 1.00 and 0.80 a minute."""
    rows = [
        ev("c1", T0, actor_type="agent"),
        ev("c1", T0 + timedelta(minutes=1), actor_type="agent"),
        ev("c1", T0 + timedelta(minutes=2), actor_type="bot"),
        ev("c2", T0 + timedelta(hours=1), actor_type="agent"),
        ev("c2", T0 + timedelta(hours=2), actor_type="back_office"),
        ev("c2", T0 + timedelta(hours=3), actor_type="back_office"),
    ]
    d = diagnose(events_table(rows))
    assert d.metrics.cost_basis == "estimated_from_touches"
    assert d.metrics.overall["cost_total"] == pytest.approx(3 * 5 * 1.0 + 2 * 10 * 0.8 + 0.5)
    assert d.metrics.overall["handle_time_mean_s"] is None  # handle time itself is not invented
    own = CostModel(minutes_per_touch_by_actor_type={"agent": 2}, per_bot_session=0)
    assert diagnose(events_table(rows), costs=own).metrics.overall["cost_total"] == pytest.approx(6 + 16)
    timed = diagnose(events_table([{**r, S.DURATION_S: 60.0} for r in rows]))
    assert timed.metrics.cost_basis == "handle_time"


def test_screen_events_on_an_engine_directly():
    from cxray.engine import Engine

    with Engine() as e:
        load_rows(e, ordinary(days=10))
        dq = screen_events(e, window_days=7, options=QualityOptions(bulk_min_contacts=2, bulk_factor=1))
        # Every customer has 2 events but 1 contact: contacts are counted, not events.
        assert dq.bulk_identities == []


def test_given_opening_hours_win_over_inference():
    """Declared 06:00-22:00 for phone: 05:xx calls are out of hours, even where inference says nothing."""
    q = QualityOptions(opening_hours={"phone": (6, 22)})
    d = diagnose(events_table(_night_calls()), analysis=AnalysisOptions(quality=q))
    assert d.data_quality.opening_hours == {"phone": list(range(6, 22))}
    assert d.data_quality.out_of_hours_contacts == 14 * 6 * 3  # 00:00-05:59 (nothing starts 20-22)


def test_options_are_checked():
    from cxray.errors import ConfigError

    with pytest.raises(ConfigError, match="bulk_factor"):
        QualityOptions(bulk_factor=0.5)
    with pytest.raises(ConfigError, match="opening hours"):
        QualityOptions(opening_hours={"phone": (7, 7)})
    with pytest.raises(ConfigError, match="max_journey_days"):
        AnalysisOptions(window_days=7, max_journey_days=3)


def test_waiting_is_a_measure_of_its_own_never_cost():
    """Cases parked 5 days in 'Wait - customer' (others 1 hour): days waited are counted, not priced."""
    rows = []
    for i in range(40):
        t = T0 + timedelta(hours=3 * i)
        rows.append(ev(f"w{i}", t, "Open", actor_type="agent"))
        rows.append(ev(f"w{i}", t + timedelta(hours=1), "Wait - customer", actor_type="agent"))
        rows.append(ev(f"w{i}", t + timedelta(days=5, hours=1), "Update", actor_type="agent"))
        rows.append(
            ev(f"w{i}", t + timedelta(days=5, hours=2), "Close", actor_type="agent", outcome="resolved")
        )
    d = diagnose(events_table(rows))
    (wt,) = [f for f in d.all_findings if f["code"] == "WT01"]
    assert wt["customer_days_waited"] == pytest.approx(40 * (5 - 1 / 24), rel=0.01)
    assert wt["avoidable_cost"] == 0
    assert d.breakdown_summary["total_customer_days_waited"] >= wt["customer_days_waited"]


def test_encoding_repairs_are_a_warning(tmp_path):
    """A UTF-8 file with one stray Latin-1 byte and a NUL: both counted, in data_quality, no row lost."""
    path = tmp_path / "calls.csv"
    path.write_bytes(
        b"contact_id,timestamp,activity,team\n"
        b"c1,2024-03-04 09:00,Answer,Caf\xc3\xa9 team\n"
        b"c2,2024-03-04 09:03,Answer,Caf\xe9 team\n"
        b"c3,2024-03-04 09:05,Ans\x00wer,Sales\n"
    )
    d = diagnose(str(path))
    (w,) = [w for w in d.data_quality.warnings if w.code == "encoding_repairs"]
    assert (d.input.encoding_repairs, d.input.nul_bytes_stripped) == (1, 1)
    assert w.count == 2 and d.input.rows_kept == 3


def test_a_duration_column_of_zeros_is_no_handle_times():
    """An export's 'Time tracked' of 00:00 on every row: read as handle times, every cost was 0 while the
    report said there were none. Now no handle times: costs from touches, and a warning."""
    rows = [ev(f"c{i}", T0 + timedelta(hours=i), actor_type="agent", duration_s=0.0) for i in range(6)]
    d = diagnose(events_table(rows))
    assert d.metrics.cost_basis == "estimated_from_touches"
    assert d.metrics.overall["cost_per_contact"] > 0 and d.metrics.overall["handle_time_mean_s"] is None
    assert [w.code for w in d.data_quality.warnings if w.code == "zero_durations"] == ["zero_durations"]
    timed = diagnose(events_table([r | {S.DURATION_S: 60.0 * (i % 2)} for i, r in enumerate(rows)]))
    assert timed.metrics.cost_basis == "handle_time"  # some zero, some not: handle times
    assert not [w for w in timed.data_quality.warnings if w.code == "zero_durations"]


def test_a_ticket_resolved_then_closed_is_reported_resolved():
    """Helpdesk-style: 'Resolve ticket' (resolved) then 'Closed' (closed) counts in reported_fcr."""
    rows = []
    for i in range(4):
        t = T0 + timedelta(hours=i)
        rows.append(ev(f"t{i}", t, "Resolve ticket", outcome="resolved" if i < 3 else None))
        rows.append(ev(f"t{i}", t + timedelta(hours=1), "Closed", outcome="closed"))
    assert diagnose(events_table(rows)).metrics.overall["reported_fcr"] == 0.75


def test_the_only_waiting_status_is_not_parked_work():
    """Open -> Close interactions (BPIC 2014 style): all waiting follows Open, nothing to compare with."""
    rows = []
    for i in range(40):
        t = T0 + timedelta(hours=i)
        rows.append(ev(f"i{i}", t, "Open", actor_type="agent", duration_s=60.0))
        rows.append(ev(f"i{i}", t + timedelta(days=3), "Close", duration_s=0.0))
    assert not [f for f in diagnose(events_table(rows)).all_findings if f["code"] == "WT01"]


def test_a_file_listing_events_newest_first_with_shared_times_is_told(tmp_path):
    """A ticket history exported newest first with dates only: a day's changes keep the file's order and
    run backwards. Said (with how many times hold several events); oldest first, or no shared time, not."""
    lines = ["ticket,date,status"]
    for k in range(12):
        lines += [f"J{k},2020-12-22,Done", f"J{k},2020-12-21,In Progress", f"J{k},2020-12-21,Open"]
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines) + "\n")
    read = ReadOptions(
        mapping=Mapping(columns={"contact_id": "ticket", "timestamp": "date", "activity": "status"})
    )
    (w,) = [w for w in diagnose(str(path), read=read).data_quality.warnings if w.code == "newest_first"]
    assert w.count == 12 and "12 of 12 contacts" in w.message
    oldest = [lines[0], *reversed(lines[1:])]
    path.write_text("\n".join(oldest) + "\n")
    assert not [w for w in diagnose(str(path), read=read).data_quality.warnings if w.code == "newest_first"]
    distinct = [ln.replace("2020-12-21,Open", "2020-12-20,Open") for ln in lines]
    path.write_text("\n".join(distinct) + "\n")
    assert not [w for w in diagnose(str(path), read=read).data_quality.warnings if w.code == "newest_first"]


def _dispositions(words: list[str], n: int = 200) -> list[dict]:
    """``n`` phone calls of 100 customers, two events each, the second ending on ``words`` in turn."""
    rows = []
    for i in range(n):
        t, who = T0 + timedelta(hours=6 * i), f"k{i % 100}"  # a customer's second call 25 days on
        rows.append(ev(f"c{i}", t, "Answer", customer_id=who, actor_type="agent", channel="phone"))
        rows.append(
            ev(f"c{i}", t + timedelta(minutes=5), "Wrap", customer_id=who, actor_type="agent",
               channel="phone", outcome=words[i % len(words)])
        )  # fmt: skip
    return rows


def test_outcomes_outside_the_vocabulary_are_counted_and_told_with_the_mapping_they_need(tmp_path):
    """A disposition column of the centre's own words: 'Hung up' and 'Not fixed' would count as resolved.
    Told with each value's contacts and the --outcome flags its words suggest; applied, they clear it."""
    words = ["Solved", "Hung up", "Not fixed", "Callback", "RESOLVED"]
    d = diagnose(events_table(_dispositions(words)))
    w = warnings(d)["unknown_outcomes"]
    assert d.data_quality.unknown_outcome_contacts == w.count == 160  # 'RESOLVED' is the word, any case
    assert "'Callback'" in w.message and "'RESOLVED'" not in w.message
    assert "--outcome Solved=resolved" in w.message and "--outcome 'Hung up=abandoned'" in w.message
    assert "--outcome 'Not fixed=unresolved'" in w.message and "Callback=" not in w.message  # no guess
    assert sorted(w.examples) == sorted(f"{v!r}: 40 contact(s)" for v in words[:4])

    path = tmp_path / "calls.csv"
    rows = _dispositions(words)
    path.write_text(
        "contact_id,timestamp,activity,customer_id,actor_type,channel,outcome\n"
        + "".join(
            f"{r[S.CONTACT_ID]},{r[S.TIMESTAMP].isoformat()},{r[S.ACTIVITY]},{r['customer_id']},agent,phone,"
            f"{r.get('outcome') or ''}\n"
            for r in rows
        ),
        encoding="utf-8",
    )
    outcomes = {"Solved": "resolved", "Hung up": "abandoned", "Not fixed": "unresolved"}
    outcomes["Callback"] = "unresolved"
    mapped = diagnose(path, read=ReadOptions(mapping=Mapping(outcome_values=outcomes)))
    assert "unknown_outcomes" not in warnings(mapped) and mapped.data_quality.unknown_outcome_contacts == 0
    assert mapped.metrics.overall["fcr"] < d.metrics.overall["fcr"]  # the hang-ups were counted resolved


def test_a_few_unknown_outcomes_are_counted_off_the_first_page():
    """Under 1% of contacts: in data_quality, no warning (as unidentified contacts)."""
    rows = _dispositions(["resolved"], n=400)
    rows[1] = rows[1] | {"outcome": "PHANTOM"}  # one contact of 400
    d = diagnose(events_table(rows))
    assert d.data_quality.unknown_outcome_contacts == 1 and "unknown_outcomes" not in warnings(d)
    clean = diagnose(events_table(_dispositions(["resolved", "Abandoned", "ESCALATED"])))
    assert clean.data_quality.unknown_outcome_contacts == 0 and not clean.data_quality.warnings


def test_actor_types_outside_the_vocabulary_are_told_with_the_value_maps_they_need():
    """'Human' steps are no person's: the contacts would never count as reaching one. Mapped, they do."""
    rows = _dispositions(["resolved"])
    for r in rows[::2]:
        r["actor_type"] = "Virtual Agent" if r[S.CONTACT_ID] < "c5" else "Human"
    d = diagnose(events_table(rows))
    w = warnings(d)["unknown_actor_types"]
    assert d.data_quality.unknown_actor_type_contacts == w.count == 200
    assert "--value 'actor_type:Virtual Agent=bot'" in w.message
    assert "--value actor_type:Human=agent" in w.message
    assert "unknown_outcomes" not in warnings(d)


@pytest.mark.parametrize(
    ("value", "hints", "expected"),
    [
        ("Customer Hung Up", "outcome", S.ABANDONED),
        ("Call dropped", "outcome", S.ABANDONED),
        ("Not Resolved", "outcome", S.UNRESOLVED),
        ("unsolved", "outcome", S.UNRESOLVED),
        ("Resolved - First Call", "outcome", S.RESOLVED),
        ("Escalated to Tier 2", "outcome", S.ESCALATED),
        ("Transferred to Billing", "outcome", S.TRANSFERRED),
        ("Self-service", "outcome", S.CONTAINED),
        ("Completed", "outcome", S.CLOSED),
        ("Callback scheduled", "outcome", None),
        ("Virtual Agent", "actor", S.BOT),
        ("VRU", "actor", S.IVR),
        ("Back Office", "actor", S.BACK_OFFICE),
        ("Human", "actor", S.AGENT),
        ("Caller", "actor", S.CUSTOMER),
        ("Supervisor", "actor", None),
    ],
)
def test_the_suggested_mapping_follows_the_values_words(value, hints, expected):
    from cxray.quality import ACTOR_TYPE_HINTS, OUTCOME_HINTS, suggest

    assert suggest(value, OUTCOME_HINTS if hints == "outcome" else ACTOR_TYPE_HINTS) == expected


@pytest.mark.parametrize(
    ("scale", "told"),
    [(1.0, None), (1000.0, "in milliseconds (--duration-unit ms"), (1 / 60, "in minutes or hours")],
)
def test_durations_in_another_unit_are_told_from_a_persons_median_step(scale, told):
    """Handle times of 1-9 minutes given in seconds, milliseconds or minutes: the IVR's 8-second steps do
    not make seconds look like minutes, since the median is of the agents' steps."""
    rows = []
    for i in range(300):
        t = T0 + timedelta(hours=i)
        rows.append(ev(f"c{i}", t, "Menu", actor_type="ivr", duration_s=8.0 * scale))
        rows.append(ev(f"c{i}", t + timedelta(minutes=1), "Talk", actor_type="agent",
                       duration_s=60.0 * (1 + i % 9) * scale))  # fmt: skip
    w = warnings(diagnose(events_table(rows))).get("implausible_durations")
    assert w is None if told is None else told in w.message, w
    if told:
        assert w.count == 300 and "person's step" in w.message
        # no step a person's: every step's median, whose lower bound (3 s) lets an IVR's steps be
        talk = [r | {"actor_type": None} for r in rows if r["actor_type"] == "agent"]
        no_actor = diagnose(events_table(talk))
        assert ("implausible_durations" in warnings(no_actor)) == (scale > 1)


def _two_systems(tmp_path, chat_id, call_id=lambda k: f"+4477009{k:05d}") -> list:
    """A phone system's and a chat system's exports of the same 100 customers, the chat's ids written by
    ``chat_id``, the calls' by ``call_id``."""
    calls, chats = [], []
    for i in range(300):
        k, t = (i * 37) % 100, T0 + timedelta(hours=3 * i)
        calls.append(f"call{i},{call_id(k)},{t.isoformat()},Call")
        chats.append(f"chat{i},{chat_id(k)},{(t - timedelta(minutes=30)).isoformat()},Chat")
    return _calls_and_chats(tmp_path, calls, chats)


def _calls_and_chats(tmp_path, calls: list[str], chats: list[str]) -> list:
    """``calls.csv`` and ``chats.csv`` of these rows (contact, customer, time, activity)."""
    paths = [tmp_path / "calls.csv", tmp_path / "chats.csv"]
    for path, lines in zip(paths, (calls, chats), strict=True):
        path.write_text(
            "contact_id,customer_id,timestamp,activity\n" + "\n".join(lines) + "\n", encoding="utf-8"
        )
    return paths


def test_files_that_share_no_customer_are_told_with_an_id_of_each(tmp_path):
    """A phone number written '+447700900001' in one system and '07700 900001' in the other: no journey
    crosses, so a chat then a call is two first contacts. Written alike, the files link and FCR falls."""
    unlinked = diagnose(_two_systems(tmp_path, lambda k: f"07700 9{k:05d}"))
    w = warnings(unlinked)["unlinked_files"]
    assert w.count == 1 and "share 0 of 100" in w.message
    assert w.examples == ("calls.csv: '+447700900000'; chats.csv: '07700 900000'",)
    linked = diagnose(_two_systems(tmp_path, lambda k: f"+4477009{k:05d}"))
    assert "unlinked_files" not in warnings(linked)
    assert linked.metrics.overall["fcr"] < unlinked.metrics.overall["fcr"]  # the calls after a chat repeat
    one = diagnose(_two_systems(tmp_path, lambda k: f"07700 9{k:05d}")[:1])
    assert "unlinked_files" not in warnings(one)
    few = diagnose(_two_systems(tmp_path, lambda k: f"x{k % 10}"))  # 10 chat customers: too few to say
    assert "unlinked_files" not in warnings(few)


def test_the_unlinked_files_ids_are_pseudonymised_under_redact(tmp_path):
    from typer.testing import CliRunner

    from cxray.cli import app

    paths = _two_systems(tmp_path, lambda k: f"07700 9{k:05d}")
    out = tmp_path / "out"
    done = CliRunner().invoke(app, ["diagnose", *map(str, paths), "--out", str(out), "--redact", "-q"])
    assert done.exit_code == 0, done.output
    text = (out / "diagnosis.json").read_text(encoding="utf-8")
    assert "unlinked_files" in text and "+447700900000" not in text and "07700 900000" not in text


def _numbered_alike(tmp_path) -> list:
    """A phone system and a chat system that both number their contacts 1..100, each contact its own
    customer's (the chat's customers are other people)."""
    calls, chats = [], []
    for i in range(100):
        t = T0 + timedelta(hours=5 * i)
        calls.append(f"{i},phone-{i},{t.isoformat()},Call")
        chats.append(f"{i},web-{i},{(t + timedelta(days=2)).isoformat()},Chat")
    return _calls_and_chats(tmp_path, calls, chats)


def test_two_systems_numbering_contacts_alike_are_told_and_separated_by_a_prefix(tmp_path):
    """Contact '7' of the phone system and '7' of the chat system read as one contact of two customers:
    told as a collision across files; the chat file's contact_id_prefix gives each its own contact."""
    paths = _numbered_alike(tmp_path)
    joined = diagnose(paths)
    w = warnings(joined)["mixed_customers"]
    assert joined.data_quality.mixed_customer_contacts == w.count == 100
    assert "100 of them have events in several files" in w.message and "contact_id_prefix" in w.message
    assert w.examples[0] == "contact 0: customers phone-0, web-0"
    assert joined.metrics.overall["contacts"] == 100
    chat = Mapping(contact_id_prefix="chat-")
    apart = diagnose(paths, read=ReadOptions(file_mappings={"chats.csv": chat}))
    assert apart.metrics.overall["contacts"] == 200 and apart.data_quality.mixed_customer_contacts == 0
    assert "mixed_customers" not in warnings(apart)


def test_a_contact_id_reused_within_one_file_is_told_as_such():
    """A recycled ticket number in one log: the contact keeps its first customer; told, not as files."""
    rows = _dispositions(["resolved"])
    for i in range(0, 200, 10):  # 20 of 200 contacts get a second customer's event
        rows.append(
            ev(f"c{i}", T0 + timedelta(hours=6 * i, minutes=30), "Reopen", customer_id="someone-else")
        )
    d = diagnose(events_table(rows))
    w = warnings(d)["mixed_customers"]
    assert w.count == 20 and "recycled ticket number" in w.message and "several files" not in w.message
    few = diagnose(events_table(_dispositions(["resolved"]) + rows[-1:]))  # 1 of 200: counted only
    assert few.data_quality.mixed_customer_contacts == 1 and "mixed_customers" not in warnings(few)


def test_channels_naming_a_bot_in_other_words_are_told_when_the_log_has_no_actor_types(tmp_path):
    """'Chatbot' then 'Phone', no actor types: the bot is unseen (a channel stands in only as 'bot').
    Mapped with the value_maps the warning gives, the bot's contacts are self-service and the warning
    goes; with actor types in the log it is not asked."""
    lines = ["contact_id,customer_id,timestamp,activity,channel"]
    for i in range(100):
        t = T0 + timedelta(days=i % 40, hours=i % 7)
        lines.append(f"b{i},k{i},{t.isoformat()},Bot chat,Chatbot")
        lines.append(f"p{i},k{i},{(t + timedelta(hours=1)).isoformat()},Call,Phone")
    path = tmp_path / "log.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    d = diagnose(path)
    w = warnings(d)["self_service_channels"]
    assert w.count == 100 and "--value channel:Chatbot=bot" in w.message
    flags = shlex.split(w.message.split("Map them: ", 1)[1].split(" (the mapping", 1)[0])
    out = tmp_path / "out"
    done = CliRunner().invoke(app, ["diagnose", str(path), "--out", str(out), "-q", *flags])
    assert done.exit_code == 0, done.output
    doc = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    assert "self_service_channels" not in {x["code"] for x in doc["data_quality"]["warnings"]}
    contacts = pq.read_table(out / "contacts.parquet")
    bot = contacts.filter(pc.equal(contacts["entry_channel"], "bot"))
    assert bot.num_rows == 100 and all(bot["is_self_service"].to_pylist())
    typed = path.read_text(encoding="utf-8").replace(",channel\n", ",channel,actor_type\n", 1)
    typed = "\n".join(x + ",agent" if i else x for i, x in enumerate(typed.splitlines()))
    path.write_text(typed + "\n", encoding="utf-8")
    assert "self_service_channels" not in warnings(diagnose(path))


def test_outcomes_that_are_ids_are_told_as_ids_a_lookup_names():
    """A platform's wrap-up code ids read without their lookup (Genesys Cloud's wrapup_codes): the same
    warning, saying they are ids; words are not called ids."""
    codes = ["4d133501-f2ec-5f1c-96bf-99ad32149b92", "0f3f2eda-8ef1-5e7e-b31a-523fa0647ade"]
    w = warnings(diagnose(events_table(_dispositions(codes))))["unknown_outcomes"]
    assert w.count == 200 and "They look like ids" in w.message and "wrapup_codes" in w.message
    words = warnings(diagnose(events_table(_dispositions(["Callback", "Hung up"]))))["unknown_outcomes"]
    assert "look like ids" not in words.message


def _diurnal(days: int = 14) -> list[datetime]:
    """Contact times of a centre open 8:00-20:00, busiest late morning (true local = UTC here): 5 contacts
    a day per unit of each hour's weight, in the hour's first 40 minutes."""
    weights = [1, 2, 4, 6, 6, 5, 4, 4, 3, 2, 2, 1]  # hours 8..19: busy (half the top or more) 10-17
    return [
        datetime(2025, 1, 6, 8 + h, (7 * k) % 40) + timedelta(days=d)
        for d in range(days)
        for h, w in enumerate(weights)
        for k in range(5 * w)
    ]


def _clocked(tmp_path, chat_shift: timedelta, *, calls_z: bool = False, chats_z: bool = False) -> list:
    """``calls.csv`` and ``chats.csv`` of the same centre hours, the chats' times written ``chat_shift``
    off the true time (New York's clock beside UTC: -5 h); ``*_z`` writes a file's times with a 'Z'."""
    calls, chats = [], []
    for i, t in enumerate(_diurnal()):
        calls.append(f"call{i},k{i % 400},{t.isoformat()}{'Z' if calls_z else ''},Call")
        chat = t + timedelta(minutes=20)
        chats.append(
            f"chat{i},k{(i + 7) % 400},{(chat + chat_shift).isoformat()}{'Z' if chats_z else ''},Chat"
        )
    return _calls_and_chats(tmp_path, calls, chats)


def test_clocks_compare_the_shape_of_two_days_hour_by_hour():
    from cxray.quality.files import clock_shift

    day = [0, 0, 0, 0, 0, 0, 0, 1, 5, 9, 8, 7, 6, 6, 5, 4, 3, 2, 1, 0, 0, 0, 0, 0]
    later = day[-3:] + day[:-3]  # every hour three hours later
    assert clock_shift(day, later)[:2] == (3, pytest.approx(1.0))
    assert clock_shift(later, day)[0] == -3
    assert clock_shift(day, day) == (0, pytest.approx(1.0), pytest.approx(1.0))
    assert clock_shift(day, [5.0] * 24) == (0, 0.0, 0.0)  # a flat day matches no hour


def test_a_file_in_another_clock_is_told_with_the_zone_flag_of_either_side(tmp_path):
    """Chats written in New York time beside calls in UTC, both without an offset: their days match 5
    hours apart. Told with the --tz of each side; with the chats' zone given, the files agree."""
    paths = _clocked(tmp_path, timedelta(hours=-5))
    w = warnings(diagnose(paths))["clock_offsets"]
    assert w.count == 1
    assert "chats.csv's events run about 5 hours earlier in the day than calls.csv's" in w.message
    assert "--tz chats.csv=ZONE with a zone of about UTC-5" in w.message
    assert "--tz calls.csv=ZONE with a zone of about UTC+5" in w.message
    assert w.examples == ("chats.csv: busy 05:00-12:00; calls.csv: busy 10:00-17:00",)
    fixed = diagnose(paths, read=ReadOptions(file_tz={"chats.csv": "America/New_York"}))
    assert "clock_offsets" not in warnings(fixed)
    same = diagnose(_clocked(tmp_path, timedelta(0)))
    assert "clock_offsets" not in warnings(same)
    hour = diagnose(_clocked(tmp_path, timedelta(hours=1)))  # summer time, or a channel open an hour later
    assert "clock_offsets" not in warnings(hour)


def test_the_file_whose_times_carry_no_offset_is_the_one_told(tmp_path):
    """Calls written with a 'Z' are right by their own word: only the chats are told to fix; two files
    that both carry their offsets differ for real (a team abroad) and are not told."""
    w = warnings(diagnose(_clocked(tmp_path, timedelta(hours=-5), calls_z=True)))["clock_offsets"]
    assert "calls.csv's times carry their UTC offset, chats.csv's do not" in w.message
    assert "--tz chats.csv=ZONE with a zone of about UTC-5" in w.message and "--tz calls.csv" not in w.message
    both = diagnose(_clocked(tmp_path, timedelta(hours=-5), calls_z=True, chats_z=True))
    assert "clock_offsets" not in warnings(both)


def _daily_ids(days: int = 21, calls: int = 40) -> list[dict]:
    """A phone system whose call numbers restart every day: call 1001 of each day is another call."""
    return [
        ev(str(1000 + i), datetime(2025, 3, 3, 8 + i % 10, (7 * i) % 60) + timedelta(days=d), "Call",
           actor_type="agent", channel="phone", outcome="resolved")
        for d in range(days)
        for i in range(1, calls + 1)
    ]  # fmt: skip


def test_call_numbers_that_restart_every_day_are_told_and_read_per_day_when_asked(tmp_path):
    """40 call numbers given again on each of 21 days read as 40 contacts of 21 calls each, and as an
    export cut after its first day (no new contact starts after it). Told instead, with the flag that
    joins each id with its date; with it, 840 calls, nothing told."""
    d = diagnose(events_table(_daily_ids()))
    w = warnings(d)["reused_contact_ids"]
    assert w.count == 40 and "100% of contacts" in w.message and "--contact-ids-per-day" in w.message
    assert w.examples[0] == "contact 1001: events on 21 days"
    assert "truncated_tail" not in warnings(d)  # the tail of 'old' contacts is the reuse, no cut export
    assert d.metrics.overall["contacts"] == 40
    pq.write_table(events_table(_daily_ids()), tmp_path / "calls.parquet")
    per_day = diagnose(
        tmp_path / "calls.parquet", read=ReadOptions(mapping=Mapping(contact_ids_per_day=True))
    )
    assert "reused_contact_ids" not in warnings(per_day) and per_day.metrics.overall["contacts"] == 840


def test_cases_worked_over_weeks_on_a_few_days_are_no_reused_ids():
    """A back office's cases: each open three weeks, touched on four days of them. Long, not reused."""
    rows = []
    for i in range(60):
        start = datetime(2025, 3, 3, 9) + timedelta(hours=5 * i)
        for k, gap in enumerate((0, 3, 9, 20)):
            rows.append(ev(f"case{i}", start + timedelta(days=gap), f"Step {k}", actor_type="back_office"))
    assert "reused_contact_ids" not in warnings(diagnose(events_table(rows)))
    short = [  # a 10-day export of cases each touched on 6 of its days: short, not reused
        ev(f"case{i}", datetime(2025, 3, 3, 9 + i % 8) + timedelta(days=k), f"Step {k}", actor_type="agent")
        for i in range(60)
        for k in (0, 1, 2, 4, 6, 9)
    ]  # fmt: skip
    assert "reused_contact_ids" not in warnings(diagnose(events_table(short)))


def test_a_file_of_dates_beside_a_file_of_times_is_told(tmp_path):
    """A CRM report dated by day beside the calls that opened its cases: the cases sort before the
    calls of their day. Told, naming the file and its one time of day; not taken for another clock."""
    calls, cases = [], []
    for i, t in enumerate(_diurnal()):
        calls.append(f"call{i},k{i % 400},{t.isoformat()},Call")
        cases.append(f"case{i},k{i % 400},{t.date().isoformat()},Case opened")
    d = diagnose(_calls_and_chats(tmp_path, calls, cases))
    w = warnings(d)["dates_only"]
    assert w.count == 1 and "(chats.csv: every event at the same time) beside calls.csv" in w.message
    assert w.examples == ("chats.csv: every event at 00:00",)
    assert "clock_offsets" not in warnings(d)
    spring = [  # dates across the change to summer time, in London: midnight is 00:00, then 23:00 UTC
        f"case{i},k{i % 400},{(date(2025, 3, 20) + timedelta(days=i % 20)).isoformat()},Case opened"
        for i in range(len(cases))
    ]
    paths = _calls_and_chats(tmp_path, calls, spring)
    london = diagnose(paths, read=ReadOptions(file_tz={"chats.csv": "Europe/London"}))
    assert warnings(london)["dates_only"].examples == ("chats.csv: every event at 00:00 or 23:00",)
    alone = diagnose(tmp_path / "chats.csv")  # one file of dates: its order is the file's, nothing to sort
    assert "dates_only" not in warnings(alone)
    assert "dates_only" not in warnings(diagnose(_clocked(tmp_path, timedelta(0))))


def _weeks(tmp_path, *, overlap: bool = True) -> list:
    """Two weekly call exports, each with the date it was exported; with ``overlap`` they share 3 days."""
    header = "contact_id,customer_id,timestamp,activity,exported\n"
    rows = [(f"k{d:02d}{i:02d}", f"u{(i * d) % 90}", datetime(2025, 3, d, 8 + i % 10, (7 * i) % 60), "Call")
            for d in range(1, 15) for i in range(30)]  # fmt: skip
    cut = 6 if overlap else 9
    paths = []
    for name, keep, stamp in (("week1.csv", lambda t: t.day < 9, "2025-03-09"),
                              ("week2.csv", lambda t: t.day >= cut, "2025-03-15")):  # fmt: skip
        lines = [f"{c},{u},{t.isoformat()},{a},{stamp}" for c, u, t, a in rows if keep(t)]
        (tmp_path / name).write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
        paths.append(tmp_path / name)
    return paths


def test_overlapping_exports_are_told_and_their_copies_dropped_when_asked(tmp_path):
    """Days 6-8 are in both weeks' exports, which differ only in their export date: 90 calls counted
    twice, each looking like a call repeated. Told; --drop-overlap drops week 2's copies, counted."""
    d = diagnose(_weeks(tmp_path))
    w = warnings(d)["overlapping_files"]
    assert w.count == 90 and "week2.csv repeats 90 of week1.csv's" in w.message
    assert d.input.rows_kept == 510 and d.input.duplicates_dropped == 0
    dropped = diagnose(_weeks(tmp_path), read=ReadOptions(drop_overlap=True))
    assert "overlapping_files" not in warnings(dropped)
    assert (dropped.input.rows_kept, dropped.input.duplicates_dropped) == (420, 90)
    assert [f.duplicates_dropped for f in dropped.input.per_file] == [0, 90]
    assert dropped.metrics.overall["contacts"] == d.metrics.overall["contacts"] == 420
    apart = diagnose(_weeks(tmp_path, overlap=False))
    assert "overlapping_files" not in warnings(apart)


def test_two_systems_events_of_one_contact_are_no_overlap(tmp_path):
    """A CRM's case steps beside the calls on the same case ids: other steps, other times."""
    calls, cases = [], []
    for i in range(200):
        t = datetime(2025, 3, 3, 9) + timedelta(minutes=17 * i)
        calls.append(f"case{i},u{i % 50},{t.isoformat()},Call")
        cases.append(f"case{i},u{i % 50},{(t + timedelta(minutes=3)).isoformat()},Case opened")
        cases.append(f"case{i},u{i % 50},{(t + timedelta(hours=5)).isoformat()},Case closed")
    d = diagnose(_calls_and_chats(tmp_path, calls, cases))
    assert "overlapping_files" not in warnings(d)
    assert (
        diagnose(
            _calls_and_chats(tmp_path, calls, cases), read=ReadOptions(drop_overlap=True)
        ).input.rows_kept
        == 600
    )


def test_ids_excel_saved_in_scientific_notation_are_told():
    """Phone numbers as customer ids saved through Excel: 447912345001 and its neighbours all become
    4.47912E+11, one 'customer' whose 60 first contacts read as repeats. Told (to fix), with the id; the
    same log with its ids as written, or a few such ids (under SCIENTIFIC_MIN contacts), is not."""
    from cxray.quality import SCIENTIFIC_MIN, TO_FIX

    def log(customer: str) -> list[dict]:
        rows = ordinary(days=20, per_day=6)
        for i, r in enumerate(rows):
            if i // 2 < 60:  # the first 60 contacts
                r[S.CUSTOMER_ID] = customer.format(n=i // 2)
        return rows

    d = diagnose(events_table(log("4.47912E+11")))
    w = warnings(d)["scientific_ids"]
    assert w.count == 60 and not w.handled and "scientific_ids" in TO_FIX
    assert "60 contact(s) (50.00%) carry 1 customer id(s)" in w.message
    assert w.examples == ("customer 4.47912E+11",)
    assert "scientific_ids" not in warnings(diagnose(events_table(log("447912345{n:03d}"))))
    few = log("447912345{n:03d}")
    for r in few[: 2 * (SCIENTIFIC_MIN - 1)]:
        r[S.CUSTOMER_ID] = "1.2e+15"
    assert "scientific_ids" not in warnings(diagnose(events_table(few)))
    # under SCIENTIFIC_SHARE of the contacts (as the public bank log's 21 of 32,887): told, as read
    many = ordinary(days=200, per_day=6)  # 1,200 contacts
    for r in many[:22]:  # 11 of them
        r[S.CUSTOMER_ID] = "6.02701E+11"
    w = warnings(diagnose(events_table(many)))["scientific_ids"]
    assert w.count == 11 and w.handled and "too few to move a measure: read as written" in w.message


def test_ids_whose_leading_zeros_one_file_lost_are_told(tmp_path):
    """A CRM writes account 0001042, the phone system's export went through a spreadsheet and has 1042:
    60 of 100 customers never cross the two files, which still share 40 ids (unlinked_files is silent).
    Told with an id of each; the same files with the zeros kept on both sides are not."""
    from cxray.quality import TO_FIX
    from cxray.quality.files import ZEROS_MIN

    def two(zeros: int) -> list:
        chat_id = lambda k: f"000{1000 + k}" if k < zeros else f"{1000 + k}"  # noqa: E731
        return _two_systems(tmp_path, chat_id, call_id=lambda k: f"{1000 + k}")

    d = diagnose(two(60))
    w = warnings(d)["leading_zeros"]
    assert w.count == 60 and not w.handled and "leading_zeros" in TO_FIX
    assert "60 of chats.csv's (as '0001000') are calls.csv's without them ('1000')" in w.message
    assert w.examples == ("chats.csv: '0001000'; calls.csv: '1000'",) and "unlinked_files" not in warnings(d)
    assert "leading_zeros" not in warnings(diagnose(two(0)))
    assert "leading_zeros" not in warnings(diagnose(two(ZEROS_MIN - 1)))
