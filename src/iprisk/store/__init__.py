"""The operational database (SQLAlchemy 2 + Alembic): SQLite by default, PostgreSQL by URL.

Holds the risk profiles, every version and every lifecycle step, the allocation plans and joint operations,
the log of reports built, the node's accounts and API tokens, idempotency keys, the audit log (entries,
Merkle tree nodes, signed checkpoints), the channel's messages (outbox, inbox, refusals, attempts, peers), and
the referrals between key ports with their lifecycle and the network of key ports. Analytical data lives in
the warehouse. Domain models stay in their own packages (``iprisk.profiles``, ``iprisk.exchange``...): the
store imports them, never the reverse.
"""

from __future__ import annotations

from iprisk.store.accounts import AccountStore
from iprisk.store.allocation import AllocationStore
from iprisk.store.audit import AuditTrail, SqlLogStore
from iprisk.store.channel import SqlChannelStore, SqlChannelTransaction
from iprisk.store.db import (
    Base,
    ProfileEventRow,
    ProfileRow,
    ReportRunRow,
    alembic_config,
    connect,
    upgrade,
)
from iprisk.store.idempotency import Claim, IdempotencyStore, StoredResponse
from iprisk.store.peers import Peer, PeerBook, SqlWitnessState
from iprisk.store.profiles import ImportResult, ProfileStore
from iprisk.store.referrals import ReferralStore
from iprisk.store.runs import RUN_COLUMNS, RunLog

__all__ = [
    "RUN_COLUMNS",
    "AccountStore",
    "AllocationStore",
    "AuditTrail",
    "Base",
    "Claim",
    "IdempotencyStore",
    "ImportResult",
    "Peer",
    "PeerBook",
    "ProfileEventRow",
    "ProfileRow",
    "ProfileStore",
    "ReferralStore",
    "ReportRunRow",
    "RunLog",
    "SqlChannelStore",
    "SqlChannelTransaction",
    "SqlLogStore",
    "SqlWitnessState",
    "StoredResponse",
    "alembic_config",
    "connect",
    "upgrade",
]
