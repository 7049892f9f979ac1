"""The sender's side of delivery: a transactional outbox, retries with backoff, receipts checked.

A message is sealed once, when it is put in the outbox in the same unit of work as the change that causes
it; every retry sends the same bytes with the same id. Each attempt is committed (attempts, next attempt)
*before* the bytes leave, so a crash between commit and send only delays the next retry; a crash after the
send only causes a duplicate, which the receiver answers with the receipt it already gave.

A worker takes the due messages with :meth:`Outbox.claim_due` (one unit of work; the store's row locks keep
two workers from taking the same message) and may hold them for a *lease*: another worker does not take them
again before the lease ends, so a slow send is not duplicated by a second worker; a failed send gives the
message back to the normal backoff (:meth:`Outbox.release`); a crashed worker's messages are retried when
the lease ends.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from iprisk.exchange.clock import Clock
from iprisk.exchange.envelope import Message, seal
from iprisk.exchange.errors import BadReceipt, ChannelError, UnknownKey
from iprisk.exchange.keyring import KeyRing
from iprisk.exchange.keys import NodeIdentity, NodeKeys
from iprisk.exchange.receipts import Receipt, verify_receipt
from iprisk.exchange.store import (
    OPEN_STATUSES,
    Attempt,
    ChannelObserver,
    ChannelStore,
    ChannelTransaction,
    OutgoingMessage,
    no_observer,
)

#: sends ``wire`` to node ``recipient`` and returns the receipt token it answered; raises when the peer
#: cannot be reached or answers an error (the message is then retried)
Transport = Callable[[str, str], str]
#: sends several messages to one node at once; per message, in order, the receipt token or the error
#: (``OSError`` / ``ChannelError``) that stopped it. Raising fails the whole batch.
BatchTransport = Callable[[str, Sequence[str]], Sequence["str | Exception"]]


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
    #: per message receipted in the pass, seconds from its creation to its receipt checked
    delivered_after: list[float] = field(default_factory=list)


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
        observer: ChannelObserver | None = None,
    ):
        self.store = store
        self.identity = identity
        self.peers = peers
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.rng = rng or random.Random()
        self.observe: ChannelObserver = observer or no_observer

    def enqueue(
        self,
        tx: ChannelTransaction,
        kind: str,
        recipient: str,
        payload: bytes,
        *,
        ttl: timedelta,
        content_type: str = "application/octet-stream",
        key: str | None = None,
        signing: NodeKeys | None = None,
    ) -> OutgoingMessage:
        """Seal a message and store it in ``tx``, the unit of work of the change that causes it.

        With a ``key`` (e.g. ``stats:DE:2026Q1:v2``), enqueueing is idempotent: when a message with that key
        is already in the outbox, it is returned and nothing new is sealed or stored. ``signing`` is the key
        generation that signs (default the current one; a rotation is announced with the previous one, the
        only one the peer knows yet).
        """
        if key is not None:
            existing = tx.outgoing_by_key(key)
            if existing is not None:
                return existing
        now = self.clock.now()
        ring = self.peers.get(recipient)
        if ring is None:
            raise UnknownKey(f"no keys pinned for node {recipient!r}: register the peer first")
        message = Message.new(
            kind, self.identity.node, recipient, payload, now=now, ttl=ttl, content_type=content_type
        )
        sealed = seal(message, signing or self.identity.current, ring.current(now))
        record = OutgoingMessage(
            id=message.id,
            kind=kind,
            recipient=recipient,
            wire=sealed.wire,
            digest=sealed.digest,
            created=message.created,
            expiry=message.expiry,
            next_attempt=now,
            key=key,
        )
        tx.add_outgoing(record)
        details = {"kind": kind, "peer": recipient, "digest": sealed.digest, "bytes": len(payload)}
        self.observe(tx, "message.queued", record.id, details | ({"key": key} if key else {}))
        return record

    def due(self, limit: int = 100) -> list[OutgoingMessage]:
        with self.store.transaction() as tx:
            return tx.due_outgoing(self.clock.now(), limit)

    def _attempt(
        self, tx: ChannelTransaction, message: OutgoingMessage, now: datetime, lease: timedelta | None
    ) -> tuple[OutgoingMessage, Attempt]:
        """One more attempt of ``message`` (observed in ``tx``): its new row and its history line, for the
        caller to write (a batch writes them all at once)."""
        attempts = message.attempts + 1
        wait = self.policy.delay(attempts, self.rng)
        attempt = replace(
            message,
            status="sent",
            attempts=attempts,
            last_attempt=now,
            next_attempt=now + max(wait, lease or timedelta(0)),
        )
        details = {"kind": message.kind, "peer": message.recipient, "attempt": attempts}
        self.observe(tx, "message.sent", message.id, details)
        return attempt, Attempt(message.id, attempts, now, "sent")

    def start_attempt(self, message_id: str) -> OutgoingMessage | None:
        """Commit one more attempt and return the message to send now; None if it is no longer due."""
        now = self.clock.now()
        with self.store.transaction() as tx:
            message = tx.get_outgoing(message_id)
            if message is None or message.status not in OPEN_STATUSES:
                return None
            if now > message.expiry:
                self._expire(tx, message)
                return None
            if message.next_attempt is not None and message.next_attempt > now:
                return None
            return self._write_attempts(tx, [self._attempt(tx, message, now, None)])[0]

    def claim_due(self, limit: int = 100, lease: timedelta | None = None) -> list[OutgoingMessage]:
        """Expire what is overdue, take up to ``limit`` due messages and commit one more attempt of each, in
        one unit of work; the messages to send now. With a ``lease``, they are not due again before it ends
        (unless :meth:`release` gives them back)."""
        now = self.clock.now()
        with self.store.transaction() as tx:
            for message in tx.overdue_outgoing(now):
                self._expire(tx, message)
            made = [self._attempt(tx, m, now, lease) for m in tx.due_outgoing(now, limit)]
            return self._write_attempts(tx, made)

    @staticmethod
    def _write_attempts(
        tx: ChannelTransaction, made: Sequence[tuple[OutgoingMessage, Attempt]]
    ) -> list[OutgoingMessage]:
        tx.put_outgoings([message for message, _ in made])
        tx.add_attempts([attempt for _, attempt in made])
        return [message for message, _ in made]

    def release(self, failures: Mapping[str, str], *, together: Collection[str] = ()) -> None:
        """Give messages whose send failed (id -> what went wrong) back to the backoff of their attempt.

        The messages to a recipient in ``together`` (a peer found unreachable) are all due again at one
        time, the backoff of the most tried of them: the next pass tries that peer once with all of them,
        instead of each message knocking on its own, hundreds of times a second, at a peer that is down.
        One unit of work: the rows read, changed and their attempt lines written in a statement each."""
        if not failures:
            return
        now = self.clock.now()
        with self.store.transaction() as tx:
            stored = tx.get_outgoings(list(failures))
            released = [
                (m, last)
                for m in stored.values()
                if m.status == "sent" and (last := m.last_attempt) is not None
            ]
            most_tried: dict[str, int] = {}
            for message, _ in released:
                if message.recipient in together:
                    most_tried[message.recipient] = max(
                        most_tried.get(message.recipient, 0), message.attempts
                    )
            at_once = {peer: now + self.policy.delay(tries, self.rng) for peer, tries in most_tried.items()}
            made = []
            for message, last_attempt in released:
                retry = at_once.get(message.recipient)
                if retry is None:  # due at once if the send took longer than the backoff
                    retry = last_attempt + self.policy.delay(message.attempts, self.rng)
                detail = failures[message.id][:500]
                attempt = Attempt(message.id, message.attempts, now, "error", detail)
                made.append((replace(message, next_attempt=retry), attempt))
            self._write_attempts(tx, made)

    def accept_receipt(self, token: str | bytes) -> OutgoingMessage:
        """Check a receipt (signature, message, digest, parties) and record the message's final state.

        Idempotent: the same receipt again changes nothing. A late receipt for an expired message still
        records what happened; a different receipt for a message already receipted is refused.
        """
        receipt = verify_receipt(token, self.peers, self.clock.now())
        text = token if isinstance(token, str) else token.decode("ascii")
        outcome = self._record_receipts({receipt.message_id: (receipt, text)})[receipt.message_id]
        if isinstance(outcome, ChannelError):
            raise outcome
        return outcome

    def accept_receipts(
        self, receipts: Sequence[tuple[str, str]]
    ) -> dict[str, OutgoingMessage | ChannelError]:
        """Check receipts answering the given message ids (id, token) and record them in one unit of work;
        per id, the message in its final state or why its receipt was refused."""
        now = self.clock.now()
        results: dict[str, OutgoingMessage | ChannelError] = {}
        checked: dict[str, tuple[Receipt, str]] = {}
        for message_id, token in receipts:
            try:
                receipt = verify_receipt(token, self.peers, now)
                if receipt.message_id != message_id:
                    raise BadReceipt(f"receipt for {receipt.message_id} answers message {message_id}")
                checked[message_id] = (receipt, token)
            except ChannelError as exc:
                results[message_id] = exc
        return results | self._record_receipts(checked)

    def _record_receipts(
        self, checked: Mapping[str, tuple[Receipt, str]]
    ) -> dict[str, OutgoingMessage | ChannelError]:
        """Record checked receipts (message id -> receipt, token) in one unit of work: the rows read, changed
        and their attempts written in a statement each."""
        if not checked:
            return {}
        results: dict[str, OutgoingMessage | ChannelError] = {}
        made: list[tuple[OutgoingMessage, Attempt]] = []
        with self.store.transaction() as tx:
            stored = tx.get_outgoings(list(checked))
            for message_id, (receipt, text) in checked.items():
                try:
                    message, attempt = self._receipted(tx, stored.get(message_id), receipt, text)
                except BadReceipt as exc:
                    results[message_id] = exc
                    continue
                results[message_id] = message
                if attempt is not None:
                    made.append((message, attempt))
            self._write_attempts(tx, made)
        return results

    def _receipted(
        self, tx: ChannelTransaction, message: OutgoingMessage | None, receipt: Receipt, text: str
    ) -> tuple[OutgoingMessage, Attempt | None]:
        """The message in its final state per ``receipt`` and the history line to write (None when the same
        receipt was recorded already); raises ``BadReceipt`` if the receipt does not fit the message."""
        if message is None:
            raise BadReceipt(f"receipt for unknown message {receipt.message_id}")
        if receipt.sender != self.identity.node or receipt.receiver != message.recipient:
            raise BadReceipt(
                f"receipt for {receipt.message_id} is from {receipt.receiver} to {receipt.sender}; "
                f"the message went from {self.identity.node} to {message.recipient}"
            )
        if receipt.digest != message.digest:
            raise BadReceipt(f"receipt for {receipt.message_id} acknowledges other content (digest differs)")
        if message.receipt is not None:
            if message.receipt != text:
                raise BadReceipt(f"message {message.id} already has a different receipt")
            return message, None
        done = replace(
            message,
            status="received" if receipt.accepted else "failed",
            receipt=text,
            reason=receipt.reason,
            next_attempt=None,
        )
        details = {"kind": message.kind, "peer": message.recipient, "outcome": receipt.outcome}
        self.observe(tx, "message.receipted", message.id, details)
        return done, Attempt(message.id, message.attempts, self.clock.now(), receipt.outcome, receipt.reason)

    def _expire(self, tx: ChannelTransaction, message: OutgoingMessage) -> None:
        tx.put_outgoing(replace(message, status="expired", next_attempt=None))
        details = {"kind": message.kind, "peer": message.recipient, "attempts": message.attempts}
        self.observe(tx, "message.expired", message.id, details)

    def expire_overdue(self) -> list[str]:
        """Mark expired every open message past its expiry; their ids."""
        now = self.clock.now()
        with self.store.transaction() as tx:
            overdue = tx.overdue_outgoing(now)
            for message in overdue:
                self._expire(tx, message)
        return [m.id for m in overdue]

    def fail(self, message_id: str, reason: str) -> None:
        """An operator gives up on an open message: no more retries."""
        with self.store.transaction() as tx:
            message = tx.get_outgoing(message_id)
            if message is not None and message.status in OPEN_STATUSES:
                tx.put_outgoing(replace(message, status="failed", reason=reason, next_attempt=None))
                self.observe(tx, "message.failed", message_id, {"kind": message.kind, "reason": reason})

    def deliver_due(
        self, transport: Transport, limit: int = 100, *, lease: timedelta | None = None
    ) -> DeliveryRound:
        """One pass: send every due message, one at a time, and check the receipts that come back."""
        return self.deliver_batches(_one_by_one(transport), limit, lease=lease, batch_size=1)

    def deliver_batches(
        self,
        send: BatchTransport,
        limit: int = 100,
        *,
        lease: timedelta | None = None,
        batch_size: int = 50,
        in_flight: int = 1,
    ) -> DeliveryRound:
        """One pass: take the due messages, send them in batches per recipient, check the receipts.

        The batches are sized by what is due (at most ``batch_size``, of equal sizes: nothing waits for a
        batch to fill). With ``in_flight`` > 1 the batches are a pipeline: up to ``in_flight`` are at the
        peer while the receipts of the one before are checked and recorded (a unit of work per batch), so
        that the two nodes work at the same time.
        Transport errors (``OSError``, ``ChannelError``) and bad receipts leave a message for its next
        attempt.
        """
        done = DeliveryRound()
        claimed = self.claim_due(limit, lease)
        done.attempted = len(claimed)
        chunks = _chunks(claimed, batch_size)
        failures: dict[str, str] = {}
        gate = _PeerGate(send)
        if in_flight <= 1 or len(chunks) <= 1:
            for recipient, chunk in chunks:
                self._settle(chunk, gate.send(recipient, chunk), done, failures)
        else:
            with ThreadPoolExecutor(in_flight, thread_name_prefix="iprisk-send") as pool:
                sent = [(chunk, pool.submit(gate.send, recipient, chunk)) for recipient, chunk in chunks]
                for chunk, answers in sent:  # in order: the next batches travel while these are recorded
                    self._settle(chunk, answers.result(), done, failures)
        self.release(failures, together=gate.unreachable)
        done.transport_errors = [f"{message_id}: {detail}" for message_id, detail in failures.items()]
        return done

    def _settle(
        self,
        chunk: Sequence[OutgoingMessage],
        answers: Sequence[str | Exception],
        done: DeliveryRound,
        failures: dict[str, str],
    ) -> None:
        """Check and record the receipts a batch was answered with (one unit of work); note what failed."""
        receipts: list[tuple[str, str]] = []
        for message, answer in zip(chunk, answers, strict=True):
            if isinstance(answer, str):
                receipts.append((message.id, answer))
            else:
                failures[message.id] = f"{type(answer).__name__}: {answer}"
        accepted = self.accept_receipts(receipts)
        now = self.clock.now()
        for message_id, outcome in accepted.items():
            if isinstance(outcome, ChannelError):
                failures[message_id] = f"bad receipt: {type(outcome).__name__}: {outcome}"
            else:
                done.received += outcome.status == "received"
                done.failed += outcome.status == "failed"
                done.delivered_after.append((now - outcome.created).total_seconds())


def _chunks(messages: Sequence[OutgoingMessage], batch_size: int) -> list[tuple[str, list[OutgoingMessage]]]:
    """The batches to send, per recipient in the order claimed: as few as ``batch_size`` allows, of equal
    sizes. What fits in one batch travels in one, in order: two batches in flight may be applied in either
    order at the peer, and a step that arrives before the one it follows (a referral's) waits there for a
    retry."""
    by_recipient: dict[str, list[OutgoingMessage]] = {}
    for message in messages:
        by_recipient.setdefault(message.recipient, []).append(message)
    chunks = []
    for recipient, queued in by_recipient.items():
        count = -(-len(queued) // max(1, batch_size))
        size, larger = divmod(len(queued), count)
        start = 0
        for number in range(count):
            end = start + size + (number < larger)
            chunks.append((recipient, queued[start:end]))
            start = end
    return chunks


class _PeerGate:
    """Sends the batches of one pass, and stops sending to a peer once a whole batch to it failed in transport
    (an ``OSError``: refused connection, reset, timeout, 5xx): the pass's other batches to that peer are not
    sent, only released with it (:meth:`Outbox.release` ``together``). A batch whose messages are answered
    one by one, even all with errors, says the peer is up."""

    def __init__(self, send: BatchTransport):
        self._send = send
        # a set's add and membership test are atomic: the pool's threads share it
        self.unreachable: set[str] = set()

    def send(self, recipient: str, chunk: Sequence[OutgoingMessage]) -> list[str | Exception]:
        if recipient in self.unreachable:
            skipped = ConnectionRefusedError(f"not sent: {recipient} was unreachable in this pass")
            return [skipped] * len(chunk)
        try:
            answers = list(self._send(recipient, [m.wire for m in chunk]))
        except OSError as exc:  # unreachable now: retried, all together, after the backoff
            self.unreachable.add(recipient)
            return [exc] * len(chunk)
        except ChannelError as exc:  # refused now (e.g. a key not pinned there yet): retried after backoff
            return [exc] * len(chunk)
        if len(answers) != len(chunk):
            error = ChannelError(f"{recipient} answered {len(answers)} results for {len(chunk)} messages")
            return [error] * len(chunk)
        return answers


def _one_by_one(transport: Transport) -> BatchTransport:
    def send(recipient: str, wires: Sequence[str]) -> list[str | Exception]:
        answers: list[str | Exception] = []
        for wire in wires:
            try:
                answers.append(transport(recipient, wire))
            except (OSError, ChannelError) as exc:
                answers.append(exc)
        return answers

    return send


def next_wakeup(outbox: Outbox) -> datetime | None:
    """When the next open message becomes due (for a worker that sleeps in between); None if none is open."""
    with outbox.store.transaction() as tx:
        return tx.next_attempt_time()
