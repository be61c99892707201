"""Step kinds: what an activity *is* (verify identity, hold, transfer...), whatever a system calls it.

Real systems never share a vocabulary: the bot logs ``Bot authenticated``, the agent desktop ``Security
check``, another centre ``ID&V`` or ``Verifizierung``. Detectors that look for the same work done twice
compare kinds, so that the two legs need not use the same words. The vocabulary is data,
``step_kinds.yaml`` beside this module (each kind with its phrases); a user file adds phrases, new kinds,
exact activity names, or overrides a built-in phrase (docs/step-kinds.md).

A phrase matches a name word by word, after both are folded the same way (:func:`words`): accents dropped,
case folded, camelCase split, every run of punctuation a single space. The phrase with the most words wins,
then the one that starts earlier in the name, then the one listed first (a user's before the built-ins).

>>> step_kind("ID&V"), step_kind("Bot authenticated"), step_kind("Vérification")
('authenticate', 'authenticate', 'authenticate')
>>> step_kind("Queued - Awaiting Assignment"), step_kind("Accepted - Wait - User")
('queue_wait', 'hold')
>>> step_kind("Transfer funds") is None, step_kind("Authorise refund") is None
(True, True)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from .. import schema as S
from ..engine import Engine, arrow_from_lists
from ..errors import ConfigError
from ..sql import ident
from ..yamlio import load_yaml

#: Column of the table :func:`stage_step_kinds` writes, beside ``activity``.
STEP_KIND: Final = "step_kind"
#: What a user file may write for "this name has no kind" under ``activities``.
OTHER: Final = "other"

_BUILTIN: Final = "step_kinds.yaml"
_TOP_KEYS: Final = ("builtin", "kinds", "other", "activities")
_KIND_KEYS: Final = ("label", "description", "match")
_KIND_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[^\W_]+")
_PATTERN_WORD = re.compile(r"\*?[^\W_]+\*?|\*+")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", _CAMEL.sub(" ", text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(name: str) -> str:
    """``name`` as the matcher sees it: lower-case words without accents, one space apart.

    >>> words("ID&V"), words("Wait - User"), words("VerifyCaller"), words("Identitätsprüfung")
    ('id v', 'wait user', 'verify caller', 'identitatsprufung')
    """
    return " ".join(_WORD.findall(_fold(name)))


@dataclass(frozen=True)
class StepKind:
    """One kind of step: its id (``authenticate``), a label for people and the phrases that name it."""

    name: str
    label: str
    description: str
    match: tuple[str, ...]


@dataclass(frozen=True)
class _Rule:
    kind: str | None  # None: an "other" phrase, the name has no kind
    words: tuple[str, ...]  # folded pattern words, each may start or end with *
    order: int


class StepKinds:
    """A vocabulary of step kinds: phrases per kind, "other" phrases, exact activity names.

    Build it with :meth:`builtin` or :meth:`from_yaml` (a user file over the built-ins); ask it with
    :meth:`kind` or :meth:`classify`.

    >>> kinds = StepKinds.builtin()
    >>> kinds.classify(["Security check", "Take in charge ticket", "Assign seriousness"])
    {'Security check': 'authenticate', 'Take in charge ticket': 'assignment', 'Assign seriousness': None}
    """

    def __init__(
        self,
        kinds: Iterable[StepKind],
        *,
        other: Iterable[str] = (),
        activities: Mapping[str, str | None] | None = None,
        first: Iterable[tuple[str | None, str]] = (),
        path: str | Path | None = None,
    ) -> None:
        self.kinds: dict[str, StepKind] = {k.name: k for k in kinds}
        self.other: tuple[str, ...] = tuple(other)
        self.path = str(path) if path is not None else None
        self.activities: dict[str, str | None] = {}
        for name, kind in (activities or {}).items():
            if kind is not None and kind not in self.kinds:
                raise ConfigError(f"activities: {name!r} has unknown kind {kind!r}", path=path)
            self.activities[words(name)] = kind
        rules: list[_Rule] = []
        seen: set[tuple[str, ...]] = set()
        phrases = [(k.name, p) for k in self.kinds.values() for p in k.match]
        for kind, phrase in [*first, *phrases, *((None, p) for p in self.other)]:
            if kind is not None and kind not in self.kinds:
                raise ConfigError(f"phrase {phrase!r} names unknown kind {kind!r}", path=path)
            pattern = _pattern(phrase, path=path)
            if pattern not in seen:  # the first listing of a phrase wins: a user's over a built-in
                seen.add(pattern)
                rules.append(_Rule(kind, pattern, len(rules)))
        # Candidates by the first two letters of the phrase's first word; the rest are tried everywhere.
        self._index: dict[str, list[_Rule]] = {}
        self._loose: list[_Rule] = []
        for r in rules:
            head = r.words[0]
            if head.startswith("*") or len(head.rstrip("*")) < 2:
                self._loose.append(r)
            else:
                self._index.setdefault(head[:2], []).append(r)
        self._cache: dict[str, str | None] = {}

    # --- construction -------------------------------------------------------------------------------
    @classmethod
    def builtin(cls) -> StepKinds:
        """The vocabulary shipped with cxray (``step_kinds.yaml``), read once."""
        return _builtin()

    @classmethod
    def of_run(cls, path: str | Path | None) -> StepKinds:
        """A run's vocabulary: the file of ``AnalysisOptions.step_kinds`` over the built-in one, if any."""
        return cls.from_yaml(path) if path else cls.builtin()

    @classmethod
    def from_yaml(cls, path: str | Path) -> StepKinds:
        """A user file over the built-in vocabulary (``builtin: false`` in the file: over nothing).

        Raises :class:`~cxray.errors.ConfigError` naming the file for unreadable or invalid YAML.
        """
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read step kinds: {exc}", path=p) from None
        return cls.from_dict(load_yaml(text, path=p), path=p)

    @classmethod
    def from_dict(cls, data: Any, *, path: str | Path | None = None) -> StepKinds:
        """Validate a parsed user file (see :meth:`from_yaml`) and lay it over the built-ins."""

        def fail(message: str) -> ConfigError:
            return ConfigError(message, path=path)

        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise fail("step kinds must be a mapping with 'kinds', 'other' or 'activities'")
        unknown = sorted(set(data) - set(_TOP_KEYS))
        if unknown:
            raise fail(f"unknown key {unknown[0]!r} (allowed: {', '.join(_TOP_KEYS)})")
        use_builtin = data.get("builtin", True)
        if not isinstance(use_builtin, bool):
            raise fail(f"builtin: expected true or false, got {use_builtin!r}")
        base = cls.builtin() if use_builtin else None
        user = _kinds(data.get("kinds"), fail)
        merged: list[StepKind] = []
        for name in [*user, *(base.kinds if base else {})]:
            if any(k.name == name for k in merged):
                continue
            mine, theirs = user.get(name), base.kinds.get(name) if base else None
            merged.append(_merge(name, mine, theirs))
        user_other = _strings(data.get("other", []), "other", fail)
        other = [*user_other, *(base.other if base else ())]
        activities = dict(base.activities) if base else {}
        raw = data.get("activities") or {}
        if not isinstance(raw, dict):
            raise fail("activities: expected a mapping of activity name to kind")
        for name, kind in raw.items():
            if not isinstance(name, str) or not (kind is None or isinstance(kind, str)):
                raise fail(f"activities: expected 'name: kind', got {name!r}: {kind!r}")
            activities[name] = None if kind in (None, OTHER) else kind
        # The user's phrases are tried first: the same phrase, or a tie, goes to the user's kind.
        first: list[tuple[str | None, str]] = [(n, p) for n, body in user.items() for p in body["match"]]
        first += [(None, p) for p in user_other]
        return cls(merged, other=other, activities=activities, first=first, path=path)

    # --- asking -------------------------------------------------------------------------------------
    def kind(self, name: str | None) -> str | None:
        """The kind of one activity name, or None when no phrase names it (or an "other" phrase wins)."""
        if name is None:
            return None
        if name not in self._cache:
            self._cache[name] = self._classify(name)
        return self._cache[name]

    def classify(self, names: Iterable[str]) -> dict[str, str | None]:
        """``{name: kind or None}`` for each name."""
        return {name: self.kind(name) for name in names}

    def label(self, kind: str) -> str:
        """The kind's label for people (``verify identity``); the id when the kind is unknown."""
        k = self.kinds.get(kind)
        return k.label if k else kind

    def _classify(self, name: str) -> str | None:
        folded = words(name)
        if folded in self.activities:
            return self.activities[folded]
        tokens = folded.split()
        best: tuple[int, int, int] | None = None
        rule: _Rule | None = None
        for i, token in enumerate(tokens):
            for r in (*self._index.get(token[:2], ()), *self._loose):
                if i + len(r.words) <= len(tokens) and all(
                    _word_matches(w, t) for w, t in zip(r.words, tokens[i:], strict=False)
                ):
                    key = (-len(r.words), i, r.order)
                    if best is None or key < best:
                        best, rule = key, r
        return rule.kind if rule else None


def step_kind(name: str | None) -> str | None:
    """The built-in kind of an activity name (``"Security check"`` → ``"authenticate"``), or None."""
    return StepKinds.builtin().kind(name)


def stage_step_kinds(
    engine: Engine,
    table: str,
    *,
    kinds: StepKinds | None = None,
    source: str = S.EVENTS_TABLE,
) -> str:
    """Create temp table ``table`` (``activity, step_kind``): one row per distinct activity of ``source``.

    ``step_kind`` is NULL for a name with no kind. Only the distinct names leave the engine; each is
    classified once in Python, and the table comes back through Arrow. Returns ``table``.
    """
    vocabulary = kinds or StepKinds.builtin()
    names = [
        str(r[0])
        for r in engine.fetchall(
            f"SELECT DISTINCT {ident(S.ACTIVITY)} FROM {ident(source)} WHERE {ident(S.ACTIVITY)} IS NOT NULL"
        )
    ]
    found = vocabulary.classify(names)
    staged = arrow_from_lists(
        {S.ACTIVITY: ("VARCHAR", names), STEP_KIND: ("VARCHAR", [found[n] for n in names])}
    )
    engine.copy_in(table, staged)
    return table


# --- helpers ------------------------------------------------------------------------------------------
@cache
def _builtin() -> StepKinds:
    resource = resources.files(__package__ or "cxray.process").joinpath(_BUILTIN)
    where = f"cxray/process/{_BUILTIN}"
    data = load_yaml(resource.read_text(encoding="utf-8"), path=where)

    def fail(message: str) -> ConfigError:
        return ConfigError(message, path=where)

    if not isinstance(data, dict) or set(data) - {"kinds", "other"}:
        raise fail("expected 'kinds' and 'other'")
    kinds = _kinds(data.get("kinds"), fail)
    return StepKinds(
        [_merge(n, k, None) for n, k in kinds.items()],
        other=_strings(data.get("other", []), "other", fail),
        path=where,
    )


def _kinds(raw: Any, fail: Any) -> dict[str, dict[str, Any]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise fail("kinds: expected a mapping of kind name to its label, description and match")
    out: dict[str, dict[str, Any]] = {}
    for name, body in raw.items():
        if not isinstance(name, str) or not _KIND_NAME.match(name) or name == OTHER:
            raise fail(f"kinds: {name!r} is not a kind name (lower case, digits, _; not 'other')")
        body = body or {}
        if not isinstance(body, dict):
            raise fail(f"kinds.{name}: expected a mapping with {', '.join(_KIND_KEYS)}")
        unknown = sorted(set(body) - set(_KIND_KEYS))
        if unknown:
            raise fail(f"kinds.{name}: unknown key {unknown[0]!r} (allowed: {', '.join(_KIND_KEYS)})")
        for key in ("label", "description"):
            if key in body and not isinstance(body[key], str):
                raise fail(f"kinds.{name}.{key}: expected text, got {body[key]!r}")
        out[name] = {**body, "match": _strings(body.get("match", []), f"kinds.{name}.match", fail)}
    return out


def _strings(raw: Any, where: str, fail: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(s, str) and s.strip() for s in raw):
        raise fail(f"{where}: expected a list of phrases, got {raw!r}")
    return tuple(raw)


def _merge(name: str, mine: dict[str, Any] | None, theirs: StepKind | None) -> StepKind:
    mine = mine or {}
    return StepKind(
        name=name,
        label=mine.get("label") or (theirs.label if theirs else name.replace("_", " ")),
        description=mine.get("description") or (theirs.description if theirs else ""),
        match=(*mine.get("match", ()), *(theirs.match if theirs else ())),
    )


def _pattern(phrase: str, *, path: str | Path | None) -> tuple[str, ...]:
    found = tuple(_PATTERN_WORD.findall(_fold(phrase)))
    if not found or any(not w.strip("*") for w in found):
        raise ConfigError(f"phrase {phrase!r} has no words to match (a lone * is not allowed)", path=path)
    return found


def _word_matches(pattern: str, token: str) -> bool:
    """``verif*`` matches ``verified``, ``*verifizierung`` matches ``kundenverifizierung``."""
    head, tail = pattern.startswith("*"), pattern.endswith("*")
    if not head and not tail:
        return pattern == token
    core = pattern.strip("*")
    if head and tail:
        return core in token
    return token.endswith(core) if head else token.startswith(core)


__all__ = ["OTHER", "STEP_KIND", "StepKind", "StepKinds", "stage_step_kinds", "step_kind", "words"]
