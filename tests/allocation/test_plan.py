"""The plan: the known optimum of concave instances, determinism, time limit, shadow prices, overrides."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iprisk.allocation import (
    Requirement,
    build_bounds,
    capacity_table,
    curves_from_slopes,
    greedy_allocation,
    plan_allocation,
)
from iprisk.allocation.synthetic import synthetic_instance
from iprisk.errors import Infeasible


def _exponential_instance(n: int = 60, offices: int = 3, seed: int = 1) -> tuple:
    """Curves ``a_s (1 - exp(-x / c_s))`` (finely piecewise linear) and the water-filling optimum.

    At the optimum every stratum that gets controls has the same marginal yield ``lam``:
    ``x_s = c_s log(a_s / (c_s lam))`` where positive, ``lam`` set per office so that the capacity is spent.
    """
    rng = np.random.default_rng(seed)
    a = rng.uniform(50, 500, n)
    c = rng.uniform(2_000, 20_000, n)
    office = np.repeat([f"DE{x}" for x in ("HAM", "BRV", "FRA")][:offices], n // offices)
    grid = np.linspace(0.0, 1.0, 401) ** 2 * 8.0  # breakpoints in units of c, dense near 0
    breaks = c[:, None] * grid[None, :]
    values = a[:, None] * (1 - np.exp(-grid))[None, :]
    strata = pd.DataFrame(
        {
            "office": office,
            "route": [f"r{i}" for i in range(n)],
            "product_category": "toys",
            "traffic": breaks[:, -1],
            "status_quo": 0.0,
        }
    )
    widths, slopes = np.diff(breaks, axis=1), np.diff(values, axis=1) / np.diff(breaks, axis=1)
    curves = curves_from_slopes(strata, widths, slopes)
    capacity = pd.DataFrame(
        {"office": np.unique(office), "capacity": [60_000.0, 90_000.0, 40_000.0][:offices]}
    )
    optimum = 0.0
    for o, cap in zip(capacity.office, capacity.capacity, strict=True):
        m = office == o
        lo, hi = 1e-9, float((a[m] / c[m]).max())
        for _ in range(200):
            lam = np.sqrt(lo * hi)
            spent = np.clip(c[m] * np.log(a[m] / (c[m] * lam)), 0, None).sum()
            lo, hi = (lam, hi) if spent > cap else (lo, lam)
        x = np.clip(c[m] * np.log(a[m] / (c[m] * lam)), 0, None)
        optimum += float((a[m] * (1 - np.exp(-x / c[m]))).sum())
    return curves, capacity, optimum


def test_recovers_the_water_filling_optimum_of_concave_curves() -> None:
    curves, capacity, optimum = _exponential_instance()
    plan = plan_allocation(curves, capacity, exploration=0.0)
    assert plan.status == "optimal"
    assert abs(plan.expected - optimum) / optimum < 1e-3
    assert plan.bound >= plan.expected
    # every office spends its capacity (returns never reach zero on these curves)
    assert np.allclose(plan.offices.planned, capacity.capacity, atol=1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linear_program_equals_greedy_marginal_allocation(seed: int) -> None:
    curves, capacity = synthetic_instance(12, 6, 5, seed=seed)
    capacity = capacity.assign(min_rate=0.001, max_rate=0.4)
    plan = plan_allocation(curves, capacity, exploration=0.05)
    bounds = build_bounds(curves, capacity_table(capacity), exploration=0.05)
    greedy = float(curves.value(greedy_allocation(curves, bounds)).sum())
    assert plan.bound == pytest.approx(greedy, rel=1e-7)
    assert plan.expected <= greedy + 1e-9
    assert plan.gap < 0.01
    assert plan.gain_vs_status_quo > 0 and plan.gain_vs_proportional > 0
    assert plan.gain_vs_status_quo_low < plan.gain_vs_status_quo < plan.gain_vs_status_quo_high


def test_plan_respects_every_bound_and_capacity_in_whole_controls() -> None:
    curves, capacity = synthetic_instance(8, 5, 4, seed=3)
    capacity = capacity.assign(min_rate=0.002, max_rate=0.25, mandatory=5.0)
    plan = plan_allocation(curves, capacity, exploration=0.1, whole_controls=True)
    s = plan.strata
    assert (s.planned == np.round(s.planned)).all()
    # a fractional lower bound gives way by less than one control only where rounding it up cannot fit
    assert (s.planned >= np.floor(s.lower + 1e-6)).all() and (s.planned <= np.floor(s.upper + 1e-6)).all()
    assert (s.planned >= np.ceil(s.lower - 1e-6)).mean() > 0.95
    used = s.groupby("office").planned.sum()
    usable = capacity.set_index("office").eval("capacity - mandatory")
    assert (used <= usable.reindex(used.index) + 1e-9).all()
    # the exploration reserve reaches every stratum with traffic
    assert (s.planned[s.traffic > 200] > 0).all()
    # rounding costs little against the continuous optimum, and the gap says how much
    exact = plan_allocation(curves, capacity, exploration=0.1)
    assert exact.gap < 1e-7 and plan.gap >= (exact.expected - plan.expected) / exact.bound - 1e-12
    assert plan.expected > 0.99 * exact.expected


def test_a_continuous_plan_meets_its_bounds_exactly() -> None:
    curves, capacity = synthetic_instance(8, 5, 4, seed=3)
    capacity = capacity.assign(min_rate=0.002, max_rate=0.25)
    plan = plan_allocation(curves, capacity, exploration=0.1)
    s = plan.strata
    assert (s.planned >= s.lower - 1e-6).all() and (s.planned <= s.upper + 1e-6).all()
    assert (s.groupby("office").planned.sum() <= capacity.set_index("office").capacity + 1e-6).all()
    assert plan.status == "optimal" and plan.gap < 1e-7


def test_the_same_inputs_give_the_same_plan() -> None:
    curves, capacity = synthetic_instance(10, 4, 4, seed=5)
    a = plan_allocation(curves, capacity)
    b = plan_allocation(curves, capacity)
    pd.testing.assert_frame_equal(a.strata, b.strata)
    pd.testing.assert_frame_equal(a.offices, b.offices)
    assert a.expected == b.expected


def test_a_time_limit_returns_a_feasible_plan_with_a_valid_gap() -> None:
    curves, capacity = synthetic_instance(60, 10, 8, seed=7)
    # against displacement, water-filling (the solver's start) is feasible but not optimal
    full = plan_allocation(curves, capacity, exploration=0.05, displacement=0.3)
    cut = plan_allocation(curves, capacity, exploration=0.05, displacement=0.3, time_limit=0.0)
    assert full.status == "optimal" and cut.status == "time_limit"
    used = cut.strata.groupby("office").planned.sum()
    assert (used <= capacity.set_index("office").capacity.reindex(used.index) + 1e-6).all()
    # the bound is an upper bound of the best plan, so the reported gap is at least the true one
    assert cut.bound >= full.bound * (1 - 1e-9)
    assert cut.gap >= (full.bound - cut.expected_displaced) / full.bound - 1e-9
    assert 0 < cut.gap < 1 and full.gap < 1e-6
    assert cut.expected_displaced < full.expected_displaced


def test_a_time_limit_without_a_feasible_start_says_so() -> None:
    curves, capacity = synthetic_instance(20, 6, 4, seed=7)
    route = curves.strata.route.iloc[0]
    need = float(curves.strata.traffic[curves.strata.route == route].sum()) * 0.05
    req = (Requirement("route minimum", pd.DataFrame({"route": [route]}), minimum=need),)
    assert plan_allocation(curves, capacity, requirements=req).status == "optimal"
    with pytest.raises(Infeasible, match="time limit"):
        plan_allocation(curves, capacity, requirements=req, time_limit=0.0)


def test_shadow_price_is_the_value_of_one_more_control() -> None:
    curves, capacity = synthetic_instance(6, 6, 5, seed=11)
    base = plan_allocation(curves, capacity, exploration=0.0)
    office = base.offices.sort_values("shadow_price").office.iloc[-1]
    price = float(base.offices.set_index("office").shadow_price[office])
    more = capacity.assign(
        capacity=np.where(capacity.office == office, capacity.capacity + 10, capacity.capacity)
    )
    plus = plan_allocation(curves, more, exploration=0.0)
    assert price > 0
    assert (plus.bound - base.bound) / 10 == pytest.approx(price, rel=0.02)


def test_an_override_is_applied_and_its_cost_shown() -> None:
    curves, capacity = synthetic_instance(4, 5, 4, seed=2)
    free = plan_allocation(curves, capacity, exploration=0.0)
    top = free.strata.sort_values("expected").iloc[-1]
    forced = pd.DataFrame([{**top[["office", "route", "product_category"]].to_dict(), "controls": 0}])
    plan = plan_allocation(curves, capacity, exploration=0.0, overrides=forced)
    row = plan.strata.set_index(["office", "route", "product_category"]).loc[tuple(forced.iloc[0, :3])]
    assert row.planned == 0 and row.forced
    assert plan.override_cost == pytest.approx(free.expected - plan.expected, abs=1e-9)
    assert plan.override_cost > 0
    assert plan.overrides.cost.iloc[0] == pytest.approx(plan.override_cost, rel=1e-9)


def test_objective_units_scale_the_plan_not_the_controls() -> None:
    curves, capacity = synthetic_instance(5, 4, 4, seed=4)
    plan = plan_allocation(curves, capacity)
    assert set(plan.strata.columns) >= {"planned", "expected", "marginal", "rate"}
    summary = plan.summary()
    assert summary["controls"] == pytest.approx(plan.strata.planned.sum())
    assert summary["gap"] == plan.gap
