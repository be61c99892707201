"""``diagnose_spark`` equals the DuckDB ``diagnose`` on the same Parquet files: every count exactly, DFG
medians within the sketch's bound, the same ranked breakdowns (the laptop run is the oracle)."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from spark_helpers import DATA, assert_same_diagnosis

from cxray import schema as S
from cxray.diagnose import diagnose
from cxray.io.readers.xes import read_xes


def _both(spark: Any, paths: list[Path], partitions: int) -> tuple[dict[str, Any], dict[str, Any]]:
    from cxray.spark import diagnose_spark

    laptop = diagnose(paths).to_dict()
    scaled = diagnose_spark(paths, spark=spark, partitions=partitions).to_dict()
    return laptop, scaled


def _simulated_centre(tmp: Path) -> list[Path]:
    """A simulated centre in two files, with anonymous contacts, exact duplicates and a rejected row."""
    from cxray.simulate import load_scenario, simulate

    events = simulate(load_scenario("default"), seed=7, days=10, customers=3000).events
    events = events.drop_columns([S.SOURCE_ROW, S.SOURCE_FILE])
    # One contact in seven (by first appearance) loses its customer: each is its own journey.
    codes = pc.dictionary_encode(events[S.CONTACT_ID]).combine_chunks().indices.to_numpy()
    customer = np.where(codes % 7 == 0, None, events[S.CUSTOMER_ID].to_numpy(zero_copy_only=False))
    events = events.set_column(
        events.schema.get_field_index(S.CUSTOMER_ID), S.CUSTOMER_ID, pa.array(customer)
    )
    half = events.num_rows // 2
    first = pa.concat_tables([events.slice(0, half), events.slice(10, 5)])  # five exact duplicates
    second = events.slice(half)
    bad = second.slice(0, 1).set_column(1, S.TIMESTAMP, pa.array([None], pa.timestamp("us")))
    second = pa.concat_tables([second, bad])  # one row without a timestamp: rejected
    paths = [tmp / "a.parquet", tmp / "b.parquet"]
    pq.write_table(first, paths[0])
    pq.write_table(second, paths[1])
    return paths


def test_simulated_centre(spark: Any, tmp_path: Path) -> None:
    """Two files, anonymous contacts, duplicates, a rejected row, 5 partitions: the same diagnosis."""
    from cxray.spark import MEDIAN_ACCURACY

    laptop, scaled = _both(spark, _simulated_centre(tmp_path), partitions=5)
    assert laptop["input"]["duplicates_dropped"] == 5 and laptop["input"]["rows_rejected"] == 1
    assert laptop["metrics"]["overall"]["journeys"] < laptop["metrics"]["overall"]["contacts"]
    assert len(laptop["breakdowns"]) >= 3  # the planted breakdowns are found, so ranking is compared
    assert_same_diagnosis(laptop, scaled, MEDIAN_ACCURACY)


def _xes_as_parquet(xes: Path, tmp: Path) -> Path:
    """The raw XES columns (``case:concept:name``...) as Parquet: Spark maps them as the reader does."""
    if not xes.is_file():
        pytest.skip(f"{xes} not available")
    out = tmp / (xes.stem + ".parquet")
    pq.write_table(read_xes(xes), out)
    return out


@pytest.mark.slow
def test_helpdesk(spark: Any, tmp_path: Path) -> None:
    """Helpdesk (4,580 cases, no customer_id: every contact is its own journey): the same diagnosis."""
    from cxray.spark import MEDIAN_ACCURACY

    path = _xes_as_parquet(DATA / "helpdesk" / "helpdesk.xes", tmp_path)
    laptop, scaled = _both(spark, [path], partitions=3)
    assert laptop["input"]["rows_kept"] > 20_000
    assert_same_diagnosis(laptop, scaled, MEDIAN_ACCURACY)


@pytest.mark.slow
def test_helpdesk_against_its_documented_model(spark: Any, tmp_path: Path) -> None:
    """Helpdesk with the shipped model (required steps, a step and a handoff target): the partitions'
    variants replay as the laptop's contacts, and the slow handoffs read the gathered events."""
    from cxray.diagnose_options import DiagnoseOptions
    from cxray.process import model as process_model
    from cxray.spark import MEDIAN_ACCURACY, diagnose_spark

    model = process_model.load_model(Path(process_model.__file__).parent / "models" / "helpdesk.yaml")
    options = DiagnoseOptions(model=model)
    path = _xes_as_parquet(DATA / "helpdesk" / "helpdesk.xes", tmp_path)
    laptop = diagnose([path], options).to_dict()
    scaled = diagnose_spark([path], options, spark=spark, partitions=3).to_dict()
    conformance = laptop["conformance"]
    assert conformance["model_source"] == "documented" and 0 < conformance["fitness"] < 1
    assert any(s["over_target"] for s in conformance["slow_handoffs"])
    assert_same_diagnosis(laptop, scaled, MEDIAN_ACCURACY)


@pytest.mark.slow
def test_bpic2013_incidents(spark: Any, tmp_path: Path) -> None:
    """BPIC 2013 incidents (65,533 events, ping-pong between teams): the same diagnosis."""
    from cxray.spark import MEDIAN_ACCURACY

    path = _xes_as_parquet(DATA / "bpic2013" / "BPI_Challenge_2013_incidents.xes", tmp_path)
    laptop, scaled = _both(spark, [path], partitions=4)
    assert laptop["metrics"]["overall"]["ping_pong_rate"] > 0
    assert_same_diagnosis(laptop, scaled, MEDIAN_ACCURACY)


@pytest.mark.slow
def test_bpic2013_open_problems_dead_ends(spark: Any, tmp_path: Path) -> None:
    """BPIC 2013 open problems with its mapping (outcomes, months between steps): DE01's waits per step,
    counted per partition and added up on the driver, leave the same problems open and the same dead."""
    from cxray.io import Mapping, ReadOptions
    from cxray.spark import MEDIAN_ACCURACY, diagnose_spark

    path = _xes_as_parquet(DATA / "bpic2013" / "BPI_Challenge_2013_open_problems.xes", tmp_path)
    read = ReadOptions(mapping=Mapping.builtin("bpic2013-incidents"))
    laptop = diagnose([path], read=read).to_dict()
    scaled = diagnose_spark([path], spark=spark, partitions=4, read=read).to_dict()
    dead = [f for f in laptop["all_findings"] if f["code"] == "DE01"]
    assert dead and all(f["evidence"]["still_open"] > 0 for f in dead)
    assert_same_diagnosis(laptop, scaled, MEDIAN_ACCURACY)


def test_contacts_and_journeys_tables_are_the_same(spark: Any, tmp_path: Path) -> None:
    """``Diagnosis.contacts()`` and ``journeys()`` (the rows of contacts/journeys.parquet) are equal."""
    from cxray.simulate import load_scenario, simulate
    from cxray.spark import diagnose_spark

    events = simulate(load_scenario("default"), seed=7, days=10, customers=1000).events
    path = tmp_path / "events.parquet"
    pq.write_table(events.drop_columns([S.SOURCE_ROW, S.SOURCE_FILE]), path)
    laptop, scaled = diagnose([path]), diagnose_spark([path], spark=spark, partitions=3)
    assert laptop.contacts().num_rows > laptop.journeys().num_rows > 0
    assert scaled.contacts().equals(laptop.contacts())
    assert scaled.journeys().equals(laptop.journeys())


def _artefacts_centre(tmp: Path) -> Path:
    """A simulated centre with bulk ids, markers, night calls and a mistyped year, as Parquet."""
    from cxray.simulate import Artefacts, load_scenario, simulate

    sim = simulate(load_scenario("default"), seed=3, days=10, customers=15000, artefacts=Artefacts())
    path = tmp / "artefacts.parquet"
    pq.write_table(sim.events.drop_columns([S.SOURCE_ROW, S.SOURCE_FILE]), path)
    return path


def test_simulated_centre_with_real_export_artefacts(spark: Any, tmp_path: Path) -> None:
    """Bulk ids, markers, night calls, a mistyped year: the driver's guards rebuild journeys and the flow,
    and the diagnosis still equals the embedded engine's."""
    from cxray.spark import MEDIAN_ACCURACY

    laptop, scaled = _both(spark, [_artefacts_centre(tmp_path)], partitions=3)
    dq = laptop["data_quality"]
    assert dq["bulk_identities"] and dq["excluded_contacts"] > 0 and dq["period"]["outlier_events"] >= 1
    assert_same_diagnosis(laptop, scaled, MEDIAN_ACCURACY)


def test_a_source_column_named_like_an_internal_one(spark: Any, tmp_path: Path) -> None:
    """A Parquet column called __cx_row (or __CX_REASON) is kept as '<name> (source)' by both engines."""
    from cxray.testing import events_table

    rows = [
        {"contact_id": f"c{i}", "timestamp": f"2024-03-04T09:{i:02d}:00", "activity": "Answer"}
        for i in range(6)
    ]
    table = events_table(rows).drop_columns([S.SOURCE_ROW, S.SOURCE_FILE])
    table = table.append_column("__cx_row", pa.array([str(i) for i in range(6)]))
    table = table.append_column("__CX_REASON", pa.array(["x"] * 6))
    path = tmp_path / "reserved.parquet"
    pq.write_table(table, path)
    laptop, scaled = _both(spark, [path], partitions=2)
    assert {"__cx_row (source)", "__CX_REASON (source)"} <= set(laptop["input"]["attributes"])
    assert laptop["input"]["rows_kept"] == 6
    assert laptop["input"] == scaled["input"]


def _small_centre(tmp: Path) -> Path:
    from cxray.simulate import load_scenario, simulate

    events = simulate(load_scenario("default"), seed=5, days=7, customers=800).events
    path = tmp / "events.parquet"
    pq.write_table(events.drop_columns([S.SOURCE_ROW, S.SOURCE_FILE]), path)
    return path


def test_tables_as_payloads_when_executors_do_not_share_the_drivers_files(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a cluster the partitions' tables travel through Spark as payloads: the same diagnosis and tables."""
    import cxray.spark.diagnose as spark_diagnose
    from cxray.spark import MEDIAN_ACCURACY, diagnose_spark

    monkeypatch.setattr(spark_diagnose, "shares_files", lambda _spark: False)
    made: list[str] = []
    real = spark_diagnose.tempfile.TemporaryDirectory
    monkeypatch.setattr(
        spark_diagnose.tempfile, "TemporaryDirectory", lambda **kw: made.append("dir") or real(**kw)
    )
    path = _small_centre(tmp_path)
    laptop, scaled = diagnose([path]), diagnose_spark([path], spark=spark, partitions=3)
    assert not made  # no hand-off directory: the payload route ran
    assert scaled.contacts().equals(laptop.contacts()) and scaled.journeys().equals(laptop.journeys())
    assert_same_diagnosis(laptop.to_dict(), scaled.to_dict(), MEDIAN_ACCURACY)


def test_local_mode_hands_tables_over_as_files_and_removes_them(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Local mode: each partition's tables are files in a temporary directory the driver reads, gone after."""
    import cxray.spark._gather as gather_module
    import cxray.spark.diagnose as spark_diagnose
    from cxray.spark import diagnose_spark

    dirs: list[Path] = []
    real_dir = spark_diagnose.tempfile.TemporaryDirectory

    def recording_dir(**kw: Any) -> Any:
        made = real_dir(dir=tmp_path, **kw)
        dirs.append(Path(made.name))
        return made

    read: list[Path] = []
    real_read = gather_module.read_ipc_file
    monkeypatch.setattr(spark_diagnose.tempfile, "TemporaryDirectory", recording_dir)
    monkeypatch.setattr(gather_module, "read_ipc_file", lambda p: read.append(Path(p)) or real_read(p))
    path = _small_centre(tmp_path)
    scaled = diagnose_spark([path], spark=spark, partitions=3)
    assert len(dirs) == 1 and not dirs[0].exists()
    # events, contacts, journeys, the gap sketch, the journey paths' counts, the two incentive tables,
    # conformance's variants and their steps and nineteen detector tables (next contacts; BO01's two,
    # CL01's five, DE01's two, LP01's two, MH01's, PP01's two, TR01's two, WT01's two) of each of the
    # three partitions
    assert len(read) == 3 * (9 + 19) and {p.parent for p in read} == {dirs[0]}
    assert scaled.contacts().equals(diagnose([path]).contacts())


def test_the_customer_map_joined_by_a_shuffle_above_the_broadcast_limit(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``BROADCAST_CONTACTS`` the contact -> customer map is joined by a shuffle: the same tables."""
    import cxray.spark._partition as partition
    from cxray.spark import diagnose_spark

    monkeypatch.setattr(partition, "BROADCAST_CONTACTS", 0)
    path = _small_centre(tmp_path)
    laptop, scaled = diagnose([path]), diagnose_spark([path], spark=spark, partitions=3)
    assert scaled.contacts().equals(laptop.contacts()) and scaled.journeys().equals(laptop.journeys())


def test_the_staged_counts_estimate_the_contacts(spark: Any, tmp_path: Path) -> None:
    """The estimate that chooses the join is within HyperLogLog's error of the exact count."""
    from cxray.io import ReadOptions
    from cxray.spark._session import quiet_pyspark
    from cxray.spark._stage import count_staged, stage

    path = _small_centre(tmp_path)
    exact = len(pq.read_table(path).column(S.CONTACT_ID).unique())
    with quiet_pyspark():
        estimate = count_staged(stage(spark, [str(path)], ReadOptions())).contacts
    assert abs(estimate - exact) <= 0.1 * exact


def test_a_folder_of_part_files_numbers_records_across_them(spark: Any, tmp_path: Path) -> None:
    """Part files are read in path order and their records numbered on from one to the next, as one file
    holding them in that order: the same contacts, journeys and event rows (by source row)."""
    from cxray.engine import Engine
    from cxray.spark import diagnose_spark

    events = pq.read_table(_small_centre(tmp_path))
    folder = tmp_path / "parts"
    folder.mkdir()
    cuts = [0, events.num_rows // 3, events.num_rows // 2, events.num_rows]
    for k, (a, b) in enumerate(pairwise(cuts)):
        pq.write_table(events.slice(a, b - a), folder / f"part-{k:05d}.parquet", row_group_size=1000)
    laptop = diagnose([tmp_path / "events.parquet"])
    with Engine() as engine:
        scaled = diagnose_spark([folder], spark=spark, partitions=3, engine=engine)
        rows = engine.arrow(f"SELECT {S.SOURCE_ROW}, {S.ACTIVITY} FROM events ORDER BY 1")
    assert scaled.contacts().equals(laptop.contacts()) and scaled.journeys().equals(laptop.journeys())
    assert rows.column(S.SOURCE_ROW).to_pylist() == list(range(1, events.num_rows + 1))
    assert rows.column(S.ACTIVITY).to_pylist() == events.column(S.ACTIVITY).to_pylist()


def test_the_driver_adopts_the_partitions_ordered_tables(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The partitions' events come as their ordered tables: the driver never sorts the events by contact
    itself, and the diagnosis is the laptop's."""
    import cxray.ordered as ordered
    from cxray.spark import MEDIAN_ACCURACY, diagnose_spark

    built: list[str] = []
    real = ordered._ordered_sql
    monkeypatch.setattr(ordered, "_ordered_sql", lambda *a: built.append("x") or real(*a))
    path = _small_centre(tmp_path)
    scaled = diagnose_spark([path], spark=spark, partitions=3).to_dict()
    assert not built  # the driver's own process (the tasks run in Python workers)
    assert_same_diagnosis(diagnose([path]).to_dict(), scaled, MEDIAN_ACCURACY)


def test_the_drivers_events_store_text_as_one_enum_of_every_partitions_values(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each partition encodes its own values (``io.canonical.encode_categories``) and hands text over;
    the driver's copy of their ordered tables casts each column to one ENUM of all of them, as a
    laptop's read stores it (the next activity as the activity)."""
    import cxray.spark._gather as gather
    from cxray.engine import Engine
    from cxray.ordered import ORDERED_TABLE
    from cxray.spark import diagnose_spark

    adopted: dict[str, str] = {}
    real = gather.adopt_ordered_events

    def spy(engine: Engine, *args: Any, **kwargs: Any) -> None:
        real(engine, *args, **kwargs)
        adopted.update(engine.fetchall(f"SELECT name, type FROM pragma_table_info('{ORDERED_TABLE}')"))

    monkeypatch.setattr(gather, "adopt_ordered_events", spy)
    path = _small_centre(tmp_path)
    with Engine() as engine:
        diagnose_spark([path], spark=spark, partitions=3, engine=engine)
        activities = sorted(r[0] for r in engine.fetchall("SELECT DISTINCT activity FROM events"))
    types = adopted
    with Engine() as laptop:
        diagnose([path], engine=laptop)
        expected = dict(laptop.fetchall("SELECT name, type FROM pragma_table_info('events')"))
    assert types[S.ACTIVITY] == f"ENUM({', '.join(repr(a) for a in activities)})"
    assert types["next_activity"] == types[S.ACTIVITY] == expected[S.ACTIVITY]
    for column in (S.CHANNEL, S.QUEUE, S.TEAM, S.REASON, S.OUTCOME):
        assert types[column] == expected[column] and types[column].startswith("ENUM(")
    assert types[S.CONTACT_ID] == "VARCHAR"


def test_the_drivers_detectors_read_the_partitions_tables_not_the_events(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The partitions stage the detectors', the incentives' and conformance's tables from their events
    and count the journeys per path: the driver's finder never reads the events, nor does the driver
    count paths, stage the incentives or group contacts into variants, and the diagnosis is the
    laptop's. When the guards rebuild the journeys, the staged tables and counts are dropped and the
    driver makes them again."""
    import importlib

    from cxray.findings.context import DetectorContext
    from cxray.spark import MEDIAN_ACCURACY, diagnose_spark

    def no_events(self: Any) -> str:
        raise AssertionError("the driver's detectors read the events")

    diagnose_module = importlib.import_module("cxray.diagnose")  # the package's ``diagnose`` is the function
    staged: list[Any] = []
    real = diagnose_module.find_breakdowns
    monkeypatch.setattr(
        diagnose_module, "find_breakdowns", lambda *a, **k: staged.append(k["staged"]) or real(*a, **k)
    )
    conformance_module = importlib.import_module("cxray.process.conformance")
    paths_module = importlib.import_module("cxray.journey_paths")
    incentives_module = importlib.import_module("cxray.incentives.assessment")
    counted: list[str] = []
    real_counts, real_incentives = paths_module.journey_path_counts, incentives_module.stage_incentive_tables
    real_variants = conformance_module._variants

    def counting(*a: Any) -> str:
        counted.append("paths")
        return real_counts(*a)

    def staging(*a: Any, **k: Any) -> tuple[str, str]:
        counted.append("incentives")
        return real_incentives(*a, **k)

    def grouping(*a: Any, **k: Any) -> None:
        counted.append("variants")
        real_variants(*a, **k)

    def spy_on_the_driver(patch: pytest.MonkeyPatch) -> None:
        patch.setattr(paths_module, "journey_path_counts", counting)
        patch.setattr(incentives_module, "stage_incentive_tables", staging)
        patch.setattr(conformance_module, "_variants", grouping)

    path = _small_centre(tmp_path)
    laptop = diagnose([path]).to_dict()
    monkeypatch.setattr(DetectorContext, "events_table", no_events)  # the driver's process only
    spy_on_the_driver(monkeypatch)
    scaled = diagnose_spark([path], spark=spark, partitions=3).to_dict()
    assert staged[-1] is not None and "_cxray_fx_next" in staged[-1].shared and not counted
    assert laptop["metrics"]["journey_paths"] and len(laptop["metrics"]["journey_paths"]) > 3
    assert_same_diagnosis(laptop, scaled, MEDIAN_ACCURACY)

    # bulk ids excluded: the driver rebuilds the journeys, then stages and counts for itself
    monkeypatch.undo()
    path = _artefacts_centre(tmp_path)
    laptop = diagnose([path]).to_dict()
    assert laptop["data_quality"]["excluded_contacts"] > 0
    monkeypatch.setattr(
        diagnose_module, "find_breakdowns", lambda *a, **k: staged.append(k["staged"]) or real(*a, **k)
    )
    spy_on_the_driver(monkeypatch)
    counted.clear()
    scaled = diagnose_spark([path], spark=spark, partitions=3).to_dict()
    assert staged[-1] is None and sorted(counted) == ["incentives", "paths", "variants"]
    assert_same_diagnosis(laptop, scaled, MEDIAN_ACCURACY)


def test_an_attribute_named_like_an_ordered_column_comes_back_as_events(spark: Any, tmp_path: Path) -> None:
    """An event column called ``route`` keeps the events a table of their own (nothing to adopt): the
    partitions send their events and the driver orders them itself, as a laptop run does."""
    from cxray.spark import MEDIAN_ACCURACY

    events = pq.read_table(_small_centre(tmp_path))
    events = events.append_column("route", pc.cast(events.column(S.QUEUE), pa.string()))
    path = tmp_path / "with_route.parquet"
    pq.write_table(events, path)
    laptop, scaled = _both(spark, [path], partitions=3)
    assert "route" in laptop["input"]["attributes"]
    assert_same_diagnosis(laptop, scaled, MEDIAN_ACCURACY)


def test_the_callers_engine_gets_its_checkpoint_setting_back(spark: Any, tmp_path: Path) -> None:
    """The driver works without automatic checkpoints and puts the caller's setting back after."""
    from cxray.engine import Engine
    from cxray.spark import diagnose_spark

    with Engine() as engine:
        engine.execute("SET checkpoint_threshold = '32MB'")
        before = engine.scalar("SELECT current_setting('checkpoint_threshold')")
        diagnose_spark([_small_centre(tmp_path)], spark=spark, partitions=2, engine=engine)
        assert engine.scalar("SELECT current_setting('checkpoint_threshold')") == before


def test_each_file_read_with_its_own_mapping(spark: Any, tmp_path: Path) -> None:
    """The second file written by another system (its own column names) and read with a mapping of its
    own (``file_mappings``): Spark gives the laptop's diagnosis, both that of the files as first written."""
    from cxray.io import Mapping, ReadOptions
    from cxray.spark import MEDIAN_ACCURACY, diagnose_spark

    paths = _simulated_centre(tmp_path)
    laptop = diagnose(paths).to_dict()
    names = {S.CONTACT_ID: "CallId", S.TIMESTAMP: "When", S.ACTIVITY: "Step", S.CUSTOMER_ID: "Caller"}
    other = pq.read_table(paths[1])
    renamed = tmp_path / "crm.parquet"
    pq.write_table(other.rename_columns([names.get(c, c) for c in other.column_names]), renamed)
    read = ReadOptions(file_mappings={"crm.parquet": Mapping(columns={k: v for k, v in names.items()})})
    mapped = diagnose([paths[0], renamed], read=read).to_dict()
    scaled = diagnose_spark([paths[0], renamed], spark=spark, partitions=3, read=read).to_dict()
    for doc in (mapped, scaled):
        assert doc["input"]["rows_kept"] == laptop["input"]["rows_kept"]
        assert doc["metrics"]["overall"] == laptop["metrics"]["overall"]
    assert_same_diagnosis(mapped, scaled, MEDIAN_ACCURACY)


def test_a_mapping_that_filters_rows_is_refused_not_read_uncounted(spark: Any, tmp_path: Path) -> None:
    from cxray.errors import ConfigError
    from cxray.io import Mapping, ReadOptions
    from cxray.spark import diagnose_spark

    paths = _simulated_centre(tmp_path)
    read = ReadOptions(mapping=Mapping(drop_rows={S.QUEUE: "Sales"}))
    with pytest.raises(ConfigError, match="keep_rows / drop_rows"):
        diagnose_spark(paths, spark=spark, partitions=2, read=read)


def test_a_phone_region_is_refused_not_left_unread(spark: Any, tmp_path: Path) -> None:
    """The Spark engine does not rewrite customer ids as phone numbers: refused, as a row filter is."""
    from cxray.errors import ConfigError
    from cxray.io import Mapping, ReadOptions
    from cxray.spark import diagnose_spark

    paths = _simulated_centre(tmp_path)
    for read in (ReadOptions(phone_region="GB"), ReadOptions(mapping=Mapping(phone_region="GB"))):
        with pytest.raises(ConfigError, match="phone_region"):
            diagnose_spark(paths, spark=spark, partitions=2, read=read)


def test_fill_down_is_refused_not_filled_batch_by_batch(spark: Any, tmp_path: Path) -> None:
    """Each batch would fill its blanks from its own rows only: the first blank rows of a batch would
    stay blank (rejected) or, worse, the contact split at the batch's edge. Refused."""
    from cxray.errors import ConfigError
    from cxray.io import Mapping, ReadOptions
    from cxray.spark import diagnose_spark

    paths = _simulated_centre(tmp_path)
    with pytest.raises(ConfigError, match="fill_down"):
        diagnose_spark(
            paths, spark=spark, partitions=2, read=ReadOptions(mapping=Mapping(fill_down=("contact_id",)))
        )
