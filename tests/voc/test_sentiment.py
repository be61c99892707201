"""Sentiment of verbatims: VADER's sign, NULL without text, one score per distinct text."""

from __future__ import annotations

import pytest

from cxray.voc.sentiment import METHOD, add_sentiment, score_texts, sentiment_by


def _responses(engine, rows):
    engine.execute("CREATE TABLE voc_responses (response_id BIGINT, queue VARCHAR, verbatim VARCHAR)")
    for row in rows:
        engine.execute("INSERT INTO voc_responses VALUES (?, ?, ?)", list(row))


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("Useless. Waited an hour and nobody helped, terrible.", -1),
        ("Great service, really helpful and friendly, thank you!", 1),
        ("I called on Monday about my order.", 0),
    ],
)
def test_sign_of_clear_texts(text, sign):
    """Clearly negative, positive and neutral texts get the right sign (VADER's ±0.05 convention)."""
    (score,) = score_texts([text])
    assert (score >= 0.05) - (score <= -0.05) == sign


def test_null_and_blank_verbatims_stay_null(engine):
    """A response without a verbatim (NULL or blanks) has no sentiment."""
    _responses(engine, [(1, "a", None), (2, "a", "   "), (3, "a", "Terrible, awful wait.")])
    stats = add_sentiment(engine)
    assert stats == {"method": METHOD, "scored": 1, "distinct_texts": 1}
    got = engine.fetchall("SELECT response_id, sentiment FROM voc_responses ORDER BY 1")
    assert got[0][1] is None and got[1][1] is None and got[2][1] < -0.05


def test_distinct_text_scoring_equals_row_by_row(engine):
    """Scoring each distinct text once gives every row the score it would get alone."""
    texts = ["The wait was ridiculous.", "Quick and helpful, thanks.", "The wait was ridiculous.", "ok", "OK"]
    _responses(engine, [(i, "q", t) for i, t in enumerate(texts)])
    stats = add_sentiment(engine)
    assert stats["distinct_texts"] == 4 and stats["scored"] == 5
    got = [r[0] for r in engine.fetchall("SELECT sentiment FROM voc_responses ORDER BY response_id")]
    assert got == [score_texts([t])[0] for t in texts]


def test_refreshing_replaces_the_column(engine):
    """Running twice is the same as once (the column is recomputed, not duplicated)."""
    _responses(engine, [(1, "q", "Terrible.")])
    add_sentiment(engine)
    engine.execute("UPDATE voc_responses SET verbatim = 'Wonderful!'")
    add_sentiment(engine)
    assert engine.scalar("SELECT sentiment FROM voc_responses") > 0.05


def test_sentiment_by_segment(engine):
    """Per value: responses, scored verbatims, mean and the negative share (at or below -0.05)."""
    _responses(
        engine,
        [
            (1, "billing", "Terrible, awful."),
            (2, "billing", "Great, thanks!"),
            (3, "billing", None),
            (4, "sales", None),
        ],
    )
    add_sentiment(engine)
    rows = sentiment_by(engine, "voc_responses", "queue")
    assert [r["value"] for r in rows] == ["billing", "sales"]
    billing, sales = rows
    assert (billing["responses"], billing["verbatims"], billing["negative_share"]) == (3, 2, 0.5)
    assert sales["verbatims"] == 0 and sales["mean_sentiment"] is None and sales["negative_share"] is None
