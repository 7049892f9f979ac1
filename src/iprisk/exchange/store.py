"""What the channel stores, and the storage interface it needs (an in-memory one is in ``memory``).

One store holds a node's outbox (what it sends, with its delivery state and every attempt), its inbox (what
it received, keyed by message id, with the receipt it answered) and the refusals. The SQL implementation
(:class:`iprisk.store.SqlChannelStore`) lives in the node's operational store; there ``due_outgoing`` takes
its rows with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (and the whole database with ``BEGIN IMMEDIATE`` on
SQLite) so that several workers never take the same message at once. Both pass the same conformance tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

#: AS4-like states: queued (stored, never sent), sent (sent at least once, waiting for a receipt), received
#: (a valid receipt said accepted), failed (a valid receipt said refused, or an operator gave up), expired
#: (no receipt before the expiry; the effect may or may not have happened — a late receipt still counts)
Status = Literal["queued", "sent", "received", "failed", "expired"]
STATUSES: tuple[Status, ...] = ("queued", "sent", "received", "failed", "expired")
OPEN_STATUSES: tuple[Status, ...] = ("queued", "sent")

#: what became of one attempt: ``sent`` is committed before the bytes leave; then ``error`` (unreachable,
#: refused at the door, bad receipt), or ``accepted`` / ``refused`` (the receipt's outcome)
AttemptResult = Literal["sent", "error", "accepted", "refused"]


@dataclass(frozen=True)
class OutgoingMessage:
    """A message in the outbox. ``key``, when set, makes enqueueing idempotent (one message per key)."""

    id: str
    kind: str
    recipient: str
    wire: str
    digest: str
    created: datetime
    expiry: datetime
    status: Status = "queued"
    attempts: int = 0
    next_attempt: datetime | None = None
    last_attempt: datetime | None = None
    receipt: str | None = None
    reason: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class IncomingMessage:
    """A message received and authenticated, what was decided, and the receipt answered (kept as is)."""

    id: str
    kind: str
    sender: str
    digest: str
    signed: str
    received_at: datetime
    outcome: Literal["accepted", "refused"]
    reason: str | None
    receipt: str


@dataclass(frozen=True)
class Refusal:
    """Bytes refused before they could be authenticated: recorded, never applied, no receipt."""

    at: datetime
    error: str
    detail: str
    digest: str


@dataclass(frozen=True)
class Attempt:
    """One event of one delivery attempt of an outgoing message (append-only history)."""

    message_id: str
    number: int
    at: datetime
    result: AttemptResult
    detail: str | None = None


class ChannelTransaction(Protocol):
    """One unit of work: everything done through it is committed together, or not at all."""

    def savepoint(self) -> AbstractContextManager[None]:
        """A nested unit of work: if the block raises, what it did is undone and the rest is kept."""
        ...

    def add_outgoing(self, message: OutgoingMessage) -> None:
        """Insert; raises ``DuplicateMessage`` if the id (or the key) exists."""
        ...

    def get_outgoing(self, message_id: str) -> OutgoingMessage | None:
        """The row, locked for the rest of the unit of work where the store has row locks."""
        ...

    def outgoing_by_key(self, key: str) -> OutgoingMessage | None: ...

    def put_outgoing(self, message: OutgoingMessage) -> None:
        """Replace the delivery state (status, attempts, times, receipt, reason) of the stored row of
        ``message.id``; the message itself never changes once queued."""
        ...

    def get_outgoings(self, message_ids: Sequence[str]) -> dict[str, OutgoingMessage]:
        """The rows of those ids that exist (locked like :meth:`get_outgoing`), in one read."""
        ...

    def put_outgoings(self, messages: Sequence[OutgoingMessage]) -> None:
        """Replace the stored rows of several messages (a batch: one statement where the store can)."""
        ...

    def due_outgoing(self, now: datetime, limit: int) -> list[OutgoingMessage]:
        """Open messages whose next attempt is due, oldest first, taken for this unit of work: a concurrent
        unit of work does not get them (``FOR UPDATE SKIP LOCKED``)."""
        ...

    def overdue_outgoing(self, now: datetime) -> list[OutgoingMessage]:
        """Open messages past their expiry."""
        ...

    def next_attempt_time(self) -> datetime | None:
        """The earliest next attempt of an open message."""
        ...

    def outgoing(self, status: Status | None = None) -> list[OutgoingMessage]: ...

    def add_attempt(self, attempt: Attempt) -> None: ...

    def add_attempts(self, attempts: Sequence[Attempt]) -> None: ...

    def attempts(self, message_id: str) -> list[Attempt]:
        """The attempt history of one message, oldest first."""
        ...

    def get_incoming(self, message_id: str) -> IncomingMessage | None:
        """The row; where the store runs concurrent units of work, a concurrent delivery of the same id waits
        until this unit of work ends."""
        ...

    def add_incoming(self, message: IncomingMessage) -> None:
        """Insert; raises ``DuplicateMessage`` if the id exists (a concurrent delivery won)."""
        ...

    def get_incomings(self, message_ids: Sequence[str]) -> dict[str, IncomingMessage]:
        """The rows of those ids that exist, in one read; like :meth:`get_incoming`, a concurrent delivery
        of any of them waits until this unit of work ends."""
        ...

    def add_incomings(self, messages: Sequence[IncomingMessage]) -> None:
        """Insert several; raises ``DuplicateMessage`` if an id exists (nothing of them is then kept)."""
        ...

    def incoming(self) -> list[IncomingMessage]: ...

    def add_refusal(self, refusal: Refusal) -> None: ...

    def refusals(self) -> list[Refusal]: ...


class ChannelStore(Protocol):
    def transaction(self) -> AbstractContextManager[ChannelTransaction]:
        """A unit of work, committed when the block ends normally and rolled back if it raises."""
        ...


class ChannelObserver(Protocol):
    """Told of every state change of the channel, inside the unit of work that makes it (the node records
    them in its audit log in the same transaction). ``event`` is e.g. ``message.sent``; details are plain
    JSON and never hold a payload."""

    def __call__(self, tx: Any, event: str, subject: str, details: dict[str, Any]) -> None: ...


def no_observer(tx: Any, event: str, subject: str, details: dict[str, Any]) -> None:
    """The observer of a store nobody audits (tests, notebooks)."""
