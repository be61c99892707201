"""A real diagnosis document from a small simulated centre: ``diagnose``'s own, or checked against a
documented process (``DOCUMENTED``) instead of the inferred happy paths."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from cxray.diagnose import diagnose
from cxray.engine import Engine
from cxray.process.model import model_from_dict
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
        doc = diagnose(events, engine=engine, model=model).to_dict()
    return json.dumps(doc, default=str)  # what diagnosis.json holds: plain JSON types only


def sim_doc(*, documented: bool = False) -> dict[str, Any]:
    """A fresh copy each call (tests may poke payloads into it); ``documented`` checks conformance
    against ``DOCUMENTED`` instead of the inferred happy paths."""
    return copy.deepcopy(json.loads(_build(documented)))
