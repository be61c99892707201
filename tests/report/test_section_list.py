"""The report's sections are one list: the navigation, the headings and the template blocks follow it."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest
from jinja2 import ChoiceLoader, DictLoader
from report_doc import make_doc

from cxray.errors import ConfigError
from cxray.report import html, render_html, sections
from cxray.report.sections import SECTIONS, ReportSection, section_context

TEMPLATES = files("cxray.report").joinpath("templates")


def _nav(page: str) -> list[tuple[str, str]]:
    nav = re.search(r'<nav class="no-print">(.*?)</nav>', page, re.S)
    assert nav is not None
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', nav.group(1))


def test_the_page_follows_the_list_of_sections():
    """Nav links, section elements and their headings are the list's ids, labels and titles, in order;
    an optional section (the plan) only on a page given what it shows."""
    page = render_html(make_doc())
    always = [s for s in SECTIONS if s.needs is None]
    assert _nav(page) == [(s.id, s.nav) for s in always]
    found = re.findall(r'<section id="([^"]+)">\n  <h2>([^<]+)</h2>', page)
    assert found == [(s.id, s.title) for s in always]
    assert len({s.id for s in SECTIONS}) == len(SECTIONS) == 9
    assert [s.id for s in SECTIONS if s.needs] == ["plan"]


def test_every_section_has_its_template_block_and_every_block_its_section():
    """templates/section-<id>.html.j2 exists for each section, and no such file is left without one."""
    blocks = {p.name for p in TEMPLATES.iterdir() if p.name.startswith("section-")}
    assert blocks == {s.template for s in SECTIONS}


def test_a_section_added_to_the_list_appears_with_its_view_and_block(monkeypatch):
    """Adding a section is one entry, one view and one template block: the nav and the page pick it up."""
    extra = ReportSection("voice", "Voice", "What customers said", lambda doc: {"said": ["slow", "<b>x</b>"]})
    block = "  <ul>{% for s in said %}<li>{{ s }}</li>{% endfor %}</ul>\n  <p>{{ d.cxray_version }}</p>\n"
    monkeypatch.setattr(sections, "SECTIONS", (*SECTIONS[:2], extra, *SECTIONS[2:]))
    monkeypatch.setattr(
        html._env, "loader", ChoiceLoader([DictLoader({extra.template: block}), html._env.loader])
    )
    page = render_html(make_doc())
    assert [i for i, _ in _nav(page)][:3] == ["summary", "flow", "voice"] and ("voice", "Voice") in _nav(page)
    body = re.search(r'<section id="voice">\n  <h2>What customers said</h2>\n(.*?)</section>\n', page, re.S)
    assert body is not None
    assert "<li>slow</li><li>&lt;b&gt;x&lt;/b&gt;</li>" in body.group(1)  # escaped like every other value
    assert re.search(r'</section>\n\n<section id="voice">', page)


def test_views_cannot_shadow_each_other_or_the_page(monkeypatch):
    one = ReportSection("a", "A", "A", lambda doc: {"x": 1})
    two = ReportSection("b", "B", "B", lambda doc: {"x": 2})
    with pytest.raises(ConfigError, match="report section b: its view gives 'x' again"):
        section_context({}, (one, two))
    assert section_context({}, (one,)) == {"x": 1}
    monkeypatch.setattr(sections, "SECTIONS", (ReportSection("c", "C", "C", lambda doc: {"d": {}}),))
    with pytest.raises(ConfigError, match="which the page itself sets"):
        render_html(make_doc())
