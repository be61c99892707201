"""cxray: X-ray a customer-service operation from its own event data.

The public API is small on purpose::

    import cxray

    events, summary = cxray.read_events(["calls.csv"], cxray.ReadOptions(mapping="helpdesk"))
    diagnosis = cxray.diagnose(["calls.csv"])
    cxray.write_outputs(diagnosis, Path("out"), engine=...)

Everything else (readers, analyses, renderers) lives in sub-packages named for what they do.
"""

from cxray._version import __version__
from cxray.costs import CostModel
from cxray.diagnose import Diagnosis, diagnose, write_outputs
from cxray.engine import Engine
from cxray.errors import ConfigError, CxrayError, EngineError, InputError, MissingColumnError
from cxray.io import InputSummary, Mapping, ReadOptions, read_events
from cxray.options import AnalysisOptions

__all__ = [
    "AnalysisOptions",
    "ConfigError",
    "CostModel",
    "CxrayError",
    "Diagnosis",
    "Engine",
    "EngineError",
    "InputError",
    "InputSummary",
    "Mapping",
    "MissingColumnError",
    "ReadOptions",
    "__version__",
    "diagnose",
    "read_events",
    "write_outputs",
]
