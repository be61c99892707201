"""The HTML report: one self-contained file, every value escaped (Jinja2 autoescape).

The page is ``templates/report.html.j2`` around the sections of ``sections.SECTIONS``, in that order: each
section's heading, navigation link and template block come from its entry there. An optional section
(the plan) is on the page only when it is given (``render_html(doc, plan=...)``).

Charts are drawn in the browser by Apache ECharts, inlined from ``static/`` so the file needs no
network; they read a JSON island that cannot close its ``<script>`` element, and they set text only
through the DOM's text APIs (see ``static/report.js``).
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ..diagnosis import DiagnosisDocument
from ..errors import ConfigError
from ..redact import Redactor, redact_document
from . import evidence, sections, view
from .fmt import fmt

if TYPE_CHECKING:
    from ..plan import PlanDocument

_env = Environment(
    loader=PackageLoader("cxray.report", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,  # a section's block ends with its last line's newline, whatever it ends with
    undefined=StrictUndefined,  # a name the template misspells fails the render, not an empty section
)


def _fmt(value: Any, kind: str = "") -> str:
    return fmt(value, kind)


_env.filters["fmt"] = _fmt
_env.globals.update(view=view, evidence=evidence)
#: The sections every diagnosis document has.
_SECTIONS = tuple(k for k in DiagnosisDocument.__annotations__ if k != "cxray_version")
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


def render_html(
    doc: DiagnosisDocument, *, redact: bool | Redactor = False, plan: PlanDocument | None = None
) -> str:
    """Render the diagnosis document (``Diagnosis.to_dict()``, or a ``diagnosis.json`` read back) as a
    self-contained HTML page.

    ``doc`` must fit the contract (``docs/diagnosis.schema.json``); a section with nothing to show says
    so on the page. ``redact`` is a ``Redactor`` (the run's salt and known ids, so the page names contacts
    as the other outputs do), or True to pseudonymise where the document's types mark identifiers.
    ``plan`` (``cxray.plan.make_plan`` of this document) adds the plan section, redacted as the page is;
    without it the page has no plan section and no link to one.
    """
    missing = [k for k in _SECTIONS if k not in doc]
    if missing:
        raise ConfigError(
            f"not a diagnosis document: missing {', '.join(missing)} (docs/diagnosis.schema.json)"
        )
    if isinstance(redact, Redactor):
        doc = redact.document(doc)
    elif redact:
        doc = redact_document(doc)
    if plan is not None and redact:
        # Nothing in a plan is an identifier by type: every string is masked as free text is.
        no_ids: frozenset[tuple[str, ...]] = frozenset()
        plan = (
            redact.document(plan, identifiers=no_ids)
            if isinstance(redact, Redactor)
            else redact_document(plan, identifiers=no_ids)
        )
    given = {"plan": plan}
    present = sections.page_sections(given, sections.SECTIONS)
    page = {
        "d": doc,
        "sections": present,
        "data_json": _script_json(doc),
        "view_json": _script_json(view.report_view(doc)),
        "echarts_js": _static("echarts.min.js"),
        "report_js": _static("report.js"),
        "redacted": bool(redact),
    }
    names = sections.section_context(doc, present, given)
    if clash := sorted(set(names) & set(page)):
        raise ConfigError(f"a report section's view gives {clash}, which the page itself sets")
    return _env.get_template("report.html.j2").render(names | page)
