"""Post-contact CSAT surveys whose scores fall with the friction the customer met, with short verbatims.

The score is 1-5 around 4.6, minus the friction so far in the journey (earlier contacts, transfers, a long
wait, repeating details, still not resolved), plus any planted ``survey_drop`` shift. The verbatim names the
worst of those in one of several phrasings, so voice-of-customer analysis has something true to find, worded
the many ways customers word it.
"""

from __future__ import annotations

import numpy as np

# Drivers, in the order the verbatim picks them (the first that applies).
DRIVERS = ("unresolved", "repeat", "pending", "transfers", "context", "wait", "none")
#: Phrasings per driver; each driver has exactly this many, so a code is ``driver * PHRASINGS + phrasing``.
PHRASINGS = 6
TEMPLATES = {
    "unresolved": (
        "Still not sorted. My {reason} problem is exactly where it was.",
        "Nobody fixed my {reason} issue.",
        "The call ended and nothing had actually been done about my {reason}.",
        "They closed it off but my {reason} problem is still there.",
        "Hung up on with no answer, the {reason} issue is unresolved.",
        "Was told it was sorted. It isn't. {reason} still broken.",
    ),
    "repeat": (
        "I have contacted you several times about {reason}.",
        "Again and again about the same {reason} thing.",
        "This is the third time I'm calling about {reason}.",
        "I already explained this {reason} problem last time I got in touch.",
        "Yet another contact about {reason}. Why does it take so many?",
        "Had to chase you again, same {reason} issue as before.",
    ),
    "pending": (
        "Waiting on a case about {reason}, no update.",
        "Told someone would get back to me on {reason}.",
        "Promised a call back that never came about my {reason}.",
        "My {reason} request has been sitting with another department for days.",
        "They raised a ticket for {reason} and I have heard nothing since.",
        "Still no news on the {reason} case they opened.",
    ),
    "transfers": (
        "Passed from one team to another about {reason}.",
        "Transferred around before anyone could help.",
        "Bounced between departments, nobody owned my {reason} question.",
        "Put through to one person after another.",
        "Got sent to the wrong team first, then moved on again.",
        "Every agent passed me on to someone else.",
    ),
    "context": (
        "Had to repeat my details again after being handed over.",
        "Why ask me to identify myself twice?",
        "Had to give my account number again after being put through.",
        "Went through security once and then had to do it all over again.",
        "The second person had no idea what I had already told the first.",
        "Gave my details to the automated system, then had to give them all again.",
    ),
    "wait": (
        "Waited far too long in the queue.",
        "The wait was ridiculous.",
        "On hold for 40 minutes before anyone picked up.",
        "Sat in the queue forever listening to the same music.",
        "Took ages to get through to a person.",
        "Far too long waiting to speak to someone about {reason}.",
    ),
    "none": (
        "Quick and helpful, thanks.",
        "Sorted out my {reason} straight away.",
        "Friendly agent, problem solved first time.",
        "Easy, fast and the {reason} question was answered.",
        "Great service, no complaints.",
        "Really helpful, thank you for sorting my {reason} so quickly.",
    ),
}
assert all(len(t) == PHRASINGS for t in TEMPLATES.values()), "every driver needs PHRASINGS templates"
VERBATIM_P = 0.6


def survey_scores(
    rng: np.random.Generator,
    voice: np.random.Generator,
    *,
    prior: np.ndarray,
    transfers: np.ndarray,
    long_wait: np.ndarray,
    context: np.ndarray,
    unresolved: np.ndarray,
    pending: np.ndarray,
    shift: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scores 1-5, scores without ``shift``, the driver and the verbatim code per response (-1: none).

    ``shift`` (points on the mean, per response; a planted ``survey_drop``) moves the score only: it draws
    nothing and leaves the driver and verbatim as they were. ``voice`` is the phrasing's stream of its own,
    so the centre's draws (``rng``) are those of the two-phrasing simulator. See :func:`verbatims`.
    """
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
    noisy = mean + rng.normal(0.0, 0.7, n)
    base = np.clip(np.rint(noisy), 1, 5).astype(np.int64)
    score = base if shift is None else np.clip(np.rint(noisy + shift), 1, 5).astype(np.int64)
    driver = np.select(
        [unresolved, prior > 0, pending, transfers > 0, context, long_wait],
        list(range(6)),
        default=len(DRIVERS) - 1,
    )
    driver = np.where((driver == len(DRIVERS) - 1) & (base < 4), DRIVERS.index("wait"), driver)
    pair = rng.integers(0, 2, n)  # the old two-phrasing draw: one half of the phrasing
    phrasing = pair + 2 * voice.integers(0, PHRASINGS // 2, n)
    code = driver * PHRASINGS + phrasing
    return score, base, driver, np.where(rng.random(n) < VERBATIM_P, code, -1)


def verbatims(reasons: list[str]) -> list[str]:
    """The verbatim texts: code ``driver * PHRASINGS + phrasing`` for each reason, laid out reason-major."""
    out: list[str] = []
    for reason in reasons:
        label = reason.replace("_", " ")
        for driver in DRIVERS:
            out.extend(text.format(reason=label) for text in TEMPLATES[driver])
    return out


def verbatim_index(code: np.ndarray, reason: np.ndarray) -> np.ndarray:
    """Index into :func:`verbatims` for each response (-1 stays -1)."""
    per_reason = len(DRIVERS) * PHRASINGS
    return np.where(code >= 0, reason * per_reason + code, -1)


def verbatim_driver(index: np.ndarray) -> np.ndarray:
    """The driver code (into ``DRIVERS``) of each :func:`verbatims` index (-1 stays -1)."""
    return np.where(index >= 0, (index % (len(DRIVERS) * PHRASINGS)) // PHRASINGS, -1)
