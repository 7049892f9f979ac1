"""Shared pieces of the analysis: dimension and metric names, quarter filters, engine aggregation.

Every heavy step is an Ibis expression, so the same code runs on DuckDB and PySpark; Python only sees the
small aggregated frames these helpers return.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import ibis.expr.types as ir
import pandas as pd

from iprisk.lanes import lane_column
from iprisk.periods import Quarter

#: Dimensions a trend can be cut by. ``lane`` is derived: ``departure_port -> arrival_port``.
TREND_DIMENSIONS: tuple[str, ...] = (
    "reporting_admin",
    "office",
    "flow",
    "transport_mode",
    "provenance_country",
    "product_category",
    "ipr_type",
    "lane",
)

#: Dimensions a signal segment is built from (combinations of up to three).
SIGNAL_DIMENSIONS: tuple[str, ...] = (
    "reporting_admin",
    "office",
    "transport_mode",
    "provenance_country",
    "product_category",
    "ipr_type",
)

#: Metric name -> how it is computed. A case is a distinct (reporting_admin, case_id).
METRICS: tuple[str, ...] = ("cases", "lines", "articles", "retail_value")


def check_metric(metric: str, allowed: Sequence[str] = METRICS) -> str:
    if metric not in allowed:
        raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(allowed)}")
    return metric


def check_dimensions(dims: Sequence[str], allowed: Sequence[str]) -> list[str]:
    bad = [d for d in dims if d not in allowed]
    if bad:
        raise ValueError(f"unknown dimension(s) {bad}; expected some of {', '.join(allowed)}")
    if len(set(dims)) != len(dims):
        raise ValueError(f"dimension listed twice: {list(dims)}")
    return list(dims)


def with_lane(t: ir.Table) -> ir.Table:
    """Add ``lane`` (:mod:`iprisk.lanes`: ``departure_port -> arrival_port``, ``?`` for an unknown end)."""
    return t.mutate(lane=lane_column(t.departure_port, t.arrival_port))


def filter_quarters(t: ir.Table, start: str | Quarter | None, end: str | Quarter | None) -> ir.Table:
    """Keep the quarters from ``start`` to ``end`` inclusive (``YYYYQn`` strings sort in time order)."""
    if start is not None:
        t = t.filter(t.quarter >= str(Quarter.parse(str(start))))
    if end is not None:
        t = t.filter(t.quarter <= str(Quarter.parse(str(end))))
    return t


def case_key(t: ir.Table) -> ir.Value:
    """The identity of a case, ``reporting_admin|case_id``.

    On DuckDB its 64-bit hash (counting distinct integers is ~3x faster than strings; a collision among
    10^7 cases has a probability of about 10^-6). Spark's ``hash`` has 32 bits, so Spark counts the text.
    """
    if CASE_KEY in t.columns:
        return t[CASE_KEY]
    key = t.reporting_admin.concat("|", t.case_id)
    return key.hash() if _backend_name(t) == "duckdb" else key


#: Column :func:`prepare` adds: the case key computed once.
CASE_KEY = "case_key_"


def prepare(t: ir.Table) -> ir.Table:
    """The seizure lines with the case key computed once, materialised in the engine (a temporary table in
    DuckDB, a cached frame in Spark) so that the dozen queries of a full analysis do not each re-read and
    re-key the source. Release it with ``.release()`` when done."""
    cols = [c for c in _USED if c in t.columns]
    return t.select(*cols, **{CASE_KEY: case_key(t)}).cache()


#: The seizure columns the analysis reads (others are left behind by :func:`prepare`).
_USED = (
    "quarter",
    "reporting_admin",
    "case_id",
    "office",
    "flow",
    "transport_mode",
    "provenance_country",
    "departure_port",
    "arrival_port",
    "product_category",
    "hs_code",
    "ipr_type",
    "articles",
    "retail_value_eur",
)


def _backend_name(t: ir.Table) -> str:
    try:
        return str(t._find_backend().name)
    except Exception:  # an unbound expression (memtable): executed on the default backend, DuckDB
        return "duckdb"


def metric_expr(t: ir.Table, metric: str) -> ir.Scalar:
    """The aggregate expression of one metric over the rows of ``t``."""
    check_metric(metric)
    if metric == "cases":
        return case_key(t).nunique()
    if metric == "lines":
        return t.count()
    if metric == "articles":
        return t.articles.sum().fill_null(0)
    return t.retail_value_eur.sum().fill_null(0.0)


def aggregate(t: ir.Table, by: Sequence[str], metrics: Sequence[str]) -> pd.DataFrame:
    """Group ``t`` by ``by`` and compute ``metrics`` in the engine; a pandas frame comes back."""
    aggs = {m: metric_expr(t, m) for m in metrics}
    expr = t.group_by(list(by)).aggregate(**aggs) if by else t.aggregate(**aggs)
    df = expr.to_pandas()
    for m in metrics:
        df[m] = pd.to_numeric(df[m]).fillna(0)
        if m in ("cases", "lines", "articles"):
            df[m] = df[m].astype("int64")
        else:
            df[m] = df[m].astype("float64")
    for col in by:
        df[col] = df[col].astype("object")
    return df.sort_values(list(by)).reset_index(drop=True) if by else df


def quarter_of_year(quarters: Sequence[str]) -> list[int]:
    return [Quarter.parse(q).q for q in quarters]


def all_quarters(observed: Iterable[object]) -> list[str]:
    """Every quarter from the first to the last observed one (gaps filled)."""
    qs = sorted({str(q) for q in observed})
    if not qs:
        return []
    first, last = Quarter.parse(qs[0]), Quarter.parse(qs[-1])
    n = last.index() - first.index() + 1
    return [str(first + i) for i in range(n)]
