"""A local Spark session for the whole test session (Spark takes ~10 s to start)."""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    try:
        import pyspark  # noqa: F401

        reason = "" if shutil.which("java") or os.environ.get("JAVA_HOME") else "Spark needs Java 17+"
    except ImportError:
        reason = "PySpark is an optional extra: pip install 'cxray[spark]'"
    if reason:
        if os.environ.get("CI"):  # CI installs both: the engines' equality must be checked there
            pytest.fail(f"{reason} (required in CI)")
        pytest.skip(reason)
    from cxray.spark import local_session

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # PySpark 4 on pandas 3, at session start only
        session = local_session(cores=2, shuffle_partitions=4, app="cxray-tests")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
