"""Cells (``iprisk.analysis._common.cells``): every analysis gives on them what it gives on the lines."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from iprisk.analysis import analyse
from iprisk.analysis._common import (
    CASES_IN_CELL,
    SIGNAL_DIMENSIONS,
    SPREAD_CASE_KEY,
    aggregate,
    cells,
    prepare,
)
from iprisk.analysis._segments import count_segments
from iprisk.analysis.concentration import concentration
from iprisk.analysis.displacement import displacement
from iprisk.analysis.mirror import mirror
from iprisk.analysis.propensity import propensity
from iprisk.analysis.run import TREND_CUTS, TREND_METRICS
from iprisk.analysis.signals import signals
from iprisk.analysis.trends import trends_for
from tests.analysis.worlds import canonical_lines, make_world, trade_table


def _spread(lines: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """The lines with cases spread over several cells: second lines moved to another product (and HS code),
    quarter or port, some dimensions emptied: what real declarations hold and the simulated ones do not."""
    rng = np.random.default_rng(seed)
    df = lines.copy()
    second = np.flatnonzero(df["line_no"].to_numpy() == 2)
    picked = rng.choice(second, size=len(second) // 2, replace=False)
    thirds = np.array_split(picked, 4)
    df.loc[thirds[0], "product_category"] = "medicines"
    df.loc[thirds[0], "hs_code"] = "3004"
    quarters = sorted(df["quarter"].unique())
    df.loc[thirds[1], "quarter"] = [
        quarters[min(quarters.index(q) + 1, len(quarters) - 1)] for q in df.loc[thirds[1], "quarter"]
    ]
    df.loc[thirds[2], "departure_port"] = None
    df.loc[thirds[3], "ipr_type"] = None
    return df


@pytest.fixture(scope="module")
def both() -> tuple[ibis.Table, ibis.Table, ibis.Table]:
    """The lines of a world whose cases spread over products, quarters and emptied dimensions (a planted
    surge, ten quarters: 2.6 k lines), their cells and the trade."""
    world = make_world(5, n_cells=40, n_quarters=10, planted=1)
    lines = ibis.memtable(_spread(canonical_lines(world)))
    return lines, cells(prepare(lines)), ibis.memtable(trade_table(world))


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert not a.empty
    # Sums of money are added in another order: equal to the last few bits.
    pd.testing.assert_frame_equal(
        a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False, rtol=1e-9
    )


def test_cells_fold_lines_and_keep_spread_cases_apart(
    both: tuple[ibis.Table, ibis.Table, ibis.Table],
) -> None:
    lines, folded, _ = both
    n_lines, n_cells = lines.count().to_pyarrow().as_py(), folded.count().to_pyarrow().as_py()
    assert n_cells < n_lines
    spread = folded.filter(folded[SPREAD_CASE_KEY].notnull())
    assert spread.count().to_pyarrow().as_py() > 0
    assert spread.filter(spread[CASES_IN_CELL] != 0).count().to_pyarrow().as_py() == 0


@pytest.mark.parametrize("cut", TREND_CUTS)
def test_trends_on_cells_are_those_on_lines(
    both: tuple[ibis.Table, ibis.Table, ibis.Table], cut: tuple[str, ...]
) -> None:
    lines, folded, _ = both
    _same(trends_for(lines, list(cut), TREND_METRICS), trends_for(folded, list(cut), TREND_METRICS))


def test_totals_concentration_mirror_propensity_displacement_on_cells_are_those_on_lines(
    both: tuple[ibis.Table, ibis.Table, ibis.Table],
) -> None:
    lines, folded, trade = both
    metrics = ["cases", "lines", "articles", "retail_value"]
    _same(aggregate(lines, [], metrics), aggregate(folded, [], metrics))
    for by in ("office", "lane"):
        _same(concentration(lines, by, trade=trade), concentration(folded, by, trade=trade))
    _same(mirror(lines), mirror(folded))
    for by in ("hs_chapter", "provenance_country"):
        _same(propensity(lines, trade, by=by), propensity(folded, trade, by=by))
    # Displacement reads these counts (its tests need a larger world to find a shift: its result is compared
    # too, be it empty).
    keys = ["flow", "product_category", "provenance_country", "office", "transport_mode", "quarter"]
    _same(aggregate(lines, keys, ["cases", "lines"]), aggregate(folded, keys, ["cases", "lines"]))
    pd.testing.assert_frame_equal(displacement(lines), displacement(folded), check_dtype=False, rtol=1e-9)


def test_analyse_gives_what_each_analysis_gives_on_the_lines(
    both: tuple[ibis.Table, ibis.Table, ibis.Table],
) -> None:
    """Before cells, ``analyse`` ran each analysis on the lines: it still gives exactly that."""
    lines, _, trade = both
    got = analyse(lines, trade)
    _same(got.concentration, concentration(lines, "office", trade=trade))
    _same(got.lanes, concentration(lines, "lane", trade=trade))
    _same(got.mirror, mirror(lines))
    cases = got.trends[(got.trends["metric"] == "cases") & (got.trends["product_category"] != "")]
    expected = trends_for(lines, ["product_category"], ["cases"])
    assert cases["value"].to_numpy() == pytest.approx(expected["value"].to_numpy())
    assert got.totals["cases"] == aggregate(lines, [], ["cases"])["cases"].iloc[0]


@pytest.mark.parametrize("metric", ["cases", "lines"])
def test_segment_counts_on_cells_are_those_on_lines(
    both: tuple[ibis.Table, ibis.Table, ibis.Table], metric: str
) -> None:
    """Every matrix the signals read, bit for bit, on a world whose cases spread over products, quarters
    and emptied dimensions. ``signals_from_counts`` is a function of these matrices alone, so equal matrices
    are equal signals (observed, expected, p-values, events); ``analyse`` is checked end to end below."""
    lines, folded, _ = both
    dims = list(SIGNAL_DIMENSIONS)
    old, new = count_segments(lines, metric, dims), count_segments(folded, metric, dims)
    assert new.quarters == old.quarters
    np.testing.assert_array_equal(new.total, old.total)
    for a, b in zip(old.combos, new.combos, strict=True):
        assert (a.dims, a.keys) == (b.dims, b.keys)
        np.testing.assert_array_equal(a.counts, b.counts)
        np.testing.assert_array_equal(a.cell_segment, b.cell_segment)
    for name in ("cells", "cell_coarse", "cell_office"):
        np.testing.assert_array_equal(getattr(new, name), getattr(old, name))
    assert old.coarse is not None and new.coarse is not None
    assert new.coarse.keys == old.coarse.keys
    np.testing.assert_array_equal(new.coarse.counts, old.coarse.counts)


def test_analyse_reports_the_signals_of_the_lines_from_its_cells(
    both: tuple[ibis.Table, ibis.Table, ibis.Table],
) -> None:
    """``analyse`` folds the lines once, from the signals' history before ``start``: its signals are those
    of :func:`signals` on the lines of the same quarters, history included."""
    lines = both[0]
    quarters = sorted(lines.select("quarter").distinct().to_pandas()["quarter"])
    start = quarters[len(quarters) // 2]
    got = analyse(lines, start=start).signals
    expected = signals(lines, start=start, end=quarters[-1])
    assert not expected.empty
    assert (got["quarter"] >= start).all()
    pd.testing.assert_frame_equal(got, expected)
