"""Getting PySpark (an optional extra) and a Spark session, with the settings cxray relies on.

The session time zone is UTC, like the DuckDB engine's, so Parquet timestamps reach DuckDB as the same
instants. Executors must run a Python that has cxray installed: a local session uses this interpreter.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from ..errors import ConfigError

INSTALL_HINT = "pip install 'cxray[spark]'"


def require_pyspark() -> ModuleType:
    """Import ``pyspark.sql`` or raise a :class:`ConfigError` naming the extra to install."""
    try:
        import pyspark.sql
    except ImportError:
        raise ConfigError(
            f"the Spark engine needs PySpark, which is not installed: {INSTALL_HINT} "
            "(and Java 17 or later on the machine)"
        ) from None
    return pyspark.sql


def local_session(*, cores: int | str = "*", shuffle_partitions: int = 8, app: str = "cxray") -> Any:
    """A local-mode SparkSession (``local[cores]``) for a laptop, tests and benchmarks.

    An existing active session is returned as it is: its settings are the caller's.
    """
    sql = require_pyspark()
    active = sql.SparkSession.getActiveSession()
    if active is not None:
        return active
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    return (
        sql.SparkSession.builder.master(f"local[{cores}]")
        .appName(app)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", os.environ.get("CXRAY_SPARK_DRIVER_MEMORY", "4g"))
        .getOrCreate()
    )


@contextmanager
def quiet_pyspark() -> Iterator[None]:
    """PySpark 4 warns on every Arrow UDF when pandas is 3.x, which cxray does not use there."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
        yield
