"""cxray: X-ray a customer-service operation from its own event data.

The public API is small on purpose: :func:`diagnose` reads event files (or an Arrow table) into a
:class:`Diagnosis`, and :func:`write_outputs` writes it as ``diagnosis.json``, ``report.html`` and the
rows behind them, ``contacts.parquet``, ``journeys.parquet`` and ``touchpoints.csv``. Here on a small
simulated centre, its events written to a CSV file as an export would be:

>>> import tempfile
>>> from pathlib import Path
>>> import cxray
>>> from cxray.simulate import load_scenario, simulate
>>> with tempfile.TemporaryDirectory() as tmp, cxray.Engine() as engine:
...     sim = simulate(load_scenario("default"), seed=1, days=7, customers=200)
...     calls = sim.write(Path(tmp), fmt="csv")[0]
...     diagnosis = cxray.diagnose(calls, engine=engine)
...     paths = cxray.write_outputs(diagnosis, Path(tmp) / "out", engine=engine)
...     sorted(path.name for path in paths.values())
['contacts.parquet', 'diagnosis.json', 'journeys.parquet', 'report.html', 'touchpoints.csv']

Every row read is accounted for: kept, rejected (with its reason, in ``rejected.csv``) or a duplicate.

>>> i = diagnosis.input
>>> i.rows_read == i.rows_kept + i.rows_rejected + i.duplicates_dropped
True
>>> diagnosis.contacts().num_rows == diagnosis.metrics.overall["contacts"]
True

:func:`check_data` stops after the reading and the data-quality guards: a first look at an export.

Options are typed (``cxray.ReadOptions`` for reading and mapping columns, ``cxray.AnalysisOptions`` for the
repeat window...). Everything else (readers, analyses, renderers) lives in sub-packages named for what they
do.
"""

from cxray._version import __version__
from cxray.costs import CostModel
from cxray.diagnose import DataCheck, Diagnosis, check_data, diagnose
from cxray.diagnose_options import DiagnoseOptions, load_options
from cxray.engine import Engine
from cxray.errors import ConfigError, CxrayError, EngineError, InputError, MissingColumnError
from cxray.io import InputSummary, Mapping, ReadOptions, read_events
from cxray.options import AnalysisOptions
from cxray.outputs import write_outputs

__all__ = [
    "AnalysisOptions",
    "ConfigError",
    "CostModel",
    "CxrayError",
    "DataCheck",
    "DiagnoseOptions",
    "Diagnosis",
    "Engine",
    "EngineError",
    "InputError",
    "InputSummary",
    "Mapping",
    "MissingColumnError",
    "ReadOptions",
    "__version__",
    "check_data",
    "diagnose",
    "load_options",
    "read_events",
    "write_outputs",
]
