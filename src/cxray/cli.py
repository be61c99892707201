"""The command line: parse, call the public API, turn errors into one line and an exit code.

Exit codes (also in ``docs/cli.md``):

====  ===================================================================
0     success
1     internal error (a bug: please report it with the traceback shown)
2     usage error (unknown option, missing argument)
3     input error: a file cannot be used (the message names file, row, column)
4     configuration error: a mapping, cost model, scenario or option is wrong
5     engine error: the SQL engine failed on valid input
====  ===================================================================
"""

from __future__ import annotations

import dataclasses
import json
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .errors import ConfigError, CxrayError, EngineError, InputError
from .progress import RichProgress, Silent

if TYPE_CHECKING:
    import pyarrow as pa

    from .audit import AdoptionSpec
    from .plan import PlanDocument

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_CONFIG = 4
EXIT_ENGINE = 5
EXIT_FOUND = 6  # diagnose --check: rows were rejected or a data-quality warning raised

app = typer.Typer(
    name="cxray",
    help="X-ray a customer-service operation from its own event data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _exit_code(exc: CxrayError) -> int:
    if isinstance(exc, InputError):
        return EXIT_INPUT
    if isinstance(exc, ConfigError):
        return EXIT_CONFIG
    if isinstance(exc, EngineError):
        return EXIT_ENGINE
    return EXIT_INTERNAL


def _fail(exc: CxrayError) -> typer.Exit:
    print(f"cxray: error: {exc}", file=sys.stderr)
    return typer.Exit(_exit_code(exc))


def _progress(quiet: bool) -> RichProgress | Silent:
    """A live display of the steps on a terminal; nothing when piped or logged (no control codes there)."""
    return RichProgress() if (not quiet and sys.stderr.isatty()) else Silent()


def _say(lines: list[str]) -> None:
    for line in lines:
        print(f"cxray: {line}", file=sys.stderr)


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ConfigError(f"{option} expects KEY=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def _values(items: list[str] | None) -> dict[str, dict[str, str | None]]:
    """``--value COLUMN:SOURCE=VALUE`` items: column -> source value -> value (an empty VALUE: missing)."""
    out: dict[str, dict[str, str | None]] = {}
    for item in items or []:
        left, sep, value = item.partition("=")
        column, colon, source = left.partition(":")
        if not sep or not colon or not column.strip() or not source.strip():
            raise ConfigError(
                f"--value expects COLUMN:SOURCE=VALUE (e.g. actor_type:Human=agent), got {item!r}"
            )
        out.setdefault(column.strip(), {})[source.strip()] = value.strip() or None
    return out


def _mappings(values: list[str] | None) -> tuple[str | None, dict[str, str]]:
    """``--mapping`` values: the plain mapping (at most one) and the FILE=MAPPING pairs. A value that
    names an existing file is a mapping file, whatever its name holds."""
    plain: list[str] = []
    pairs: dict[str, str] = {}
    for value in values or []:
        pattern, sep, spec = (part.strip() for part in value.partition("="))
        if sep and pattern and spec and not Path(value).is_file():
            if pattern in pairs:
                raise ConfigError(f"--mapping names the files {pattern!r} twice")
            pairs[pattern] = spec
        else:
            plain.append(value)
    if len(plain) > 1:
        raise ConfigError(
            f"--mapping is given {len(plain)} mappings ({', '.join(plain)}): give one for every file, or "
            "FILE=MAPPING for the files of each system"
        )
    return (plain[0] if plain else None), pairs


def _zones(values: list[str] | None) -> tuple[str | None, dict[str, str]]:
    """``--tz`` values: the zone of every file (at most one) and the FILE=ZONE pairs."""
    plain: list[str] = []
    pairs: dict[str, str] = {}
    for value in values or []:
        pattern, sep, zone = (part.strip() for part in value.partition("="))
        if not sep:
            plain.append(value.strip())
        elif not pattern or not zone:
            raise ConfigError(f"--tz expects ZONE or FILE=ZONE, got {value!r}")
        elif pattern in pairs:
            raise ConfigError(f"--tz names the files {pattern!r} twice")
        else:
            pairs[pattern] = zone
    if len(plain) > 1:
        raise ConfigError(
            f"--tz is given {len(plain)} zones ({', '.join(plain)}): give one for every file, or FILE=ZONE "
            "for the files of each system"
        )
    return (plain[0] if plain else None), pairs


def _numbers(pairs: dict[str, str]) -> dict[str, float]:
    """``{"good": "5"}`` -> ``{"good": 5.0}``; a value that is no number is a ConfigError naming it."""
    try:
        return {key: float(value) for key, value in pairs.items()}
    except ValueError as exc:
        raise ConfigError(f"--survey-score expects LABEL=NUMBER: {exc}") from None


def _hours(pairs: dict[str, str]) -> dict[str, tuple[int, int]]:
    """``{"phone": "7-22"}`` -> ``{"phone": (7, 22)}``; a bad span is a ConfigError naming it."""
    out = {}
    for channel, span in pairs.items():
        start, sep, end = span.partition("-")
        if not (sep and start.strip().isdigit() and end.strip().isdigit()):
            raise ConfigError(f"--opening-hours expects CHANNEL=HH-HH (e.g. phone=7-22), got {span!r}")
        out[channel] = (int(start), int(end))
    return out


def _given(ctx: typer.Context) -> set[str]:
    """The parameters set on the command line (or the environment), not left at their default."""
    # By the source's name: Typer may bring its own copy of click's ``ParameterSource``.
    sources = {name: ctx.get_parameter_source(name) for name in ctx.params}
    return {name for name, src in sources.items() if src is not None and src.name not in _DEFAULTS}


_DEFAULTS = ("DEFAULT", "DEFAULT_MAP")


def _chosen(given: set[str], **values: object) -> dict[str, object]:
    """Those of ``values`` whose flag was given."""
    return {k: v for k, v in values.items() if k in given}


ReaderOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--reader-option",
        help="A platform adapter's setting, KEY=VALUE (e.g. customer_attribute=account_id; "
        "docs/adapters.md), also for an export recognised without --mapping; repeatable.",
    ),
]
MappingOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--mapping",
        help="Column mapping or platform adapter: a built-in name (see `cxray mappings`) or a YAML file; "
        "without one, platform exports are recognised. FILE=MAPPING reads the "
        "files FILE matches (a path, a name or a glob such as 'calls-*.csv') with a mapping of their own, "
        "for exports of several systems in one run (repeatable; other files take the plain --mapping).",
    ),
]
SheetOpt = Annotated[
    str | None,
    typer.Option(
        help="The sheet of events in a spreadsheet (.xlsx, .xls): its name or 1-based number; needed "
        "when a workbook has several sheets with values."
    ),
]
ValueOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--value",
        help="Map one value of a column: COLUMN:SOURCE=VALUE, e.g. actor_type:Human=agent or "
        "channel:Chatbot=bot; an empty VALUE reads it as missing (repeatable; the mapping's value_maps), "
        "in the plain --mapping.",
    ),
]
UnitOpt = Annotated[
    str | None,
    typer.Option(
        "--duration-unit",
        help="The unit of the duration column's plain numbers: seconds, minutes, hours or ms (the "
        "mapping's duration_unit), in the plain --mapping.",
    ),
]
PerDayOpt = Annotated[
    bool,
    typer.Option(
        "--contact-ids-per-day",
        help="Contact ids are unique within a day only (call numbers that restart every day): each is "
        "read joined with its event's date (the mapping's contact_ids_per_day), in the plain --mapping.",
    ),
]
FillOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--fill-down",
        help="A column a grouped report writes on a group's first row only (a contact's id above its "
        "steps): each blank takes the value above it. A canonical name (contact_id) or a source column; "
        "repeatable; in the plain --mapping (the mapping's fill_down).",
    ),
]
OverlapOpt = Annotated[
    bool,
    typer.Option(
        "--drop-overlap",
        help="Drop each event of a later file equal on every mapped column to an event of an earlier file "
        "(overlapping exports whose export time or row number differ), counted as duplicates.",
    ),
]
TzOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--tz",
        help="Time zone of timestamps without an offset (an IANA name: Europe/London); FILE=ZONE for one "
        "file's, when systems write their clocks differently (a phone system's UTC, a CRM's local time); "
        "repeatable. Default UTC.",
    ),
]
PhoneOpt = Annotated[
    str | None,
    typer.Option(
        "--phone-region",
        help="The country (GB, US...) of customer ids that are phone numbers written without their country "
        "code: each valid one is read in E.164 (+447911123456), so that systems writing a number "
        "differently join (docs/data-contract.md).",
    ),
]
WindowOpt = Annotated[
    float, typer.Option("--window-days", help="Repeat-contact window in days.", show_default=True)
]


@app.command()
def diagnose(
    ctx: typer.Context,
    events: Annotated[
        list[str],
        typer.Argument(
            help="Event files: CSV/TSV, Excel, Parquet, JSON Lines, XES(.gz); with --engine spark, "
            "Parquet files, folders or URIs."
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Output folder for diagnosis.json and report.html (required unless --check)."
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            help="Options YAML (every setting of the run, see docs/cli.md); the flags given override it."
        ),
    ] = None,
    mapping: MappingOpt = None,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="Map one column: canonical=SourceColumn (repeatable), in the plain --mapping."
        ),
    ] = None,
    outcome_map: Annotated[
        list[str] | None,
        typer.Option("--outcome", help="Map an outcome value: SourceValue=canonical (repeatable)."),
    ] = None,
    value_map: ValueOpt = None,
    duration_unit: UnitOpt = None,
    per_day: PerDayOpt = False,
    fill_down: FillOpt = None,
    reader_option: ReaderOpt = None,
    tz: TzOpt = None,
    keep_duplicates: Annotated[
        bool,
        typer.Option(
            help="Keep exact duplicate rows (as pm4py, ProM and Disco do) instead of dropping them."
        ),
    ] = False,
    drop_overlap: OverlapOpt = False,
    keep_bulk: Annotated[
        bool,
        typer.Option(
            help="Keep bulk identities (a customer id with far more contacts than anyone else) in journeys, "
            "repeats, FCR and findings instead of excluding them."
        ),
    ] = False,
    step_kinds: Annotated[
        Path | None,
        typer.Option(
            "--step-kinds",
            help="A step-kinds YAML adding or overriding the built-in vocabulary (docs/step-kinds.md): how "
            "this centre names verifying a caller, gathering details...",
        ),
    ] = None,
    opening_hours: Annotated[
        list[str] | None,
        typer.Option(
            "--opening-hours",
            help="Opening hours of a channel, CHANNEL=HH-HH (e.g. phone=7-22; * for every channel), instead "
            "of inferring them; repeatable.",
        ),
    ] = None,
    dayfirst: Annotated[
        bool, typer.Option(help="Read ambiguous dates day first (9-10-2011 = 9 Oct).")
    ] = False,
    time_format: Annotated[
        str | None,
        typer.Option(
            help="Explicit strptime format of timestamps, or epoch / epoch_ms / epoch_us "
            "(numbers since 1970 UTC), or excel (Excel serial date-times, days since 1899-12-30, local "
            "time: --tz applies)."
        ),
    ] = None,
    sheet: SheetOpt = None,
    phone_region: PhoneOpt = None,
    window_days: WindowOpt = 7.0,
    any_reason: Annotated[
        bool, typer.Option(help="Join a customer's contacts into journeys whatever their reason.")
    ] = False,
    costs: Annotated[Path | None, typer.Option(help="Cost model YAML (see docs/costs.md).")] = None,
    top_variants: Annotated[int, typer.Option(help="Variants listed in the flow map (0 = all).")] = 50,
    top: Annotated[int, typer.Option(help="Breakdowns listed in the report and `breakdowns`.")] = 5,
    model: Annotated[
        Path | None,
        typer.Option(help="The documented process: YAML or BPMN 2.0 XML (see docs/conformance.md)."),
    ] = None,
    parties: Annotated[
        Path | None,
        typer.Option(help="Parties and the KPI each is paid on, YAML (see docs/incentives.md)."),
    ] = None,
    redact: Annotated[
        bool,
        typer.Option(
            help="Redact every output and this command's summary: pseudonymise ids, mask emails and phone "
            "numbers (keyed with a random salt per run unless --redact-salt is given)."
        ),
    ] = False,
    redact_salt: Annotated[
        str | None,
        typer.Option(
            help="The salt of --redact's pseudonyms: the same salt gives the same pseudonyms, so runs "
            "compare. Keep it secret: with it an id can be checked against its pseudonym."
        ),
    ] = None,
    memory_limit: Annotated[
        str | None,
        typer.Option(
            help="DuckDB memory limit, e.g. 3GB: larger work spills to disk. Default: $CXRAY_MEMORY_LIMIT, "
            "else 3GB or half the RAM, whichever is less."
        ),
    ] = None,
    threads: Annotated[
        int | None, typer.Option(help="DuckDB threads. Default: $CXRAY_THREADS, else all cores.")
    ] = None,
    engine_name: Annotated[
        str,
        typer.Option(
            "--engine",
            help="duckdb (embedded, the default) or spark (Parquet files or URIs; needs cxray[spark] and "
            "Java; see docs/scale-out.md).",
        ),
    ] = "duckdb",
    partitions: Annotated[
        int | None, typer.Option(help="Spark only: partitions of customers (default: one per 2M events).")
    ] = None,
    surveys: Annotated[
        list[Path] | None,
        typer.Option(
            "--surveys",
            help="Survey responses (CSV, Parquet, JSONL): contact or customer id, timestamp, survey type, "
            "score, verbatim; repeatable (docs/voc.md). Survey fields inside the event log are read too.",
        ),
    ] = None,
    survey_map: Annotated[
        list[str] | None,
        typer.Option("--survey-map", help="Map one survey field: field=SourceColumn (repeatable)."),
    ] = None,
    survey_type: Annotated[
        str | None,
        typer.Option(
            help="The survey type of the survey files: nps, csat or ces (wins over a type column found by "
            "name, not over --survey-map survey_type=COLUMN)."
        ),
    ] = None,
    survey_score: Annotated[
        list[str] | None,
        typer.Option(
            "--survey-score",
            help='Read a text score as a number: LABEL=NUMBER, e.g. "Extremely satisfied=5" (repeatable).',
        ),
    ] = None,
    context: Annotated[
        Path | None,
        typer.Option(
            help="Plan context YAML (owners, costs, dependencies; see docs/plan.md): also write the plan "
            "(plan.json, plan.html, briefs/) and add it to the report."
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Read the events and run the data-quality guards only: print what was read, where each "
            "column came from and every warning with the flags that fix it; write nothing. Exit 0 when "
            "no row was rejected and no warning raised, else 6.",
        ),
    ] = False,
    json_: Annotated[bool, typer.Option("--json", help="Also print diagnosis.json to stdout.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary on stderr.")] = False,
) -> None:
    """Read events, reconstruct journeys, map the flow, measure, find breakdowns; write the report."""
    from . import CostModel, Engine, Mapping, check_data, write_outputs
    from . import diagnose as run_diagnose
    from .diagnose_options import DiagnoseOptions
    from .incentives import load_parties
    from .outputs import OUTPUT_FILES, check_out_dir
    from .plan import load_context, make_plan
    from .process.model import load_model
    from .redact import mask_text, new_salt
    from .summary import check_lines, headline, redacted_headline

    if redact_salt is not None and not redact:
        raise _fail(ConfigError("--redact-salt applies with --redact only"))
    if check and (out is not None or redact or engine_name != "duckdb" or context is not None):
        raise _fail(
            ConfigError(
                "--check writes nothing and prints ids as read: give it without --out, --redact, --context "
                "and --engine spark"
            )
        )
    if not check and out is None:
        raise _fail(ConfigError("--out FOLDER is required (or --check to check the data only)"))
    salt = (redact_salt or new_salt()) if redact else None
    try:
        if out is not None:
            check_out_dir(out)  # before the work: a bad --out fails in a second, not after the analysis
    except CxrayError as exc:
        raise _fail(exc) from None
    previous = [n for n in OUTPUT_FILES.values() if out is not None and (out / n).exists()]
    try:
        plan_context = None if context is None else load_context(context)  # a bad context fails now
        given = _given(ctx)
        options = DiagnoseOptions.from_yaml(config) if config else DiagnoseOptions()
        columns, outcomes = _pairs(map_, "--map"), _pairs(outcome_map, "--outcome")
        values = _values(value_map)
        read = _chosen(
            given,
            dayfirst=dayfirst,
            time_format=time_format,
            keep_duplicates=keep_duplicates,
            drop_overlap=drop_overlap,
            sheet=sheet,
            phone_region=phone_region,
        )
        if reader_option:
            given_options = _pairs(reader_option, "--reader-option")  # over the options file's
            read["reader_options"] = {**options.read.reader_options, **given_options}
        plain, own = _mappings(mapping)
        if plain is not None:
            read["mapping"] = Mapping.resolve(
                plain,
                columns=columns,
                outcomes=outcomes,
                values=values,
                duration_unit=duration_unit,
                per_day=per_day,
                fill_down=tuple(fill_down or ()),
            )
        elif columns or outcomes or value_map or duration_unit or per_day or fill_down:  # over the file's
            base = options.read.mapping or Mapping()
            read["mapping"] = base.merged(
                columns=columns,
                outcomes=outcomes,
                values=values,
                duration_unit=duration_unit,
                per_day=per_day,
                fill_down=tuple(fill_down or ()),
            )
        if own:  # over the file's, pattern by pattern
            read["file_mappings"] = {**options.read.file_mappings, **own}
        zone, zones = _zones(tz)
        if zone is not None:
            read["tz"] = zone
        if zones:  # over the file's, pattern by pattern
            read["file_tz"] = {**options.read.file_tz, **zones}
        analysis = _chosen(
            given,
            window_days=window_days,
            any_reason=any_reason,
            top_variants=top_variants,
            keep_bulk=keep_bulk,
        )
        if step_kinds is not None:
            analysis["step_kinds"] = str(step_kinds)
        quality = {"opening_hours": _hours(_pairs(opening_hours, "--opening-hours"))} if opening_hours else {}
        parts = _chosen(given, top=top)
        if costs:
            parts["costs"] = CostModel.from_yaml(costs)
        if model:
            parts["model"] = load_model(model)
        if parties:
            parts["parties"] = load_parties(parties)
        if surveys or survey_map or survey_type or survey_score:
            given_surveys = options.voc.surveys
            parts["voc"] = dataclasses.replace(
                options.voc,
                surveys=dataclasses.replace(
                    given_surveys,
                    files=tuple(str(p) for p in surveys) if surveys else given_surveys.files,
                    columns={**given_surveys.columns, **_pairs(survey_map, "--survey-map")},
                    survey_type=survey_type or given_surveys.survey_type,
                    scores={**given_surveys.scores, **_numbers(_pairs(survey_score, "--survey-score"))},
                ),
            )
        options = options.overridden(read=read, analysis=analysis, quality=quality, **parts)
        if engine_name not in ("duckdb", "spark"):
            raise ConfigError(f"--engine must be duckdb or spark, got {engine_name!r}")
        if partitions is not None and engine_name != "spark":
            raise ConfigError("--partitions applies to --engine spark only")
        if check:
            with Engine(memory_limit=memory_limit, threads=threads) as engine, _progress(quiet) as progress:
                found = check_data([Path(e) for e in events], options, engine=engine, progress=progress)
            if json_:
                print(json.dumps(found.to_dict(), indent=2, default=str))
            if not quiet:
                _say(check_lines(found))
            raise typer.Exit(EXIT_OK if found.clean else EXIT_FOUND)
        assert out is not None
        with Engine(memory_limit=memory_limit, threads=threads) as engine, _progress(quiet) as progress:
            run = run_diagnose
            if engine_name == "spark":
                from .spark import diagnose_spark

                run = partial(diagnose_spark, partitions=partitions)
            result = run(
                [e if engine_name == "spark" else Path(e) for e in events],
                options,
                engine=engine,
                progress=progress,
            )
            plan = None
            if plan_context is not None:
                progress.step("planning")
                plan = make_plan(result.to_dict(), plan_context)
                progress.done()
            paths = write_outputs(
                result, out, engine=engine, redact=redact, salt=salt, progress=progress, plan=plan
            )
    except CxrayError as exc:
        message = mask_text(str(exc)) if redact else str(exc)
        if previous and "untouched" not in message:
            message += f" (the previous results in {out} are untouched)"
        print(f"cxray: error: {message}", file=sys.stderr)
        raise typer.Exit(_exit_code(exc)) from None
    if json_:
        print(paths["json"].read_text(encoding="utf-8").rstrip("\n") if redact else result.to_json())
    if not quiet:
        _say(headline(result) if salt is None else redacted_headline(result, salt=salt))
        for name, path in paths.items():
            print(f"cxray: wrote {name}: {path}", file=sys.stderr)


@app.command()
def simulate(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the events file and ground_truth.json.")
    ],
    scenario: Annotated[
        str, typer.Option(help="A built-in scenario name or a scenario YAML file.")
    ] = "default",
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same output.")] = 0,
    days: Annotated[int | None, typer.Option(help="Days to simulate (default: the scenario's).")] = None,
    customers: Annotated[int | None, typer.Option(help="Customers (default: the scenario's).")] = None,
    format_: Annotated[
        str,
        typer.Option(
            "--format",
            help="csv, parquet, or a platform's export (amazon-connect-ctr, genesys-cloud, zendesk, "
            "salesforce-service-cloud, twilio-taskrouter: the contacts that platform carries, in its "
            "export's shape; see docs/adapters.md).",
        ),
    ] = "csv",
    artefacts: Annotated[
        bool,
        typer.Option(
            "--artefacts",
            help="Add real-export artefacts (bulk callers, missing-value markers, night calls, a mistyped "
            "year, unidentified contacts) at their default sizes; see docs/simulator.md.",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Simulate a contact centre with planted breakdowns; write its event log and the ground truth."""
    from .simulate import Artefacts, load_scenario
    from .simulate import simulate as run_simulation

    try:
        from .simulate.run import FORMATS

        if format_ not in FORMATS:
            raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, got {format_!r}")
        result = run_simulation(
            load_scenario(scenario),
            seed=seed,
            days=days,
            customers=customers,
            artefacts=Artefacts() if artefacts else None,
        )
        written = result.write(out, fmt=format_)
    except CxrayError as exc:
        raise _fail(exc) from None
    if not quiet:
        print(f"cxray: simulated {result.events.num_rows} events", file=sys.stderr)
        for path in written:
            print(f"cxray: wrote {path}", file=sys.stderr)


@app.command()
def plan(
    diagnosis: Annotated[Path, typer.Argument(help="A diagnosis.json written by cxray diagnose.")],
    context: Annotated[
        Path | None,
        typer.Option(help="Context YAML: owners, costs, dependencies, decisions, vendors (docs/plan.md)."),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for plan.json, plan.html and briefs/.")
    ] = Path("plan"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Turn a diagnosis into a narrow, costed roadmap: one initiative per breakdown, screened, cut or
    sequenced in waves, with a business case and a one-page brief each (docs/plan.md)."""
    from .outputs import write_plan
    from .plan import load_context, make_plan, read_diagnosis

    try:
        document = make_plan(read_diagnosis(diagnosis), load_context(context))
        paths = write_plan(document, out)
    except CxrayError as exc:
        raise _fail(exc) from None
    if not quiet:
        for line in plan_lines(document):
            print(f"cxray: {line}", file=sys.stderr)
        for name, path in paths.items():
            print(f"cxray: wrote {name}: {path}", file=sys.stderr)


def plan_lines(document: PlanDocument) -> list[str]:
    """The plan in a few lines for the terminal: each wave, what was cut and why, the total case."""
    by_id = {i["id"]: i for i in document["initiatives"]}
    lines = ["draft plan: no context file, so owners, costs and decisions are still to be asked"] * document[
        "draft"
    ]
    for wave in document["waves"]:
        for iid in wave["initiatives"]:
            i = by_id[iid]
            concept = " (still a concept)" if i["concept"] else ""
            lines.append(f"wave {wave['wave']}: [{i['lane_label']}] {iid}: {i['fix']}{concept}")
    for i in document["initiatives"]:
        if i["cut"]:
            lines.append(f"off the roadmap: {i['id']}: {i['cut']['label']} ({i['cut']['reason']})")
        elif i["wave"] is None:
            lines.append(f"not scheduled: {i['id']}: {i['waits']}")
    lines.append(document["business_case"]["payback"])
    lines += [f"warning: {w}" for w in document["warnings"]]
    return lines


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("demo-out"),
    scenario: Annotated[
        str, typer.Option(help="A built-in scenario name or a scenario YAML file.")
    ] = "default",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Simulate a default centre, diagnose it, and write the report and a draft plan: cxray on data you can
    trust."""
    from . import Engine, diagnose, write_outputs
    from .plan import make_plan
    from .simulate import load_scenario
    from .simulate import simulate as run_simulation
    from .summary import headline

    try:
        with _progress(quiet) as progress:
            progress.step("simulating a contact centre")
            sim = run_simulation(load_scenario(scenario), seed=seed)
            sim.write(out / "simulated", fmt="parquet")
            with Engine() as engine:
                result = diagnose(sim.events, engine=engine, progress=progress)
                draft = make_plan(result.to_dict())  # a draft: no context, so it lists what it needs
                paths = write_outputs(result, out, engine=engine, progress=progress, plan=draft)
    except CxrayError as exc:
        raise _fail(exc) from None
    if not quiet:
        _say(headline(result))
        print(f"cxray: report: {paths['html'].resolve()}", file=sys.stderr)
        print(f"cxray: draft plan: {paths['plan_html'].resolve()}", file=sys.stderr)
        truth = (out / "simulated" / "ground_truth.json").resolve()
        print(f"cxray: planted breakdowns (ground truth): {truth}", file=sys.stderr)


@app.command()
def export(
    events: Annotated[
        list[str], typer.Argument(help="Event files or platform exports, read as diagnose reads.")
    ],
    xes: Annotated[Path | None, typer.Option(help="Write the events as IEEE XES (.xes, or .xes.gz).")] = None,
    ocel: Annotated[
        Path | None, typer.Option(help="Write the events as OCEL 2.0 JSON (.jsonocel or .json; .gz).")
    ] = None,
    ocel_objects: Annotated[
        str | None,
        typer.Option(
            help="Columns written as OCEL objects besides contact and customer, comma-separated: queue, "
            "team, actor, channel, reason."
        ),
    ] = None,
    mapping: MappingOpt = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="Map one column: canonical=SourceColumn (repeatable)."),
    ] = None,
    value_map: ValueOpt = None,
    duration_unit: UnitOpt = None,
    per_day: PerDayOpt = False,
    fill_down: FillOpt = None,
    reader_option: ReaderOpt = None,
    sheet: SheetOpt = None,
    phone_region: PhoneOpt = None,
    tz: TzOpt = None,
    drop_overlap: OverlapOpt = False,
    redact: Annotated[
        bool,
        typer.Option(
            help="Pseudonymise contact and customer ids and actors, mask verbatims, and leave out the "
            "source's own attribute columns."
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Write an event log as XES or OCEL 2.0, so it opens in pm4py, ProM, Disco or Celonis.

    The events are read exactly as `cxray diagnose` reads them (rows rejected and duplicates dropped,
    counted); what is written is the canonical log cxray analyses. See docs/adapters/ocel2.md.
    """
    from . import schema as S
    from .engine import Engine
    from .io import ReadOptions, read_events
    from .io.mapping import Mapping
    from .io.writers import write_ocel, write_xes
    from .redact import new_salt

    try:
        if xes is None and ocel is None:
            raise ConfigError("nothing to write: give --xes FILE, --ocel FILE or both")
        objects = [o.strip() for o in (ocel_objects or "").split(",") if o.strip()]
        if objects and ocel is None:
            raise ConfigError("--ocel-objects applies with --ocel only")
        columns = _pairs(map_, "--map")
        plain, own = _mappings(mapping)
        values = _values(value_map)
        chosen = Mapping.resolve(
            plain,
            columns=columns,
            values=values,
            duration_unit=duration_unit,
            per_day=per_day,
            fill_down=tuple(fill_down or ()),
        )
        zone, zones = _zones(tz)
        with Engine() as engine:
            read = ReadOptions(
                mapping=chosen,
                file_mappings={k: Mapping.resolve(v) or Mapping() for k, v in own.items()},
                tz=zone or "UTC",
                file_tz=zones,
                drop_overlap=drop_overlap,
                sheet=sheet,
                phone_region=phone_region,
                reader_options=_pairs(reader_option, "--reader-option"),
            )
            summary = read_events(events, engine, options=read)
            table = engine.arrow(f"SELECT * FROM {S.EVENTS_TABLE} ORDER BY {S.SOURCE_FILE}, {S.SOURCE_ROW}")
        if redact:
            table = _redacted_events(table, new_salt())
        written = []
        if xes is not None:
            written.append((xes, write_xes(table, xes)))
        if ocel is not None:
            written.append((ocel, write_ocel(table, ocel, objects=objects)))
    except CxrayError as exc:
        raise _fail(exc) from None
    if not quiet:
        lines = [f"read {p} as {summary.adapters[p]} (recognised from its fields)" for p in summary.detected]
        lines.append(
            f"read {summary.rows_read} rows: kept {summary.rows_kept}, rejected {summary.rows_rejected}, "
            f"duplicates dropped {summary.duplicates_dropped}"
        )
        lines += [f"wrote {n} events to {path}" for path, n in written]
        _say(lines)


def _redacted_events(table: pa.Table, salt: str) -> pa.Table:
    """The canonical and survey columns only, ids and actors pseudonymised, verbatims masked."""
    from . import schema as S
    from .engine import arrow_strings
    from .exports import redact_ids
    from .redact import mask_text, pseudonymise

    keep = (*S.CANONICAL, *S.SURVEY_COLUMNS, S.SURVEY_TYPE, S.VERBATIM, *S.INTERNAL)
    [table] = redact_ids([table.select([c for c in table.column_names if c in keep])], salt=salt)
    for column, change in (
        (S.ACTOR, lambda v: pseudonymise(v, salt=salt, prefix="actor")),
        (S.VERBATIM, mask_text),
    ):
        if column in table.column_names:
            values = [None if v is None else change(v) for v in table.column(column).to_pylist()]
            table = table.set_column(table.schema.get_field_index(column), column, arrow_strings(values))
    return table


@app.command()
def audit(
    pilot: Annotated[
        str,
        typer.Option(
            "--pilot",
            help="The pilot segment, COLUMN=VALUE (e.g. queue=Q-Billing): contacts with an event of that "
            "value.",
        ),
    ],
    control: Annotated[
        str | None,
        typer.Option(
            "--control", help="The control segment, COLUMN=VALUE (default: every contact not in the pilot)."
        ),
    ] = None,
    events: Annotated[
        list[str] | None,
        typer.Argument(help="Event files (with --change-date); none with --before/--after."),
    ] = None,
    change_date: Annotated[
        str | None,
        typer.Option("--change-date", help="When the change went live (UTC), e.g. 2026-03-16."),
    ] = None,
    before: Annotated[
        list[Path] | None, typer.Option("--before", help="The log before the change (repeatable).")
    ] = None,
    after: Annotated[
        list[Path] | None, typer.Option("--after", help="The log after the change (repeatable).")
    ] = None,
    triggers: Annotated[
        Path | None, typer.Option("--triggers", help="Rollback triggers YAML (docs/audit.md).")
    ] = None,
    plan_file: Annotated[
        Path | None,
        typer.Option("--plan", help="A plan.json (cxray plan): its success measures re-measured after."),
    ] = None,
    adopt: Annotated[
        str | None,
        typer.Option(
            help="The new step whose take-up to follow: an activity, kind:STEP_KIND, or A>B>C for a path."
        ),
    ] = None,
    scorecards_file: Annotated[
        Path | None,
        typer.Option("--scorecards", help="Scorecards YAML: parties, weights, leading/lagging pairs."),
    ] = None,
    mapping: MappingOpt = None,
    sheet: SheetOpt = None,
    phone_region: PhoneOpt = None,
    reader_option: ReaderOpt = None,
    tz: TzOpt = None,
    window_days: WindowOpt = 7.0,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for audit.json and audit.html.")] = Path(
        "audit"
    ),
    seed: Annotated[
        int, typer.Option(help="Seed of the bootstrap: the same seed gives the same intervals.")
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary on stderr.")] = False,
) -> None:
    """Audit a change: pilot against control, before against after, per headline measure, with rollback
    triggers (docs/audit.md)."""
    from . import Mapping
    from .audit import DidOptions, load_triggers
    from .audit.run import AuditOptions
    from .audit.run import audit as run_audit
    from .io import ReadOptions
    from .options import AnalysisOptions
    from .outputs import check_out_dir, write_audit
    from .report.audit_page import fmt_effect

    try:
        if not pilot:
            raise ConfigError("--pilot COLUMN=VALUE is required (e.g. --pilot queue=Q-Billing)")
        if (before or after) and events:
            raise ConfigError("give event files with --change-date, or --before/--after files, not both")
        plain, own = _mappings(mapping)
        zone, zones = _zones(tz)
        options = AuditOptions(
            pilot=pilot,
            control=control,
            change_date=change_date,
            before=tuple(before or ()),
            after=tuple(after or ()),
            triggers=None if triggers is None else load_triggers(triggers),
            read=ReadOptions(
                mapping=None if plain is None else Mapping.resolve(plain),
                file_mappings={k: Mapping.resolve(v) or Mapping() for k, v in own.items()},
                sheet=sheet,
                phone_region=phone_region,
                reader_options=_pairs(reader_option, "--reader-option"),
                tz=zone or "UTC",
                file_tz=zones,
            ),
            analysis=AnalysisOptions(window_days=window_days),
            did=DidOptions(seed=seed),
            plan=plan_file,
            adopt=None if adopt is None else _adoption_spec(adopt),
            scorecards=scorecards_file,
        )
        check_out_dir(out)  # before the work: a bad --out fails now, not after the analysis
        with _progress(quiet) as progress:
            document = run_audit(None if before else events, options, progress=progress)
        paths = write_audit(document, out)
    except CxrayError as exc:
        raise _fail(exc) from None
    if not quiet:
        for mix in document.comparability:
            if mix.differs:
                _say([f"caution: {mix.sentence}"])
        for m in document.measures:
            est = m.estimate
            if est is not None:
                low, high = fmt_effect(est.ci_low, m.unit), fmt_effect(est.ci_high, m.unit)
                ci = f", {est.level:.0%} CI {low} to {high}" if est.ci_low is not None else ""
                _say([f"{m.name}: {m.verdict} (effect {fmt_effect(est.effect, m.unit)}{ci})"])
        if document.decision is not None:
            _say([document.decision.summary])
        if document.migration is not None and document.migration.shifted:
            _say([document.migration.finding])
        for name, path in paths.items():
            print(f"cxray: wrote {name}: {path}", file=sys.stderr)


def _adoption_spec(text: str) -> AdoptionSpec:
    """``--adopt``: ``kind:verify_identity`` names a step kind, ``A>B`` a path, anything else an activity."""
    from .audit import AdoptionSpec

    if text.startswith("kind:"):
        return AdoptionSpec(step_kind=text.removeprefix("kind:").strip())
    if ">" in text:
        return AdoptionSpec(path=tuple(p.strip() for p in text.split(">")))
    return AdoptionSpec(activity=text.strip())


@app.command()
def mappings() -> None:
    """List the built-in column mappings (for the public logs cxray is tested on) and the platform
    adapters (exports read as they come: docs/adapters.md)."""
    from .io import builtin_mappings
    from .io.readers import adapters

    for name in builtin_mappings():
        print(name)
    for name in adapters():
        print(f"{name}  (platform adapter)")


def main() -> None:
    """Entry point of the ``cxray`` script."""
    try:
        app()
    except CxrayError as exc:  # pragma: no cover - commands catch their own
        print(f"cxray: error: {exc}", file=sys.stderr)
        sys.exit(_exit_code(exc))


if __name__ == "__main__":  # pragma: no cover
    main()
