"""Yield curves: expected detections of each stratum as a concave, piecewise-linear function of its controls.

A *stratum* is one office x route x product group (:data:`STRATUM`). Its curve is given by breakpoints
``0 = b_0 <= b_1 <= ... <= b_K`` (controls in a quarter; ``b_K`` is the most that can be controlled, the
traffic) and the expected detections ``v_0 = 0, v_1, ..., v_K`` at them, in the units of the objective
(cases, articles or retail value). Between breakpoints the curve is linear; its slopes never increase
(diminishing returns), which is what lets a linear program allocate controls without binary variables.

The uncertainty of the estimate is kept as a mean-one multiplier of the whole curve with a gamma
distribution of shape ``level_shape`` (``inf`` when the curve is known exactly), so that intervals on any
allocation's expected yield follow from it (:meth:`YieldCurves.interval`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

#: The key columns of a stratum, in every table of the allocation package.
STRATUM: tuple[str, ...] = ("office", "route", "product_category")

#: What a plan maximises: detections counted in cases, in articles, or in retail value (EUR).
OBJECTIVES: tuple[str, ...] = ("cases", "articles", "value")

_TOL = 1e-9


@dataclass(frozen=True)
class YieldCurves:
    """Concave piecewise-linear yield curves, one per stratum, with their uncertainty.

    ``strata`` has the :data:`STRATUM` columns (unique), ``traffic`` (consignments expected in the quarter)
    and ``status_quo`` (controls the current policy spends there), plus whatever the estimate adds (observed
    cases, shrinkage weights...). ``breaks`` and ``values`` are ``(n_strata, K + 1)`` arrays, first column 0.
    """

    strata: pd.DataFrame
    breaks: np.ndarray
    values: np.ndarray
    objective: str = "cases"
    level_shape: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        missing = [c for c in (*STRATUM, "traffic", "status_quo") if c not in self.strata]
        if missing:
            raise ValueError(f"strata lack column(s) {missing}")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, not {self.objective!r}")
        b = np.asarray(self.breaks, dtype=float)
        v = np.asarray(self.values, dtype=float)
        n = len(self.strata)
        if b.ndim != 2 or b.shape != v.shape or b.shape[0] != n or b.shape[1] < 2:
            raise ValueError(
                f"breaks and values must both be (n_strata={n}, K+1 >= 2), got {b.shape}, {v.shape}"
            )
        if not (np.isfinite(b).all() and np.isfinite(v).all()):
            raise ValueError("breaks and values must be finite")
        if np.any(np.abs(b[:, 0]) > _TOL) or np.any(np.abs(v[:, 0]) > _TOL):
            raise ValueError("every curve starts at (0 controls, 0 detections)")
        widths = np.diff(b, axis=1)
        if np.any(widths < -_TOL):
            raise ValueError("breakpoints must not decrease")
        if np.any(np.diff(v, axis=1) < -_TOL * np.maximum(1.0, np.abs(v[:, 1:]))):
            raise ValueError("a yield curve must not decrease: more controls never find less")
        slopes = _slopes(b, v)
        object.__setattr__(self, "_slopes", slopes)
        object.__setattr__(self, "_widths", widths)
        scale = np.maximum(np.abs(slopes).max(axis=1, keepdims=True), 1e-300)
        if np.any(np.diff(slopes, axis=1) > 1e-7 * scale):
            bad = int(np.flatnonzero((np.diff(slopes, axis=1) > 1e-7 * scale).any(axis=1))[0])
            raise ValueError(f"curve of stratum {self.key(bad)} is not concave (its slope rises)")
        if self.strata.duplicated(list(STRATUM)).any():
            raise ValueError("a stratum appears twice")
        shape = np.asarray(self.level_shape, dtype=float)
        if shape.size == 0:
            shape = np.full(n, np.inf)
        if shape.shape != (n,) or np.any(shape <= 0):
            raise ValueError("level_shape must be one positive value per stratum (inf = known exactly)")
        object.__setattr__(self, "breaks", b)
        object.__setattr__(self, "values", v)
        object.__setattr__(self, "level_shape", shape)
        object.__setattr__(self, "strata", self.strata.reset_index(drop=True))

    # -- shape -----------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.strata)

    @property
    def widths(self) -> np.ndarray:
        """``(n, K)`` control widths of the linear pieces."""
        return np.asarray(self._widths)  # type: ignore[attr-defined]

    @property
    def slopes(self) -> np.ndarray:
        """``(n, K)`` detections per control on each piece, non-increasing along a row."""
        return np.asarray(self._slopes)  # type: ignore[attr-defined]

    @property
    def capacity_max(self) -> np.ndarray:
        """The most controls a stratum can take (its last breakpoint)."""
        return self.breaks[:, -1]

    def key(self, i: int) -> tuple[str, ...]:
        row = self.strata.iloc[i]
        return tuple(str(row[c]) for c in STRATUM)

    def keys(self) -> pd.DataFrame:
        return self.strata[list(STRATUM)].copy()

    # -- evaluation ------------------------------------------------------------------------------------
    def value(self, controls: np.ndarray | pd.Series) -> np.ndarray:
        """Expected yield of each stratum at ``controls`` (clipped to the curve's range)."""
        x = np.asarray(controls, dtype=float)
        if x.shape != (len(self),):
            raise ValueError(f"one control count per stratum ({len(self)}), got shape {x.shape}")
        b = self.breaks
        inside = np.clip(x[:, None] - b[:, :-1], 0.0, self.widths)
        return np.asarray((inside * self.slopes).sum(axis=1))

    def marginal(self, controls: np.ndarray) -> np.ndarray:
        """Yield of one more control in each stratum at ``controls`` (0 where the curve ends)."""
        x = np.asarray(controls, dtype=float)
        top = np.minimum(x + 1.0, self.capacity_max)
        return self.value(top) - self.value(np.minimum(x, self.capacity_max))

    def interval(
        self, controls: np.ndarray, baseline: np.ndarray, confidence: float = 0.95
    ) -> tuple[float, float]:
        """Interval on ``sum(value(controls)) - sum(value(baseline))`` from the curves' level uncertainty.

        The strata's multipliers are independent, so the total's variance is the sum of
        ``difference^2 / level_shape``; a normal interval around the estimate (many strata add up).
        """
        d = self.value(controls) - self.value(baseline)
        var = float(np.sum(np.where(np.isfinite(self.level_shape), d**2 / self.level_shape, 0.0)))
        z = float(stats.norm.ppf(0.5 + confidence / 2))
        total = float(d.sum())
        return float(total - z * np.sqrt(var)), float(total + z * np.sqrt(var))

    def subset(self, mask: np.ndarray) -> YieldCurves:
        """The curves of the strata where ``mask`` is true."""
        m = np.asarray(mask, dtype=bool)
        return YieldCurves(
            self.strata[m].reset_index(drop=True),
            self.breaks[m],
            self.values[m],
            self.objective,
            self.level_shape[m],
        )


def _slopes(b: np.ndarray, v: np.ndarray) -> np.ndarray:
    w = np.diff(b, axis=1)
    dv = np.diff(v, axis=1)
    wide = w > _TOL
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(wide, dv / np.where(wide, w, 1.0), 0.0)
    # a zero-width piece has no slope of its own: give it its left neighbour's (the curve stays concave)
    last = np.maximum.accumulate(np.where(wide, np.arange(w.shape[1]), -1), axis=1)
    filled = np.take_along_axis(s, np.maximum(last, 0), axis=1)
    return np.asarray(np.where(last >= 0, filled, 0.0))


def curves_from_slopes(
    strata: pd.DataFrame,
    widths: np.ndarray,
    slopes: np.ndarray,
    *,
    objective: str = "cases",
    level_shape: np.ndarray | None = None,
) -> YieldCurves:
    """Curves built from piece widths (controls) and non-increasing slopes (detections per control)."""
    w = np.asarray(widths, dtype=float)
    s = np.asarray(slopes, dtype=float)
    zeros = np.zeros((w.shape[0], 1))
    breaks = np.hstack([zeros, np.cumsum(w, axis=1)])
    values = np.hstack([zeros, np.cumsum(w * s, axis=1)])
    shape = np.full(len(strata), np.inf) if level_shape is None else level_shape
    return YieldCurves(strata, breaks, values, objective, shape)


__all__ = ["OBJECTIVES", "STRATUM", "YieldCurves", "curves_from_slopes"]
