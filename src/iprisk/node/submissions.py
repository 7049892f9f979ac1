"""Submissions at a node: validated and stored as ``iprisk submit`` does, then recorded in the audit log.

The file is read and validated by :func:`iprisk.formats.read_seizures` (the same call as the command line),
``check_admin`` may refuse its administration (the caller's scope), and the warehouse stores it with
:meth:`iprisk.warehouse.Warehouse.submit`. The warehouse and the operational database are two stores: the
audit entry is appended right after the warehouse commits (a crash between the two leaves a stored
submission without its entry; ``submission_entries_missing`` finds such submissions).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from iprisk.node.context import Node
from iprisk.store.audit import AuditEntryRow
from iprisk.warehouse import STORED, SUPERSEDED_PREVIOUS, UNCHANGED, SubmitResult, Warehouse

#: One warehouse write at a time in this process: DuckDB allows one writing process, and two connections of
#: one process writing at once conflict; between writes the file is released for the other workers.
_WAREHOUSE_WRITER = threading.Lock()

#: Audit entry kinds of a submission, one per outcome of Warehouse.submit.
SUBMISSION_KINDS = tuple(f"submission.{status}" for status in (STORED, SUPERSEDED_PREVIOUS, UNCHANGED))


def submit_file(
    node: Node,
    path: str | Path,
    *,
    user: str,
    admin: str | None = None,
    quarter: str | None = None,
    mapping: str | None = None,
    check_admin: Callable[[str], None] | None = None,
) -> SubmitResult:
    """Validate and store one quarterly submission at the node; InvalidSubmission lists every problem."""
    from iprisk.formats import read_seizures

    batch = read_seizures(path, mapping=mapping, admin=admin, quarter=quarter)
    if check_admin is not None:
        check_admin(batch.admin)
    with _WAREHOUSE_WRITER, Warehouse.open(node.settings.warehouse) as wh:
        result = wh.submit(batch, user=user)
    with Session(node.engine) as session, session.begin():
        details = {
            "submission_id": result.submission_id, "version": result.version, "rows": result.rows,
            "content_hash": result.content_hash, "superseded_id": result.superseded_id,
        }  # fmt: skip
        subject = f"{result.admin} {result.quarter} v{result.version}"
        node.audit.record(session, f"submission.{result.status}", user, subject, details)
    return result


def submission_entries_missing(node: Node) -> list[int]:
    """Ids of stored submission versions that no audit entry records (a crash between the two commits)."""
    with Warehouse.open(node.settings.warehouse, create=False) as wh:
        stored = [int(i) for i in wh.submissions()["submission_id"]]
    with Session(node.engine) as session:
        rows = session.scalars(select(AuditEntryRow.entry).where(AuditEntryRow.kind.in_(SUBMISSION_KINDS)))
        recorded = {json.loads(e)["details"]["submission_id"] for e in rows}
    return [i for i in stored if i not in recorded]
