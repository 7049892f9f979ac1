"""The tamper-evident audit log: an RFC 9162 Merkle tree, C2SP signed checkpoints and cosignatures.

Pure library: storage behind :class:`LogStore` (an in-memory one is included). See ``docs/audit.md``.
"""

from iprisk.audit.checkpoint import (
    Checkpoint,
    MemoryWitnessState,
    SignedCheckpoint,
    Witness,
    WitnessState,
    open_checkpoint,
    sign_checkpoint,
)
from iprisk.audit.entry import GENESIS, AuditEntry
from iprisk.audit.errors import (
    AuditError,
    ForkDetected,
    InvalidProof,
    MalformedEntry,
    MalformedNote,
    NoteSignatureError,
)
from iprisk.audit.log import AuditLog, LogStore, MemoryLogStore
from iprisk.audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from iprisk.audit.note import (
    COSIGNATURE_V1,
    ED25519,
    NoteSigner,
    NoteVerifier,
    add_signature,
    parse_note,
    sign_note,
    verify_note,
)
from iprisk.audit.verify import Finding, LogReport, verify_entry, verify_log

__all__ = [
    "COSIGNATURE_V1",
    "ED25519",
    "EMPTY_ROOT",
    "GENESIS",
    "AuditEntry",
    "AuditError",
    "AuditLog",
    "Checkpoint",
    "CompactRange",
    "Finding",
    "ForkDetected",
    "InvalidProof",
    "LogReport",
    "LogStore",
    "MalformedEntry",
    "MalformedNote",
    "MemoryLogStore",
    "MemoryWitnessState",
    "NoteSignatureError",
    "NoteSigner",
    "NoteVerifier",
    "SignedCheckpoint",
    "Witness",
    "WitnessState",
    "add_signature",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "parse_note",
    "root_of",
    "sign_checkpoint",
    "sign_note",
    "verify_consistency",
    "verify_entry",
    "verify_inclusion",
    "verify_log",
    "verify_note",
]
