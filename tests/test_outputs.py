"""Per-contact and per-journey outputs: the rows behind diagnosis.json, deterministic and redactable."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import cxray
from cxray import schema as S
from cxray.diagnose import Diagnosis
from cxray.redact import pseudonymise
from cxray.simulate import load_scenario, simulate

REPO = Path(__file__).resolve().parents[1]
IDS = (S.CONTACT_ID, S.CUSTOMER_ID, S.JOURNEY_ID)


@pytest.fixture(scope="module")
def sim() -> pa.Table:
    return simulate(load_scenario("default"), seed=3, days=21, customers=1000).events


SALT = "test-salt"


@pytest.fixture(scope="module")
def diagnosed(sim: pa.Table, tmp_path_factory: pytest.TempPathFactory) -> tuple[Diagnosis, Path, Path, Path]:
    """One diagnosis written three times: twice plain (for determinism), once redacted."""
    root = tmp_path_factory.mktemp("outputs")
    with cxray.Engine(threads=2) as engine:
        d = cxray.diagnose(sim, engine=engine)
        for name in ("a", "b"):
            cxray.write_outputs(d, root / name, engine=engine)
        cxray.write_outputs(d, root / "redacted", engine=engine, redact=True, salt=SALT)
    return d, root / "a", root / "b", root / "redacted"


def _kept(table: pa.Table) -> pa.Table:
    """Rows the metrics count: all, or those not excluded (e.g. bulk identities) when the column exists."""
    return table.filter(pc.is_null(table["excluded"])) if "excluded" in table.column_names else table


def test_parquet_files_hold_one_row_per_contact_and_journey(diagnosed):
    """contacts.parquet has one row per contact (as many as metrics count), journeys.parquet per journey."""
    d, out, _, _ = diagnosed
    contacts = pq.read_table(out / "contacts.parquet")
    journeys = pq.read_table(out / "journeys.parquet")
    assert contacts.num_rows == len(set(contacts[S.CONTACT_ID].to_pylist())) > 0
    assert journeys.num_rows == len(set(journeys[S.JOURNEY_ID].to_pylist())) > 0
    assert _kept(contacts).num_rows == d.metrics.overall["contacts"]
    assert set(journeys[S.JOURNEY_ID].to_pylist()) == set(contacts[S.JOURNEY_ID].to_pylist())
    assert contacts.equals(d.contacts()) and journeys.equals(d.journeys())


def test_fcr_rederived_from_journeys_parquet_matches_the_metric(diagnosed):
    """FCR = journeys with is_fcr true / journeys not censored, from the file, equals metrics.overall.fcr."""
    d, out, _, _ = diagnosed
    j = _kept(pq.read_table(out / "journeys.parquet")).to_pylist()
    fcr = sum(r[S.IS_FCR] is True for r in j) / sum(r[S.IS_CENSORED] is False for r in j)
    assert d.metrics.overall["fcr"] is not None
    assert round(fcr, 4) == d.metrics.overall["fcr"]


def test_rows_are_sorted_by_start_then_id(diagnosed):
    """Rows come in (start_ts, id) order, so the files do not depend on the engine's threads."""
    d, _, _, _ = diagnosed
    for table, key in ((d.contacts(), S.CONTACT_ID), (d.journeys(), S.JOURNEY_ID)):
        keys = list(zip(table[S.START_TS].to_pylist(), table[key].to_pylist(), strict=True))
        assert keys == sorted(keys)


def test_two_runs_write_byte_identical_files(diagnosed, sim: pa.Table, tmp_path: Path):
    """The same diagnosis written twice, and a second diagnosis of the same events, give the same bytes."""
    _, a, b, _ = diagnosed
    with cxray.Engine(threads=1) as engine:
        cxray.write_outputs(cxray.diagnose(sim, engine=engine), tmp_path, engine=engine)
    for name in ("contacts.parquet", "journeys.parquet"):
        assert (a / name).read_bytes() == (b / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_redact_pseudonymises_ids_with_the_reports_function(diagnosed, sim: pa.Table):
    """With redact no raw customer or contact id is left in either file; ids map through pseudonymise."""
    _, out, _, redacted = diagnosed
    raw = {v for c in (S.CUSTOMER_ID, S.CONTACT_ID) for v in sim[c].to_pylist() if v is not None}
    for name in ("contacts.parquet", "journeys.parquet"):
        table = pq.read_table(redacted / name)
        strings = [c for c in table.column_names if pa.types.is_string(table.schema.field(c).type)]
        for column in strings:
            assert not raw & set(table[column].to_pylist()), (name, column)
        plain = pq.read_table(out / name)
        for column in set(IDS) & set(table.column_names):
            expected = [None if v is None else pseudonymise(v, salt=SALT) for v in plain[column].to_pylist()]
            assert table[column].to_pylist() == expected, (name, column)
        others = [c for c in table.column_names if c not in IDS]
        assert table.select(others).equals(plain.select(others))  # only the ids change


def test_redacted_report_examples_can_be_found_in_contacts_parquet(diagnosed):
    """A contact the redacted report names as an example is a row of the redacted contacts.parquet."""
    _, _, _, redacted = diagnosed
    html = (redacted / "report.html").read_text(encoding="utf-8")
    ids = set(pq.read_table(redacted / "contacts.parquet")[S.CONTACT_ID].to_pylist())
    named = set(re.findall(r"id-[0-9a-f]{10}", html))
    assert named & ids


def test_diagnosis_keeps_the_tables_out_of_json_and_repr(diagnosed):
    """contacts()/journeys() are Arrow tables; diagnosis.json and repr() do not carry them."""
    d, _, _, _ = diagnosed
    assert isinstance(d.contacts(), pa.Table) and isinstance(d.journeys(), pa.Table)
    assert not {"_contacts", "_journeys", "contacts", "journeys"} & set(d.to_dict())
    assert "pyarrow.Table" not in repr(d) and not re.search(r"\b_(contacts|journeys)=", repr(d))


def test_a_hand_built_diagnosis_says_it_has_no_rows():
    """A Diagnosis not made by diagnose raises a CxrayError naming the table, not an AttributeError."""
    d = Diagnosis(input=None, metrics={}, flow={})  # type: ignore[arg-type]
    with pytest.raises(cxray.CxrayError, match="contacts"):
        d.contacts()


@pytest.mark.parametrize("kind", [str, Path])
def test_diagnose_takes_one_path_as_one_file(kind, sim: pa.Table, tmp_path: Path):
    """cxray.diagnose("calls.csv") reads that one file (a str is not a sequence of one-letter paths)."""
    calls = simulate(load_scenario("default"), seed=1, days=7, customers=200).write(tmp_path, fmt="csv")[0]
    d = cxray.diagnose(kind(calls))
    assert d.input.files == [str(calls)]
    assert d.input.rows_kept > 0


def test_data_contract_documents_every_exported_column(diagnosed):
    """docs/data-contract.md's section on the two files names each of their columns."""
    d, _, _, _ = diagnosed
    doc = (REPO / "docs" / "data-contract.md").read_text(encoding="utf-8")
    start = doc.index("## Per-contact and per-journey outputs")
    end = doc.find("\n## ", start + 1)
    body = doc[start : end if end > 0 else len(doc)]
    for column in {*d.contacts().column_names, *d.journeys().column_names}:
        assert f"`{column}`" in body, column


def test_a_simulation_diagnosis_and_redacted_outputs_do_not_import_pandas(tmp_path: Path):
    """The simulator's columns, the staged step kinds, verbatims, sentiment, findings' names, the
    touchpoints' CSV and the redaction built Arrow arrays from NumPy or Python lists, and pyarrow imports
    pandas for that (where installed): 0.2-0.3 s of a 1M-event diagnosis or of ``cxray demo``. A fresh
    interpreter simulates a centre with verbatims, diagnoses it and writes redacted outputs without it."""
    import subprocess
    import sys

    pytest.importorskip("pandas")  # without pandas installed there is nothing to import
    out = tmp_path / "out"
    code = (
        "import sys\nfrom pathlib import Path\nimport cxray\n"
        "from cxray.simulate import load_scenario, simulate\n"
        "sim = simulate(load_scenario('default'), seed=3, days=21, customers=1000)\n"
        f"[log, *_] = sim.write(Path({str(tmp_path / 'sim')!r}), fmt='parquet')\n"
        "with cxray.Engine() as e:\n    d = cxray.diagnose(log, engine=e)\n"
        f"    cxray.write_outputs(d, Path({str(out)!r}), engine=e, redact=True)\n"
        "v = d.voc\n"
        "print(bool(v['touchpoints']), v['sentiment'] is not None, bool(v['steps']), bool(v['breakdowns']),"
        " 'pandas' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["True", "True", "True", "True", "False"], run.stderr[-2000:]
    assert (out / "touchpoints.csv").exists()
