"""GTRIC-style propensity indices: how much more often a product or a provenance is seized than traded.

Following OECD/EUIPO's GTRIC: for reporter ``i`` and item ``k`` (HS chapter, product category or provenance
economy), ``gamma_ik`` is k's share of i's seizures; ``Gamma_k`` is the average of ``gamma_ik`` over
reporters weighted by each reporter's share of the imports of k; ``s_k`` is k's share of all imports; the
factor is ``Gamma_k / s_k``. Above 1: seized more often than its share of trade predicts.
"""

from __future__ import annotations

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from iprisk.analysis._common import aggregate, check_metric, filter_quarters
from iprisk.periods import Quarter

ITEMS = ("hs_chapter", "product_category", "provenance_country")


def propensity(
    seizures: ir.Table,
    trade: ir.Table,
    by: str = "hs_chapter",
    *,
    metric: str = "cases",
    flow: str = "import",
    start: str | Quarter | None = None,
    end: str | Quarter | None = None,
    min_seizures: int = 1,
) -> pd.DataFrame:
    """Propensity factors (GTRIC-p for products, GTRIC-e for provenance economies).

    Parameters
    ----------
    seizures, trade : ibis.Table
        Seizure lines (plus ``quarter``) and the ``trade`` table (``Warehouse.trade()``).
    by : {"hs_chapter", "product_category", "provenance_country"}
        The item indexed. ``hs_chapter`` is the first two digits of ``hs_code`` (lines without one are left
        out).
    metric : {"cases", "lines", "articles", "retail_value"}
        The seizure measure shares are taken of.
    flow : str
        Flow of both seizures and trade (``import`` for the GTRIC definition).
    start, end : str or Quarter, optional
        Quarters to include (inclusive).
    min_seizures : int
        Items with fewer seizures get no factor (NaN, listed last): one reporter's single case of a rare
        provenance would otherwise weigh as a share of that reporter's few seizures and give factors in
        the hundreds.

    Returns
    -------
    pandas.DataFrame
        One row per item, highest factor first: the item, ``seizures`` (the metric), ``seizure_share``
        (``Gamma_k``), ``trade_value_eur``, ``trade_share`` (``s_k``), ``factor`` (``Gamma_k / s_k``; NaN
        without trade), ``reporters`` (how many reporters' seizures contribute).

    Examples
    --------
    >>> import ibis
    >>> s = ibis.memtable({"quarter": ["2020Q1"] * 4, "reporting_admin": ["DE"] * 4, "flow": ["import"] * 4,
    ...     "case_id": list("abcd"), "hs_code": ["9503", "9503", "9503", "6403"]})
    >>> tr = ibis.memtable({"quarter": ["2020Q1"] * 2, "reporting_admin": ["DE"] * 2, "flow": ["import"] * 2,
    ...     "hs_chapter": ["95", "64"], "value_eur": [1.0e6, 3.0e6]})
    >>> propensity(s, tr)[["hs_chapter", "seizure_share", "trade_share", "factor"]].values.tolist()
    [['95', 0.75, 0.25, 3.0], ['64', 0.25, 0.75, 0.3333333333333333]]
    """
    if by not in ITEMS:
        raise ValueError(f"propensity is by one of {', '.join(ITEMS)}, not {by!r}")
    check_metric(metric)
    s = filter_quarters(seizures, start, end)
    s = s.filter(s.flow == flow)
    if by == "hs_chapter":
        s = s.filter(s.hs_code.notnull() & (s.hs_code.length() >= 2))
        s = s.mutate(hs_chapter=s.hs_code.substr(0, 2))
    seized = aggregate(s, ["reporting_admin", by], [metric]).rename(columns={metric: "seized"})
    tr = filter_quarters(trade, start, end)
    tr = tr.filter((tr.flow == flow) & tr[by].notnull())
    traded = tr.group_by(["reporting_admin", by]).aggregate(value=tr.value_eur.sum()).to_pandas()
    traded["value"] = traded["value"].astype(float)
    seized["gamma"] = seized["seized"] / seized.groupby("reporting_admin")["seized"].transform("sum")
    # Weights: each reporter's share of the imports of k, among the reporters that report seizures.
    reporters = set(seized["reporting_admin"])
    tw = traded[traded["reporting_admin"].isin(reporters)].copy()
    tw["w"] = tw["value"] / tw.groupby(by)["value"].transform("sum")
    g = seized.merge(tw[["reporting_admin", by, "w"]], on=["reporting_admin", by], how="left")
    g["contrib"] = g["gamma"] * g["w"]
    out = g.groupby(by, as_index=False).agg(
        seizures=("seized", "sum"), seizure_share=("contrib", "sum"), reporters=("reporting_admin", "nunique")
    )
    has_w = g.groupby(by)["w"].apply(lambda x: x.notna().any())
    out.loc[~out[by].map(has_w).fillna(False).astype(bool), "seizure_share"] = np.nan
    share = traded.groupby(by, as_index=False)["value"].sum().rename(columns={"value": "trade_value_eur"})
    total = share["trade_value_eur"].sum()
    share["trade_share"] = share["trade_value_eur"] / total if total > 0 else np.nan
    out = out.merge(share, on=by, how="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        enough = (out["trade_share"] > 0) & (out["seizures"] >= min_seizures)
        out["factor"] = np.where(enough, out["seizure_share"] / out["trade_share"], np.nan)
    out = out.sort_values(["factor", by], ascending=[False, True], na_position="last", kind="stable")
    cols = [by, "seizures", "seizure_share", "trade_value_eur", "trade_share", "factor", "reporters"]
    return out[cols].reset_index(drop=True)
