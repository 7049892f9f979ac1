"""The SQL channel store under concurrency: several workers (threads, processes) on one database never take
the same message twice, and two deliveries of one message at once apply it once. (What a single worker sees
is the conformance suite of tests/exchange, run on this store too.)"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from iprisk.exchange import (
    Inbox,
    KeyRing,
    ManualClock,
    NodeIdentity,
    Opened,
    Outbox,
    SystemClock,
)
from iprisk.store import SqlChannelStore, connect

MESSAGES = 120


def _outbox(store: SqlChannelStore, clock: Any) -> tuple[Outbox, NodeIdentity]:
    eu, cn = NodeIdentity.create("EU", clock.now()), NodeIdentity.create("CN", clock.now())
    ring = KeyRing("CN")
    ring.pin(cn.current.card(), cn.fingerprint, clock.now(), timedelta(days=1))
    return Outbox(store, eu, {"CN": ring}, clock), cn


def _fill(url: str, count: int) -> list[str]:
    store = SqlChannelStore(url)
    outbox, _ = _outbox(store, SystemClock())
    with store.transaction() as tx:
        ids = [
            outbox.enqueue(tx, "stats", "CN", bytes([i % 256]), ttl=timedelta(days=1)).id
            for i in range(count)
        ]
    store.close()
    return ids


def _claim_all(url: str) -> list[str]:
    """A worker: take due messages in small batches until none is left; the ids it took."""
    store = SqlChannelStore(connect(url, migrate=False))
    outbox, _ = _outbox(store, SystemClock())
    taken: list[str] = []
    while batch := outbox.claim_due(limit=7, lease=timedelta(hours=1)):
        taken.extend(m.id for m in batch)
        time.sleep(0.001)  # let the other workers in
    store.close()
    return taken


def test_workers_in_several_processes_never_take_a_message_twice(store_database_url: str) -> None:
    ids = _fill(store_database_url, MESSAGES)
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        taken = pool.map(_claim_all, [store_database_url] * 3)
    counts = Counter(i for worker in taken for i in worker)
    assert set(counts) == set(ids) and max(counts.values()) == 1
    store = SqlChannelStore(store_database_url)
    with store.transaction() as tx:
        assert {m.attempts for m in tx.outgoing()} == {1}
    store.close()


def test_a_held_claim_is_skipped_not_waited_for(store_database_url: str) -> None:
    ids = _fill(store_database_url, 6)
    store = SqlChannelStore(store_database_url)
    if store.engine.dialect.name == "sqlite":  # one writer at a time: the second waits, then sees none due
        store.close()
        return
    now = datetime.now(UTC)
    other: list[str] = []
    with store.transaction() as held:
        first = [m.id for m in held.due_outgoing(now, 4)]

        def second_worker() -> None:
            with store.transaction() as tx:
                other.extend(m.id for m in tx.due_outgoing(now, 10))

        worker = threading.Thread(target=second_worker)
        worker.start()
        worker.join(timeout=30)
        assert not worker.is_alive(), "the second worker waited for the first one's rows"
    assert first == ids[:4] and other == ids[4:]
    store.close()


def test_two_deliveries_of_one_message_at_once_apply_it_once(store_database_url: str) -> None:
    clock = ManualClock(datetime.now(UTC))
    sender = SqlChannelStore(store_database_url)
    outbox, cn = _outbox(sender, clock)
    with sender.transaction() as tx:
        wire = outbox.enqueue(tx, "stats", "CN", b"x", ttl=timedelta(days=1)).wire
    ring = KeyRing("EU")
    ring.pin(outbox.identity.current.card(), outbox.identity.fingerprint, clock.now(), timedelta(days=1))
    applied: list[str] = []

    def slow_effect(tx: Any, opened: Opened) -> None:
        time.sleep(0.3)  # both deliveries are inside their unit of work at the same time
        applied.append(opened.message.id)

    receiver = SqlChannelStore(connect(store_database_url, migrate=False))
    inbox = Inbox(receiver, cn, {"EU": ring}, clock, {"stats": slow_effect})
    receipts: list[str] = []
    threads = [threading.Thread(target=lambda: receipts.append(inbox.receive(wire))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(receipts) == 2 and receipts[0] == receipts[1]
    assert len(applied) == 1
    sender.close()
    receiver.close()
