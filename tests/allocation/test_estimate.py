"""Curves estimated from a simulated world's statistics, trade and logged controls, against its truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iprisk.allocation import STRATUM
from iprisk.allocation.estimate import estimate_curves, relative_risks
from iprisk.allocation.proof import SimulatedData
from iprisk.allocation.strata import declaration_strata
from iprisk.simulate.forward import forward_quarter

from .conftest import SCALE, SEED, TARGET, richer_scenario


@pytest.fixture(scope="module")
def curves_and_truth(world: SimulatedData) -> tuple:
    curves = estimate_curves(world.seizures, world.trade, world.declarations, quarter=TARGET)
    forward = forward_quarter(richer_scenario(), TARGET, SCALE, SEED)
    seg = forward.segments.reset_index().rename(columns={"index": "segment"})
    both = seg.merge(
        curves.strata.reset_index().rename(columns={"index": "curve"}),
        on=list(STRATUM),
        suffixes=("", "_est"),
    )
    return curves, forward, both


def test_every_stratum_with_traffic_gets_a_concave_curve(curves_and_truth: tuple) -> None:
    curves, forward, both = curves_and_truth
    assert len(both) == len(curves)  # every estimated stratum exists in the world
    # nearly all of the quarter's traffic is in strata the curves know
    assert both["traffic"].sum() > 0.99 * forward.segments["traffic"].sum()
    assert np.all(np.diff(curves.slopes, axis=1) <= 1e-9 * np.abs(curves.slopes).max())
    assert np.allclose(curves.capacity_max, curves.strata["traffic"])


def test_traffic_and_status_quo_match_the_truth(curves_and_truth: tuple) -> None:
    _, forward, both = curves_and_truth
    assert both["traffic_est"].sum() == pytest.approx(both["traffic"].sum(), rel=0.01)
    true_controls = forward.status_quo()[both["segment"]]
    assert both["status_quo"].sum() == pytest.approx(true_controls.sum(), rel=0.08)


def test_expected_detections_match_the_truth_at_the_status_quo_and_beyond(curves_and_truth: tuple) -> None:
    curves, forward, both = curves_and_truth
    x0 = curves.strata["status_quo"].to_numpy()
    est = curves.value(x0)[both["curve"]]
    truth = forward.expected(forward.status_quo())[both["segment"]]
    assert est.sum() == pytest.approx(truth.sum(), rel=0.15)
    by_mode = pd.DataFrame({"mode": both["transport_mode"], "est": est, "truth": truth}).groupby("mode").sum()
    big = by_mode[by_mode.truth > 20]
    assert ((big.est / big.truth).between(0.6, 1.6)).all(), by_mode
    # twice today's controls everywhere: the curves stay within a fifth of the truth
    x = 2 * x0
    controls = np.zeros(len(forward.segments))
    controls[both["segment"]] = x[both["curve"]]
    assert curves.value(x)[both["curve"]].sum() == pytest.approx(
        forward.expected(controls)[both["segment"]].sum(), rel=0.2
    )


def test_thin_strata_borrow_their_group_rate(curves_and_truth: tuple) -> None:
    curves, _, _ = curves_and_truth
    s = curves.strata
    assert (s["theta"] > 0).all()
    none = s[(s.cases == 0) & (s.traffic > 0)]
    assert len(none) > 0 and np.isfinite(curves.level_shape).all()
    assert s.shape_weight.between(0, 1).all()
    # a stratum without cases is less certain than one with many
    assert (
        curves.level_shape[(s.cases == 0).to_numpy()].mean()
        < curves.level_shape[(s.cases > 5).to_numpy()].mean()
    )


def test_riskier_priority_classes_are_found_more(world: SimulatedData) -> None:
    rho = relative_risks(declaration_strata(world.declarations))
    assert np.all(np.diff(rho) >= -1e-12)
    assert rho[-1] > 2 * rho[0]


def test_articles_objective_weighs_each_case(world: SimulatedData, curves_and_truth: tuple) -> None:
    cases = curves_and_truth[0]
    articles = estimate_curves(
        world.seizures, world.trade, world.declarations, quarter=TARGET, objective="articles"
    )
    ratio = articles.values[:, -1] / np.maximum(cases.values[:, -1], 1e-300)
    assert np.allclose(ratio, articles.strata["case_weight"], rtol=1e-9)
    assert articles.strata["case_weight"].max() > 10
