"""The tampering campaign: every byte flipped in a sealed message, its ciphertext, its signed form and a
receipt; replays; a message for another node; a revoked key. Each case counts as tried, and as refused when
the channel raised a ChannelError (or, for a replay, did not apply the message again). Used by the tests,
which require refused == tried, and by the channel benchmark, which reports the counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from joserfc import jwe

from iprisk.exchange import ChannelError, Message, NodeIdentity, Outbox, seal, sign_message
from iprisk.exchange._encoding import b64url_decode, b64url_encode
from iprisk.exchange.envelope import SEALED_TYPE
from tests.exchange.nodes import TTL, Pair
from tests.exchange.reference import SEALED_REGISTRY


@dataclass
class Tally:
    tried: int = 0
    refused: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    def expect_refusal(self, attempt: Callable[[], object]) -> None:
        self.tried += 1
        try:
            attempt()
        except ChannelError as exc:
            self.refused += 1
            self.errors[type(exc).__name__] += 1


def flipped(data: bytes) -> Iterator[bytes]:
    """``data`` with the low bit of one byte flipped, for every byte in turn."""
    for i in range(len(data)):
        yield data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]


def _encrypt_to_cn(pair: Pair, signed: bytes) -> str:
    """What an attacker who can encrypt to CN (anyone: its key is public) would send."""
    keys = pair.cn_ring.current(pair.clock.now())
    header = {"alg": "ECDH-ES", "enc": "A256GCM", "kid": keys.encryption_kid, "typ": SEALED_TYPE}
    return jwe.encrypt_compact(header, signed, keys.encryption, registry=SEALED_REGISTRY)


def run_campaign(payload: bytes = b"period,lines\n2026Q1,3\n") -> dict[str, Tally]:
    """Run every tampering case against a fresh EU -> CN pair; the tally of each kind of case."""
    pair = Pair()
    outbox, inbox = pair.outbox(), pair.inbox()
    with pair.eu_store.transaction() as tx:
        original = outbox.enqueue(tx, "stats", "CN", payload, ttl=TTL, content_type="text/csv")
    tallies = {
        k: Tally() for k in ("wire", "ciphertext", "signed", "receipt", "replay", "recipient", "revoked")
    }

    wire = original.wire.encode("ascii")
    for bad in flipped(wire):
        tallies["wire"].expect_refusal(lambda bad=bad: inbox.receive(bad))

    segments = original.wire.split(".")
    ciphertext = b64url_decode(segments[3], "ciphertext")
    for bad in flipped(ciphertext):
        forged = ".".join([*segments[:3], b64url_encode(bad), segments[4]])
        tallies["ciphertext"].expect_refusal(lambda forged=forged: inbox.receive(forged))

    message = Message.new("stats", "EU", "CN", payload, now=pair.clock.now(), ttl=TTL)
    signed = seal(message, pair.eu.current, pair.cn_ring.current(pair.clock.now())).signed.encode("ascii")
    for bad in flipped(signed):
        tallies["signed"].expect_refusal(lambda bad=bad: inbox.receive(_encrypt_to_cn(pair, bad)))
    assert not pair.applied_log(), "a tampered message was applied"

    receipt = inbox.receive(original.wire).encode("ascii")
    for bad in flipped(receipt):
        tallies["receipt"].expect_refusal(lambda bad=bad: outbox.accept_receipt(bad))
    assert outbox.accept_receipt(receipt).status == "received"

    _replays(pair, outbox, original.wire, tallies["replay"])
    _misaddressed(pair, tallies["recipient"])
    _revoked(pair, tallies["revoked"])
    return tallies


def _replays(pair: Pair, outbox: Outbox, wire: str, tally: Tally) -> None:
    """Replaying an applied message applies nothing (same receipt); an expired one is refused."""
    inbox, before = pair.inbox(), pair.applied_log()
    for _ in range(3):
        tally.tried += 1
        inbox.receive(wire)
        tally.refused += pair.applied_log() == before
    with pair.eu_store.transaction() as tx:
        stale = outbox.enqueue(tx, "stats", "CN", b"old", ttl=timedelta(hours=1))
    pair.clock.advance(timedelta(hours=2))
    tally.tried += 1
    refused = outbox.accept_receipt(inbox.receive(stale.wire))
    tally.refused += refused.status == "failed" and "MessageExpired" in (refused.reason or "")
    tally.errors["MessageExpired"] += 1


def _misaddressed(pair: Pair, tally: Tally) -> None:
    """Signed by EU for another node and encrypted to CN (a forwarding peer); or encrypted to another key."""
    now = pair.clock.now()
    for_other = Message.new("stats", "EU", "XX", b"not for CN", now=now, ttl=TTL)
    forwarded = _encrypt_to_cn(pair, sign_message(for_other, pair.eu.current).encode("ascii"))
    tally.expect_refusal(lambda: pair.inbox().receive(forwarded))
    other = NodeIdentity.create("CN", now)  # a node with another key
    sealed = seal(
        Message.new("stats", "EU", "CN", b"x", now=now, ttl=TTL), pair.eu.current, other.current.public
    )
    tally.expect_refusal(lambda: pair.inbox().receive(sealed.wire))


def _revoked(pair: Pair, tally: Tally) -> None:
    """EU's key is revoked at CN: what it signed, even earlier, is refused; so are its receipts at EU."""
    outbox = pair.outbox()
    with pair.eu_store.transaction() as tx:
        queued = outbox.enqueue(tx, "stats", "CN", b"signed before the revocation", ttl=TTL)
    pair.eu_ring.revoke(pair.eu.fingerprint, pair.clock.now())
    tally.expect_refusal(lambda: pair.inbox().receive(queued.wire))
    assert queued.id not in pair.applied_log()
