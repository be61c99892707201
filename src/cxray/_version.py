"""The package version, in one place (imported by the package and by diagnosis.json)."""

__version__ = "0.1.0"
