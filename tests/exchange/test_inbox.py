from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from iprisk.errors import InvalidInput, Problem
from iprisk.exchange import (
    DecryptionFailed,
    Message,
    NodeKeys,
    Opened,
    RetiredKey,
    UnknownKey,
    seal,
    verify_receipt,
)
from tests.exchange.backends import Backend
from tests.exchange.nodes import TTL, Pair


def _send(pair: Pair, payload: bytes = b"x", kind: str = "stats", ttl: timedelta = TTL) -> str:
    outbox = pair.outbox()
    with pair.eu_store.transaction() as tx:
        return outbox.enqueue(tx, kind, "CN", payload, ttl=ttl).wire


def test_applied_once_and_a_duplicate_gets_the_same_receipt_byte_for_byte(backend: Backend) -> None:
    pair = Pair(backend=backend)
    inbox, wire = pair.inbox(), _send(pair)
    first = inbox.receive(wire)
    assert [inbox.receive(wire) for _ in range(3)] == [first] * 3
    assert pair.inbox().receive(wire) == first  # after a restart too
    assert len(pair.applied_log()) == 1
    receipt = verify_receipt(first, {"CN": pair.cn_ring}, pair.clock.now())
    with pair.cn_store.transaction() as tx:
        stored = tx.incoming()[0]
    assert receipt.accepted and receipt.digest == stored.digest and stored.receipt == first


def test_a_refusing_effect_is_rolled_back_and_receipted_as_refused(backend: Backend) -> None:
    pair = Pair(backend=backend)

    def validate(tx: Any, opened: Opened) -> None:
        pair.backend.put(tx, "applied", opened.message.id, b"half-written")
        raise InvalidInput([Problem("required", "missing column", column="period")], source="stats.csv")

    inbox = pair.inbox({"stats": validate})
    token = inbox.receive(_send(pair))
    receipt = verify_receipt(token, {"CN": pair.cn_ring}, pair.clock.now())
    assert receipt.outcome == "refused" and "missing column" in (receipt.reason or "")
    with pair.cn_store.transaction() as tx:
        assert backend.rows(tx, "applied") == {} and tx.incoming()[0].outcome == "refused"


def test_a_transient_failure_commits_nothing_so_the_retry_applies_it(backend: Backend) -> None:
    pair = Pair(backend=backend)
    calls = []

    def flaky(tx: Any, opened: Opened) -> None:
        calls.append(opened.message.id)
        if len(calls) == 1:
            raise OSError("disk full")
        pair.record_effect(tx, opened)

    inbox, wire = pair.inbox({"stats": flaky}), _send(pair)
    with pytest.raises(OSError):
        inbox.receive(wire)
    with pair.cn_store.transaction() as tx:
        assert tx.incoming() == []
    token = inbox.receive(wire)
    assert verify_receipt(token, {"CN": pair.cn_ring}, pair.clock.now()).accepted
    assert len(pair.applied_log()) == 1


def test_unknown_kind_and_expired_messages_get_a_refused_receipt(backend: Backend) -> None:
    pair = Pair(backend=backend)
    inbox = pair.inbox()
    unknown = verify_receipt(
        inbox.receive(_send(pair, kind="newsletter")), {"CN": pair.cn_ring}, pair.clock.now()
    )
    assert unknown.outcome == "refused" and "no handler" in (unknown.reason or "")
    late = _send(pair, ttl=timedelta(minutes=1))
    pair.clock.advance(timedelta(minutes=2))
    expired = verify_receipt(inbox.receive(late), {"CN": pair.cn_ring}, pair.clock.now())
    assert expired.outcome == "refused" and "MessageExpired" in (expired.reason or "")
    assert pair.applied_log() == ()


def test_unauthenticated_bytes_are_recorded_as_refusals_without_receipt(backend: Backend) -> None:
    pair = Pair(backend=backend)
    inbox, wire = pair.inbox(), _send(pair)
    head, key, iv, ciphertext, tag = wire.split(".")
    with pytest.raises(DecryptionFailed):
        inbox.receive(".".join([head, key, iv, ciphertext[::-1], tag]))
    stranger = Pair(backend=backend)  # signed by a key CN never pinned, but encrypted to CN's real key
    stranger.cn, stranger.cn_ring = pair.cn, pair.cn_ring
    with pytest.raises(UnknownKey):
        inbox.receive(_send(stranger))
    with pair.cn_store.transaction() as tx:
        refusals = tx.refusals()
        assert tx.incoming() == []
    assert [r.error for r in refusals] == ["DecryptionFailed", "UnknownKey"]
    assert all(len(r.digest) == 43 for r in refusals)


def test_key_rotation_end_to_end_with_overlap(backend: Backend) -> None:
    """EU rotates: what the old key signed still opens during the overlap, the new key works at once; CN
    rotates: what was encrypted to its old key still opens (CN keeps the old generation)."""
    pair = Pair(backend=backend)
    in_flight = _send(pair)  # signed by EU's first key, encrypted to CN's first key
    pair.eu, announcement = pair.eu.rotate(pair.clock.now())
    pair.eu_ring.rotate(announcement, pair.clock.now(), timedelta(days=1))
    pair.cn, cn_announcement = pair.cn.rotate(pair.clock.now())
    pair.cn_ring.rotate(cn_announcement, pair.clock.now(), timedelta(days=1))
    inbox = pair.inbox()
    assert verify_receipt(inbox.receive(in_flight), {"CN": pair.cn_ring}, pair.clock.now()).accepted
    fresh = _send(pair)  # new keys on both sides
    assert verify_receipt(inbox.receive(fresh), {"CN": pair.cn_ring}, pair.clock.now()).accepted
    old_signed = _send_with(pair, pair.eu.generations[0])
    pair.clock.advance(timedelta(days=1, seconds=1))
    with pytest.raises(RetiredKey):
        inbox.receive(old_signed)
    assert len(pair.applied_log()) == 2


def _send_with(pair: Pair, keys: NodeKeys) -> str:
    message = Message.new("stats", "EU", "CN", b"old key", now=pair.clock.now(), ttl=TTL)
    return seal(message, keys, pair.cn_ring.current(pair.clock.now())).wire


def test_a_batch_accepts_the_good_refuses_the_bad_and_leaves_the_transient_for_a_retry(
    backend: Backend,
) -> None:
    """One batch, one unit of work: a message its handler refuses gets a refused receipt, one whose handler
    fails transiently gets the error (nothing of it kept), the others are accepted; a copy of a message in
    the same batch gets the same receipt; the retry applies the transient one once and nothing twice."""
    pair = Pair(backend=backend)
    failures = {"refuse": 1, "flaky": 1}
    runs: list[bytes] = []

    def effect(tx: Any, opened: Opened) -> None:
        runs.append(opened.message.payload)
        pair.record_effect(tx, opened)  # written, then undone if the handler raises
        if opened.message.payload == b"refuse":
            raise InvalidInput([Problem("range", "no such port", column="port")], source="x")
        if opened.message.payload == b"flaky" and failures["flaky"]:
            failures["flaky"] -= 1
            raise OSError("disk busy")

    payloads = [b"good 1", b"refuse", b"flaky", b"good 2"]
    wires = [_send(pair, p) for p in payloads]
    inbox = pair.inbox({"stats": effect})
    answers = inbox.receive_many([*wires, wires[0]])  # the first one twice in the batch
    good1, refused, flaky, good2, copy = answers
    now, rings = pair.clock.now(), {"CN": pair.cn_ring}
    assert isinstance(flaky, OSError)
    assert isinstance(good1, str) and isinstance(good2, str) and isinstance(refused, str) and copy == good1
    assert verify_receipt(good1, rings, now).accepted and verify_receipt(good2, rings, now).accepted
    assert verify_receipt(refused, rings, now).outcome == "refused"
    assert runs.count(b"flaky") == 1  # the failing effect is not run again in the same batch
    with pair.cn_store.transaction() as tx:
        assert {m.outcome for m in tx.incoming()} == {"accepted", "refused"} and len(tx.incoming()) == 3
        assert sorted(backend.rows(tx, "applied").values()) == [b"good 1", b"good 2"]

    again = inbox.receive_many(wires)  # the sender retries the batch: same receipts, the flaky one applied
    assert again[:2] == [good1, refused] and again[3] == good2
    assert isinstance(again[2], str) and verify_receipt(again[2], rings, now).accepted
    assert sorted(pair.applied_log()) == sorted(pair.rows(pair.cn_store, "applied"))  # once each
    assert len(pair.applied_log()) == 3
