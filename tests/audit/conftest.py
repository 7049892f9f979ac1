"""The log tests are one conformance suite: they run on every :class:`iprisk.audit.LogStore`, the in-memory
one and the SQL one (SQLite and PostgreSQL) of the operational store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from iprisk.audit import LogStore, MemoryLogStore
from tests.conftest import fresh_database


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def log_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LogStore]:
    """An empty log store of each implementation (the SQL ones in an open session, committed at the end)."""
    if request.param == "memory":
        yield MemoryLogStore()
        return
    from sqlalchemy.orm import Session

    from iprisk.store import SqlLogStore, connect

    with fresh_database(request.param, tmp_path) as url:
        engine = connect(url)
        try:
            with Session(engine) as session, session.begin():
                yield SqlLogStore(session)
        finally:
            engine.dispose()
