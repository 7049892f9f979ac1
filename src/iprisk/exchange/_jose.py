"""The JOSE profile of the channel: compact JWS with Ed25519, compact JWE with ECDH-ES on X25519 and A256GCM.

Only Ed25519 signatures (RFC 8037, named as in RFC 9864) and ECDH-ES key agreement on X25519 (direct mode,
Concat KDF) with A256GCM content encryption (RFC 7518) are written or accepted: no algorithm negotiation an
attacker could steer ("alg": "none", HMAC with a public key...), no compression, no critical extensions. The
message metadata travels as protected JWS header parameters (RFC 7519 section 5.3 allows replicating claims
as header parameters), so the signature covers it.

The tokens are standard compact serialisations (RFC 7515, RFC 7516) that any JOSE library reads and writes
(the tests check both ways against joserfc); they are assembled here around ``cryptography``'s primitives
(Ed25519, X25519, Concat KDF, AES-GCM: OpenSSL underneath) rather than through a generic JOSE library,
whose Python around the same primitives cost about twice the primitives themselves on every message
(docs/channel.md, figures). Nothing cryptographic is written here: only serialisation, the KDF's inputs as
RFC 7518 section 4.6.2 lists them, and checks of what arrives.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash

from iprisk.exchange._encoding import b64url_decode, b64url_encode, json_segment, split_compact
from iprisk.exchange.errors import BadSignature, DecryptionFailed, MalformedMessage

SIGNING_ALG = "Ed25519"
KEY_AGREEMENT_ALG = "ECDH-ES"
CONTENT_ENC = "A256GCM"
#: the largest payload the channel carries (a quarterly submission of a few million lines fits)
MAX_PAYLOAD_BYTES = 512 * 1024 * 1024
#: the largest protected header read (a message's is a few hundred bytes)
MAX_HEADER_BYTES = 2048
#: header parameters that would change how a token is processed: refused rather than half understood
_REFUSED_PARAMETERS = ("crit", "zip", "jku", "jwk", "x5u", "x5c", "b64")
_IV_BYTES, _TAG_BYTES, _CEK_BITS = 12, 16, 256


@dataclass(frozen=True)
class SignedToken:
    """A JWS compact token read and shape-checked (its signature not yet)."""

    header: dict[str, Any]
    payload: bytes
    signing_input: bytes
    signature: bytes

    @property
    def kid(self) -> str:
        return str(self.header["kid"])


def _header_segment(header: dict[str, Any]) -> str:
    return b64url_encode(json.dumps(header, separators=(",", ":")).encode("utf-8"))


def sign(header: dict[str, Any], payload: bytes, key: Ed25519PrivateKey, kid: str) -> str:
    """A JWS compact serialisation of ``payload`` with ``header`` (``alg`` and ``kid`` added), signed by
    ``key`` (whose RFC 7638 thumbprint is ``kid``)."""
    protected = {"alg": SIGNING_ALG, "kid": kid, **header}
    signing_input = f"{_header_segment(protected)}.{b64url_encode(payload)}"
    signature = key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url_encode(signature)}"


def _segments(token: str | bytes, count: int, what: str) -> list[str]:
    # each segment is decoded (and checked canonical) where it is read, not twice
    parts = split_compact(token, count, what)
    if len(parts[0]) > MAX_HEADER_BYTES * 4 // 3 + 4:
        raise MalformedMessage(f"{what}: header longer than {MAX_HEADER_BYTES} bytes")
    return parts


def _header(segment: str, what: str) -> dict[str, Any]:
    value = json_segment(segment, f"{what} header")
    refused = [name for name in _REFUSED_PARAMETERS if name in value]
    if refused:
        raise MalformedMessage(f"{what} header: parameter {refused[0]!r} refused")
    return value


def read_signed(token: str | bytes, what: str) -> SignedToken:
    """A JWS compact token's parts, after checking its shape (three canonical base64url segments, a JSON
    header with ``alg`` Ed25519 and a ``kid``); the signature is checked by :func:`check_signature`."""
    header_text, payload_text, signature_text = _segments(token, 3, what)
    header = _header(header_text, what)
    if header.get("alg") != SIGNING_ALG:
        raise MalformedMessage(f"{what}: algorithm {header.get('alg')!r}, expected {SIGNING_ALG}")
    if not isinstance(header.get("kid"), str):
        raise MalformedMessage(f"{what}: no key id")
    if len(payload_text) > MAX_PAYLOAD_BYTES * 4 // 3 + 4:
        raise MalformedMessage(f"{what}: payload larger than {MAX_PAYLOAD_BYTES} bytes")
    payload = b64url_decode(payload_text, f"{what} payload")
    signature = b64url_decode(signature_text, f"{what} signature")
    return SignedToken(header, payload, f"{header_text}.{payload_text}".encode("ascii"), signature)


def check_signature(token: SignedToken, key: Ed25519PublicKey, fingerprint: str, what: str) -> None:
    """Raise ``BadSignature`` unless ``token`` is signed by ``key`` (named ``fingerprint``)."""
    if token.kid != fingerprint:
        raise BadSignature(f"{what}: signed by key {token.kid}, checked with {fingerprint}")
    try:
        key.verify(token.signature, token.signing_input)
    except InvalidSignature:
        raise BadSignature(f"{what}: signature does not verify with key {fingerprint}") from None


def verify(token: str | bytes, key: Ed25519PublicKey, fingerprint: str, what: str) -> SignedToken:
    """The token, read and its signature checked with ``key``."""
    read = read_signed(token, what)
    check_signature(read, key, fingerprint, what)
    return read


def _kdf_input(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def _content_key(shared: bytes, header: dict[str, Any], what: str) -> bytes:
    """The content key of ECDH-ES in direct mode: Concat KDF (SHA-256) over the shared secret with
    AlgorithmID = ``enc``, PartyUInfo/PartyVInfo = the decoded ``apu``/``apv`` (empty when absent) and
    SuppPubInfo = the key length in bits (RFC 7518 section 4.6.2)."""
    parties = b""
    for name in ("apu", "apv"):
        value = header.get(name, "")
        if not isinstance(value, str):
            raise DecryptionFailed(f"{what}: {name} is not a string")
        parties += _kdf_input(b64url_decode(value, f"{what} {name}"))
    other = _kdf_input(CONTENT_ENC.encode("ascii")) + parties + struct.pack(">I", _CEK_BITS)
    return ConcatKDFHash(hashes.SHA256(), _CEK_BITS // 8, other).derive(shared)


def encrypt(header: dict[str, Any], plaintext: bytes, recipient: X25519PublicKey) -> str:
    """A JWE compact serialisation of ``plaintext`` to ``recipient``: a fresh ephemeral X25519 key (``epk``),
    ECDH-ES direct key agreement, A256GCM with a fresh IV; ``header`` joins the protected header."""
    ephemeral = X25519PrivateKey.generate()
    epk = {"crv": "X25519", "kty": "OKP", "x": b64url_encode(ephemeral.public_key().public_bytes_raw())}
    protected = {"alg": KEY_AGREEMENT_ALG, "enc": CONTENT_ENC, **header, "epk": epk}
    header_text = _header_segment(protected)
    key = _content_key(ephemeral.exchange(recipient), protected, "sealed message")
    iv = os.urandom(_IV_BYTES)
    sealed = AESGCM(key).encrypt(iv, plaintext, header_text.encode("ascii"))
    ciphertext, tag = sealed[:-_TAG_BYTES], sealed[-_TAG_BYTES:]
    return f"{header_text}..{b64url_encode(iv)}.{b64url_encode(ciphertext)}.{b64url_encode(tag)}"


@dataclass(frozen=True)
class SealedToken:
    """A JWE compact token read and shape-checked (not yet decrypted)."""

    header: dict[str, Any]
    header_text: str
    encrypted_key: bytes
    iv: bytes
    ciphertext: bytes
    tag: bytes


def read_sealed(wire: str | bytes, what: str) -> SealedToken:
    """A JWE compact token's parts: five canonical base64url segments, a JSON object header naming ECDH-ES
    and A256GCM (nothing else is accepted)."""
    parts = _segments(wire, 5, what)
    if len(parts[3]) > MAX_PAYLOAD_BYTES * 2:
        raise MalformedMessage(f"{what}: ciphertext larger than the channel carries")
    header = _header(parts[0], what)
    if (header.get("alg"), header.get("enc")) != (KEY_AGREEMENT_ALG, CONTENT_ENC):
        raise MalformedMessage(f"{what}: algorithms {header.get('alg')!r}/{header.get('enc')!r} refused")
    decoded = [b64url_decode(part, f"{what} segment {i}") for i, part in enumerate(parts[1:], 2)]
    return SealedToken(header, parts[0], *decoded)


def decrypt(token: SealedToken, key: X25519PrivateKey, what: str) -> bytes:
    """The plaintext of a token encrypted to ``key`` (ECDH-ES, A256GCM, as :func:`encrypt` writes it);
    ``DecryptionFailed`` whatever is wrong with the key agreement or the ciphertext."""
    header = token.header
    if token.encrypted_key or len(token.iv) != _IV_BYTES or len(token.tag) != _TAG_BYTES:
        raise DecryptionFailed(f"{what}: not ECDH-ES direct key agreement with a 96-bit IV and 128-bit tag")
    epk = header.get("epk")
    if not isinstance(epk, dict) or (epk.get("kty"), epk.get("crv")) != ("OKP", "X25519"):
        raise DecryptionFailed(f"{what}: the ephemeral key is not an X25519 public key")
    x = epk.get("x")
    try:
        ephemeral = X25519PublicKey.from_public_bytes(b64url_decode(x if isinstance(x, str) else "!", "epk"))
        shared = key.exchange(ephemeral)  # raises for a low-order point (an all-zero shared secret)
    except ValueError:
        raise DecryptionFailed(f"{what}: unusable ephemeral key") from None
    content_key = _content_key(shared, header, what)
    try:
        return AESGCM(content_key).decrypt(
            token.iv, token.ciphertext + token.tag, token.header_text.encode("ascii")
        )
    except InvalidTag:
        raise DecryptionFailed(f"{what}: does not decrypt (authentication tag)") from None
