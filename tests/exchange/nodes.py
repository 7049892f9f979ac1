"""Two nodes (EU, CN) with pinned keys and in-memory stores: the bed of the channel tests and benchmarks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from iprisk.exchange import (
    Inbox,
    KeyRing,
    ManualClock,
    MemoryChannelStore,
    NodeIdentity,
    Opened,
    Outbox,
    RetryPolicy,
)

OVERLAP = timedelta(days=7)
TTL = timedelta(days=2)


def pinned(identity: NodeIdentity, clock: ManualClock) -> KeyRing:
    ring = KeyRing(identity.node)
    ring.pin(identity.current.card(), identity.fingerprint, clock.now(), OVERLAP)
    return ring


def record_effect(tx: Any, opened: Opened) -> None:
    """The test effect: one row per applied message, plus an append-only log to count applications."""
    tx.put("applied", opened.message.id, opened.message.payload)
    log = tx.get("log", "ids") or ()
    tx.put("log", "ids", (*log, opened.message.id))


@dataclass
class Pair:
    """EU sends, CN receives; each with its own store, sharing one clock."""

    clock: ManualClock = field(default_factory=ManualClock)
    eu: NodeIdentity = field(init=False)
    cn: NodeIdentity = field(init=False)
    eu_store: MemoryChannelStore = field(default_factory=MemoryChannelStore)
    cn_store: MemoryChannelStore = field(default_factory=MemoryChannelStore)

    def __post_init__(self) -> None:
        self.eu = NodeIdentity.create("EU", self.clock.now())
        self.cn = NodeIdentity.create("CN", self.clock.now())
        self.cn_ring = pinned(self.cn, self.clock)  # what EU trusts of CN
        self.eu_ring = pinned(self.eu, self.clock)  # what CN trusts of EU

    def outbox(self, policy: RetryPolicy | None = None, seed: int = 0) -> Outbox:
        import random

        return Outbox(
            self.eu_store, self.eu, {"CN": self.cn_ring}, self.clock, policy=policy, rng=random.Random(seed)
        )

    def inbox(self, effects: dict[str, Any] | None = None) -> Inbox:
        return Inbox(
            self.cn_store, self.cn, {"EU": self.eu_ring}, self.clock, effects or {"stats": record_effect}
        )

    def applied_log(self) -> tuple[str, ...]:
        with self.cn_store.transaction() as tx:
            return tx.get("log", "ids") or ()
