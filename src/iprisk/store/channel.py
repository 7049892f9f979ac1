"""The channel's SQL store: the outbox, the inbox, refusals and delivery attempts in the operational DB.

:class:`SqlChannelStore` implements :class:`iprisk.exchange.ChannelStore` and passes the same conformance
tests as the in-memory store, on SQLite and PostgreSQL. A unit of work is one database transaction on one
connection; the inbox's effects and the audit log write through ``tx.connection`` or ``tx.session`` (an ORM
session joined to that transaction) and so commit, or roll back, with it.

Concurrency (several uvicorn workers, several node processes on one database):

* PostgreSQL: due messages are taken with ``SELECT ... FOR UPDATE SKIP LOCKED`` (a second worker skips what
  the first holds) and re-read under a row lock before they change; two deliveries of the same incoming
  message at once are serialised by a transaction-scoped advisory lock on its id, then the unique key.
* SQLite: every unit of work starts with ``BEGIN IMMEDIATE`` (:func:`iprisk.store.db.connect`), which takes
  the database's single write lock at once: units of work that change the channel run one at a time, across
  processes, and a message taken by one is no longer due when the next one looks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    event,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from iprisk.exchange import (
    OPEN_STATUSES,
    STATUSES,
    Attempt,
    DuplicateMessage,
    IncomingMessage,
    OutgoingMessage,
    Refusal,
    Status,
)
from iprisk.store.db import Base, connect, utc


class OutgoingRow(Base):
    """A message in the outbox: its sealed bytes, its delivery state, the receipt once it came."""

    __tablename__ = "channel_outgoing"
    __table_args__ = (Index("ix_channel_outgoing_due", "status", "next_attempt"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(64))
    wire: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expiry: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_attempt: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    receipt: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    key: Mapped[str | None] = mapped_column(String(255), nullable=True, unique=True)


class IncomingRow(Base):
    """A message received and authenticated: its signed form, what was decided, the receipt answered."""

    __tablename__ = "channel_incoming"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))
    signed: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    receipt: Mapped[str] = mapped_column(Text)


class RefusalRow(Base):
    """Bytes refused before they could be authenticated (no receipt was given)."""

    __tablename__ = "channel_refusals"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    error: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))


class AttemptRow(Base):
    """One event of one delivery attempt (sent, error, accepted, refused): the history behind the state."""

    __tablename__ = "channel_attempts"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(36), index=True)
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    result: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)


_OUT = cast(Table, OutgoingRow.__table__)
_IN = cast(Table, IncomingRow.__table__)
_REFUSED = cast(Table, RefusalRow.__table__)
_ATTEMPTS = cast(Table, AttemptRow.__table__)
_OPEN = _OUT.c.status.in_(OPEN_STATUSES)


def _maybe_utc(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def _outgoing(row: Any) -> OutgoingMessage:
    return OutgoingMessage(
        id=row.id,
        kind=row.kind,
        recipient=row.recipient,
        wire=row.wire,
        digest=row.digest,
        created=utc(row.created),
        expiry=utc(row.expiry),
        status=row.status,
        attempts=row.attempts,
        next_attempt=_maybe_utc(row.next_attempt),
        last_attempt=_maybe_utc(row.last_attempt),
        receipt=row.receipt,
        reason=row.reason,
        key=row.key,
    )


def _outgoing_values(message: OutgoingMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "kind": message.kind,
        "recipient": message.recipient,
        "wire": message.wire,
        "digest": message.digest,
        "created": message.created,
        "expiry": message.expiry,
        "status": message.status,
        "attempts": message.attempts,
        "next_attempt": message.next_attempt,
        "last_attempt": message.last_attempt,
        "receipt": message.receipt,
        "reason": message.reason,
        "key": message.key,
    }


#: what delivery changes in an outgoing row; the message itself (id, kind, recipient, the sealed bytes, their
#: digest, times, key) is written once, by the insert, and never rewritten (a batch's claim and receipts
#: would otherwise write every message's bytes twice more)
_DELIVERY_STATE = ("status", "attempts", "next_attempt", "last_attempt", "receipt", "reason")


def _put_values(message: OutgoingMessage) -> dict[str, Any]:
    return {"_id": message.id} | {name: getattr(message, name) for name in _DELIVERY_STATE}


def _incoming_values(message: IncomingMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "kind": message.kind,
        "sender": message.sender,
        "digest": message.digest,
        "signed": message.signed,
        "received_at": message.received_at,
        "outcome": message.outcome,
        "reason": message.reason,
        "receipt": message.receipt,
    }


def _incoming(row: Any) -> IncomingMessage:
    return IncomingMessage(
        id=row.id,
        kind=row.kind,
        sender=row.sender,
        digest=row.digest,
        signed=row.signed,
        received_at=utc(row.received_at),
        outcome=row.outcome,
        reason=row.reason,
        receipt=row.receipt,
    )


# Statements built once, with bound parameters: SQLAlchemy then reuses their compiled form (building a new
# statement per call costs more than the database work for these small rows).
_GET_OUT = select(_OUT).where(_OUT.c.id == bindparam("id"))
_GET_OUT_LOCKED = _GET_OUT.with_for_update()
_GET_OUTS = select(_OUT).where(_OUT.c.id.in_(bindparam("ids", expanding=True))).order_by(_OUT.c.id)
_OUT_BY_KEY = select(_OUT).where(_OUT.c.key == bindparam("key"))
_PUT_OUT = (
    update(_OUT).where(_OUT.c.id == bindparam("_id")).values({c: bindparam(c) for c in _DELIVERY_STATE})
)
_DUE = (
    select(_OUT)
    .where(_OPEN, or_(_OUT.c.next_attempt.is_(None), _OUT.c.next_attempt <= bindparam("now")))
    .order_by(func.coalesce(_OUT.c.next_attempt, _OUT.c.created), _OUT.c.id)
    .limit(bindparam("limit"))
)
_OVERDUE = select(_OUT).where(_OPEN, _OUT.c.expiry < bindparam("now")).order_by(_OUT.c.id)
_NEXT = select(func.min(_OUT.c.next_attempt)).where(_OPEN)
_ATTEMPTS_OF = select(_ATTEMPTS).where(_ATTEMPTS.c.message_id == bindparam("id")).order_by(_ATTEMPTS.c.seq)
_GET_INS = select(_IN).where(_IN.c.id.in_(bindparam("ids", expanding=True)))
_INSERT_ATTEMPT = insert(_ATTEMPTS)
_LOCK_ID = text("SELECT pg_advisory_xact_lock(hashtextextended(:id, 0))")


class SqlChannelTransaction:
    """One unit of work on the channel tables, on one connection in one database transaction.

    ``connection`` and ``session`` (an ORM session joined to the same transaction, made on first use) are
    shared with the inbox's effects and the audit log: what they write commits or rolls back with the
    messages.
    """

    def __init__(self, connection: Connection, session: Session | None = None, *, own: bool = False):
        self.connection = connection
        self._postgres = connection.dialect.name == "postgresql"
        self._session: Session | None = session
        self._own_session = session is None
        #: a unit of work of :class:`SqlChannelStore` (which commits it), not one the caller opened
        self._own = own
        self._deferred: dict[Callable[[Connection, list[Any]], None], list[Any]] = {}
        self._after_commit: list[Callable[[], None]] = []

    @classmethod
    def joining(cls, session: Session) -> SqlChannelTransaction:
        """The channel's view of a unit of work the caller opened with an ORM session (its connection and
        transaction; the caller commits)."""
        return cls(session.connection(), session)

    @property
    def session(self) -> Session:
        if self._session is None:
            # In a savepoint of its own inside this transaction: committing the session only releases it (the
            # transaction commits with the unit of work), closing it without a commit undoes what it wrote.
            self._session = Session(
                bind=self.connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
            )
        return self._session

    def _flush(self) -> None:
        """Write what was added through the ORM session; a session of our own is let go (a new one is made
        on use), the caller's is kept."""
        if self._session is not None:
            if self._own_session:
                session, self._session = self._session, None
                session.commit()
                session.close()
            else:
                self._session.flush()

    def defer(self, write: Callable[[Connection, list[Any]], None], item: Any) -> None:
        """Have ``write`` write ``item`` together with the other items deferred to it in this unit of work,
        just before it commits (a batch of messages appends its audit entries in a few statements); at
        once in a unit of work the caller commits. Items deferred in a savepoint that rolls back are
        dropped with it."""
        if self._own:
            self._deferred.setdefault(write, []).append(item)
        else:
            write(self.connection, [item])

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once this unit of work has committed (never if it rolls back); once, however
        often it is asked for in the unit of work."""
        if callback in self._after_commit:
            return
        self._after_commit.append(callback)
        if not self._own and self._session is not None:  # the caller commits: after its session's commit
            event.listen(self._session, "after_commit", lambda _session: callback(), once=True)

    def _write_deferred(self) -> None:
        deferred, self._deferred = self._deferred, {}
        for write, items in deferred.items():
            write(self.connection, items)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        self._flush()
        kept = {write: len(items) for write, items in self._deferred.items()}
        nested = self.connection.begin_nested()
        try:
            yield
            self._flush()
        except BaseException:
            if self._session is not None and self._own_session:  # what it wrote goes with the savepoint
                session, self._session = self._session, None
                session.rollback()
                session.close()
            nested.rollback()
            for write, items in self._deferred.items():
                del items[kept.get(write, 0) :]
            raise
        nested.commit()

    def _rows(self, statement: Any, **params: Any) -> Any:
        return self.connection.execute(statement, params)

    def _insert(self, table: Any, values: dict[str, Any] | list[dict[str, Any]], key: str) -> None:
        # On PostgreSQL a savepoint keeps the unit of work usable after a duplicate (an error aborts the whole
        # transaction there; SQLite only undoes the statement); the caller decides what the duplicate means.
        try:
            if self._postgres:
                with self.connection.begin_nested():
                    self.connection.execute(insert(table), values)
            else:
                self.connection.execute(insert(table), values)
        except IntegrityError:
            raise DuplicateMessage(key) from None

    # -- outbox ----------------------------------------------------------------------------------------------
    def add_outgoing(self, message: OutgoingMessage) -> None:
        self._insert(_OUT, _outgoing_values(message), message.key or message.id)

    def get_outgoing(self, message_id: str) -> OutgoingMessage | None:
        row = self._rows(_GET_OUT_LOCKED if self._postgres else _GET_OUT, id=message_id).first()
        return None if row is None else _outgoing(row)

    def outgoing_by_key(self, key: str) -> OutgoingMessage | None:
        row = self._rows(_OUT_BY_KEY, key=key).first()
        return None if row is None else _outgoing(row)

    def put_outgoing(self, message: OutgoingMessage) -> None:
        self.put_outgoings([message])

    def get_outgoings(self, message_ids: Sequence[str]) -> dict[str, OutgoingMessage]:
        if not message_ids:
            return {}
        query = _GET_OUTS.with_for_update() if self._postgres else _GET_OUTS
        rows = self._rows(query, ids=sorted(message_ids))  # sorted: concurrent batches lock in one order
        return {row.id: _outgoing(row) for row in rows}

    def put_outgoings(self, messages: Sequence[OutgoingMessage]) -> None:
        if messages:
            self.connection.execute(_PUT_OUT, [_put_values(m) for m in messages])

    def due_outgoing(self, now: datetime, limit: int) -> list[OutgoingMessage]:
        query = _DUE.with_for_update(skip_locked=True) if self._postgres else _DUE
        return [_outgoing(r) for r in self._rows(query, now=now, limit=limit)]

    def overdue_outgoing(self, now: datetime) -> list[OutgoingMessage]:
        query = _OVERDUE.with_for_update(skip_locked=True) if self._postgres else _OVERDUE
        return [_outgoing(r) for r in self._rows(query, now=now)]

    def next_attempt_time(self) -> datetime | None:
        return _maybe_utc(self._rows(_NEXT).scalar())

    def outgoing(self, status: Status | None = None) -> list[OutgoingMessage]:
        query = select(_OUT).order_by(_OUT.c.id)
        if status is not None:
            query = query.where(_OUT.c.status == status)
        return [_outgoing(r) for r in self.connection.execute(query)]

    def add_attempt(self, attempt: Attempt) -> None:
        self.add_attempts([attempt])

    def add_attempts(self, attempts: Sequence[Attempt]) -> None:
        rows = [
            {"message_id": a.message_id, "number": a.number, "at": a.at, "result": a.result}
            | {"detail": a.detail}
            for a in attempts
        ]
        if rows:
            self.connection.execute(_INSERT_ATTEMPT, rows)

    def attempts(self, message_id: str) -> list[Attempt]:
        rows = self._rows(_ATTEMPTS_OF, id=message_id)
        return [Attempt(r.message_id, r.number, utc(r.at), r.result, r.detail) for r in rows]

    # -- inbox -----------------------------------------------------------------------------------------------
    def get_incoming(self, message_id: str) -> IncomingMessage | None:
        return self.get_incomings([message_id]).get(message_id)

    def get_incomings(self, message_ids: Sequence[str]) -> dict[str, IncomingMessage]:
        ids = sorted(set(message_ids))  # concurrent batches lock the same ids in the same order
        if not ids:
            return {}
        if self._postgres:  # a concurrent delivery of the same message waits for this unit of work
            for message_id in ids:
                self._rows(_LOCK_ID, id=message_id)
        return {row.id: _incoming(row) for row in self._rows(_GET_INS, ids=ids)}

    def add_incoming(self, message: IncomingMessage) -> None:
        self.add_incomings([message])

    def add_incomings(self, messages: Sequence[IncomingMessage]) -> None:
        if messages:
            self._insert(_IN, [_incoming_values(m) for m in messages], messages[0].id)

    def incoming(self) -> list[IncomingMessage]:
        return [_incoming(r) for r in self.connection.execute(select(_IN).order_by(_IN.c.id))]

    def add_refusal(self, refusal: Refusal) -> None:
        values = {
            "at": refusal.at,
            "error": refusal.error,
            "detail": refusal.detail,
            "digest": refusal.digest,
        }
        self.connection.execute(insert(_REFUSED), values)

    def refusals(self) -> list[Refusal]:
        rows = self.connection.execute(select(_REFUSED).order_by(_REFUSED.c.seq))
        return [Refusal(utc(r.at), r.error, r.detail, r.digest) for r in rows]


class SqlChannelStore:
    """The channel's outbox, inbox, refusals and attempts in the operational database (SQLite or PostgreSQL).

    ``SqlChannelStore(url_or_engine)``; a URL is opened with :func:`iprisk.store.connect` (migrated).
    """

    def __init__(self, url: str | Engine):
        self.engine = url if isinstance(url, Engine) else connect(url)

    @contextmanager
    def transaction(self) -> Iterator[SqlChannelTransaction]:
        with self.engine.begin() as connection:
            tx = SqlChannelTransaction(connection, own=True)
            yield tx
            tx._flush()  # what the effects added through the ORM session, before the commit
            tx._write_deferred()
            if not connection.in_transaction():  # something ended it inside: committing now would lose it
                raise RuntimeError("the channel's unit of work was ended before its commit; nothing is kept")
        for callback in tx._after_commit:
            callback()

    def counts(self) -> dict[str, int]:
        """Outgoing messages by status (every status present, zero when none)."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(_OUT.c.status, func.count()).group_by(_OUT.c.status)).all()
        found = {status: count for status, count in rows}
        return {status: found.get(status, 0) for status in STATUSES}

    def close(self) -> None:
        self.engine.dispose()


__all__ = [
    "AttemptRow",
    "IncomingRow",
    "OutgoingRow",
    "RefusalRow",
    "SqlChannelStore",
    "SqlChannelTransaction",
]
