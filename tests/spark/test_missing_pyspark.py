"""Without PySpark the Spark engine says which extra to install (runs whether or not PySpark is present)."""

from __future__ import annotations

import sys

import pytest

from cxray.errors import ConfigError


def test_missing_pyspark_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ConfigError naming ``pip install 'cxray[spark]'``, not an ImportError traceback."""
    from cxray.spark import diagnose_spark

    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(ConfigError, match=r"pip install 'cxray\[spark\]'"):
        diagnose_spark(["events.parquet"])
