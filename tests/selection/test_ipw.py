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


def test_ipw_confidence_intervals_cover_the_true_hit_rate() -> None:
    rng = np.random.default_rng(2026)
    covered, naive_errors, ipw_errors = 0, [], []
    reps = 50
    for _ in range(reps):
        y, log_score, new_score = _population(rng, 8000)
        p = 0.02 + 0.5 / (1 + np.exp(-(log_score - 2)))  # known logging propensities
        controlled = rng.random(len(y)) < p
        labels = np.where(controlled, y, np.nan)  # outcomes only where controlled
        new = new_score >= np.quantile(new_score, 0.9)
        truth = y[new].mean()
        est = ipw_hit_rate(new, controlled, labels, p)
        covered += est.ci_low <= truth <= est.ci_high
        ipw_errors.append(est.hit_rate - truth)
        naive_errors.append(naive_hit_rate(new, controlled, labels) - truth)
    assert covered >= 0.85 * reps, covered
    # the naive rate is biased (the logging policy controlled the riskiest); IPW is not
    se = np.std(ipw_errors) / np.sqrt(reps)
    assert abs(np.mean(ipw_errors)) < 4 * se, (np.mean(ipw_errors), se)
    assert np.mean(naive_errors) > 0.04 and np.mean(naive_errors) > 10 * se, np.mean(naive_errors)


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
