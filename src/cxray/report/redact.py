"""Pseudonymise identifiers and mask personal data in free text, so a report never needs raw PII.

Pseudonyms are a keyed hash (stable within one salt, so the same customer gets the same pseudonym
across a report, and unlinkable across reports with different salts).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from typing import Any

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Phone numbers: 7+ digits, optionally with +, spaces, dots, dashes or brackets between them.
_PHONE = re.compile(r"(?<![\w])\+?\d[\d\s().-]{5,}\d(?![\w])")

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")

# Keys whose values identify a customer or contact and are pseudonymised rather than masked.
# Detectors and conformance list example contacts under ``examples`` (and ``examples_off_path``).
ID_KEYS = frozenset(
    {
        "customer_id",
        "contact_id",
        "example_contacts",
        "example_contact_ids",
        "contact_ids",
        "examples",
        "examples_off_path",
    }
)


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


def redact_document(doc: Any, *, salt: str = "cxray", _key: str | None = None) -> Any:
    """A copy of a JSON-like document with ids pseudonymised and free text masked."""
    if isinstance(doc, dict):
        return {k: redact_document(v, salt=salt, _key=k) for k, v in doc.items()}
    if isinstance(doc, list):
        return [redact_document(v, salt=salt, _key=_key) for v in doc]
    if isinstance(doc, str):
        if _key in ID_KEYS:
            return pseudonymise(doc, salt=salt)
        return mask_text(doc)
    return doc


# A token of free text that may be an id: anything between spaces, quotes, brackets and separators.
_TOKEN = re.compile(r"[^\s,;()\[\]{}'\"<>|]+")


def new_salt() -> str:
    """A random salt for one run: without it a pseudonym cannot be recomputed from a guessed id."""
    return secrets.token_hex(16)


class Redactor:
    """Everything one run redacts, under one salt: ids become pseudonyms, emails and phones are masked.

    ``ids`` are the raw identifiers (contact, customer, journey) known to the run: a string equal to one,
    or a token of free text equal to one, is pseudonymised wherever it appears, in values and in keys
    (a queue or reason used as a key is masked as well). Strings under ``ID_KEYS`` are pseudonymised
    whatever they hold.

    >>> r = Redactor(salt="s", ids={"C-1"})
    >>> r.text("C-1 rang") == f"{pseudonymise('C-1', salt='s')} rang"
    True
    >>> r.text("q a@example.com") == r.text("q a@example.com") != r.text("q b@example.com")
    True
    >>> r.text("billing a.b@example.com").startswith("billing [email] #")
    True
    >>> r.document({"k": ["C-1"]}) == {"k": [pseudonymise("C-1", salt="s")]}
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
        return _TOKEN.sub(lambda m: self.pseudonym(m[0]) if m[0] in self.ids else m[0], masked)

    def document(self, doc: Any, *, _key: str | None = None) -> Any:
        """A copy of a JSON-like document with its keys and values redacted."""
        if isinstance(doc, dict):
            return {self._key(k): self.document(v, _key=k) for k, v in doc.items()}
        if isinstance(doc, list | tuple):
            return [self.document(v, _key=_key) for v in doc]
        if isinstance(doc, str):
            return self.pseudonym(doc) if _key in ID_KEYS else self.text(doc)
        return doc

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
        yield from _TOKEN.findall(doc)
