"""Redaction: ids become stable pseudonyms, emails and phone numbers in free text are masked."""

from cxray.report.redact import mask_text, pseudonymise, redact_document


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


def test_redact_document_walks_nested_structures():
    doc = {
        "breakdowns": [{"evidence": {"example_contacts": ["C-1", "C-2"], "note": "mail a@b.com"}}],
        "customer_id": "cust-42",
        "count": 3,
    }
    out = redact_document(doc)
    ex = out["breakdowns"][0]["evidence"]
    assert ex["example_contacts"] == [pseudonymise("C-1"), pseudonymise("C-2")]
    assert ex["note"] == "mail [email]"
    assert out["customer_id"] == pseudonymise("cust-42")
    assert out["count"] == 3
    assert doc["customer_id"] == "cust-42"  # the input is not modified
