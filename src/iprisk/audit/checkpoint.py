"""Checkpoints (C2SP tlog-checkpoint): a log's size and root hash, signed by the log, cosigned by the peer.

Checkpoint text::

    <origin>           e.g. iprisk.eu/audit
    <tree size>        decimal
    <root hash>        standard base64 of the 32-byte RFC 9162 root

The node signs it as a signed note (Ed25519, type 0x01). The peer acts as a **witness**: it countersigns a
checkpoint only after checking a consistency proof from the last checkpoint of that log it countersigned, so a
log that later shows a different history is caught by the peer, and cannot produce a cosigned checkpoint for
it: neither node can later show two histories.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from iprisk.audit.errors import AuditError, ForkDetected, InvalidProof, MalformedNote
from iprisk.audit.merkle import HASH_SIZE, verify_consistency
from iprisk.audit.note import NoteSigner, NoteVerifier, sign_note, verify_note


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode('ascii')}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) != 4 or lines[3] != "":
            raise MalformedNote("a checkpoint is exactly three lines: origin, size, root hash")
        origin, size, root = lines[:3]
        if not origin or not size.isdigit() or (size != "0" and size.startswith("0")):
            raise MalformedNote(f"checkpoint origin {origin!r} or size {size!r} is malformed")
        try:
            raw = base64.b64decode(root, validate=True)
        except binascii.Error:
            raise MalformedNote(f"checkpoint root {root!r} is not base64") from None
        if len(raw) != HASH_SIZE:
            raise MalformedNote(f"checkpoint root is {len(raw)} bytes, expected {HASH_SIZE}")
        return cls(origin, int(size), raw)


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint whose log signature verified, the peers that cosigned it and when."""

    checkpoint: Checkpoint
    note: str
    cosigned: Mapping[str, int]


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> str:
    return sign_note(checkpoint.text(), signer)


def open_checkpoint(
    note: str, log_key: NoteVerifier, cosigners: Sequence[NoteVerifier] = ()
) -> SignedCheckpoint:
    """Check a checkpoint note: the log's own signature is required; known cosignatures are checked too."""
    parsed, verified = verify_note(note, [log_key, *cosigners])
    if log_key.name not in verified:
        raise AuditError(f"checkpoint is not signed by the log key {log_key.name}")
    checkpoint = Checkpoint.parse(parsed.text)
    cosigned = {name: t for name, t in verified.items() if name != log_key.name and t is not None}
    return SignedCheckpoint(checkpoint, note, cosigned)


class WitnessState(Protocol):
    """Where a witness keeps the largest checkpoint it countersigned, per log origin."""

    def latest(self, origin: str) -> Checkpoint | None: ...

    def set_latest(self, checkpoint: Checkpoint) -> None: ...


class MemoryWitnessState:
    def __init__(self) -> None:
        self._latest: dict[str, Checkpoint] = {}

    def latest(self, origin: str) -> Checkpoint | None:
        return self._latest.get(origin)

    def set_latest(self, checkpoint: Checkpoint) -> None:
        self._latest[checkpoint.origin] = checkpoint


class Witness:
    """The peer's side: countersign a log's checkpoints, refusing any that forks from what it saw."""

    def __init__(self, signer: NoteSigner, logs: Sequence[NoteVerifier], state: WitnessState):
        self.signer = signer
        self.logs = {log.name: log for log in logs}
        self.state = state

    def cosign(self, note: str, proof: Sequence[bytes], now: datetime) -> str:
        """The cosignature line for ``note``, given a consistency proof from the last checkpoint cosigned.

        Raises :class:`ForkDetected` when the checkpoint cannot extend the one cosigned before (a smaller
        size, another root for the same size, or a proof that does not verify).
        """
        origin = note.split("\n", 1)[0]
        log_key = self.logs.get(origin)
        if log_key is None:
            raise AuditError(f"no key known for the log {origin!r}")
        checkpoint = open_checkpoint(note, log_key).checkpoint
        last = self.state.latest(origin)
        if last is not None:
            if checkpoint.size < last.size:
                raise ForkDetected(
                    origin, f"size {checkpoint.size} is older than the cosigned size {last.size}"
                )
            if last.size > 0:
                try:
                    verify_consistency(last.size, checkpoint.size, last.root, checkpoint.root, proof)
                except InvalidProof as exc:
                    raise ForkDetected(
                        origin, f"size {checkpoint.size} does not extend the cosigned size {last.size}: {exc}"
                    ) from None
        self.state.set_latest(checkpoint)
        return self.signer.signature_line(checkpoint.text(), now)
