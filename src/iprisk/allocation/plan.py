"""The plan: controls per office and stratum for a quarter, maximising expected detections under capacity.

:func:`plan_allocation` solves the linear program (:mod:`iprisk.allocation.solver`) under each office's
capacity, its minimum and maximum control rates, mandatory controls, the exploration reserve and any human
overrides (:mod:`iprisk.allocation.constraints`), and reports:

- the expected yield against the status quo and against a proportional allocation (same capacity, the same
  rate on every stratum of an office), each gain with an interval from the curves' uncertainty;
- each office's shadow price: the detections one more control there would add;
- the gap between the plan and an upper bound on the best plan (the solver's dual bound), which stays valid
  when the time limit stops the solver early;
- what the overrides cost: the detections given up for each forced value, and for all together;
- when no plan exists, the conflicting constraints (:class:`~iprisk.errors.Infeasible`).

With ``displacement = phi`` the plan maximises the yield when fraudsters move ``phi`` of every flow to its
least-covered neighbour (:mod:`iprisk.allocation.adversary`); every allocation is then also valued under
that adversary (``*_displaced``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from iprisk.allocation.adversary import displaced_value, displacement_terms
from iprisk.allocation.baselines import greedy_allocation, proportional_allocation
from iprisk.allocation.capacity import capacity_table
from iprisk.allocation.conflicts import find_conflicts, raise_infeasible
from iprisk.allocation.constraints import (
    Bounds,
    Requirement,
    build_bounds,
    office_rows,
    requirement_rows,
)
from iprisk.allocation.curves import STRATUM, YieldCurves
from iprisk.allocation.rounding import round_controls
from iprisk.allocation.solver import Extra, LpSolution, Rows, solve
from iprisk.errors import Infeasible, InvalidValue

#: Columns of :attr:`Plan.strata` (and of ``plan.csv``).
PLAN_COLUMNS = (
    *STRATUM,
    "traffic",
    "status_quo",
    "proportional",
    "planned",
    "rate",
    "lower",
    "upper",
    "forced",
    "expected",
    "expected_status_quo",
    "expected_proportional",
    "marginal",
)

#: Individual override costs are computed for at most this many overrides (one solve each).
MAX_OVERRIDE_COSTS = 25


@dataclass(frozen=True)
class Plan:
    """A solved plan and everything to judge it by (every figure in the objective's units)."""

    objective: str
    strata: pd.DataFrame  # PLAN_COLUMNS, one row per stratum
    offices: pd.DataFrame  # office, capacity, mandatory, usable, traffic, planned, status_quo, expected,
    # expected_status_quo, shadow_price
    expected: float
    status_quo: float
    proportional: float
    gain_vs_status_quo: float
    gain_vs_status_quo_low: float
    gain_vs_status_quo_high: float
    gain_vs_proportional: float
    gain_vs_proportional_low: float
    gain_vs_proportional_high: float
    bound: float  # no plan under these constraints yields more (solver's bound)
    gap: float  # (bound - expected) / bound
    status: str  # optimal | time_limit
    seconds: float
    exploration: float
    overrides: pd.DataFrame = field(default_factory=pd.DataFrame)  # keys, controls, cost
    override_cost: float = 0.0
    quarter: str | None = None
    max_change: float | None = None  # no stratum above this factor times its status quo (None: no limit)
    displacement: float = 0.0  # share of every flow the adversary moves (0: none assumed)
    expected_displaced: float = float("nan")  # each allocation's yield under that adversary
    status_quo_displaced: float = float("nan")
    proportional_displaced: float = float("nan")

    def summary(self) -> dict[str, Any]:
        """The headline figures as plain data (for reports and the store)."""
        keys = (
            "objective",
            "quarter",
            "expected",
            "status_quo",
            "proportional",
            "gain_vs_status_quo",
            "gain_vs_status_quo_low",
            "gain_vs_status_quo_high",
            "gain_vs_proportional",
            "gain_vs_proportional_low",
            "gain_vs_proportional_high",
            "bound",
            "gap",
            "status",
            "seconds",
            "exploration",
            "override_cost",
        )
        out = {k: getattr(self, k) for k in keys}
        out["strata"] = len(self.strata)
        out["offices"] = len(self.offices)
        out["controls"] = float(self.strata["planned"].sum())
        return out


@dataclass(frozen=True)
class _Options:
    """Everything the plan is asked to respect, passed together to every solve (overrides cost one each)."""

    exploration: float
    mandatory: pd.DataFrame | None
    overrides: pd.DataFrame | None
    requirements: tuple[Requirement, ...]
    time_limit: float
    displacement: float
    max_change: float | None
    whole_controls: bool


@dataclass(frozen=True)
class _Solved:
    bounds: Bounds
    rows: Rows
    lp: LpSolution
    controls: np.ndarray

    def value(self, curves: YieldCurves, displacement: float) -> float:
        """What the plan maximised: the curves' yield, under the adversary when there is one."""
        if displacement:
            return displaced_value(curves, self.controls, displacement)
        return float(curves.value(self.controls).sum())


def plan_allocation(
    curves: YieldCurves,
    capacity: pd.DataFrame,
    *,
    exploration: float = 0.05,
    mandatory: pd.DataFrame | None = None,
    overrides: pd.DataFrame | None = None,
    requirements: tuple[Requirement, ...] = (),
    time_limit: float = 60.0,
    quarter: str | None = None,
    displacement: float = 0.0,
    max_change: float | None = None,
    whole_controls: bool = False,
) -> Plan:
    """Allocate each office's capacity over its strata to maximise expected detections.

    ``capacity``: one row per office (``office``, ``capacity``, optional ``min_rate``, ``max_rate``,
    ``mandatory``; see :mod:`iprisk.allocation.capacity`); strata of offices not in it are left out.
    ``mandatory`` / ``overrides``: tables with the stratum columns and ``controls`` (mandatory controls are
    a lower bound; an override forces the value). ``requirements``: extra rows (e.g. an operation's minimum
    on its routes). ``time_limit`` (seconds) stops the solver; the plan is then the best found, and
    ``gap`` says how far from the best possible it may be. ``displacement``: plan against an adversary
    moving that share of every flow to its least-covered neighbour (``gap`` is then on that objective).
    ``max_change``: no stratum gets more than this factor times its status-quo controls.

    The planned controls are expected counts: an office applies them as a control rate per stratum
    (``rate``), with its own priorities inside the stratum. ``whole_controls`` rounds them to whole numbers
    instead (the gap then includes what rounding cost).

    Raises :class:`~iprisk.errors.Infeasible` (with ``conflicts``) when the constraints cannot all hold.
    """
    if not 0 <= displacement < 1:
        raise InvalidValue(f"displacement must be a share in [0, 1), not {displacement}")
    options = _Options(
        exploration, mandatory, overrides, requirements, time_limit, displacement, max_change, whole_controls
    )
    cap = capacity_table(capacity)
    known = curves.strata["office"].astype(str).isin(set(cap["office"])).to_numpy()
    if not known.all():
        curves = curves.subset(known)
    solved = _solve(curves, cap, options)
    bounds, x = solved.bounds, solved.controls
    x0 = curves.strata["status_quo"].to_numpy(dtype=float)
    xp = proportional_allocation(curves, bounds)
    if whole_controls:
        xp = round_controls(curves, xp, bounds.lower, bounds.upper, solved.rows)
    v, v0, vp = curves.value(x), curves.value(x0), curves.value(xp)
    expected = float(v.sum())
    achieved = solved.value(curves, displacement)
    bound = max(solved.lp.bound, achieved) if np.isfinite(solved.lp.bound) else float("inf")
    gap = (bound - achieved) / bound if bound > 0 else 0.0
    override_table, override_cost = _override_costs(curves, cap, options, achieved)
    sq_low, sq_high = curves.interval(x, x0)
    pr_low, pr_high = curves.interval(x, xp)
    strata = curves.keys()
    traffic = curves.strata["traffic"].to_numpy(dtype=float)
    strata["traffic"] = traffic
    strata["status_quo"] = x0
    strata["proportional"] = xp
    strata["planned"] = x
    strata["rate"] = np.where(traffic > 0, x / np.maximum(traffic, 1e-300), 0.0)
    strata["lower"] = bounds.lower
    strata["upper"] = bounds.upper
    strata["forced"] = ~bounds.parts["override"].isna().to_numpy()
    strata["expected"] = v
    strata["expected_status_quo"] = v0
    strata["expected_proportional"] = vp
    strata["marginal"] = curves.marginal(x)

    def displaced(controls: np.ndarray) -> float:
        return displaced_value(curves, controls, displacement) if displacement else float("nan")

    return Plan(
        objective=curves.objective,
        strata=strata[list(PLAN_COLUMNS)],
        offices=_offices(bounds, solved, x, x0, v, v0),
        expected=expected,
        status_quo=float(v0.sum()),
        proportional=float(vp.sum()),
        gain_vs_status_quo=expected - float(v0.sum()),
        gain_vs_status_quo_low=sq_low,
        gain_vs_status_quo_high=sq_high,
        gain_vs_proportional=expected - float(vp.sum()),
        gain_vs_proportional_low=pr_low,
        gain_vs_proportional_high=pr_high,
        bound=bound,
        gap=float(max(gap, 0.0)),
        status=solved.lp.status,
        seconds=solved.lp.seconds,
        exploration=exploration,
        overrides=override_table,
        override_cost=override_cost,
        quarter=quarter,
        max_change=max_change,
        displacement=displacement,
        expected_displaced=displaced(x),
        status_quo_displaced=displaced(x0),
        proportional_displaced=displaced(xp),
    )


def _solve(curves: YieldCurves, cap: pd.DataFrame, o: _Options) -> _Solved:
    bounds = build_bounds(
        curves,
        cap,
        exploration=o.exploration,
        mandatory=o.mandatory,
        overrides=o.overrides,
        max_change=o.max_change,
    )
    rows = office_rows(bounds).stack(requirement_rows(curves, o.requirements))
    if np.any(bounds.lower > bounds.upper + 1e-7):
        raise_infeasible(find_conflicts(curves, bounds, rows))
    extra: Extra | None = None
    weight: np.ndarray | None = None
    all_rows = rows
    if o.displacement:
        adv_rows, extra, weight = displacement_terms(curves, o.displacement)
        all_rows = rows.stack(adv_rows)
    # water-filling is the optimum without other rows than the capacities, and a good start with them
    start = greedy_allocation(curves, bounds)
    lp = solve(
        curves,
        bounds.lower,
        bounds.upper,
        all_rows,
        curve_weight=weight,
        extra=extra,
        time_limit=o.time_limit,
        start=start,
    )
    if lp.status == "infeasible":
        raise_infeasible(find_conflicts(curves, bounds, rows))
    x = np.clip(lp.x, bounds.lower, np.maximum(bounds.upper, bounds.lower))
    if not np.isfinite(lp.objective):  # stopped before a feasible point: the water-filling start
        x = start
        if not _feasible(rows, x):
            raise Infeasible(
                f"the solver stopped at the time limit ({o.time_limit:g} s) before finding a plan that meets "
                "the requirements; allow more time"
            )
    if o.whole_controls:
        x = round_controls(curves, x, bounds.lower, bounds.upper, rows)
    return _Solved(bounds, rows, lp, x)


def _feasible(rows: Rows, x: np.ndarray, tol: float = 1e-6) -> bool:
    level = rows.x_matrix @ x
    return bool(np.all(level <= rows.upper + tol) and np.all(level >= rows.lower - tol))


def _offices(
    bounds: Bounds, solved: _Solved, x: np.ndarray, x0: np.ndarray, v: np.ndarray, v0: np.ndarray
) -> pd.DataFrame:
    out = bounds.offices.copy()
    n = len(out)
    of = bounds.office_of
    out["planned"] = np.bincount(of, x, minlength=n)
    out["status_quo"] = np.bincount(of, x0, minlength=n)
    out["expected"] = np.bincount(of, v, minlength=n)
    out["expected_status_quo"] = np.bincount(of, v0, minlength=n)
    capacity_rows = [i for i, k in enumerate(solved.rows.kinds) if k == "capacity"]
    duals = solved.lp.row_duals[capacity_rows] if len(solved.lp.row_duals) else np.zeros(n)
    out["shadow_price"] = np.maximum(duals, 0.0)
    return out


def _override_costs(
    curves: YieldCurves, cap: pd.DataFrame, o: _Options, achieved: float
) -> tuple[pd.DataFrame, float]:
    """Detections given up for the overrides: all together, and each alone (the plan with only it)."""
    if o.overrides is None or o.overrides.empty:
        return pd.DataFrame(columns=[*STRATUM, "controls", "cost"]), 0.0

    def best(forced: pd.DataFrame | None) -> float:
        return _solve(curves, cap, replace(o, overrides=forced)).value(curves, o.displacement)

    free = best(None)
    table = o.overrides[[*STRATUM, "controls"]].reset_index(drop=True).copy()
    costs = [free - best(table.iloc[[i]]) if i < MAX_OVERRIDE_COSTS else np.nan for i in range(len(table))]
    table["cost"] = np.maximum(np.array(costs, dtype=float), 0.0)
    return table, max(free - achieved, 0.0)


__all__ = ["MAX_OVERRIDE_COSTS", "PLAN_COLUMNS", "Plan", "plan_allocation"]
