"""The formats ``cxray simulate --format`` writes the simulated centre in, besides csv and parquet.

Each platform format is written by its own module (``export_<platform>.py``) from the canonical Arrow table
alone, in the shape of the vendor's documented export, and read back by the platform adapter of the same
name (docs/adapters.md): the round-trip tests diagnose both and compare. A format's modules are imported
only when it is written.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

#: ``write(events, path) -> records written``: ``path`` is the format's file, or its folder.
WriteFn = Callable[[pa.Table, Path], int]


@dataclass(frozen=True)
class PlatformFormat:
    """A platform export the simulator writes: its adapter's name, the file (or folder) name, the writer."""

    name: str
    file: str
    module: str
    function: str = "write"

    def write(self, events: pa.Table, path: Path) -> int:
        """Write ``events`` at ``path``; returns how many records were written."""
        fn: WriteFn = getattr(importlib.import_module(f"{__package__}.{self.module}"), self.function)
        return fn(events, path)


PLATFORM_FORMATS: dict[str, PlatformFormat] = {
    f.name: f
    for f in (
        PlatformFormat(
            "amazon-connect-ctr", "contact-records.jsonl.gz", "export_connect", "write_contact_records"
        ),
        PlatformFormat("genesys-cloud", "conversations.json", "export_genesys"),
        PlatformFormat("zendesk", "zendesk", "export_zendesk"),
        PlatformFormat("salesforce-service-cloud", "salesforce", "export_salesforce"),
        PlatformFormat("twilio-taskrouter", "taskrouter-events.json", "export_twilio"),
    )
}
