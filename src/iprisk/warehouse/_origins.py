"""Statistics received from the peer node: stored like a local submission, with where they came from.

A statistics message carries one version of one submission as the sender stored it. Receiving it is
idempotent by message id and keeps the sender's order of versions:

* the message id is already in ``submission_origins``: nothing is written (a retry after a crash between this
  commit and the receiver's inbox commit), the recorded outcome is returned;
* a newer version of the same submission from the same node was applied already (messages can arrive out of
  order): the message is recorded, not applied (``obsolete``), so the current version stays the newest;
* otherwise the version is stored as :func:`store_batch` stores any submission (``stored``,
  ``superseded-previous`` or ``unchanged``) and its origin recorded, in the same DuckDB transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from iprisk.periods import Quarter
from iprisk.warehouse._schema import ORIGINS
from iprisk.warehouse._submit import BatchLike, rollback, store_in_transaction

ALREADY_RECEIVED = "already-received"
OBSOLETE = "obsolete"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a received version comes from: the node, the message, the version as the sender numbered it."""

    node: str
    message_id: str
    version: int
    submitted_at: datetime


@dataclass(frozen=True, slots=True)
class ReceiveResult:
    """What receiving did: ``stored``, ``superseded-previous``, ``unchanged``, ``obsolete`` or
    ``already-received``; ``submission_id`` is the version it made or matched here (None when obsolete)."""

    status: str
    submission_id: int | None
    admin: str
    quarter: str
    content_hash: str


def receive_batch(duck: Any, batch: BatchLike, origin: Origin, *, user: str) -> ReceiveResult:
    """Store a version received from ``origin.node`` (see the module docstring), in one transaction."""
    admin, quarter = batch.admin, str(Quarter.parse(str(batch.quarter)))
    duck.execute("BEGIN TRANSACTION")
    try:
        seen = duck.execute(
            f'SELECT submission_id, applied FROM "{ORIGINS}" WHERE message_id = ?', [origin.message_id]
        ).fetchone()
        if seen is not None:
            duck.execute("COMMIT")
            return ReceiveResult(ALREADY_RECEIVED, seen[0], admin, quarter, batch.content_hash)
        newest = duck.execute(
            f'SELECT max(origin_version) FROM "{ORIGINS}" '
            "WHERE origin_node = ? AND reporting_admin = ? AND quarter = ? AND applied",
            [origin.node, admin, quarter],
        ).fetchone()[0]
        if newest is not None and newest > origin.version:
            _record(duck, origin, admin, quarter, batch.content_hash, None)
            duck.execute("COMMIT")
            return ReceiveResult(OBSOLETE, None, admin, quarter, batch.content_hash)
        stored = store_in_transaction(duck, batch, user=user)
        _record(duck, origin, admin, quarter, batch.content_hash, stored.submission_id)
        duck.execute("COMMIT")
    except BaseException:
        rollback(duck)
        raise
    return ReceiveResult(stored.status, stored.submission_id, admin, quarter, batch.content_hash)


def _record(
    duck: Any, origin: Origin, admin: str, quarter: str, content_hash: str, submission_id: int | None
) -> None:
    duck.execute(
        f'INSERT INTO "{ORIGINS}" (message_id, origin_node, reporting_admin, quarter, origin_version, '
        "origin_submitted_at, content_hash, received_at, submission_id, applied) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            origin.message_id,
            origin.node,
            admin,
            quarter,
            origin.version,
            origin.submitted_at,
            content_hash,
            datetime.now(UTC),
            submission_id,
            submission_id is not None,
        ],
    )
