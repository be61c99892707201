"""The report's sections, in page order: the one list the page, its navigation and its tests are built from.

A section is its anchor (``id``), the label of its link in the navigation (``nav``), its heading
(``title``), its template block (``templates/section-<id>.html.j2``, the section's body under its heading)
and, optionally, its *view*: a function of the diagnosis document returning the names its template reads
(``{"incentives": incentives_view(doc)}``). Every view's names are given to every section's template, so
one section can draw on another's (the flow map's conformance overlay).

A section can be *optional*: ``needs`` names the keyword of ``render_html`` it shows (``plan``). The page
has the section, and its navigation link, only when that keyword is given, and its view is called with
what was given instead of the document (:func:`page_sections`). The plan section is one: ``cxray diagnose
--context`` renders the report with the plan, a plain diagnosis without it.

Adding a section touches its producer (what puts its data into the diagnosis document), its view, its
template block and one entry here; ``docs/contributing.md`` shows how.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from .. import schema as S
from ..errors import ConfigError
from . import view
from .conformance_view import conformance_view
from .incentives_view import incentives_view
from .plan_page import plan_view
from .voc_view import voc_view

if TYPE_CHECKING:
    from ..diagnosis import DiagnosisDocument

#: ``view(doc) -> {name: value}``: what a section's template reads besides the document ``d`` itself (an
#: optional section's view is called with what the page was given for it, e.g. the plan).
SectionView = Callable[[Any], Mapping[str, Any]]


@dataclass(frozen=True)
class ReportSection:
    """One section of the HTML report: ``<section id="{id}"><h2>{title}</h2>`` + its template block."""

    id: str
    nav: str
    title: str
    view: SectionView | None = None
    #: The keyword of ``render_html`` an optional section shows; None: every page has the section.
    needs: str | None = None

    @property
    def template(self) -> str:
        """The template block rendering the section's body: ``templates/section-<id>.html.j2``."""
        return f"section-{self.id}.html.j2"


SECTIONS: Final[tuple[ReportSection, ...]] = (
    ReportSection(
        "summary",
        "Summary",
        "The breakdowns that matter",
        lambda doc: {"summary": view.executive_summary(doc)},
    ),
    ReportSection("flow", "How work flows", "How work actually flows"),
    ReportSection(
        "conformance",
        "Documented vs actual",
        "Documented vs actual",
        lambda doc: {"conformance": conformance_view(doc)},
    ),
    ReportSection("breakdowns", "Breakdowns", "Each breakdown, with its evidence"),
    ReportSection(
        "incentives",
        "Incentives",
        "Incentives vs outcomes",
        lambda doc: {"incentives": incentives_view(doc)},
    ),
    ReportSection(
        "voc",
        "Customer voice",
        "What customers say, where the work breaks",
        lambda doc: {"voc": voc_view(doc)},
    ),
    ReportSection(
        "metrics", "Metrics", "Core metrics", lambda doc: {"definitions": doc["metrics"]["definitions"]}
    ),
    ReportSection(
        "data-quality",
        "Data quality",
        "Data quality",
        lambda doc: {"missing_fields": view.missing_fields(doc, S.OPTIONAL)},
    ),
    ReportSection(
        "plan",
        "Plan",
        "The plan: what to change first",
        lambda plan: {"plan": plan_view(plan)},
        needs="plan",
    ),
)


def page_sections(
    given: Mapping[str, Any] | None = None, sections: tuple[ReportSection, ...] = SECTIONS
) -> tuple[ReportSection, ...]:
    """The sections of one page: every section, less the optional ones whose keyword is not ``given``
    (absent or None)."""
    given = given or {}
    return tuple(s for s in sections if s.needs is None or given.get(s.needs) is not None)


def section_context(
    doc: DiagnosisDocument,
    sections: tuple[ReportSection, ...] = SECTIONS,
    given: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The names every section's view gives its template, in one mapping; two views giving one name is a
    ConfigError (one would silently hide the other). An optional section's view reads what was ``given``
    for it; one whose keyword was not given is left out, as :func:`page_sections` leaves it off the page."""
    context: dict[str, Any] = {}
    for section in page_sections(given, sections):
        if section.view is None:
            continue
        source = doc if section.needs is None else (given or {})[section.needs]
        for name, value in section.view(source).items():
            if name in context:
                raise ConfigError(f"report section {section.id}: its view gives {name!r} again")
            context[name] = value
    return context
