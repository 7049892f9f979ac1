"""Allocation of controls to offices and strata, KA2 port selection, joint operations, the proven gain.

Sits above :mod:`iprisk.selection` in the flow: it reads the exchanged statistics, the trade table and the
logged controls, and returns plans (see ``docs/allocation.md``).
"""

from __future__ import annotations

from iprisk.allocation.baselines import greedy_allocation, proportional_allocation
from iprisk.allocation.capacity import CAPACITY, CAPACITY_RULES, capacity_table, read_capacity
from iprisk.allocation.conflicts import CONFLICT_COLUMNS, find_conflicts
from iprisk.allocation.constraints import Bounds, Requirement, build_bounds
from iprisk.allocation.curves import OBJECTIVES, STRATUM, YieldCurves, curves_from_slopes
from iprisk.allocation.plan import PLAN_COLUMNS, Plan, plan_allocation

__all__ = [
    "CAPACITY",
    "CAPACITY_RULES",
    "CONFLICT_COLUMNS",
    "OBJECTIVES",
    "PLAN_COLUMNS",
    "STRATUM",
    "Bounds",
    "Plan",
    "Requirement",
    "YieldCurves",
    "build_bounds",
    "capacity_table",
    "curves_from_slopes",
    "find_conflicts",
    "greedy_allocation",
    "plan_allocation",
    "proportional_allocation",
    "read_capacity",
]
