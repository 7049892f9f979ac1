from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from joserfc import jws
from joserfc.jwk import OctKey

from iprisk.exchange import (
    KeyRing,
    MalformedMessage,
    Message,
    MessageExpired,
    UnknownKey,
    check_fresh,
    new_message_id,
    open_sealed,
    seal,
    verify_signed,
)
from iprisk.exchange._encoding import b64url_decode
from tests.exchange.nodes import OVERLAP, TTL, Pair


def test_seal_then_open_gives_back_the_message_and_its_signed_form() -> None:
    pair = Pair()
    message = Message.new(
        "stats", "EU", "CN", b"\x00binary\xff", now=pair.clock.now(), ttl=TTL, content_type="x/y"
    )
    sealed = seal(message, pair.eu.current, pair.cn_ring.current(pair.clock.now()))
    opened = open_sealed(sealed.wire, pair.cn, {"EU": pair.eu_ring}, pair.clock.now())
    assert opened.message == message
    assert opened.signed == sealed.signed and opened.digest == sealed.digest
    assert opened.sender_key == pair.eu.fingerprint
    header = json.loads(b64url_decode(sealed.wire.split(".")[0], "header"))
    assert (header["alg"], header["enc"], header["epk"]["crv"]) == ("ECDH-ES", "A256GCM", "X25519")
    assert b"binary" not in sealed.wire.encode()  # encrypted


def test_a_third_party_verifies_the_signed_form_with_the_sender_public_key_alone() -> None:
    pair = Pair()
    message = Message.new("profile-approval", "EU", "CN", b'{"ok":1}', now=pair.clock.now(), ttl=TTL)
    signed = seal(message, pair.eu.current, pair.cn_ring.current(pair.clock.now())).signed
    auditor_ring = KeyRing("EU")
    auditor_ring.pin(pair.eu.current.card(), pair.eu.fingerprint, pair.clock.now(), OVERLAP)
    assert verify_signed(signed, {"EU": auditor_ring}, pair.clock.now()).message == message
    # plain JOSE tooling, given only the public JWK, verifies it too; the recipient is inside what is signed
    token = jws.deserialize_compact(signed, pair.eu.current.public.signing, registry=_lenient())
    assert token.headers()["aud"] == "CN" and token.payload == b'{"ok":1}'
    with pytest.raises(UnknownKey):
        verify_signed(signed, {}, pair.clock.now())


def _lenient() -> jws.JWSRegistry:
    return jws.JWSRegistry(algorithms=["Ed25519"], strict_check_header=False)


def test_expiry_and_clock_skew() -> None:
    pair = Pair()
    now = pair.clock.now()
    message = Message.new("stats", "EU", "CN", b"", now=now, ttl=timedelta(hours=1))
    check_fresh(message, now + timedelta(hours=1))
    with pytest.raises(MessageExpired):
        check_fresh(message, now + timedelta(hours=1, seconds=1))
    with pytest.raises(MalformedMessage, match="future"):
        check_fresh(message, now - timedelta(minutes=6))


def test_message_ids_are_uuid7_in_time_order() -> None:
    ids = [new_message_id() for _ in range(50)]
    assert all(uuid.UUID(i).version == 7 for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == 50


def test_bad_arguments_are_refused_before_anything_is_signed() -> None:
    pair = Pair()
    with pytest.raises(MalformedMessage, match="time to live"):
        Message.new("stats", "EU", "CN", b"", now=pair.clock.now(), ttl=timedelta(0))
    with pytest.raises(MalformedMessage, match="kind"):
        Message.new("", "EU", "CN", b"", now=pair.clock.now(), ttl=TTL)
    message = Message.new("stats", "XX", "CN", b"", now=pair.clock.now(), ttl=TTL)
    with pytest.raises(MalformedMessage, match="cannot be signed"):
        seal(message, pair.eu.current, pair.cn_ring.current(pair.clock.now()))


def test_only_the_channel_algorithms_are_accepted() -> None:
    pair = Pair()
    hmac = jws.serialize_compact(
        {"alg": "HS256", "kid": pair.eu.fingerprint, "typ": "iprisk-message+jws"},
        b"x",
        OctKey.import_key(b"k" * 32),
        registry=jws.JWSRegistry(algorithms=["HS256"]),
    )
    with pytest.raises(MalformedMessage, match="algorithm 'HS256'"):
        verify_signed(hmac, {"EU": pair.eu_ring}, pair.clock.now())
