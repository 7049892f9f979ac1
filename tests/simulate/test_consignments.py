"""The Bayes oracle the simulator writes beside each declaration item: latent risk and true probability."""

from __future__ import annotations

import math

import numpy as np
import pyarrow.parquet as pq

from iprisk.simulate import SimulationSummary
from iprisk.simulate.consignments import posterior, undervaluation_odds
from iprisk.simulate.latent import VALUE_NOISE_SIGMA


def test_undervaluation_odds_by_hand() -> None:
    share, factor, s2 = 0.7, 0.35, 2 * VALUE_NOISE_SIGMA**2
    shift = math.log(factor)
    at_norm = share * math.exp(-(shift**2) / s2) + 1 - share  # declared at the norm: mostly genuine
    at_shift = share * math.exp(shift**2 / s2) + 1 - share  # declared at 35 % of the norm: mostly not
    got = undervaluation_odds(np.array([0.0, shift]), share, factor)
    assert np.allclose(got, [at_norm, at_shift], rtol=1e-12)
    assert got[0] < 1 < got[1]
    assert np.allclose(undervaluation_odds(np.array([-1.0, 0.3]), 0.0, factor), 1.0)  # no undervaluation


def test_posterior_is_bayes_rule_on_the_odds() -> None:
    got = posterior(np.array([0.5, 0.2, 0.0, 1.0]), np.array([3.0, 0.25, 5.0, 0.1]))
    # 0.5 at odds 1 -> odds 3 -> 0.75; 0.2 at odds 1/4 -> odds 1/16 -> 1/17; certainties stay
    assert np.allclose(got, [0.75, 1 / 17, 0.0, 1.0], rtol=1e-12)


def test_true_probability_is_calibrated_and_sharper_than_the_latent_risk(
    small_world: SimulationSummary,
) -> None:
    assert small_world.declarations_truth_path is not None
    t = pq.read_table(small_world.declarations_truth_path).to_pandas()
    d = pq.read_table(small_world.declarations_path, columns=["item_no"]).to_pandas()  # type: ignore[arg-type]
    y = t["true_infringement"].to_numpy().astype(float)
    p, latent = t["true_probability"].to_numpy(), t["latent_risk"].to_numpy()
    assert ((p >= 0) & (p <= 1)).all() and ((latent >= 0) & (latent <= 1)).all()
    extra = d["item_no"].to_numpy() > 1  # only the main item of a consignment can infringe
    assert (p[extra] == 0).all() and (latent[extra] == 0).all()
    assert (p[y == 1] > 0).all()
    # both are probabilities the flags were drawn from: expected and drawn counts agree within 4 sd
    for q in (p, latent):
        assert abs(y.sum() - q.sum()) < 4 * math.sqrt(float((q * (1 - q)).sum())), (y.sum(), q.sum())
    # and per decile of the oracle (where the hits are)
    order = np.argsort(p)
    for part in np.array_split(order[-len(order) // 5 :], 5):
        expected, sd = p[part].sum(), math.sqrt(float((p[part] * (1 - p[part])).sum()))
        assert abs(y[part].sum() - expected) < 4 * sd + 1, (y[part].sum(), expected)
    # the declared value adds information: the oracle has the better log-likelihood
    eps = 1e-12

    def loglik(q: np.ndarray) -> float:
        return float(np.sum(y * np.log(q + eps) + (1 - y) * np.log(1 - q + eps)))

    assert loglik(p) > loglik(latent) + 10
