"""The public surface is exactly what __all__ says, and every name in it exists."""

import cxray

EXPECTED = {
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
}


def test_public_api_is_stable():
    assert set(cxray.__all__) == EXPECTED


def test_every_exported_name_exists():
    for name in cxray.__all__:
        assert getattr(cxray, name) is not None, name


def test_exceptions_form_one_tree():
    for name in ("ConfigError", "EngineError", "InputError", "MissingColumnError"):
        assert issubclass(getattr(cxray, name), cxray.CxrayError)
    assert issubclass(cxray.MissingColumnError, cxray.InputError)
