"""The operational database (SQLAlchemy 2 + Alembic): SQLite by default, PostgreSQL by URL.

Holds the risk profiles, every version and every lifecycle step, the allocation plans and joint operations,
the node's accounts and API tokens, idempotency keys and the audit log (entries, Merkle tree nodes, signed
checkpoints); messages and referrals join them. Analytical data lives in the warehouse. Domain models stay in
their own packages (``iprisk.profiles``...): the store imports them, never the reverse.
"""

from __future__ import annotations

from iprisk.store.accounts import AccountStore
from iprisk.store.allocation import AllocationStore
from iprisk.store.audit import AuditTrail, SqlLogStore
from iprisk.store.db import Base, ProfileEventRow, ProfileRow, alembic_config, connect, upgrade
from iprisk.store.idempotency import Claim, IdempotencyStore, StoredResponse
from iprisk.store.profiles import ImportResult, ProfileStore

__all__ = [
    "AccountStore",
    "AllocationStore",
    "AuditTrail",
    "Base",
    "Claim",
    "IdempotencyStore",
    "ImportResult",
    "ProfileEventRow",
    "ProfileRow",
    "ProfileStore",
    "SqlLogStore",
    "StoredResponse",
    "alembic_config",
    "connect",
    "upgrade",
]
