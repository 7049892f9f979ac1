"""The report's two-pass fold of the trend lines into cells: every metric of every cut is the one the lines
give, with cases spread over several cells (by a dimension, by quarter), missing dimension values, and when
two cells share a hash (then the general fold is used)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd
import pytest

from iprisk.analysis._common import SPREAD_CASE_KEY, aggregate
from iprisk.reports import trend_cells as module
from iprisk.reports.trend_cells import trend_cells

DIMS = ["product_category", "transport_mode", "ipr_type"]
METRICS = ["cases", "lines", "articles", "retail_value"]


def _lines() -> ir.Table:
    rows = [
        # admin, case, quarter, product, mode, ipr, articles, value
        ("EU", "A", "2020Q1", "toys", "sea", "TM", 10, 5.0),
        ("EU", "A", "2020Q1", "toys", "sea", "TM", 5, 1.5),  # a whole case of two lines
        ("EU", "B", "2020Q1", "toys", "sea", "TM", 1, 0.25),
        ("EU", "C", "2020Q1", "toys", "air", "TM", 2, 2.0),  # spread: two modes
        ("EU", "C", "2020Q1", "shoes", "sea", "TM", 3, 3.0),  # and two products
        ("EU", "C", "2020Q1", "shoes", "sea", "TM", 4, 4.0),
        ("EU", "D", "2020Q1", "toys", None, "TM", 7, 7.0),  # a missing mode
        ("EU", "D", "2020Q1", "toys", None, "TM", 1, 1.0),
        ("EU", "E", "2020Q1", "toys", None, None, 2, 2.0),
        ("EU", "F", "2020Q1", "toys", "sea", "TM", 1, 1.0),  # the same case id in two quarters
        ("EU", "F", "2020Q2", "toys", "sea", "TM", 1, 1.0),
        ("CN", "A", "2020Q1", "toys", "sea", "TM", 9, 9.0),  # the same case id in another administration
        ("CN", "G", "2020Q2", "shoes", "road", "DES", 6, None),  # no value
        ("CN", "H", "2020Q2", "shoes", "road", "DES", 8, 8.0),
        ("CN", "H", "2020Q2", "shoes", "road", "PAT", 1, 1.0),  # spread by IPR type only
    ]
    columns = [
        "reporting_admin",
        "case_id",
        "quarter",
        *DIMS,
        "articles",
        "retail_value_eur",
    ]
    frame = pd.DataFrame(rows, columns=columns).astype({"articles": "int64", "retail_value_eur": "float64"})
    return ibis.duckdb.connect().create_table("lines", frame)


def _by_cut(t: ir.Table) -> dict[str, pd.DataFrame]:
    return {cut: aggregate(t, ["quarter", cut], METRICS) for cut in ["reporting_admin", *DIMS]}


def _assert_same(folded: dict[str, pd.DataFrame], read: dict[str, pd.DataFrame]) -> None:
    for cut, expected in read.items():
        pd.testing.assert_frame_equal(folded[cut], expected, check_dtype=False, obj=cut)


def test_every_metric_of_every_cut_is_the_one_the_lines_give() -> None:
    lines = _lines()
    folded = trend_cells(lines, DIMS)
    try:
        assert folded[SPREAD_CASE_KEY].nunique().execute() == 3  # cases C, F and CN|H are spread
        cells = lines.select("quarter", "reporting_admin", *DIMS).distinct()
        assert folded.filter(folded[SPREAD_CASE_KEY].isnull()).count().execute() == cells.count().execute()
        _assert_same(_by_cut(folded), _by_cut(lines))
    finally:
        folded.release()


def test_cells_sharing_a_hash_fall_back_to_the_general_fold(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cell hash of the quarter alone makes many cells collide: the fold sees it and stays exact."""
    monkeypatch.setattr(module, "_cell_hash", lambda t, keys: t["quarter"].hash())
    lines = _lines()
    folded = trend_cells(lines, DIMS)
    try:
        _assert_same(_by_cut(folded), _by_cut(lines))
    finally:
        folded.release()


def test_without_spread_cases_no_case_key_is_kept() -> None:
    lines = _lines()
    whole = lines.filter(~lines.case_id.isin(["C", "F", "H"]))
    folded = trend_cells(whole, DIMS)
    try:
        assert folded[SPREAD_CASE_KEY].count().execute() == 0
        _assert_same(_by_cut(folded), _by_cut(whole))
    finally:
        folded.release()
