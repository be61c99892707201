"""Journey paths: hand-computed journeys, and a Python reading of the definition on random logs."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import groupby

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxray import schema as S
from cxray.engine import Engine
from cxray.errors import ConfigError, InputError
from cxray.journey_paths import UNKNOWN_CHANNEL, journey_paths
from cxray.journeys import build_journeys
from cxray.report.view import journey_sankey
from cxray.testing import load_rows

T0 = datetime(2024, 1, 1, 9, 0, 0)


def ev(contact: str, day: float, minute: float, activity: str = "step", **kw: str | None) -> dict:
    at = T0 + timedelta(days=day, minutes=minute)
    return {S.CONTACT_ID: contact, S.TIMESTAMP: at, S.ACTIVITY: activity, **kw}


def _centre() -> list[dict]:
    return [
        # customer A: phone IVR -> Tier 1 (twice, a system event between) -> Tier 2 -> Tier 1; then a repeat
        # on chat three days later (same reason) through the bot to a vendor, resolved: a 2-contact journey.
        ev("a1", 0, 0, customer_id="A", reason="bill", channel="phone", actor_type="ivr"),
        ev("a1", 0, 1, actor_type="agent", team="Tier 1"),
        ev("a1", 0, 2, actor_type="system"),
        ev("a1", 0, 3, actor_type="agent", team="Tier 1"),
        ev("a1", 0, 4, actor_type="agent", team="Tier 2"),
        ev("a1", 0, 5, actor_type="agent", team="Tier 1", outcome="resolved"),
        ev("a2", 3, 0, customer_id="A", reason="bill", channel="chat", actor_type="bot"),
        ev("a2", 3, 1, channel="chat", actor_type="agent", team="Vendor X", outcome="resolved"),
        # customer B: contained by the bot (channel stands in for the missing actor type), no repeat
        ev("b1", 1, 0, customer_id="B", reason="bill", channel="bot", outcome="contained"),
        # customer C: abandoned in the IVR
        ev("c1", 1, 0, customer_id="C", channel="phone", actor_type="ivr", outcome="abandoned"),
        # no customer, back office without a team; then an agent without team and without channel
        ev("d1", 2, 0, channel="back_office", actor_type="back_office", outcome="resolved"),
        ev("e1", 2, 0, customer_id="E", actor_type="agent", outcome="resolved"),
        # the last contact of the data: censored, so its journey is still open
        ev("f1", 30, 0, customer_id="F", channel="email", actor_type="customer"),
        ev("f1", 30, 5, actor_type="agent", team="Tier 1"),
    ]


def test_hand_computed_paths_and_outcomes(engine):
    load_rows(engine, _centre())
    build_journeys(engine)
    got = journey_paths(engine)
    expected = [
        {"path": ["(unknown channel)", "agent"], "outcome": "resolved", "journeys": 1},
        {"path": ["back_office", "back office"], "outcome": "resolved", "journeys": 1},
        {"path": ["bot"], "outcome": "resolved", "journeys": 1},  # channel bot, party bot: collapsed
        {"path": ["email", "Tier 1"], "outcome": "open", "journeys": 1},
        {"path": ["phone", "IVR"], "outcome": "abandoned", "journeys": 1},
        {
            "path": ["phone", "IVR", "Tier 1", "Tier 2", "Tier 1", "bot", "Vendor X"],
            "outcome": "repeat",
            "journeys": 1,
        },
    ]
    assert got == expected
    assert journey_paths(engine, max_paths=2) == expected[:2]


def test_counts_add_up_and_sort_by_journeys(engine):
    """Five identical journeys outrank one; the Sankey built from them conserves every journey."""
    rows = []
    for i in range(5):
        rows += [ev(f"x{i}", 0, i, channel="chat", actor_type="bot", outcome="contained")]
    rows += [ev("y", 0, 0, channel="phone", actor_type="ivr", outcome="resolved"), ev("z", 20, 0)]
    load_rows(engine, rows)
    build_journeys(engine)
    paths = journey_paths(engine)
    assert paths[0] == {"path": ["chat", "bot"], "outcome": "resolved", "journeys": 5}
    assert sum(p["journeys"] for p in paths) == engine.scalar(f"SELECT count(*) FROM {S.JOURNEYS_TABLE}")
    sankey = journey_sankey({"journey_paths": paths})
    into_outcomes = sum(v for _a, b, v in sankey["links"] if sankey["nodes"][b]["outcome"])
    assert into_outcomes == 7


def test_requires_journeys_and_a_sane_limit(engine):
    load_rows(engine, [ev("c", 0, 0)])
    with pytest.raises(InputError, match="build_journeys"):
        journey_paths(engine)
    build_journeys(engine)
    with pytest.raises(ConfigError):
        journey_paths(engine, max_paths=-1)


# --- property: equal to a straightforward Python reading of the definition --------------------------

_PARTY = {"bot": "bot", "ivr": "IVR", "back_office": "back office", "agent": "agent"}


def _python_paths(engine: Engine) -> list[dict]:
    """The definition, read row by row in Python from the events and the journey assignment."""
    contacts = {r[S.CONTACT_ID]: r for r in engine.rows(f"SELECT * FROM {S.CONTACTS_TABLE}")}
    events = engine.rows(f'SELECT * FROM {S.EVENTS_TABLE} ORDER BY "{S.TIMESTAMP}", {S.SOURCE_ROW}')
    by_journey: dict[str, list[tuple]] = {}
    for e in events:
        c = contacts[e[S.CONTACT_ID]]
        actor = e[S.ACTOR_TYPE] or (e[S.CHANNEL] if e[S.CHANNEL] in ("bot", "ivr", "back_office") else None)
        if actor in ("bot", "ivr"):
            party = _PARTY[actor]
        elif e[S.TEAM] is not None:
            party = e[S.TEAM]
        else:
            party = _PARTY.get(actor or "")
        by_journey.setdefault(c[S.JOURNEY_ID], []).append((c[S.CONTACT_SEQ], party))
    counts: dict[tuple, int] = {}
    for j in engine.rows(f"SELECT * FROM {S.JOURNEYS_TABLE}"):
        stages = [j[S.ENTRY_CHANNEL] or UNKNOWN_CHANNEL]
        stages += [p for _, p in sorted(by_journey[j[S.JOURNEY_ID]], key=lambda t: t[0]) if p is not None]
        path = tuple(k for k, _ in groupby(stages))
        if j[S.IS_RESOLVED] is None:
            outcome = "open"
        elif not j[S.IS_RESOLVED]:
            outcome = "abandoned"
        else:
            outcome = "repeat" if j[S.N_CONTACTS] > 1 else "resolved"
        counts[(path, outcome)] = counts.get((path, outcome), 0) + 1
    rows = [{"path": list(p), "outcome": o, "journeys": n} for (p, o), n in counts.items()]
    return sorted(rows, key=lambda r: (-r["journeys"], r["path"], r["outcome"]))


_event = st.fixed_dictionaries(
    {
        S.CONTACT_ID: st.sampled_from(["c1", "c2", "c3", "c4", "c5", "c6"]),
        "day": st.integers(0, 20),
        S.CUSTOMER_ID: st.sampled_from(["A", "B", None]),
        S.CHANNEL: st.sampled_from(["phone", "chat", "bot", "ivr", None]),
        S.ACTOR_TYPE: st.sampled_from(["bot", "ivr", "agent", "back_office", "system", None]),
        S.TEAM: st.sampled_from(["T1", "T2", "V", None]),
        S.OUTCOME: st.sampled_from(["resolved", "abandoned", "unresolved", "contained", None]),
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_event, min_size=1, max_size=30))
def test_equals_the_definition_read_in_python(engine, raw):
    """Same rows as the Python reading, in the same order; the journeys add up to all journeys."""
    rows = [
        dict(r, **{S.TIMESTAMP: T0 + timedelta(days=r.pop("day")), S.ACTIVITY: "x"}) for r in map(dict, raw)
    ]
    load_rows(engine, rows)
    build_journeys(engine)
    got = journey_paths(engine, max_paths=0)
    assert got == _python_paths(engine)
    assert sum(p["journeys"] for p in got) == engine.scalar(f"SELECT count(*) FROM {S.JOURNEYS_TABLE}")
    assert all(a != b for p in got for a, b in zip(p["path"], p["path"][1:], strict=False))
