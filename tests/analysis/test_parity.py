"""The whole analysis gives the same results on DuckDB and on PySpark (local[2])."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from typing import Any

import ibis
import pandas as pd
import pytest

from iprisk.analysis import Analysis, analyse
from iprisk.errors import Unsupported
from tests.analysis.worlds import canonical_lines, make_world, trade_table

pytestmark = [
    pytest.mark.spark,
    # py4j leaves its local sockets to the garbage collector.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

TABLES = ("trends", "signals", "concentration", "lanes", "mirror", "propensity", "displacement")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark is not installed")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed")
    from iprisk.analysis.engines import spark_backend

    try:
        con = spark_backend(app_name="iprisk-parity")
    except Unsupported as exc:
        pytest.skip(str(exc))
    yield con
    con._session.stop()


def test_duckdb_and_spark_agree(spark: Any) -> None:
    from iprisk.analysis.engines import to_backend

    world = make_world(11, n_cells=60, n_quarters=12, planted=1)
    lines, trade = canonical_lines(world), trade_table(world)
    on_duckdb = analyse(ibis.memtable(lines), ibis.memtable(trade))
    on_spark = analyse(
        to_backend(spark, "seizures", ibis.memtable(lines)), to_backend(spark, "trade", ibis.memtable(trade))
    )
    _assert_same(on_duckdb, on_spark)
    assert not on_duckdb.signals.empty  # the comparison covered signals, not two empty tables


def _assert_same(a: Analysis, b: Analysis) -> None:
    assert (a.start, a.end) == (b.start, b.end)
    assert a.totals == pytest.approx(b.totals)
    for name in TABLES:
        x, y = getattr(a, name).reset_index(drop=True), getattr(b, name).reset_index(drop=True)
        pd.testing.assert_frame_equal(x, y, check_dtype=False, obj=name)


def test_lane_incidence_agrees_on_spark(spark: Any) -> None:
    from iprisk.analysis import concentration
    from iprisk.analysis.engines import to_backend
    from tests.analysis.test_tables import lane_world

    seizures, trade = lane_world()
    for by in ("lane", "office"):
        on_duckdb = concentration(seizures, by, trade=ibis.memtable(trade), end="2020Q1")
        on_spark = concentration(
            to_backend(spark, "lane_seizures", seizures),
            by,
            trade=to_backend(spark, "lane_trade", ibis.memtable(trade)),
            end="2020Q1",
        )
        pd.testing.assert_frame_equal(on_duckdb, on_spark, check_dtype=False, obj=by)
        # of the 3 lanes, one has no traffic; both offices have
        assert on_duckdb["cases_per_1000_consignments"].notna().sum() == 2
