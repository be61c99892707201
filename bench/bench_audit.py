"""How often `cxray audit`'s rollback trigger fires on a planted handle-time rise, and on no change at all.

For each seed the simulator's default centre runs twice over the same 35 days: as it is, and with a
``handle_time_rise`` planted in one queue from day 21 (the simulator's own change, recorded in its ground
truth as the rise of the contacts' handle time in percent). Each run is audited with that queue as the pilot
and every other contact as the control, with one trigger, ``handle_time rise_pct: T``. Prints, per seed,
the planted rise, the audit's relative effect with its interval, and whether the trigger fired; then the
fire rates: the detection rate with the rise and the false-alarm rate without it.

    .venv/bin/python bench/bench_audit.py --seeds 10 --rise 25 --threshold 5

Not a timed benchmark: it measures the statistics over seeds (docs/audit.md, "How we know").
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt

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


def season(seed: int, customers: int) -> str:
    """A pilot 20% quicker while a season makes every call 20% longer: naive vs the ratio of ratios."""
    pilot = PilotEffect(name="pilot", date=CHANGE, segment={"queue": PILOT}, handle_time_pct=-20)
    shift = SeasonalShift(name="season", date=CHANGE, handle_time_pct=20)
    scenario = dataclasses.replace(load_scenario("default"), changes=(pilot, shift))
    sim = simulate(scenario, seed=seed, days=35, customers=customers)
    planted = sim.ground_truth["changes"][0]["effect"]["handle_time_pct"]
    options = AuditOptions(pilot=f"queue={PILOT}", change_date=CHANGE.isoformat(), did=DidOptions(seed=seed))
    est = audit(sim.events, options).measure("handle_time").estimate
    assert est is not None and est.naive is not None and est.ratio is not None and est.pilot_before
    naive = est.naive.estimate / est.pilot_before
    r = est.ratio
    covered = r.low is not None and r.high is not None and r.low <= planted / 100 <= r.high
    interval = f"{100 * (r.low or 0):+.1f} to {100 * (r.high or 0):+.1f}"
    held = "yes" if covered else "no"
    return f"| {seed} | {planted:+.1f} | {100 * naive:+.1f} | {100 * r.estimate:+.1f} ({interval}) | {held} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--rise", type=float, default=25.0, help="planted rise of agent handling, percent")
    parser.add_argument("--threshold", type=float, default=5.0, help="the trigger's rise_pct")
    parser.add_argument("--customers", type=int, default=25_000)
    parser.add_argument("--season", action="store_true", help="pilot -20%% under a +20%% season instead")
    args = parser.parse_args()
    if args.season:
        print("| seed | planted pilot % | naive % | ratio of ratios % (interval) | holds the planted |")
        print("|---|---|---|---|---|")
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            print(season(seed, args.customers), flush=True)
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
