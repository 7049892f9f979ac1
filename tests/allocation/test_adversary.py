"""Planning against fraudsters who move to the least-covered neighbouring route."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iprisk.allocation import curves_from_slopes, plan_allocation
from iprisk.allocation.adversary import displaced_value, neighbours
from iprisk.allocation.robust import compare_displacement


def _two_ports() -> tuple:
    """Two offices receive toys from CNSHA by sea (neighbours); the first also has a rich route of its own.

    The naive plan spends the first office on its richer toys route and leaves the second one's controls
    on its other goods, so toys moving from the first office to the second would go unseen.
    """
    strata = pd.DataFrame(
        {
            "office": ["NLRTM", "NLRTM", "BEANR", "BEANR"],
            "route": ["sea CNSHA -> NLRTM", "sea HKHKG -> NLRTM", "sea CNSHA -> BEANR", "sea INNSA -> BEANR"],
            "product_category": ["toys", "toys", "toys", "medicines"],
            "traffic": [1000.0, 1000.0, 1000.0, 1000.0],
            "status_quo": [20.0, 20.0, 20.0, 20.0],
        }
    )
    rates = np.array([0.05, 0.03, 0.02, 0.025])
    widths = np.array([[1000.0]] * 4)
    curves = curves_from_slopes(strata, widths, rates[:, None])
    capacity = pd.DataFrame({"office": ["NLRTM", "BEANR"], "capacity": [400.0, 400.0]})
    return curves, capacity


def test_neighbours_share_product_mode_flow_and_far_port() -> None:
    curves, _ = _two_ports()
    src, dst = neighbours(curves.strata)
    assert sorted(zip(src.tolist(), dst.tolist(), strict=True)) == [(0, 2), (2, 0)]


def test_displaced_value_of_a_linear_world() -> None:
    curves, _ = _two_ports()
    x = np.array([400.0, 0.0, 0.0, 400.0])
    # stratum 0: its toys find 40 % at home, 0 % at BEANR: the moved half is lost
    plain = curves.value(x)
    assert displaced_value(curves, x, 0.0) == pytest.approx(plain.sum())
    expected = 0.5 * plain.sum() + 0.5 * (0.0 * 50 + 0.0 * 30 + 0.0 * 20 + 0.4 * 25)
    assert displaced_value(curves, x, 0.5) == pytest.approx(expected)


def test_the_displacement_aware_plan_covers_the_neighbour_and_does_better_under_the_adversary() -> None:
    curves, capacity = _two_ports()
    naive, robust, table = compare_displacement(curves, capacity, 0.5, exploration=0.0)
    # the naive plan puts BEANR's controls on medicines; the aware one keeps some on the toys' escape route
    assert naive.strata.planned.iloc[2] == 0
    assert robust.strata.planned.iloc[2] > 0
    t = table.set_index("allocation")
    assert t.loc["displacement-aware plan", "expected_displaced"] > t.loc["naive plan", "expected_displaced"]
    assert t.loc["displacement-aware plan", "expected"] <= t.loc["naive plan", "expected"] + 1e-9
    assert robust.gap < 1e-6 and robust.bound == pytest.approx(robust.expected_displaced, rel=1e-9)


def test_the_adversary_objective_on_a_larger_instance_is_solved_to_its_bound() -> None:
    from iprisk.allocation.synthetic import synthetic_instance

    curves, capacity = synthetic_instance(6, 4, 3, seed=9)
    strata = curves.strata.copy()
    # every office receives the same four routes' far ports: make them neighbours
    strata["route"] = [
        r.replace("> NLRTM", "> " + o) for r, o in zip(strata.route, strata.office, strict=True)
    ]
    curves = curves_from_slopes(strata, curves.widths, curves.slopes)
    plan = plan_allocation(curves, capacity, exploration=0.0, displacement=0.3)
    naive = plan_allocation(curves, capacity, exploration=0.0)
    assert plan.expected_displaced >= displaced_value(curves, naive.strata.planned, 0.3) - 1e-6
    assert plan.gap < 0.01
