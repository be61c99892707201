"""What a centre's systems call the simulator's steps: the same behaviour, recorded under other names.

Real systems never share a vocabulary: the bot logs ``Bot authenticated``, the agent desktop ``Security
check``, another centre ``ID&V``. A scenario's ``vocabulary`` renames the built-in activities (``events.
ACTIVITIES``) when the log is written, for every actor or per actor type, so a detector tuned to the
built-in names cannot pass a held-out centre. A name may be a list of synonyms: each seed draws one, from a
random stream of its own, so the centre's behaviour (every other draw) does not change with the names.

>>> agent = ["ID&V", "KBA check"]
>>> v = Vocabulary.from_mapping({"Authenticate": {"bot": "Bot authenticated", "agent": agent}})
>>> names = v.draw(seed=1)
>>> names["Authenticate"]["bot"], names["Authenticate"]["agent"] in agent
('Bot authenticated', True)
>>> Vocabulary().draw(seed=1)
{}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import schema as S
from .events import ACTIVITIES

#: The key of a name that applies to every actor type.
EVERY_ACTOR = "*"
_STREAM = 20261127  # the names' random stream: [seed, _STREAM]

#: Resolved names: built-in activity -> actor type -> the name the log shows (only renamed activities).
Names = dict[str, dict[str, str]]


class VocabularyError(ValueError):
    """A vocabulary mistake; the loader re-raises it as a ConfigError naming the file."""


@dataclass(frozen=True)
class Vocabulary:
    """Built-in activity -> actor type (or ``"*"``: every actor) -> candidate names (one drawn per seed).

    Empty (the default) is the identity: the log shows the built-in names, and no random draw is made.
    """

    renames: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, raw: Any) -> Vocabulary:
        """Read the YAML form: ``activity: name | [synonyms] | {actor_type: name | [synonyms]}``.

        Raises :class:`VocabularyError` for an unknown activity or actor type, an empty name or list, or
        a name that two different built-in activities could both show.
        """
        if not isinstance(raw, dict):
            raise VocabularyError("vocabulary: expected a mapping of built-in activity -> name(s)")
        renames: dict[str, dict[str, tuple[str, ...]]] = {}
        for activity, value in raw.items():
            where = f"vocabulary.{activity}"
            if activity not in ACTIVITIES:
                raise VocabularyError(f"{where}: unknown activity (built-in: {', '.join(ACTIVITIES)})")
            per_actor = value if isinstance(value, dict) else {EVERY_ACTOR: value}
            if not per_actor:
                raise VocabularyError(f"{where}: expected a name, a list of names or actor_type -> names")
            out = {}
            for actor, names in per_actor.items():
                if actor != EVERY_ACTOR and actor not in S.ACTOR_TYPES:
                    raise VocabularyError(
                        f"{where}.{actor}: unknown actor type (known: {', '.join(S.ACTOR_TYPES)})"
                    )
                out[str(actor)] = _names(names, f"{where}.{actor}" if actor != EVERY_ACTOR else where)
            renames[str(activity)] = out
        vocabulary = cls(renames)
        vocabulary._check_distinct()
        return vocabulary

    def _check_distinct(self) -> None:
        """No name may stand for two built-in activities (the log could not tell them apart)."""
        shown: dict[str, str] = {}
        for activity in ACTIVITIES:
            per_actor = self.renames.get(activity, {})
            names = {n for candidates in per_actor.values() for n in candidates}
            if EVERY_ACTOR not in per_actor:
                names.add(activity)  # some actor may still show the built-in name
            for name in names:
                other = shown.setdefault(name, activity)
                if other != activity:
                    raise VocabularyError(
                        f"vocabulary: {name!r} would stand for both {other!r} and {activity!r}"
                    )

    def draw(self, seed: int) -> Names:
        """One name per renamed (activity, actor type) for this seed; ``{}`` for the identity."""
        if not self.renames:
            return {}
        rng = np.random.default_rng(np.random.SeedSequence([seed, _STREAM]))
        out: Names = {}
        for activity, per_actor in self.renames.items():
            chosen = {
                actor: c[int(rng.integers(len(c)))] if len(c) > 1 else c[0] for actor, c in per_actor.items()
            }
            every = chosen.pop(EVERY_ACTOR, None)
            out[activity] = {
                t: chosen.get(t, every if every is not None else activity) for t in S.ACTOR_TYPES
            }
        return out


def shown(names: Names, activity: str, actor_type: str) -> str:
    """The name the log shows for a built-in ``activity`` done by ``actor_type``."""
    return names.get(activity, {}).get(actor_type, activity)


def _names(value: Any, where: str) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise VocabularyError(f"{where}: expected a non-empty name or a non-empty list of names")
    return tuple(values)
