"""Redaction: ids become stable pseudonyms, emails and phone numbers in free text are masked."""

from cxray.redact import mask_text, pseudonymise, redact_document


def test_mask_text_masks_emails_and_phones_but_not_short_numbers():
    text = (
        "Ring 020 7946 0958 or +1 (415) 555-2671, mail jo.doe+x@mail.example.org; order 12345 on 2024-01-02"
    )
    masked = mask_text(text)
    assert "7946" not in masked and "555-2671" not in masked and "jo.doe" not in masked
    assert masked.count("[phone]") == 2 and masked.count("[email]") == 1
    assert "order 12345" in masked  # five digits are not a phone number
    assert "2024-01-02" in masked  # nor is a date


def test_pseudonyms_are_stable_distinct_and_salted():
    assert pseudonymise("C1") == pseudonymise("C1")
    assert pseudonymise("C1") != pseudonymise("C2")
    assert pseudonymise("C1", salt="a") != pseudonymise("C1", salt="b")


def test_redact_document_pseudonymises_where_the_types_mark_identifiers():
    """Identifiers are found by the document's types (findings' examples, bulk customer ids), not by
    key names: a key named like an id elsewhere is free text, masked but not pseudonymised."""
    doc = {
        "breakdowns": [{"evidence": {"examples": ["C-1", "C-2"], "note": "mail a@b.com"}}],
        "data_quality": {"bulk_identities": [{"customer_id": "cust-42", "contacts": 900}]},
        "flow": {"customer_id": "a step called customer_id"},
        "count": 3,
    }
    out = redact_document(doc)
    ex = out["breakdowns"][0]["evidence"]
    assert ex["examples"] == [pseudonymise("C-1"), pseudonymise("C-2")]
    assert ex["note"] == "mail [email]"
    assert out["data_quality"]["bulk_identities"][0]["customer_id"] == pseudonymise("cust-42")
    assert out["flow"]["customer_id"] == "a step called customer_id"
    assert out["count"] == 3
    assert doc["data_quality"]["bulk_identities"][0]["customer_id"] == "cust-42"  # input not modified
