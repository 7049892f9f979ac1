"""Failed logins counted per account and per client address, in the node's database, over a sliding window.

After ``max_failures`` failed attempts on one key (an account name, a client address, a token id) within
``window_seconds``, every further attempt on that key is refused without checking the credentials until the
oldest of those failures leaves the window (:class:`~iprisk.errors.TooManyAttempts`, its ``retry_after``).

Why a table and not the ``limits`` package: the counters must be shared by every uvicorn worker and node
process on one database, and ``limits`` keeps them in memory, Redis or memcached (neither runs beside a
node). One row per failure, appended, is correct across processes on SQLite and PostgreSQL without locks; two
attempts racing through the check at the same instant can each add a failure, so a burst may get a few more
tries than ``max_failures`` (never more than the number of concurrent requests). Keys are stored as SHA-256
digests (a name typed in the account field may be a password; addresses are personal data), and rows older
than the window are deleted on every failure. A success resets nothing: a login from one address does not
clear another address's failures, nor the account's.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import DateTime, Engine, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from iprisk.errors import TooManyAttempts
from iprisk.exchange.clock import Clock
from iprisk.store.db import Base, utc

#: Defaults of the settings ``login_max_failures`` and ``login_window_seconds``.
MAX_FAILURES = 5
WINDOW_SECONDS = 900.0


class LoginFailureRow(Base):
    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


def throttle_key(kind: str, value: str) -> str:
    """The stored form of a key (``kind`` is account, address or token): a digest, never the text typed."""
    return hashlib.sha256(f"{kind}\x00{value}".encode()).hexdigest()


@dataclass(frozen=True)
class LoginThrottle:
    engine: Engine
    clock: Clock
    max_failures: int = MAX_FAILURES
    window_seconds: float = WINDOW_SECONDS

    @property
    def _window(self) -> timedelta:
        return timedelta(seconds=self.window_seconds)

    def check(self, keys: Iterable[str]) -> None:
        """Raise TooManyAttempts when any key has ``max_failures`` failures in the window."""
        now = self.clock.now()
        waits = [self._wait(key, now) for key in set(keys)]
        longest = max(waits, default=0.0)
        if longest > 0:
            raise TooManyAttempts(math.ceil(longest))

    def _wait(self, key: str, now: datetime) -> float:
        """Seconds until ``key`` has fewer than ``max_failures`` failures in the window (0: already)."""
        with Session(self.engine) as session:
            recent = session.scalars(
                select(LoginFailureRow.at)
                .where(LoginFailureRow.key == key, LoginFailureRow.at > now - self._window)
                .order_by(LoginFailureRow.at.desc())
                .limit(self.max_failures)
            ).all()
        if len(recent) < self.max_failures:
            return 0.0
        # The max_failures-th newest failure: once it leaves the window, one fewer remains.
        return max((utc(recent[-1]) + self._window - now).total_seconds(), 0.0)

    def failed(self, keys: Iterable[str]) -> None:
        """Count one failure on each key; forget every failure already out of the window."""
        now = self.clock.now()
        with Session(self.engine) as session, session.begin():
            session.execute(delete(LoginFailureRow).where(LoginFailureRow.at <= now - self._window))
            session.add_all(LoginFailureRow(key=key, at=now) for key in set(keys))
