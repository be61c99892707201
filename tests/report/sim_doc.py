"""A real diagnosis document from a small simulated centre, with the aggregates the lead is wiring in.

``diagnose`` does not yet add ``flow["by"]`` and ``metrics["journey_paths"]``; this builds them with
:func:`cxray.process.slices.flow_by` and :func:`cxray.journey_paths.journey_paths` exactly as it will,
and adds ``incentives`` and ``conformance`` from their public functions when ``diagnose`` left them out.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from cxray.diagnose import diagnose
from cxray.engine import Engine
from cxray.incentives import assess_incentives
from cxray.journey_paths import journey_paths
from cxray.process.conformance import check_conformance
from cxray.process.model import model_from_dict
from cxray.process.slices import flow_by
from cxray.simulate import load_scenario, simulate

# The phone and email paths as an operation would document them (the simulator's bot flow is left out).
DOCUMENTED = {
    "name": "retail service, as documented",
    "transitions": {
        "start": ["IVR menu", "Email received"],
        "IVR menu": ["Authenticate"],
        "Authenticate": ["Queue wait"],
        "Email received": ["Queue wait"],
        "Queue wait": ["Gather details", "Agent handling"],
        "Gather details": ["Agent handling"],
        "Agent handling": ["After-contact work"],
        "After-contact work": ["end"],
    },
}


@cache
def _build(documented: bool) -> str:
    model = model_from_dict(DOCUMENTED) if documented else None
    events = simulate(load_scenario("default"), seed=11, days=10, customers=12_000).events
    with Engine(threads=2) as engine:
        doc = diagnose(events, engine=engine).to_dict()
        doc["flow"]["by"] = flow_by(engine)
        doc["metrics"]["journey_paths"] = journey_paths(engine)
        if not doc.get("incentives"):
            doc["incentives"] = assess_incentives(engine)
        if model is not None or not doc.get("conformance"):
            doc["conformance"] = check_conformance(engine, model)
    return json.dumps(doc, default=str)  # what diagnosis.json holds: plain JSON types only


def sim_doc(*, documented: bool = False) -> dict[str, Any]:
    """A fresh copy each call (tests may poke payloads into it); ``documented`` checks conformance
    against ``DOCUMENTED`` instead of the inferred happy paths."""
    return copy.deepcopy(json.loads(_build(documented)))
