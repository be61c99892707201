"""Engine defaults: a bounded memory limit, spill files outside the working directory, env overrides."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cxray.engine import MEMORY_CAP_BYTES, Engine, default_memory_limit


def _setting(engine: Engine, name: str) -> str:
    return str(engine.scalar(f"SELECT current_setting('{name}')"))


def _bytes(text: str) -> float:
    number, unit = text.split()
    return float(number) * {"MiB": 2**20, "GiB": 2**30, "KiB": 2**10}[unit]


def test_default_memory_limit_is_capped_and_within_ram():
    mb = int(default_memory_limit().removesuffix("MB"))
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert 256 <= mb * 1_000_000 <= min(MEMORY_CAP_BYTES, max(ram // 2, 256_000_000))


def test_engine_applies_the_default_not_duckdbs_80_percent(monkeypatch):
    monkeypatch.delenv("CXRAY_MEMORY_LIMIT", raising=False)
    with Engine() as e:
        limit = _bytes(_setting(e, "memory_limit"))
    expected = int(default_memory_limit().removesuffix("MB")) * 1_000_000
    assert limit == pytest.approx(expected, rel=0.05)  # DuckDB shows one decimal of GiB


def test_env_and_argument_override_the_default(monkeypatch):
    monkeypatch.setenv("CXRAY_MEMORY_LIMIT", "1GB")
    with Engine() as e:
        assert _bytes(_setting(e, "memory_limit")) == pytest.approx(1e9, rel=0.01)
    with Engine(memory_limit="500MB") as e:
        assert _bytes(_setting(e, "memory_limit")) == pytest.approx(5e8, rel=0.01)


def test_spill_folder_is_private_and_removed_on_close(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    e = Engine()
    folder = Path(_setting(e, "temp_directory"))
    assert folder.is_absolute() and tmp_path not in folder.parents and folder.exists()
    e.close()
    assert not folder.exists() and not (tmp_path / ".tmp").exists()


def test_given_temp_directory_is_kept(tmp_path):
    with Engine(temp_directory=str(tmp_path / "spill")) as e:
        assert _setting(e, "temp_directory") == str(tmp_path / "spill")


def test_duckdbs_own_progress_bar_is_off():
    """cxray prints its own progress: DuckDB's bar would print over it (and into a --quiet run's output)
    for every statement over two seconds. In a plain Python process DuckDB turns it on (under pytest it
    does not, so the check runs in one of its own)."""
    code = (
        "import duckdb; from cxray.engine import Engine; e = Engine(); "
        "q = \"SELECT current_setting('enable_progress_bar')\"; "
        "print(duckdb.connect().execute(q).fetchone()[0], e.scalar(q))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    duckdb_default, ours = out.split()
    assert ours == "False", f"DuckDB's default here: {duckdb_default}"
