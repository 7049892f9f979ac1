"""An infeasible plan is explained by the constraints that conflict (HiGHS' IIS)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iprisk.allocation import Requirement, plan_allocation
from iprisk.allocation.synthetic import synthetic_instance
from iprisk.errors import Infeasible


def test_capacity_below_the_minimum_controls_names_the_office_and_its_bounds() -> None:
    curves, capacity = synthetic_instance(4, 3, 3, seed=1)
    office = capacity.office.iloc[2]
    traffic = curves.strata.groupby("office").traffic.sum()[office]
    # a minimum rate of 5 % cannot fit in a capacity of 2 % of the office's traffic
    capacity = capacity.assign(min_rate=np.where(capacity.office == office, 0.05, 0.0))
    capacity.loc[capacity.office == office, "capacity"] = 0.02 * traffic
    with pytest.raises(Infeasible) as exc:
        plan_allocation(curves, capacity, exploration=0.0)
    conflicts = exc.value.conflicts
    assert set(conflicts.constraint) == {"capacity", "lower bounds"}
    assert set(conflicts.office) == {office}  # the other offices are not part of the conflict
    lower = conflicts[conflicts.constraint == "lower bounds"].iloc[0]
    assert lower.min_rate == pytest.approx(0.05 * traffic) and lower.strata == 9
    assert lower.mandatory == 0 and lower.exploration == 0
    assert f"capacity of {office}" in str(exc.value)


def test_mandatory_controls_and_exploration_are_told_apart() -> None:
    curves, capacity = synthetic_instance(3, 2, 2, seed=2)
    office = capacity.office.iloc[0]
    strata = curves.strata[curves.strata.office == office]
    mandatory = strata[["office", "route", "product_category"]].assign(
        controls=strata.traffic.to_numpy() * 0.05
    )
    with pytest.raises(Infeasible) as exc:
        plan_allocation(curves, capacity, exploration=0.1, mandatory=mandatory)
    lower = exc.value.conflicts.set_index("constraint").loc["lower bounds"]
    assert lower.mandatory == pytest.approx(mandatory.controls.sum())
    assert lower.exploration == pytest.approx(0.1 * capacity.capacity.iloc[0])
    assert "mandatory" in str(exc.value) and "exploration" in str(exc.value)


def test_a_stratum_whose_minimum_is_above_its_maximum_is_named() -> None:
    curves, capacity = synthetic_instance(2, 2, 2, seed=3)
    s = curves.strata.iloc[[1]]
    mandatory = s[["office", "route", "product_category"]].assign(controls=s.traffic.to_numpy() * 0.5)
    with pytest.raises(Infeasible) as exc:
        plan_allocation(curves, capacity.assign(max_rate=0.2), exploration=0.0, mandatory=mandatory)
    conflicts = exc.value.conflicts
    assert set(conflicts.constraint) == {"stratum"}
    assert conflicts.route.tolist() == [s.route.iloc[0]] * 2
    assert set(conflicts.side) == {"lower", "upper"}


def test_a_requirement_beyond_the_offices_capacity_names_the_requirement_and_the_capacities() -> None:
    curves, capacity = synthetic_instance(3, 3, 2, seed=4)
    route = curves.strata.route.iloc[0]
    need = float(capacity.capacity.sum()) * 2
    req = Requirement("operation toys", pd.DataFrame({"route": [route]}), minimum=need)
    with pytest.raises(Infeasible) as exc:
        plan_allocation(curves, capacity, exploration=0.0, requirements=(req,))
    conflicts = exc.value.conflicts
    assert "requirement" in set(conflicts.constraint)
    # each office is held back either by its capacity or by the traffic of its strata on the route
    capped = set(conflicts[conflicts.constraint == "capacity"].office)
    full = set(conflicts[conflicts.constraint == "upper bounds"].office)
    assert capped | full == set(capacity.office) and capped
    assert (conflicts[conflicts.constraint == "upper bounds"].traffic > 0).all()
    assert conflicts.set_index("constraint").loc["requirement", "bound"] == pytest.approx(need)


def test_a_feasible_requirement_is_met() -> None:
    curves, capacity = synthetic_instance(3, 3, 2, seed=4)
    route = curves.strata.route.iloc[-1]
    mask = curves.strata.route == route
    need = float(curves.strata.traffic[mask].sum()) * 0.05
    req = Requirement("operation", pd.DataFrame({"route": [route]}), minimum=need)
    plan = plan_allocation(curves, capacity, exploration=0.0, requirements=(req,))
    assert plan.strata.planned[mask.to_numpy()].sum() >= need - 1e-6
