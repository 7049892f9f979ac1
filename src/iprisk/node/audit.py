"""``iprisk audit verify``: check the node's audit log as a third party would, from what the database holds.

Three checks, each naming what is wrong:

1. :func:`iprisk.audit.verify_log` over the stored entries and checkpoints: every signature (the log's, the
   peers' cosignatures), the hash chain, the roots — a changed, deleted, reordered or inserted entry is named;
2. consistency: between each pair of successive checkpoints, a proof built from the stored tree verifies
   against the two signed roots (the log only grew);
3. inclusion: every entry covered by the latest checkpoint has a proof from the stored tree that verifies
   against its signed root.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from iprisk.audit import (
    AuditError,
    AuditLog,
    Checkpoint,
    LogReport,
    NoteVerifier,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
    verify_log,
)
from iprisk.node.context import Node
from iprisk.store.audit import AuditNodeRow, SqlLogStore


class _Snapshot:
    """The stored log read once into memory (proofs then cost no query), as a read-only LogStore."""

    def __init__(self, entries: list[bytes], nodes: dict[tuple[int, int], bytes], checkpoints: list[str]):
        self._entries, self._nodes, self._checkpoints = entries, nodes, checkpoints

    def size(self) -> int:
        return len(self._entries)

    def append(self, entry: bytes, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        raise AuditError("a snapshot of the log is read-only")

    def entry(self, index: int) -> bytes:
        return self._entries[index]

    def entries(self, start: int = 0, end: int | None = None) -> list[bytes]:
        return self._entries[start:end]

    def node(self, level: int, index: int) -> bytes:
        try:
            return self._nodes[(level, index)]
        except KeyError:
            raise AuditError(f"the stored tree lacks node ({level}, {index})") from None

    def put_checkpoint(self, size: int, note: str) -> None:
        raise AuditError("a snapshot of the log is read-only")

    def checkpoint(self, size: int) -> str | None:
        return None

    def checkpoints(self) -> list[str]:
        return self._checkpoints


@dataclass(frozen=True)
class AuditVerification:
    report: LogReport
    consistency_checked: int
    inclusion_checked: int
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.report.ok and not self.problems

    def findings(self) -> list[str]:
        return [str(f) for f in self.report.findings] + list(self.problems)


def verify_node_log(node: Node, cosigners: Sequence[NoteVerifier] = ()) -> AuditVerification:
    """Verify the node's audit log (entries, stored tree, checkpoints) with its key and the peers' keys."""
    with Session(node.engine) as session:
        store = SqlLogStore(session)
        entries, notes = store.entries(), store.checkpoints()
        nodes = {(r.level, r.index): bytes(r.hash) for r in session.scalars(select(AuditNodeRow))}
    key = node.audit_keys.log.verifier
    report = verify_log(entries, notes, key, cosigners)
    log = AuditLog(_Snapshot(entries, nodes, notes), node.audit.signer, node.clock)
    signed: list[Checkpoint] = []
    problems: list[str] = []
    for note in notes:
        try:
            signed.append(Checkpoint.parse(note.split("\n\n", 1)[0] + "\n"))
        except AuditError as exc:
            problems.append(f"checkpoint unreadable: {exc}")
    signed.sort(key=lambda c: c.size)
    consistency = 0
    for old, new in itertools.pairwise(signed):
        if old.size == 0 or new.size > log.size:
            continue
        try:
            verify_consistency(
                old.size, new.size, old.root, new.root, log.consistency_proof(old.size, new.size)
            )
            consistency += 1
        except AuditError as exc:
            problems.append(f"consistency {old.size} -> {new.size}: {exc}")
    inclusion = 0
    latest = signed[-1] if signed else None
    if latest is not None and 0 < latest.size <= log.size:
        for index in range(latest.size):
            try:
                proof = log.inclusion_proof(index, latest.size)
                verify_inclusion(leaf_hash(entries[index]), index, latest.size, proof, latest.root)
                inclusion += 1
            except AuditError as exc:
                problems.append(f"inclusion of entry {index} in the checkpoint of size {latest.size}: {exc}")
    return AuditVerification(report, consistency, inclusion, tuple(problems))
