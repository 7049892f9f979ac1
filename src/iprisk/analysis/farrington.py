"""The Farrington flexible algorithm (Noufaily et al. 2013), the public-health standard for count series.

For each time point ``k`` of a count series with seasonal period ``freq`` (52 weekly, 12 monthly, 4
quarterly), the algorithm of R ``surveillance::farringtonFlexible``:

1. takes the reference data: windows of ``2w + 1`` periods around the same point ``1 .. b`` years back (with
   ``no_periods > 1``, every period since ``b`` years back, the periods between the windows split into
   ``no_periods - 1`` seasonal blocks), leaving out the last ``past_periods_not_included`` periods;
2. fits a quasi-Poisson GLM with a log link (intercept, a linear time trend, the seasonal blocks as a
   factor), computes the Anscombe residuals and refits with past outbreaks down-weighted (residual ``s`` above
   ``weights_threshold``: weight proportional to ``s^-2``);
3. keeps the trend only when it is significant (``p_threshold_trend``), at least three years are used and
   the prediction does not exceed every reference count; otherwise refits without it;
4. predicts the expectation ``mu0`` at ``k`` and its upper threshold: with ``threshold_method="delta"``
   (Farrington 1996) the ``1 - alpha`` quantile of a normal on the 2/3-power scale, with variance
   ``4/9 mu0^(1/3) (phi + se(mu0)^2 / mu0)``; with ``"nbPlugin"`` / ``"muan"`` (Noufaily) the quantile of a
   negative binomial with mean ``mu0`` (``muan``: the upper ``1 - alpha`` bound of ``mu0``) and variance
   ``phi mu0``;
5. raises an alarm when the count is above the threshold, is not zero, and the last ``limit54[1]`` periods
   (the current one included) hold at least ``limit54[0]`` cases.

:func:`farrington_flexible` runs it over one series; :func:`farrington_batch` evaluates one time point of many
series at once (same design, vectorised GLM fits), which is how the detector's baseline comparison runs it
on every segment of a world.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

#: Columns of :func:`farrington_flexible`.
FARRINGTON_COLUMNS: tuple[str, ...] = (
    "observed",
    "expected",
    "upperbound",
    "score",
    "p_value",
    "alarm",
    "trend",
    "phi",
)

_THRESHOLD_METHODS = ("delta", "nbPlugin", "muan")

#: IRLS stops when the relative change of the deviance is below this (R ``glm.control`` defaults).
_EPSILON = 1e-8
_MAX_ITER = 25


@dataclass(frozen=True)
class FarringtonControl:
    """The parameters of ``farringtonFlexible`` (R names in brackets)."""

    b: int = 3  # years back [b]
    w: int = 3  # half window [w]
    reweight: bool = True  # [reweight]
    weights_threshold: float = 2.58  # [weightsThreshold]
    alpha: float = 0.01  # one-sided [alpha]
    trend: bool = True  # [trend]
    p_threshold_trend: float = 0.05  # [pThresholdTrend]
    limit54: tuple[int, int] = (5, 4)  # cases, periods [limit54]
    power: str = "2/3"  # [powertrans]: "2/3", "1/2" or "none"
    no_periods: int = 1  # [noPeriods]
    past_periods_not_included: int | None = None  # [pastWeeksNotIncluded]; None means w
    threshold_method: str = "delta"  # [thresholdMethod]

    def __post_init__(self) -> None:
        if self.b < 1 or self.w < 0 or self.no_periods < 1:
            raise ValueError(f"b >= 1, w >= 0 and no_periods >= 1 are required (b={self.b}, w={self.w})")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), not {self.alpha}")
        if self.threshold_method not in _THRESHOLD_METHODS:
            raise ValueError(
                f"threshold_method must be one of {_THRESHOLD_METHODS}, not {self.threshold_method!r}"
            )
        if self.power not in _EXPONENT:
            raise ValueError(f"power must be one of {tuple(_EXPONENT)}, not {self.power!r}")
        if self.limit54[0] < 0 or self.limit54[1] <= 0:
            raise ValueError(f"limit54 needs cases >= 0 and periods > 0, not {self.limit54}")

    @property
    def excluded(self) -> int:
        return self.w if self.past_periods_not_included is None else self.past_periods_not_included


_EXPONENT = {"none": 1.0, "1/2": 0.5, "2/3": 2.0 / 3.0}


def farrington_flexible(
    counts: Sequence[float] | pd.Series,
    freq: int,
    *,
    dates: Sequence[pd.Timestamp] | pd.DatetimeIndex | None = None,
    start: int | None = None,
    control: FarringtonControl | None = None,
    **options: object,
) -> pd.DataFrame:
    """Farrington flexible over one count series: one row per evaluated time point.

    Parameters
    ----------
    counts : sequence of counts, or a Series (a DatetimeIndex gives the dates)
        The series, oldest first, one value per period (NaN: missing, left out of the fits).
    freq : int
        Periods per year: 52 (weeks), 12 (months) or 4 (quarters).
    dates : optional
        The period dates. With dates and ``freq=52``, the reference points ``1 .. b`` years back are the same
        weekday closest to the calendar date (as R does for an ``sts`` with ``epochAsDate``); otherwise they
        are ``k - i freq``.
    start : int, optional
        First time point (0-based) evaluated; default the first one with ``b`` years and ``w`` periods of
        history (``freq b + w``).
    control : FarringtonControl, optional
        Parameters; keyword ``options`` override single fields (``b=3, alpha=0.01, ...``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FARRINGTON_COLUMNS`, indexed like the evaluated points (dates when given): the
        expectation, the upper threshold, the score ``(y - mu0) / (U - mu0)``, the p-value of the count under
        the predictive distribution, ``alarm``, ``trend`` (whether the trend was kept) and ``phi``. Expected,
        threshold and score are NaN when fewer than ``limit54`` cases were seen (no alarm is possible).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> y = rng.poisson(20, 16).astype(float)
    >>> y[-1] = 60
    >>> out = farrington_flexible(y, 4, b=2, w=0, no_periods=4)
    >>> out["alarm"].tolist()
    [False, False, False, False, False, False, False, True]
    """
    ctrl = _control(control, options)
    series = pd.Series(counts, dtype=float) if not isinstance(counts, pd.Series) else counts.astype(float)
    y = series.to_numpy(dtype=float)
    if dates is None and isinstance(series.index, pd.DatetimeIndex):
        dates = series.index
    when = pd.DatetimeIndex(list(dates)) if dates is not None else None
    if when is not None and len(when) != len(y):
        raise ValueError(f"{len(when)} dates for {len(y)} counts")
    first = freq * ctrl.b + ctrl.w if start is None else start
    rows = []
    index = []
    for k in range(first, len(y)):
        ref = reference_points(k, freq, ctrl.b, when)
        res = farrington_batch(y[None, :], k, ref, ctrl)
        rows.append([float(y[k]), *(float(getattr(res, c)[0]) for c in FARRINGTON_COLUMNS[1:])])
        index.append(when[k] if when is not None else k)
    out = pd.DataFrame(rows, columns=list(FARRINGTON_COLUMNS), index=index)
    out["alarm"] = out["alarm"].astype(bool)
    out["trend"] = out["trend"].astype(bool)
    return out


def _control(control: FarringtonControl | None, options: dict[str, object]) -> FarringtonControl:
    import dataclasses

    base = control or FarringtonControl()
    return dataclasses.replace(base, **options) if options else base  # type: ignore[arg-type]


def reference_points(k: int, freq: int, b: int, dates: pd.DatetimeIndex | None = None) -> list[int]:
    """Positions of the same point ``1 .. b`` years before ``k`` (most recent first).

    Weekly series with dates follow R: the calendar date ``i`` years back, then the closest period of the
    same weekday (so a span with a 29 February can be 157 weeks for three years).
    """
    if dates is None or freq != 52:
        out = [k - i * freq for i in range(1, b + 1)]
    else:
        t0 = dates[k]
        pos = {d: i for i, d in enumerate(dates)}
        out = []
        for i in range(1, b + 1):
            ref = t0 - pd.DateOffset(years=i)
            a = ref - pd.Timedelta(days=(ref.dayofweek - t0.dayofweek))
            other = a + pd.Timedelta(days=-7 if a > ref else 7)
            best = a if abs((a - ref).days) <= abs((other - ref).days) else other
            if best not in pos:
                raise ValueError(f"reference point {best.date()} of {t0.date()} is not in the series")
            out.append(pos[best])
    if min(out) < 0:
        raise ValueError(f"time point {k} has less than {b} years of history; decrease b or start later")
    return out


def _blocks(k: int, refs: list[int], w: int, no_periods: int, n: int) -> np.ndarray:
    """Seasonal block of every period (NaN: not reference data), as R's ``blocks``."""
    block = np.full(n, np.nan)
    block[max(k - w, 0) : k + 1] = no_periods
    marks = [k, *refs]
    for i, ref in enumerate(refs):
        lo, hi = ref - w, ref + w
        if lo < 0:
            raise ValueError(f"the window around {ref} starts before the series")
        block[lo : hi + 1] = no_periods
        if no_periods > 1:
            period = marks[i] - 2 * w - 1 - ref
            if period < no_periods - (2 * w + 1):
                raise ValueError("no_periods is too large for this window")
            lengths = np.full(no_periods - 1, period // (no_periods - 1))
            lengths[: period % (no_periods - 1)] += 1
            edges = np.concatenate([[0], np.cumsum(lengths)])
            for j in range(no_periods - 1):
                block[hi + 1 + edges[j] : hi + 1 + edges[j + 1]] = j + 1
    return block


@dataclass(frozen=True)
class FarringtonResult:
    """One evaluated time point for every series of :func:`farrington_batch` (arrays of length S)."""

    expected: np.ndarray
    upperbound: np.ndarray
    score: np.ndarray
    p_value: np.ndarray
    alarm: np.ndarray
    trend: np.ndarray
    phi: np.ndarray


def farrington_batch(
    counts: np.ndarray,
    k: int,
    refs: list[int],
    control: FarringtonControl | None = None,
    *,
    wtime: np.ndarray | None = None,
) -> FarringtonResult:
    """Evaluate time point ``k`` of every series (rows of ``counts``, series x periods) at once.

    ``refs`` are the reference points (:func:`reference_points`); ``wtime`` the time value of each period
    (default its position; weekly series with dates use weeks since the first reference period, which only
    shifts the intercept).
    """
    ctrl = control or FarringtonControl()
    y_all = np.asarray(counts, dtype=float)
    n_series, n = y_all.shape
    block = _blocks(k, refs, ctrl.w, ctrl.no_periods, n)
    block[max(k - ctrl.excluded, 0) : k + 1] = np.nan
    idx = np.flatnonzero(~np.isnan(block))
    time = np.arange(n, dtype=float) if wtime is None else np.asarray(wtime, dtype=float)
    y = y_all[:, idx]
    observed = y_all[:, k]
    # Missing reference counts drop out of that series' fit (weight 0, not counted in the degrees of freedom).
    present = ~np.isnan(y)
    y = np.where(present, y, 0.0)
    design, now = _design(time[idx], block[idx], time[k], ctrl.no_periods)
    flat_columns = np.array([0, *range(2, design.shape[1])])
    final = _fit(y, present, design, flat_columns, ctrl)
    keep = np.zeros(n_series, dtype=bool)
    if ctrl.trend:
        # The trend stays where it is significant, at least three years are used and the prediction does not
        # exceed every reference count (R fits without it only where needed; fitting both is the same).
        with_trend = _fit(y, present, design, np.arange(design.shape[1]), ctrl)
        p_trend = 2.0 * stats.t.sf(
            np.abs(with_trend.beta[:, 1] / with_trend.se(1)), np.maximum(with_trend.df, 1)
        )
        keep = (
            (ctrl.b >= 3)
            & (p_trend < ctrl.p_threshold_trend)
            & (with_trend.predict(now)[0] <= np.where(present, y, -np.inf).max(axis=1))
        )
        final = with_trend.where(keep, final)
    mu0, se_fit = final.predict(now)
    phi = np.maximum(final.dispersion, 1.0)
    upper, p_value = _threshold(mu0, se_fit, phi, observed, ctrl)
    lo = max(k - ctrl.limit54[1] + 1, 0)
    enough = np.nansum(y_all[:, lo : k + 1], axis=1) >= ctrl.limit54[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(np.isfinite(upper), (observed - mu0) / (upper - mu0), np.nan)
    score = np.where(enough, score, np.nan)
    alarm = enough & (score > 1) & (observed != 0)
    return FarringtonResult(
        expected=np.where(enough & np.isfinite(upper), mu0, np.nan),
        upperbound=np.where(enough, upper, np.nan),
        score=score,
        p_value=p_value,
        alarm=alarm,
        trend=keep,
        phi=phi,
    )


def _design(
    time: np.ndarray, block: np.ndarray, t_now: float, no_periods: int
) -> tuple[np.ndarray, np.ndarray]:
    """Design matrix (intercept, time, block dummies against the lowest block present) and the row of ``k``
    (which sits in block ``no_periods``, the window's)."""
    cols = [np.ones_like(time), time]
    now = [1.0, t_now]
    if no_periods > 1:
        levels = np.unique(block)
        if no_periods not in levels:
            raise ValueError("no reference period falls in the window's block")
        for level in levels[1:]:
            cols.append((block == level).astype(float))
            now.append(float(level == no_periods))
    return np.column_stack(cols), np.asarray(now)


@dataclass(frozen=True)
class _Fit:
    """Quasi-Poisson GLM fits of many series on one design."""

    beta: np.ndarray  # series x p
    cov_unscaled: np.ndarray  # series x p x p: (X' W X)^-1
    dispersion: np.ndarray  # Pearson chi2 / df: phi = max(dispersion, 1)
    df: np.ndarray
    columns: np.ndarray  # which design columns beta refers to (p of them)
    scale: np.ndarray  # the dispersion R's summary() and predict() use for standard errors (see _fit)

    def se(self, j: int) -> np.ndarray:
        return np.sqrt(self.scale * self.cov_unscaled[:, j, j])

    def predict(self, now: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Expectation at ``now`` (a full design row) and its standard error (delta method)."""
        x = now[self.columns]
        eta = self.beta @ x
        var_eta = np.einsum("i,sij,j->s", x, self.cov_unscaled, x) * self.scale
        mu = np.exp(eta)
        return mu, mu * np.sqrt(np.maximum(var_eta, 0.0))

    def where(self, keep: np.ndarray, other: _Fit) -> _Fit:
        """This fit where ``keep``, ``other`` (on a subset of its columns) elsewhere: ``other`` is padded
        with zero coefficients so that both share this fit's layout."""
        rest = np.searchsorted(self.columns, other.columns)
        beta = np.zeros_like(self.beta)
        beta[:, rest] = other.beta
        cov = np.zeros_like(self.cov_unscaled)
        cov[np.ix_(np.arange(len(keep)), rest, rest)] = other.cov_unscaled
        return _Fit(
            beta=np.where(keep[:, None], self.beta, beta),
            cov_unscaled=np.where(keep[:, None, None], self.cov_unscaled, cov),
            dispersion=np.where(keep, self.dispersion, other.dispersion),
            df=np.where(keep, self.df, other.df),
            columns=self.columns,
            scale=np.where(keep, self.scale, other.scale),
        )


def _fit(
    y: np.ndarray, present: np.ndarray, design: np.ndarray, columns: np.ndarray, ctrl: FarringtonControl
) -> _Fit:
    """The fit of ``algo.farrington.fitGLM.flexible`` on the design's ``columns``: quasi-Poisson, then
    (``reweight``) Anscombe residuals, weights against past outbreaks, and a refit."""
    x = design[:, columns]
    prior = present.astype(float)
    beta, mu, cov = _irls(y, x, prior)
    disp, df = _pearson(y, mu, prior, x.shape[1])
    if ctrl.reweight:
        phi = np.maximum(disp, 1.0)
        # hat values of the weighted fit: W_i x_i' (X'WX)^-1 x_i, series x observations
        hat = np.einsum("oi,sij,oj->so", x, cov, x) * (prior * mu)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = 1.5 * (y ** (2 / 3) * mu ** (-1 / 6) - mu**0.5) / np.sqrt(phi[:, None] * (1 - hat))
        s = np.where(present, np.nan_to_num(s, nan=0.0), 0.0)
        big = s > ctrl.weights_threshold
        with np.errstate(divide="ignore"):
            inv = np.where(big, s ** (-2.0), 1.0)
        gamma = present.sum(axis=1) / np.where(present, inv, 0.0).sum(axis=1)
        prior = np.where(present, gamma[:, None] * inv, 0.0)
        beta, mu, cov = _irls(y, x, prior)
        disp, df = _pearson(y, mu, prior, x.shape[1])
        # R then stores the reweighting weights in the model's working weights (``model$weights <- omega``),
        # so the dispersion its summary() and predict() compute for the trend test and se(mu0) becomes
        # sum(omega ((y - mu) / mu)^2) / df: the Pearson statistic with each term divided by mu. Kept, so
        # that the alarms are R's (without it, one alarm of the reference series differs).
        scale = np.where(df > 0, (prior * ((y - mu) / mu) ** 2).sum(axis=1) / np.maximum(df, 1), np.nan)
        return _Fit(beta, cov, disp, df, columns, scale)
    return _Fit(beta, cov, disp, df, columns, disp)


def _irls(y: np.ndarray, x: np.ndarray, prior: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poisson log-link GLM by iteratively reweighted least squares, every series at once (R's start:
    ``mu = y + 0.1``; stop on a relative deviance change below 1e-8, or after 25 iterations)."""
    mu = y + 0.1
    eta = np.log(mu)
    dev_old = _deviance(y, mu, prior)
    active = np.ones(y.shape[0], dtype=bool)
    beta = np.zeros((y.shape[0], x.shape[1]))
    cov = np.zeros((y.shape[0], x.shape[1], x.shape[1]))
    for _ in range(_MAX_ITER):
        z = eta + (y - mu) / mu
        wt = prior * mu
        xtwx = np.einsum("ni,sn,nj->sij", x, wt, x)
        xtwz = np.einsum("ni,sn->si", x, wt * z)
        new_beta = np.linalg.solve(xtwx, xtwz[:, :, None])[:, :, 0]
        beta = np.where(active[:, None], new_beta, beta)
        eta = beta @ x.T
        mu = np.exp(eta)
        dev = _deviance(y, mu, prior)
        active &= np.abs(dev - dev_old) / (np.abs(dev) + 0.1) >= _EPSILON
        dev_old = dev
        if not active.any():
            break
    wt = prior * mu
    cov = np.linalg.inv(np.einsum("ni,sn,nj->sij", x, wt, x))
    return beta, mu, cov


def _deviance(y: np.ndarray, mu: np.ndarray, prior: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)
    return 2.0 * (prior * term).sum(axis=1)


def _pearson(y: np.ndarray, mu: np.ndarray, prior: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """R's quasi-Poisson dispersion: the Pearson statistic over the residual degrees of freedom."""
    df = (prior > 0).sum(axis=1) - p
    chi2 = (prior * (y - mu) ** 2 / mu).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(df > 0, chi2 / np.maximum(df, 1), np.nan), df


def _threshold(
    mu0: np.ndarray, se_fit: np.ndarray, phi: np.ndarray, y: np.ndarray, ctrl: FarringtonControl
) -> tuple[np.ndarray, np.ndarray]:
    """Upper threshold and p-value (``P(Y >= y)``) of R's threshold functions."""
    z = stats.norm.ppf(1 - ctrl.alpha)
    if ctrl.threshold_method == "delta":
        e = _EXPONENT[ctrl.power]
        tau = phi + se_fit**2 / mu0
        sd = {1.0: np.sqrt(mu0 * tau), 0.5: np.sqrt(tau / 4), 2 / 3: np.sqrt(4 / 9 * mu0 ** (1 / 3) * tau)}[e]
        upper = (mu0**e + z * sd) ** (1 / e)
        return upper, stats.norm.sf(y**e, loc=mu0**e, scale=sd)
    eta, se_eta = np.log(mu0), se_fit / mu0
    quantile = np.exp(eta) if ctrl.threshold_method == "nbPlugin" else np.exp(eta + z * se_eta)
    nb = phi > 1
    size = quantile / np.where(nb, phi - 1, 1.0)
    upper = np.where(
        nb,
        stats.nbinom.ppf(1 - ctrl.alpha, size, 1 / phi),
        stats.poisson.ppf(1 - ctrl.alpha, quantile),
    )
    p = np.where(nb, stats.nbinom.sf(y - 1, size, 1 / phi), stats.poisson.sf(y - 1, quantile))
    return upper.astype(float), p
