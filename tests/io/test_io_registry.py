"""Formats are a registry: a user's reader plugs in by suffix exactly as the built-ins do."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from io_helpers import column, read_one, write

from cxray.engine import Engine
from cxray.errors import ConfigError, InputError
from cxray.io import ReadOptions
from cxray.io.readers import (
    RawSource,
    file_format,
    register_arrow,
    register_reader,
    registered_readers,
    unregister_reader,
)


def read_toy(path: Path, engine: Engine, view: str, options: ReadOptions) -> RawSource:
    """A toy format: one event a line, ``contact > timestamp > activity``."""
    rows = [line.split(" > ") for line in path.read_text(encoding="utf-8").splitlines() if line]
    names = ("contact_id", "timestamp", "activity")
    table = pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})
    return register_arrow(engine, view, table, path)


@pytest.fixture
def toy():
    reader = register_reader("toy", [".toy", "TOY2"], read_toy)
    yield reader
    unregister_reader("toy")


def test_the_built_in_formats_are_registered_like_any_other():
    readers = registered_readers()
    assert list(readers) == ["csv", "parquet", "jsonl", "xes", "spreadsheet"]
    assert readers["csv"].suffixes == ("csv", "tsv", "txt", "tab")
    assert file_format(Path("log.XES.gz")) == "xes" and file_format(Path("a.b.ndjson")) == "jsonl"


def test_a_registered_reader_is_used_for_its_suffix(engine: Engine, tmp_path: Path, toy):
    """A file named *.toy (or *.toy2, any case) is read by the toy reader into the canonical events."""
    assert toy.suffixes == ("toy", "toy2") and registered_readers()["toy"] is toy
    path = write(tmp_path, "calls.TOY2", "c1 > 2024-03-01 09:00 > Start\nc1 > 2024-03-01 09:05 > End\n")
    assert file_format(path) == "toy"
    summary = read_one(engine, path)
    assert summary.rows_kept == 2 and summary.rows_rejected == 0
    assert column(engine, "activity") == ["Start", "End"]
    unregister_reader("toy")
    with pytest.raises(InputError, match=r"unknown file type \.toy2"):
        read_one(engine, path)


def test_an_unknown_suffix_names_the_file_and_every_known_format(engine: Engine, tmp_path: Path, toy):
    path = write(tmp_path, "export.numbers", "PK?")
    with pytest.raises(InputError) as info:
        read_one(engine, path)
    message = str(info.value)
    assert info.value.path == str(path) and message.startswith(f"{path}: unknown file type .numbers")
    for reader in registered_readers().values():
        assert reader.format in message and all(f".{s}" in message for s in reader.suffixes)
    assert "toy (.toy, .toy2)" in message
    assert "export the sheet of events as .xlsx or CSV" in message  # what to do with it


def test_a_suffix_belongs_to_one_format(toy):
    with pytest.raises(ConfigError, match=r"suffix \.csv is already read as csv"):
        register_reader("other", ["csv"], read_toy)
    with pytest.raises(ConfigError, match="needs a format name"):
        register_reader("empty", [], read_toy)
    with pytest.raises(ConfigError, match="not callable"):
        register_reader("bad", ["bad"], "read_toy")  # type: ignore[arg-type]
    again = register_reader("toy", "toy", read_toy)  # registering again replaces it; a str is one suffix
    assert registered_readers()["toy"] is again and again.suffixes == ("toy",)
    assert "other" not in registered_readers() and "bad" not in registered_readers()


DOCS = Path(__file__).resolve().parents[2] / "docs" / "data-contract.md"


def test_every_format_is_documented_and_the_docs_example_runs(engine: Engine, tmp_path: Path):
    """docs/data-contract.md lists each registered format with its suffixes; its own-format example works."""
    doc = DOCS.read_text(encoding="utf-8")
    for reader in registered_readers().values():
        row = next((line for line in doc.splitlines() if line.startswith(f"| `{reader.format}` |")), "")
        assert row and all(f"`.{s}`" in row for s in reader.suffixes), reader.format
    example = doc.split("### Your own format", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    try:
        exec(compile(example, str(DOCS), "exec"), {})
        path = write(tmp_path, "calls.toy", "c1 > 2024-03-01 09:00 > Start\n")
        assert read_one(engine, path).rows_kept == 1 and column(engine, "activity") == ["Start"]
    finally:
        unregister_reader("toy")
