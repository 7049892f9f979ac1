"""The errors of the audit log.

They derive from :class:`AuditError` (an ``IpriskError`` and a ``ValueError``); the lead folds them into the
error map of ``iprisk.errors``.
"""

from __future__ import annotations

from iprisk.errors import IpriskError


class AuditError(IpriskError, ValueError):
    """The audit log, a proof, an entry or a checkpoint does not check out."""


class InvalidProof(AuditError):
    """An inclusion or consistency proof does not verify against the roots and sizes given."""


class MalformedEntry(AuditError):
    """Bytes that are not an audit entry (JSON with the expected fields)."""


class MalformedNote(AuditError):
    """Text that is not a signed note or a checkpoint in the C2SP format."""


class NoteSignatureError(AuditError):
    """A note has a failing signature from a known key, or no valid signature from any known key."""


class ForkDetected(AuditError):
    """Two signed checkpoints of one log that cannot both be true: the log showed two histories."""

    def __init__(self, origin: str, message: str):
        self.origin = origin
        super().__init__(f"{origin}: fork: {message}")
