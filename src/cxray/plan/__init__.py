"""The plan: from a diagnosis to initiatives a leadership team can act on (docs/plan.md).

This is the first step of ``cxray plan``: one initiative per ranked breakdown from a catalogue of fixes,
placed in one of four lanes, its customer and operational effect scored from the diagnosis. Context files,
cut rules, briefs, the business case and waves come next.

>>> from cxray.plan import LANES
>>> list(LANES)
['immediate', 'redesign', 'platform', 'policy']
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typing_extensions import TypedDict

from .._version import __version__
from ..diagnosis import DiagnosisDocument
from ..errors import InputError
from .initiatives import (
    LANES,
    InitiativeDoc,
    PlanOptions,
    PlanWeights,
    catalogue,
    initiatives,
)


class PlanDocument(TypedDict):
    """``plan.json``."""

    cxray_version: str
    currency: str
    lanes: dict[str, str]
    weights: dict[str, float]
    initiatives: list[InitiativeDoc]
    needs_from_people: list[str]


#: What a draft plan cannot know from the data (asked of people until a context file answers it).
NEEDS: tuple[str, ...] = (
    "an owner for each initiative, and whether they sit outside the CX function",
    "one-off and run costs (the catalogue gives only a band)",
    "dependencies between initiatives, and how many can be in flight at once",
    "approvals and policy decisions each initiative waits on",
)


def make_plan(doc: DiagnosisDocument, options: PlanOptions | None = None) -> PlanDocument:
    """The plan of one diagnosis document (``Diagnosis.to_dict()`` or a ``diagnosis.json`` read back)."""
    options = options or PlanOptions()
    return {
        "cxray_version": __version__,
        "currency": str(doc["breakdown_summary"].get("currency") or ""),
        "lanes": dict(LANES),
        "weights": dict(vars(options.weights)),
        "initiatives": initiatives(doc, options),
        "needs_from_people": list(NEEDS),
    }


def read_diagnosis(path: str | Path) -> DiagnosisDocument:
    """A ``diagnosis.json`` written by ``cxray diagnose``; InputError when it is not one."""
    p = Path(path)
    try:
        data: Any = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read the diagnosis: {exc}", path=p) from None
    missing = [k for k in ("breakdowns", "breakdown_summary") if not isinstance(data, dict) or k not in data]
    if missing:
        raise InputError(f"not a diagnosis.json (no {', '.join(missing)})", path=p)
    doc: DiagnosisDocument = data
    return doc


__all__ = [
    "LANES",
    "NEEDS",
    "InitiativeDoc",
    "PlanDocument",
    "PlanOptions",
    "PlanWeights",
    "catalogue",
    "initiatives",
    "make_plan",
    "read_diagnosis",
]
