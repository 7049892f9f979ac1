"""A small signed audit log and its peer witness, shared by the audit tests and the channel benchmark."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from iprisk.audit import (
    COSIGNATURE_V1,
    AuditLog,
    LogStore,
    MemoryLogStore,
    MemoryWitnessState,
    NoteSigner,
    Witness,
)
from iprisk.exchange import ManualClock

EU_LOG = "iprisk.eu/audit"
CN_WITNESS = "iprisk.cn/witness"


def new_log(clock: ManualClock | None = None, store: LogStore | None = None) -> AuditLog:
    """A log with a fresh key, on ``store`` (default: in memory)."""
    return AuditLog(
        store or MemoryLogStore(), NoteSigner(EU_LOG, Ed25519PrivateKey.generate()), clock or ManualClock()
    )


def witness_of(log: AuditLog) -> Witness:
    signer = NoteSigner(CN_WITNESS, Ed25519PrivateKey.generate(), COSIGNATURE_V1)
    return Witness(signer, [log.signer.verifier], MemoryWitnessState())


def filled(log: AuditLog, count: int, checkpoint_every: int = 4) -> list[str]:
    """Append ``count`` entries, checkpointing every few; the checkpoints."""
    notes = []
    for i in range(count):
        log.append("message.sent", "EU", f"message-{i}", {"n": i})
        if (i + 1) % checkpoint_every == 0:
            notes.append(log.checkpoint())
    notes.append(log.checkpoint())
    return notes
