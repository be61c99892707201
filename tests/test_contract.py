"""The typed contract of ``diagnosis.json``: its schema is generated from the types and holds on outputs.

``docs/diagnosis.schema.json`` is published; regenerate it after changing a section's type with
``CXRAY_WRITE_SCHEMA=1 .venv/bin/python -m pytest tests/test_contract.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import jsonschema
import pytest
from typing_extensions import TypedDict

from cxray.contract import Identifier, IdentifiersAt, identifier_paths, json_schema, matches
from cxray.diagnosis import IDENTIFIER_PATHS, DiagnosisDocument

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "docs" / "diagnosis.schema.json"


@pytest.fixture(scope="module")
def sim_diagnosis():
    from cxray import diagnose
    from cxray.simulate import load_scenario, simulate

    return diagnose(simulate(load_scenario("default"), seed=5, days=21, customers=800).events)


def schema_text() -> str:
    return json.dumps(json_schema(DiagnosisDocument, title="diagnosis.json"), indent=1, sort_keys=True) + "\n"


def validate(doc: dict[str, Any]) -> None:
    """Raise when ``doc`` (a ``diagnosis.json`` as read back) does not fit the published schema."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(doc)


def test_published_schema_is_generated_from_the_types():
    """docs/diagnosis.schema.json is exactly what the section types generate (regenerate, don't edit)."""
    if os.environ.get("CXRAY_WRITE_SCHEMA"):
        SCHEMA_FILE.write_text(schema_text(), encoding="utf-8")
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text()


def test_a_simulated_diagnosis_fits_the_schema(sim_diagnosis):
    validate(json.loads(sim_diagnosis.to_json()))


def test_schema_rejects_a_document_of_the_wrong_shape(sim_diagnosis):
    """The schema can fail: a metric of the wrong type or a missing section is refused."""
    doc = json.loads(sim_diagnosis.to_json())
    broken = dict(doc, data_quality={**doc["data_quality"], "excluded_contacts": "many"})
    with pytest.raises(jsonschema.ValidationError, match=r"excluded_contacts|many"):
        validate(broken)
    with pytest.raises(jsonschema.ValidationError, match="metrics"):
        validate({k: v for k, v in doc.items() if k != "metrics"})


def test_identifiers_are_where_the_types_mark_them():
    """Redaction reads identifier paths from the types: bulk customer ids and findings' example contacts."""
    assert ("data_quality", "bulk_identities", "customer_id") in IDENTIFIER_PATHS
    assert ("breakdowns", "evidence", "examples") in IDENTIFIER_PATHS
    assert not matches(("breakdowns", "title"), IDENTIFIER_PATHS)


class Inner(TypedDict):
    who: Identifier | None
    note: str


class Outer(TypedDict):
    rows: list[Inner]
    by_key: dict[str, Inner]
    evidence: Annotated[dict[str, Any], IdentifiersAt("ids")]


def test_identifier_paths_follow_nesting_unions_and_open_mappings():
    paths = identifier_paths(Outer)
    assert paths == {("rows", "who"), ("by_key", "*", "who"), ("evidence", "ids")}
    assert matches(("by_key", "team A", "who"), paths) and not matches(("by_key", "team A", "note"), paths)


def test_every_section_is_documented():
    """docs/diagnosis-json.md names every section of the document and the type behind it."""
    text = (SCHEMA_FILE.parent / "diagnosis-json.md").read_text(encoding="utf-8")
    for key in DiagnosisDocument.__annotations__:
        if key not in ("cxray_version", "options"):
            assert f"`{key}`" in text, key


def test_section_documents_match_their_dataclasses():
    """The JSON shape of a dataclass section (its ``*Doc``) has exactly the dataclass's fields."""
    import dataclasses

    from cxray.io.options import InputSummary, InputSummaryDoc
    from cxray.metrics import Metrics, MetricsDoc

    for cls, doc in ((InputSummary, InputSummaryDoc), (Metrics, MetricsDoc)):
        assert [f.name for f in dataclasses.fields(cls)] == list(doc.__annotations__), cls.__name__
