"""The sender's side of delivery: a transactional outbox, retries with backoff, receipts checked.

A message is sealed once, when it is put in the outbox in the same unit of work as the change that causes
it; every retry sends the same bytes with the same id. Each attempt is committed (attempts, next attempt)
*before* the bytes leave, so a crash between commit and send only delays the next retry; a crash after the
send only causes a duplicate, which the receiver answers with the receipt it already gave.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from iprisk.exchange.clock import Clock
from iprisk.exchange.envelope import Message, seal
from iprisk.exchange.errors import BadReceipt, ChannelError, UnknownKey
from iprisk.exchange.keyring import KeyRing
from iprisk.exchange.keys import NodeIdentity
from iprisk.exchange.receipts import verify_receipt
from iprisk.exchange.store import OPEN_STATUSES, ChannelStore, ChannelTransaction, OutgoingMessage

#: sends ``wire`` to node ``recipient`` and returns the receipt token it answered; raises when the peer
#: cannot be reached or answers an error (the message is then retried)
Transport = Callable[[str, str], str]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: attempt n waits uniform(0, min(cap, first * factor**(n-1)))."""

    first: timedelta = timedelta(seconds=2)
    factor: float = 2.0
    cap: timedelta = timedelta(minutes=10)

    def delay(self, attempt: int, rng: random.Random) -> timedelta:
        ceiling = min(self.cap.total_seconds(), self.first.total_seconds() * self.factor ** (attempt - 1))
        return timedelta(seconds=rng.uniform(0.0, ceiling))


@dataclass
class DeliveryRound:
    """What one pass over the due messages did."""

    attempted: int = 0
    received: int = 0
    failed: int = 0
    transport_errors: list[str] = field(default_factory=list)


class Outbox:
    def __init__(
        self,
        store: ChannelStore,
        identity: NodeIdentity,
        peers: Mapping[str, KeyRing],
        clock: Clock,
        *,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ):
        self.store = store
        self.identity = identity
        self.peers = peers
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.rng = rng or random.Random()

    def enqueue(
        self,
        tx: ChannelTransaction,
        kind: str,
        recipient: str,
        payload: bytes,
        *,
        ttl: timedelta,
        content_type: str = "application/octet-stream",
    ) -> OutgoingMessage:
        """Seal a message and store it in ``tx``, the unit of work of the change that causes it."""
        now = self.clock.now()
        ring = self.peers.get(recipient)
        if ring is None:
            raise UnknownKey(f"no keys pinned for node {recipient!r}: register the peer first")
        message = Message.new(
            kind, self.identity.node, recipient, payload, now=now, ttl=ttl, content_type=content_type
        )
        sealed = seal(message, self.identity.current, ring.current(now))
        record = OutgoingMessage(
            id=message.id,
            kind=kind,
            recipient=recipient,
            wire=sealed.wire,
            digest=sealed.digest,
            created=message.created,
            expiry=message.expiry,
            next_attempt=now,
        )
        tx.add_outgoing(record)
        return record

    def due(self, limit: int = 100) -> list[OutgoingMessage]:
        with self.store.transaction() as tx:
            return tx.due_outgoing(self.clock.now(), limit)

    def start_attempt(self, message_id: str) -> OutgoingMessage | None:
        """Commit one more attempt and return the message to send now; None if it is no longer due."""
        now = self.clock.now()
        with self.store.transaction() as tx:
            message = tx.get_outgoing(message_id)
            if message is None or message.status not in OPEN_STATUSES:
                return None
            if now > message.expiry:
                tx.put_outgoing(replace(message, status="expired"))
                return None
            if message.next_attempt is not None and message.next_attempt > now:
                return None
            attempts = message.attempts + 1
            attempt = replace(
                message,
                status="sent",
                attempts=attempts,
                last_attempt=now,
                next_attempt=now + self.policy.delay(attempts, self.rng),
            )
            tx.put_outgoing(attempt)
            return attempt

    def accept_receipt(self, token: str | bytes) -> OutgoingMessage:
        """Check a receipt (signature, message, digest, parties) and record the message's final state.

        Idempotent: the same receipt again changes nothing. A late receipt for an expired message still
        records what happened; a different receipt for a message already receipted is refused.
        """
        now = self.clock.now()
        receipt = verify_receipt(token, self.peers, now)
        text = token if isinstance(token, str) else token.decode("ascii")
        with self.store.transaction() as tx:
            message = tx.get_outgoing(receipt.message_id)
            if message is None:
                raise BadReceipt(f"receipt for unknown message {receipt.message_id}")
            if receipt.sender != self.identity.node or receipt.receiver != message.recipient:
                raise BadReceipt(
                    f"receipt for {receipt.message_id} is from {receipt.receiver} to {receipt.sender}; "
                    f"the message went from {self.identity.node} to {message.recipient}"
                )
            if receipt.digest != message.digest:
                raise BadReceipt(
                    f"receipt for {receipt.message_id} acknowledges other content (digest differs)"
                )
            if message.receipt is not None:
                if message.receipt != text:
                    raise BadReceipt(f"message {message.id} already has a different receipt")
                return message
            done = replace(
                message,
                status="received" if receipt.accepted else "failed",
                receipt=text,
                reason=receipt.reason,
                next_attempt=None,
            )
            tx.put_outgoing(done)
            return done

    def expire_overdue(self) -> list[str]:
        """Mark expired every open message past its expiry; their ids."""
        now = self.clock.now()
        with self.store.transaction() as tx:
            overdue = [m for m in tx.outgoing() if m.status in OPEN_STATUSES and now > m.expiry]
            for message in overdue:
                tx.put_outgoing(replace(message, status="expired", next_attempt=None))
        return [m.id for m in overdue]

    def fail(self, message_id: str, reason: str) -> None:
        """An operator gives up on an open message: no more retries."""
        with self.store.transaction() as tx:
            message = tx.get_outgoing(message_id)
            if message is not None and message.status in OPEN_STATUSES:
                tx.put_outgoing(replace(message, status="failed", reason=reason, next_attempt=None))

    def deliver_due(self, transport: Transport, limit: int = 100) -> DeliveryRound:
        """One pass: send every due message, check the receipts that come back."""
        done = DeliveryRound()
        self.expire_overdue()
        for due in self.due(limit):
            attempt = self.start_attempt(due.id)
            if attempt is None:
                continue
            done.attempted += 1
            try:
                token = transport(attempt.recipient, attempt.wire)
            except (OSError, ChannelError) as exc:  # unreachable or refused now: retried after the backoff
                done.transport_errors.append(f"{attempt.id}: {type(exc).__name__}: {exc}")
                continue
            try:
                final = self.accept_receipt(token)
            except ChannelError as exc:  # a bad receipt proves nothing: the message stays open
                done.transport_errors.append(f"{attempt.id}: bad receipt: {type(exc).__name__}: {exc}")
                continue
            done.received += final.status == "received"
            done.failed += final.status == "failed"
        return done


def next_wakeup(outbox: Outbox) -> datetime | None:
    """When the next open message becomes due (for a worker that sleeps in between); None if none is open."""
    with outbox.store.transaction() as tx:
        times = [m.next_attempt for m in tx.outgoing() if m.status in OPEN_STATUSES and m.next_attempt]
    return min(times, default=None)
