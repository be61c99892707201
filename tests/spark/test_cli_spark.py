"""``cxray diagnose --engine spark`` writes the same diagnosis.json as the default engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from spark_helpers import assert_same_diagnosis
from typer.testing import CliRunner

from cxray.cli import EXIT_CONFIG, EXIT_OK, app


def test_engine_spark_from_the_command_line(spark: Any, tmp_path: Path) -> None:
    from cxray.simulate import load_scenario, simulate
    from cxray.spark import MEDIAN_ACCURACY

    events = simulate(load_scenario("telco"), seed=3, days=10, customers=1500).events
    path = tmp_path / "events.parquet"
    pq.write_table(events, path)
    docs = {}
    for engine in ("duckdb", "spark"):
        out = tmp_path / engine
        extra = ["--partitions", "3"] if engine == "spark" else []
        result = CliRunner().invoke(
            app, ["diagnose", str(path), "--out", str(out), "-q", "--engine", engine, *extra]
        )
        assert result.exit_code == EXIT_OK, result.output
        docs[engine] = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    assert (tmp_path / "spark" / "report.html").is_file()
    assert_same_diagnosis(docs["duckdb"], docs["spark"], MEDIAN_ACCURACY)


def test_unknown_engine_and_stray_partitions_are_config_errors(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("contact_id,timestamp,activity\nc1,2024-01-01T00:00:00,a\n", encoding="utf-8")
    for extra in (["--engine", "flink"], ["--partitions", "2"]):
        result = CliRunner().invoke(app, ["diagnose", str(path), "--out", str(tmp_path / "o"), *extra])
        assert result.exit_code == EXIT_CONFIG, result.output


def test_a_csv_file_on_the_spark_engine_is_a_clear_input_error(spark: Any, tmp_path: Path) -> None:
    from cxray.cli import EXIT_INPUT

    path = tmp_path / "e.csv"
    path.write_text("contact_id,timestamp,activity\nc1,2024-01-01T00:00:00,a\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["diagnose", str(path), "--out", str(tmp_path / "o"), "--engine", "spark"]
    )
    assert result.exit_code == EXIT_INPUT
    assert "reads Parquet" in result.output and "e.csv" in result.output
