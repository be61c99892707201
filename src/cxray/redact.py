"""Pseudonymise identifiers and mask personal data in free text, so a report never needs raw PII.

Pseudonyms are a keyed hash (stable within one salt, so the same customer gets the same pseudonym
across a report, and unlinkable across reports with different salts).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from .contract import Path, matches

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Phone numbers: 7+ digits, optionally with +, spaces, dots, dashes or brackets between them.
_PHONE = re.compile(r"(?<![\w])\+?\d[\d\s().-]{5,}\d(?![\w])")

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")


def mask_text(text: str) -> str:
    """Replace emails and phone numbers in free text by ``[email]`` and ``[phone]``.

    >>> mask_text("call me on +44 20 7946 0958 or mail a.b@example.com")
    'call me on [phone] or mail [email]'
    """
    text = _EMAIL.sub("[email]", text)
    return _PHONE.sub(_phone_or_keep, text)


def _phone_or_keep(match: re.Match[str]) -> str:
    found = match.group()
    if _DATE.fullmatch(found) or sum(c.isdigit() for c in found) < 7:
        return found
    return "[phone]"


def pseudonymise(value: str, *, salt: str = "cxray", prefix: str = "id") -> str:
    """A stable pseudonym for an identifier.

    >>> pseudonymise("C-1001") == pseudonymise("C-1001")
    True
    >>> pseudonymise("C-1001").startswith("id-")
    True
    """
    digest = hashlib.blake2b(f"{salt}\x00{value}".encode(), digest_size=5).hexdigest()
    return f"{prefix}-{digest}"


def redact_document(doc: Any, *, salt: str = "cxray", identifiers: frozenset[Path] | None = None) -> Any:
    """A copy of a ``diagnosis.json``-like document: identifiers pseudonymised, free text masked.

    ``identifiers``: the paths holding identifiers, by default where ``DiagnosisDocument``'s types mark
    them (``cxray.contract``); the strings there are pseudonymised, every other string masked.
    """
    return _walk(doc, (), _paths(identifiers), lambda s: pseudonymise(s, salt=salt), mask_text, lambda k: k)


def _paths(identifiers: frozenset[Path] | None) -> frozenset[Path]:
    if identifiers is not None:
        return identifiers
    from .diagnosis import IDENTIFIER_PATHS

    return IDENTIFIER_PATHS


def _walk(
    doc: Any,
    path: Path,
    ids: frozenset[Path],
    pseudonym: Callable[[str], str],
    text: Callable[[str], str],
    key: Callable[[Any], Any],
) -> Any:
    """``doc`` with each string at an identifier path pseudonymised, other strings (and keys) as text."""
    if isinstance(doc, dict):
        return {key(k): _walk(v, (*path, str(k)), ids, pseudonym, text, key) for k, v in doc.items()}
    if isinstance(doc, list | tuple):
        return [_walk(v, path, ids, pseudonym, text, key) for v in doc]
    if isinstance(doc, str):
        return pseudonym(doc) if matches(path, ids) else text(doc)
    return doc


# A token of free text that may be an id: anything between spaces, quotes, brackets and separators.
_TOKEN = re.compile(r"[^\s,;()\[\]{}'\"<>|]+")
#: Punctuation that ends a clause after a token (``contact 1001: customers ...``), not part of an id there.
_TRAILING = ":.!?"


def new_salt() -> str:
    """A random salt for one run: without it a pseudonym cannot be recomputed from a guessed id."""
    return secrets.token_hex(16)


class Redactor:
    """Everything one run redacts, under one salt: ids become pseudonyms, emails and phones are masked.

    ``ids`` are the raw identifiers (contact, customer, journey) known to the run: a string equal to one,
    or a token of free text equal to one, is pseudonymised wherever it appears, in values and in keys
    (a queue or reason used as a key is masked as well). Strings where the document's types mark an
    identifier (``cxray.contract``) are pseudonymised whatever they hold.

    >>> r = Redactor(salt="s", ids={"C-1"})
    >>> r.text("C-1 rang") == f"{pseudonymise('C-1', salt='s')} rang"
    True
    >>> r.text("contact C-1: 3 days") == f"contact {pseudonymise('C-1', salt='s')}: 3 days"
    True
    >>> r.text("q a@example.com") == r.text("q a@example.com") != r.text("q b@example.com")
    True
    >>> r.text("billing a.b@example.com").startswith("billing [email] #")
    True
    >>> r.document({"k": ["C-1"]}) == {"k": [pseudonymise("C-1", salt="s")]}
    True
    >>> doc = r.document({"k": {"who": "X-9"}}, identifiers=frozenset({("k", "who")}))
    >>> doc["k"]["who"] == r.pseudonym("X-9")
    True
    """

    def __init__(self, salt: str | None = None, ids: Iterable[str] = ()) -> None:
        self.salt = new_salt() if salt is None else salt
        self.ids: set[str] = set(ids)

    def pseudonym(self, value: str) -> str:
        return pseudonymise(value, salt=self.salt)

    def text(self, text: str) -> str:
        if text in self.ids:
            return self.pseudonym(text)
        masked = mask_text(text)
        if masked != text:
            # Two queues differing only in a masked email would read the same, and as keys (``flow.by``)
            # one would overwrite the other: a keyed tag of the raw text keeps them apart, the same in
            # every file of the run.
            masked = f"{masked} #{self.pseudonym(text)[3:]}"
        if not self.ids:
            return masked
        return _TOKEN.sub(self._token, masked)

    def _token(self, match: re.Match[str]) -> str:
        """A token pseudonymised when it is an id, also before the punctuation that ends a clause
        (``contact 1001: ...``)."""
        token = match[0]
        if token in self.ids:
            return self.pseudonym(token)
        core = token.rstrip(_TRAILING)
        return self.pseudonym(core) + token[len(core) :] if core and core in self.ids else token

    def document(self, doc: Any, *, identifiers: frozenset[Path] | None = None) -> Any:
        """A copy of a JSON-like document with its keys and values redacted; ``identifiers`` as in
        :func:`redact_document`."""
        return _walk(doc, (), _paths(identifiers), self.pseudonym, self.text, self._key)

    def _key(self, key: Any) -> Any:
        return self.text(key) if isinstance(key, str) else key


def strings(doc: Any) -> Iterable[str]:
    """Every string of a JSON-like document, keys included, and each token of them: the candidate ids."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(doc, list | tuple):
        for v in doc:
            yield from strings(v)
    elif isinstance(doc, str):
        yield doc
        for token in _TOKEN.findall(doc):
            yield token
            if token.endswith(tuple(_TRAILING)):
                yield token.rstrip(_TRAILING)
