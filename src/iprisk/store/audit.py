"""The audit log in the operational database: :class:`iprisk.audit.LogStore` on SQLAlchemy, and the node's
:class:`AuditTrail`, which appends in the caller's transaction.

An entry is recorded in the **same transaction** as the state change it describes: the change and its entry
commit together or not at all (a crash loses neither alone). Appends are serialised by the single row of
``audit_head`` (it holds the size): the writer locks it (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite
transactions already run one at a time, see :mod:`iprisk.store.db`) and keeps it until its transaction ends,
so entries are numbered without gaps or duplicates across processes. Record last in a transaction: the lock
is then held only for the append and the commit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    DateTime,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from iprisk.audit import AuditLog, NoteSigner
from iprisk.exchange.clock import Clock
from iprisk.store.db import Base

#: One entry to record: kind, actor, subject, details.
Event = tuple[str, str, str, Mapping[str, Any] | None]

#: The id of the one row of ``audit_head``.
_HEAD = 1


class AuditEntryRow(Base):
    """One entry: the canonical bytes that are hashed, and a few of their fields copied for queries."""

    __tablename__ = "audit_entries"

    index: Mapped[int] = mapped_column("idx", BigInteger, primary_key=True, autoincrement=False)
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(128))
    subject: Mapped[str] = mapped_column(String(256))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditNodeRow(Base):
    """The hash of one complete subtree (level, index) of the Merkle tree; level 0 holds the leaf hashes."""

    __tablename__ = "audit_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column("idx", BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditCheckpointRow(Base):
    """A signed checkpoint (C2SP signed note) of the log at ``size``, with the cosignatures it gathered."""

    __tablename__ = "audit_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    note: Mapped[str] = mapped_column(Text)


class AuditHeadRow(Base):
    """The log's size, in one row: the lock that serialises appends."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)


# The statements of an append, built once (building a statement costs more than running it on SQLite).
_LOCK_HEAD = select(AuditHeadRow.size).where(AuditHeadRow.id == _HEAD).with_for_update()
_HEAD_SIZE = select(AuditHeadRow.size).where(AuditHeadRow.id == _HEAD)
_SET_SIZE = update(AuditHeadRow).where(AuditHeadRow.id == _HEAD).values(size=bindparam("new_size"))
_INSERT_ENTRY = insert(AuditEntryRow)
_INSERT_NODE = insert(AuditNodeRow)
_ENTRY = select(AuditEntryRow.entry).where(AuditEntryRow.index == bindparam("idx"))
_CHECKPOINT = select(AuditCheckpointRow.note).where(AuditCheckpointRow.size == bindparam("at_size"))
_SET_CHECKPOINT = (
    update(AuditCheckpointRow)
    .where(AuditCheckpointRow.size == bindparam("at_size"))
    .values(note=bindparam("note"))
)
_NODE = select(AuditNodeRow.hash).where(
    AuditNodeRow.level == bindparam("level"), AuditNodeRow.index == bindparam("idx")
)


class SqlLogStore:
    """:class:`iprisk.audit.LogStore` over the caller's SQLAlchemy session (nothing is committed here).

    Entries and tree nodes are read and written with Core statements on the session's connection (no ORM
    objects: an append is five statements, not a dozen flushes). After :meth:`lock`, the store is the only
    appender until the transaction ends: it keeps the size, and the nodes the next append reads (the
    *frontier*: the complete subtrees left of the next leaf).
    """

    def __init__(self, session: Session | Connection):
        self.session = session
        self._size: int | None = None  # known only while this store holds the append lock
        self._nodes: dict[tuple[int, int], bytes] = {}
        self._connection: Connection | None = None  # bound by lock()
        #: rows appended but not written yet (see :meth:`buffered`): entries, tree nodes
        self._pending: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None

    def _execute(self, statement: Any, parameters: Any = None) -> Any:
        connection = self._connection or _connection_of(self.session)
        return connection.execute(statement, parameters)

    @contextmanager
    def buffered(self) -> Iterator[None]:
        """Append without writing, then write every entry and tree node of the block at its end in three
        statements (entries, nodes, size) instead of three per entry: what a batch of messages records.
        Needs :meth:`lock` (the size and the frontier are then known without reading the rows back)."""
        if self._size is None:
            raise RuntimeError("buffered appends need the append lock")
        if self._pending is not None:  # nested: the outer block writes
            yield
            return
        self._pending = ([], [])
        try:
            yield
            entries, nodes = self._pending
            if entries:
                self._execute(_INSERT_ENTRY, entries)
                self._execute(_INSERT_NODE, nodes)
                self._execute(_SET_SIZE, {"new_size": self._size})
        finally:
            self._pending = None

    def lock(self) -> None:
        """Hold the append lock until the session's transaction ends, and read the size and the frontier
        under it. The store then works on that transaction's connection, whichever session shares it."""
        self._connection = _connection_of(self.session)
        self._size = int(self._execute(_LOCK_HEAD).scalar_one())
        for level, index in _frontier(self._size):
            self._nodes[(level, index)] = self.node(level, index)

    def size(self) -> int:
        if self._size is not None:
            return self._size
        return int(self._execute(_HEAD_SIZE).scalar_one())

    def append(self, entry: bytes, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        index = self.size()
        # the entry was just encoded by the log: its columns are read back without the checks of
        # AuditEntry.decode (strptime alone cost more than the rest of the row)
        fields = json.loads(entry)
        row = {
            "idx": index,  # Core statements name the columns, not the mapped attributes
            "entry": entry,
            "kind": fields["kind"][:64],
            "actor": fields["actor"][:128],
            "subject": fields["subject"][:256],
            "at": datetime.fromisoformat(fields["time"]),
        }
        node_rows = [{"level": lv, "idx": i, "hash": h} for lv, i, h in nodes]
        if self._pending is not None:
            self._pending[0].append(row)
            self._pending[1].extend(node_rows)
        else:
            self._execute(_INSERT_ENTRY, row)
            self._execute(_INSERT_NODE, node_rows)
            self._execute(_SET_SIZE, {"new_size": index + 1})
        if self._size is not None:
            self._size = index + 1
            self._nodes.update({(lv, i): h for lv, i, h in nodes})

    def entry(self, index: int) -> bytes:
        found = self._execute(_ENTRY, {"idx": index}).scalar()
        if found is None:
            raise IndexError(f"no audit entry {index}")
        return bytes(found)

    def entries(self, start: int = 0, end: int | None = None) -> list[bytes]:
        query = select(AuditEntryRow.entry).where(AuditEntryRow.index >= start)
        if end is not None:
            query = query.where(AuditEntryRow.index < end)
        return [bytes(e) for e in self._execute(query.order_by(AuditEntryRow.index)).scalars()]

    def node(self, level: int, index: int) -> bytes:
        cached = self._nodes.get((level, index))
        if cached is not None:
            return cached
        found = self._execute(_NODE, {"level": level, "idx": index}).scalar()
        if found is None:
            raise KeyError(f"no audit tree node ({level}, {index})")
        return bytes(found)

    def put_checkpoint(self, size: int, note: str) -> None:
        if self.checkpoint(size) is None:
            self._execute(insert(AuditCheckpointRow), {"size": size, "note": note})
        else:
            self._execute(_SET_CHECKPOINT, {"at_size": size, "note": note})

    def checkpoint(self, size: int) -> str | None:
        found = self._execute(_CHECKPOINT, {"at_size": size}).scalar()
        return None if found is None else str(found)

    def checkpoints(self) -> list[str]:
        query = select(AuditCheckpointRow.note).order_by(AuditCheckpointRow.size)
        return [str(note) for note in self._execute(query).scalars()]


class AuditTrail:
    """The node's audit log over its database: record state changes in the caller's transaction.

    ``signer`` is the log's key (its name is the log's origin, e.g. ``iprisk.eu/audit``); a checkpoint is
    signed every ``checkpoint_every`` entries, in the transaction of the entry that completes the batch.
    """

    def __init__(self, signer: NoteSigner, clock: Clock, *, checkpoint_every: int = 100):
        self.signer = signer
        self.clock = clock
        self.checkpoint_every = checkpoint_every

    def log(self, session: Session) -> AuditLog:
        """The log as seen by ``session`` (for proofs, checkpoints and reading)."""
        return AuditLog(SqlLogStore(session), self.signer, self.clock)

    def record(
        self,
        session: Session | Connection,
        kind: str,
        actor: str,
        subject: str,
        details: Mapping[str, Any] | None = None,
    ) -> int:
        """Append one entry in the transaction of ``session`` (an ORM session, or a connection: what the
        caller commits); its index."""
        log = AuditLog(_appender(session), self.signer, self.clock)
        index = log.append(kind, actor, subject, details)
        if (index + 1) % self.checkpoint_every == 0:
            log.checkpoint()
        return index

    def record_many(self, session: Session | Connection, events: Sequence[Event]) -> list[int]:
        """Append several entries (kind, actor, subject, details) in the transaction of ``session``, in
        order, written together (a batch of messages: three statements, not three per entry); their
        indexes. Checkpoints are signed where :meth:`record` would sign them."""
        store = _appender(session)
        log = AuditLog(store, self.signer, self.clock)
        indexes = []
        with store.buffered():
            for kind, actor, subject, details in events:
                index = log.append(kind, actor, subject, details)
                if (index + 1) % self.checkpoint_every == 0:
                    log.checkpoint()
                indexes.append(index)
        return indexes

    def checkpoint(self, session: Session) -> str:
        """Sign (or return, when nothing was appended since) the checkpoint of the log as it is now."""
        store = SqlLogStore(session)
        store.lock()
        return AuditLog(store, self.signer, self.clock).checkpoint()


def _frontier(size: int) -> list[tuple[int, int]]:
    """The tree nodes that appending entry number ``size`` reads: the previous leaf, and the left sibling
    of each subtree the new leaf completes (see :meth:`iprisk.audit.AuditLog.append`)."""
    wanted = [(0, size - 1)] if size else []
    level, position = 0, size
    while position & 1:
        wanted.append((level, position - 1))
        level, position = level + 1, position >> 1
    return list(dict.fromkeys(wanted))


#: where a connection keeps its appender: (the transaction it was made in, the store holding the lock)
_APPENDER = "iprisk.audit.appender"


def _connection_of(session: Session | Connection) -> Connection:
    """The connection of a session's transaction (begun if it has none yet), or the connection itself."""
    return session.connection() if isinstance(session, Session) else session


def _appender(session: Session | Connection) -> SqlLogStore:
    """The store that appends in the current (innermost) transaction of ``session``'s connection, locked once
    per transaction: a unit of work recording many entries (a batch of messages) reads the size and the
    frontier once. Keyed by the connection's transaction, so that every session sharing one connection
    (a channel unit of work and the sessions of its effects) appends through the same store; a new
    transaction or savepoint gets a new one, so a savepoint rolled back never leaves a stale size behind."""
    connection = _connection_of(session)
    transaction = connection.get_nested_transaction() or connection.get_transaction()
    cached = connection.info.get(_APPENDER)
    if cached is not None and cached[0] is transaction:
        return cast(SqlLogStore, cached[1])
    store = SqlLogStore(session)
    store.lock()
    connection.info[_APPENDER] = (transaction, store)
    return store
