"""How often `cxray audit`'s rollback trigger fires on a planted handle-time rise, and on no change at all.

For each seed the simulator's default centre runs twice over the same 35 days: as it is, and with a
``handle_time_rise`` planted in one queue from day 21 (the simulator's own change, recorded in its ground
truth as the rise of the contacts' handle time in percent). Each run is audited with that queue as the pilot
and every other contact as the control, with one trigger, ``handle_time rise_pct: T``. Prints, per seed,
the planted rise, the audit's relative effect with its interval, and whether the trigger fired; then the
fire rates: the detection rate with the rise and the false-alarm rate without it.

    .venv/bin/python bench/bench_audit.py --seeds 10 --rise 25 --threshold 5

``--season``: a pilot 20% quicker in one queue while a season makes every agent's handling 20% longer, from
the same day. On the twin-queues centre (tests/audit/data/twin_queues.yaml: two matched queues, the pilot
and its control) it prints, per seed, the recorded pilot effect, the naive before/after and the ratio of
ratios with their intervals, and how often each interval held the recorded effect. ``--unmatched``: the
same on the default centre with every other contact as control, where the season moves the pilot queue's
contacts more than the rest (no control there is matched).

    .venv/bin/python bench/bench_audit.py --season --seeds 20 --customers 25000

Not a timed benchmark: it measures the statistics over seeds (docs/audit.md, "How we know").
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from pathlib import Path

from cxray.audit import AuditOptions, DidOptions, audit, parse_triggers
from cxray.simulate import load_scenario, simulate
from cxray.simulate.change import HandleTimeRise, PilotEffect, SeasonalShift

PILOT = "Billing phone"
CHANGE = dt.date(2024, 3, 25)  # day 21 of the default centre (a Monday)


def run(seed: int, rise: float | None, threshold: float, customers: int) -> tuple[float | None, object, bool]:
    scenario = load_scenario("default")
    if rise is not None:
        change = HandleTimeRise(name="rise", date=CHANGE, segment={"queue": PILOT}, handle_time_pct=rise)
        scenario = dataclasses.replace(scenario, changes=(change,))
    sim = simulate(scenario, seed=seed, days=35, customers=customers)
    planted = None
    if rise is not None:
        planted = sim.ground_truth["changes"][0]["effect"]["handle_time_pct"]
    trigger = parse_triggers(f"triggers:\n  - measure: handle_time\n    rise_pct: {threshold}\n")
    options = AuditOptions(
        pilot=f"queue={PILOT}", change_date=CHANGE.isoformat(), triggers=trigger, did=DidOptions(seed=seed)
    )
    doc = audit(sim.events, options)
    est = doc.measure("handle_time").estimate
    fired = doc.decision is not None and doc.decision.roll_back
    return planted, None if est is None else est.relative, fired


TWIN = Path(__file__).resolve().parents[1] / "tests" / "audit" / "data" / "twin_queues.yaml"


def season(seed: int, customers: int, matched: bool) -> tuple[str, bool, bool]:
    """A pilot 20% quicker while a season makes every agent's handling 20% longer: naive vs ratio of ratios.

    ``matched``: the twin-queues centre, pilot North phone against its matched control South phone (the
    season moves both alike); else the default centre, pilot Billing phone against every other contact.
    """
    pilot_q, control = ("North phone", "queue=South phone") if matched else (PILOT, None)
    base = load_scenario(TWIN) if matched else load_scenario("default")
    pilot = PilotEffect(name="pilot", date=CHANGE, segment={"queue": pilot_q}, handle_time_pct=-20)
    shift = SeasonalShift(name="season", date=CHANGE, handle_time_pct=20)
    sim = simulate(dataclasses.replace(base, changes=(pilot, shift)), seed=seed, days=35, customers=customers)
    planted = sim.ground_truth["changes"][0]["effect"]["handle_time_pct"]
    options = AuditOptions(
        pilot=f"queue={pilot_q}", control=control, change_date=CHANGE.isoformat(), did=DidOptions(seed=seed)
    )
    est = audit(sim.events, options).measure("handle_time").estimate
    assert est is not None and est.naive is not None and est.ratio is not None and est.pilot_before
    naive = est.naive
    r = est.ratio
    assert naive.low is not None and naive.high is not None and r.low is not None and r.high is not None
    covered = r.low <= planted / 100 <= r.high
    naive_covered = naive.low <= planted / 100 * est.pilot_before <= naive.high
    interval = f"{100 * r.low:+.1f} to {100 * r.high:+.1f}"
    row = (
        f"| {seed} | {planted:+.1f} | {100 * naive.estimate / est.pilot_before:+.1f} | "
        f"{'yes' if naive_covered else 'no'} | {100 * r.estimate:+.1f} ({interval}) | "
        f"{'yes' if covered else 'no'} |"
    )
    return row, covered, naive_covered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--rise", type=float, default=25.0, help="planted rise of agent handling, percent")
    parser.add_argument("--threshold", type=float, default=5.0, help="the trigger's rise_pct")
    parser.add_argument("--customers", type=int, default=25_000)
    parser.add_argument("--season", action="store_true", help="pilot -20%% under a +20%% season instead")
    parser.add_argument(
        "--unmatched", action="store_true",
        help="with --season: the default centre, Billing phone against everyone else (no matched control)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.season:
        print("| seed | planted pilot % | naive % | naive holds it | ratio of ratios % (interval) | holds |")
        print("|---|---|---|---|---|---|")
        held = naive_held = 0
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            row, covered, naive_covered = season(seed, args.customers, matched=not args.unmatched)
            held += covered
            naive_held += naive_covered
            print(row, flush=True)
        print(f"\nthe interval held the planted effect in {held}/{args.seeds} seeds (the naive one: "
              f"{naive_held}/{args.seeds})")  # fmt: skip
        return
    fired = {"rise": 0, "null": 0}
    print("| seed | planted rise % | estimated % (interval) | fired | null: estimated % (interval) | fired |")
    print("|---|---|---|---|---|---|")
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        planted, rel, hit = run(seed, args.rise, args.threshold, args.customers)
        _, rel0, hit0 = run(seed, None, args.threshold, args.customers)
        fired["rise"] += hit
        fired["null"] += hit0

        def show(r) -> str:
            return "n/a" if r is None or r.estimate is None else (
                f"{100 * r.estimate:+.1f} ({100 * (r.low or 0):+.1f} to {100 * (r.high or 0):+.1f})"
            )  # fmt: skip

        print(f"| {seed} | {planted:+.1f} | {show(rel)} | {'yes' if hit else 'no'} | {show(rel0)} | "
              f"{'yes' if hit0 else 'no'} |")  # fmt: skip
    n = args.seeds
    print(f"\ntrigger rise_pct {args.threshold:g}: fired on the planted rise in {fired['rise']}/{n} seeds, "
          f"on no change in {fired['null']}/{n} (false alarms)")  # fmt: skip


if __name__ == "__main__":
    main()
