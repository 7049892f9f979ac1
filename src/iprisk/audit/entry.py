"""An audit entry: one state change, as the canonical JSON bytes the Merkle tree hashes.

Each entry holds its own index and the leaf hash of the entry before it (``prev``; 32 zero bytes for the
first). The Merkle tree and the signed checkpoints authenticate the whole log; these two fields let a
verifier also *name* what was changed, deleted, inserted or reordered, not only see that something was.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from iprisk.audit.errors import MalformedEntry
from iprisk.audit.merkle import HASH_SIZE

GENESIS = bytes(HASH_SIZE)
_FIELDS = {"index", "time", "kind", "actor", "subject", "details", "prev"}


@dataclass(frozen=True)
class AuditEntry:
    index: int
    time: datetime
    kind: str
    actor: str
    subject: str
    details: Mapping[str, Any] = field(default_factory=dict)
    prev: bytes = GENESIS

    def encode(self) -> bytes:
        """Canonical JSON (sorted keys, no blanks, UTF-8): the bytes stored and hashed."""
        value = {
            "index": self.index,
            "time": self.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "kind": self.kind,
            "actor": self.actor,
            "subject": self.subject,
            "details": dict(self.details),
            "prev": base64.b64encode(self.prev).decode("ascii"),
        }
        try:
            text = json.dumps(
                value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
            )
        except (TypeError, ValueError) as exc:
            raise MalformedEntry(f"audit entry details are not plain JSON: {exc}") from None
        return text.encode("utf-8")

    @classmethod
    def decode(cls, data: bytes) -> AuditEntry:
        try:
            value = json.loads(data)
            if not isinstance(value, dict) or set(value) != _FIELDS:
                raise ValueError(
                    f"fields {sorted(value) if isinstance(value, dict) else type(value).__name__}"
                )
            prev = base64.b64decode(value["prev"], validate=True)
            time = datetime.strptime(value["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
            if not isinstance(value["index"], int) or len(prev) != HASH_SIZE:
                raise ValueError("index or prev")
            return cls(
                value["index"], time, value["kind"], value["actor"], value["subject"], value["details"], prev
            )
        except (ValueError, TypeError, binascii.Error) as exc:
            raise MalformedEntry(f"not an audit entry: {exc}") from None
