"""The finder's contract: one currency, no contact counted twice, a public extension point."""

from __future__ import annotations

import importlib
import inspect
from datetime import timedelta

import pytest
from findings_golden import T0, filler, run, steps

from cxray import schema as S
from cxray.errors import ConfigError
from cxray.findings import (
    BUCKETS,
    CUSTOMER_FELT,
    TECHNOLOGY,
    Detector,
    FinderOptions,
    Finding,
    default_detectors,
    find_breakdowns,
    register_detector,
    registered_detectors,
    unregister_detector,
)
from cxray.findings.registry import builtin_modules
from cxray.journeys import build_journeys
from cxray.testing import load_rows


class Claims(Detector):
    """Test detector: claims the contacts it is given, whole, at their own cost."""

    code, name, bucket = "ZZ01", "claims", CUSTOMER_FELT

    def __init__(self, *, ids: list[str], title: str, code: str = "ZZ01") -> None:
        self.ids, self.title, self.my_code = ids, title, code

    def detect(self, ctx):
        in_list = ", ".join(f"'{i}'" for i in self.ids)
        sql = (
            f"SELECT {S.CONTACT_ID} AS contact_id, 1.0 AS share, 1 AS units, {S.HANDLE_S} / 60.0 AS minutes, "
            f"{S.COST} AS cost FROM {S.CONTACTS_TABLE} WHERE {S.CONTACT_ID} IN ({in_list})"
        )
        return [
            Finding(
                code=self.my_code,
                title=self.title,
                bucket=self.bucket,
                contacts_affected=len(self.ids),
                claims_sql=sql,
            )
        ]


def _ten_contacts(engine):
    rows = []
    for i in range(10):
        rows += steps(f"c{i}", T0.replace(hour=9 + i), [("Q", ["Handle"])], customer=f"u{i}", minutes=i + 1)
    load_rows(engine, rows + filler())
    build_journeys(engine)


def test_overlapping_findings_share_no_contact(engine):
    """Contacts claimed twice go to the larger finding; shares sum to at most 1."""
    _ten_contacts(engine)
    big = Claims(ids=[f"c{i}" for i in range(6)], title="big")  # cost 1+..+6 = 21
    small = Claims(ids=["c4", "c5", "c6", "c7"], title="small", code="ZZ02")  # 5+6+7+8 = 26 gross
    out = find_breakdowns(engine, detectors=[big, small])
    by = {f["title"]: f for f in out["all_findings"]}
    # small's gross 26 > big's 21: c4, c5 go to small; big keeps c0..c3 = 10 (< half of 21: merged)
    assert by["small"]["avoidable_cost"] == pytest.approx(26.0)
    assert by["big"]["avoidable_cost"] == pytest.approx(10.0)
    assert by["big"]["evidence"]["merged_into"] == {"code": "ZZ02", "title": "small"}
    assert by["big"]["rank"] is None and [b["title"] for b in out["breakdowns"]] == ["small"]
    assert by["big"]["role"] is None and by["small"]["role"] == "cause"
    assert by["big"]["evidence"]["gross_avoidable"]["cost"] == pytest.approx(21.0)
    live = [f for f in out["all_findings"] if f["rank"]]
    assert sum(f["share_of_avoidable_cost"] for f in live) <= 1.0 + 1e-9
    assert out["summary"]["total_avoidable_cost"] == pytest.approx(26.0)
    assert out["summary"]["pareto_share"] == 1.0


def test_no_contact_counted_twice_on_a_simulated_centre(engine):
    """Across all built-in detectors, each claimed contact is allocated once and costs add up."""
    pytest.importorskip("cxray.simulate")
    from cxray.findings import finder as F
    from cxray.simulate import load_scenario, simulate

    result = simulate(load_scenario("default"), seed=5, days=6)
    engine.register("sim", result.events)
    engine.execute("CREATE TABLE events AS SELECT * FROM sim")
    build_journeys(engine)
    kept: list[int] = []
    original = F._price

    def spy(engine_, found, finder):
        priced = original(engine_, found, finder)
        kept.append(
            engine_.rows(f"SELECT count(*) AS n, count(DISTINCT contact_id) AS d FROM {F.CLAIMS} WHERE kept")[
                0
            ]
        )
        return priced

    F._price = spy
    try:
        out = find_breakdowns(engine)
    finally:
        F._price = original
    assert kept[0]["n"] == kept[0]["d"] > 0
    found = [f for f in out["all_findings"] if f["rank"]]
    assert sum(f["share_of_avoidable_cost"] for f in found) == pytest.approx(1.0, abs=1e-3)
    assert out["summary"]["total_avoidable_cost"] == pytest.approx(
        sum(f["avoidable_cost"] for f in found), abs=0.05
    )
    assert not engine.rows(
        "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '_cxray_fx%'"
    )


def test_a_user_detector_plugs_in_like_the_built_ins(engine):
    @register_detector
    class Mine(Detector):
        """Detects contacts handled in queue Q (an example of a user's own detector)."""

        code, name, bucket = "US01", "mine", TECHNOLOGY

        def detect(self, ctx):
            return [self.finding(title="mine", contacts_affected=1, avoidable_cost=3.0, avoidable_contacts=1)]

    try:
        assert "US01" in registered_detectors()
        _ten_contacts(engine)
        out = find_breakdowns(engine)
        mine = [f for f in out["all_findings"] if f["code"] == "US01"]
        assert mine and mine[0]["avoidable_cost"] == 3.0 and mine[0]["rank"] == 1
    finally:
        unregister_detector("US01")
    assert "US01" not in registered_detectors()


def test_registration_rejects_bad_detectors():
    class NoDoc(Detector):
        code, name, bucket = "US02", "nodoc", TECHNOLOGY

    class BadBucket(Detector):
        """Doc."""

        code, name, bucket = "US03", "bad", "misc"

    class Clash(Detector):
        """Doc."""

        code, name, bucket = "RP01", "clash", TECHNOLOGY

    for cls in (NoDoc, BadBucket, Clash):
        with pytest.raises(ConfigError):
            register_detector(cls)
    with pytest.raises(ConfigError):
        register_detector(object)  # type: ignore[arg-type]


def test_built_ins_are_registered_one_per_module_with_identity():
    detectors = registered_detectors()
    assert len(detectors) >= 9
    for module in builtin_modules():
        classes = [
            c
            for _, c in inspect.getmembers(importlib.import_module(module), inspect.isclass)
            if issubclass(c, Detector) and c is not Detector and c.__module__ == module
        ]
        assert len(classes) <= 1, module  # a module of helpers shared by detectors holds none
        if not classes:
            continue
        (cls,) = classes
        assert detectors[cls.code] is cls
        doc = cls.__doc__ or ""
        assert "**Detects**" in doc and "**Why it matters**" in doc and "**Example**" in doc, cls.code
        assert cls.bucket in BUCKETS
    assert [d.code for d in default_detectors()] == sorted(detectors)


def test_finding_rejects_unknown_bucket_and_serialises_without_sql():
    with pytest.raises(ConfigError):
        Finding(code="X", title="x", bucket="other")
    d = Finding(code="X", title="x", bucket=CUSTOMER_FELT, claims_sql="SELECT 1").to_dict()
    assert list(d)[:5] == ["rank", "code", "title", "bucket", "where"]
    assert "claims_sql" not in d
    for key in (
        "contacts_affected",
        "avoidable_contacts",
        "avoidable_minutes",
        "avoidable_cost",
        "share_of_avoidable_cost",
        "customers_affected",
        "evidence",
        "hidden_by_kpi",
    ):
        assert key in d


def test_finder_needs_journeys_and_valid_options(engine):
    load_rows(engine, steps("c", T0, [("Q", ["Handle"])]))
    with pytest.raises(ConfigError, match="build journeys"):
        find_breakdowns(engine)
    build_journeys(engine)
    with pytest.raises(ConfigError):
        find_breakdowns(engine, top=0)
    with pytest.raises(ConfigError):
        FinderOptions(merge_ratio=2)


def test_a_log_with_nothing_wrong_has_no_breakdowns(engine):
    rows = []
    for i in range(40):
        rows += steps(f"c{i}", T0.replace(hour=8 + i % 10), [("Q", ["Handle"])], customer=f"u{i}")
    out = run(engine, rows + filler(), default_detectors()[0])
    assert out["breakdowns"] == [] and out["summary"]["total_avoidable_cost"] == 0
    load_rows(engine, rows + filler())
    build_journeys(engine)
    assert find_breakdowns(engine)["breakdowns"] == []


def test_a_failing_detector_is_named_in_the_engine_error(engine):
    """A detector whose SQL fails, or whose claims query fails when priced, is named in the EngineError."""
    from cxray.errors import EngineError

    class Broken(Detector):
        """Runs SQL that does not bind (an example of a detector bug)."""

        code, name, bucket = "US02", "broken", TECHNOLOGY

        def detect(self, ctx):
            ctx.engine.rows("SELECT no_such_column FROM contacts")
            return []

    class BadClaims(Detector):
        """Returns a finding whose claims query does not bind (pasted Python ``None``)."""

        code, name, bucket = "US03", "bad-claims", TECHNOLOGY

        def detect(self, ctx):
            sql = "SELECT contact_id, coalesce(None, 0) AS share, 0 AS units, 0 AS minutes, 0 AS cost "
            sql += "FROM contacts"
            return [self.finding(title="bad", contacts_affected=1, claims_sql=sql)]

    _ten_contacts(engine)
    with pytest.raises(EngineError, match=r"detector US02 \(broken\) failed: .*no_such_column"):
        find_breakdowns(engine, detectors=[Broken()])
    with pytest.raises(EngineError, match=r"detector US03: claims of 'bad' failed: .*None"):
        find_breakdowns(engine, detectors=[BadClaims()])


def test_a_detectors_own_tables_go_once_its_claims_are_read(engine):
    """A detector's scratch tables are dropped before the next detector runs (at 10M events they pushed
    the rest to disk), its claims still priced from them; a table staged for several detectors stays."""

    class Owner(Detector):
        """Claims every contact through a table of its own (and stages one to share)."""

        code, name, bucket = "US04", "owner", TECHNOLOGY

        def detect(self, ctx):
            own, shared = ctx.scratch("us04"), ctx.staged("us04_shared")
            ctx.engine.execute(f"CREATE TABLE {own} AS SELECT contact_id, 2.0 AS cost FROM contacts")
            ctx.engine.execute(f"CREATE TABLE {shared} AS SELECT 1 AS x")
            sql = f"SELECT contact_id, 1 AS share, 1 AS units, 1 AS minutes, cost FROM {own}"
            return [self.finding(title="owned", contacts_affected=10, claims_sql=sql)]

    seen: list[tuple[bool, bool]] = []

    class Next(Detector):
        """Looks for the tables the detector before it reserved."""

        code, name, bucket = "US05", "next", TECHNOLOGY

        def detect(self, ctx):
            seen.append(
                (ctx.engine.has_table("_cxray_fx_us04"), ctx.engine.has_table("_cxray_fx_us04_shared"))
            )
            return []

    _ten_contacts(engine)
    out = find_breakdowns(engine, detectors=[Owner(), Next()])
    assert seen == [(False, True)]
    [owned] = out["all_findings"]
    n = engine.scalar("SELECT count(*) FROM contacts")
    assert owned["avoidable_cost"] == pytest.approx(2.0 * n) and owned["avoidable_contacts"] == n
    assert not engine.has_table("_cxray_fx_us04_shared")  # the context's close drops the shared ones


def test_built_in_detectors_read_only_the_shared_tables_they_declare(engine, monkeypatch):
    """``Detector.reads`` lets the finder drop a shared table after its last reader: every built-in says
    what it reads, and asks the context for nothing else on a simulated centre (a table dropped too early
    would only be rebuilt, at a cost)."""
    from cxray.findings import context as C
    from cxray.simulate import load_scenario, simulate

    result = simulate(load_scenario("default"), seed=5, days=6)
    engine.register("sim", result.events)
    engine.execute("CREATE TABLE events AS SELECT * FROM sim")
    build_journeys(engine)
    asked: dict[str, set[str]] = {}
    running: list[str] = []
    for name in C.SHARED:
        real = getattr(C.DetectorContext, f"{name}_table")

        def spy(ctx, _real=real, _name=name):
            asked.setdefault(running[-1], set()).add(_name)
            return _real(ctx)

        monkeypatch.setattr(C.DetectorContext, f"{name}_table", spy)
    detectors = default_detectors()
    for d in detectors:
        assert d.reads is not None and d.reads <= set(C.SHARED), d.code
        assert d.stage_reads <= set(C.SHARED), d.code
        for step in ("stage", "detect"):
            real_step = getattr(d, step)

            def run(ctx, _label=f"{d.code}.{step}", _real=real_step):
                running.append(_label)
                return _real(ctx)

            monkeypatch.setattr(d, step, run)
    find_breakdowns(engine, detectors=detectors)
    assert asked and {r.split(".")[0] for r in running} == {d.code for d in detectors}
    for d in detectors:  # nothing undeclared
        assert asked.get(f"{d.code}.detect", set()) <= d.reads, d.code
        assert asked.get(f"{d.code}.stage", set()) <= d.stage_reads, d.code
    assert any(d.reads for d in detectors) and any(d.stage_reads for d in detectors)


def test_a_shared_table_goes_after_its_last_reader_unless_one_still_to_run_is_undeclared(engine):
    from cxray.findings.context import LEG_ACTIVITIES

    seen: list[tuple[str, bool]] = []

    def probe(code: str, reads: frozenset[str] | None, build: bool = False) -> Detector:
        class Probe(Detector):
            """Notes whether the leg activities are staged when it runs."""

            bucket = TECHNOLOGY

            def detect(self, ctx):
                if build:
                    ctx.leg_activities_table()
                seen.append((self.code, ctx.engine.has_table(LEG_ACTIVITIES)))
                return []

        Probe.code, Probe.name, Probe.reads = code, code.lower(), reads
        return Probe()

    _ten_contacts(engine)
    find_breakdowns(engine, detectors=[probe("US06", frozenset({"leg_activities"}), build=True),
                                       probe("US07", frozenset())])  # fmt: skip
    assert seen == [("US06", True), ("US07", False)]
    seen.clear()
    find_breakdowns(engine, detectors=[probe("US06", frozenset({"leg_activities"}), build=True),
                                       probe("US08", None), probe("US07", frozenset())])  # fmt: skip
    assert seen == [("US06", True), ("US08", True), ("US07", False)]


def test_the_contacts_kept_are_distinct_per_code_and_title():
    """``finding_contacts``: one row per (code, title, contact), also when two findings share a code and
    a title (their claims merge) or a finding claims a contact twice."""
    from cxray.engine import Engine
    from cxray.findings.finder import CLAIMS, FINDING_CONTACTS, Finding, _keep_contacts

    found = [
        Finding(code=code, title=title, bucket="operating-model choice")
        for code, title in [
            ("TR01", "Queue A transfers"),
            ("TR01", "Queue A transfers"),
            ("RC01", "Repeat contacts"),
        ]
    ]
    with Engine() as engine:
        engine.execute(
            f"CREATE TEMP TABLE {CLAIMS} AS SELECT * FROM (VALUES (0, 'c1'), (0, 'c1'), (1, 'c1'), "
            "(1, 'c2'), (2, 'c1'), (2, 'c3')) t(fid, contact_id)"
        )
        _keep_contacts(engine, found)
        rows = engine.fetchall(f"SELECT code, title, contact_id FROM {FINDING_CONTACTS} ORDER BY ALL")
    assert rows == [
        ("RC01", "Repeat contacts", "c1"), ("RC01", "Repeat contacts", "c3"),
        ("TR01", "Queue A transfers", "c1"), ("TR01", "Queue A transfers", "c2"),
    ]  # fmt: skip


def test_the_finders_minutes_and_costs_are_dyadic_so_their_sums_are_exact(engine):
    """Every detector adds up the events' and legs' minutes and costs: they are multiples of 2**-20
    (sql.dyadic), so no total moves with the order a parallel aggregation adds them in."""
    from cxray.costs import CostModel
    from cxray.findings.context import DetectorContext
    from cxray.options import AnalysisOptions

    rows = [
        {S.CONTACT_ID: f"c{i % 7}", S.TIMESTAMP: T0 + timedelta(minutes=i), S.ACTIVITY: f"a{i % 3}",
         S.QUEUE: f"q{i % 2}", S.ACTOR_TYPE: "agent", S.DURATION_S: 10 + i / 7}
        for i in range(60)
    ]  # fmt: skip
    load_rows(engine, rows)
    costs = CostModel(default_per_minute=1 / 3, per_minute_by_actor_type={"agent": 0.7})
    build_journeys(engine, costs=costs)
    ctx = DetectorContext(engine=engine, options=AnalysisOptions(), costs=costs)
    try:
        for table in (ctx.events_table(), ctx.legs_table()):
            off = engine.scalar(
                f"SELECT count(*) FROM {table} WHERE minutes * 1048576 <> round(minutes * 1048576) "
                "OR cost * 1048576 <> round(cost * 1048576)"
            )
            assert off == 0, table
        assert engine.scalar(f"SELECT sum(minutes) FROM {ctx.events_table()}") == pytest.approx(
            sum(10 + i / 7 for i in range(60)) / 60, abs=1e-4
        )
    finally:
        ctx.close()


def test_staged_tables_stand_in_for_the_events(engine):
    """``stage_breakdowns`` builds every table the built-in detectors read from events: with those tables
    adopted, ``find_breakdowns`` finds the same with the events gone (the Spark driver's case)."""
    pytest.importorskip("cxray.simulate")
    from cxray.findings import stage_breakdowns
    from cxray.findings.context import LEG_ACTIVITIES, LEGS, NEXT
    from cxray.incentives import stage_incentives
    from cxray.journeys import log_facts
    from cxray.ordered import ORDERED_TABLE
    from cxray.process.step_kinds import StepKinds
    from cxray.simulate import load_scenario, simulate

    result = simulate(load_scenario("default"), seed=5, days=6)
    engine.register("sim", result.events)
    engine.execute("CREATE TABLE events AS SELECT * FROM sim")
    build_journeys(engine)
    assessment = stage_incentives(engine)  # the IN detectors read it: staged while the events are here
    # CL01 with a vocabulary of its own too: its step kinds come from the staged table's activities
    own = StepKinds.from_dict({"builtin": False})  # every step by its name
    # WT01 finding the short pauses this centre has (its default waits for an hour on average), so that
    # its findings, examples merged from the staged lists, are compared too
    kinds = {"CL01": lambda d: type(d)(step_kinds=own), "WT01": lambda d: type(d)(min_mean_hours=0.1)}
    chosen = [kinds.get(d.code, lambda d: d)(d) for d in default_detectors()]
    expected = find_breakdowns(engine, incentives=assessment, detectors=chosen)
    assert {f["code"] for f in expected["all_findings"]} >= {"BO01", "WT01"}

    staged = stage_breakdowns(engine, facts=log_facts(engine), detectors=chosen)
    own = {"BO01", "CL01", "DE01", "LP01", "MH01", "PP01", "TR01", "WT01"}
    assert {chosen[k].code for k in staged.by_detector} == own
    # the legs and leg activities (a row per leg; about one per event) are read by stages only: what the
    # detectors read is per contact (next contacts), or counts and rows where something went wrong
    assert LEG_ACTIVITIES not in staged.tables and LEGS not in staged.tables and NEXT in staged.tables
    # WT01's waits are counted per (activity, team, sketch bucket) and its contacts per activity
    (wt01,) = [k for k, d in enumerate(chosen) if d.code == "WT01"]
    events = engine.scalar("SELECT count(*) FROM events")
    assert all(engine.scalar(f"SELECT count(*) FROM {t}") < events / 10 for t in staged.by_detector[wt01])
    assert all(engine.has_table(t) for t in staged.tables)
    assert not engine.has_table(LEGS) and not engine.has_table(LEG_ACTIVITIES)  # what only stages read
    engine.execute(f"DROP TABLE {ORDERED_TABLE}")
    engine.execute("ALTER TABLE events RENAME TO hidden_events")
    got = find_breakdowns(engine, incentives=assessment, detectors=chosen, staged=staged)
    assert got == expected
    assert not any(engine.has_table(t) for t in staged.tables)  # dropped as their readers finished
    with pytest.raises(ConfigError, match="events"):  # without staged tables the events are needed
        find_breakdowns(engine, incentives=assessment, detectors=chosen)
    assessment.close()
