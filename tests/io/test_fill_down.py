"""A grouped report's blank ids read as the id above them (``Mapping.fill_down``, ``--fill-down``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from io_helpers import read_one, write
from typer.testing import CliRunner

from cxray import diagnose
from cxray.cli import app
from cxray.engine import Engine
from cxray.errors import ConfigError
from cxray.io import ReadOptions
from cxray.io.mapping import Mapping

COLUMNS = {"contact_id": "Case Number", "timestamp": "Opened", "activity": "Step", "customer_id": "Account"}


def report(tmp_path: Path, *, grouped: bool, name: str = "cases.csv") -> Path:
    """Cases of three or four steps; grouped, the case number and account only on each case's first row
    (a formatted report's groups), else on every row."""
    lines = ["Case Number,Opened,Step,Account,Wait (days)"]
    for i in range(30):
        steps = ["New", "Assigned", "Closed"] if i % 3 else ["New", "Assigned", "Reopened", "Closed"]
        for j, step in enumerate(steps):
            first = j == 0 or not grouped
            case, account = (f"CS-{i:03d}", f"A{i % 7}") if first else ("", " ")
            lines.append(f"{case},2024-03-{1 + i % 28:02d} {8 + j}:00,{step},{account},{'' if j else i % 4}")
    return write(tmp_path, name, "\n".join(lines) + "\n")


def events(engine: Engine) -> list[tuple]:
    return engine.fetchall(
        "SELECT source_row, contact_id, customer_id, activity, timestamp FROM events ORDER BY source_row"
    )


def test_filled_down_a_grouped_report_reads_as_the_same_report_with_every_id(engine: Engine, tmp_path: Path):
    """The oracle is the report with the ids written on every row: the same events, row for row. Without
    fill_down every row under a group's first is rejected for its missing id, and the first page says why
    that may be and which flag reads them."""
    full = read_one(
        engine, report(tmp_path, grouped=False, name="full.csv"), mapping=Mapping(columns=COLUMNS)
    )
    expected = events(engine)
    grouped = report(tmp_path, grouped=True)
    filled = Mapping(columns=COLUMNS, fill_down=("contact_id", "Account"))
    s = read_one(engine, grouped, mapping=filled)
    assert (s.rows_kept, s.rows_rejected) == (full.rows_kept, 0) and events(engine) == expected
    # a canonical name and a source column name alike; a typed (numeric) column keeps its type
    s = read_one(engine, grouped, mapping=Mapping(columns=COLUMNS, fill_down=("Case Number", "customer_id")))
    assert events(engine) == expected
    blank = 'SELECT count(*) FROM events WHERE "Wait (days)" IS NULL'
    assert engine.scalar(blank) == 70  # an attribute not filled keeps its blanks
    both = ("contact_id", "Account", "Wait (days)")  # a numeric column, its NULLs filled as numbers
    read_one(engine, grouped, mapping=Mapping(columns=COLUMNS, fill_down=both))
    assert engine.scalar(blank) == 0 and events(engine) == expected
    d = diagnose(grouped, read=ReadOptions(mapping=Mapping(columns=COLUMNS)))
    assert d.input.rejected_by_reason == {"missing_contact_id": 70}
    (w,) = [w for w in d.data_quality.warnings if w.code == "blank_contact_ids"]
    assert not w.handled and "--fill-down contact_id" in w.message and w.count == 70


def test_a_fill_down_name_that_is_no_column_names_the_file(engine: Engine, tmp_path: Path):
    with pytest.raises(ConfigError, match=r"fill_down 'Agent' is neither a column of the file") as info:
        read_one(
            engine, report(tmp_path, grouped=True), mapping=Mapping(columns=COLUMNS, fill_down=("Agent",))
        )
    assert Path(info.value.path).name == "cases.csv"


def test_a_few_blank_ids_are_rejected_without_the_grouped_report_warning(engine: Engine, tmp_path: Path):
    """Two rows of 90 without an id are rows to reject, not a grouped report."""
    path = report(tmp_path, grouped=False)
    text = path.read_text().splitlines()
    text[5], text[9] = "," + text[5].split(",", 1)[1], "," + text[9].split(",", 1)[1]
    path.write_text("\n".join(text) + "\n")
    d = diagnose(path, read=ReadOptions(mapping=Mapping(columns=COLUMNS)))
    assert d.input.rejected_by_reason == {"missing_contact_id": 2}
    assert "blank_contact_ids" not in {w.code for w in d.data_quality.warnings}


def test_the_cli_flag_and_the_mapping_key(tmp_path: Path):
    grouped = report(tmp_path, grouped=True)
    maps = [a for k, v in COLUMNS.items() for a in ("--map", f"{k}={v}")]
    out = CliRunner().invoke(app, ["diagnose", str(grouped), *maps, "--fill-down", "contact_id", "--check"])
    assert "kept 100, rejected 0" in out.output, out.output
    yaml = write(
        tmp_path,
        "m.yaml",
        "columns:\n"
        + "".join(f"  {k}: {v}\n" for k, v in COLUMNS.items())
        + "fill_down: [contact_id, customer_id]\n",
    )
    assert Mapping.from_yaml(yaml).fill_down == ("contact_id", "customer_id")
    out = CliRunner().invoke(app, ["diagnose", str(grouped), "--mapping", str(yaml), "--check"])
    assert "kept 100, rejected 0" in out.output, out.output
