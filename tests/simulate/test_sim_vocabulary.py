"""A scenario's vocabulary renames steps, not behaviour; repeated verification is planted and recorded."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pytest
import yaml

from cxray import schema as S
from cxray.errors import ConfigError
from cxray.simulate import RepeatedVerification, Vocabulary, load_scenario, simulate
from cxray.simulate.events import ACTIVITIES

SCENARIOS = Path(__file__).resolve().parents[2] / "src" / "cxray" / "simulate" / "scenarios"
SYNONYMS = ["Security check", "KBA check", "Identity verification", "ID&V", "Verify caller"]
RENAMES = {
    "Authenticate": {"bot": "Bot authenticated", "ivr": "IVR PIN verified", "agent": SYNONYMS},
    "Gather details": "Capture details",
    "Case queued": "Work item created",
}


def _run(vocabulary: Vocabulary | None = None, *extra, off: str = "", seed: int = 5):
    scenario = load_scenario("default")
    scenario = dataclasses.replace(
        scenario,
        breakdowns=tuple(dataclasses.replace(b, enabled=b.name != off) for b in scenario.breakdowns),
    )
    if vocabulary is not None:
        scenario = dataclasses.replace(scenario, vocabulary=vocabulary)
    if extra:
        scenario = dataclasses.replace(scenario, breakdowns=(*scenario.breakdowns, *extra))
    return simulate(scenario, seed=seed, days=7, customers=30_000)


def test_vocabulary_renames_activities_and_nothing_else():
    """Every other column is unchanged; each (built-in activity, actor type) shows its drawn name."""
    plain, renamed = _run(), _run(Vocabulary.from_mapping(RENAMES))
    assert plain.events.drop_columns([S.ACTIVITY]).equals(renamed.events.drop_columns([S.ACTIVITY]))
    names = renamed.ground_truth["vocabulary"]
    assert names["Authenticate"]["bot"] == "Bot authenticated"
    assert names["Authenticate"]["agent"] in SYNONYMS
    assert names["Gather details"] == dict.fromkeys(S.ACTOR_TYPES, "Capture details")
    pairs = zip(
        plain.events.column(S.ACTIVITY).to_pylist(),
        plain.events.column(S.ACTOR_TYPE).to_pylist(),
        renamed.events.column(S.ACTIVITY).to_pylist(),
        strict=True,
    )
    seen = set()
    for before, actor_type, after in pairs:
        assert after == names.get(before, {}).get(actor_type, before)
        seen.add((before, actor_type, after))
    assert {("Authenticate", "bot", "Bot authenticated"), ("Authenticate", "ivr", "IVR PIN verified")} <= seen
    assert "Authenticate" not in set(pc.unique(renamed.events.column(S.ACTIVITY)).to_pylist())
    # the ground truth names the planted step as the log shows it
    entities = {b["kind"]: b["entities"] for b in renamed.ground_truth["breakdowns"]}
    assert entities["context_loss"][S.ACTIVITY] == names["Authenticate"]["agent"]
    assert entities["back_office_black_hole"][S.ACTIVITY] == "Work item created"


def test_synonyms_are_drawn_per_seed_and_the_identity_draws_nothing():
    """A list of names gives one per seed, the same for the same seed; without a vocabulary, no record."""
    vocabulary = Vocabulary.from_mapping(RENAMES)
    drawn = [vocabulary.draw(seed)["Authenticate"]["agent"] for seed in range(12)]
    assert set(drawn) <= set(SYNONYMS) and len(set(drawn)) >= 3
    assert drawn == [vocabulary.draw(seed)["Authenticate"]["agent"] for seed in range(12)]
    assert "vocabulary" not in _run().ground_truth


def test_repeated_verification_is_planted_and_in_the_ground_truth():
    """Chats the bot verified are verified again by the planted queue's agents, about ``share`` of them."""
    plant = RepeatedVerification(name="chat_reverify", queue="General chat", share=0.7)
    # the default centre's own context loss into the chat queue is off, so the rate is the plant's
    result = _run(Vocabulary.from_mapping(RENAMES), plant, off="context_loss_chat")
    truth = next(b for b in result.ground_truth["breakdowns"] if b["name"] == "chat_reverify")
    agent_name = result.ground_truth["vocabulary"]["Authenticate"]["agent"]
    assert truth["kind"] == "repeated_verification" and not truth["decoy"]
    assert truth["entities"] == {S.QUEUE: "General chat", S.ACTIVITY: agent_name}
    assert truth["parameters"] == {"share": 0.7} and truth["n_contacts"] > 100
    con = duckdb.connect()
    con.register("events", result.events)
    # Of the chats the bot verified that reached an agent of the queue, the share verified again by one.
    rate = con.execute(
        f"""
        WITH c AS (
            SELECT {S.CONTACT_ID},
                   bool_or({S.ACTIVITY} = 'Bot authenticated') AS by_bot,
                   bool_or({S.ACTOR_TYPE} = 'agent' AND {S.QUEUE} = 'General chat') AS reached,
                   bool_or({S.ACTIVITY} = ? AND {S.QUEUE} = 'General chat') AS again
            FROM events GROUP BY 1
        )
        SELECT avg(again::int) FROM c WHERE by_bot AND reached
        """,
        [agent_name],
    ).fetchone()[0]
    assert 0.65 <= rate <= 0.8  # the planted 70% (and the baseline context loss, 4% of the rest)
    ids = set(truth["contact_ids"])
    assert ids <= set(result.events.column(S.CONTACT_ID).to_pylist())


def test_a_switched_off_plant_leaves_the_log_as_it_was():
    """Turning the new kind off (or not planting it) draws nothing: the centre's log does not change."""
    off = RepeatedVerification(name="off", queue="General chat", enabled=False)
    assert _run(None, off).events.equals(_run().events)


@pytest.mark.parametrize(
    ("vocabulary", "message"),
    [
        ({"Authentcate": "ID&V"}, "vocabulary.Authentcate: unknown activity"),
        ({"Authenticate": {"robot": "x"}}, "vocabulary.Authenticate.robot: unknown actor type"),
        ({"Authenticate": []}, "non-empty list"),
        ({"Gather details": "Authenticate"}, "would stand for both"),
        (["Authenticate"], "expected a mapping"),
    ],
)
def test_vocabulary_mistakes_name_the_file(tmp_path, vocabulary, message):
    """A wrong vocabulary is a ConfigError naming the scenario file and the key."""
    raw = yaml.safe_load((SCENARIOS / "default.yaml").read_text())
    raw["vocabulary"] = vocabulary
    path = tmp_path / "centre.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    assert info.value.path == str(path) and message in str(info.value)


def test_every_builtin_activity_may_be_renamed():
    """The vocabulary's keys are exactly the simulator's activities, renamed all at once without clashes."""
    vocabulary = Vocabulary.from_mapping({a: f"{a} (ours)" for a in ACTIVITIES})
    names = vocabulary.draw(0)
    assert {names[a]["agent"] for a in ACTIVITIES} == {f"{a} (ours)" for a in ACTIVITIES}
