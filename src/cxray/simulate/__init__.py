"""A synthetic contact centre with plantable breakdowns and their ground truth.

>>> from cxray.simulate import load_scenario, simulate
>>> result = simulate(load_scenario("default"), seed=3, days=3, customers=3000)
>>> sorted(b["kind"] for b in result.ground_truth["breakdowns"])[:2]
['abandonment_hot_spot', 'back_office_black_hole']

See ``docs/simulator.md``. Scenarios are YAML (``scenarios/*.yaml``); :func:`erlang_a` and
:func:`simulate_queue` are the queueing model the waits come from and the check it is held to.
A scenario's ``vocabulary`` (:class:`Vocabulary`) records the same behaviour under other step names.
``simulate(..., artefacts=Artefacts())`` adds the lies of real exports (bulk callers, missing-value markers,
night calls into a closed centre, a mistyped year, unidentified contacts) with their ground truth.
"""

from .artefacts import Artefacts
from .breakdowns import (
    AbandonmentHotSpot,
    BackOfficeBlackHole,
    Breakdown,
    ContextLoss,
    FalseContainment,
    HealthyVolume,
    MisroutedHandoff,
    PingPong,
    RareAwfulJourney,
    RepeatedVerification,
    SurveyDrop,
    VendorPressure,
)
from .erlang import QueueStats, erlang_a, simulate_queue
from .loader import builtin_scenarios, load_scenario
from .run import SimulationResult, simulate
from .scenario import Behaviour, Queue, Reason, Scenario, Team
from .vocabulary import Vocabulary

__all__ = [
    "AbandonmentHotSpot",
    "Artefacts",
    "BackOfficeBlackHole",
    "Behaviour",
    "Breakdown",
    "ContextLoss",
    "FalseContainment",
    "HealthyVolume",
    "MisroutedHandoff",
    "PingPong",
    "Queue",
    "QueueStats",
    "RareAwfulJourney",
    "Reason",
    "RepeatedVerification",
    "Scenario",
    "SimulationResult",
    "SurveyDrop",
    "Team",
    "VendorPressure",
    "Vocabulary",
    "builtin_scenarios",
    "erlang_a",
    "load_scenario",
    "simulate",
    "simulate_queue",
]
