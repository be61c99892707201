"""Post-contact CSAT surveys whose scores fall with the friction the customer met, with short verbatims.

The score is 1-5 around 4.6, minus the friction so far in the journey (earlier contacts, transfers, a long
wait, repeating details, still not resolved). The verbatim names the worst of those, so voice-of-customer
analysis has something true to find.
"""

from __future__ import annotations

import numpy as np

# Drivers, in the order the verbatim picks them (the first that applies).
DRIVERS = ("unresolved", "repeat", "pending", "transfers", "context", "wait", "none")
TEMPLATES = {
    "unresolved": (
        "Still not sorted. My {reason} problem is exactly where it was.",
        "Nobody fixed my {reason} issue.",
    ),
    "repeat": (
        "I have contacted you several times about {reason}.",
        "Again and again about the same {reason} thing.",
    ),
    "pending": (
        "Waiting on a case about {reason}, no update.",
        "Told someone would get back to me on {reason}.",
    ),
    "transfers": (
        "Passed from one team to another about {reason}.",
        "Transferred around before anyone could help.",
    ),
    "context": (
        "Had to repeat my details again after being handed over.",
        "Why ask me to identify myself twice?",
    ),
    "wait": ("Waited far too long in the queue.", "The wait was ridiculous."),
    "none": ("Quick and helpful, thanks.", "Sorted out my {reason} straight away."),
}
VERBATIM_P = 0.6


def survey_scores(
    rng: np.random.Generator,
    *,
    prior: np.ndarray,
    transfers: np.ndarray,
    long_wait: np.ndarray,
    context: np.ndarray,
    unresolved: np.ndarray,
    pending: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Scores 1-5 and a verbatim code per response (-1: no verbatim); see :func:`verbatims`."""
    n = prior.size
    mean = (
        4.6
        - 0.6 * np.minimum(prior, 3)
        - 0.4 * np.minimum(transfers, 3)
        - 0.6 * long_wait
        - 0.5 * context
        - 1.8 * unresolved
        - 0.7 * pending
    )
    score = np.clip(np.rint(mean + rng.normal(0.0, 0.7, n)), 1, 5).astype(np.int64)
    driver = np.select(
        [unresolved, prior > 0, pending, transfers > 0, context, long_wait],
        list(range(6)),
        default=len(DRIVERS) - 1,
    )
    driver = np.where((driver == len(DRIVERS) - 1) & (score < 4), DRIVERS.index("wait"), driver)
    variant = rng.integers(0, 2, n)
    code = driver * 2 + variant
    return score, np.where(rng.random(n) < VERBATIM_P, code, -1)


def verbatims(reasons: list[str]) -> list[str]:
    """The verbatim texts: code ``driver * 2 + variant`` for each reason, laid out reason-major."""
    out: list[str] = []
    for reason in reasons:
        label = reason.replace("_", " ")
        for driver in DRIVERS:
            out.extend(text.format(reason=label) for text in TEMPLATES[driver])
    return out


def verbatim_index(code: np.ndarray, reason: np.ndarray) -> np.ndarray:
    """Index into :func:`verbatims` for each response (-1 stays -1)."""
    per_reason = len(DRIVERS) * 2
    return np.where(code >= 0, reason * per_reason + code, -1)
