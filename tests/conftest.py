"""Shared fixtures: an engine per test and the real public logs beside the repo (../shared/data)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cxray.engine import Engine

REPO = Path(__file__).resolve().parents[1]


def _shared_data() -> Path:
    env = os.environ.get("CXRAY_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


SHARED_DATA = _shared_data()


@pytest.fixture
def engine():
    e = Engine(threads=2)
    yield e
    e.close()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real logs; tests that need them fail loudly in CI (where they must exist) and skip elsewhere."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"shared data not found at {SHARED_DATA}")
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA
