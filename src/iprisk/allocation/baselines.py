"""Allocations to compare a plan with: proportional to traffic, and greedy marginal (water-filling).

- *Proportional*: every stratum of an office is controlled at the same rate (its share of the office's
  traffic), within its bounds; what an office does without risk analysis.
- *Greedy marginal*: each office gives its next control to the stratum where it finds most, until the
  capacity is spent. With concave curves and only office capacities and stratum bounds, this is optimal
  (separable concave allocation): the exact optimum the linear program must reproduce.
"""

from __future__ import annotations

import numpy as np

from iprisk.allocation.constraints import Bounds
from iprisk.allocation.curves import YieldCurves
from iprisk.allocation.solver import curve_pieces


def greedy_allocation(curves: YieldCurves, bounds: Bounds) -> np.ndarray:
    """Water-filling per office: pieces by decreasing slope until the usable capacity is spent."""
    lower, upper = bounds.lower, bounds.upper
    _, width, slope, owner = curve_pieces(curves, lower, np.maximum(upper, lower))
    office = bounds.office_of[owner]
    spare = bounds.offices["usable"].to_numpy(dtype=float) - np.bincount(
        bounds.office_of, lower, minlength=len(bounds.offices)
    )
    order = np.lexsort((owner, -slope, office))  # ties by stratum order: deterministic
    w, o = width[order], office[order]
    cum = np.cumsum(w)
    starts = np.r_[0, np.flatnonzero(np.diff(o)) + 1]
    before = np.repeat(cum[starts] - w[starts], np.diff(np.r_[starts, len(o)]))
    used_before = cum - w - before  # width taken by earlier pieces of the same office
    take = np.clip(np.maximum(spare[o], 0.0) - used_before, 0.0, w)
    taken = np.empty_like(take)
    taken[order] = take
    return lower + np.bincount(owner, taken, minlength=len(curves))


def proportional_allocation(curves: YieldCurves, bounds: Bounds, *, iterations: int = 60) -> np.ndarray:
    """The same control rate for every stratum of an office (``x = clip(t_o N_s, L_s, U_s)``), with the
    rate ``t_o`` found by bisection so that the office spends its usable capacity (or all it can)."""
    traffic = bounds.parts["traffic"].to_numpy(dtype=float)
    lower, upper = bounds.lower, np.maximum(bounds.upper, bounds.lower)
    n_off = len(bounds.offices)
    target = np.minimum(
        bounds.offices["usable"].to_numpy(dtype=float), np.bincount(bounds.office_of, upper, minlength=n_off)
    )
    lo, hi = np.zeros(n_off), np.ones(n_off)
    for _ in range(iterations):
        mid = (lo + hi) / 2
        x = np.clip(mid[bounds.office_of] * traffic, lower, upper)
        spent = np.bincount(bounds.office_of, x, minlength=n_off)
        over = spent > target
        hi = np.where(over, mid, hi)
        lo = np.where(over, lo, mid)
    return np.clip(lo[bounds.office_of] * traffic, lower, upper)


__all__ = ["greedy_allocation", "proportional_allocation"]
