"""Off-policy evaluation: the hit rate a new selection policy would have had, from logged controls only.

Labels exist only for declarations that were controlled, and the logging policy controlled them with known
propensities ``p`` (:func:`iprisk.selection.select` records them). Weighting each controlled declaration by
``1 / p`` makes the controlled sample stand for the whole population, so the hits the new policy would have
made are estimated without bias (Horvitz-Thompson)::

    hits  = sum over controlled i chosen by the new policy of  y_i / p_i
    n_new = sum over controlled i chosen by the new policy of  1 / p_i      (estimate of its size)

The hit rate is their ratio (self-normalised, Hajek: lower variance, tiny bias), with a delta-method
confidence interval that treats the controls as independent draws (Poisson sampling). Declarations the new
policy chooses but the logging policy could never control (``p = 0``) make the estimate impossible: they
are counted in ``unsupported`` and the function refuses unless ``allow_unsupported``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

ArrayLike = Sequence[float] | Sequence[bool] | np.ndarray


@dataclass(frozen=True, slots=True)
class IPWEstimate:
    """A new policy's estimated hit rate and number of hits, with confidence intervals."""

    hit_rate: float
    ci_low: float
    ci_high: float
    hits: float
    hits_ci_low: float
    hits_ci_high: float
    selected: int  # declarations the new policy selects
    labelled: int  # of which controlled by the logging policy (their labels are used)
    effective_sample_size: float
    unsupported: int  # selected by the new policy but with logging propensity 0
    confidence: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _array(x: ArrayLike, name: str, n: int | None, dtype: str) -> np.ndarray:
    arr = np.asarray(x, dtype=dtype)
    if arr.ndim != 1 or (n is not None and len(arr) != n):
        raise ValueError(f"{name} must be one value per declaration ({n}), got shape {arr.shape}")
    return arr


def ipw_hit_rate(
    new_selected: ArrayLike,
    controlled: ArrayLike,
    labels: ArrayLike,
    propensity: ArrayLike,
    *,
    confidence: float = 0.95,
    allow_unsupported: bool = False,
) -> IPWEstimate:
    """Estimate the hit rate of a new policy (``new_selected``) from the logging policy's controls.

    ``controlled``: the logging policy controlled it; ``labels``: the control found an infringement (read
    only where controlled; NaN elsewhere is fine); ``propensity``: the logging policy's probability of
    controlling it. All arrays are one value per declaration.
    """
    new = _array(new_selected, "new_selected", None, "bool")
    n = len(new)
    ctl = _array(controlled, "controlled", n, "bool")
    p = _array(propensity, "propensity", n, "float64")
    y = np.nan_to_num(_array(labels, "labels", n, "float64"), nan=0.0)
    if np.any(ctl & ~(p > 0)):
        raise ValueError(
            "a controlled declaration has propensity 0: the propensities are not the logging policy's"
        )
    if np.any((p < 0) | (p > 1)):
        raise ValueError("propensities must lie in [0, 1]")
    unsupported = int(np.count_nonzero(new & ~(p > 0)))
    if unsupported and not allow_unsupported:
        raise ValueError(
            f"{unsupported} declaration(s) chosen by the new policy could never be controlled by the logging "
            "policy (propensity 0): their outcome cannot be estimated; log with exploration > 0"
        )
    use = new & ctl
    w = np.zeros(n)
    w[use] = 1.0 / p[use]
    a = w * y  # weighted hits
    hits = float(a.sum())
    size = float(w.sum())
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    # Poisson-sampling variance of a Horvitz-Thompson total: sum over sampled of (1 - p) / p^2 * v^2
    q = np.zeros(n)
    q[use] = 1.0 - p[use]
    var_hits = float(np.sum(q * a**2))
    rate = hits / size if size > 0 else float("nan")
    if size > 0:
        resid = w * (y - rate)
        var_rate = float(np.sum(q * resid**2)) / size**2
        ess = size**2 / float(np.sum(w**2))
        # a sample of all zeros (or all ones) drawn at random does not prove a zero-width interval: floor the
        # variance at what one differing draw among the effective sample would add
        if np.any(use & (p < 1)):
            var_rate = max(var_rate, 0.25 / max(ess, 1.0) ** 2)
    else:
        ess, var_rate = 0.0, float("nan")
    half = z * np.sqrt(var_rate)
    hits_half = z * np.sqrt(var_hits)
    return IPWEstimate(
        hit_rate=rate,
        ci_low=float(max(0.0, rate - half)),
        ci_high=float(min(1.0, rate + half)),
        hits=hits,
        hits_ci_low=float(max(0.0, hits - hits_half)),
        hits_ci_high=float(hits + hits_half),
        selected=int(new.sum()),
        labelled=int(use.sum()),
        effective_sample_size=float(ess),
        unsupported=unsupported,
        confidence=confidence,
    )


def naive_hit_rate(new_selected: ArrayLike, controlled: ArrayLike, labels: ArrayLike) -> float:
    """The unweighted hit rate on controlled declarations the new policy selects (biased; for comparison)."""
    new = np.asarray(new_selected, dtype=bool)
    ctl = np.asarray(controlled, dtype=bool)
    y = np.nan_to_num(np.asarray(labels, dtype="float64"), nan=0.0)
    use = new & ctl
    return float(y[use].mean()) if use.any() else float("nan")
