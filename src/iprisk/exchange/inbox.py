"""The receiver's side of delivery: an idempotent inbox keyed by message id.

A message that checks out is applied once: its effect runs in the same unit of work as the inbox row and
the receipt, so either all three are committed or none. A duplicate (a retry, a replay) gets the stored
receipt, byte for byte, and is not applied again. What cannot be authenticated is recorded as a refusal and
raises; what is authenticated but refused (expired, no handler for its kind, refused by its effect) gets a
signed "refused" receipt, so that the sender stops retrying.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from iprisk.errors import IpriskError
from iprisk.exchange._encoding import sha256_b64url
from iprisk.exchange.clock import Clock
from iprisk.exchange.envelope import Opened, check_fresh, open_sealed
from iprisk.exchange.errors import ChannelError, DuplicateMessage
from iprisk.exchange.keyring import KeyRing
from iprisk.exchange.keys import NodeIdentity
from iprisk.exchange.receipts import Receipt, sign_receipt
from iprisk.exchange.store import ChannelStore, ChannelTransaction, IncomingMessage, Refusal

#: applies a message; receives the unit of work (the store's transaction) and the opened message. Raising an
#: IpriskError refuses the message for good (signed "refused" receipt); any other exception is transient
#: (nothing is committed, no receipt, the sender retries).
Effect = Callable[[Any, Opened], None]


class _Refused(Exception):
    """Rolls back an effect that refused its message; carries the reason to the refusal receipt."""

    def __init__(self, reason: str):
        self.reason = reason


class Inbox:
    def __init__(
        self,
        store: ChannelStore,
        identity: NodeIdentity,
        peers: Mapping[str, KeyRing],
        clock: Clock,
        effects: Mapping[str, Effect],
    ):
        self.store = store
        self.identity = identity
        self.peers = peers
        self.clock = clock
        self.effects = effects

    def receive(self, wire: str | bytes) -> str:
        """Open, apply once and receipt a sealed message; the receipt token to answer the sender with."""
        now = self.clock.now()
        try:
            opened = open_sealed(wire, self.identity, self.peers, now)
        except ChannelError as exc:
            self._record_refusal(wire, exc, now)
            raise
        try:
            return self._apply(opened, now)
        except DuplicateMessage:  # a concurrent delivery of the same message committed first
            return self._stored_receipt(opened.message.id)
        except _Refused as refused:
            return self._refuse(opened, refused.reason, now)

    def _apply(self, opened: Opened, now: datetime) -> str:
        with self.store.transaction() as tx:
            existing = tx.get_incoming(opened.message.id)
            if existing is not None:
                return existing.receipt
            reason = self._reason_to_refuse(opened, now)
            if reason is not None:
                return self._record(tx, opened, now, reason)
            try:
                self.effects[opened.message.kind](tx, opened)
            except IpriskError as exc:
                raise _Refused(f"{type(exc).__name__}: {exc}") from exc
            return self._record(tx, opened, now, None)

    def _reason_to_refuse(self, opened: Opened, now: datetime) -> str | None:
        try:
            check_fresh(opened.message, now)
        except ChannelError as exc:
            return f"{type(exc).__name__}: {exc}"
        if opened.message.kind not in self.effects:
            return f"no handler for messages of kind {opened.message.kind!r} at {self.identity.node}"
        return None

    def _refuse(self, opened: Opened, reason: str, now: datetime) -> str:
        try:
            with self.store.transaction() as tx:
                existing = tx.get_incoming(opened.message.id)
                return existing.receipt if existing else self._record(tx, opened, now, reason)
        except DuplicateMessage:
            return self._stored_receipt(opened.message.id)

    def _record(self, tx: ChannelTransaction, opened: Opened, now: datetime, reason: str | None) -> str:
        message = opened.message
        receipt = sign_receipt(
            Receipt(
                message.id,
                opened.digest,
                message.sender,
                self.identity.node,
                now,
                "accepted" if reason is None else "refused",
                reason,
            ),
            self.identity.current,
        )
        tx.add_incoming(
            IncomingMessage(
                id=message.id,
                kind=message.kind,
                sender=message.sender,
                digest=opened.digest,
                signed=opened.signed,
                received_at=now,
                outcome="accepted" if reason is None else "refused",
                reason=reason,
                receipt=receipt,
            )
        )
        return receipt

    def _stored_receipt(self, message_id: str) -> str:
        with self.store.transaction() as tx:
            stored = tx.get_incoming(message_id)
        if stored is None:  # cannot happen with a store whose inserts are atomic
            raise DuplicateMessage(message_id)
        return stored.receipt

    def _record_refusal(self, wire: str | bytes, exc: ChannelError, now: datetime) -> None:
        raw = wire if isinstance(wire, bytes) else wire.encode("utf-8", "replace")
        with self.store.transaction() as tx:
            tx.add_refusal(Refusal(now, type(exc).__name__, str(exc)[:500], sha256_b64url(raw)))
