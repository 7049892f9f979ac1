"""An in-memory channel store with real transactions: for tests, simulations and notebooks.

Writes are staged in the transaction and applied on commit, so an exception (or a simulated crash) inside a
unit of work loses exactly what was not committed. Effects run by the inbox may keep their own rows in the
same transaction through :meth:`MemoryTransaction.put` / :meth:`get` / :meth:`rows`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from iprisk.exchange.errors import DuplicateMessage
from iprisk.exchange.store import (
    OPEN_STATUSES,
    Attempt,
    IncomingMessage,
    OutgoingMessage,
    Refusal,
    Status,
)

_OUT, _IN, _REFUSED, _ATTEMPTS = "outgoing", "incoming", "refusals", "attempts"


class MemoryTransaction:
    def __init__(self, committed: dict[str, dict[Any, Any]]):
        self._committed = committed
        self._staged: dict[str, dict[Any, Any]] = {}

    # generic rows, also for the effects of the tests and the simulations
    def get(self, table: str, key: Any) -> Any:
        staged = self._staged.get(table, {})
        return staged[key] if key in staged else self._committed.get(table, {}).get(key)

    def put(self, table: str, key: Any, value: Any) -> None:
        self._staged.setdefault(table, {})[key] = value

    def rows(self, table: str) -> dict[Any, Any]:
        return {**self._committed.get(table, {}), **self._staged.get(table, {})}

    def _insert(self, table: str, key: Any, value: Any) -> None:
        if self.get(table, key) is not None:
            raise DuplicateMessage(str(key))
        self.put(table, key, value)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        saved = {table: dict(rows) for table, rows in self._staged.items()}
        try:
            yield
        except BaseException:
            self._staged = saved
            raise

    def commit(self) -> None:
        for table, rows in self._staged.items():
            self._committed.setdefault(table, {}).update(rows)
        self._staged = {}

    # ChannelTransaction
    def add_outgoing(self, message: OutgoingMessage) -> None:
        if message.key is not None and self.outgoing_by_key(message.key) is not None:
            raise DuplicateMessage(message.key)
        self._insert(_OUT, message.id, message)

    def get_outgoing(self, message_id: str) -> OutgoingMessage | None:
        return self.get(_OUT, message_id)

    def outgoing_by_key(self, key: str) -> OutgoingMessage | None:
        return next((m for m in self.rows(_OUT).values() if m.key == key), None)

    def put_outgoing(self, message: OutgoingMessage) -> None:
        self.put(_OUT, message.id, message)

    def get_outgoings(self, message_ids: Sequence[str]) -> dict[str, OutgoingMessage]:
        found = {i: self.get_outgoing(i) for i in message_ids}
        return {i: m for i, m in found.items() if m is not None}

    def put_outgoings(self, messages: Sequence[OutgoingMessage]) -> None:
        for message in messages:
            self.put_outgoing(message)

    def _open(self) -> list[OutgoingMessage]:
        return [m for m in self.rows(_OUT).values() if m.status in OPEN_STATUSES]

    def due_outgoing(self, now: datetime, limit: int) -> list[OutgoingMessage]:
        due = [m for m in self._open() if m.next_attempt is None or m.next_attempt <= now]
        return sorted(due, key=lambda m: (m.next_attempt or m.created, m.id))[:limit]

    def overdue_outgoing(self, now: datetime) -> list[OutgoingMessage]:
        return sorted((m for m in self._open() if now > m.expiry), key=lambda m: m.id)

    def next_attempt_time(self) -> datetime | None:
        return min((m.next_attempt for m in self._open() if m.next_attempt), default=None)

    def outgoing(self, status: Status | None = None) -> list[OutgoingMessage]:
        rows = self.rows(_OUT).values()
        return sorted((m for m in rows if status is None or m.status == status), key=lambda m: m.id)

    def add_attempt(self, attempt: Attempt) -> None:
        self.put(_ATTEMPTS, len(self.rows(_ATTEMPTS)), attempt)

    def add_attempts(self, attempts: Sequence[Attempt]) -> None:
        for attempt in attempts:
            self.add_attempt(attempt)

    def attempts(self, message_id: str) -> list[Attempt]:
        return [a for _, a in sorted(self.rows(_ATTEMPTS).items()) if a.message_id == message_id]

    def get_incoming(self, message_id: str) -> IncomingMessage | None:
        return self.get(_IN, message_id)

    def add_incoming(self, message: IncomingMessage) -> None:
        self._insert(_IN, message.id, message)

    def get_incomings(self, message_ids: Sequence[str]) -> dict[str, IncomingMessage]:
        found = {i: self.get_incoming(i) for i in message_ids}
        return {i: m for i, m in found.items() if m is not None}

    def add_incomings(self, messages: Sequence[IncomingMessage]) -> None:
        with self.savepoint():  # all or none, like the SQL store's one statement
            for message in messages:
                self.add_incoming(message)

    def incoming(self) -> list[IncomingMessage]:
        return sorted(self.rows(_IN).values(), key=lambda m: m.id)

    def add_refusal(self, refusal: Refusal) -> None:
        self.put(_REFUSED, len(self.rows(_REFUSED)), refusal)

    def refusals(self) -> list[Refusal]:
        return [r for _, r in sorted(self.rows(_REFUSED).items())]


class MemoryChannelStore:
    """The committed state lives here; a crash of the node object that uses it loses nothing committed."""

    def __init__(self) -> None:
        self._tables: dict[str, dict[Any, Any]] = {}
        self._lock = threading.RLock()  # one unit of work at a time, like SQLite's writer lock

    @contextmanager
    def transaction(self) -> Iterator[MemoryTransaction]:
        with self._lock:
            tx = MemoryTransaction(self._tables)
            yield tx
            tx.commit()
