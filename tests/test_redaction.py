"""``--redact`` redacts the whole output folder and what the CLI prints: no planted raw value survives."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cxray.cli import EXIT_OK, app

runner = CliRunner()

EMAILS = ("jane.doe@corp.example", "bob.k@mail.example", "carol@help.example", "cust.zed@home.example")
PHONES = ("+44 20 7946 0958", "+1 (415) 555-2671", "030 1234 5678", "+31 6 1234 5678")
CUSTOMERS = ("CUSTX-55501", "cust.zed@home.example", "+31 6 1234 5678", "CUSTX-55504")
#: Ids seen only in rejected rows: they reach rejected.csv and nothing else.
REJECTED_ONLY = ("CUSTX-REJ-991", "CONTX-REJ-992")
QUEUES = ("billing jane.doe@corp.example", "sales +44 20 7946 0958")
TEAMS = ("tier1 +1 (415) 555-2671", "vendor bob.k@mail.example")
REASONS = ("refund for carol@help.example", "call back on 030 1234 5678")
ACTIVITIES = ("Call start", "Agent handling", "Escalate to +44 20 7946 0958", "Call end")
ACTORS = ("agent carol@help.example", "bot +1 (415) 555-2671")
COLUMNS = (
    "contact_id",
    "timestamp",
    "activity",
    "customer_id",
    "channel",
    "queue",
    "team",
    "reason",
    "actor",
)


def _contact_id(i: int) -> str:
    return f"CONTX-{7000 + i}"


def _log() -> str:
    """Contacts of four customers coming back through two queues, plus rows that are rejected."""
    rows = []
    for i in range(24):
        customer = CUSTOMERS[i % 4]
        day = 1 + i // 4
        for step, activity in enumerate(ACTIVITIES):
            queue = QUEUES[(i + (step == 2)) % 2]  # the escalation moves to the other queue
            rows.append(
                [
                    _contact_id(i),
                    f"2024-03-{day:02d}T{9 + i % 4:02d}:{step * 5:02d}:00",
                    activity,
                    customer,
                    "phone",
                    queue,
                    TEAMS[(i + step) % 2],
                    REASONS[i % 2],
                    ACTORS[step % 2],
                ]
            )
    rows.append([_contact_id(1), "not a time", ACTIVITIES[1], CUSTOMERS[1], "phone", *QUEUES[:1], *TEAMS[:1],
                 REASONS[0], ACTORS[0]])  # fmt: skip
    rows.append([REJECTED_ONLY[1], "never", ACTIVITIES[2], REJECTED_ONLY[0], "phone", QUEUES[1], TEAMS[1],
                 REASONS[1], ACTORS[1]])  # fmt: skip
    rows.append(["", "2024-03-02T10:00:00", ACTIVITIES[0], REJECTED_ONLY[0], "phone", QUEUES[0], TEAMS[0],
                 REASONS[0], ACTORS[0]])  # fmt: skip
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return text.getvalue()


PLANTED = sorted(
    {*EMAILS, *PHONES, *CUSTOMERS, *REJECTED_ONLY, *QUEUES, *TEAMS, *REASONS, *ACTORS, ACTIVITIES[2]}
    | {_contact_id(i) for i in range(24)}
)


def _texts(out: Path) -> dict[str, str]:
    """Every file of the output folder as text; Parquet through pyarrow, every value and column name."""
    texts = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            texts[path.name] = repr(table.column_names) + repr(table.to_pylist())
        else:
            texts[path.name] = path.read_text(encoding="utf-8")
    return texts


@pytest.fixture(scope="module")
def redacted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    root = tmp_path_factory.mktemp("redaction")
    events = root / "events.csv"
    events.write_text(_log(), encoding="utf-8")
    out = root / "out"
    result = runner.invoke(app, ["diagnose", str(events), "--out", str(out), "--redact", "--json"])
    assert result.exit_code == EXIT_OK, result.stderr
    return out, result.stdout, result.stderr


def test_the_log_plants_every_value_where_the_plain_outputs_show_it(tmp_path: Path):
    """Control: without --redact the planted values do reach the outputs (so the scan can find them)."""
    events = tmp_path / "events.csv"
    events.write_text(_log(), encoding="utf-8")
    result = runner.invoke(app, ["diagnose", str(events), "--out", str(tmp_path / "o")])
    assert result.exit_code == EXIT_OK, result.stderr
    everything = "\n".join(_texts(tmp_path / "o").values())
    assert {"diagnosis.json", "report.html", "rejected.csv", "contacts.parquet"} <= set(
        _texts(tmp_path / "o")
    )
    for value in (*QUEUES, *REJECTED_ONLY, CUSTOMERS[0], _contact_id(0)):
        assert value in everything, value


def test_no_planted_value_in_any_output_file_or_the_cli_output(redacted: tuple[Path, str, str]):
    out, stdout, stderr = redacted
    texts = _texts(out)
    assert {"diagnosis.json", "report.html", "rejected.csv", "contacts.parquet", "journeys.parquet"} <= set(
        texts
    )
    texts["stdout"], texts["stderr"] = stdout, stderr
    found = [(name, value) for name, text in texts.items() for value in PLANTED if value in text]
    assert not found, sorted({name for name, _ in found})


def test_pseudonyms_are_shared_by_the_files_of_one_run(redacted: tuple[Path, str, str]):
    """An id named in diagnosis.json, report.html and rejected.csv is the same pseudonym as in the Parquet."""
    out, _, _ = redacted
    contacts = pq.read_table(out / "contacts.parquet")
    ids = {v for c in ("contact_id", "customer_id") for v in contacts.column(c).to_pylist()}
    rejected = set(re.findall(r"id-[0-9a-f]{10}", (out / "rejected.csv").read_text(encoding="utf-8")))
    assert rejected & ids
    for name in ("diagnosis.json", "report.html"):
        assert set(re.findall(r"id-[0-9a-f]{10}", (out / name).read_text(encoding="utf-8"))) & ids, name


def test_salt_makes_runs_comparable_and_the_default_differs(tmp_path: Path):
    """--redact-salt gives the same pseudonyms twice; without it each run draws its own salt."""
    events = tmp_path / "events.csv"
    events.write_text(_log(), encoding="utf-8")

    def ids(name: str, *salt: str) -> list[str]:
        args = ["diagnose", str(events), "--out", str(tmp_path / name), "--redact", "-q", *salt]
        assert runner.invoke(app, args).exit_code == EXIT_OK
        return pq.read_table(tmp_path / name / "contacts.parquet").column("contact_id").to_pylist()

    assert ids("a", "--redact-salt", "s3cret") == ids("b", "--redact-salt", "s3cret")
    assert ids("c") != ids("d")


def test_an_id_before_the_punctuation_that_ends_a_clause_is_pseudonymised():
    """A warning's example says ``contact 1001: events on 28 days``: the token is ``1001:``, and the id
    inside it must not pass as text. An id with such a character inside it stays whole."""
    from cxray.redact import Redactor, pseudonymise, strings

    r = Redactor(salt="s", ids={"1001", "a.b:c"})
    p = pseudonymise("1001", salt="s")
    assert r.text("contact 1001: events on 28 days") == f"contact {p}: events on 28 days"
    assert r.text("last was 1001.") == f"last was {p}."
    assert r.text("id a.b:c here") == f"id {pseudonymise('a.b:c', salt='s')} here"
    assert r.text("10010: no") == "10010: no"
    assert "1001" in set(strings({"examples": ["contact 1001: events"]}))


def test_warning_examples_that_name_contacts_are_pseudonymised(tmp_path: Path):
    """Call numbers reused every day (reused_contact_ids) and named in its examples: under --redact
    neither the JSON, the report nor the printed summary shows one."""
    rows = ["Call ID,Start,Step"] + [
        f"{7000 + i},2025-03-{d:02d} {8 + i % 9:02d}:{(7 * i) % 60:02d}:00,Call"
        for d in range(1, 29)
        for i in range(12)
    ]
    path = tmp_path / "calls.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    maps = ["--map", "contact_id=Call ID", "--map", "timestamp=Start", "--map", "activity=Step"]
    done = CliRunner().invoke(app, ["diagnose", str(path), *maps, "--out", str(out), "--redact"])
    assert done.exit_code == EXIT_OK, done.output
    text = (out / "diagnosis.json").read_text(encoding="utf-8")
    assert "reused_contact_ids" in text and "reused_contact_ids" in done.output
    for shown in (text, (out / "report.html").read_text(encoding="utf-8"), done.output):
        assert not re.search(r"\b70(0\d|1[01])\b", shown)
