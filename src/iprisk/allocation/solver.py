"""The allocation linear program, solved with HiGHS (``highspy``).

Variables: for each stratum, one column per linear piece of its yield curve between the stratum's lower and
upper bound (``x_s = L_s + sum_k y_sk``, ``0 <= y_sk <= width``), plus optional extra columns (the
adversary's worst-case detection rates). Because every curve is concave, the pieces fill in order by
themselves: maximising the slopes times the pieces is the same as maximising the curves, without binaries.

Rows are linear in the controls ``x`` (office capacity, budgets) and the extra columns. The solver returns
the continuous optimum, the row duals (shadow prices) and an upper bound that stays valid when the time
limit stops HiGHS early: the Lagrangian bound of the current duals, which equals the optimum at optimality.

HiGHS' presolve is switched off: on these models (hundreds of thousands of boxed columns, a few hundred
rows) it ran for more than 30 s before the first simplex iteration, while the dual simplex alone needs 2 s.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from iprisk.allocation.curves import YieldCurves

INF = highspy.kHighsInf
_banner_shown = False


def new_highs() -> highspy.Highs:
    """A silent HiGHS instance.

    highspy's constructor prints HiGHS' banner on standard output (once per process) before any option can
    be set; it would land in the middle of a CLI table or a piped CSV, so the first construction writes
    standard output to the null device.
    """
    global _banner_shown
    if _banner_shown:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _banner_shown = True
    h.silent()
    return h


@dataclass(frozen=True)
class Rows:
    """Linear rows over the strata's controls, their curves' values and extra columns:
    ``lower <= A x + V y(x) + B z <= upper``. A row in the values ``y(x)`` is linear in the curves' pieces,
    so it stays a linear program (the pieces still fill in order when every row prefers more yield)."""

    names: tuple[str, ...]
    kinds: tuple[str, ...]
    x_matrix: sp.csr_matrix  # rows x strata
    lower: np.ndarray
    upper: np.ndarray
    z_matrix: sp.csr_matrix | None = None  # rows x extra columns
    value_matrix: sp.csr_matrix | None = None  # rows x strata, on the curves' values

    def __len__(self) -> int:
        return len(self.names)

    @staticmethod
    def empty(n_strata: int) -> Rows:
        return Rows((), (), sp.csr_matrix((0, n_strata)), np.zeros(0), np.zeros(0))

    def stack(self, other: Rows) -> Rows:
        def both(a: sp.csr_matrix | None, b: sp.csr_matrix | None, width: int) -> sp.csr_matrix | None:
            if a is None and b is None:
                return None
            parts = [
                m if m is not None else sp.csr_matrix((len(r), width)) for r, m in ((self, a), (other, b))
            ]
            return sp.vstack(parts).tocsr()

        nz = max((m.shape[1] for m in (self.z_matrix, other.z_matrix) if m is not None), default=0)
        return Rows(
            self.names + other.names,
            self.kinds + other.kinds,
            sp.vstack([self.x_matrix, other.x_matrix]).tocsr(),
            np.concatenate([self.lower, other.lower]),
            np.concatenate([self.upper, other.upper]),
            both(self.z_matrix, other.z_matrix, nz),
            both(self.value_matrix, other.value_matrix, self.x_matrix.shape[1]),
        )


@dataclass(frozen=True)
class Extra:
    """Extra columns beside the strata's pieces: objective coefficients and bounds."""

    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


@dataclass(frozen=True)
class LpSolution:
    x: np.ndarray  # controls per stratum (continuous)
    z: np.ndarray  # extra columns
    objective: float  # at x, z (constant part included)
    bound: float  # upper bound on the optimum (Lagrangian of the duals; the optimum when optimal)
    status: str  # "optimal", "time_limit", "infeasible", or HiGHS' own word
    row_duals: np.ndarray
    seconds: float
    iterations: int


def solve(
    curves: YieldCurves,
    lower: np.ndarray,
    upper: np.ndarray,
    rows: Rows,
    *,
    curve_weight: np.ndarray | None = None,
    extra: Extra | None = None,
    time_limit: float = 60.0,
    start: np.ndarray | None = None,
) -> LpSolution:
    """Maximise ``sum_s weight_s * curve_s(x_s) + extra.cost . z`` under the bounds and rows.

    ``start``: controls per stratum to start the simplex from (e.g. water-filling): its pieces give HiGHS
    a starting basis (full pieces at their upper bound, empty ones at zero, partial ones basic), which it
    completes; a good start saves most iterations.
    """
    t0 = time.perf_counter()
    n = len(curves)
    weight = np.ones(n) if curve_weight is None else np.asarray(curve_weight, dtype=float)
    seg_lo, seg_w, slopes, owner = curve_pieces(curves, lower, upper)
    cost_y = slopes * weight[owner]
    const = float(np.sum(weight * curves.value(lower)))
    nz = 0 if extra is None else len(extra.cost)
    # x = L + P y, where P maps pieces to strata; rows in y: A P, bounds shifted by A L
    a = rows.x_matrix.tocsr()
    shift = a @ lower if len(rows) else np.zeros(0)
    pieces_to_strata = sp.csr_matrix(
        (np.ones(len(owner)), (owner, np.arange(len(owner)))), shape=(n, len(owner))
    )
    a_y = a @ pieces_to_strata
    if rows.value_matrix is not None:
        v = rows.value_matrix.tocsr()
        shift = shift + v @ curves.value(lower)
        a_y = a_y + v @ sp.csr_matrix((slopes, (owner, np.arange(len(owner)))), shape=(n, len(owner)))
    a_y = a_y.tocsc()
    blocks = [a_y]
    if nz:
        blocks.append(
            (rows.z_matrix if rows.z_matrix is not None else sp.csr_matrix((len(rows), nz))).tocsc()
        )
    matrix = sp.hstack(blocks).tocsc() if len(rows) else sp.csc_matrix((0, len(owner) + nz))
    row_lo = np.where(np.isfinite(rows.lower), rows.lower - shift, -INF)
    row_hi = np.where(np.isfinite(rows.upper), rows.upper - shift, INF)
    cost = np.concatenate([cost_y, extra.cost if extra else np.zeros(0)])
    col_lo = np.concatenate([np.zeros(len(owner)), extra.lower if extra else np.zeros(0)])
    col_hi = np.concatenate([seg_w, extra.upper if extra else np.zeros(0)])
    col_lo = np.where(np.isfinite(col_lo), col_lo, -INF)
    col_hi = np.where(np.isfinite(col_hi), col_hi, INF)

    h = new_highs()
    h.setOptionValue("presolve", "off")
    h.setOptionValue("time_limit", float(max(time_limit, 0.0)))
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", 1)
    lp = highspy.HighsLp()
    lp.num_col_ = len(cost)
    lp.num_row_ = len(rows)
    lp.col_cost_ = cost
    lp.col_lower_ = col_lo
    lp.col_upper_ = col_hi
    lp.row_lower_ = row_lo
    lp.row_upper_ = row_hi
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    h.passModel(lp)
    if start is not None:
        h.setBasis(_start_basis(start, seg_lo, seg_w, owner, len(rows), nz))
    h.run()
    status = h.getModelStatus()
    sol = h.getSolution()
    info = h.getInfo()
    word = _STATUS.get(status, h.modelStatusToString(status))
    if word == "infeasible":
        return LpSolution(
            lower.copy(),
            np.zeros(nz),
            float("nan"),
            float("nan"),
            word,
            np.zeros(len(rows)),
            time.perf_counter() - t0,
            int(info.simplex_iteration_count),
        )
    values = np.asarray(sol.col_value) if len(cost) else np.zeros(0)
    duals = np.asarray(sol.row_dual) if len(rows) else np.zeros(0)
    y = np.clip(values[: len(owner)], 0.0, seg_w) if values.size else np.zeros(len(owner))
    x = lower + np.bincount(owner, y, minlength=n)
    z = values[len(owner) :] if nz else np.zeros(0)
    primal_ok = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    objective = const + float(cost_y @ y) + (float(extra.cost @ z) if extra else 0.0)
    if not primal_ok:
        x, z, objective = lower.copy(), np.zeros(nz), float("nan")
    bound = const + _lagrangian_bound(matrix, cost, col_lo, col_hi, row_lo, row_hi, duals)
    if np.isfinite(objective):  # at the optimum the two agree up to the solver's tolerance
        bound = max(bound, objective)
    return LpSolution(
        x, z, objective, bound, word, duals, time.perf_counter() - t0, int(info.simplex_iteration_count)
    )


_STATUS = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
    highspy.HighsModelStatus.kIterationLimit: "time_limit",
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kModelEmpty: "optimal",
}


def _start_basis(
    start: np.ndarray, seg_lo: np.ndarray, seg_w: np.ndarray, owner: np.ndarray, n_rows: int, n_extra: int
) -> highspy.HighsBasis:
    """An alien basis (HiGHS repairs its count) from a starting allocation."""
    fill = np.clip(start[owner] - seg_lo, 0.0, seg_w)
    kinds = (
        highspy.HighsBasisStatus.kLower,
        highspy.HighsBasisStatus.kUpper,
        highspy.HighsBasisStatus.kBasic,
    )
    which = np.where(fill <= 1e-9, 0, np.where(fill >= seg_w - 1e-9, 1, 2))
    basis = highspy.HighsBasis()
    basis.col_status = [*(kinds[i] for i in which.tolist()), *[kinds[0]] * n_extra]
    basis.row_status = [highspy.HighsBasisStatus.kBasic] * n_rows
    basis.alien = True
    return basis


def curve_pieces(
    curves: YieldCurves, lower: np.ndarray, upper: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The curves' pieces restricted to ``[lower, upper]``: start, width, slope and owning stratum of each
    piece of positive width."""
    b = curves.breaks
    lo = np.clip(b[:, :-1], lower[:, None], upper[:, None])
    hi = np.clip(b[:, 1:], lower[:, None], upper[:, None])
    w = hi - lo
    keep = w > 1e-12
    owner = np.broadcast_to(np.arange(len(curves))[:, None], w.shape)[keep]
    return lo[keep], w[keep], curves.slopes[keep], owner


def _lagrangian_bound(
    matrix: sp.csc_matrix,
    cost: np.ndarray,
    col_lo: np.ndarray,
    col_hi: np.ndarray,
    row_lo: np.ndarray,
    row_hi: np.ndarray,
    duals: np.ndarray,
) -> float:
    """``max_x c x  s.t. lo <= A x <= hi, l <= x <= u`` is at most
    ``sum_r (y_r+ hi_r - y_r- lo_r) + sum_j max_{l_j <= x_j <= u_j} (c_j - A_j' y) x_j`` for any duals ``y``
    (positive for an upper row bound); a dual pointing at an infinite bound is dropped."""
    y = np.asarray(duals, dtype=float).copy() if len(duals) else np.zeros(matrix.shape[0])
    y[(y > 0) & ~(row_hi < INF)] = 0.0
    y[(y < 0) & ~(row_lo > -INF)] = 0.0
    rows_part = float(np.sum(np.where(y > 0, y * np.where(row_hi < INF, row_hi, 0.0), 0.0)))
    rows_part += float(np.sum(np.where(y < 0, y * np.where(row_lo > -INF, row_lo, 0.0), 0.0)))
    reduced = cost - (matrix.T @ y if matrix.shape[0] else 0.0)
    best = np.where(reduced > 0, reduced * col_hi, reduced * col_lo)
    best = np.where((reduced == 0), 0.0, best)
    return rows_part + float(np.sum(best))


__all__ = ["INF", "Extra", "LpSolution", "Rows", "curve_pieces", "new_highs", "solve"]
