"""How long the voice of the customer takes over N verbatims (issue 16's budget: 100k in under 20 s).

Builds N contacts of 5-11 events (authentication, waits, a transfer, a survey) and N CSAT responses, one
per contact, then times the VoC steps that read the verbatims: sentiment (VADER, once per distinct text)
and placing each verbatim on a step of its contact's path. Twice: with texts repeated (the simulator's
templates, as real exports repeat canned phrases) and with every text distinct (the worst case).

    .venv/bin/python bench/bench_voc.py --verbatims 100000

Prints one line per case; the shared ordered events (built once per diagnosis for every step) are timed
apart, since a diagnosis has them already.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

import pyarrow as pa

from cxray.engine import Engine
from cxray.ordered import ordered_events
from cxray.process.step_kinds import StepKinds
from cxray.schema import canonical_arrow_schema
from cxray.simulate.survey import TEMPLATES
from cxray.voc.responses import RESPONSES
from cxray.voc.sentiment import add_sentiment
from cxray.voc.verbatims import map_verbatims

PATH = ["IVR menu", "Authenticate", "Queue wait", "Gather details", "Agent handling", "Transfer",
        "Queue wait", "Authenticate", "Agent handling", "After-contact work"]  # fmt: skip
REASONS = ["billing", "delivery problem", "refund", "account change", "payment failed", "order status"]
FILLERS = ("today", "again", "really", "honestly", "please", "morning", "evening", "line", "phone", "chat",
           "app", "website")  # fmt: skip


def events(n: int, rng: random.Random) -> pa.Table:
    cols: dict[str, list] = {k: [] for k in ("contact_id", "timestamp", "activity", "queue", "actor_type",
                                              "outcome", "source_row")}  # fmt: skip
    base, row = dt.datetime(2024, 1, 1), 0
    for c in range(n):
        steps = [*PATH[: rng.choice([4, 7, 10])], "Survey"]
        for k, activity in enumerate(steps):
            row += 1
            cols["contact_id"].append(f"C{c:07d}")
            cols["timestamp"].append(base + dt.timedelta(seconds=c * 60 + k * 30))
            cols["activity"].append(activity)
            cols["queue"].append(None if k < 2 else ("Q1" if k < 6 else "Q2"))
            cols["actor_type"].append(
                "agent" if activity in ("Agent handling", "Gather details") else "system"
            )
            cols["outcome"].append("resolved" if activity == "Agent handling" and k > 5 else None)
            cols["source_row"].append(row)
    schema = canonical_arrow_schema()
    full = {f.name: cols.get(f.name, [None] * row) for f in schema}
    return pa.table(full, schema=schema)


def texts(n: int, rng: random.Random, *, distinct: bool) -> list[str]:
    templates = [t for group in TEMPLATES.values() for t in group]
    out = []
    for i in range(n):
        text = rng.choice(templates).format(reason=rng.choice(REASONS))
        out.append(f"{text} {rng.choice(FILLERS)} {rng.choice(FILLERS)} #{i}" if distinct else text)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbatims", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    n = args.verbatims
    rng = random.Random(7)
    table = events(n, rng)
    for distinct in (False, True):
        with Engine(threads=args.threads) as engine:
            engine.register("ev", table)
            engine.execute("CREATE TABLE events AS SELECT * FROM ev")
            engine.unregister("ev")
            responses = pa.table(
                {
                    "response_id": pa.array(range(n), pa.int64()),
                    "contact_id": [f"C{c:07d}" for c in range(n)],
                    "survey_type": ["csat"] * n,
                    "score": [float(rng.randint(1, 5)) for _ in range(n)],
                    "verbatim": texts(n, rng, distinct=distinct),
                }
            )
            engine.register("r", responses)
            engine.execute(f"CREATE TEMP TABLE {RESPONSES} AS SELECT * FROM r")
            engine.unregister("r")
            t0 = time.perf_counter()
            ordered_events(engine)
            t1 = time.perf_counter()
            stats = add_sentiment(engine)
            t2 = time.perf_counter()
            _, placed = map_verbatims(engine, step_kinds=StepKinds.builtin())
            t3 = time.perf_counter()
        print(
            f"{'distinct' if distinct else 'repeated'} texts ({stats['distinct_texts']:,} distinct), "
            f"{table.num_rows:,} events: sentiment {t2 - t1:.1f} s, placing {t3 - t2:.1f} s, "
            f"VoC total {t3 - t1:.1f} s (shared ordered events {t1 - t0:.1f} s); "
            f"placed {placed['mapped']:,} of {placed['verbatims']:,}"
        )


if __name__ == "__main__":
    main()
