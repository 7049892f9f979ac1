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

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, LargeBinary, SmallInteger, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from iprisk.audit import AuditEntry, AuditLog, NoteSigner
from iprisk.exchange.clock import Clock
from iprisk.store.db import Base

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


class SqlLogStore:
    """:class:`iprisk.audit.LogStore` over the caller's SQLAlchemy session (nothing is committed here)."""

    def __init__(self, session: Session):
        self.session = session

    def lock(self) -> None:
        """Hold the append lock until the session's transaction ends (call before reading the size)."""
        self.session.execute(select(AuditHeadRow.size).where(AuditHeadRow.id == _HEAD).with_for_update())

    def size(self) -> int:
        query = select(AuditHeadRow.size).where(AuditHeadRow.id == _HEAD)
        return int(self.session.execute(query).scalar_one())

    def append(self, entry: bytes, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        index = self.size()
        decoded = AuditEntry.decode(entry)
        self.session.add(
            AuditEntryRow(
                index=index,
                entry=entry,
                kind=decoded.kind[:64],
                actor=decoded.actor[:128],
                subject=decoded.subject[:256],
                at=decoded.time,
            )
        )
        self.session.add_all(AuditNodeRow(level=lv, index=i, hash=h) for lv, i, h in nodes)
        self.session.execute(update(AuditHeadRow).where(AuditHeadRow.id == _HEAD).values(size=index + 1))
        self.session.flush()

    def entry(self, index: int) -> bytes:
        row = self.session.get(AuditEntryRow, index)
        if row is None:
            raise IndexError(f"no audit entry {index}")
        return bytes(row.entry)

    def entries(self, start: int = 0, end: int | None = None) -> list[bytes]:
        query = select(AuditEntryRow.entry).where(AuditEntryRow.index >= start)
        if end is not None:
            query = query.where(AuditEntryRow.index < end)
        return [bytes(e) for e in self.session.scalars(query.order_by(AuditEntryRow.index))]

    def node(self, level: int, index: int) -> bytes:
        row = self.session.get(AuditNodeRow, (level, index))
        if row is None:
            raise KeyError(f"no audit tree node ({level}, {index})")
        return bytes(row.hash)

    def put_checkpoint(self, size: int, note: str) -> None:
        row = self.session.get(AuditCheckpointRow, size)
        if row is None:
            self.session.add(AuditCheckpointRow(size=size, note=note))
        else:
            row.note = note
        self.session.flush()

    def checkpoint(self, size: int) -> str | None:
        row = self.session.get(AuditCheckpointRow, size)
        return None if row is None else row.note

    def checkpoints(self) -> list[str]:
        return list(self.session.scalars(select(AuditCheckpointRow.note).order_by(AuditCheckpointRow.size)))


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
        self, session: Session, kind: str, actor: str, subject: str, details: Mapping[str, Any] | None = None
    ) -> int:
        """Append one entry in ``session``'s transaction (which the caller commits); its index."""
        store = SqlLogStore(session)
        store.lock()
        log = AuditLog(store, self.signer, self.clock)
        index = log.append(kind, actor, subject, details)
        if (index + 1) % self.checkpoint_every == 0:
            log.checkpoint()
        return index

    def checkpoint(self, session: Session) -> str:
        """Sign (or return, when nothing was appended since) the checkpoint of the log as it is now."""
        store = SqlLogStore(session)
        store.lock()
        return AuditLog(store, self.signer, self.clock).checkpoint()
