"""What ``cxray diagnose`` found: the result object, turned into ``diagnosis.json`` only at the edge."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from typing_extensions import TypedDict

from ._version import __version__
from .contract import identifier_paths
from .errors import CxrayError
from .findings.base import FindingDoc
from .findings.finder import BreakdownDoc, BreakdownSummary
from .incentives.assessment import IncentivesDoc
from .io import InputSummary
from .io.options import InputSummaryDoc
from .metrics import Metrics, MetricsDoc
from .process.conformance import ConformanceDoc
from .process.flow import FlowDoc
from .quality import DataQuality, DataQualityDoc
from .voc import VocDoc, empty_voc


class DiagnosisDocument(TypedDict):
    """``diagnosis.json``: every section typed (docs/diagnosis.schema.json is generated from this)."""

    cxray_version: str
    options: dict[str, Any]
    input: InputSummaryDoc
    data_quality: DataQualityDoc
    breakdowns: list[BreakdownDoc]
    breakdown_summary: BreakdownSummary | dict[str, Any]  # {} when no finder ran
    incentives: IncentivesDoc | dict[str, Any]  # {} when the step did not run
    conformance: ConformanceDoc | dict[str, Any]  # {} when the step did not run (a diagnosis by hand)
    metrics: MetricsDoc
    flow: FlowDoc
    all_findings: list[FindingDoc]
    voc: VocDoc


#: Where ``diagnosis.json`` holds customer and contact identifiers, from its types.
IDENTIFIER_PATHS = identifier_paths(DiagnosisDocument)


@dataclass
class Diagnosis:
    """Everything ``cxray diagnose`` found. ``to_dict()`` is the ``diagnosis.json`` document."""

    input: InputSummary
    metrics: Metrics
    flow: FlowDoc
    breakdowns: list[BreakdownDoc] = field(default_factory=list)
    breakdown_summary: BreakdownSummary | dict[str, Any] = field(default_factory=dict)
    incentives: IncentivesDoc | dict[str, Any] = field(default_factory=dict)
    conformance: ConformanceDoc | dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    all_findings: list[FindingDoc] = field(default_factory=list)
    data_quality: DataQuality = field(default_factory=DataQuality)
    voc: VocDoc = field(default_factory=empty_voc)
    # The rows behind the numbers (``cxray.exports``), captured before the engine may close. Private:
    # not in ``to_dict`` (the JSON holds aggregates) nor in the repr (millions of rows).
    _contacts: pa.Table | None = field(default=None, repr=False, compare=False)
    _journeys: pa.Table | None = field(default=None, repr=False, compare=False)

    def contacts(self) -> pa.Table:
        """One row per contact: the engine's ``contacts`` table, sorted by ``start_ts``, ``contact_id``.

        Raises ``CxrayError`` on a diagnosis not made by ``diagnose`` (e.g. built by hand).
        """
        return _rows(self._contacts, "contacts")

    def journeys(self) -> pa.Table:
        """One row per journey: the engine's ``journeys`` table, sorted by ``start_ts``, ``journey_id``."""
        return _rows(self._journeys, "journeys")

    def to_dict(self) -> DiagnosisDocument:
        return {
            "cxray_version": __version__,
            "options": self.options,
            "input": self.input.to_dict(),
            "data_quality": self.data_quality.to_dict(),
            "breakdowns": self.breakdowns,
            "breakdown_summary": self.breakdown_summary,
            "incentives": self.incentives,
            "conformance": self.conformance,
            "metrics": self.metrics.to_dict(),
            "flow": self.flow,
            "all_findings": self.all_findings,
            "voc": self.voc,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False, ensure_ascii=False, default=str)


def _rows(table: pa.Table | None, name: str) -> pa.Table:
    if table is None:
        raise CxrayError(
            f"this diagnosis holds no {name} table: only one made by cxray.diagnose (or diagnose_spark) does"
        )
    return table
