"""The channel stores the conformance suite runs on: in memory, SQLite, PostgreSQL.

Every implementation of :class:`iprisk.exchange.ChannelStore` passes the same tests (test_inbox, test_outbox,
test_delivery). A backend makes empty stores and lets the tests' effects keep rows in the store's unit of work
(what a real effect does with its own tables), so "rolled back with the message" is checked on each store.

SQL stores come from a pool of migrated databases (SQLite files or PostgreSQL databases), emptied between
uses: migrating a fresh database for each of hundreds of Hypothesis schedules would take minutes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from typing import Any, Protocol

from sqlalchemy import (
    Column,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.engine import make_url

from iprisk.exchange import ChannelStore, MemoryChannelStore, MemoryTransaction
from iprisk.store import SqlChannelStore, SqlChannelTransaction, connect

POSTGRES_URL = os.environ.get("IPRISK_TEST_POSTGRES_URL", "")
BACKENDS = ("memory", "sqlite", "postgresql")

#: the tests' own rows (what an effect writes), kept apart from the store's schema
_TEST_METADATA = MetaData()
_TEST_ROWS = Table(
    "test_rows",
    _TEST_METADATA,
    Column("tbl", String(32), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("value", LargeBinary),
)
_CHANNEL_TABLES = ("channel_outgoing", "channel_incoming", "channel_refusals", "channel_attempts")


class Backend(Protocol):
    name: str

    def new_store(self) -> ChannelStore: ...

    def put(self, tx: Any, table: str, key: str, value: bytes) -> None: ...

    def rows(self, tx: Any, table: str) -> dict[str, bytes]: ...

    def release(self) -> None:
        """Give back every store made since the last release (they are emptied before reuse)."""
        ...


class MemoryBackend:
    name = "memory"

    def new_store(self) -> ChannelStore:
        return MemoryChannelStore()

    def put(self, tx: MemoryTransaction, table: str, key: str, value: bytes) -> None:
        tx.put(table, key, value)

    def rows(self, tx: MemoryTransaction, table: str) -> dict[str, bytes]:
        return dict(tx.rows(table))

    def release(self) -> None:
        return None


class SqlBackend:
    """Stores on a pool of migrated SQLite files or PostgreSQL databases; :meth:`close` drops them."""

    def __init__(self, name: str):
        self.name = name
        self._free: list[Engine] = []
        self._used: list[Engine] = []
        self._made: list[str] = []
        self._folder = tempfile.mkdtemp(prefix="iprisk-channel-") if name == "sqlite" else None
        self._admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT") if name != "sqlite" else None

    def _new_database(self) -> str:
        if self._folder is not None:
            return f"sqlite:///{self._folder}/store-{len(self._made)}.sqlite"
        assert self._admin is not None
        database = f"iprisk_channel_{uuid.uuid4().hex[:12]}"
        with self._admin.connect() as con:
            con.execute(text(f'CREATE DATABASE "{database}"'))
        self._made.append(database)
        return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)

    def new_store(self) -> ChannelStore:
        if self._free:
            engine = self._free.pop()
            with engine.begin() as con:
                for table in (*_CHANNEL_TABLES, "test_rows"):
                    con.execute(text(f"DELETE FROM {table}"))
        else:
            engine = connect(self._new_database())
            _without_durability(engine)
            _TEST_METADATA.create_all(engine)
            if self._folder is not None:
                self._made.append(str(engine.url))
        self._used.append(engine)
        return SqlChannelStore(engine)

    def put(self, tx: SqlChannelTransaction, table: str, key: str, value: bytes) -> None:
        where = (_TEST_ROWS.c.tbl == table) & (_TEST_ROWS.c.key == key)
        tx.connection.execute(delete(_TEST_ROWS).where(where))
        tx.connection.execute(insert(_TEST_ROWS).values(tbl=table, key=key, value=value))

    def rows(self, tx: SqlChannelTransaction, table: str) -> dict[str, bytes]:
        query = select(_TEST_ROWS.c.key, _TEST_ROWS.c.value).where(_TEST_ROWS.c.tbl == table)
        return {key: bytes(value) for key, value in tx.connection.execute(query)}

    def release(self) -> None:
        self._free.extend(self._used)
        self._used = []

    def close(self) -> None:
        for engine in self._free + self._used:
            engine.dispose()
        self._free, self._used = [], []
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        if self._admin is not None:
            with self._admin.connect() as con:
                for database in self._made:
                    con.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            self._admin.dispose()


def _without_durability(engine: Engine) -> None:
    """Commits that do not wait for the disk: the tests look at what a transaction does, not at whether it
    survives a power cut, and hundreds of schedules would otherwise wait for fsync at every step."""

    @event.listens_for(engine, "connect")
    def _relax(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA synchronous=OFF")
        else:
            cursor.execute("SET synchronous_commit TO OFF")
        cursor.close()
        if engine.dialect.name != "sqlite":
            dbapi_connection.commit()

    engine.dispose()  # connections made before the listener get it too


def make_backend(name: str) -> MemoryBackend | SqlBackend:
    return MemoryBackend() if name == "memory" else SqlBackend(name)
