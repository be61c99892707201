"""Rollback triggers: read strictly from YAML; fired only when the whole interval is past the line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from cxray.audit.did import DidEstimate, DidOptions, Interval, difference_in_differences
from cxray.audit.triggers import (
    MEASURES,
    Trigger,
    evaluate,
    load_triggers,
    parse_triggers,
    should_roll_back,
)
from cxray.errors import ConfigError

EXAMPLE = """\
triggers:
  - measure: handle_time      # one of the headline measures
    rise_pct: 10              # relative rise of the pilot's effect vs its before level
  - measure: transfer_rate
    rise_points: 2            # absolute rise in percentage points
  - measure: abandonment_rate
    rise: any                 # any rise beyond noise
"""


def estimate(seed: int, *, rise: float = 0.0, base: float = 300.0, rate: bool = False) -> DidEstimate:
    """A pilot and a control of 300 customers each, 3 contacts per customer over 16 weeks; both groups move
    +5% after the change (the season) and the pilot by ``rise`` more (a share of ``base``, or rate points)."""
    rng = np.random.default_rng(seed)
    k = 600
    n = 1 + rng.poisson(2, k)
    cust = np.repeat(np.arange(k), n)
    pilot = (np.arange(k) < k // 2)[cust]
    week = rng.integers(0, 16, len(cust))
    after = week >= 8
    if rate:
        p = base + 0.02 * after + rise * (pilot & after) + rng.normal(0, 0.03, k)[cust]
        value = (rng.random(len(cust)) < np.clip(p, 0, 1)).astype(float)
    else:
        level = base * (1 + 0.05 * after + rise * (pilot & after))
        value = level + rng.normal(0, 0.2 * base, k)[cust] + rng.normal(0, 0.3 * base, len(cust))
    return difference_in_differences(
        value, pilot=pilot, after=after, customer=cust, week=week, options=DidOptions(seed=seed)
    )


# --- reading ----------------------------------------------------------------------------------------------
def test_the_issue_example_parses() -> None:
    """The three kinds of threshold in the issue's example become typed triggers."""
    got = parse_triggers(EXAMPLE, path="triggers.yaml")
    assert got == (
        Trigger("handle_time", "rise", "pct", 10.0),
        Trigger("transfer_rate", "rise", "points", 2.0),
        Trigger("abandonment_rate", "rise", "any", 0.0),
    )
    assert [t.describe() for t in got] == [
        "handle_time rise > 10%",
        "transfer_rate rise > 2 points",
        "abandonment_rate rise > 0",
    ]


def test_load_triggers_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "triggers.yaml"
    path.write_text("triggers:\n  - measure: fcr\n    fall_points: 1.5\n", encoding="utf-8")
    assert load_triggers(path) == (Trigger("fcr", "fall", "points", 1.5),)
    with pytest.raises(ConfigError, match=r"missing\.yaml: cannot read triggers"):
        load_triggers(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("triggers:\n  - measure: handle_time\n    rise_pc: 10\n", r"triggers\[0\]\.rise_pc: unknown key"),
        (
            "triggers:\n  - measure: speed\n    rise: any\n",
            r"triggers\[0\]\.measure: unknown measure 'speed'",
        ),
        ("triggers:\n  - rise: any\n", r"triggers\[0\]\.measure: unknown measure None"),
        (
            "triggers:\n  - measure: handle_time\n    rise_pct: 10\n    rise: any\n",
            r"triggers\[0\]: needs exactly one of .*, got 2",
        ),
        ("triggers:\n  - measure: handle_time\n", r"triggers\[0\]: needs exactly one of .*, got 0"),
        ("triggers:\n  - measure: fcr\n    rise: any\n", r"triggers\[0\]\.rise: fcr is better higher"),
        (
            "triggers:\n  - measure: handle_time\n    fall_pct: 5\n",
            r"triggers\[0\]\.fall_pct: handle_time is better lower",
        ),
        (
            "triggers:\n  - measure: handle_time\n    rise_points: 2\n",
            r"triggers\[0\]\.rise_points: points apply to rates; handle_time is in seconds",
        ),
        ("triggers:\n  - measure: transfer_rate\n    rise: some\n", r"triggers\[0\]\.rise: expected 'any'"),
        ("triggers:\n  - measure: transfer_rate\n    rise_points: -2\n", r"expected a number > 0, got -2"),
        ("triggers:\n  - measure: transfer_rate\n    rise_points: yes\n", r"expected a number > 0, got True"),
        ("triggers:\n  - measure: handle_time\n    rise_pct: .nan\n", r"expected a number > 0, got nan"),
        (
            "triggers:\n  - measure: fcr\n    fall: any\n  - measure: transfer_rate\n    rise_points: x\n",
            r"triggers\[1\]\.rise_points",
        ),
        (
            "trigger:\n  - measure: fcr\n",
            r"expected a mapping with the one key 'triggers', got \['trigger'\]",
        ),
        ("triggers:\n  measure: fcr\n", r"triggers: expected a list, got dict"),
        ("triggers:\n  - fcr\n", r"triggers\[0\]: expected a mapping, got str"),
        ("", r"expected a mapping with the one key 'triggers', got NoneType"),
        ("triggers: [\n", r"not valid YAML"),
    ],
)
def test_mistakes_are_config_errors_naming_file_and_key(text: str, message: str) -> None:
    """Each mistake is one ConfigError that starts with the file and names the key at fault."""
    with pytest.raises(ConfigError, match=r"^rollback\.yaml: .*" + message) as info:
        parse_triggers(text, path="rollback.yaml")
    assert info.value.path == "rollback.yaml"


def test_every_measure_can_have_a_trigger() -> None:
    """Each measure accepts a trigger on its bad side, so none of MEASURES is unusable."""
    for name, m in MEASURES.items():
        key = "fall" if m.higher_is_better else "rise"
        (t,) = parse_triggers(f"triggers:\n  - measure: {name}\n    {key}_pct: 5\n")
        assert t.direction == key


# --- judging ----------------------------------------------------------------------------------------------
def test_fires_on_a_planted_twenty_percent_handle_time_rise() -> None:
    """Handle time up 20% of its before level in the pilot (beyond a 5% season in both): a 10% trigger fires
    with its evidence; the relative effect's interval lies wholly above 10%."""
    (t,) = parse_triggers("triggers:\n  - measure: handle_time\n    rise_pct: 10\n")
    est = estimate(1, rise=0.20)
    (r,) = evaluate([t], {"handle_time": est})
    assert r.fired and r.evaluated
    assert r.threshold == pytest.approx(0.10)
    assert r.ci_low is not None and r.ci_low > 0.10
    assert r.estimate == pytest.approx(0.20, abs=0.05)
    assert r.reason.startswith("fired: handle_time effect +")
    assert "vs threshold +10.0%" in r.reason
    decision = should_roll_back([r])
    assert decision.roll_back and decision.fired == ("handle_time rise > 10%",)


def test_does_not_fire_on_a_null_change() -> None:
    """No effect beyond the common season: a 10% or 2-point trigger never fires in 20 seeds; 'any rise' fires
    only as often as one side of a 95% interval excludes 0 (nominal 2.5%; 3 of these 40 seeds, 3.0% of 600
    in a longer run): at most 4 of 40, where judging the point estimate would fire about 20."""
    pct, points, any_rise = parse_triggers(EXAMPLE)
    for seed in range(20):
        results = evaluate(
            [pct, points],
            {"handle_time": estimate(seed), "transfer_rate": estimate(seed, base=0.15, rate=True)},
        )
        assert all(r.evaluated for r in results)
        assert not any(r.fired for r in results), [r.reason for r in results if r.fired]
        assert not should_roll_back(results).roll_back
    fired = [
        r.reason
        for seed in range(40)
        for r in evaluate([any_rise], {"abandonment_rate": estimate(100 + seed, base=0.05, rate=True)})
        if r.fired
    ]
    assert len(fired) <= 4, fired


def test_points_and_any_fire_on_rates() -> None:
    """Transfers up 8 points (threshold 2) and abandonment up 6 points (any rise) both fire."""
    triggers = parse_triggers(EXAMPLE)[1:]
    results = evaluate(
        triggers,
        {
            "transfer_rate": estimate(2, base=0.15, rise=0.08, rate=True),
            "abandonment_rate": estimate(3, base=0.05, rise=0.06, rate=True),
        },
    )
    assert [r.fired for r in results] == [True, True]
    assert results[0].threshold == pytest.approx(0.02)
    assert "points" in results[0].reason and results[1].threshold == 0.0


def test_a_fall_trigger_fires_on_a_fall() -> None:
    """FCR down 10 points fires a 'fall_points: 2' trigger; FCR up 10 points does not."""
    (t,) = parse_triggers("triggers:\n  - measure: fcr\n    fall_points: 2\n")
    (down,) = evaluate([t], {"fcr": estimate(4, base=0.7, rise=-0.10, rate=True)})
    (up,) = evaluate([t], {"fcr": estimate(4, base=0.7, rise=0.10, rate=True)})
    assert down.fired and down.threshold == pytest.approx(-0.02) and down.ci_high is not None
    assert down.ci_high < -0.02
    assert not up.fired


def test_fires_only_when_the_whole_interval_is_past_the_threshold() -> None:
    """A point estimate past the line with an interval that straddles it is noise: it does not fire."""
    (t,) = parse_triggers("triggers:\n  - measure: handle_time\n    rise_pct: 10\n")
    base = estimate(5)
    straddles = dataclasses.replace(base, relative=Interval(0.14, 0.09, 0.19))
    clears = dataclasses.replace(base, relative=Interval(0.14, 0.101, 0.19))
    (a,) = evaluate([t], {"handle_time": straddles})
    (b,) = evaluate([t], {"handle_time": clears})
    assert not a.fired and "past the threshold, but not beyond noise" in a.reason
    assert b.fired


def test_missing_or_insufficient_estimates_are_not_evaluated() -> None:
    """No estimate, or one without an interval, leaves a trigger unevaluated and named, not silently kept."""
    triggers = parse_triggers(EXAMPLE)
    sparse = difference_in_differences([1.0, 0, 1], pilot=[1, 1, 0], after=[0, 1, 0], customer=[1, 1, 2])
    results = evaluate(triggers, {"transfer_rate": sparse, "handle_time": estimate(6)})
    assert [r.evaluated for r in results] == [True, False, False]
    assert "control after" in results[1].reason
    assert results[2].reason == "not evaluated: no abandonment_rate"
    decision = should_roll_back(results)
    assert not decision.roll_back
    assert decision.not_evaluated == ("transfer_rate rise > 2 points", "abandonment_rate rise > 0")
    assert "not evaluated: transfer_rate rise > 2 points; abandonment_rate rise > 0" in decision.summary


def test_diverging_pre_trends_add_a_caution() -> None:
    """A fired trigger on an estimate whose pre-trends diverged says the effect may be biased."""
    (t,) = parse_triggers("triggers:\n  - measure: handle_time\n    rise_pct: 10\n")
    est = estimate(1, rise=0.20)
    diverged = dataclasses.replace(est, parallel_trends=dataclasses.replace(est.parallel_trends, holds=False))
    (r,) = evaluate([t], {"handle_time": diverged})
    assert r.fired and "trended apart before the change" in r.reason
    (clean,) = evaluate([t], {"handle_time": est})
    assert "trended apart" not in clean.reason
