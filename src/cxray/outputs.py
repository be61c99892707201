"""The outputs of a run: ``diagnosis.json``, ``report.html``, the Parquet rows, ``rejected.csv`` and
``touchpoints.csv``, written whole or not at all, redacted on request; a plan's and an audit's files the
same way.

Above the report (it renders the page) and below the CLI, which calls :func:`check_out_dir` before the
work and :func:`write_outputs` after it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.csv as pacsv

from .audit import AUDIT_FILES, AuditDocument
from .diagnosis import Diagnosis
from .engine import Engine
from .errors import ConfigError, CxrayError
from .exports import redact_ids, write_parquet
from .io import write_rejected
from .io.canonical import REJECTED
from .progress import Progress, Silent
from .redact import Redactor, strings
from .report import render_html
from .report.audit_page import render_audit_html
from .voc.touchpoints import touchpoints_table

if TYPE_CHECKING:
    from .diagnosis import DiagnosisDocument
    from .plan import PlanDocument


#: Every file ``write_outputs`` may leave in the output folder: a run replaces all of them or none.
OUTPUT_FILES: dict[str, str] = {
    "json": "diagnosis.json",
    "html": "report.html",
    "contacts": "contacts.parquet",
    "journeys": "journeys.parquet",
    "rejected": "rejected.csv",
    "touchpoints": "touchpoints.csv",
}
#: The files of a plan (``cxray plan``, or ``cxray diagnose --context`` beside the diagnosis): ``briefs``
#: is a folder of one Markdown brief per initiative on the roadmap.
PLAN_FILES: dict[str, str] = {"plan": "plan.json", "plan_html": "plan.html", "briefs": "briefs"}


def check_out_dir(out_dir: str | PathLike[str]) -> Path:
    """Make sure ``out_dir`` can take a run's outputs, before any work is done; returns it as a Path.

    It must be a folder (created if absent) in which, or beside which, a temporary folder can be made:
    a file of that name, or a folder that cannot be created or written, is a ``ConfigError`` now rather
    than a failure after the whole analysis.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError("--out names a file, not a folder", path=out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(_staging(out))
    except OSError as exc:
        raise ConfigError(f"cannot write the output folder: {exc.strerror or exc}", path=out) from None
    return out


def _staging(out: Path) -> Path:
    """A new temporary folder beside ``out`` (same file system), else inside it (a read-only parent)."""
    error: OSError | None = None
    for parent in (out.parent, out):
        try:
            return Path(tempfile.mkdtemp(prefix=f".{out.name or 'cxray'}.tmp-", dir=parent))
        except OSError as exc:
            error = exc
    assert error is not None
    raise error


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Lock the folder itself (no lock file left behind): two runs finishing together move their sets
    one after the other. Where folders cannot be locked (Windows), each move is still atomic."""
    try:
        import fcntl

        fd = os.open(out, os.O_RDONLY)
    except (ImportError, OSError):  # pragma: no cover - no flock, or a folder that cannot be opened
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_outputs(
    diagnosis: Diagnosis,
    out_dir: Path,
    *,
    engine: Engine,
    redact: bool = False,
    salt: str | None = None,
    progress: Progress | None = None,
    plan: PlanDocument | None = None,
) -> dict[str, Path]:
    """Write ``diagnosis.json``, ``report.html``, ``contacts.parquet``, ``journeys.parquet`` and
    ``rejected.csv`` (only when rows were rejected); with a ``plan`` (``cxray.plan.make_plan``), the
    report gets its section and the plan's files (``PLAN_FILES``) are written beside.

    The files appear whole or not at all: they are written into a temporary folder beside ``out_dir``
    and moved into place together (each move atomic, the set under a lock, a stale ``rejected.csv``
    removed), so a failed run leaves the previous results untouched and two runs into one folder never
    mix their files.

    ``redact`` redacts every file under one salt (``salt``, else a random one for this run, so a pseudonym
    cannot be recomputed from a guessed id): ids pseudonymised wherever they appear, emails and phone
    numbers masked in values and keys, the id columns of the Parquet files pseudonymised with the same
    function (``cxray.exports.redact_ids``), so a contact named in the report can be found in them.
    Returns each output's path by name. ``progress`` hears one step, ``writing outputs``.
    """
    progress = progress or Silent()
    progress.step("writing outputs")
    out = check_out_dir(out_dir)
    staging = _staging(out)
    try:
        written = _write_all(
            diagnosis, staging, engine=engine, redactor=_redactor(diagnosis, engine, redact, salt), plan=plan
        )
        _publish(staging, out, [*OUTPUT_FILES.values(), *PLAN_FILES.values()])
    except OSError as exc:
        raise CxrayError(
            f"could not write the outputs ({exc.strerror or exc}); "
            f"the previous results in {out} are untouched"
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    progress.done()
    return {name: out / {**OUTPUT_FILES, **PLAN_FILES}[name] for name in written}


def write_plan(plan: PlanDocument, out_dir: Path) -> dict[str, Path]:
    """Write ``plan.json``, ``plan.html`` and ``briefs/<id>.md`` (one per initiative on the roadmap) into
    ``out_dir``, all or none, as :func:`write_outputs` does; returns each output's path by name."""
    out, written = _write_set(out_dir, "plan", PLAN_FILES, lambda staging: _write_plan(plan, staging))
    return {name: out / PLAN_FILES[name] for name in written}


def write_audit(document: AuditDocument, out_dir: str | PathLike[str]) -> dict[str, Path]:
    """Write ``audit.json`` and ``audit.html`` into ``out_dir``, both or neither, as :func:`write_plan`
    does: a failure (the page's rendering included) leaves the previous audit untouched. Returns each
    file's path by name."""

    def write(staging: Path) -> list[str]:
        html = render_audit_html(document)
        (staging / AUDIT_FILES["json"]).write_text(document.to_json() + "\n", encoding="utf-8")
        (staging / AUDIT_FILES["html"]).write_text(html, encoding="utf-8")
        return list(AUDIT_FILES)

    out, written = _write_set(out_dir, "audit", AUDIT_FILES, write)
    return {name: out / AUDIT_FILES[name] for name in written}


def _write_set(
    out_dir: str | PathLike[str], what: str, files: dict[str, str], write: Callable[[Path], list[str]]
) -> tuple[Path, list[str]]:
    """Run ``write(staging)`` in a temporary folder beside ``out_dir`` and move ``files`` into place, all or
    none (a name ``write`` did not write is removed from ``out_dir``); returns the folder and the names
    written. A failure leaves the previous set untouched and says so."""
    out = check_out_dir(out_dir)
    staging = _staging(out)
    try:
        written = write(staging)
        _publish(staging, out, list(files.values()))
    except OSError as exc:
        raise CxrayError(
            f"could not write the {what} ({exc.strerror or exc}); the previous {what} in {out} is untouched"
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out, written


def _publish(staging: Path, out: Path, names: list[str]) -> None:
    """Move the files (and folders) named from ``staging`` into ``out`` under the folder's lock; a name
    this run did not write is removed from ``out``, since a stale file from an earlier run would mislead."""
    with _locked(out):
        for name in names:
            target = out / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            if (staging / name).exists():
                os.replace(staging / name, target)
            else:
                target.unlink(missing_ok=True)


def _write_plan(plan: PlanDocument, folder: Path) -> list[str]:
    from .report.briefs import brief_filename, brief_markdown
    from .report.plan_page import render_plan_html

    text = json.dumps(plan, indent=2, ensure_ascii=False, default=str)
    (folder / PLAN_FILES["plan"]).write_text(text + "\n", encoding="utf-8")
    (folder / PLAN_FILES["plan_html"]).write_text(render_plan_html(plan), encoding="utf-8")
    briefs = folder / PLAN_FILES["briefs"]
    briefs.mkdir()
    for initiative in plan["initiatives"]:
        if initiative["status"] == "roadmap":
            (briefs / brief_filename(initiative["id"])).write_text(
                brief_markdown(initiative, plan), encoding="utf-8"
            )
    return list(PLAN_FILES)


def _redactor(diagnosis: Diagnosis, engine: Engine, redact: bool, salt: str | None) -> Redactor | None:
    """The run's redactor, knowing every id the written files may show (None without ``redact``)."""
    if not redact:
        return None
    from .exports import id_sources, known_ids, rejected_ids

    redactor = Redactor(salt)
    tables = [diagnosis.contacts(), diagnosis.journeys()]
    redactor.ids.update(known_ids(tables, strings(diagnosis.to_dict())))
    if diagnosis.input.rows_rejected and engine.has_table(REJECTED):
        sources = id_sources((diagnosis.options.get("read") or {}).get("mapping"))
        redactor.ids.update(rejected_ids(engine.arrow(f"SELECT * FROM {REJECTED}"), sources))
    return redactor


def _write_all(
    diagnosis: Diagnosis,
    folder: Path,
    *,
    engine: Engine,
    redactor: Redactor | None,
    plan: PlanDocument | None = None,
) -> list[str]:
    """Write every output into ``folder``; returns the names written."""
    doc = diagnosis.to_dict()
    text = diagnosis.to_json() if redactor is None else redacted_json(doc, redactor)
    (folder / OUTPUT_FILES["json"]).write_text(text + "\n", encoding="utf-8")
    if plan is not None and redactor is not None:
        plan = redactor.document(plan, identifiers=frozenset())  # ids and personal data in its free text
    html = render_html(doc, redact=redactor if redactor is not None else False, plan=plan)
    (folder / OUTPUT_FILES["html"]).write_text(html, encoding="utf-8")
    rows = [diagnosis.contacts(), diagnosis.journeys()]
    if redactor is not None:
        from .exports import mask_text_columns

        rows = redact_ids(mask_text_columns(rows, redactor.text), salt=redactor.salt)
    for name, table in zip(("contacts", "journeys"), rows, strict=True):
        write_parquet(table, folder / OUTPUT_FILES[name])
    written = ["json", "html", "contacts", "journeys"]
    if doc["voc"]["touchpoints"]:
        table = touchpoints_table(doc["voc"]["touchpoints"])
        if redactor is not None:
            from .exports import mask_text_columns

            [table] = mask_text_columns([table], redactor.text)
        pacsv.write_csv(table, folder / OUTPUT_FILES["touchpoints"])
        written.append("touchpoints")
    if plan is not None:
        written += _write_plan(plan, folder)
    if diagnosis.input.rows_rejected:
        path = folder / OUTPUT_FILES["rejected"]
        if redactor is None or not engine.has_table(REJECTED):
            write_rejected(engine, path)
        else:
            from .exports import id_sources, write_rejected_redacted

            sources = id_sources((diagnosis.options.get("read") or {}).get("mapping"))
            write_rejected_redacted(engine.arrow(f"SELECT * FROM {REJECTED}"), path, redactor, sources)
        written.append("rejected")
    return written


def redacted_json(doc: DiagnosisDocument, redactor: Redactor) -> str:
    """``diagnosis.json``'s text with every id pseudonymised and personal data masked (as ``to_json``)."""
    return json.dumps(redactor.document(doc), indent=2, sort_keys=False, ensure_ascii=False, default=str)


__all__ = [
    "OUTPUT_FILES",
    "PLAN_FILES",
    "check_out_dir",
    "redacted_json",
    "write_audit",
    "write_outputs",
    "write_plan",
]
