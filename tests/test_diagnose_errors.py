"""An engine failure inside ``diagnose`` says which step it happened in."""

from __future__ import annotations

import importlib

import pytest

from cxray.errors import EngineError
from cxray.testing import events_table

D = importlib.import_module("cxray.diagnose")  # the module: ``cxray.diagnose`` the name is the function


def test_an_engine_failure_names_its_step(monkeypatch):
    def broken(*args, **kwargs):
        raise EngineError("DuckDB failed: Out of Range Error")

    monkeypatch.setattr(D, "core_metrics", broken)
    rows = [{"contact_id": "c1", "timestamp": "2024-01-01T09:00:00", "activity": "Answer"}]
    with pytest.raises(EngineError, match=r"^while measuring: DuckDB failed: Out of Range Error$"):
        D.diagnose(events_table(rows))


def test_a_step_is_named_once():
    named = D.NamedSteps(D.Silent())
    named.step("mapping the flow")
    once = named.error(EngineError("boom"))
    assert str(named.error(once)) == str(once) == "while mapping the flow: boom"
