"""IPW against a known truth: a population with true labels, a logging policy with known propensities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iprisk.selection import ipw_hit_rate, naive_hit_rate, select


def _population(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = rng.normal(size=n)
    y = rng.random(n) < 1 / (1 + np.exp(-(1.5 * x - 3)))  # ~8 % infringing, more with x
    logging_score = x + rng.normal(scale=1.0, size=n)  # what the old policy saw
    new_score = x + rng.normal(scale=0.7, size=n)  # a better score, to be evaluated
    return y, logging_score, new_score


def test_ipw_intervals_have_their_nominal_coverage() -> None:
    """1,000 repetitions: the coverage of a 95 % interval is estimated within about 0.7 points, so the
    bounds below tell a 95 % interval from a 90 % one (at 90 % the lower bound is 2.6 sd away) and from an
    over-wide one. The estimates (rate and the Horvitz-Thompson total ``hits``) are unbiased; the naive rate
    is not."""
    rng = np.random.default_rng(2026)
    reps = 1000
    covered_rate = covered_hits = 0
    naive_errors, rate_errors, hits_errors = [], [], []
    for _ in range(reps):
        y, log_score, new_score = _population(rng, 8000)
        p = 0.02 + 0.5 / (1 + np.exp(-(log_score - 2)))  # known logging propensities
        controlled = rng.random(len(y)) < p
        labels = np.where(controlled, y, np.nan)  # outcomes only where controlled
        new = new_score >= np.quantile(new_score, 0.9)
        truth, true_hits = y[new].mean(), y[new].sum()
        est = ipw_hit_rate(new, controlled, labels, p)
        covered_rate += est.ci_low <= truth <= est.ci_high
        covered_hits += est.hits_ci_low <= true_hits <= est.hits_ci_high
        rate_errors.append(est.hit_rate - truth)
        hits_errors.append(est.hits - true_hits)
        naive_errors.append(naive_hit_rate(new, controlled, labels) - truth)
    for covered in (covered_rate, covered_hits):
        assert 0.925 * reps <= covered <= 0.975 * reps, (covered_rate, covered_hits)
    for errors in (rate_errors, hits_errors):
        se = np.std(errors) / np.sqrt(reps)
        assert abs(np.mean(errors)) < 4 * se, (np.mean(errors), se)
    # the naive rate is biased (the logging policy controlled the riskiest); IPW is not
    se = np.std(rate_errors) / np.sqrt(reps)
    assert np.mean(naive_errors) > 0.04 and np.mean(naive_errors) > 10 * se, np.mean(naive_errors)


def test_ipw_totals_by_hand() -> None:
    """Three controlled declarations: the Horvitz-Thompson total, the Hajek rate and both intervals."""
    new = np.array([True, True, True, False])
    controlled = np.array([True, True, False, True])
    labels = np.array([1.0, 0.0, np.nan, 1.0])
    p = np.array([0.5, 0.25, 0.5, 1.0])
    est = ipw_hit_rate(new, controlled, labels, p)
    # weights 2 and 4 on the two controlled rows the new policy selects; one hit (weight 2)
    assert est.hits == 2.0 and est.selected == 3 and est.labelled == 2
    assert est.hit_rate == pytest.approx(2 / 6)
    z = 1.959963984540054
    var_hits = (1 - 0.5) * 2.0**2  # sum over sampled of (1 - p) (y / p)^2
    assert est.hits_ci_low == pytest.approx(max(0.0, 2 - z * np.sqrt(var_hits)))
    assert est.hits_ci_high == pytest.approx(2 + z * np.sqrt(var_hits))
    resid = np.array([2 * (1 - 1 / 3), 4 * (0 - 1 / 3)])
    var_rate = ((1 - 0.5) * resid[0] ** 2 + (1 - 0.25) * resid[1] ** 2) / 6**2  # 0.0617
    ess = 6**2 / (2**2 + 4**2)
    assert est.effective_sample_size == pytest.approx(ess)
    # so few labels: the variance floor of one differing draw in the effective sample applies (0.0772)
    var_rate = max(var_rate, 0.25 / ess**2)
    assert est.ci_high == pytest.approx(min(1.0, 1 / 3 + z * np.sqrt(var_rate)))
    assert est.ci_low == pytest.approx(max(0.0, 1 / 3 - z * np.sqrt(var_rate)))


def test_ipw_on_the_propensities_recorded_by_select() -> None:
    rng = np.random.default_rng(7)
    y, log_score, new_score = _population(rng, 6000)
    frame = pd.DataFrame(
        {"declaration_id": np.arange(6000), "office": rng.choice(["A", "B"], 6000), "date": "d"}
    )
    new = new_score >= np.quantile(new_score, 0.8)
    covered = 0
    for seed in range(20):
        out = select(frame, log_score, capacity=600, exploration=0.2, seed=seed)
        controlled = out["selected"].to_numpy()
        est = ipw_hit_rate(new, controlled, np.where(controlled, y, np.nan), out["propensity"].to_numpy())
        covered += est.ci_low <= y[new].mean() <= est.ci_high
        assert est.unsupported == 0
    assert covered >= 16


def test_unsupported_and_inconsistent_inputs_are_refused() -> None:
    new = np.array([True, True, False])
    with pytest.raises(ValueError, match="never be controlled"):
        ipw_hit_rate(new, [True, False, False], [1, np.nan, np.nan], [1.0, 0.0, 0.5])
    est = ipw_hit_rate(
        new, [True, False, False], [1, np.nan, np.nan], [1.0, 0.0, 0.5], allow_unsupported=True
    )
    assert est.unsupported == 1 and est.hit_rate == 1.0
    with pytest.raises(ValueError, match="propensity 0"):
        ipw_hit_rate(new, [True, True, False], [1, 0, np.nan], [1.0, 0.0, 0.5])
    with pytest.raises(ValueError, match="one value per declaration"):
        ipw_hit_rate(new, [True], [1], [1.0])
