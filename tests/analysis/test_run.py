"""The whole analysis in one call: on a warehouse, on every engine, the tables of ``analyse``."""

from __future__ import annotations

from pathlib import Path

import ibis
import pandas as pd
import pytest

from iprisk.analysis import NO_TRADE, Analysis, analyse, run
from iprisk.analysis._common import cells, prepare
from iprisk.errors import InvalidValue
from iprisk.warehouse import Warehouse
from tests.analysis.engines import Engine
from tests.analysis.worlds import canonical_lines, fill_warehouse, make_world, trade_table

TABLES = ("trends", "signals", "concentration", "lanes", "mirror", "propensity", "displacement")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("run") / "wh.duckdb"
    with Warehouse.open(path) as wh:
        fill_warehouse(wh, make_world(11, n_cells=60, n_quarters=12, planted=1))
    return path


@pytest.fixture(scope="module")
def expected() -> Analysis:
    """``analyse`` of the warehouse's world, once for every engine (2.6 CPU s each time)."""
    world = make_world(11, n_cells=60, n_quarters=12, planted=1)
    return analyse(ibis.memtable(canonical_lines(world)), ibis.memtable(trade_table(world)))


def test_run_on_every_engine_gives_the_tables_of_analyse(
    engine: Engine, warehouse: Path, expected: Analysis
) -> None:
    with Warehouse.open(warehouse) as wh:
        got = run(wh, engine=engine.name)  # type: ignore[arg-type]
    _assert_same(expected, got)
    assert not expected.signals.empty  # the comparison covered signals, not two empty tables


def _assert_same(a: Analysis, b: Analysis) -> None:
    assert (a.start, a.end, a.notes) == (b.start, b.end, b.notes)
    assert a.totals == pytest.approx(b.totals)
    for name in TABLES:
        x, y = getattr(a, name).reset_index(drop=True), getattr(b, name).reset_index(drop=True)
        pd.testing.assert_frame_equal(x, y, check_dtype=False, obj=name)


def test_an_empty_trade_table_counts_as_none_and_engines_are_checked(tmp_path: Path) -> None:
    world = make_world(12, n_cells=30, n_quarters=12, planted=1)
    with Warehouse.open(tmp_path / "wh.duckdb") as wh:
        fill_warehouse(wh, world, with_trade=False)
        result = run(wh, start=world.quarters[4])
        assert result.notes == [NO_TRADE] and result.propensity.empty
        assert result.start == world.quarters[4]
        with pytest.raises(InvalidValue, match="unknown engine 'polars'"):
            run(wh, engine="polars")  # type: ignore[arg-type]


def test_incidence_and_propensity_read_the_traffic_of_the_quarters_analysed(warehouse: Path) -> None:
    world = make_world(11, n_cells=60, n_quarters=12, planted=1)
    start, end = world.quarters[8], world.quarters[11]
    with Warehouse.open(warehouse) as wh:
        got = run(wh, start=start, end=end)
    lines, trade = canonical_lines(world), trade_table(world)
    inside = lambda q: (q >= str(start)) & (q <= str(end))  # noqa: E731
    # the same as analysing only those quarters' detentions and traffic
    alone = analyse(
        ibis.memtable(lines[inside(lines["quarter"].astype(str))]),
        ibis.memtable(trade[inside(trade["quarter"].astype(str))]),
    )
    for name in ("concentration", "lanes", "propensity"):
        x, y = getattr(alone, name).reset_index(drop=True), getattr(got, name).reset_index(drop=True)
        pd.testing.assert_frame_equal(x, y, check_dtype=False, obj=name)
    assert got.concentration["consignments"].notna().any() and not got.propensity.empty


def test_analyse_leaves_the_tables_a_caller_cached_usable() -> None:
    """Ibis shares one cached table per expression: ``analyse`` releases only what it cached itself, so the
    lines and cells a caller materialised from the same input (the same expressions) stay readable."""
    lines = ibis.memtable(canonical_lines(make_world(13, n_cells=20, n_quarters=8, planted=0)))
    prepared = prepare(lines)
    folded = cells(prepared)
    n_prepared, n_folded = prepared.count().execute(), folded.count().execute()
    analyse(lines)
    assert (prepared.count().execute(), folded.count().execute()) == (n_prepared, n_folded)
