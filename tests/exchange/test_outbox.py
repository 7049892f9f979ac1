from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from iprisk.exchange import (
    BadReceipt,
    DecryptionFailed,
    Inbox,
    Outbox,
    Receipt,
    RetryPolicy,
    UnknownKey,
    next_wakeup,
    sign_receipt,
)
from tests.exchange.backends import Backend
from tests.exchange.nodes import TTL, Pair


def test_backoff_is_exponential_with_full_jitter_and_a_cap() -> None:
    policy = RetryPolicy(first=timedelta(seconds=2), factor=2, cap=timedelta(seconds=60))
    rng = random.Random(1)
    for attempt, ceiling in ((1, 2), (2, 4), (3, 8), (6, 60), (30, 60)):
        delays = [policy.delay(attempt, rng).total_seconds() for _ in range(400)]
        assert min(delays) >= 0 and max(delays) <= ceiling
        assert max(delays) > 0.9 * ceiling  # the whole range is used (full jitter), not a fixed delay


def test_enqueue_is_part_of_the_callers_unit_of_work(backend: Backend) -> None:
    pair = Pair(backend=backend)
    outbox = pair.outbox()
    with pytest.raises(RuntimeError), pair.eu_store.transaction() as tx:
        outbox.enqueue(tx, "stats", "CN", b"x", ttl=TTL)
        backend.put(tx, "submissions", "s1", b"stored")
        raise RuntimeError("the change failed")
    with pair.eu_store.transaction() as tx:
        assert tx.outgoing() == [] and backend.rows(tx, "submissions") == {}
    with pytest.raises(UnknownKey, match="register the peer"), pair.eu_store.transaction() as tx:
        outbox.enqueue(tx, "stats", "JP", b"x", ttl=TTL)


def test_retries_keep_the_same_id_and_bytes_until_a_receipt(backend: Backend) -> None:
    pair = Pair(backend=backend)
    outbox, inbox = pair.outbox(), pair.inbox()
    with pair.eu_store.transaction() as tx:
        queued = outbox.enqueue(tx, "stats", "CN", b"x", ttl=TTL)
    sent: list[str] = []

    def down(node: str, wire: str) -> str:
        sent.append(wire)
        raise ConnectionError("peer unreachable")

    first = outbox.deliver_due(down)
    assert first.attempted == 1 and "ConnectionError" in first.transport_errors[0]
    assert outbox.deliver_due(down).attempted == 0  # not due again before the backoff
    wake = next_wakeup(outbox)
    assert wake is not None
    pair.clock.advance(wake - pair.clock.now())
    outbox.deliver_due(down)
    pair.clock.advance(timedelta(minutes=10))
    done = outbox.deliver_due(lambda node, wire: inbox.receive(wire))
    assert done.received == 1 and set(sent) == {queued.wire}
    with pair.eu_store.transaction() as tx:
        final = tx.get_outgoing(queued.id)
    assert final is not None and (final.status, final.attempts) == ("received", 3)
    assert outbox.deliver_due(down).attempted == 0 and next_wakeup(outbox) is None


def test_expiry_then_a_late_receipt_still_counts(backend: Backend) -> None:
    pair = Pair(backend=backend)
    outbox, inbox = pair.outbox(), pair.inbox()
    with pair.eu_store.transaction() as tx:
        queued = outbox.enqueue(tx, "stats", "CN", b"x", ttl=timedelta(hours=1))
    receipt = inbox.receive(queued.wire)  # delivered, but the receipt is lost on the way back
    pair.clock.advance(timedelta(hours=2))
    assert outbox.expire_overdue() == [queued.id]
    assert outbox.start_attempt(queued.id) is None
    assert outbox.accept_receipt(receipt).status == "received"


def test_receipts_that_do_not_match_are_refused(backend: Backend) -> None:
    pair = Pair(backend=backend)
    outbox, inbox = pair.outbox(), pair.inbox()
    with pair.eu_store.transaction() as tx:
        queued = outbox.enqueue(tx, "stats", "CN", b"x", ttl=TTL)

    def forged(**changes: str) -> str:
        fields = {
            "message_id": queued.id,
            "digest": queued.digest,
            "sender": "EU",
            "receiver": "CN",
        } | changes
        return sign_receipt(
            Receipt(**fields, received_at=pair.clock.now(), outcome="accepted"), pair.cn.current
        )

    with pytest.raises(BadReceipt, match="unknown message"):
        outbox.accept_receipt(forged(message_id="0190a000-0000-7000-8000-000000000000"))
    with pytest.raises(BadReceipt, match="digest"):
        outbox.accept_receipt(forged(digest="A" * 43))
    with pytest.raises(BadReceipt, match="went from"):
        outbox.accept_receipt(forged(sender="XX"))
    genuine = inbox.receive(queued.wire)
    assert outbox.accept_receipt(genuine).status == "received"
    assert outbox.accept_receipt(genuine).status == "received"  # idempotent
    pair.clock.advance(timedelta(seconds=1))
    with pytest.raises(BadReceipt, match="different receipt"):
        outbox.accept_receipt(forged())


def test_an_operator_can_give_up_on_an_open_message(backend: Backend) -> None:
    pair = Pair(backend=backend)
    outbox = pair.outbox()
    with pair.eu_store.transaction() as tx:
        queued = outbox.enqueue(tx, "stats", "CN", b"x", ttl=TTL)
    outbox.fail(queued.id, "withdrawn by the operator")
    with pair.eu_store.transaction() as tx:
        assert tx.outgoing("failed")[0].reason == "withdrawn by the operator"
    assert outbox.due() == []


def test_a_keyed_message_is_enqueued_once(backend: Backend) -> None:
    pair = Pair(backend=backend)
    outbox = pair.outbox()
    with pair.eu_store.transaction() as tx:
        first = outbox.enqueue(tx, "stats", "CN", b"v1", ttl=TTL, key="stats:DE:2026Q1:v1")
    with pair.eu_store.transaction() as tx:
        again = outbox.enqueue(tx, "stats", "CN", b"v1 again", ttl=TTL, key="stats:DE:2026Q1:v1")
        other = outbox.enqueue(tx, "stats", "CN", b"v2", ttl=TTL, key="stats:DE:2026Q1:v2")
        assert tx.outgoing_by_key("stats:DE:2026Q1:v2") == other
    assert again == first and other.id != first.id
    with pair.eu_store.transaction() as tx:
        assert [m.key for m in tx.outgoing()] == ["stats:DE:2026Q1:v1", "stats:DE:2026Q1:v2"]


def test_a_claim_takes_each_due_message_once_and_holds_it_for_its_lease(backend: Backend) -> None:
    pair = Pair(backend=backend)
    outbox = pair.outbox(RetryPolicy(first=timedelta(seconds=2), cap=timedelta(seconds=2)))
    with pair.eu_store.transaction() as tx:
        ids = [outbox.enqueue(tx, "stats", "CN", bytes([i]), ttl=TTL).id for i in range(5)]
    first = outbox.claim_due(limit=3, lease=timedelta(minutes=1))
    second = outbox.claim_due(limit=10, lease=timedelta(minutes=1))
    assert [m.id for m in first] == ids[:3] and [m.id for m in second] == ids[3:]
    assert outbox.claim_due(limit=10) == []
    with pair.eu_store.transaction() as tx:
        assert tx.next_attempt_time() == pair.clock.now() + timedelta(minutes=1)
    pair.clock.advance(timedelta(seconds=30))
    outbox.release({ids[0]: "ConnectionError: refused"})  # back to the backoff (<= 2 s after its attempt)
    assert [m.id for m in outbox.claim_due(limit=10)] == [ids[0]]
    pair.clock.advance(timedelta(seconds=31))  # the other leases ended: a crashed worker's messages return
    again = {m.id: m.attempts for m in outbox.claim_due(limit=10)}
    assert again == {ids[0]: 3} | {i: 2 for i in ids[1:]}
    with pair.eu_store.transaction() as tx:
        history = [(a.number, a.result) for a in tx.attempts(ids[0])]
    assert history == [(1, "sent"), (1, "error"), (2, "sent"), (3, "sent")]


def test_batches_are_sent_per_recipient_and_every_answer_is_checked(backend: Backend) -> None:
    pair = Pair(backend=backend)
    outbox, inbox = pair.outbox(), pair.inbox()
    with pair.eu_store.transaction() as tx:
        ids = [outbox.enqueue(tx, "stats", "CN", bytes([i]), ttl=TTL).id for i in range(7)]
    batches: list[int] = []

    def send(node: str, wires: Sequence[str]) -> list[str | Exception]:
        batches.append(len(wires))
        answers: list[str | Exception] = [inbox.receive(w) for w in wires]
        if len(batches) == 1:
            answers[1] = ConnectionResetError("lost on the way back")
            answers[2] = answers[0]  # the receipt of another message
        return answers

    done = outbox.deliver_batches(send, batch_size=3)
    assert batches == [3, 2, 2] and (done.attempted, done.received) == (7, 5)  # sized alike
    assert len(done.transport_errors) == 2 and "answers message" in " ".join(done.transport_errors)
    with pair.eu_store.transaction() as tx:
        open_ids = {m.id for m in tx.outgoing("sent")}
    assert open_ids == {ids[1], ids[2]}
    pair.clock.advance(timedelta(minutes=1))
    assert outbox.deliver_batches(lambda node, wires: [inbox.receive(w) for w in wires]).received == 2
    assert len(pair.applied_log()) == 7


def test_every_state_change_is_observed_in_its_unit_of_work(backend: Backend) -> None:
    pair = Pair(backend=backend)
    seen: list[tuple[str, str, dict[str, Any]]] = []

    def observe(tx: Any, event: str, subject: str, details: dict[str, Any]) -> None:
        seen.append((event, subject, details))
        backend.put(tx, "audit", f"{len(seen):04d}", event.encode())

    outbox = Outbox(pair.eu_store, pair.eu, {"CN": pair.cn_ring}, pair.clock, observer=observe)
    inbox = Inbox(pair.cn_store, pair.cn, {"EU": pair.eu_ring}, pair.clock, {}, observer=observe)
    with pair.eu_store.transaction() as tx:
        queued = outbox.enqueue(tx, "stats", "CN", b"x", ttl=TTL)
    outbox.deliver_due(lambda node, wire: inbox.receive(wire))
    with pytest.raises(DecryptionFailed):
        inbox.receive(queued.wire[:-8] + "AAAAAAAA")
    events = [(event, subject == queued.id) for event, subject, _ in seen]
    assert events == [
        ("message.queued", True),
        ("message.sent", True),
        ("message.refused", True),  # no handler for "stats" at this inbox: a refused receipt
        ("message.receipted", True),
        ("message.refused", False),  # unauthenticated bytes: no receipt
    ]
    assert seen[3][2]["outcome"] == "refused" and "payload" not in str(seen)
    assert len(pair.rows(pair.eu_store, "audit")) == 3 and len(pair.rows(pair.cn_store, "audit")) == 2


def test_batches_are_a_pipeline_the_next_at_the_peer_while_the_receipts_of_one_are_recorded(
    backend: Backend,
) -> None:
    pair = Pair(backend=backend)
    outbox, inbox = pair.outbox(), pair.inbox()
    with pair.eu_store.transaction() as tx:
        ids = [outbox.enqueue(tx, "stats", "CN", bytes([i]), ttl=TTL).id for i in range(10)]
    lock = threading.Lock()
    sizes: list[int] = []
    second_started = threading.Event()
    recorded_while_sending: list[bool] = []
    first_receipts = outbox.accept_receipts

    def send(node: str, wires: Sequence[str]) -> list[str | Exception]:
        with lock:
            sizes.append(len(wires))
            number = len(sizes)
        if number == 2:
            second_started.set()
            assert recording.wait(30), "the receipts of the first batch were not recorded meanwhile"
            lost.extend(wires)
            return [ConnectionResetError("the peer went away") for _ in wires]
        with lock:  # the test's effect numbers its log rows: not for concurrent batches
            return [inbox.receive(w) for w in wires]

    recording = threading.Event()
    lost: list[str] = []

    def accept(receipts: Sequence[tuple[str, str]]) -> Any:
        if not recording.is_set():  # the first batch's receipts: the second batch is at the peer
            recorded_while_sending.append(second_started.wait(30))
            recording.set()
        return first_receipts(receipts)

    outbox.accept_receipts = accept  # type: ignore[method-assign]
    done = outbox.deliver_batches(send, batch_size=4, in_flight=2)
    assert sorted(sizes) == [3, 3, 4] and recorded_while_sending == [True]
    assert (done.attempted, done.received, len(done.transport_errors)) == (10, 7, 3)
    with pair.eu_store.transaction() as tx:
        received = {m.id for m in tx.outgoing("received")}
        retried = {m.id for m in tx.outgoing("sent") if m.wire in lost}  # the second batch: retried later
    assert len(received) == 7 and len(retried) == 3 and received | retried == set(ids)
    assert len(pair.applied_log()) == 7


def test_what_is_due_is_split_so_that_every_batch_in_flight_has_work(backend: Backend) -> None:
    pair = Pair(backend=backend)
    outbox, inbox = pair.outbox(), pair.inbox()
    sizes: list[int] = []
    one_at_a_time = threading.Lock()  # the test's effect numbers its log rows: not for concurrent batches

    def send(node: str, wires: Sequence[str]) -> list[str | Exception]:
        with one_at_a_time:
            sizes.append(len(wires))
            return [inbox.receive(w) for w in wires]

    for count, expected in ((1, [1]), (5, [2, 3]), (9, [4, 5]), (130, [43, 43, 44])):
        with pair.eu_store.transaction() as tx:
            for i in range(count):
                outbox.enqueue(tx, "stats", "CN", bytes([i % 256]), ttl=TTL)
        sizes.clear()
        assert outbox.deliver_batches(send, limit=200, batch_size=64, in_flight=2).received == count
        assert sorted(sizes) == expected


@pytest.mark.parametrize("in_flight", [1, 2])
def test_a_peer_found_unreachable_is_tried_once_a_pass_and_its_messages_retry_together(
    backend: Backend, in_flight: int
) -> None:
    """A peer that is down (killed, restarting) costs one connection attempt per pass, not one per batch, and
    its messages come due again together: before, each message retried on its own jittered time, and a
    sender with 800 messages for a restarting peer made ~350 attempts a second (a claim and a release
    committed, audit entries written for each) while the peer tried to start on the same cores."""
    pair = Pair(backend=backend)
    outbox, inbox = pair.outbox(), pair.inbox()
    with pair.eu_store.transaction() as tx:
        ids = [outbox.enqueue(tx, "stats", "CN", bytes([i]), ttl=TTL).id for i in range(40)]
    calls: list[int] = []

    def down(node: str, wires: Sequence[str]) -> list[str | Exception]:
        calls.append(len(wires))
        raise ConnectionRefusedError(111, "Connection refused")

    done = outbox.deliver_batches(down, limit=100, batch_size=4, in_flight=in_flight)
    assert 1 <= len(calls) <= in_flight  # the batches already travelling when the first failed, no more
    assert (done.attempted, done.received, len(done.transport_errors)) == (40, 0, 40)
    with pair.eu_store.transaction() as tx:
        retries = {m.next_attempt for m in tx.outgoing("sent")}
        history = {a.result for i in ids for a in tx.attempts(i)}
    assert len(retries) == 1 and history == {"sent", "error"}  # one time for all: one pass, one attempt
    (retry,) = retries
    assert retry is not None and pair.clock.now() < retry <= pair.clock.now() + timedelta(seconds=2)

    def answered_one_by_one(node: str, wires: Sequence[str]) -> list[str | Exception]:
        calls.append(len(wires))  # the peer is up: its per-message errors do not stop the pass
        return [ConnectionResetError("transient at the peer") for _ in wires]

    pair.clock.advance(timedelta(seconds=2))
    calls.clear()
    assert (
        outbox.deliver_batches(answered_one_by_one, limit=100, batch_size=4, in_flight=in_flight).attempted
        == 40
    )
    assert sorted(calls) == [4] * 10
    pair.clock.advance(timedelta(minutes=1))
    done = outbox.deliver_batches(
        lambda node, wires: [inbox.receive(w) for w in wires], limit=100, batch_size=64
    )
    assert done.received == 40 and len(pair.applied_log()) == 40
