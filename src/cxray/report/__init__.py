"""Renderers: the diagnosis document to a self-contained HTML report (JSON is ``Diagnosis.to_json``)."""

from ..redact import mask_text, pseudonymise, redact_document
from .html import render_html

__all__ = ["mask_text", "pseudonymise", "redact_document", "render_html"]
