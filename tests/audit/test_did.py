"""Difference-in-differences: the point estimate is OLS's interaction, the customer bootstrap agrees with
cluster-robust OLS, planted effects are recovered through a seasonal shift the naive estimate swallows,
null changes raise false alarms at about the nominal rate, and the pre-trend check tells diverging from
parallel."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from cxray.audit.did import DidEstimate, DidOptions, Interval, difference_in_differences
from cxray.errors import ConfigError

WEEKS_BEFORE = 8
WEEKS_AFTER = 8


@dataclass(frozen=True)
class Panel:
    value: np.ndarray
    pilot: np.ndarray
    after: np.ndarray
    customer: np.ndarray
    week: np.ndarray

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "value": self.value,
                "pilot": self.pilot.astype(int),
                "after": self.after.astype(int),
                "customer": self.customer,
                "week": self.week,
            }
        )

    def estimate(self, **options: int) -> DidEstimate:
        return difference_in_differences(
            self.value,
            pilot=self.pilot,
            after=self.after,
            customer=self.customer,
            week=self.week,
            options=DidOptions(**options),
        )


def panel(
    seed: int,
    *,
    customers: int = 300,
    contacts: float = 3.0,
    effect: float = 0.0,
    season: float = 0.0,
    pilot_level: float = 25.0,
    pilot_pre_slope: float = 0.0,
    sd_customer: float = 60.0,
    sd_noise: float = 100.0,
    one_period_per_customer: bool = False,
    rate: bool = False,
) -> Panel:
    """Handle times (or 0/1 flags with ``rate``) of ``customers`` customers per group over 16 weeks.

    Each customer has a lasting effect of their own (sd ``sd_customer``): their contacts are alike. The pilot
    sits ``pilot_level`` above the control throughout (a difference DiD must ignore); ``season`` moves both
    groups after the change, ``effect`` only the pilot; ``pilot_pre_slope`` tilts the pilot's before weeks.
    """
    rng = np.random.default_rng(seed)
    k = 2 * customers
    is_pilot = np.arange(k) < customers
    n = 1 + rng.poisson(contacts - 1, k)
    cust = np.repeat(np.arange(k), n)
    if one_period_per_customer:
        cust_after = rng.random(k) < 0.5
        after = cust_after[cust]
        week = np.where(after, WEEKS_BEFORE, 0) + rng.integers(0, WEEKS_BEFORE, len(cust))
    else:
        week = rng.integers(0, WEEKS_BEFORE + WEEKS_AFTER, len(cust))
        after = week >= WEEKS_BEFORE
    pilot = is_pilot[cust]
    u = rng.normal(0, sd_customer, k)[cust]
    mean = (
        300.0
        + u
        + pilot_level * pilot
        + season * after
        + effect * (pilot & after)
        + pilot_pre_slope * (week - WEEKS_BEFORE) * (pilot & ~after)
    )
    if rate:
        # A flag per contact: the customer's own propensity around the mean share, as the level moves.
        p = np.clip(mean / 1000.0, 0.01, 0.99)
        value = (rng.random(len(cust)) < p).astype(float)
    else:
        value = mean + rng.normal(0, sd_noise, len(cust))
    return Panel(value, pilot, after, cust, week)


def ols(df: pd.DataFrame, formula: str = "value ~ pilot * after", cluster: bool = True) -> Any:
    """statsmodels OLS, with customer-clustered (CR1) errors unless ``cluster`` is False."""
    if cluster:
        return smf.ols(formula, df).fit(cov_type="cluster", cov_kwds={"groups": df["customer"]})
    return smf.ols(formula, df).fit()


# --- the point estimate -----------------------------------------------------------------------------------
@pytest.mark.parametrize("rate", [False, True], ids=["handle_time", "rate"])
def test_effect_equals_the_ols_interaction(rate: bool) -> None:
    """The effect is the ``pilot:after`` coefficient of OLS ``value ~ pilot * after`` on the same data."""
    p = panel(1, effect=30.0, season=40.0, rate=rate)
    est = p.estimate(n_boot=200)
    fit = ols(p.frame(), cluster=False)
    assert est.status == "ok"
    assert est.effect == pytest.approx(fit.params["pilot:after"], rel=1e-9, abs=1e-12)
    # and the four means are the cells of the saturated model
    assert est.control_before == pytest.approx(fit.params["Intercept"])
    assert est.pilot_before == pytest.approx(fit.params["Intercept"] + fit.params["pilot"])
    assert est.naive is not None
    assert est.naive.estimate == pytest.approx(fit.params["after"] + fit.params["pilot:after"])


def test_bootstrap_interval_agrees_with_cluster_robust_ols() -> None:
    """The customer bootstrap interval matches OLS with customer-clustered errors within 10% of its width.

    Both estimate the same sampling variance of a saturated model's interaction with 300 customers per group;
    what separates them is the Monte Carlo error of 2.5%/97.5% percentiles over 1,000 resamples (about 2% of
    the width per endpoint), the small-sample factors of CR1 (G/(G-1) ≈ 1.002) and the skew the percentile
    interval keeps and the symmetric Wald interval drops. 10% of the width leaves room for those and still
    fails an interval that resamples rows (here about half as wide: the customers' contacts are alike).
    """
    p = panel(2, effect=30.0, contacts=6.0, sd_customer=100.0, sd_noise=50.0, one_period_per_customer=True)
    est = p.estimate()
    clustered = ols(p.frame()).conf_int().loc["pilot:after"]
    iid = ols(p.frame(), cluster=False).conf_int().loc["pilot:after"]
    width = clustered[1] - clustered[0]
    assert est.ci_low is not None and est.ci_high is not None
    assert abs(est.ci_low - clustered[0]) < 0.10 * width, (est.ci_low, est.ci_high, tuple(clustered))
    assert abs(est.ci_high - clustered[1]) < 0.10 * width, (est.ci_low, est.ci_high, tuple(clustered))
    # Customers, not rows: an interval treating contacts as independent would be far narrower.
    assert (est.ci_high - est.ci_low) > 1.5 * (iid[1] - iid[0])


# --- recovery, bias, false alarms -------------------------------------------------------------------------
def test_planted_effect_is_recovered_while_the_naive_estimate_is_biased() -> None:
    """With a +50 s seasonal shift in both groups and a +30 s effect in the pilot, the DiD interval covers 30
    in at least 85% of 40 seeds (nominal 95%; measured 37 of 40) and the naive before/after interval almost
    never does (measured 0 of 40)."""
    effect, season, seeds = 30.0, 50.0, 40
    covered = naive_covered = 0
    estimates: list[float] = []
    for seed in range(seeds):
        est = panel(100 + seed, effect=effect, season=season).estimate(seed=seed)
        assert est.effect is not None and est.ci_low is not None and est.ci_high is not None
        assert est.naive is not None
        covered += est.ci_low <= effect <= est.ci_high
        naive_covered += est.naive.low is not None and est.naive.low <= effect <= (est.naive.high or 0)
        estimates.append(est.effect)
    assert covered / seeds >= 0.85, f"coverage {covered}/{seeds}"
    assert naive_covered / seeds <= 0.05, f"naive coverage {naive_covered}/{seeds}"
    assert np.mean(estimates) == pytest.approx(effect, abs=5.0)


def test_null_change_raises_false_alarms_at_about_the_nominal_rate() -> None:
    """A 0/1 rate with a common seasonal rise and no effect: the 95% interval excludes 0 in at most 10% of
    200 seeds (measured: 9, 4.5%), so a 'no change' pilot is rarely called improved or worse."""
    seeds = 200
    alarms = 0
    for seed in range(seeds):
        est = panel(1000 + seed, customers=150, season=60.0, rate=True).estimate(seed=seed)
        alarms += est.verdict(higher_is_better=True) != "no detectable change"
    assert alarms / seeds <= 0.10, f"false alarm rate {alarms}/{seeds}"
    assert alarms > 0, "an interval that never excludes 0 under the null is too wide to be useful"


# --- parallel trends --------------------------------------------------------------------------------------
def test_diverging_pre_trends_are_flagged() -> None:
    """The pilot climbing 6 s a week before the change while the control is flat: ``holds`` is False and the
    slope difference is OLS's ``pilot:week`` on the before period."""
    p = panel(3, pilot_pre_slope=6.0, customers=400)
    est = p.estimate()
    pt = est.parallel_trends
    assert pt.status == "ok" and pt.weeks_pilot == pt.weeks_control == WEEKS_BEFORE
    assert pt.holds is False
    assert pt.ci_low is not None and pt.ci_low > 0
    before = p.frame()[lambda d: d["after"] == 0]
    fit = ols(before, "value ~ pilot * week")
    assert pt.difference == pytest.approx(fit.params["pilot:week"], rel=1e-9)
    assert pt.ci_low <= 6.0 <= (pt.ci_high or 0)


def test_parallel_pre_trends_pass() -> None:
    """Both groups flat before the change (a level gap is fine): ``holds`` is True."""
    pt = panel(4, customers=400).estimate().parallel_trends
    assert pt.status == "ok" and pt.holds is True
    assert pt.ci_low is not None and pt.ci_high is not None and pt.ci_low < 0 < pt.ci_high


def test_too_few_weeks_and_no_weeks() -> None:
    """Two weeks before the change are too few to see a trend; without weeks nothing is checked."""
    p = panel(5)
    pre2 = ~p.after & (p.week < WEEKS_BEFORE - 2)
    keep = ~pre2
    est = difference_in_differences(
        p.value[keep], pilot=p.pilot[keep], after=p.after[keep], customer=p.customer[keep], week=p.week[keep]
    )
    assert est.parallel_trends.status == "too_few_weeks"
    assert est.parallel_trends.weeks_pilot == 2 and est.parallel_trends.holds is None
    assert est.status == "ok"  # the effect itself is still estimated
    none = difference_in_differences(p.value, pilot=p.pilot, after=p.after, customer=p.customer)
    assert none.parallel_trends.status == "not_checked"


# --- verdicts and edge cases ------------------------------------------------------------------------------
def test_verdict_follows_the_direction_that_is_better() -> None:
    """A clear rise is 'improved' where higher is better and 'worse' where lower is; a null is neither."""
    up = panel(6, effect=60.0).estimate()
    assert up.verdict(higher_is_better=True) == "improved"
    assert up.verdict(higher_is_better=False) == "worse"
    down = panel(6, effect=-60.0).estimate()
    assert down.verdict(higher_is_better=False) == "improved"
    flat = panel(7).estimate()
    assert flat.verdict(higher_is_better=True) == "no detectable change"


def test_empty_cell_is_a_status_not_a_crash() -> None:
    """No pilot observation after the change: ``empty_cell``, no effect, the pre-trend check still runs."""
    p = panel(8)
    keep = ~(p.pilot & p.after)
    est = difference_in_differences(
        p.value[keep], pilot=p.pilot[keep], after=p.after[keep], customer=p.customer[keep], week=p.week[keep]
    )
    assert est.status == "empty_cell" and "pilot after" in est.note
    assert est.pilot_after is None and est.n_pilot_after == 0
    assert est.effect is None and est.ci_low is None and est.naive is None and est.relative is None
    assert est.verdict(higher_is_better=True) == "insufficient data"
    assert est.parallel_trends.status == "ok"


def test_a_single_customer_gives_an_effect_without_an_interval() -> None:
    """One control customer: the effect is computed, its interval is not (one customer has no spread)."""
    value = [10.0, 12, 14, 11, 20, 25, 24, 13, 15]
    pilot = [1, 1, 1, 1, 1, 1, 1, 0, 0]
    after = [0, 0, 0, 1, 1, 1, 1, 0, 1]
    customer = ["a", "b", "c", "a", "b", "c", "c", "z", "z"]
    est = difference_in_differences(value, pilot=pilot, after=after, customer=customer)
    assert est.status == "too_few_customers" and "control group has 1 customer" in est.note
    assert est.customers_pilot == 3 and est.customers_control == 1
    assert est.effect == pytest.approx((20 + 25 + 24 + 11) / 4 - 12 - (15 - 13))
    assert est.ci_low is None and est.ci_high is None
    assert est.naive == Interval(pytest.approx(80 / 4 - 12), None, None)  # type: ignore[arg-type]
    assert est.verdict(higher_is_better=False) == "insufficient data"


def test_nan_values_are_dropped_and_counted() -> None:
    """NaN and infinite values are left out, counted, and the estimate equals the one without them."""
    p = panel(9)
    value = p.value.copy()
    value[[0, 5, 17]] = [np.nan, np.inf, np.nan]
    est = difference_in_differences(value, pilot=p.pilot, after=p.after, customer=p.customer, week=p.week)
    keep = np.isfinite(value)
    clean = difference_in_differences(
        value[keep], pilot=p.pilot[keep], after=p.after[keep], customer=p.customer[keep], week=p.week[keep]
    )
    assert est.dropped_nan == 3 and clean.dropped_nan == 0
    assert (est.effect, est.ci_low, est.ci_high) == (clean.effect, clean.ci_low, clean.ci_high)


def test_same_seed_same_interval_and_customers_in_both_groups_counted() -> None:
    """Deterministic for a seed, different for another; a customer seen in both groups is counted."""
    p = panel(10)
    a, b, c = p.estimate(seed=1), p.estimate(seed=1), p.estimate(seed=2)
    assert (a.ci_low, a.ci_high, a.parallel_trends) == (b.ci_low, b.ci_high, b.parallel_trends)
    assert a.ci_low != c.ci_low and a.effect == c.effect
    assert a.customers_in_both == 0
    customer = p.customer.copy()
    customer[np.flatnonzero(~p.pilot)[:4]] = 0  # the control's first contacts were by pilot customer 0
    shared = difference_in_differences(p.value, pilot=p.pilot, after=p.after, customer=customer)
    assert shared.customers_in_both == 1


def test_bad_input_and_options_are_refused() -> None:
    """Arrays of different lengths or flags that are not 0/1 are caller errors; bad options ConfigErrors."""
    with pytest.raises(ValueError, match="one length"):
        difference_in_differences([1.0, 2.0], pilot=[1], after=[0, 1], customer=[1, 2])
    with pytest.raises(ValueError, match="pilot must hold booleans or 0/1"):
        difference_in_differences([1.0, 2.0], pilot=[1, 2], after=[0, 1], customer=[1, 2])
    with pytest.raises(ConfigError, match="n_boot"):
        DidOptions(n_boot=10)
    with pytest.raises(ConfigError, match="level"):
        DidOptions(level=1.5)


def test_a_proportional_season_is_read_by_the_ratio_not_by_the_difference() -> None:
    """Pilot calls 20% shorter after the change while a season makes every call 20% longer, and the pilot's
    calls are twice the control's: the difference in seconds reads the season as an effect, the ratio of
    ratios holds -20% in its interval."""
    rng = np.random.default_rng(11)
    n = 4000
    customer = np.arange(n)
    pilot = customer % 2 == 0
    after = rng.random(n) < 0.5
    base = np.where(pilot, 600.0, 300.0)
    value = base * np.where(after, 1.2, 1.0) * np.where(pilot & after, 0.8, 1.0) * rng.lognormal(0, 0.3, n)
    est = difference_in_differences(value, pilot=pilot, after=after, customer=customer)
    assert est.ratio is not None and est.ratio.low is not None and est.ratio.high is not None
    assert est.ratio.low <= -0.2 <= est.ratio.high
    assert est.relative is not None and est.relative.high is not None
    # the difference's relative effect is 0.2*(0.8*1.2 - 1) ... biased by the season on the longer calls
    assert not (est.relative.low <= -0.2 <= est.relative.high)


def _cost_panel(seed: int, pilot_res_drift: float) -> tuple[np.ndarray, ...]:
    """Journeys (cost, resolved) of 300 customers a group over 6 weeks before and 4 after; the pilot's
    resolution probability moves by ``pilot_res_drift`` a week before the change."""
    rng = np.random.default_rng(seed)
    rows = []
    for pilot in (True, False):
        for cust in range(300):
            for week in range(10):
                p = 0.8 + (pilot_res_drift * (week - 3) if pilot and week < 6 else 0.0)
                cost = rng.gamma(4.0, 2.5)
                rows.append((cost, float(rng.random() < p), pilot, week >= 6, f"{pilot}-{cust}", week))
    cost, res, g, a, c, w = (np.array(x) for x in zip(*rows, strict=True))
    return cost, res, g.astype(bool), a.astype(bool), c, w.astype(float)


def test_a_weight_makes_each_cell_a_ratio_of_sums():
    """Cost per resolution: Σcost / Σresolved per cell, by hand; units still counted as units."""
    value = [10.0, 20, 30, 5, 5, 40, 8, 12]
    resolved = [1, 0, 1, 1, 1, 1, 0, 1]
    pilot = [1, 1, 1, 1, 0, 0, 0, 0]
    after = [0, 0, 1, 1, 0, 0, 1, 1]
    est = difference_in_differences(
        value, pilot=pilot, after=after, customer=[1, 2, 1, 2, 3, 4, 3, 4], weight=resolved,
        options=DidOptions(n_boot=200),
    )  # fmt: skip
    assert (est.pilot_before, est.pilot_after) == (30 / 1, 35 / 2)
    assert (est.control_before, est.control_after) == (45 / 2, 20 / 1)
    assert est.effect == pytest.approx((35 / 2 - 30) - (20 - 45 / 2))
    assert (est.n_pilot_before, est.n_pilot_after, est.n_control_before, est.n_control_after) == (2, 2, 2, 2)


def test_unit_weights_change_nothing():
    cost, _, g, a, c, w = _cost_panel(3, 0.0)
    plain = difference_in_differences(cost, pilot=g, after=a, customer=c, week=w)
    ones = difference_in_differences(cost, pilot=g, after=a, customer=c, week=w, weight=np.ones(len(cost)))
    assert dataclasses.replace(plain, parallel_trends=None) == dataclasses.replace(ones, parallel_trends=None)
    trends = dataclasses.asdict(plain.parallel_trends)
    assert dataclasses.asdict(ones.parallel_trends) == {  # the linearised value is the value, to rounding
        k: pytest.approx(v) if isinstance(v, float) else v for k, v in trends.items()
    }


def test_the_trends_check_reads_a_ratio_that_drifts_before_the_change():
    """A pilot whose resolutions fall week by week (cost per resolution climbing) fails the check; steady
    groups pass it. The linearised slope is the ratio's (checked against weekly ratios' OLS slope)."""
    cost, res, g, a, c, w = _cost_panel(5, -0.06)
    est = difference_in_differences(cost, pilot=g, after=a, customer=c, week=w, weight=res)
    t = est.parallel_trends
    assert t.status == "ok" and t.holds is False and t.difference > 0
    weekly = [cost[g & (w == k)].sum() / res[g & (w == k)].sum() for k in range(6)]
    assert t.slope_pilot == pytest.approx(np.polyfit(range(6), weekly, 1)[0], rel=0.25)
    cost, res, g, a, c, w = _cost_panel(5, 0.0)
    steady = difference_in_differences(cost, pilot=g, after=a, customer=c, week=w, weight=res)
    assert steady.parallel_trends.holds


def test_a_negative_or_missing_weight_is_refused():
    with pytest.raises(ValueError, match="weight"):
        difference_in_differences([1.0, 2], pilot=[1, 0], after=[0, 1], customer=[1, 2], weight=[1, -1])
    with pytest.raises(ValueError, match="weight"):
        difference_in_differences([1.0, 2], pilot=[1, 0], after=[0, 1], customer=[1, 2], weight=[1, np.nan])
