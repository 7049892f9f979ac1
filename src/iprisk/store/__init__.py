"""The operational database (SQLAlchemy 2 + Alembic): SQLite by default, PostgreSQL by URL.

Holds the risk profiles, every version and every lifecycle step, the allocation plans and joint operations,
and the log of reports built; users, keys, messages, referrals and the audit log will join them. Analytical
data lives in the warehouse. Domain models stay in their own packages (``iprisk.profiles``...): the store
imports them, never the reverse.
"""

from __future__ import annotations

from iprisk.store.allocation import AllocationStore
from iprisk.store.db import (
    Base,
    ProfileEventRow,
    ProfileRow,
    ReportRunRow,
    alembic_config,
    connect,
    upgrade,
)
from iprisk.store.profiles import ImportResult, ProfileStore
from iprisk.store.runs import RUN_COLUMNS, RunLog

__all__ = [
    "RUN_COLUMNS",
    "AllocationStore",
    "Base",
    "ImportResult",
    "ProfileEventRow",
    "ProfileRow",
    "ProfileStore",
    "ReportRunRow",
    "RunLog",
    "alembic_config",
    "connect",
    "upgrade",
]
