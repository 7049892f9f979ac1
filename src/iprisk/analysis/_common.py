"""Shared pieces of the analysis: dimension and metric names, quarter filters, engine aggregation.

Every heavy step is an Ibis expression, so the same code runs on DuckDB and PySpark; Python only sees the
small aggregated frames these helpers return.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from iprisk.lanes import lane_column
from iprisk.periods import Quarter

#: Dimensions a trend can be cut by. ``lane`` is derived: ``departure_port -> arrival_port``. Procedure and
#: outcome are cuts of the joint report's trends.
TREND_DIMENSIONS: tuple[str, ...] = (
    "reporting_admin",
    "office",
    "flow",
    "transport_mode",
    "provenance_country",
    "product_category",
    "ipr_type",
    "procedure",
    "outcome",
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
    re-key the source. The table is the caller's own (see :func:`materialise`): release it with
    ``.release()`` when done."""
    cols = [c for c in _USED if c in t.columns]
    return materialise(t.select(*cols, **{CASE_KEY: case_key(t)}))


def materialise(t: ir.Table) -> ir.CachedTable:
    """``t`` materialised in its engine (a temporary table in DuckDB, a cached frame in Spark), in a table
    of the caller's own.

    Ibis keeps one cached table per expression and hands it to whoever caches an equal one: releasing it
    would pull it from under anyone else who cached the same expression (a caller who folded the same lines,
    say). A fresh self-reference (``view``) is an expression no one else holds, so ``.release()`` on the
    result drops only this table.
    """
    return t.view().cache()


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


#: Columns of a table of cells (:func:`cells`): lines per row, cases lying wholly in the row's cell, and the
#: key of a case spread over several cells (null on the rows of whole cells).
LINES_IN_CELL, CASES_IN_CELL, SPREAD_CASE_KEY = "lines_in_cell_", "cases_in_cell_", "spread_case_key_"


def cells(t: ir.Table, extra: Sequence[str] = ()) -> ir.Table:
    """The seizure lines of ``t`` (from :func:`prepare`) folded into cells, for every analysis but signals.

    A cell is one value of every seizure column the analysis reads (quarter, dimensions, ports, HS code).
    Most cases lie in one cell: those become counts (``cases_in_cell_``) on one row per cell, with the
    cell's lines and sums of articles and retail value. A case spread over several cells keeps one row per
    cell it touches, with its key in ``spread_case_key_``. Every metric of any grouping of cells is then
    exact (:func:`metric_expr`): whole cases are added up, spread ones counted distinct. Ten million lines
    fold into well under a million rows, so the dozen group-bys of a full analysis each read a tenth of the
    data and count distinct keys only for the few spread cases. Materialised in a table of the caller's own
    (:func:`materialise`; ``.release()`` when done).
    ``extra``: more columns of ``t`` a cell keeps (e.g. the report's procedure and outcome).
    """
    dims = [
        c for c in dict.fromkeys((*_USED, *extra)) if c in t.columns and c not in _SUMMED and c != "case_id"
    ]
    summed = {c: t[c].sum() for c in _SUMMED if c in t.columns}
    key = case_key(t)
    per_case = t.group_by([key.name(SPREAD_CASE_KEY), *dims]).aggregate(
        **{LINES_IN_CELL: t.count()}, **summed
    )
    spread = (
        per_case.group_by(SPREAD_CASE_KEY)
        .aggregate(n=per_case.count())
        .filter(lambda s: s.n > 1)
        .select(SPREAD_CASE_KEY)
    )
    whole = per_case.anti_join(spread, SPREAD_CASE_KEY)
    whole = whole.group_by(dims).aggregate(
        **{LINES_IN_CELL: whole[LINES_IN_CELL].sum(), CASES_IN_CELL: whole.count()},
        **{c: whole[c].sum() for c in summed},
        **{SPREAD_CASE_KEY: ibis.null(key.type())},
    )
    parts = per_case.semi_join(spread, SPREAD_CASE_KEY)
    parts = parts.mutate(**{CASES_IN_CELL: ibis.literal(0, type="int64")})
    columns = [*dims, LINES_IN_CELL, CASES_IN_CELL, *summed, SPREAD_CASE_KEY]
    table = ibis.union(
        whole.select(*columns).cast({LINES_IN_CELL: "int64", CASES_IN_CELL: "int64"}),
        parts.select(*columns).cast({LINES_IN_CELL: "int64", CASES_IN_CELL: "int64"}),
        distinct=False,
    )
    return materialise(table)


#: Columns summed in a cell (:func:`cells`).
_SUMMED = ("articles", "retail_value_eur")


def is_cells(t: ir.Table) -> bool:
    """Whether ``t`` holds lines folded into cells (:func:`cells`) rather than the lines themselves."""
    return LINES_IN_CELL in t.columns


def metric_expr(t: ir.Table, metric: str) -> ir.Scalar:
    """The aggregate expression of one metric over the rows of ``t`` (seizure lines, or :func:`cells`)."""
    check_metric(metric)
    if metric == "cases" and is_cells(t):
        return t[CASES_IN_CELL].sum().fill_null(0) + t[SPREAD_CASE_KEY].nunique()
    if metric == "cases":
        return case_key(t).nunique()
    if metric == "lines" and is_cells(t):
        return t[LINES_IN_CELL].sum().fill_null(0)
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
