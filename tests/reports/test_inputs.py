"""The report's inputs: from an analysis already run, the same tables as running it again (an analysis of
another period is refused); the trends read from cells, the same values as read from the lines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iprisk.analysis import run
from iprisk.analysis.trends import trends_for
from iprisk.errors import InvalidValue
from iprisk.reports import collect
from iprisk.reports.inputs import TREND_CUTS, TREND_METRICS, trend_table
from iprisk.warehouse import Warehouse
from tests.analysis.worlds import fill_warehouse, make_world


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wh") / "wh.duckdb"
    with Warehouse.open(path) as wh:
        fill_warehouse(wh, make_world(4, n_cells=80, n_quarters=12))  # 2018Q1..2020Q4
    return path


def test_an_analysis_given_is_used_as_it_is(warehouse: Path) -> None:
    with Warehouse.open(warehouse, read_only=True) as wh:
        given = run(wh, start="2020Q1", end="2020Q4")
        reused = collect(wh, start="2020Q1", end="2020Q4", analysis=given)
        fresh = collect(wh, start="2020Q1", end="2020Q4")
    assert reused.analysis is given
    pd.testing.assert_frame_equal(reused.trends, fresh.trends)
    pd.testing.assert_frame_equal(reused.quarter_lanes, fresh.quarter_lanes)
    pd.testing.assert_frame_equal(reused.analysis.signals, fresh.analysis.signals)
    assert reused.snapshot.digest == fresh.snapshot.digest


def test_an_analysis_of_another_period_is_refused(warehouse: Path) -> None:
    with Warehouse.open(warehouse, read_only=True) as wh:
        other = run(wh, start="2019Q1", end="2019Q4")
        with pytest.raises(InvalidValue, match=r"covers 2019Q1\.\.2019Q4, not 2020Q1\.\.2020Q4"):
            collect(wh, start="2020Q1", end="2020Q4", analysis=other)


def test_the_trends_read_from_cells_equal_the_trends_read_from_lines(warehouse: Path) -> None:
    """The report folds the lines into cells before its nine cuts: every value is the one the lines give."""
    with Warehouse.open(warehouse, read_only=True) as wh:
        table = trend_table(wh.seizures(), start="2019Q1", end="2020Q4")
        for cut in TREND_CUTS:
            by = [cut] if cut else []
            lines = trends_for(wh.seizures(), by, TREND_METRICS, start="2019Q1", end="2020Q4")
            got = table[table["cut"] == cut]
            assert len(got) == len(lines) > 0, cut
            if cut:
                assert got["key"].tolist() == lines[cut].fillna("").astype(str).tolist(), cut
            assert got["quarter"].tolist() == lines["quarter"].astype(str).tolist(), cut
            np.testing.assert_allclose(got["value"], lines["value"].astype(float), rtol=1e-9, err_msg=cut)
            np.testing.assert_allclose(got["change_yoy_pct"], lines["change_yoy_pct"], rtol=1e-9, err_msg=cut)
