"""Idempotency keys (IETF httpapi ``Idempotency-Key`` draft) in the operational database.

A client that sends a POST with an ``Idempotency-Key`` may send it again (a retry after a timeout): the first
request's response is stored and replayed; the same key with another payload is refused (422); a request
still in progress is refused (409) so that it is never run twice at once. Keys are scoped by the caller
(the hash of its credentials), so one client's key never meets another's response.

Safe with several processes on one database: the ``(caller, key)`` row is the lock. Its insertion is
committed before the request runs (a concurrent second insert fails on the primary key and reads the row);
a request that crashed leaves it ``in_progress`` until ``timeout`` passes, then the key may run again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import JSON, DateTime, Engine, Integer, LargeBinary, String, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from iprisk.exchange.clock import Clock
from iprisk.store.db import Base, utc

IN_PROGRESS = "in_progress"
DONE = "done"


class IdempotencyRow(Base):
    __tablename__ = "idempotency_keys"

    caller: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(512))
    state: Mapped[str] = mapped_column(String(16))
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    headers: Mapped[list[list[str]] | None] = mapped_column(JSON, nullable=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Claim:
    """What to do with a request: ``run`` it (the key is ours now), ``replay`` the stored response, or refuse
    it because the payload differs (``mismatch``) or the first request is still running (``in_progress``)."""

    outcome: Literal["run", "replay", "mismatch", "in_progress"]
    response: StoredResponse | None = None


class IdempotencyStore:
    def __init__(self, engine: Engine, clock: Clock, *, ttl: timedelta, timeout: timedelta):
        self.engine = engine
        self.clock = clock
        self.ttl = ttl
        self.timeout = timeout

    def claim(self, caller: str, key: str, fingerprint: str, method: str, path: str) -> Claim:
        """Take the key for this request, or say why not (see :class:`Claim`)."""
        for _ in range(2):  # a concurrent first insert wins; we then read its row
            try:
                return self._claim(caller, key, fingerprint, method, path)
            except IntegrityError:
                continue
        return Claim("in_progress")

    def _claim(self, caller: str, key: str, fingerprint: str, method: str, path: str) -> Claim:
        now = self.clock.now()
        with Session(self.engine) as session, session.begin():
            row = session.get(IdempotencyRow, (caller, key), with_for_update=True)
            if row is not None and utc(row.expires_at) <= now:
                session.delete(row)
                session.flush()
                row = None
            if row is None:
                session.add(
                    IdempotencyRow(
                        caller=caller,
                        key=key,
                        fingerprint=fingerprint,
                        method=method,
                        path=path[:512],
                        state=IN_PROGRESS,
                        started_at=now,
                        expires_at=now + self.ttl,
                    )
                )
                session.flush()
                return Claim("run")
            if row.fingerprint != fingerprint:
                return Claim("mismatch")
            if row.state == IN_PROGRESS:
                if utc(row.started_at) + self.timeout > now:
                    return Claim("in_progress")
                row.started_at = now  # the first request crashed: this one takes the key over
                return Claim("run")
            assert row.status is not None and row.body is not None
            headers = [(str(k), str(v)) for k, v in row.headers or []]
            return Claim("replay", StoredResponse(row.status, headers, bytes(row.body)))

    def finish(self, caller: str, key: str, response: StoredResponse) -> None:
        """Keep the response of the request that held the key, for the replays."""
        with Session(self.engine) as session, session.begin():
            row = session.get(IdempotencyRow, (caller, key), with_for_update=True)
            if row is not None:
                row.state, row.status, row.body = DONE, response.status, response.body
                row.headers = [[k, v] for k, v in response.headers]

    def release(self, caller: str, key: str) -> None:
        """Forget the key (the request failed on the server's side): a retry runs it again."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                delete(IdempotencyRow).where(IdempotencyRow.caller == caller, IdempotencyRow.key == key)
            )

    def purge(self) -> int:
        """Delete the keys past their time to live; how many."""
        with Session(self.engine) as session, session.begin():
            expired = select(IdempotencyRow.caller).where(IdempotencyRow.expires_at <= self.clock.now())
            count = len(session.scalars(expired).all())
            session.execute(delete(IdempotencyRow).where(IdempotencyRow.expires_at <= self.clock.now()))
            return count
