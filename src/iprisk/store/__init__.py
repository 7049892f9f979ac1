"""The operational database (SQLAlchemy 2 + Alembic): SQLite by default, PostgreSQL by URL.

Holds the risk profiles, every version and every lifecycle step, the allocation plans and joint operations,
the referrals between key ports with their lifecycle and the network of key ports; users, keys, messages and
the audit log will join them. Analytical data lives in the warehouse. Domain models stay in their own
packages (``iprisk.profiles``...): the store imports them, never the reverse.
"""

from __future__ import annotations

from iprisk.store.allocation import AllocationStore
from iprisk.store.db import Base, ProfileEventRow, ProfileRow, alembic_config, connect, upgrade
from iprisk.store.profiles import ImportResult, ProfileStore
from iprisk.store.referrals import ReferralStore

__all__ = [
    "AllocationStore",
    "Base",
    "ImportResult",
    "ProfileEventRow",
    "ProfileRow",
    "ProfileStore",
    "ReferralStore",
    "alembic_config",
    "connect",
    "upgrade",
]
