"""The channel's tokens are plain JOSE: joserfc reads what the channel writes and the channel reads what
joserfc writes; what the profile does not allow is refused, naming why."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from joserfc import jwe, jws
from joserfc.jwk import OKPKey

from iprisk.exchange import (
    DecryptionFailed,
    MalformedMessage,
    Message,
    WrongRecipient,
    open_sealed,
    seal,
    sign_message,
    verify_signed,
)
from iprisk.exchange._encoding import b64url_decode, b64url_encode
from iprisk.exchange.envelope import MESSAGE_TYPE, SEALED_TYPE
from tests.exchange.nodes import TTL, Pair
from tests.exchange.reference import SEALED_REGISTRY, SIGNED_REGISTRY


def _message(pair: Pair, payload: bytes = b"period,lines\n2026Q1,3\n") -> Message:
    return Message.new("stats", "EU", "CN", payload, now=pair.clock.now(), ttl=TTL, content_type="text/csv")


def _cn_private(pair: Pair) -> OKPKey:
    return OKPKey.import_key(pair.cn.current.encryption_key)


def test_joserfc_decrypts_and_verifies_what_the_channel_seals() -> None:
    pair = Pair()
    message = _message(pair, bytes(range(256)) * 5)
    sealed = seal(message, pair.eu.current, pair.cn_ring.current(pair.clock.now()))
    inner = jwe.decrypt_compact(sealed.wire, _cn_private(pair), registry=SEALED_REGISTRY)
    assert (
        inner.protected["typ"] == SEALED_TYPE
        and inner.protected["kid"] == pair.cn.current.public.encryption_kid
    )
    assert inner.plaintext == sealed.signed.encode("ascii")
    token = jws.deserialize_compact(sealed.signed, pair.eu.current.public.signing, registry=SIGNED_REGISTRY)
    headers = token.headers()
    assert token.payload == message.payload
    assert (headers["jti"], headers["aud"], headers["kid"]) == (message.id, "CN", pair.eu.fingerprint)


def test_the_channel_opens_what_joserfc_signs_and_encrypts_with_party_info() -> None:
    pair = Pair()
    message = _message(pair)
    ours = sign_message(message, pair.eu.current)
    header = json.loads(b64url_decode(ours.split(".")[0], "header"))
    signing = OKPKey.import_key(pair.eu.current.signing_key)
    signed = jws.serialize_compact(header, message.payload, signing, registry=SIGNED_REGISTRY)
    cn = pair.cn_ring.current(pair.clock.now())
    protected = {
        "alg": "ECDH-ES",
        "enc": "A256GCM",
        "kid": cn.encryption_kid,
        "apu": b64url_encode(b"EU node"),
        "apv": b64url_encode(b"CN node"),
    }
    wire = jwe.encrypt_compact(protected, signed, cn.encryption, registry=SEALED_REGISTRY)
    opened = open_sealed(wire, pair.cn, {"EU": pair.eu_ring}, pair.clock.now())
    assert opened.message == message
    assert verify_signed(signed, {"EU": pair.eu_ring}, pair.clock.now()).message == message


_ZERO = b64url_encode(bytes(32))


def _epk(curve: str, x: object) -> dict[str, object]:
    return {"kty": "OKP", "crv": curve, "x": x}


def _resealed(wire: str, change: dict[str, object]) -> str:
    """``wire`` with its protected header changed (the tag no longer matches, but the checks come first)."""
    first, *rest = wire.split(".")
    header = json.loads(b64url_decode(first, "header")) | change
    return ".".join([b64url_encode(json.dumps(header).encode()), *rest])


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"zip": "DEF"}, MalformedMessage, "'zip' refused"),
        ({"crit": ["exp"]}, MalformedMessage, "'crit' refused"),
        ({"enc": "A128GCM"}, MalformedMessage, "algorithms"),
        ({"alg": "ECDH-ES+A256KW"}, MalformedMessage, "algorithms"),
        ({"kid": "someone-else"}, WrongRecipient, "not a key of CN"),
        (
            {"epk": {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(bytes(32))}},
            DecryptionFailed,
            "X25519",
        ),
        (
            {"epk": {"kty": "OKP", "crv": "X25519", "x": b64url_encode(bytes(32))}},
            DecryptionFailed,
            "unusable",
        ),
        ({"epk": {"kty": "OKP", "crv": "X25519", "x": 7}}, DecryptionFailed, "unusable"),
    ],
)
def test_what_the_profile_does_not_allow_is_refused(
    change: dict[str, object], error: type[Exception], match: str
) -> None:
    pair = Pair()
    sealed = seal(_message(pair), pair.eu.current, pair.cn_ring.current(pair.clock.now()))
    with pytest.raises(error, match=match):
        open_sealed(_resealed(sealed.wire, change), pair.cn, {"EU": pair.eu_ring}, pair.clock.now())


def test_key_wrapping_a_short_iv_and_a_forged_header_are_refused() -> None:
    pair = Pair()
    wire = seal(_message(pair), pair.eu.current, pair.cn_ring.current(pair.clock.now())).wire
    parts = wire.split(".")
    now, peers = pair.clock.now(), {"EU": pair.eu_ring}
    for index, value, match in ((1, b"wrapped key", "direct key agreement"), (2, b"short", "96-bit IV")):
        changed = [*parts[:index], b64url_encode(value), *parts[index + 1 :]]
        with pytest.raises(DecryptionFailed, match=match):
            open_sealed(".".join(changed), pair.cn, peers, now)
    with pytest.raises(DecryptionFailed, match="authentication tag"):  # the header is what the tag covers
        open_sealed(_resealed(wire, {"cty": MESSAGE_TYPE + "x"}), pair.cn, peers, now)


def test_a_signed_header_with_missing_or_mistyped_metadata_is_refused() -> None:
    pair = Pair()
    message = Message.new("stats", "EU", "CN", b"x", now=pair.clock.now(), ttl=timedelta(hours=1))
    header = json.loads(b64url_decode(sign_message(message, pair.eu.current).split(".")[0], "header"))
    signing = OKPKey.import_key(pair.eu.current.signing_key)
    for name, value in (("iat", "1"), ("exp", True), ("jti", None), ("kind", 3)):
        changed = {k: v for k, v in (header | {name: value}).items() if v is not None}
        token = jws.serialize_compact(changed, b"x", signing, registry=SIGNED_REGISTRY)
        with pytest.raises(MalformedMessage, match=f"'{name}'"):
            verify_signed(token, {"EU": pair.eu_ring}, pair.clock.now())
