"""The conformance suite's ``backend`` fixture: each store test runs on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.exchange.backends import BACKENDS, POSTGRES_URL, Backend, SqlBackend, make_backend


@pytest.fixture(scope="session")
def _backends() -> Iterator[dict[str, Backend]]:
    made: dict[str, Backend] = {}
    yield made
    for backend in made.values():
        if isinstance(backend, SqlBackend):
            backend.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, _backends: dict[str, Backend]) -> Iterator[Backend]:
    """A channel-store backend; its stores are given back (and emptied) after the test."""
    name = request.param
    if name == "postgresql" and not POSTGRES_URL:
        pytest.skip("no PostgreSQL server: set IPRISK_TEST_POSTGRES_URL (CI does)")
    if name not in _backends:
        _backends[name] = make_backend(name)
    yield _backends[name]
    _backends[name].release()
