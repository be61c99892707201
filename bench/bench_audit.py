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
from cxray.simulate.change import HandleTimeRise

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--rise", type=float, default=25.0, help="planted rise of agent handling, percent")
    parser.add_argument("--threshold", type=float, default=5.0, help="the trigger's rise_pct")
    parser.add_argument("--customers", type=int, default=25_000)
    args = parser.parse_args()
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
