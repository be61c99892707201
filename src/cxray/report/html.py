"""The HTML report: one self-contained file, every value escaped (Jinja2 autoescape).

Charts are drawn in the browser by Apache ECharts, inlined from ``static/`` so the file needs no
network; they read a JSON island that cannot close its ``<script>`` element, and they set text only
through the DOM's text APIs (see ``static/report.js``).
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.resources import files
from typing import Any

from jinja2 import ChainableUndefined, Environment, PackageLoader, Undefined, select_autoescape

from .. import schema as S
from ..errors import ConfigError
from . import evidence, view
from .conformance_view import conformance_view
from .fmt import fmt
from .incentives_view import incentives_view
from .redact import Redactor, redact_document

_env = Environment(
    loader=PackageLoader("cxray.report", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=ChainableUndefined,  # a section missing from the document renders as absent, not a crash
)


def _fmt(value: Any, kind: str = "") -> str:
    return fmt(None if isinstance(value, Undefined) else value, kind)


_env.filters["fmt"] = _fmt
_env.globals.update(view=view, evidence=evidence)
_CLOSES_SCRIPT = re.compile(r"</script|<!--", re.IGNORECASE)


def _script_json(doc: Any) -> str:
    """JSON safe to embed in a <script> element: no '</' or '<!--' can close it early."""
    text = json.dumps(doc, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@cache
def _static(name: str) -> str:
    """A vendored script, checked once that it cannot end its inline <script> element."""
    text = files("cxray.report").joinpath("static", name).read_text(encoding="utf-8")
    if _CLOSES_SCRIPT.search(text):
        raise ValueError(f"static/{name} contains '</script' or '<!--' and cannot be inlined")
    return text


def _definitions(doc: dict[str, Any]) -> dict[str, str]:
    """Each metric's definition: the document's own, else cxray's for the document's repeat window."""
    metrics = doc["metrics"] if isinstance(doc.get("metrics"), dict) else {}
    given = metrics.get("definitions")
    if isinstance(given, dict) and given:
        return {str(k): str(v) for k, v in given.items()}
    from ..metrics import definitions
    from ..options import AnalysisOptions

    window = ((doc.get("options") or {}).get("analysis") or {}).get("window_days")
    try:
        return definitions(AnalysisOptions(window_days=float(window)) if window else AnalysisOptions())
    except (TypeError, ValueError, ConfigError):
        return definitions()


def render_html(doc: dict[str, Any], *, redact: bool | Redactor = False) -> str:
    """Render the diagnosis document (``Diagnosis.to_dict()``) as a self-contained HTML page.

    Sections whose data the document lacks are replaced by a note; nothing in ``doc`` is required
    beyond it being a mapping. ``redact`` is a ``Redactor`` (the run's salt and known ids, so the page
    names contacts as the other outputs do), or True for ``redact_document``'s key-based redaction.
    """
    if isinstance(redact, Redactor):
        doc = redact.document(doc)
    elif redact:
        doc = redact_document(doc)
    template = _env.get_template("report.html.j2")
    return template.render(
        d=doc,
        data_json=_script_json(doc),
        view_json=_script_json(view.report_view(doc)),
        summary=view.executive_summary(doc),
        incentives=incentives_view(doc),
        conformance=conformance_view(doc),
        definitions=_definitions(doc),
        missing_fields=view.missing_fields(doc, S.OPTIONAL),
        echarts_js=_static("echarts.min.js"),
        report_js=_static("report.js"),
        redacted=bool(redact),
    )
