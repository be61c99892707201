"""Sentiment of survey verbatims, offline: VADER's lexicon, shipped inside its wheel, scores each text.

VADER (Hutto & Gilbert, 2014; ``vaderSentiment`` 3.3.2, MIT licence) is a rule-based scorer over a
7,500-word lexicon (``vader_lexicon.txt``, 434 KB, inside the package: nothing is downloaded at run time).
It reads negation ("not helpful"), intensifiers ("far too long"), capitals and punctuation, and returns a
*compound* score in −1..1; a text at or below −0.05 is negative and at or above 0.05 positive, VADER's own
convention. It is English only: other languages score near 0.

Each distinct text is scored once in Python and joined back in SQL: survey exports repeat many texts
("Thanks", "Very helpful"), so 100k responses cost as much as their distinct texts (about 7 s per 100k
distinct short texts, on one core of a 2-core machine).

>>> score_texts(["The wait was ridiculous.", "Quick and helpful, thanks.", "I called on Monday."])
[-0.3612, 0.6908, 0.0]
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any, Final

from typing_extensions import TypedDict
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # type: ignore[import-untyped, unused-ignore]

from .. import schema as S
from ..engine import Engine, arrow_from_lists
from ..sql import ident, num

#: What scores the verbatims, as the diagnosis states it.
METHOD: Final = "VADER 3.3.2 (MIT), lexicon-based, English"
#: The column :func:`add_sentiment` adds.
SENTIMENT: Final = "sentiment"
#: At or below this compound score a verbatim is negative (VADER's convention).
NEGATIVE_AT: Final = -0.05

_STAGED: Final = "_cxray_voc_sentiment_texts"


class SentimentStats(TypedDict):
    """What :func:`add_sentiment` did: the method, responses scored, distinct texts scored."""

    method: str
    scored: int
    distinct_texts: int


class SentimentSegment(TypedDict):
    """Sentiment of one value of a dimension (a queue, a channel, a week)."""

    value: Any
    responses: int
    verbatims: int  # responses with a scored verbatim
    mean_sentiment: float | None
    negative_share: float | None  # share of scored verbatims at or below NEGATIVE_AT


@cache
def _analyzer() -> Any:
    return SentimentIntensityAnalyzer()


def score_texts(texts: Iterable[str]) -> list[float]:
    """VADER's compound score (−1..1) of each text, in order."""
    analyzer = _analyzer()
    return [float(analyzer.polarity_scores(t)["compound"]) for t in texts]


def add_sentiment(
    engine: Engine,
    table: str = "voc_responses",
    column: str = SENTIMENT,
    *,
    verbatim: str = S.VERBATIM,
) -> SentimentStats:
    """Add (or refresh) ``column DOUBLE`` on ``table``: the compound sentiment of its ``verbatim``.

    NULL where there is no verbatim (NULL, or only blanks). Only the distinct texts leave the engine; each
    is scored once and the scores come back through Arrow, joined on the text.

    >>> from cxray.engine import Engine
    >>> with Engine() as e:
    ...     e.execute("CREATE TABLE r AS FROM (VALUES ('Useless.'), ('Useless.'), (NULL)) t(verbatim)")
    ...     add_sentiment(e, "r")
    ...     e.fetchall("SELECT sentiment FROM r")
    {'method': 'VADER 3.3.2 (MIT), lexicon-based, English', 'scored': 2, 'distinct_texts': 1}
    [(-0.4215,), (-0.4215,), (None,)]
    """
    t, c, v = ident(table), ident(column), ident(verbatim)
    texts = [
        str(r[0]) for r in engine.fetchall(f"SELECT DISTINCT {v} FROM {t} WHERE trim({v}) <> '' ORDER BY {v}")
    ]
    staged = arrow_from_lists({"text": ("VARCHAR", texts), "score": ("DOUBLE", score_texts(texts))})
    engine.execute(f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS {c} DOUBLE")
    engine.register(_STAGED, staged)
    try:
        engine.execute(f"UPDATE {t} SET {c} = NULL")
        engine.execute(f"UPDATE {t} SET {c} = s.score FROM {_STAGED} s WHERE {t}.{v} = s.text")
    finally:
        engine.unregister(_STAGED)
    scored = int(engine.scalar(f"SELECT count({c}) FROM {t}"))
    return SentimentStats(method=METHOD, scored=scored, distinct_texts=len(texts))


def sentiment_by(
    engine: Engine, table: str, dimension: str, *, column: str = SENTIMENT
) -> list[SentimentSegment]:
    """Sentiment per value of ``dimension`` (most responses first, then the value; NULL last).

    ``negative_share`` and ``mean_sentiment`` are over the responses with a scored verbatim, None where
    a value has none.

    >>> from cxray.engine import Engine
    >>> with Engine() as e:
    ...     e.execute("CREATE TABLE r AS SELECT * FROM (VALUES ('q1', -0.5), ('q1', 0.5), ('q2', NULL)) "
    ...               "t(queue, sentiment)")
    ...     sentiment_by(e, "r", "queue")
    [{'value': 'q1', 'responses': 2, 'verbatims': 2, 'mean_sentiment': 0.0, 'negative_share': 0.5}, \
{'value': 'q2', 'responses': 1, 'verbatims': 0, 'mean_sentiment': None, 'negative_share': None}]
    """
    d, c = ident(dimension), ident(column)
    rows = engine.fetchall(
        f"""
        SELECT {d}, count(*), count({c}), avg({c}),
               count(*) FILTER (WHERE {c} <= {num(NEGATIVE_AT)}) / nullif(count({c}), 0)
        FROM {ident(table)} GROUP BY 1 ORDER BY 2 DESC, 1 NULLS LAST
        """
    )
    return [
        SentimentSegment(
            value=value,
            responses=int(n),
            verbatims=int(k),
            mean_sentiment=None if mean is None else round(float(mean), 4),
            negative_share=None if neg is None else round(float(neg), 4),
        )
        for value, n, k, mean, neg in rows
    ]


__all__ = [
    "METHOD",
    "NEGATIVE_AT",
    "SENTIMENT",
    "SentimentSegment",
    "SentimentStats",
    "add_sentiment",
    "score_texts",
    "sentiment_by",
]
