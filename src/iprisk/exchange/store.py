"""What the channel stores, and the storage interface it needs (an in-memory one is in ``memory``).

One store holds a node's outbox (what it sends, with its delivery state), its inbox (what it received, keyed
by message id, with the receipt it answered) and the refusals. The SQL implementation lives in the node's
operational store; there ``due_outgoing`` takes its rows with ``FOR UPDATE SKIP LOCKED`` so that several
workers never send the same message at once.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

#: AS4-like states: queued (stored, never sent), sent (sent at least once, waiting for a receipt), received
#: (a valid receipt said accepted), failed (a valid receipt said refused, or an operator gave up), expired
#: (no receipt before the expiry; the effect may or may not have happened — a late receipt still counts)
Status = Literal["queued", "sent", "received", "failed", "expired"]
OPEN_STATUSES: tuple[Status, ...] = ("queued", "sent")


@dataclass(frozen=True)
class OutgoingMessage:
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


class ChannelTransaction(Protocol):
    """One unit of work: everything done through it is committed together, or not at all."""

    def add_outgoing(self, message: OutgoingMessage) -> None:
        """Insert; raises ``DuplicateMessage`` if the id exists."""
        ...

    def get_outgoing(self, message_id: str) -> OutgoingMessage | None: ...

    def put_outgoing(self, message: OutgoingMessage) -> None:
        """Replace the stored row of ``message.id``."""
        ...

    def due_outgoing(self, now: datetime, limit: int) -> list[OutgoingMessage]:
        """Open messages whose next attempt is due, oldest first."""
        ...

    def outgoing(self, status: Status | None = None) -> list[OutgoingMessage]: ...

    def get_incoming(self, message_id: str) -> IncomingMessage | None: ...

    def add_incoming(self, message: IncomingMessage) -> None:
        """Insert; raises ``DuplicateMessage`` if the id exists (a concurrent delivery won)."""
        ...

    def incoming(self) -> list[IncomingMessage]: ...

    def add_refusal(self, refusal: Refusal) -> None: ...

    def refusals(self) -> list[Refusal]: ...


class ChannelStore(Protocol):
    def transaction(self) -> AbstractContextManager[ChannelTransaction]:
        """A unit of work, committed when the block ends normally and rolled back if it raises."""
        ...
