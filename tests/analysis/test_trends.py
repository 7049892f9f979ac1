from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from iprisk.analysis import TREND_COLUMNS, trends
from iprisk.analysis.trends import seasonally_adjust


def _table() -> ibis.Table:
    rows = []
    quarters = [f"{y}Q{q}" for y in (2019, 2020, 2021) for q in (1, 2, 3, 4)]
    for i, q in enumerate(quarters):
        for j in range(10 + i):  # toys: 10, 11, 12, ... cases
            rows.append((q, "DE", f"t{q}{j}", "toys", "CNSHA", "DEHAM", 2, 10.0))
            rows.append((q, "DE", f"t{q}{j}", "toys", "CNSHA", "DEHAM", 3, 5.0))  # second line, same case
        for j in range(5):
            rows.append((q, "NL", f"s{q}{j}", "shoes", None, "NLRTM", 1, 1.0))
    cols = [
        "quarter",
        "reporting_admin",
        "case_id",
        "product_category",
        "departure_port",
        "arrival_port",
        "articles",
        "retail_value_eur",
    ]
    return ibis.memtable(pd.DataFrame(rows, columns=cols))


def test_cases_lines_articles_values_and_changes() -> None:
    t = _table()
    df = trends(t, by=["product_category"], metric="cases")
    assert list(df.columns) == ["quarter", "product_category", *TREND_COLUMNS]
    toys = df[df["product_category"] == "toys"].set_index("quarter")
    assert toys.loc["2019Q1", "value"] == 10  # two lines, one case
    assert toys.loc["2019Q2", "change_prev"] == 1
    assert toys.loc["2020Q1", "change_yoy"] == 4
    assert toys.loc["2020Q1", "change_yoy_pct"] == pytest.approx(40.0)
    assert np.isnan(toys.loc["2019Q1", "change_prev"])
    assert toys.loc["2019Q1", "share"] == pytest.approx(10 / 15)
    assert toys.loc["2019Q4", "rolling_4q"] == 10 + 11 + 12 + 13
    lines = trends(t, by=["product_category"], metric="lines").set_index(["quarter", "product_category"])
    assert lines.loc[("2019Q1", "toys"), "value"] == 20
    arts = trends(t, by=[], metric="articles").set_index("quarter")
    assert arts.loc["2019Q1", "value"] == 10 * 5 + 5
    val = trends(t, by=["product_category"], metric="retail_value").set_index(["quarter", "product_category"])
    assert val.loc[("2019Q1", "shoes"), "value"] == pytest.approx(5.0)


def test_lane_and_quarter_filter() -> None:
    df = trends(_table(), by=["lane"], start="2020Q1", end="2020Q2")
    assert set(df["quarter"]) == {"2020Q1", "2020Q2"}
    assert set(df["lane"]) == {"CNSHA -> DEHAM", "? -> NLRTM"}


def test_share_change_is_in_points_and_shares_sum_to_one() -> None:
    df = trends(_table(), by=["reporting_admin"])
    assert df.groupby("quarter")["share"].sum().round(9).eq(1).all()
    de = df[df["reporting_admin"] == "DE"].set_index("quarter")
    assert de.loc["2019Q2", "share_change"] == pytest.approx(100 * (11 / 16 - 10 / 15))


def test_seasonal_adjustment_removes_a_pure_seasonal_pattern() -> None:
    quarters = [f"{y}Q{q}" for y in range(2018, 2022) for q in (1, 2, 3, 4)]
    pattern = np.tile([80.0, 100.0, 100.0, 120.0], 4)
    sa = seasonally_adjust(pattern[None, :], quarters)[0]
    assert np.allclose(sa, 100.0)
    assert np.isnan(seasonally_adjust(pattern[None, :6], quarters[:6])).all()  # too short: not computed


def test_bad_dimension_and_metric() -> None:
    with pytest.raises(ValueError, match="unknown dimension"):
        trends(_table(), by=["colour"])
    with pytest.raises(ValueError, match="unknown metric"):
        trends(_table(), metric="weight")
