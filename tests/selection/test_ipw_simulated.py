"""IPW estimates of a new policy's hit rate, checked against the simulator's ground truth.

In the simulated world only controlled declarations carry a label, and the control policy is biased towards
risky ones, so the naive hit rate of the labelled rows overstates what a new policy would find. The truth is
known: a new policy's expected hit rate is the share of truly infringing declarations it selects times the
probability that an inspection finds the infringement.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iprisk.selection.ipw import ipw_hit_rate, naive_hit_rate
from iprisk.simulate import default_scenario, labelled_declarations, simulate


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    out: Path = tmp_path_factory.mktemp("world")
    summary = simulate(start="2014Q1", end="2017Q4", scale=0.02, seed=7, out_dir=out)
    assert summary.declarations_path and summary.declarations_truth_path
    return labelled_declarations(summary.declarations_path, summary.declarations_truth_path)


POLICIES = {
    "clothing and shoes": lambda d: d.hs_code.str[:2].isin(["61", "62", "64"]),
    "sea from China": lambda d: d.origin_country.eq("CN") & d.transport_mode.eq("sea"),
    "everything": lambda d: pd.Series(True, index=d.index),
}


@pytest.mark.parametrize("policy", list(POLICIES))
def test_ipw_interval_covers_the_true_hit_rate_where_the_naive_rate_is_biased(
    world: pd.DataFrame, policy: str
) -> None:
    selected = POLICIES[policy](world).to_numpy()
    labels = world.infringement.astype("float64").to_numpy()
    estimate = ipw_hit_rate(selected, world.controlled, labels, world.selection_propensity)
    truth = world.true_infringement.to_numpy()[selected].mean() * default_scenario().detection_probability
    assert estimate.ci_low <= truth <= estimate.ci_high, (policy, estimate, truth)
    # the total: hits the policy's inspections would find (true infringements x detection probability)
    true_hits = world.true_infringement.to_numpy()[selected].sum() * default_scenario().detection_probability
    assert estimate.hits_ci_low <= true_hits <= estimate.hits_ci_high, (policy, estimate, true_hits)
    naive = naive_hit_rate(selected, world.controlled, labels)
    # the logging policy targets risk, so the labelled rows are richer in hits than the population
    assert naive > 1.5 * truth
    assert abs(estimate.hit_rate - truth) < abs(naive - truth)
    assert np.isfinite(estimate.effective_sample_size) and estimate.effective_sample_size > 30
