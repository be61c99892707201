"""The cost model: validation, YAML loading and the SQL that prices events."""

from __future__ import annotations

import json

import pytest

from cxray import schema as S
from cxray.costs import (
    DEFAULT_PER_MINUTE_BY_ACTOR_TYPE,
    CostModel,
    contact_cost_sql,
    effective_actor_type_sql,
    event_cost_sql,
)
from cxray.errors import ConfigError
from cxray.testing import load_rows


def test_defaults_state_the_assumed_rates():
    """An agent minute costs 1.00 EUR by default, bots nothing per minute but 0.50 per session."""
    m = CostModel()
    assert m.currency == "EUR"
    assert m.per_minute_by_actor_type[S.AGENT] == 1.00
    assert m.per_minute_by_actor_type[S.BACK_OFFICE] == 0.80
    assert m.per_minute_by_actor_type[S.IVR] == 0.02
    assert m.per_minute_by_actor_type[S.BOT] == 0.0
    assert m.per_bot_session == 0.50
    assert m.default_per_minute == 1.00
    assert m.per_minute_by_team == {}


def test_model_copies_and_normalises_its_dicts():
    """Actor types are lower-cased, merged over the built-in rates, and the caller's dict is not shared."""
    rates = {"Agent": 2, "robot": 0.1}
    m = CostModel(per_minute_by_actor_type=rates)
    rates["Agent"] = 99
    assert m.per_minute_by_actor_type == {**DEFAULT_PER_MINUTE_BY_ACTOR_TYPE, "agent": 2.0, "robot": 0.1}
    assert DEFAULT_PER_MINUTE_BY_ACTOR_TYPE[S.AGENT] == 1.00


@pytest.mark.parametrize(
    "kwargs",
    [
        {"per_bot_session": -0.1},
        {"default_per_minute": float("nan")},
        {"per_minute_by_team": {"A": -1}},
        {"per_minute_by_actor_type": {"agent": "cheap"}},
        {"per_minute_by_actor_type": {"agent": True}},
        {"per_minute_by_team": ["A"]},
        {"currency": ""},
    ],
)
def test_bad_values_raise_config_error(kwargs):
    with pytest.raises(ConfigError):
        CostModel(**kwargs)


def test_to_dict_is_json_and_round_trips():
    m = CostModel(per_minute_by_team={"Vendor B": 0.5, "Vendor A": 0.4}, per_bot_session=0.3)
    d = m.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert list(d["per_minute_by_team"]) == ["Vendor A", "Vendor B"]
    assert CostModel(**d) == m


def test_from_yaml_merges_actor_rates_over_defaults(tmp_path):
    path = tmp_path / "costs.yaml"
    path.write_text(
        "currency: GBP\nper_minute_by_actor_type: {Agent: 1.2}\nper_minute_by_team: {Vendor A: 0.55}\n"
        "per_bot_session: 0.4\n",
        encoding="utf-8",
    )
    m = CostModel.from_yaml(path)
    assert m.currency == "GBP"
    assert m.per_minute_by_actor_type[S.AGENT] == 1.2
    assert m.per_minute_by_actor_type[S.BACK_OFFICE] == 0.80  # kept from the defaults
    assert m.per_minute_by_team == {"Vendor A": 0.55}
    assert m.per_bot_session == 0.4
    assert m.default_per_minute == 1.00


def test_from_yaml_empty_file_gives_defaults(tmp_path):
    path = tmp_path / "costs.yaml"
    path.write_text("", encoding="utf-8")
    assert CostModel.from_yaml(path) == CostModel()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("per_minute: 1\n", "unknown key(s) per_minute"),
        ("per_bot_session: -1\n", "per_bot_session"),
        ("per_minute_by_team: {A: -0.5}\n", "per_minute_by_team.A"),
        ("per_minute_by_actor_type: [agent]\n", "must be a mapping"),
        ("- 1\n- 2\n", "mapping"),
        ("currency: [\n", "not valid YAML"),
    ],
)
def test_from_yaml_errors_name_the_file(tmp_path, text, fragment):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        CostModel.from_yaml(path)
    assert info.value.path == str(path)
    assert str(path) in str(info.value)
    assert fragment in str(info.value)


def test_from_yaml_missing_file(tmp_path):
    with pytest.raises(ConfigError) as info:
        CostModel.from_yaml(tmp_path / "nope.yaml")
    assert "nope.yaml" in str(info.value)


def test_event_cost_sql_prices_by_team_then_actor_type_then_default(engine):
    """Team override wins; actor type next (channel stands in for a NULL one); default last."""
    model = CostModel(per_minute_by_team={"O'Brien & Co": 0.5}, default_per_minute=2.0)
    load_rows(
        engine,
        [
            {"contact_id": "a", "timestamp": "2024-01-01T00:00", "activity": "x", "duration_s": 120,
             "team": "O'Brien & Co", "actor_type": "agent"},
            {"contact_id": "b", "timestamp": "2024-01-01T00:00", "activity": "x", "duration_s": 120,
             "actor_type": "AGENT"},
            {"contact_id": "c", "timestamp": "2024-01-01T00:00", "activity": "x", "duration_s": 120,
             "channel": "ivr"},
            {"contact_id": "d", "timestamp": "2024-01-01T00:00", "activity": "x", "duration_s": 120,
             "actor_type": "wizard"},
            {"contact_id": "e", "timestamp": "2024-01-01T00:00", "activity": "x"},
        ],
    )  # fmt: skip
    got = dict(
        engine.con.execute(
            f"SELECT {S.CONTACT_ID}, {event_cost_sql(model)} FROM {S.EVENTS_TABLE} ORDER BY 1"
        ).fetchall()
    )
    assert got == {"a": 1.0, "b": 2.0, "c": pytest.approx(0.04), "d": 4.0, "e": None}


def test_effective_actor_type_prefers_actor_type_over_channel(engine):
    load_rows(
        engine,
        [
            {
                "contact_id": "a",
                "timestamp": "2024-01-01",
                "activity": "x",
                "actor_type": "Agent",
                "channel": "bot",
            },
            {"contact_id": "b", "timestamp": "2024-01-01", "activity": "x", "channel": "Bot"},
            {"contact_id": "c", "timestamp": "2024-01-01", "activity": "x", "channel": "phone"},
        ],
    )
    got = engine.con.execute(
        f"SELECT {effective_actor_type_sql()} FROM {S.EVENTS_TABLE} ORDER BY 1"
    ).fetchall()
    assert [r[0] for r in got] == ["agent", "bot", None]


def test_contact_cost_sql_adds_bot_fee_and_keeps_unknown_null(engine):
    sql = contact_cost_sql(CostModel(per_bot_session=0.25), minutes_cost="m", handle_s="h", touched_bot="b")
    rows = engine.con.execute(
        f"SELECT {sql} FROM (VALUES (3.0, 180.0, true), (3.0, 180.0, false), (NULL, NULL, true), "
        "(NULL, NULL, false)) t(m, h, b)"
    ).fetchall()
    assert [r[0] for r in rows] == [3.25, 3.0, 0.25, None]
