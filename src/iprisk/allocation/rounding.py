"""Whole controls from a continuous plan, keeping every bound and row.

The linear program's optimum has few fractional strata (at most about one per row), so rounding costs
little: each stratum is rounded down (within its bounds rounded inwards), then each capacity row gives its
remaining whole controls to its strata with the largest gain from one more control. Requirements (an
operation's minimum) are then repaired a control at a time. The plan's gap (against the solver's bound)
includes what rounding cost.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from iprisk.allocation.curves import YieldCurves
from iprisk.allocation.solver import Rows

_EPS = 1e-6


def integer_bounds(lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds rounded inwards; where no whole number lies between them, the upper one wins."""
    hi = np.floor(upper + _EPS)
    lo = np.minimum(np.ceil(lower - _EPS), hi)
    return lo, hi


def round_controls(
    curves: YieldCurves, x: np.ndarray, lower: np.ndarray, upper: np.ndarray, rows: Rows
) -> np.ndarray:
    """A whole number of controls per stratum close to ``x`` and at least as good as rounding down.

    A fractional lower bound is rounded up, unless that would push its capacity row over: then it is
    rounded down (the bound gives way by less than one control).
    """
    lo, hi = integer_bounds(lower, upper)
    floor_lo = np.minimum(np.floor(lower + _EPS), hi)
    xi = np.clip(np.floor(x + _EPS), lo, hi)
    a = rows.x_matrix.tocsr()
    capacity = np.array([k == "capacity" for k in rows.kinds], dtype=bool)
    if capacity.any():
        xi = _fill_capacity(curves, xi, lo, floor_lo, hi, a[capacity], rows.upper[capacity])
    for r in np.flatnonzero(np.array([k == "requirement" for k in rows.kinds], dtype=bool)):
        xi = _repair_row(curves, xi, floor_lo, hi, a, rows, int(r))
    return xi


def _fill_capacity(
    curves: YieldCurves,
    xi: np.ndarray,
    lo: np.ndarray,
    floor_lo: np.ndarray,
    hi: np.ndarray,
    a: sp.csr_matrix,
    upper: np.ndarray,
) -> np.ndarray:
    """Each capacity row's whole remaining controls go to its strata with the largest marginal gain; a row
    over its capacity (lower bounds rounded up) gives controls back where they cost least, first from
    strata above their lower bound, then from lower bounds rounded up.

    Every stratum belongs to at most one capacity row (its office), so the rows are settled independently.
    """
    room = np.floor(upper - a @ xi + _EPS)
    row_of = np.full(len(xi), -1)
    coo = a.tocoo()
    row_of[coo.col] = coo.row
    out = xi.copy()
    gain = curves.marginal(xi)
    add = _top_per_row(row_of, gain, np.maximum(room, 0), (xi < hi) & (row_of >= 0) & (gain > 0))
    out[add] += 1
    loss = curves.value(xi) - curves.value(np.maximum(xi - 1, 0))
    over = np.maximum(-room, 0)
    breaks_bound = xi <= lo
    penalty = np.where(breaks_bound, 2.0 * (float(loss.max(initial=0.0)) + 1.0), 0.0)
    eligible = (xi > floor_lo) & (row_of >= 0) & (over[np.maximum(row_of, 0)] > 0)
    drop = _top_per_row(row_of, -(loss + penalty), over, eligible)
    out[drop] -= 1
    return out


def _top_per_row(
    row_of: np.ndarray, score: np.ndarray, count: np.ndarray, eligible: np.ndarray
) -> np.ndarray:
    """Indices of the ``count[r]`` eligible entries of each row ``r`` with the highest score (ties: index)."""
    idx = np.flatnonzero(eligible)
    if not idx.size:
        return idx
    order = idx[np.lexsort((idx, -score[idx], row_of[idx]))]
    rows_sorted = row_of[order]
    starts = np.r_[0, np.flatnonzero(np.diff(rows_sorted)) + 1]
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    return np.asarray(order[rank < count[rows_sorted]])


def _repair_row(
    curves: YieldCurves, xi: np.ndarray, lo: np.ndarray, hi: np.ndarray, a: sp.csr_matrix, rows: Rows, r: int
) -> np.ndarray:
    """Bring row ``r`` back within its bounds one control at a time: below its minimum, a control goes to
    the member with the best gain, taken where needed from a non-member of the same full row where it costs
    least; above its maximum, the member that loses least gives one back."""
    coef = a.getrow(r).toarray().ravel()
    members = coef > 0
    out = xi.copy()
    for _ in range(int(members.sum()) * 4 + 16):
        level = float(coef @ out)
        if level < np.ceil(rows.lower[r] - _EPS) - _EPS:
            if not _add_one(curves, out, lo, hi, a, rows, members):
                break
        elif level > np.floor(rows.upper[r] + _EPS) + _EPS:
            ok = np.flatnonzero(members & (out > lo))
            if not ok.size:
                break
            loss = curves.value(out)[ok] - curves.value(np.maximum(out - 1, 0))[ok]
            out[ok[np.argmin(loss)]] -= 1
        else:
            break
    return out


def _add_one(
    curves: YieldCurves,
    out: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    a: sp.csr_matrix,
    rows: Rows,
    members: np.ndarray,
) -> bool:
    """One more control for the best member of a row; a full row it belongs to gives one back elsewhere."""
    gain = curves.marginal(out)
    loss = curves.value(out) - curves.value(np.maximum(out - 1, 0))
    slack = rows.upper - a @ out
    for j in np.flatnonzero(members & (out < hi))[np.argsort(-gain[members & (out < hi)], kind="stable")]:
        blocked = np.flatnonzero(a.getcol(j).toarray().ravel() > slack + _EPS)
        donor = None
        if blocked.size == 1:
            in_row = a.getrow(int(blocked[0])).toarray().ravel() > 0
            can = np.flatnonzero(in_row & ~members & (out > lo))
            if can.size:
                donor = int(can[np.argmin(loss[can])])
        if blocked.size == 0 or donor is not None:
            if donor is not None:
                out[donor] -= 1
            out[j] += 1
            return True
    return False


__all__ = ["integer_bounds", "round_controls"]
