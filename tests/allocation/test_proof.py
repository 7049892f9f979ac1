"""The gain proven in the simulator: same world, same fraudsters, status quo against the plan."""

from __future__ import annotations

import numpy as np
import pytest

from iprisk.allocation.proof import GainProof, prove_gain

from .conftest import richer_scenario


@pytest.fixture(scope="module")
def proof() -> GainProof:
    return prove_gain(richer_scenario(), "2017Q1", scale=0.02, seeds=[11], history=6, displacement=0.5)


def test_the_plan_finds_more_than_the_status_quo_with_the_same_controls(proof: GainProof) -> None:
    run = proof.runs.iloc[0]
    assert run.gain > 0 and run.true_gain > 0
    # one draw of the same fraudsters lands near the expected difference
    assert run.gain == pytest.approx(run.true_gain, rel=0.25)
    # the plan's own prediction is in the truth's neighbourhood (the curves are estimated, not known)
    assert run.predicted_gain == pytest.approx(run.true_gain, rel=0.4)
    # each office spends what it spends today (its capacity), not more
    assert run.controls <= run.capacity + 1e-6 and run.controls > 0.99 * run.capacity


def test_the_displacement_aware_plan_loses_less_when_fraudsters_move(proof: GainProof) -> None:
    run = proof.runs.iloc[0]
    assert run.true_aware_gain_displaced >= run.true_gain_displaced
    assert run.true_gain_displaced < run.true_gain  # moving fraudsters cost the naive plan


def test_offpolicy_intervals_cover_the_simulated_truth(proof: GainProof) -> None:
    run = proof.runs.iloc[0]
    assert run.ipw_low <= run.offpolicy_truth <= run.ipw_high
    assert run.dr_low <= run.offpolicy_truth <= run.dr_high
    summary = proof.summary()
    assert summary["seeds"] == 1 and np.isfinite(summary["relative_gain"])
