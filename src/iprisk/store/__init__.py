"""The operational database (SQLAlchemy 2 + Alembic): SQLite by default, PostgreSQL by URL.

Holds the risk profiles, every version and every lifecycle step, and the allocation plans and joint
operations; users, keys, messages, referrals and the audit log will join them. Analytical data lives in the
warehouse. Domain models stay in their own packages (``iprisk.profiles``...): the store imports them, never
the reverse.
"""

from __future__ import annotations

from iprisk.store.allocation import AllocationStore
from iprisk.store.db import Base, ProfileEventRow, ProfileRow, alembic_config, connect, upgrade
from iprisk.store.profiles import ImportResult, ProfileStore

__all__ = [
    "AllocationStore",
    "Base",
    "ImportResult",
    "ProfileEventRow",
    "ProfileRow",
    "ProfileStore",
    "alembic_config",
    "connect",
    "upgrade",
]
