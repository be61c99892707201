"""Verbatims → steps: each comment lands on the step of its own contact's path it talks about."""

from __future__ import annotations

import pytest

from cxray.errors import ConfigError
from cxray.process.step_kinds import StepKinds
from cxray.simulate.survey import TEMPLATES
from cxray.testing import load_rows
from cxray.voc.sentiment import add_sentiment
from cxray.voc.verbatims import VERBATIM_STEPS, Themes, map_verbatims

#: The theme each simulator driver's verbatims must get.
INTENDED = {
    "unresolved": "unresolved",
    "repeat": "repeat_contact",
    "pending": "status",
    "transfers": "transfer",
    "context": "verification",
    "wait": "wait",
    "none": "praise",
}

PARAPHRASES = [
    ("I had to give my details twice.", "verification"),
    ("They asked for my account number again!", "verification"),
    ("Security questions again, every single time.", "verification"),
    ("Why do I have to explain my problem again to every agent?", "verification"),
    ("Put through to the wrong department.", "transfer"),
    ("I was bounced around between three teams.", "transfer"),
    ("They just passed me around.", "transfer"),
    ("On hold for ages.", "wait"),
    ("It took forever to get through.", "wait"),
    ("Nobody ever called me back.", "status"),
    ("I'm still chasing my refund.", "status"),
    ("This is the third time I've rung.", "repeat_contact"),
    ("I keep calling about the same thing.", "repeat_contact"),
    ("Still not resolved.", "unresolved"),
    ("Problem not fixed.", "unresolved"),
    ("Sorted it straight away, brilliant service.", "praise"),
]


def _path(cid, *steps, queue=None):
    """Events of one contact: (activity, queue, actor_type, outcome) per step, a minute apart."""
    return [
        {
            "contact_id": cid,
            "timestamp": f"2024-03-01T10:{i:02d}:00",
            "activity": a,
            "queue": q if q is not None else queue,
            "actor_type": who,
            "outcome": out,
        }
        for i, (a, q, who, out) in enumerate(steps)
    ]


def _responses(engine, rows):
    engine.execute(
        """CREATE TEMP TABLE voc_responses (response_id BIGINT, contact_id VARCHAR, customer_id VARCHAR,
           ts TIMESTAMP, week DATE, survey_type VARCHAR, score DOUBLE, verbatim VARCHAR, reason VARCHAR,
           channel VARCHAR, queue VARCHAR, team VARCHAR)"""
    )
    for rid, cid, score, text in rows:
        engine.execute(
            "INSERT INTO voc_responses VALUES (?, ?, NULL, NULL, NULL, 'csat', ?, ?, NULL, NULL, NULL, NULL)",
            [rid, cid, score, text],
        )


@pytest.fixture
def placed(engine):
    """Four contacts and their verbatims, mapped."""
    load_rows(
        engine,
        _path(
            "twice",
            ("IVR menu", None, "ivr", None),
            ("Authenticate", None, "ivr", None),
            ("Queue wait", "Q1", "system", None),
            ("Security check", "Q1", "agent", None),
            ("Agent handling", "Q1", "agent", "resolved"),
            ("Survey", None, "customer", None),
        )
        + _path(
            "moved",
            ("Queue wait", "Q1", "system", None),
            ("Agent handling", "Q1", "agent", None),
            ("Transfer", "Q1", "agent", "transferred"),
            ("Queue wait", "Q2", "system", None),
            ("Agent handling", "Q2", "agent", "resolved"),
        )
        + _path(
            "handoff",
            ("Agent handling", "Q1", "agent", None),
            ("Agent handling", "Q2", "agent", "resolved"),
        )
        + _path("plain", ("Agent handling", "Q1", "agent", "resolved")),
    )
    _responses(
        engine,
        [
            (1, "twice", 2, "Had to give my details twice, useless."),
            (2, "moved", 3, "Passed around from one team to another."),
            (3, "plain", 1, "Poor service."),
            (4, "handoff", 2, "I was bounced around."),
            (5, None, 2, "Transferred three times!"),
            (6, "plain", 5, None),
        ],
    )
    add_sentiment(engine)
    docs, stats = map_verbatims(engine, step_kinds=StepKinds.builtin())
    steps = engine.rows(f"SELECT * FROM {VERBATIM_STEPS} ORDER BY response_id, step_seq")
    return docs, stats, steps


def test_details_twice_lands_on_the_second_verification(placed):
    """'Give my details twice' on a contact that verified twice lands on the repeat, not the first."""
    _, _, steps = placed
    got = [(s["activity"], s["kind"], s["theme"], s["step_seq"]) for s in steps if s["response_id"] == 1]
    assert got == [("Security check", "authenticate", "verification", 4)]


def test_transfer_complaint_lands_on_the_transfer_step(placed):
    """'Passed around' lands on the path's transfer step."""
    _, _, steps = placed
    got = [(s["activity"], s["step_seq"]) for s in steps if s["response_id"] == 2]
    assert got == [("Transfer", 3)]


def test_without_a_transfer_step_the_handoff_is_the_step(placed):
    """With no transfer step, the step whose queue changed is the handoff the customer means."""
    _, _, steps = placed
    got = [(s["activity"], s["step_seq"]) for s in steps if s["response_id"] == 4]
    assert got == [("Agent handling", 2)]


def test_counts_unmapped_and_unplaced(placed):
    """No theme: unmapped, never 'poor service'; a theme without a contact: unplaced; no text: not counted."""
    docs, stats, steps = placed
    assert stats == {
        "verbatims": 5,
        "mapped": 3,
        "unplaced": 1,
        "unmapped": 1,
        "by_theme": {"transfer": 3, "verification": 1},
    }
    assert {s["response_id"] for s in steps} == {1, 2, 4}
    assert all(d["theme"] != "poor service" for d in docs)


def test_step_docs(placed):
    """One doc per (activity, kind, theme): counts, negative share, mean score and examples."""
    docs, _, _ = placed
    by = {(d["activity"], d["theme"]): d for d in docs}
    assert set(by) == {
        ("Security check", "verification"),
        ("Transfer", "transfer"),
        ("Agent handling", "transfer"),
    }
    check = by[("Security check", "verification")]
    assert check["kind"] == "authenticate" and check["verbatims"] == 1 and check["mean_score"] == 2.0
    assert check["negative_share"] == 1.0
    assert check["examples"] == ["Had to give my details twice, useless."]


@pytest.mark.parametrize("driver", sorted(TEMPLATES))
def test_every_simulator_template_gets_its_intended_theme(driver):
    """Each of the simulator's phrasings is read as the theme of the driver that wrote it, and only it."""
    for template in TEMPLATES[driver]:
        text = template.format(reason="billing question")
        assert Themes.builtin().classify(text) == [INTENDED[driver]], text


@pytest.mark.parametrize(("text", "theme"), PARAPHRASES)
def test_paraphrases(text, theme):
    """Reasonable paraphrases, beyond the simulator's own words, find the same themes."""
    assert theme in Themes.builtin().classify(text)


@pytest.mark.parametrize("text", ["Poor service.", "Not very helpful.", "Thanks for nothing.", "Meh"])
def test_no_generic_theme(text):
    """Generic or negated comments match no theme."""
    assert Themes.builtin().classify(text) == []


def test_a_match_takes_its_words_from_later_themes():
    """'Repeat my details after being handed over' is verification, not also a transfer."""
    assert Themes.builtin().classify("Had to repeat my details after being handed over") == ["verification"]
    assert Themes.builtin().classify("Waiting on a case, no update") == ["status"]


def test_index_gives_the_same_matches_as_scanning():
    """Trying patterns only at words they can start with finds exactly what scanning every position does."""
    themes = Themes.builtin()
    scan = Themes(themes.themes)
    scan._always = [(i, j) for i, t in enumerate(themes.themes) for j in range(len(t.patterns))]
    scan._index = {}
    texts = [t.format(reason="x") for ts in TEMPLATES.values() for t in ts] + [t for t, _ in PARAPHRASES]
    texts += ["didn't get a call back", "'cause I waited 40 mins", "no-one knew", "called 3 times"]
    for text in texts:
        assert themes.match(text) == scan.match(text), text


def test_deterministic(engine):
    """The same input gives the same docs, stats and table, whatever the row order."""
    load_rows(
        engine, _path("c1", ("Queue wait", "Q", "system", None), ("Agent handling", "Q", "agent", "resolved"))
    )
    rows = [
        (i, "c1", float(i % 5 + 1), t)
        for i, t in enumerate(["Waited ages.", "The wait was awful.", "Sorted fast, great service"] * 3)
    ]
    _responses(engine, rows)
    first = (
        map_verbatims(engine, step_kinds=StepKinds.builtin()),
        engine.fetchall(f"SELECT * FROM {VERBATIM_STEPS}"),
    )
    engine.execute(
        "CREATE OR REPLACE TEMP TABLE voc_responses AS SELECT * FROM voc_responses ORDER BY response_id DESC"
    )
    second = (
        map_verbatims(engine, step_kinds=StepKinds.builtin()),
        engine.fetchall(f"SELECT * FROM {VERBATIM_STEPS}"),
    )
    assert first == second
    docs, _ = first[0]
    assert [(d["activity"], d["theme"], d["verbatims"]) for d in docs] == [
        ("Queue wait", "wait", 6),
        ("Agent handling", "praise", 3),
    ]


def test_bad_themes_file_names_the_problem():
    """A themes file with an unknown target or a broken regex is refused with its path."""
    with pytest.raises(ConfigError, match="not a target"):
        Themes.from_dict({"themes": {"x": {"targets": ["kind"], "match": ["a"]}}}, path="t.yaml")
    with pytest.raises(ConfigError, match="not a regular expression"):
        Themes.from_dict({"themes": {"x": {"targets": ["first"], "match": ["("]}}}, path="t.yaml")
