from __future__ import annotations

import random
from datetime import timedelta

import pytest

from iprisk.exchange import BadReceipt, Receipt, RetryPolicy, UnknownKey, next_wakeup, sign_receipt
from tests.exchange.nodes import TTL, Pair


def test_backoff_is_exponential_with_full_jitter_and_a_cap() -> None:
    policy = RetryPolicy(first=timedelta(seconds=2), factor=2, cap=timedelta(seconds=60))
    rng = random.Random(1)
    for attempt, ceiling in ((1, 2), (2, 4), (3, 8), (6, 60), (30, 60)):
        delays = [policy.delay(attempt, rng).total_seconds() for _ in range(400)]
        assert min(delays) >= 0 and max(delays) <= ceiling
        assert max(delays) > 0.9 * ceiling  # the whole range is used (full jitter), not a fixed delay


def test_enqueue_is_part_of_the_callers_unit_of_work() -> None:
    pair = Pair()
    outbox = pair.outbox()
    with pytest.raises(RuntimeError), pair.eu_store.transaction() as tx:
        outbox.enqueue(tx, "stats", "CN", b"x", ttl=TTL)
        tx.put("submissions", "s1", "stored")
        raise RuntimeError("the change failed")
    with pair.eu_store.transaction() as tx:
        assert tx.outgoing() == [] and tx.rows("submissions") == {}
    with pytest.raises(UnknownKey, match="register the peer"), pair.eu_store.transaction() as tx:
        outbox.enqueue(tx, "stats", "JP", b"x", ttl=TTL)


def test_retries_keep_the_same_id_and_bytes_until_a_receipt() -> None:
    pair = Pair()
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


def test_expiry_then_a_late_receipt_still_counts() -> None:
    pair = Pair()
    outbox, inbox = pair.outbox(), pair.inbox()
    with pair.eu_store.transaction() as tx:
        queued = outbox.enqueue(tx, "stats", "CN", b"x", ttl=timedelta(hours=1))
    receipt = inbox.receive(queued.wire)  # delivered, but the receipt is lost on the way back
    pair.clock.advance(timedelta(hours=2))
    assert outbox.expire_overdue() == [queued.id]
    assert outbox.start_attempt(queued.id) is None
    assert outbox.accept_receipt(receipt).status == "received"


def test_receipts_that_do_not_match_are_refused() -> None:
    pair = Pair()
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


def test_an_operator_can_give_up_on_an_open_message() -> None:
    pair = Pair()
    outbox = pair.outbox()
    with pair.eu_store.transaction() as tx:
        queued = outbox.enqueue(tx, "stats", "CN", b"x", ttl=TTL)
    outbox.fail(queued.id, "withdrawn by the operator")
    with pair.eu_store.transaction() as tx:
        assert tx.outgoing("failed")[0].reason == "withdrawn by the operator"
    assert outbox.due() == []
