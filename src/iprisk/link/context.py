"""The node's end of the channel: its store, its peers, its outbox and inbox, wired to its audit log.

A :class:`Link` is made from a node (:class:`iprisk.node.Node`, or anything with the same attributes) and
gives what the routes, the worker and the command line use: :meth:`Link.send` (enqueue a message in the
caller's unit of work), :meth:`Link.receive` (apply and receipt what arrives), :meth:`Link.deliver` (one
pass of delivery). Everything the channel does is recorded in the node's audit log, in the same transaction
(message queued, sent, receipted, expired, received, refused).

The key ring of each peer is read from the database at each use and the node's own keys are read again when
the key folder changes, so that a rotation or a revocation made by ``iprisk node keys ...`` in another
process takes effect in a running service at once.
"""

from __future__ import annotations

import functools
import random
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, Engine

from iprisk.exchange import (
    Clock,
    DeliveryRound,
    Inbox,
    KeyRing,
    NodeIdentity,
    Outbox,
    OutgoingMessage,
    RetryPolicy,
    load_identity,
)
from iprisk.link.kinds import kind, kinds
from iprisk.settings import Settings
from iprisk.store import PeerBook, SqlChannelStore, SqlChannelTransaction


class PeerClient(Protocol):
    """How the link reaches its peers (:class:`iprisk.link.http.HttpTransport`): the outbox's batch
    transport, plus the peer's card and sealed queries."""

    def __call__(self, recipient: str, wires: Sequence[str]) -> Sequence[str | Exception]: ...

    def card(self, base_url: str) -> dict[str, Any]: ...

    def query(self, recipient: str, sealed: str) -> str: ...


class NodeLike(Protocol):
    """What the link needs of a node (``iprisk.node.Node`` has it)."""

    name: str
    engine: Engine
    identity: NodeIdentity
    clock: Clock
    settings: Settings
    audit: Any  # iprisk.store.AuditTrail: record(session, kind, actor, subject, details)
    audit_keys: Any  # iprisk.node.AuditKeys: log and witness NoteSigners
    profiles: Any  # iprisk.store.ProfileStore


@dataclass(frozen=True)
class LinkConfig:
    """How the link delivers (from the settings; see docs/settings.md)."""

    ttl: timedelta = timedelta(days=14)
    batch_size: int = 64
    #: batches at the peer at once (> 1: it applies one while the receipts of the one before are recorded
    #: here; ``IPRISK_DELIVERY_IN_FLIGHT``, docs/channel.md)
    in_flight: int = 2
    lease: timedelta = timedelta(minutes=2)
    overlap: timedelta = timedelta(days=7)
    timeout_s: float = 60.0

    @classmethod
    def from_settings(cls, settings: Settings) -> LinkConfig:
        return cls(
            ttl=timedelta(days=settings.message_ttl_days),
            batch_size=settings.delivery_batch,
            in_flight=settings.delivery_in_flight,
            lease=timedelta(seconds=2 * settings.peer_timeout_s),
            overlap=timedelta(days=settings.key_overlap_days),
            timeout_s=settings.peer_timeout_s,
        )


class _KeyFolder:
    """The node's identity, read again from its key folder when ``identity.json`` changes."""

    def __init__(self, identity: NodeIdentity, folder: Path | None, passphrase: str | None):
        self._identity = identity
        self._folder = folder
        self._passphrase = passphrase
        self._stamp = self._current_stamp()
        self._lock = threading.Lock()

    def _current_stamp(self) -> float | None:
        if self._folder is None:
            return None
        try:
            return (self._folder / "identity.json").stat().st_mtime_ns
        except OSError:
            return None

    def identity(self) -> NodeIdentity:
        stamp = self._current_stamp()
        if stamp != self._stamp:
            with self._lock:
                if self._folder is not None and stamp is not None:
                    self._identity = load_identity(self._folder, self._passphrase)
                self._stamp = stamp
        return self._identity


class _Rings(Mapping[str, KeyRing]):
    """The peers' key rings for a run of messages, read again once a message of the run changed them (a
    rotation announced in a batch applies to the messages after it in the same batch)."""

    def __init__(self, link: Link):
        self._link = link
        self._seen = -1
        self._rings: dict[str, KeyRing] = {}

    def _current(self) -> dict[str, KeyRing]:
        if self._seen != self._link.rings_changed:
            self._rings, self._seen = self._link.rings(), self._link.rings_changed
        return self._rings

    def __getitem__(self, node: str) -> KeyRing:
        return self._current()[node]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())


class Link:
    def __init__(
        self,
        node: NodeLike,
        *,
        transport: PeerClient | None = None,
        warehouse: str | None = None,
        config: LinkConfig | None = None,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ):
        self.node = node
        self.name = node.name
        self.clock = node.clock
        self.store = SqlChannelStore(node.engine)
        self.peer_book = PeerBook(node.engine)
        self.config = config or LinkConfig.from_settings(node.settings)
        self.policy = policy or RetryPolicy(
            first=timedelta(seconds=node.settings.retry_first_s),
            cap=timedelta(seconds=node.settings.retry_cap_s),
        )
        self.rng = rng or random.Random()
        self.warehouse = warehouse if warehouse is not None else node.settings.warehouse
        passphrase = node.settings.key_passphrase
        self._keys = _KeyFolder(
            node.identity,
            Path(node.settings.key_folder) if node.settings.key_folder else None,
            passphrase.get_secret_value() if passphrase else None,
        )
        if transport is None:
            from iprisk.link.http import HttpTransport

            transport = HttpTransport(self.peer_urls, node.settings, timeout_s=self.config.timeout_s)
        self.transport: PeerClient = transport
        #: bumped by whatever changes a peer's key ring in this process (see :class:`_Rings`)
        self.rings_changed = 0
        #: called once a unit of work that queued messages has committed (the delivery worker wakes up)
        self._on_queued: list[Callable[[], None]] = []
        self._tx_rings: tuple[SqlChannelTransaction, int, dict[str, KeyRing]] | None = None
        if node.profiles is not None:  # the node's joint profiles travel: each step queues its message
            from iprisk.link.profiles import profile_hook

            node.profiles.on_change = profile_hook(self)
        if getattr(node, "referrals", None) is not None:  # and each referral step taken at this node
            from iprisk.link.referrals import attach_referrals

            attach_referrals(self)

    def close(self) -> None:
        """Close the connections to the peers (the node's database stays the node's to close)."""
        close = getattr(self.transport, "close", None)
        if close is not None:
            close()

    # -- who we are, whom we trust -----------------------------------------------------------------------
    @property
    def identity(self) -> NodeIdentity:
        return self._keys.identity()

    def rings(self, tx: SqlChannelTransaction | None = None) -> dict[str, KeyRing]:
        """The peers' key rings, as committed (or as seen in ``tx``: inside a unit of work, never open a
        second connection — on SQLite it would wait for the lock its own transaction holds)."""
        return self.peer_book.rings(tx.connection if tx is not None else None)

    def peer_urls(self) -> Mapping[str, str]:
        return {node: peer.url for node, peer in self.peer_book.peers().items()}

    # -- the audit trail ---------------------------------------------------------------------------------
    def observe(self, tx: SqlChannelTransaction, event: str, subject: str, details: dict[str, Any]) -> None:
        """Record a channel event in the node's audit log, in the channel's unit of work: the events of a
        unit of work are appended together just before it commits (a batch of messages appends its entries
        in a few statements, not three per entry)."""
        if self.node.audit is not None:
            tx.defer(self._record_events, (event, self.name, subject, details))

    def _record_events(self, connection: Connection, events: list[Any]) -> None:
        # on the connection: no ORM session (and savepoint) for the audit log
        self.node.audit.record_many(connection, events)

    # -- sending ----------------------------------------------------------------------------------------
    def _rings_in(self, tx: SqlChannelTransaction) -> dict[str, KeyRing]:
        """The peers' key rings as seen in ``tx``, read once per unit of work (a batch of messages queued
        together reads them once) and again if a ring changed meanwhile."""
        cached = self._tx_rings
        if cached is None or cached[0] is not tx or cached[1] != self.rings_changed:
            cached = (tx, self.rings_changed, self.rings(tx))
            self._tx_rings = cached  # one slot, replaced whole: threads sharing the link only miss
        return cached[2]

    def pinned(self, tx: SqlChannelTransaction, peer: str) -> bool:
        """Whether ``peer`` is pinned, as seen in ``tx``: from the rings its messages are sealed with (one
        read of the peers for both, instead of a look-up of the peer's row and then the rings)."""
        return peer in self._rings_in(tx)

    def outbox(self, tx: SqlChannelTransaction | None = None) -> Outbox:
        return Outbox(
            self.store,
            self.identity,
            self._rings_in(tx) if tx is not None else self.rings(),
            self.clock,
            policy=self.policy,
            rng=self.rng,
            observer=self.observe,
        )

    def on_queued(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (no arguments, quickly: it runs in the committing thread) whenever a unit of work
        that put messages in the outbox through :meth:`send` has committed."""
        self._on_queued.append(callback)

    def _queued(self) -> None:
        for callback in self._on_queued:
            callback()

    def send(
        self,
        tx: SqlChannelTransaction,
        kind_name: str,
        recipient: str,
        payload: bytes,
        *,
        key: str | None = None,
    ) -> OutgoingMessage:
        """Put a message of a registered kind in the outbox, in ``tx`` (the unit of work of its cause)."""
        message_kind = kind(kind_name)
        tx.on_commit(self._queued)
        return self.outbox(tx).enqueue(
            tx,
            message_kind.name,
            recipient,
            payload,
            ttl=min(message_kind.ttl, self.config.ttl),
            content_type=message_kind.content_type,
            key=key,
        )

    def deliver(self, limit: int = 500) -> DeliveryRound:
        """One pass of delivery: take the due messages (held for a lease), send them in batches, a few at
        once, check the receipts of each batch as it comes back."""
        return self.outbox().deliver_batches(
            self.transport,
            limit,
            lease=self.config.lease,
            batch_size=self.config.batch_size,
            in_flight=self.config.in_flight,
        )

    # -- receiving --------------------------------------------------------------------------------------
    def inbox(self) -> Inbox:
        effects = {name: functools.partial(k.handler, self) for name, k in kinds().items()}
        return Inbox(self.store, self.identity, _Rings(self), self.clock, effects, observer=self.observe)

    def receive(self, wire: str | bytes) -> str:
        """Open, apply once and receipt one sealed message; the receipt (raises what refused it)."""
        return self.inbox().receive(wire)

    def receive_many(self, wires: list[str]) -> list[str | Exception]:
        return self.inbox().receive_many(wires)
