"""The displacement-aware plan against the naive one, both valued with and without the adversary."""

from __future__ import annotations

from typing import Any

import pandas as pd

from iprisk.allocation.adversary import displaced_value
from iprisk.allocation.curves import STRATUM, YieldCurves
from iprisk.allocation.plan import Plan, plan_allocation

#: Columns of :func:`compare_displacement`'s table.
COMPARISON_COLUMNS = ("allocation", "expected", "expected_displaced", "loss_to_displacement")


def compare_displacement(
    curves: YieldCurves, capacity: pd.DataFrame, share: float, **options: Any
) -> tuple[Plan, Plan, pd.DataFrame]:
    """The naive plan, the plan against an adversary moving ``share`` of every flow, and a table of the
    status quo, the proportional allocation and both plans: their yield when nobody moves
    (``expected``), when the adversary moves (``expected_displaced``) and what the move costs.

    ``options`` go to :func:`~iprisk.allocation.plan_allocation` for both plans.
    """
    robust = plan_allocation(curves, capacity, displacement=share, **options)
    naive = plan_allocation(curves, capacity, **options)
    rows = [
        ("status quo", robust.status_quo, robust.status_quo_displaced),
        ("proportional", robust.proportional, robust.proportional_displaced),
        (
            "naive plan",
            naive.expected,
            displaced_value(_curves_of(curves, naive), naive.strata.planned, share),
        ),
        ("displacement-aware plan", robust.expected, robust.expected_displaced),
    ]
    table = pd.DataFrame(rows, columns=["allocation", "expected", "expected_displaced"])
    table["loss_to_displacement"] = table["expected"] - table["expected_displaced"]
    return naive, robust, table[list(COMPARISON_COLUMNS)]


def _curves_of(curves: YieldCurves, plan: Plan) -> YieldCurves:
    """The curves of the plan's strata (the plan leaves out offices without capacity), in its order."""
    kept = curves.keys().merge(plan.strata[list(STRATUM)].assign(_in=1), on=list(STRATUM), how="left")
    return curves.subset(kept["_in"].notna().to_numpy())


__all__ = ["COMPARISON_COLUMNS", "compare_displacement"]
