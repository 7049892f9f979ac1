"""Trends: a metric per quarter for any cut of the seizures, with changes, shares, seasonal adjustment."""

from __future__ import annotations

from collections.abc import Sequence

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from iprisk.analysis._common import (
    TREND_DIMENSIONS,
    aggregate,
    all_quarters,
    check_dimensions,
    check_metric,
    filter_quarters,
    quarter_of_year,
    with_lane,
)
from iprisk.periods import Quarter

#: Columns of the table :func:`trends` returns, after the dimension columns.
TREND_COLUMNS = (
    "metric",
    "value",
    "change_prev",
    "change_prev_pct",
    "change_yoy",
    "change_yoy_pct",
    "share",
    "share_change",
    "rolling_4q",
    "seasonally_adjusted",
)

#: Quarters of history needed before a seasonal adjustment is computed (two full years).
MIN_QUARTERS_SEASONAL = 8


def trends(
    seizures: ir.Table,
    by: Sequence[str] = ("product_category",),
    metric: str = "cases",
    *,
    start: str | Quarter | None = None,
    end: str | Quarter | None = None,
) -> pd.DataFrame:
    """A metric per quarter and segment, with its changes, its share of the total and a seasonal adjustment.

    Parameters
    ----------
    seizures : ibis.Table
        Seizure lines (canonical columns plus ``quarter``), e.g. ``Warehouse.seizures()``.
    by : sequence of str
        Dimensions to cut by, any of ``reporting_admin, office, flow, transport_mode, provenance_country,
        product_category, ipr_type, procedure, outcome, lane`` (``lane`` is ``departure_port ->
        arrival_port``). Empty: the total.
    metric : {"cases", "lines", "articles", "retail_value"}
        Cases are distinct ``(reporting_admin, case_id)``; lines are rows; articles and retail value are sums.
    start, end : str or Quarter, optional
        First and last quarter (inclusive).

    Returns
    -------
    pandas.DataFrame
        One row per quarter and segment (every quarter of the range, zero-filled): ``quarter``, the ``by``
        columns, ``metric``, ``value``, ``change_prev`` / ``change_prev_pct`` (on the previous quarter),
        ``change_yoy`` / ``change_yoy_pct`` (on the same quarter a year before), ``share`` of the quarter's
        total and ``share_change`` (percentage points on the previous quarter), ``rolling_4q`` (sum of the
        last four quarters, once four exist) and ``seasonally_adjusted`` (ratio to a centred moving
        average; NaN with fewer than eight quarters). Percentages are NaN where the base is zero.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"quarter": ["2020Q1", "2020Q1", "2020Q2"], "reporting_admin": ["DE", "DE", "NL"],
    ...     "case_id": ["a", "b", "c"], "product_category": ["toys", "shoes", "toys"], "articles": [5, 1, 2]})
    >>> df = trends(t, by=["product_category"], metric="articles")
    >>> cols = ["quarter", "product_category", "value", "share"]
    >>> df[cols].round(3).values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['2020Q1', 'shoes', 1.0, 0.167], ['2020Q1', 'toys', 5.0, 0.833],
     ['2020Q2', 'shoes', 0.0, 0.0], ['2020Q2', 'toys', 2.0, 1.0]]
    """
    return trends_for(seizures, by, [metric], start=start, end=end)


def trends_for(
    seizures: ir.Table,
    by: Sequence[str],
    metrics: Sequence[str],
    *,
    start: str | Quarter | None = None,
    end: str | Quarter | None = None,
) -> pd.DataFrame:
    """:func:`trends` for several metrics from one engine query (rows of each metric stacked)."""
    by = check_dimensions(list(by), TREND_DIMENSIONS)
    for m in metrics:
        check_metric(m)
    t = filter_quarters(seizures, start, end)
    if "lane" in by:
        t = with_lane(t)
    agg = aggregate(t, [*by, "quarter"], list(metrics))
    return pd.concat([_trend_table(agg, by, m, start, end) for m in metrics], ignore_index=True)


def _trend_table(
    agg: pd.DataFrame, by: list[str], metric: str, start: str | Quarter | None, end: str | Quarter | None
) -> pd.DataFrame:
    quarters = all_quarters(agg["quarter"])
    if start is not None or end is not None:
        lo = str(Quarter.parse(str(start))) if start is not None else (quarters[0] if quarters else None)
        hi = str(Quarter.parse(str(end))) if end is not None else (quarters[-1] if quarters else None)
        if lo is not None and hi is not None:
            quarters = [str(q) for q in _range(lo, hi)]
    if not quarters:
        return pd.DataFrame(columns=["quarter", *by, *TREND_COLUMNS])
    if by:
        mat = agg.pivot_table(
            index=by, columns="quarter", values=metric, aggfunc="sum", fill_value=0, observed=True
        )
        mat = mat.reindex(columns=quarters, fill_value=0)
        keys = mat.index.to_frame(index=False)
        values = mat.to_numpy(dtype=float)
    else:
        keys = pd.DataFrame(index=[0])
        s = agg.set_index("quarter")[metric].reindex(quarters, fill_value=0)
        values = s.to_numpy(dtype=float)[None, :]
    stats = trend_statistics(values, quarters)
    n_seg, n_q = values.shape
    out = pd.DataFrame({"quarter": np.tile(np.asarray(quarters, dtype=object), n_seg)})
    for col in by:
        out[col] = np.repeat(keys[col].to_numpy(dtype=object), n_q)
    out["metric"] = metric
    for name, arr in stats.items():
        out[name] = arr.reshape(-1)
    return out.sort_values(["quarter", *by], kind="stable").reset_index(drop=True)


def _range(lo: str, hi: str) -> list[Quarter]:
    a, b = Quarter.parse(lo), Quarter.parse(hi)
    return [a + i for i in range(max(0, b.index() - a.index() + 1))]


def _pct(change: np.ndarray, base: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(base > 0, 100.0 * change / np.where(base > 0, base, 1.0), np.nan)


def _lag(values: np.ndarray, k: int) -> np.ndarray:
    lagged = np.full_like(values, np.nan)
    if values.shape[1] > k:
        lagged[:, k:] = values[:, :-k]
    return lagged


def trend_statistics(values: np.ndarray, quarters: Sequence[str]) -> dict[str, np.ndarray]:
    """The trend columns for a segments x quarters matrix (consecutive quarters), vectorised over segments."""
    prev, yoy = _lag(values, 1), _lag(values, 4)
    total = values.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, values / np.where(total > 0, total, 1.0), np.nan)
    n_q = values.shape[1]
    rolling = np.full_like(values, np.nan)
    if n_q >= 4:
        csum = np.cumsum(values, axis=1)
        rolling[:, 3:] = csum[:, 3:] - np.concatenate([np.zeros((values.shape[0], 1)), csum[:, :-4]], axis=1)
    return {
        "value": values,
        "change_prev": values - prev,
        "change_prev_pct": _pct(values - prev, prev),
        "change_yoy": values - yoy,
        "change_yoy_pct": _pct(values - yoy, yoy),
        "share": share,
        "share_change": 100.0 * (share - _lag(share, 1)),
        "rolling_4q": rolling,
        "seasonally_adjusted": seasonally_adjust(values, quarters),
    }


def seasonally_adjust(values: np.ndarray, quarters: Sequence[str]) -> np.ndarray:
    """Classical multiplicative adjustment: value / seasonal index, the index from ratios to a 2x4 centred MA.

    Needs :data:`MIN_QUARTERS_SEASONAL` quarters; NaN otherwise and where a segment's index is not defined
    (zero moving average in every year for that quarter).
    """
    n_seg, n_q = values.shape
    out = np.full_like(values, np.nan, dtype=float)
    if n_q < MIN_QUARTERS_SEASONAL:
        return out
    # 2x4 centred moving average: weights 1/8, 1/4, 1/4, 1/4, 1/8 over t-2..t+2.
    w = np.array([1, 2, 2, 2, 1], dtype=float) / 8.0
    ma = np.full_like(values, np.nan, dtype=float)
    for j in range(2, n_q - 2):
        ma[:, j] = values[:, j - 2 : j + 3] @ w
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(ma > 0, values / np.where(ma > 0, ma, 1.0), np.nan)
    qoy = np.asarray(quarter_of_year(quarters))
    index = np.full((n_seg, 4), np.nan)
    for q in range(1, 5):
        cols = ratio[:, qoy == q]
        with np.errstate(invalid="ignore"):
            counts = np.sum(~np.isnan(cols), axis=1)
            sums = np.nansum(cols, axis=1)
        index[:, q - 1] = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    complete = ~np.isnan(index).any(axis=1)
    norm = np.where(complete, index.mean(axis=1), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        index = index / norm[:, None]
        per_q = index[:, qoy - 1]
        out = np.where((per_q > 0) & complete[:, None], values / np.where(per_q > 0, per_q, 1.0), np.nan)
    return out
