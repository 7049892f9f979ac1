"""What the node's lifecycle stores (profiles, referrals) share: an engine, the audit trail every step is also
recorded in, the hook that queues a step's message in its transaction, and the caller's unit of work."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Generic, Self, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from iprisk.settings import get_settings
from iprisk.store.audit import AuditTrail
from iprisk.store.db import connect, reading, unit_of_work

Hook = TypeVar("Hook")


class AuditedStore(Generic[Hook]):
    """A store in a SQL database (``settings.database`` by default), migrated to the newest revision on
    opening; with ``audit`` (a node's trail), every step is also an audit entry, in the step's transaction."""

    def __init__(
        self,
        url: str | Engine | None = None,
        *,
        audit: AuditTrail | None = None,
        on_change: Hook | None = None,
    ):
        self.engine = url if isinstance(url, Engine) else connect(url or get_settings().database)
        self.audit = audit
        self.on_change = on_change

    def _unit(self, session: Session | None) -> AbstractContextManager[Session]:
        """The caller's unit of work, or a new transaction committed on leaving."""
        return unit_of_work(self.engine, session)

    def _reading(self, session: Session | None) -> AbstractContextManager[Session]:
        return reading(self.engine, session)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
