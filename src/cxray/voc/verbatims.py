"""Verbatims → process steps: each comment placed on the step(s) of its own contact's path it talks about.

A survey programme can count "transfer" in its comments; only the event log can say *which* transfer. So a
verbatim is read for its themes (``themes.yaml`` beside this module: regular expressions per theme, and the
steps each theme points at), and each theme is placed on the contact that answered the survey:

- ``verification`` ("had to give my details twice", "why identify myself twice?") lands on the *repeat* of
  the ``authenticate`` (else ``gather_details``) step where the path has one - the second verification is
  the one the customer means - else on the verification step itself;
- ``transfer`` on the path's ``transfer`` steps, else its escalations, else its handoffs (a step whose
  queue, else team, differs from the previous one known);
- ``wait`` on its queue waits or holds; ``status`` on its status checks, callbacks, holds, else its last
  step (where the case was left);
- ``repeat_contact`` on the contact's first agent step (this contact is the repeat); ``unresolved`` on its
  last resolution step, else the step that claimed a resolution, else its last step; ``praise`` on the
  step that resolved it.

A verbatim no theme matches is ``unmapped`` and counted, never put down as "poor service"; one whose theme
finds no such step on its path (or whose response matched no contact) is ``unplaced``. Only the distinct
texts are read in Python; the placing is one set-based join to the contacts' ordered events.

>>> Themes.builtin().classify("Had to give my details twice after being transferred")
['verification']
>>> Themes.builtin().classify("Waiting on a case, no update. Transferred twice and on hold for ages!")
['status', 'transfer', 'wait']
>>> Themes.builtin().classify("Poor service.")
[]
"""

from __future__ import annotations

import re
import re._constants as sre  # the parsed form of a pattern, read only to index it (see _heads)
import re._parser as sre_parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from typing_extensions import TypedDict

from .. import schema as S
from ..engine import Engine, arrow_from_lists
from ..errors import ConfigError
from ..ordered import ordered_events
from ..process.step_kinds import STEP_KIND, StepKinds, stage_step_kinds
from ..sql import ident, in_list, integer, num
from ..yamlio import load_yaml
from .sentiment import NEGATIVE_AT, SENTIMENT

#: The table :func:`map_verbatims` leaves: one row per (response, theme, step) placed.
VERBATIM_STEPS: Final = "voc_verbatim_steps"
#: Columns of ``voc_responses`` read here that the event log does not have.
RESPONSE_ID: Final = "response_id"
SCORE: Final = "score"

_BUILTIN: Final = "themes.yaml"
_TEXTS: Final = "_cxray_voc_text_themes"
_KINDS: Final = "_cxray_voc_kinds"
_PATH: Final = "_cxray_voc_path"
#: Targets, as ``themes.yaml`` writes them: with a step kind (``kind:transfer``) or alone.
_KIND_RULES: Final = {"repeat", "kind", "last"}
_PLAIN_RULES: Final = {"handoff", "first_agent", "resolved", "first", "last"}
#: Kinds that are never the step a comment is about (the survey itself, the agent's wrap-up).
_NOT_STEPS: Final = ("survey", "after_contact_work")
_RESOLVING: Final = (S.RESOLVED, S.CONTAINED, S.CLOSED)
_HUMAN: Final = (S.AGENT, S.BACK_OFFICE)
_NEGATIONS: Final = frozenset({"not", "no", "never", "hardly", "nothing", "nor", "far", "without"})
_HEAD: Final = 3  # letters of a word that index the patterns that can start with it
_WORD_CHARS: Final = re.compile(r"[a-z0-9']")
_WORD_START: Final = re.compile(r"\b(?=\w)")  # where a pattern that starts with \b can match
_HEAD_AT: Final = re.compile(rf"[a-z0-9']{{1,{_HEAD}}}")
_QUOTES: Final = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


class StepVoiceDoc(TypedDict):
    """One step of the operation and what customers said about it (``voc.steps`` in diagnosis.json)."""

    activity: str
    kind: str | None
    theme: str
    verbatims: int  # responses placed on this step with this theme
    negative_share: float | None  # of those with a scored verbatim: sentiment at or below -0.05
    mean_score: float | None  # None when the responses mix survey types (their scales differ)
    examples: list[str]  # up to ``examples`` distinct texts, most negative first, then by text


class VerbatimStats(TypedDict):
    """How many verbatims were read, placed on a step, themed without a step, or matched no theme."""

    verbatims: int
    mapped: int
    unplaced: int
    unmapped: int
    by_theme: dict[str, int]


@dataclass(frozen=True)
class Target:
    """Where a theme points on a path: a rule (``repeat``, ``kind``, ``handoff``...) and its step kind."""

    rule: str
    kind: str | None = None


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    targets: tuple[Target, ...]
    weak: bool


@dataclass(frozen=True)
class Theme:
    """A theme: its name, a label for people, the steps it points at and the patterns that find it."""

    name: str
    label: str
    targets: tuple[Target, ...]
    patterns: tuple[_Pattern, ...]
    negatable: bool = False


class Themes:
    """The vocabulary of verbatim themes, in the order they are tried (``themes.yaml``).

    Each pattern is indexed by the first three letters of the words it can start with (read from the
    parsed pattern; a pattern whose start cannot be read is always tried), so a text tries only the
    patterns one of its words could start: the same matches, several times faster.
    """

    def __init__(self, themes: Iterable[Theme]) -> None:
        self.themes: tuple[Theme, ...] = tuple(themes)
        self._always: list[tuple[int, int]] = []  # patterns whose first words cannot be read
        self._index: dict[str, list[tuple[int, int]]] = {}  # a word's first letters -> patterns
        for i, theme in enumerate(self.themes):
            for j, p in enumerate(theme.patterns):
                heads = _pattern_heads(p.regex)
                if heads is None:
                    self._always.append((i, j))
                for head in sorted(heads or ()):
                    self._index.setdefault(head, []).append((i, j))

    @classmethod
    def builtin(cls) -> Themes:
        """The themes shipped with cxray (``themes.yaml``), read once."""
        return _builtin()

    @classmethod
    def from_dict(cls, data: Any, *, path: str | Path | None = None) -> Themes:
        """Validate a parsed themes file; raises :class:`~cxray.errors.ConfigError` naming ``path``."""
        if not isinstance(data, dict) or set(data) != {"themes"} or not isinstance(data["themes"], dict):
            raise ConfigError(
                "expected 'themes': a mapping of theme name to its targets and match", path=path
            )
        return cls(_theme(name, body, path) for name, body in data["themes"].items())

    def classify(self, text: str) -> list[str]:
        """The themes of one text, in the vocabulary's order."""
        return [name for name, _ in self.match(text)]

    def match(self, text: str) -> list[tuple[str, tuple[Target, ...]]]:
        """``(theme, targets)`` for each theme of ``text``: a match takes its words from later themes."""
        norm = " ".join(text.translate(_QUOTES).lower().split())
        # Where each indexed pattern can start: the words with its first letters (None: scan the text).
        starts: dict[tuple[int, int], list[int] | None] = dict.fromkeys(self._always)
        for word in _WORD_START.finditer(norm):
            head = _HEAD_AT.match(norm, word.start())
            for key in self._index.get(head.group() if head else "", ()):
                starts.setdefault(key, []).append(word.start())  # type: ignore[union-attr]
        taken: list[tuple[int, int]] = []
        found: dict[str, tuple[Target, ...]] = {}
        weak: dict[str, tuple[Target, ...]] = {}
        for (i, j), where in sorted(starts.items()):
            theme, p = self.themes[i], self.themes[i].patterns[j]
            for m in p.regex.finditer(norm) if where is None else _matches(p.regex, norm, where):
                start, end = m.span()
                if end == start or any(start < e and s < end for s, e in taken):
                    continue
                if theme.negatable and _negated(norm, start):
                    continue
                if p.weak:
                    weak.setdefault(theme.name, p.targets or theme.targets)
                    continue
                taken.append((start, end))
                found.setdefault(theme.name, p.targets or theme.targets)
        return list((found or weak).items())


def map_verbatims(
    engine: Engine,
    table: str = "voc_responses",
    *,
    step_kinds: StepKinds,
    themes: Themes | None = None,
    examples: int = 3,
) -> tuple[list[StepVoiceDoc], VerbatimStats]:
    """Place each verbatim of ``table`` on the steps of its own contact's path; leave ``voc_verbatim_steps``.

    ``voc_verbatim_steps`` (``response_id, contact_id, theme, kind, activity, step_seq``) has one row per
    (response, theme, step placed), ``step_seq`` the step's 1-based position in its contact's events ordered
    by (timestamp, source_row). Returns one :class:`StepVoiceDoc` per (activity, kind, theme), most
    verbatims first, and the counts. ``negative_share`` reads ``sentiment`` when the table has it
    (:func:`~cxray.voc.sentiment.add_sentiment`).
    """
    vocabulary = themes or Themes.builtin()
    t, v = ident(table), ident(S.VERBATIM)
    has_text = f"trim({v}) <> ''"
    texts = [str(r[0]) for r in engine.fetchall(f"SELECT DISTINCT {v} FROM {t} WHERE {has_text} ORDER BY 1")]
    rows: dict[str, list[Any]] = {"text": [], "theme": [], "rule": [], "kind": [], "rank": []}
    for text in texts:
        for theme, targets in vocabulary.match(text):
            for rank, target in enumerate(targets):
                for key, value in zip(rows, (text, theme, target.rule, target.kind, rank), strict=True):
                    rows[key].append(value)
    staged = arrow_from_lists(
        {
            "text": ("VARCHAR", rows["text"]),
            "theme": ("VARCHAR", rows["theme"]),
            "rule": ("VARCHAR", rows["rule"]),
            "kind": ("VARCHAR", rows["kind"]),
            "rank": ("INTEGER", rows["rank"]),
        }
    )
    engine.copy_in(_TEXTS, staged)
    try:
        _place(engine, t, step_kinds)
        stats = _stats(engine, t, has_text)
        docs = _docs(engine, t, examples=examples, scored=SENTIMENT in engine.columns(table))
    finally:
        for name in (_TEXTS, _PATH, _KINDS):
            engine.execute(f"DROP TABLE IF EXISTS {name}")
    return docs, stats


def _place(engine: Engine, t: str, step_kinds: StepKinds) -> None:
    """Build ``voc_verbatim_steps``: the best-ranked target of each (response, theme) on its path."""
    c, v = ident(S.CONTACT_ID), ident(S.VERBATIM)
    themed = f"SELECT r.{ident(RESPONSE_ID)}, r.{c}, x.* FROM {t} r JOIN {_TEXTS} x ON r.{v} = x.text"
    if not engine.has_table(S.EVENTS_TABLE):
        engine.execute(f"CREATE OR REPLACE TEMP TABLE {VERBATIM_STEPS} AS {_steps_sql(themed, None)} LIMIT 0")
        return
    ordered = ordered_events(engine)
    stage_step_kinds(engine, _KINDS, kinds=step_kinds, source=ordered)
    is_step = f"(k.{STEP_KIND} IS NULL OR k.{STEP_KIND} NOT IN {in_list(_NOT_STEPS)})"
    resolving = f"lower(o.{ident(S.OUTCOME)}) IN {in_list(_RESOLVING)}"
    contact = f"PARTITION BY o.{c}"
    engine.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_PATH} AS
        SELECT o.{c}, o.seq, o.{ident(S.ACTIVITY)}, k.{STEP_KIND} AS kind,
               row_number() OVER (PARTITION BY o.{c}, k.{STEP_KIND} ORDER BY o.seq) AS occ,
               o.seq = max(o.seq) OVER (PARTITION BY o.{c}, k.{STEP_KIND}) AS last_of_kind,
               coalesce(o.route <> lag(o.route IGNORE NULLS) OVER ({contact} ORDER BY o.seq), false)
                   AS is_handoff,
               min(CASE WHEN {is_step} THEN o.seq END) OVER ({contact}) AS first_seq,
               max(CASE WHEN {is_step} THEN o.seq END) OVER ({contact}) AS last_seq,
               min(CASE WHEN {is_step} AND o.eff_actor IN {in_list(_HUMAN)} THEN o.seq END)
                   OVER ({contact}) AS first_agent_seq,
               max(CASE WHEN {is_step} AND {resolving} THEN o.seq END)
                   OVER ({contact}) AS resolved_seq
        FROM {ordered} o LEFT JOIN {_KINDS} k USING ({ident(S.ACTIVITY)})
        WHERE o.{c} IN (SELECT {c} FROM ({themed}))
        """
    )
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {VERBATIM_STEPS} AS {_steps_sql(themed, _PATH)}")


def _steps_sql(themed: str, path: str | None) -> str:
    c, rid = ident(S.CONTACT_ID), ident(RESPONSE_ID)
    if path is None:  # no events: nothing can be placed, the table still has its columns
        return (
            f"SELECT {rid}, {c}, theme, kind, CAST(NULL AS VARCHAR) AS {ident(S.ACTIVITY)}, "
            f"CAST(NULL AS BIGINT) AS step_seq FROM ({themed})"
        )
    return f"""
        SELECT r.{rid}, r.{c}, r.theme, p.kind, p.{ident(S.ACTIVITY)}, p.seq AS step_seq
        FROM ({themed}) r JOIN {path} p ON p.{c} = r.{c}
        WHERE CASE r.rule
            WHEN 'repeat' THEN p.kind = r.kind AND p.occ > 1
            WHEN 'kind' THEN p.kind = r.kind
            WHEN 'last' THEN CASE WHEN r.kind IS NULL THEN p.seq = p.last_seq
                                  ELSE p.kind = r.kind AND p.last_of_kind END
            WHEN 'handoff' THEN p.is_handoff
            WHEN 'first_agent' THEN p.seq = p.first_agent_seq
            WHEN 'resolved' THEN p.seq = p.resolved_seq
            WHEN 'first' THEN p.seq = p.first_seq
            ELSE false END
        QUALIFY r.rank = min(r.rank) OVER (PARTITION BY r.{rid}, r.theme)
        ORDER BY r.{rid}, r.theme, step_seq
    """


def _stats(engine: Engine, t: str, has_text: str) -> VerbatimStats:
    rid, v = ident(RESPONSE_ID), ident(S.VERBATIM)
    verbatims = int(engine.scalar(f"SELECT count(*) FROM {t} WHERE {has_text}"))
    by_theme = engine.fetchall(
        f"""SELECT x.theme, count(DISTINCT r.{rid}) FROM {t} r JOIN {_TEXTS} x ON r.{v} = x.text
            GROUP BY 1 ORDER BY 2 DESC, 1"""
    )
    themed = int(engine.scalar(f"SELECT count(*) FROM {t} WHERE {v} IN (SELECT text FROM {_TEXTS})"))
    mapped = int(
        engine.scalar(f"SELECT count(DISTINCT {rid}) FROM {VERBATIM_STEPS} WHERE step_seq IS NOT NULL")
    )
    return VerbatimStats(
        verbatims=verbatims,
        mapped=mapped,
        unplaced=themed - mapped,
        unmapped=verbatims - themed,
        by_theme={str(k): int(n) for k, n in by_theme},
    )


def _docs(engine: Engine, t: str, *, examples: int, scored: bool) -> list[StepVoiceDoc]:
    rid, a = ident(RESPONSE_ID), ident(S.ACTIVITY)
    negative = f"count(*) FILTER (WHERE sentiment <= {num(NEGATIVE_AT)})"
    sentiment = f"r.{ident(SENTIMENT)}" if scored else "CAST(NULL AS DOUBLE)"
    per_response = f"""
        SELECT s.{a}, s.kind, s.theme, r.{rid}, r.{ident(S.VERBATIM)} AS text, {sentiment} AS sentiment,
               r.{ident(SCORE)} AS score, r.{ident(S.SURVEY_TYPE)} AS survey_type
        FROM (SELECT DISTINCT {rid}, {a}, kind, theme FROM {VERBATIM_STEPS} WHERE step_seq IS NOT NULL) s
        JOIN {t} r USING ({rid})
    """
    rows = engine.fetchall(
        f"""
        WITH x AS ({per_response}),
        texts AS (
            SELECT {a}, kind, theme, text, min(sentiment) AS worst FROM x GROUP BY ALL
        ), shown AS (
            SELECT {a}, kind, theme,
                   list(text ORDER BY worst ASC NULLS LAST, text)[1:{integer(examples)}] AS examples
            FROM texts GROUP BY ALL
        ), agg AS (
            SELECT {a}, kind, theme, count(*) AS n,
                   {negative} / nullif(count(sentiment), 0) AS neg,
                   CASE WHEN count(DISTINCT survey_type) <= 1 THEN avg(score) END AS mean_score
            FROM x GROUP BY ALL
        )
        SELECT agg.{a}, agg.kind, agg.theme, agg.n, agg.neg, agg.mean_score, shown.examples
        FROM agg JOIN shown ON shown.{a} = agg.{a} AND shown.theme = agg.theme
                           AND shown.kind IS NOT DISTINCT FROM agg.kind
        ORDER BY agg.n DESC, agg.theme, agg.{a}
        """
    )
    return [
        StepVoiceDoc(
            activity=str(activity),
            kind=kind,
            theme=str(theme),
            verbatims=int(n),
            negative_share=None if neg is None else round(float(neg), 4),
            mean_score=None if mean is None else round(float(mean), 4),
            examples=[str(x) for x in shown] if examples > 0 else [],
        )
        for activity, kind, theme, n, neg, mean, shown in rows
    ]


def _matches(regex: re.Pattern[str], text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """What ``regex.finditer(text)`` finds, trying only at ``starts`` (ascending word starts)."""
    end = 0
    for pos in starts:
        if pos >= end and (m := regex.match(text, pos)) is not None:
            end = max(m.end(), pos + 1)
            yield m


def _pattern_heads(regex: re.Pattern[str]) -> set[str] | None:
    """The first ``_HEAD`` letters of every word ``regex`` can start matching at; None when unknown."""
    try:
        items = list(sre_parse.parse(regex.pattern, regex.flags))
    except (re.error, TypeError, ValueError):  # pragma: no cover - compiled already
        return None
    if not items or items[0] != (sre.AT, sre.AT_BOUNDARY):
        return None  # it may start inside a word: scan the whole text
    heads = _heads(items[1:], "", ())
    return heads if heads is None or all(h[0] != "'" for h in heads) else None


def _heads(items: list[Any], prefix: str, rest: tuple[list[Any], ...]) -> set[str] | None:
    """Heads of ``prefix`` followed by ``items`` then ``rest``; None where a head cannot be known.

    Conservative by construction: anything but literal letters, groups, alternatives and optional parts
    before a word's third letter makes the pattern unindexed (always tried).
    """
    for n, (op, av) in enumerate(items):
        if len(prefix) >= _HEAD:
            return {prefix[:_HEAD]}
        after = (items[n + 1 :], *rest)
        if op is sre.LITERAL:
            ch = chr(av).lower()
            if _WORD_CHARS.fullmatch(ch):
                prefix += ch
            elif prefix and not (ch.isalnum() or ch == "_"):
                return {prefix}  # the word ended (a space, a hyphen)
            else:
                return None
        elif op is sre.AT and av is sre.AT_BOUNDARY and prefix:
            return {prefix}
        elif op is sre.SUBPATTERN:
            return _heads(list(av[3]), prefix, after)
        elif op is sre.BRANCH:
            return _union(_heads(list(alt), prefix, after) for alt in av[1])
        elif op is sre.MAX_REPEAT and av[0] == 0 and av[1] == 1:
            return _union([_heads(list(av[2]), prefix, after), _heads([], prefix, after)])
        elif prefix and _is_space(op, av):
            return {prefix}
        elif op is sre.IN and all(o is sre.LITERAL for o, _ in av):
            return _union(_heads([(sre.LITERAL, c)], prefix, after) for _, c in av)
        else:
            return None
    if rest:
        return _heads(rest[0], prefix, rest[1:])
    return {prefix} if prefix else None


def _is_space(op: Any, av: Any) -> bool:
    """``\\s``, ``\\s+``: the word before it ended."""
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and av[0] >= 1 and len(av[2]) == 1:
        op, av = av[2][0]
    return op is sre.IN and (sre.CATEGORY, sre.CATEGORY_SPACE) in av


def _union(parts: Iterable[set[str] | None]) -> set[str] | None:
    out: set[str] = set()
    for part in parts:
        if part is None:
            return None
        out |= part
    return out


def _negated(text: str, start: int) -> bool:
    """A negation among the three words before ``start`` ("not very helpful", "wasn't quick")."""
    before = re.findall(r"[a-z']+", text[max(0, start - 30) : start])[-3:]
    return any(w in _NEGATIONS or w.endswith("n't") for w in before)


@cache
def _builtin() -> Themes:
    resource = resources.files(__package__ or "cxray.voc").joinpath(_BUILTIN)
    where = f"cxray/voc/{_BUILTIN}"
    return Themes.from_dict(load_yaml(resource.read_text(encoding="utf-8"), path=where), path=where)


def _theme(name: Any, body: Any, path: str | Path | None) -> Theme:
    def fail(message: str) -> ConfigError:
        return ConfigError(f"themes.{name}: {message}", path=path)

    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ConfigError(f"themes: {name!r} is not a theme name (lower case, digits, _)", path=path)
    if not isinstance(body, dict) or set(body) - {"label", "targets", "match", "negatable"}:
        raise fail("expected label, targets, match and (optional) negatable")
    targets = _targets(body.get("targets"), fail)
    raw = body.get("match")
    if not isinstance(raw, list) or not raw:
        raise fail("match: expected a list of patterns")
    patterns: list[_Pattern] = []
    for item in raw:
        spec = {"pattern": item} if isinstance(item, str) else item
        if not isinstance(spec, dict) or not isinstance(spec.get("pattern"), str):
            raise fail(f"match: expected a pattern or {{pattern, targets, weak}}, got {item!r}")
        if set(spec) - {"pattern", "targets", "weak"}:
            raise fail(f"match: unknown key in {item!r} (allowed: pattern, targets, weak)")
        try:
            regex = re.compile(spec["pattern"], re.IGNORECASE)
        except re.error as exc:
            raise fail(f"match: {spec['pattern']!r} is not a regular expression: {exc}") from None
        own = _targets(spec["targets"], fail) if "targets" in spec else ()
        patterns.append(_Pattern(regex, own, bool(spec.get("weak", False))))
    return Theme(
        name=name,
        label=str(body.get("label") or name.replace("_", " ")),
        targets=targets,
        patterns=tuple(patterns),
        negatable=bool(body.get("negatable", False)),
    )


def _targets(raw: Any, fail: Any) -> tuple[Target, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(x, str) for x in raw):
        raise fail(f"targets: expected a list like [kind:transfer, handoff], got {raw!r}")
    out: list[Target] = []
    for item in raw:
        rule, _, kind = item.partition(":")
        if (kind and rule not in _KIND_RULES) or (not kind and rule not in _PLAIN_RULES):
            raise fail(f"targets: {item!r} is not a target (see themes.yaml)")
        out.append(Target(rule, kind or None))
    return tuple(out)


__all__ = ["VERBATIM_STEPS", "StepVoiceDoc", "Target", "Theme", "Themes", "VerbatimStats", "map_verbatims"]
