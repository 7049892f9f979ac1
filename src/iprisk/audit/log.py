"""The append-only audit log: entries, the Merkle tree over them, signed and cosigned checkpoints.

The store keeps the entries and the hash of every complete subtree (level, index), so that roots and proofs
for any size cost O(log n) node reads. Appends must be serialised (one writer; the SQL store takes a lock):
an entry and the tree nodes it completes are written in one unit of work.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from iprisk.audit.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from iprisk.audit.entry import GENESIS, AuditEntry
from iprisk.audit.errors import AuditError
from iprisk.audit.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    split_point,
)
from iprisk.audit.note import NoteSigner, NoteVerifier, add_signature
from iprisk.exchange.clock import Clock


class LogStore(Protocol):
    def size(self) -> int: ...

    def append(self, entry: bytes, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """Store ``entry`` as number ``size()`` and the tree nodes (level, index, hash) it completes."""
        ...

    def entry(self, index: int) -> bytes: ...

    def entries(self, start: int = 0, end: int | None = None) -> list[bytes]: ...

    def node(self, level: int, index: int) -> bytes: ...

    def put_checkpoint(self, size: int, note: str) -> None:
        """Insert, or replace with a version carrying more signatures, the checkpoint of ``size``."""
        ...

    def checkpoint(self, size: int) -> str | None: ...

    def checkpoints(self) -> list[str]:
        """Every checkpoint, by size."""
        ...


class MemoryLogStore:
    def __init__(self) -> None:
        self._entries: list[bytes] = []
        self._nodes: dict[tuple[int, int], bytes] = {}
        self._checkpoints: dict[int, str] = {}

    def size(self) -> int:
        return len(self._entries)

    def append(self, entry: bytes, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        self._nodes.update({(level, index): value for level, index, value in nodes})
        self._entries.append(entry)

    def entry(self, index: int) -> bytes:
        return self._entries[index]

    def entries(self, start: int = 0, end: int | None = None) -> list[bytes]:
        return self._entries[start:end]

    def node(self, level: int, index: int) -> bytes:
        return self._nodes[(level, index)]

    def put_checkpoint(self, size: int, note: str) -> None:
        self._checkpoints[size] = note

    def checkpoint(self, size: int) -> str | None:
        return self._checkpoints.get(size)

    def checkpoints(self) -> list[str]:
        return [note for _, note in sorted(self._checkpoints.items())]


class AuditLog:
    """A node's audit log; its origin is the name of its signing key (e.g. ``iprisk.eu/audit``)."""

    def __init__(self, store: LogStore, signer: NoteSigner, clock: Clock):
        self.store = store
        self.signer = signer
        self.clock = clock

    @property
    def origin(self) -> str:
        return self.signer.name

    @property
    def size(self) -> int:
        return self.store.size()

    def append(self, kind: str, actor: str, subject: str, details: Mapping[str, Any] | None = None) -> int:
        """Record one state change; its index."""
        index = self.store.size()
        prev = self.store.node(0, index - 1) if index else GENESIS
        entry = AuditEntry(index, self.clock.now(), kind, actor, subject, dict(details or {}), prev).encode()
        leaf = leaf_hash(entry)
        self.store.append(entry, [(0, index, leaf), *self._completed(index, leaf)])
        return index

    def _completed(self, index: int, leaf: bytes) -> Iterator[tuple[int, int, bytes]]:
        """The parents a new leaf completes: while it is a right child, hash it with its left sibling."""
        level, position, node = 0, index, leaf
        while position & 1:
            node = node_hash(self.store.node(level, position - 1), node)
            level, position = level + 1, position >> 1
            yield level, position, node

    def subtree(self, start: int, end: int) -> bytes:
        """The Merkle tree hash of entries ``[start, end)``, from stored complete subtrees."""
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            return self.store.node(n.bit_length() - 1, start // n)
        k = split_point(n)
        return node_hash(self.subtree(start, start + k), self.subtree(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise AuditError(f"the log has {self.size} entries, no tree of size {size}")
        return self.subtree(0, size) if size else EMPTY_ROOT

    def checkpoint(self) -> str:
        """Sign and keep a checkpoint of the log as it is now (the same note if nothing was appended)."""
        size = self.size
        stored = self.store.checkpoint(size)
        if stored is not None:
            return stored
        note = sign_checkpoint(Checkpoint(self.origin, size, self.root(size)), self.signer)
        self.store.put_checkpoint(size, note)
        return note

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self.size if size is None else size, self.subtree)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        new_size = self.size if new_size is None else new_size
        if new_size > self.size:
            raise AuditError(f"the log has {self.size} entries, no tree of size {new_size}")
        return consistency_proof(old_size, new_size, self.subtree)

    def add_cosignature(self, size: int, line: str, cosigner: NoteVerifier) -> str:
        """Keep the peer's cosignature of our checkpoint of ``size`` after checking it."""
        note = self.store.checkpoint(size)
        if note is None:
            raise AuditError(f"no checkpoint of size {size} to cosign")
        cosigned = add_signature(note, line)
        if cosigner.name not in open_checkpoint(cosigned, self.signer.verifier, [cosigner]).cosigned:
            raise AuditError(f"the line is not a cosignature by {cosigner.name}")
        self.store.put_checkpoint(size, cosigned)
        return cosigned
