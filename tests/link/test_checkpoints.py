"""Audit checkpoints between the nodes: sent, cosigned by the peer, the cosignature kept; a log that shows the
witness another history is refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from iprisk.audit import COSIGNATURE_V1, ED25519, AuditLog, MemoryLogStore, NoteSigner, open_checkpoint
from iprisk.link.checkpoints import CHECKPOINT_KIND, sync_checkpoints
from tests.link.twonodes import Side


@dataclass(frozen=True)
class Keys:
    log: NoteSigner
    witness: NoteSigner


class Trail:
    """An audit trail on a memory store (the node's is on its database, in the caller's transaction)."""

    def __init__(self, keys: Keys, clock: Any):
        self.store = MemoryLogStore()
        self.keys = keys
        self.clock = clock

    def log(self, session: Any) -> AuditLog:
        return AuditLog(self.store, self.keys.log, self.clock)

    def record(self, session: Any, kind: str, actor: str, subject: str, details: Any = None) -> int:
        return self.log(session).append(kind, actor, subject, details)

    def record_many(self, session: Any, events: list[Any]) -> list[int]:
        return [self.record(session, *event) for event in events]

    def checkpoint(self, session: Any) -> str:
        return self.log(session).checkpoint()


def _audited(side: Side) -> Trail:
    name = side.link.name.lower()
    keys = Keys(
        NoteSigner(f"iprisk.{name}/audit", Ed25519PrivateKey.generate(), ED25519),
        NoteSigner(f"iprisk.{name}/witness", Ed25519PrivateKey.generate(), COSIGNATURE_V1),
    )
    side.node.audit_keys = keys
    side.node.audit = Trail(keys, side.node.clock)
    return side.node.audit


def _exchange(eu: Side, cn: Side) -> None:
    for _ in range(4):
        for side in (eu, cn):
            side.link.deliver()


def test_checkpoints_are_cosigned_by_the_peer_and_the_cosignature_kept(nodes: tuple[Side, Side]) -> None:
    eu, cn = nodes
    eu_trail, _ = _audited(eu), _audited(cn)
    eu_trail.record(None, "test.event", "EU", "one")
    assert len(sync_checkpoints(eu.link)) == 1
    assert sync_checkpoints(eu.link) == []  # not again before the interval
    _exchange(eu, cn)
    notes = eu_trail.store.checkpoints()
    witness = cn.node.audit_keys.witness.verifier
    cosigned = [open_checkpoint(n, eu.node.audit_keys.log.verifier, [witness]) for n in notes]
    assert [c.checkpoint.size for c in cosigned if witness.name in c.cosigned] == [1]
    assert cn.link.peer_book.get("EU").log_vkey == eu.node.audit_keys.log.verifier.vkey
    assert eu.link.peer_book.get("CN").witness_vkey == witness.vkey
    # the log grew (the channel's own events are audited too): the next checkpoint extends the cosigned one
    eu_trail.record(None, "test.event", "EU", "two")
    eu.node.clock.advance(timedelta(minutes=6))
    cn.node.clock.advance(timedelta(minutes=6))
    assert len(sync_checkpoints(eu.link)) == 1
    _exchange(eu, cn)
    sizes = [
        open_checkpoint(n, eu.node.audit_keys.log.verifier, [witness]).checkpoint.size
        for n in eu_trail.store.checkpoints()
        if witness.name in open_checkpoint(n, eu.node.audit_keys.log.verifier, [witness]).cosigned
    ]
    assert len(sizes) == 2 and sizes[1] > sizes[0]


def test_a_log_that_rewrote_its_history_is_refused_by_the_witness(nodes: tuple[Side, Side]) -> None:
    eu, cn = nodes
    eu_trail, _ = _audited(eu), _audited(cn)
    eu_trail.record(None, "test.event", "EU", "one")
    eu_trail.record(None, "test.event", "EU", "two")
    sync_checkpoints(eu.link)
    _exchange(eu, cn)
    eu_trail.store = MemoryLogStore()  # the EU node rewrites its history from scratch...
    for subject in ("one", "forged", "three", "four"):
        eu_trail.record(None, "test.event", "EU", subject)
    eu.node.clock.advance(timedelta(minutes=6))
    cn.node.clock.advance(timedelta(minutes=6))
    sync_checkpoints(eu.link)
    _exchange(eu, cn)
    with eu.link.store.transaction() as tx:
        refused = [m for m in tx.outgoing("failed") if m.kind == CHECKPOINT_KIND]
    assert len(refused) == 1 and "ForkDetected" in (refused[0].reason or "")
