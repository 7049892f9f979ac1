"""The per-segment baseline of the signal detector: seasonal level with negative-binomial over-dispersion.

For a segment with counts ``y`` over the ``W`` quarters before the tested one:

- seasonal factors ``f[q]`` (quarter of year) come from the grand total over the same window (pooled, so
  that a segment with two observations per quarter of year does not invent its own seasonality);
- the level is ``sum(y) / sum(f)`` and the expectation for the tested quarter ``mu = level * f[q]``;
- the over-dispersion ``alpha`` of ``Var = mu + alpha mu^2`` is estimated per window by the method of
  moments on the in-sample residuals, pooled over all segments of the same size class (any combination);
- the predictive distribution is a negative binomial whose variance also carries the uncertainty of the
  level estimated from ``W`` quarters: ``alpha_eff = alpha (1 + 1/W) + 1/(W mu)``.

Everything is vectorised over the segments of a combination: no per-segment model fits.
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def seasonal_factors(total_window: np.ndarray, qoy_window: np.ndarray) -> np.ndarray:
    """Factors for quarters of year 1..4 (index 0..3) from the total's window; 1.0 where undefined."""
    mean = total_window.mean() if total_window.size else 0.0
    f = np.ones(4)
    if mean <= 0:
        return f
    for q in range(1, 5):
        sel = total_window[qoy_window == q]
        if sel.size:
            f[q - 1] = max(sel.mean() / mean, 1e-3)
    return f


#: Upper edges of the size classes (expected count per quarter) within which the dispersion is pooled.
SIZE_BINS = np.array([2.0, 5.0, 12.0, 30.0, 80.0, 200.0, 500.0])


def fit_levels(history: np.ndarray, f_window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Levels per segment and the in-sample expectations ``mu`` (segments x W)."""
    level = history.sum(axis=1) / f_window.sum()
    return level, level[:, None] * f_window[None, :]


#: Residuals beyond this many standard deviations are clipped when the dispersion is estimated.
CLIP_SD = 3.0


#: A pool needs this many segments with history, else it falls back to a wider one.
MIN_POOL = 20


def pooled_dispersion(
    level: np.ndarray, history: np.ndarray, mu_in: np.ndarray, groups: list[np.ndarray] | None = None
) -> np.ndarray:
    """Method-of-moments ``alpha`` per segment, pooled over segments of the same size class and group.

    An aggregate of many independent cells is relatively less dispersed than one cell, so one ``alpha`` for
    all would be too small for single cells and too large for aggregates. Segments are pooled by size class
    within the narrowest of ``groups`` (e.g. the combination of dimensions, then the depth) that has at least
    :data:`MIN_POOL` segments of that class, else across all. Residuals are clipped at :data:`CLIP_SD`
    standard deviations (three rounds), so that a surge in the history of a few segments does not inflate
    everyone's dispersion and hide the next one.
    """
    w = history.shape[1]
    cls = np.searchsorted(SIZE_BINS, level)
    out = np.full(level.shape, np.nan)
    live = level > 0
    for g in [*(groups or []), np.zeros(level.shape, dtype=np.int64)]:
        todo = np.isnan(out)
        if not todo.any():
            break
        pool = g.astype(np.int64) * (len(SIZE_BINS) + 1) + cls
        ids, sizes = np.unique(pool[todo & live], return_counts=True)
        final = not np.any(g)
        for j, pid in enumerate(ids):
            if sizes[j] < MIN_POOL and not final:
                continue
            sel = live & todo & (pool == pid)
            out[todo & (pool == pid)] = _moments(history[sel], mu_in[sel], w)
    pooled = np.nan_to_num(out, nan=0.0)
    if SHRINK_PRIOR is None:
        return pooled
    # Each segment's own moment estimate (residuals clipped as above), shrunk towards its pool.
    sd = np.sqrt(mu_in + pooled[:, None] * mu_in**2)
    r = np.clip(history - mu_in, -CLIP_SD * sd, CLIP_SD * sd)
    num = (r**2 * (w / (w - 1.0)) - mu_in).sum(axis=1)
    den = (mu_in**2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(den > 0, np.maximum(num / np.where(den > 0, den, 1.0), 0.0), 0.0)
    return np.maximum(pooled, (SHRINK_PRIOR * pooled + (w - 1) * own) / (SHRINK_PRIOR + w - 1))


#: Weight (in quarters) of the pooled dispersion against a segment's own estimate (``W - 1`` quarters).
SHRINK_PRIOR: float | None = 16.0


def _moments(y: np.ndarray, mu: np.ndarray, w: int) -> float:
    den = float((mu**2).sum())
    if den <= 0:
        return 0.0
    alpha = 0.0
    for _ in range(3):
        sd = np.sqrt(mu + alpha * mu**2)
        r = np.clip(y - mu, -CLIP_SD * sd, CLIP_SD * sd)
        alpha = max(float((r**2 * (w / (w - 1.0)) - mu).sum()) / den, 0.0)
    return alpha


def predictive_alpha(mu: np.ndarray, alpha: np.ndarray | float, w: int) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return alpha * (1.0 + 1.0 / w) + 1.0 / (w * np.maximum(mu, 1e-12))


def nb_upper(y: np.ndarray, mu: np.ndarray, a: np.ndarray | float) -> np.ndarray:
    """P(Y >= y) under NB(mean mu, Var = mu + a mu^2); Poisson where a is ~0."""
    y = np.asarray(y, dtype=float)
    mu = np.maximum(np.asarray(mu, dtype=float), 1e-12)
    a = np.broadcast_to(np.asarray(a, dtype=float), mu.shape)
    out = np.empty_like(mu)
    nb = a > 1e-8
    out[nb] = stats.nbinom.sf(y[nb] - 1, 1.0 / a[nb], 1.0 / (1.0 + a[nb] * mu[nb]))
    out[~nb] = stats.poisson.sf(y[~nb] - 1, mu[~nb])
    return np.clip(out, 0.0, 1.0)


def nb_lower(y: np.ndarray, mu: np.ndarray, a: np.ndarray | float) -> np.ndarray:
    """P(Y <= y) under NB(mean mu, Var = mu + a mu^2); Poisson where a is ~0."""
    y = np.asarray(y, dtype=float)
    mu = np.maximum(np.asarray(mu, dtype=float), 1e-12)
    a = np.broadcast_to(np.asarray(a, dtype=float), mu.shape)
    out = np.empty_like(mu)
    nb = a > 1e-8
    out[nb] = stats.nbinom.cdf(y[nb], 1.0 / a[nb], 1.0 / (1.0 + a[nb] * mu[nb]))
    out[~nb] = stats.poisson.cdf(y[~nb], mu[~nb])
    return np.clip(out, 0.0, 1.0)


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """BH-adjusted p-values (q-values): reject ``q <= level`` controls the FDR at ``level``."""
    p = np.asarray(p, dtype=float)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out
