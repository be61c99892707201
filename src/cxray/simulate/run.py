"""``simulate``: run a scenario and return its event log with the ground truth of what was planted."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .. import schema as S
from ..engine import arrow_from_lists
from ..errors import ConfigError
from .artefact_contacts import add_contacts
from .artefact_values import mark_missing, mistype_years, unidentify
from .artefacts import Artefacts
from .assemble import Assembled
from .breakdowns import SurveyDrop
from .change import change_truth
from .formats import PLATFORM_FORMATS
from .generate import Generator
from .model import build_model
from .scenario import Scenario
from .survey import DRIVERS
from .vocabulary import Names, shown
from .waits import Waits

INLINE_IDS = 2000  # above this many touched contacts, ``write`` lists their ids in a file of their own
FORMATS = ("csv", "parquet", *PLATFORM_FORMATS)


@dataclasses.dataclass(frozen=True)
class SimulationResult:
    """The simulated event log (canonical columns plus survey attributes) and what was planted in it."""

    events: pa.Table
    ground_truth: dict[str, Any]

    def write(self, out_dir: str | Path, fmt: str = "csv") -> list[Path]:
        """Write ``events.csv`` (or ``events.parquet``) and ``ground_truth.json``; returns the paths written.

        A platform format (``formats.PLATFORM_FORMATS``: ``amazon-connect-ctr``, ``genesys-cloud``...) writes
        the contacts that platform carries in its export's shape instead (``contact-records.jsonl.gz``,
        ``conversations.json``, a ``zendesk/`` folder...; read back with ``--mapping <format>``); its
        verbatims, if spilled, go to CSV.

        Breakdowns that touched more than 2,000 contacts list their contact ids in
        ``touched_<name>.txt`` (one per line) instead of inline; so do artefacts, in ``artefact_<name>.txt``.
        More than 2,000 verbatim records go to ``verbatims.csv`` (or ``verbatims.parquet``).
        """
        if fmt not in FORMATS:
            raise ConfigError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        platform = PLATFORM_FORMATS.get(fmt)
        events = out / (platform.file if platform is not None else f"events.{fmt}")
        table = self.events.drop_columns(list(S.INTERNAL))  # a reader numbers the rows of the file itself
        if platform is not None:
            platform.write(self.events, events)
            fmt = "csv"  # for the verbatims below
        elif fmt == "csv":
            # ISO 8601 with Z: the times are UTC, and a reader should not have to guess.
            seconds = table.column(S.TIMESTAMP).cast(pa.timestamp("s"))
            stamps = pc.strftime(seconds, format="%Y-%m-%dT%H:%M:%SZ")
            table = table.set_column(table.schema.get_field_index(S.TIMESTAMP), S.TIMESTAMP, stamps)
            pacsv.write_csv(table, events)
        else:
            pq.write_table(table, events, compression="zstd")
        written = [events]
        truth = json.loads(json.dumps(self.ground_truth))
        for b in truth["breakdowns"]:
            written += _spill(b, out / f"touched_{b['name']}.txt")
        if "artefacts" in truth:
            art = truth["artefacts"]
            for b in art["bulk_identities"]:
                written += _spill(b, out / f"artefact_bulk_{b['customer_id']}.txt")
            written += _spill(art["night_calls"], out / "artefact_night_calls.txt")
            written += _spill(art["unidentified"], out / "artefact_unidentified.txt")
        voice = truth.get("verbatims")
        if voice is not None and len(voice["records"]) > INLINE_IDS:
            records = voice.pop("records")
            path = out / f"verbatims.{fmt}"
            types = dict.fromkeys(("contact_id", "driver", "activity"), "VARCHAR") | {"source_row": "BIGINT"}
            table = arrow_from_lists({c: (t, [r[c] for r in records]) for c, t in types.items()})
            if fmt == "csv":
                pacsv.write_csv(table, path)
            else:
                pq.write_table(table, path, compression="zstd")
            voice["records_file"] = path.name
            written.append(path)
        gt = out / "ground_truth.json"
        gt.write_text(json.dumps(truth, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return [*written, gt]


def _spill(record: dict[str, Any], path: Path) -> list[Path]:
    """Move a record's ``contact_ids`` to ``path`` (one per line) when there are more than 2,000."""
    ids = record.pop("contact_ids")
    if len(ids) <= INLINE_IDS:
        record["contact_ids"] = ids
        return []
    path.write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
    record["contact_ids_file"] = path.name
    return [path]


def simulate(
    scenario: Scenario,
    *,
    seed: int = 0,
    days: int | None = None,
    customers: int | None = None,
    artefacts: Artefacts | None = None,
) -> SimulationResult:
    """Simulate ``scenario`` (``days`` and ``customers`` override its own); one seed, one output.

    Volume scales with customers. Two passes: a pilot without waits measures each queue's load, queues are
    staffed from it, then the real pass samples waits and abandonment (see ``waits``). ``artefacts`` adds
    the lies of real exports (``Artefacts``), recorded under ``ground_truth["artefacts"]``; without them
    (None or ``Artefacts.none()``) the log is the scenario's own, unchanged.

    >>> from cxray.simulate import load_scenario
    >>> result = simulate(load_scenario("default"), seed=1, days=2, customers=2000)
    >>> result.events.num_rows > 0
    True
    """
    days = scenario.days if days is None else days
    customers = scenario.customers if customers is None else customers
    if days < 1 or customers < 1:
        raise ConfigError(f"days and customers must be >= 1, got {days} and {customers}")
    model = build_model(scenario, customers=customers)
    start_weekday = scenario.start.weekday()
    waits = Waits(model, days=days, start_weekday=start_weekday)
    art = artefacts if artefacts is not None and artefacts.active else None
    closed = art.closed_hours if art is not None else None
    pilot = Generator(model, days=days, seed=seed, waits=waits, closed_hours=closed)
    pilot.run(pilot.issues(customers=customers, start_weekday=start_weekday))
    waits.plan()
    gen = Generator(model, days=days, seed=seed, waits=waits, closed_hours=closed)
    gen.run(gen.issues(customers=customers, start_weekday=start_weekday))
    # Each artefact draws from a stream of its own: turning one off leaves the others' draws as they were.
    rng = [np.random.default_rng(s) for s in np.random.SeedSequence([seed, 20260401]).spawn(5)]
    added = add_contacts(gen, art, rng[0], rng[1], customers=customers) if art is not None else None
    start = datetime(scenario.start.year, scenario.start.month, scenario.start.day)
    names = scenario.vocabulary.draw(seed)  # a stream of its own: the centre's draws do not change
    out = Assembled(gen, start_epoch_s=(start - datetime(1970, 1, 1)).total_seconds(), names=names)
    truth = _ground_truth(scenario, gen, out, seed, days, customers, names)
    if scenario.changes:  # opt-in: without changes the ground truth is as it was
        truth["changes"] = change_truth(scenario, gen, out)
    events = out.table
    if art is not None and added is not None:
        options = {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(art).items()}
        record = {"options": options, **added.truth(out, scenario, art)}
        bulk = {i for b in record["bulk_identities"] for i in b["contact_ids"]}
        events, record["unidentified"] = unidentify(events, rng[2], art.unidentified_share, keep=bulk)
        events, record["missing_markers"] = mark_missing(events, rng[3], art)
        events, record["mistyped_years"] = mistype_years(events, rng[4], art.mistyped_years)
        truth["artefacts"] = record
    return SimulationResult(events=events, ground_truth=truth)


def _ground_truth(
    scenario: Scenario, gen: Generator, out: Assembled, seed: int, days: int, customers: int, names: Names
) -> dict[str, Any]:
    breakdowns = []
    for b in scenario.breakdowns:
        touched = gen.touched.get(b.name, [])
        ids = out.contact_names(np.concatenate(touched)) if touched else []
        entities = b.entities()
        if S.ACTIVITY in entities:  # the step as this centre's log names it
            entities[S.ACTIVITY] = shown(names, entities[S.ACTIVITY], b.step_actor)
        breakdowns.append(
            {
                "name": b.name,
                "kind": b.kind,
                "decoy": b.decoy,
                "enabled": b.enabled,
                "entities": entities,
                "parameters": {k: list(v) if isinstance(v, tuple) else v for k, v in b.parameters().items()},
                "n_contacts": len(ids) if b.enabled else 0,
                "contact_ids": ids if b.enabled else [],
                "description": (type(b).__doc__ or "").strip(),
            }
        )
        if isinstance(b, SurveyDrop):
            breakdowns[-1]["survey"] = _drop_truth(scenario, b, gen.drops.get(b.name, []), days)
    truth: dict[str, Any] = {
        "scenario": scenario.name,
        "seed": seed,
        "days": days,
        "customers": customers,
        "start": scenario.start.isoformat(),
        "n_events": out.table.num_rows,
        "n_contacts": out.n_contacts,
        "n_journeys": out.n_journeys,
        "baseline": dataclasses.asdict(scenario.behaviour),  # what "not broken" means in this centre
        "breakdowns": breakdowns,
    }
    records = out.verbatim_truth()
    truth["verbatims"] = {
        "n_responses": out.n_responses,
        "n_verbatims": len(records),
        "by_driver": {d: sum(r["driver"] == d for r in records) for d in DRIVERS},
        "records": records,
    }
    if names:  # what this seed's log calls the renamed steps: built-in activity -> actor type -> name
        truth["vocabulary"] = names
    return truth


def _drop_truth(scenario: Scenario, b: SurveyDrop, parts: list[np.ndarray], days: int) -> dict[str, Any]:
    """Where and by how much a ``survey_drop`` moved the scores: its period, its week's Monday (ISO dates) and
    the realised shift of the mean (the scores it moved against the same responses without it)."""
    base, score = np.concatenate(parts, axis=1) if parts else np.empty((2, 0), dtype=np.int64)
    first = scenario.start + timedelta(days=b.start_day)
    n = int(base.size)

    def mean(x: np.ndarray) -> float | None:
        return round(float(x.mean()), 4) if n else None

    def top2(x: np.ndarray) -> float | None:
        return round(float((x >= 4).mean()), 4) if n else None

    return {
        "week_start": (first - timedelta(days=first.weekday())).isoformat(),
        "period_start": first.isoformat(),
        "period_end": (scenario.start + timedelta(days=min(b.start_day + b.days, days))).isoformat(),
        "survey_type": "csat",
        "n_responses": n,
        "mean_without": mean(base),
        "mean_with": mean(score),
        "expected_shift": round(float(score.mean() - base.mean()), 4) if n else 0.0,
        "top2_without": top2(base),
        "top2_with": top2(score),
    }
