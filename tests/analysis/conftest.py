"""Fixtures of the analysis tests: a small world, and the engines every engine-aware test runs on.

A test that takes ``engine`` runs once per engine, the way ibis runs one suite on every backend: on DuckDB
always, on PySpark (``local[2]``) where pyspark and Java are present (marked ``spark``; skipped otherwise).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ibis
import pytest

from tests.analysis.engines import Engine
from tests.analysis.worlds import World, canonical_lines, make_world, trade_table
from tests.conftest import require_spark, spark_missing


@pytest.fixture(scope="module")
def world() -> World:
    return make_world(3)


@pytest.fixture(scope="module")
def lines(world: World) -> ibis.Table:
    return ibis.memtable(world.lines)


@pytest.fixture(scope="module")
def full(world: World) -> ibis.Table:
    return ibis.memtable(canonical_lines(world))


@pytest.fixture(scope="module")
def trade(world: World) -> ibis.Table:
    return ibis.memtable(trade_table(world))


@pytest.fixture(scope="session")
def spark_con() -> Iterator[Any]:
    """One local Spark session for the test process (starting one takes seconds)."""
    require_spark()
    from iprisk.analysis.engines import spark_backend
    from iprisk.errors import Unsupported

    try:
        con = spark_backend(app_name="iprisk-tests")
    except Unsupported as exc:
        spark_missing(str(exc))
        raise
    yield con
    con._session.stop()


_SPARK = pytest.param(
    "spark",
    marks=[
        pytest.mark.spark,
        # py4j leaves its local sockets to the garbage collector.
        pytest.mark.filterwarnings("ignore::ResourceWarning"),
        pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    ],
)


@pytest.fixture(params=["duckdb", _SPARK])
def engine(request: pytest.FixtureRequest) -> Engine:
    if request.param == "duckdb":
        return Engine("duckdb")
    return Engine("spark", request.getfixturevalue("spark_con"))
