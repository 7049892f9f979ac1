"""Concentration and incidence: which offices and lanes carry the detentions, and how many per traffic."""

from __future__ import annotations

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from iprisk.analysis._common import METRICS, aggregate, check_metric, filter_quarters, with_lane
from iprisk.periods import Quarter

LEVELS = ("office", "lane")


def herfindahl(values: pd.Series | np.ndarray) -> float:
    """Herfindahl-Hirschman index of a distribution: sum of squared shares, from 1/n (even) to 1 (one holder).

    Examples
    --------
    >>> herfindahl([50, 50])
    0.5
    """
    v = np.asarray(values, dtype=float)
    total = v.sum()
    return float(((v / total) ** 2).sum()) if total > 0 else float("nan")


def concentration(
    seizures: ir.Table,
    by: str = "office",
    *,
    metric: str = "cases",
    trade: ir.Table | None = None,
    start: str | Quarter | None = None,
    end: str | Quarter | None = None,
) -> pd.DataFrame:
    """Detentions per office or per lane with shares, a Pareto curve, the Herfindahl index and incidence.

    Parameters
    ----------
    seizures : ibis.Table
        Seizure lines (canonical columns plus ``quarter``).
    by : {"office", "lane"}
        ``lane`` is ``departure_port -> arrival_port``.
    metric : {"cases", "lines", "articles", "retail_value"}
        What the shares, the ranking and the Herfindahl index are computed on.
    trade : ibis.Table, optional
        The ``trade`` table (``Warehouse.trade()``). With it, offices (or lanes) get their traffic
        (``consignments``, ``trade_value_eur`` over the same quarters, every flow and mode) and the incidence
        ``cases_per_1000_consignments`` and ``cases_per_million_eur``. Rows of ``trade`` with an empty office
        (national totals) are not attributed to any office; rows with an empty ``departure_port`` or
        ``arrival_port`` are not attributed to any lane. A trade table without port columns gives lanes no
        traffic: NaN.
    start, end : str or Quarter, optional
        Quarters to include (inclusive).

    Returns
    -------
    pandas.DataFrame
        One row per office (or lane), largest first: the key, ``cases``, ``lines``, ``articles``,
        ``retail_value``, ``share`` and ``cumulative_share`` (of ``metric``), ``rank``, ``hhi`` (the same for
        every row: the index of the whole distribution), ``consignments``, ``trade_value_eur``,
        ``cases_per_1000_consignments``, ``cases_per_million_eur``.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"quarter": ["2020Q1"] * 3, "reporting_admin": ["NL"] * 3,
    ...     "case_id": ["a", "b", "c"], "office": ["NLRTM", "NLRTM", "NLAMS"], "articles": [10, 5, 1],
    ...     "retail_value_eur": [1.0, 2.0, 3.0]})
    >>> concentration(t)[["office", "cases", "share", "cumulative_share"]].round(3).values.tolist()
    [['NLRTM', 2, 0.667, 0.667], ['NLAMS', 1, 0.333, 1.0]]
    """
    if by not in LEVELS:
        raise ValueError(f"concentration is by office or lane, not {by!r}")
    check_metric(metric)
    t = filter_quarters(seizures, start, end)
    if by == "lane":
        t = with_lane(t)
    df = aggregate(t, [by], list(METRICS))
    df = df.sort_values([metric, by], ascending=[False, True], kind="stable").reset_index(drop=True)
    total = df[metric].sum()
    df["share"] = df[metric] / total if total > 0 else np.nan
    df["cumulative_share"] = df["share"].cumsum()
    df["rank"] = np.arange(1, len(df) + 1)
    df["hhi"] = herfindahl(df[metric])
    df["consignments"] = np.nan
    df["trade_value_eur"] = np.nan
    traffic = None if trade is None else _traffic(filter_quarters(trade, start, end), by)
    if traffic is not None:
        df = df.drop(columns=["consignments", "trade_value_eur"])
        df = df.merge(traffic.to_pandas(), on=by, how="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        cons = df["consignments"].astype(float)
        value = df["trade_value_eur"].astype(float)
        df["cases_per_1000_consignments"] = np.where(cons > 0, 1000.0 * df["cases"] / cons, np.nan)
        df["cases_per_million_eur"] = np.where(value > 0, 1e6 * df["cases"] / value, np.nan)
    return df


def _known(col: ir.StringColumn) -> ir.BooleanColumn:
    return col.notnull() & (col != "")


def _traffic(trade: ir.Table, by: str) -> ir.Table | None:
    """Consignments and value of ``trade`` per office or per lane, as an engine expression; None when the
    trade table cannot say (no port columns for lanes). Rows whose office or either port is unknown are left
    out: they belong to no office or lane."""
    if by == "office":
        tr = trade.filter(_known(trade.office))
    elif {"departure_port", "arrival_port"} <= set(trade.columns):
        # The lane string of the seizures (with_lane), built from rows whose two ports are known.
        tr = with_lane(trade.filter(_known(trade.departure_port) & _known(trade.arrival_port)))
    else:
        return None
    return tr.group_by(by).aggregate(consignments=tr.consignments.sum(), trade_value_eur=tr.value_eur.sum())
