"""Fixtures for the flow-map tests: real XES logs loaded through pm4py (see ``flow_pm4py_log``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from flow_pm4py_log import load_pm4py_events

from cxray.engine import Engine


@pytest.fixture
def load_xes(engine: Engine, shared_data: Path) -> Callable[[str], pd.DataFrame]:
    """``load_xes("helpdesk/helpdesk.xes")`` fills ``engine`` and returns pm4py's dataframe."""
    return lambda relative: load_pm4py_events(engine, shared_data / relative)
