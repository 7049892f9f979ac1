"""Displacement: a route whose detentions fall while a neighbouring route for the same goods rises.

A route is an (office, transport mode) pair; two routes are neighbours when they carry the same product
category from the same provenance. The recent quarters are compared with the same quarters a year before
(so that seasonality cancels out).
"""

from __future__ import annotations

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from iprisk.analysis._common import aggregate, check_metric
from iprisk.periods import Quarter

DISPLACEMENT_COLUMNS = (
    "product_category",
    "provenance_country",
    "from_office",
    "from_transport_mode",
    "from_before",
    "from_recent",
    "to_office",
    "to_transport_mode",
    "to_before",
    "to_recent",
    "shifted",
    "z",
)


def displacement(
    seizures: ir.Table,
    *,
    end: str | Quarter | None = None,
    recent: int = 2,
    metric: str = "cases",
    min_change: float = 0.3,
    min_count: int = 10,
    min_z: float = 2.0,
) -> pd.DataFrame:
    """Pairs of neighbouring routes where one fell and the other rose, recent quarters against a year before.

    Parameters
    ----------
    seizures : ibis.Table
        Seizure lines (plus ``quarter``).
    end : str or Quarter, optional
        Last recent quarter (default: the last quarter in the data).
    recent : int
        How many quarters up to ``end`` form the recent period; the base period is the same quarters a year
        earlier.
    metric : {"cases", "lines", "articles", "retail_value"}
    min_change : float
        Relative change a route needs to count as falling (``<= -min_change``) or rising (``>= min_change``).
    min_count : int
        The falling route needs at least this much in the base period, the rising one in the recent period.
    min_z : float
        Both changes must be at least this large against Poisson noise: ``|recent - before| /
        sqrt(recent + before)``.

    Returns
    -------
    pandas.DataFrame
        :data:`DISPLACEMENT_COLUMNS`; ``shifted`` is the part of the fall taken up by the rise,
        ``min(before - recent of the falling route, recent - before of the rising one)``; ``z`` the smaller
        of the two noise-scaled changes. Largest ``shifted`` first.

    Examples
    --------
    >>> import ibis
    >>> rows = {"quarter": [], "reporting_admin": [], "case_id": [], "office": [], "transport_mode": [],
    ...     "provenance_country": [], "product_category": []}
    >>> for q, a, b in (("2020Q1", 40, 5), ("2021Q1", 5, 40)):
    ...     for office, n in (("NLRTM", a), ("BEANR", b)):
    ...         for i in range(n):
    ...             for k, v in zip(rows, (q, office[:2], f"{q}{office}{i}", office, "sea", "CN", "toys")):
    ...                 rows[k].append(v)
    >>> d = displacement(ibis.memtable(rows), recent=1)
    >>> d[["from_office", "to_office", "shifted"]].values.tolist()
    [['NLRTM', 'BEANR', 35.0]]
    """
    check_metric(metric)
    if end is None:
        last = seizures.aggregate(q=seizures.quarter.max()).to_pandas()["q"].iloc[0]
        if last is None or (isinstance(last, float) and np.isnan(last)):
            return pd.DataFrame(columns=list(DISPLACEMENT_COLUMNS))
        end = str(last)
    last_q = Quarter.parse(str(end))
    recent_qs = [str(last_q - i) for i in range(recent)]
    before_qs = [str(last_q - 4 - i) for i in range(recent)]
    t = seizures.filter(seizures.quarter.isin(recent_qs + before_qs))
    t = t.mutate(period=t.quarter.isin(recent_qs).ifelse("recent", "before"))
    keys = ["product_category", "provenance_country", "office", "transport_mode"]
    agg = aggregate(t, [*keys, "period"], [metric])
    wide = agg.pivot_table(
        index=keys, columns="period", values=metric, aggfunc="sum", fill_value=0, observed=True
    )
    wide = wide.reindex(columns=["before", "recent"], fill_value=0).reset_index()
    wide.columns.name = None
    b, r = wide["before"].astype(float), wide["recent"].astype(float)
    wide["change"] = r - b
    with np.errstate(divide="ignore", invalid="ignore"):
        wide["z"] = np.where(b + r > 0, (r - b) / np.sqrt(b + r), 0.0)
        rel = np.where(b > 0, (r - b) / np.where(b > 0, b, 1.0), np.inf)
    falling = wide[(rel <= -min_change) & (b >= min_count) & (wide["z"] <= -min_z)]
    rising = wide[(rel >= min_change) & (r >= min_count) & (wide["z"] >= min_z)]
    pairs = falling.merge(rising, on=["product_category", "provenance_country"], suffixes=("_f", "_r"))
    pairs = pairs[
        (pairs["office_f"] != pairs["office_r"]) | (pairs["transport_mode_f"] != pairs["transport_mode_r"])
    ]
    if pairs.empty:
        return pd.DataFrame(columns=list(DISPLACEMENT_COLUMNS))
    out = pd.DataFrame(
        {
            "product_category": pairs["product_category"],
            "provenance_country": pairs["provenance_country"],
            "from_office": pairs["office_f"],
            "from_transport_mode": pairs["transport_mode_f"],
            "from_before": pairs["before_f"],
            "from_recent": pairs["recent_f"],
            "to_office": pairs["office_r"],
            "to_transport_mode": pairs["transport_mode_r"],
            "to_before": pairs["before_r"],
            "to_recent": pairs["recent_r"],
            "shifted": np.minimum(-pairs["change_f"], pairs["change_r"]).astype(float),
            "z": np.minimum(-pairs["z_f"], pairs["z_r"]),
        }
    )
    return out.sort_values(["shifted", "z"], ascending=False, kind="stable").reset_index(drop=True)
