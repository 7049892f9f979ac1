"""Fixtures of the analysis tests: a small world, and the engines every engine-aware test runs on.

A test that takes ``engine`` runs once per engine, the way ibis runs one suite on every backend: on DuckDB
always, on PySpark (``local[1]`` with quick-start settings) where pyspark and Java are present (marked
``spark``; skipped otherwise).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ibis
import pytest

from tests.analysis.engines import Engine
from tests.analysis.worlds import World, canonical_lines, make_world, trade_table
from tests.conftest import SPARK_TEST_CONF, require_spark, spark_missing

#: Public third-party data next to the repository (``../shared/data``), never copied into it.
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def shared_data(name: str) -> Path:
    """The folder ``../shared/data/<name>``. Missing, the test is skipped on a workstation and FAILS in CI
    (``CI`` set): CI has the data, so a missing folder there is a broken setup, not a reason to pass."""
    path = SHARED_DATA / name
    if not path.is_dir():
        message = f"shared data {path} is missing"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must provide ../shared/data)")
        pytest.skip(message)
    return path


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
        con = spark_backend(app_name="iprisk-tests", cores=1, **SPARK_TEST_CONF)
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
