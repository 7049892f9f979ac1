"""Two nodes (EU, CN) with pinned keys and a store each: the bed of the channel tests and benchmarks.

The stores come from a backend (in memory by default; SQLite or PostgreSQL for the conformance suite).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from iprisk.exchange import (
    ChannelStore,
    Inbox,
    KeyRing,
    ManualClock,
    NodeIdentity,
    Opened,
    Outbox,
    RetryPolicy,
)
from tests.exchange.backends import Backend, MemoryBackend

OVERLAP = timedelta(days=7)
TTL = timedelta(days=2)


def pinned(identity: NodeIdentity, clock: ManualClock) -> KeyRing:
    ring = KeyRing(identity.node)
    ring.pin(identity.current.card(), identity.fingerprint, clock.now(), OVERLAP)
    return ring


@dataclass
class Pair:
    """EU sends, CN receives; each with its own store, sharing one clock."""

    clock: ManualClock = field(default_factory=ManualClock)
    backend: Backend = field(default_factory=MemoryBackend)
    eu: NodeIdentity = field(init=False)
    cn: NodeIdentity = field(init=False)
    eu_store: ChannelStore = field(init=False)
    cn_store: ChannelStore = field(init=False)

    def __post_init__(self) -> None:
        self.eu = NodeIdentity.create("EU", self.clock.now())
        self.cn = NodeIdentity.create("CN", self.clock.now())
        self.cn_ring = pinned(self.cn, self.clock)  # what EU trusts of CN
        self.eu_ring = pinned(self.eu, self.clock)  # what CN trusts of EU
        self.eu_store = self.backend.new_store()
        self.cn_store = self.backend.new_store()

    def outbox(self, policy: RetryPolicy | None = None, seed: int = 0) -> Outbox:
        return Outbox(
            self.eu_store, self.eu, {"CN": self.cn_ring}, self.clock, policy=policy, rng=random.Random(seed)
        )

    def inbox(self, effects: dict[str, Any] | None = None) -> Inbox:
        return Inbox(
            self.cn_store, self.cn, {"EU": self.eu_ring}, self.clock, effects or {"stats": self.record_effect}
        )

    def record_effect(self, tx: Any, opened: Opened) -> None:
        """The test effect: one row per applied message, plus an append-only log to count applications."""
        self.backend.put(tx, "applied", opened.message.id, opened.message.payload)
        log = self.backend.rows(tx, "log")
        self.backend.put(tx, "log", f"{len(log):08d}", opened.message.id.encode())

    def rows(self, store: ChannelStore, table: str) -> dict[str, bytes]:
        with store.transaction() as tx:
            return self.backend.rows(tx, table)

    def applied_log(self) -> tuple[str, ...]:
        return tuple(value.decode() for _, value in sorted(self.rows(self.cn_store, "log").items()))
