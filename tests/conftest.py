"""Fixtures shared across the test packages."""

from __future__ import annotations

import importlib.util
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from iprisk.cli import main
from iprisk.settings import get_settings

#: A PostgreSQL server the tests may create databases on, e.g.
#: ``postgresql+psycopg://iprisk:iprisk@127.0.0.1:5432/postgres``. CI starts one (``.ci/run``); without it the
#: PostgreSQL variants of the operational-store tests are skipped, the SQLite ones still run.
POSTGRES_URL = os.environ.get("IPRISK_TEST_POSTGRES_URL", "")


#: Spark settings for tests: their tables have tens of rows, so the time goes into planning and starting
#: tasks, not into data: one partition per shuffle, no compression, the JVM's quick (C1) compiler only and
#: the serial collector (the JIT's optimising compiler and parallel GC pay off only on long jobs).
SPARK_TEST_CONF = {
    "spark.sql.shuffle.partitions": "1",
    "spark.default.parallelism": "1",
    "spark.rdd.compress": "false",
    "spark.shuffle.compress": "false",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
}


def require_spark() -> None:
    """Skip the calling test (or fixture) unless pyspark and Java are installed; in CI, fail it instead."""
    if importlib.util.find_spec("pyspark") is None:
        spark_missing("pyspark is not installed")
    if shutil.which("java") is None:
        spark_missing("Java is not installed")


def spark_missing(reason: str) -> None:
    """Skip a test that needs Spark, except in CI (``CI=true``), where Spark must run: there it fails, so
    that the parity of the engines is never silently left untested."""
    _missing("Spark", reason)


def require_shared(path: Path) -> None:
    """Skip a test whose public data (under ``../shared/data``) is not here, except in CI, where it fails."""
    if not path.exists():
        _missing("the public data", f"{path} is not present")


def _missing(what: str, reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(f"{what} is needed in CI: {reason}")
    pytest.skip(reason)


def spark_modules_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """The test modules holding a ``spark`` test first, each whole and in its order, the rest as collected.

    xdist (``-n 2``) hands each worker a first batch of consecutive tests (about 200): together at the front,
    the Spark tests run in one worker and share one Spark session (each start costs seconds of CPU); spread
    over the collection, they could start one in each worker. Only they move: the slow modules moved to the
    front too put all of them in one worker's first batch, which the other worker cannot take from (a model
    of xdist's scheduling over the durations of a whole run: 23 % longer, the workers ending 1,768 s apart,
    against 1 s in collection order).
    """
    with_spark = {item.path for item in items if item.get_closest_marker("spark")}
    return sorted(items, key=lambda item: item.path not in with_spark)  # stable: False (Spark) first


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items[:] = spark_modules_first(items)


@contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[str]:
    """The URL of a fresh, empty database: a SQLite file in ``folder``, or a new database on the PostgreSQL
    server (dropped afterwards). Skips the test when ``kind`` is postgresql and no server is configured."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'ops-{uuid.uuid4().hex[:8]}.sqlite'}"
        return
    if not POSTGRES_URL:
        pytest.skip("no PostgreSQL server: set IPRISK_TEST_POSTGRES_URL (CI does)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"iprisk_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as con:
            con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty operational database: a SQLite file, or a new database on the PostgreSQL server."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings read anew for the test (and after it), with a known submitting user."""
    monkeypatch.setenv("IPRISK_USER", "tester")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]):
    """Run the ``iprisk`` command line in-process: ``run("submit", path) -> (exit code, stdout, stderr)``."""

    def _run(*argv: str | Path) -> tuple[int, str, str]:
        try:
            main([str(a) for a in argv])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return _run
