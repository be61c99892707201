"""Renderers: the diagnosis document to a self-contained HTML report (JSON is ``Diagnosis.to_json``)."""

from .html import render_html
from .redact import mask_text, pseudonymise, redact_document

__all__ = ["mask_text", "pseudonymise", "redact_document", "render_html"]
