"""The operational store (SQLAlchemy 2 + Alembic): SQLite by default, PostgreSQL by URL.

Holds the risk profiles, every version and every lifecycle step. Analytical data lives in the warehouse.
"""

from __future__ import annotations

from iprisk.ops.db import Base, ProfileEventRow, ProfileRow, alembic_config, connect, upgrade
from iprisk.ops.profiles import ImportResult, ProfileStore, default_user

__all__ = [
    "Base",
    "ImportResult",
    "ProfileEventRow",
    "ProfileRow",
    "ProfileStore",
    "alembic_config",
    "connect",
    "default_user",
    "upgrade",
]
