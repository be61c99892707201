"""Pseudonymise identifiers and mask personal data in free text, so a report never needs raw PII.

Pseudonyms are a keyed hash (stable within one salt, so the same customer gets the same pseudonym
across a report, and unlinkable across reports with different salts).
"""

from __future__ import annotations

import hashlib
import re
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
