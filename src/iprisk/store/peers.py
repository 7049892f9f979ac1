"""The peers a node exchanges with, and what it witnessed of their audit logs, in the operational DB.

A peer row holds where the peer answers (its URL), the key ring pinned for it
(:class:`iprisk.exchange.KeyRing` as JSON: every generation, when pinned, retired, revoked) and the peer's
audit keys (its log's and its witness's C2SP verifier keys), which arrive vouched for by the pinned channel
key. The witness rows hold, per
peer log, the largest checkpoint this node cosigned (:class:`iprisk.audit.WitnessState`).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Connection,
    DateTime,
    Engine,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from iprisk.audit import Checkpoint
from iprisk.errors import NotFound
from iprisk.exchange import KeyRing
from iprisk.store.db import Base, utc


class PeerRow(Base):
    """One peer node: its URL, its pinned key ring, its audit keys once known."""

    __tablename__ = "channel_peers"

    node: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(String(1024))
    keyring: Mapped[dict[str, Any]] = mapped_column(JSON)
    log_vkey: Mapped[str | None] = mapped_column(Text, nullable=True)
    witness_vkey: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WitnessRow(Base):
    """The largest checkpoint of a peer's log this node cosigned: what any later one must extend."""

    __tablename__ = "channel_witness"

    origin: Mapped[str] = mapped_column(String(255), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[str] = mapped_column(String(64))


_PEERS = cast(Table, PeerRow.__table__)
_WITNESS = cast(Table, WitnessRow.__table__)
#: read at every message sent (the rings): built once, SQLAlchemy then reuses its compiled form
_ALL_PEERS = select(_PEERS).order_by(_PEERS.c.node)


@dataclass(frozen=True)
class Peer:
    node: str
    url: str
    ring: KeyRing
    log_vkey: str | None
    witness_vkey: str | None
    updated_at: datetime


def _peer(row: Any) -> Peer:
    return Peer(
        row.node,
        row.url,
        KeyRing.from_dict(row.keyring),
        row.log_vkey,
        row.witness_vkey,
        utc(row.updated_at),
    )


class PeerBook:
    """The peers of a node. Reads take a connection (or open one); writes happen in the caller's
    transaction, so that pinning a key and the audit entry that records it commit together."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def peers(self, connection: Connection | None = None) -> dict[str, Peer]:
        if connection is None:
            with self.engine.connect() as fresh:
                return self.peers(fresh)
        return {row.node: _peer(row) for row in connection.execute(_ALL_PEERS)}

    def get(self, node: str, connection: Connection | None = None) -> Peer:
        peer = self.peers(connection).get(node)
        if peer is None:
            raise NotFound("peer", f"{node}: add it first (iprisk node peer add URL --fingerprint F)")
        return peer

    def rings(self, connection: Connection | None = None) -> dict[str, KeyRing]:
        return {node: peer.ring for node, peer in self.peers(connection).items()}

    def save(self, connection: Connection, peer: Peer) -> None:
        """Insert or replace the peer's row (its URL, ring and audit keys)."""
        values = {
            "url": peer.url,
            "keyring": peer.ring.as_dict(),
            "log_vkey": peer.log_vkey,
            "witness_vkey": peer.witness_vkey,
            "updated_at": peer.updated_at,
        }
        exists = connection.execute(select(_PEERS.c.node).where(_PEERS.c.node == peer.node)).first()
        if exists is None:
            connection.execute(insert(_PEERS).values(node=peer.node, **values))
        else:
            connection.execute(update(_PEERS).where(_PEERS.c.node == peer.node).values(**values))


class SqlWitnessState:
    """:class:`iprisk.audit.WitnessState` in the caller's transaction (the row is locked on PostgreSQL)."""

    def __init__(self, connection: Connection):
        self.connection = connection

    def latest(self, origin: str) -> Checkpoint | None:
        query = select(_WITNESS).where(_WITNESS.c.origin == origin)
        if self.connection.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.connection.execute(query).first()
        return None if row is None else Checkpoint(row.origin, row.size, base64.b64decode(row.root))

    def set_latest(self, checkpoint: Checkpoint) -> None:
        root = base64.b64encode(checkpoint.root).decode("ascii")
        where = _WITNESS.c.origin == checkpoint.origin
        if self.connection.execute(select(_WITNESS.c.origin).where(where)).first() is None:
            self.connection.execute(
                insert(_WITNESS).values(origin=checkpoint.origin, size=checkpoint.size, root=root)
            )
        else:
            self.connection.execute(update(_WITNESS).where(where).values(size=checkpoint.size, root=root))
