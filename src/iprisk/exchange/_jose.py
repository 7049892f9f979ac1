"""The JOSE profile of the channel: which algorithms and header parameters joserfc may accept.

Only Ed25519 signatures (RFC 8037, named as in RFC 9864) and ECDH-ES key agreement on X25519 with A256GCM
content encryption (RFC 7518) are allowed: no algorithm negotiation an attacker could steer ("alg": "none",
HMAC with a public key...). The message metadata travels as protected JWS header parameters (RFC 7519
section 5.3 allows replicating claims as header parameters), so the signature covers it.
"""

from __future__ import annotations

from typing import Any

from joserfc import jwe, jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import OKPKey
from joserfc.registry import HeaderParameter, is_int, is_str

from iprisk.exchange._encoding import compact_segments, json_segment
from iprisk.exchange.errors import BadSignature, MalformedMessage

SIGNING_ALG = "Ed25519"
KEY_AGREEMENT_ALG = "ECDH-ES"
CONTENT_ENC = "A256GCM"
#: the largest payload the channel carries (a quarterly submission of a few million lines fits)
MAX_PAYLOAD_BYTES = 512 * 1024 * 1024

_MESSAGE_HEADERS = {
    "jti": HeaderParameter("Message id (UUIDv7)", is_str, True),
    "kind": HeaderParameter("Message kind", is_str, True),
    "iss": HeaderParameter("Sender node", is_str, True),
    "aud": HeaderParameter("Recipient node", is_str, True),
    "iat": HeaderParameter("Created, seconds since the epoch", is_int, True),
    "exp": HeaderParameter("Expiry, seconds since the epoch", is_int, True),
}


def _signed_registry(headers: dict[str, HeaderParameter] | None = None) -> jws.JWSRegistry:
    registry = jws.JWSRegistry(header_registry=headers, algorithms=[SIGNING_ALG])
    registry.max_payload_length = MAX_PAYLOAD_BYTES
    registry.max_header_length = 2048
    return registry


MESSAGE_REGISTRY = _signed_registry(_MESSAGE_HEADERS)
PLAIN_REGISTRY = _signed_registry()
SEALED_REGISTRY = jwe.JWERegistry(algorithms=[KEY_AGREEMENT_ALG, CONTENT_ENC])
SEALED_REGISTRY.max_ciphertext_length = MAX_PAYLOAD_BYTES * 2  # the signed form is base64url: 4/3 + header


def sign(header: dict[str, Any], payload: bytes, key: OKPKey, registry: jws.JWSRegistry) -> str:
    """A JWS compact serialisation of ``payload`` with ``header`` (alg and kid added) signed by ``key``."""
    protected = {"alg": SIGNING_ALG, "kid": key.thumbprint(), **header}
    return jws.serialize_compact(protected, payload, key, registry=registry)


def signed_header(token: str | bytes, what: str) -> dict[str, Any]:
    """The protected header of a JWS compact token, after checking its shape (not yet its signature)."""
    header = json_segment(compact_segments(token, 3, what)[0], f"{what} header")
    if header.get("alg") != SIGNING_ALG:
        raise MalformedMessage(f"{what}: algorithm {header.get('alg')!r}, expected {SIGNING_ALG}")
    if not isinstance(header.get("kid"), str):
        raise MalformedMessage(f"{what}: no key id")
    return header


def verify(
    token: str | bytes, key: OKPKey, registry: jws.JWSRegistry, what: str
) -> tuple[dict[str, Any], bytes]:
    """Header and payload of a JWS compact token whose signature verifies with ``key``."""
    try:
        obj = jws.deserialize_compact(token, key, registry=registry)
    except BadSignatureError:
        raise BadSignature(f"{what}: signature does not verify with key {key.thumbprint()}") from None
    except (
        JoseError,
        ValueError,
        KeyError,
        TypeError,
    ) as exc:  # joserfc's parse errors are not all JoseError
        raise MalformedMessage(f"{what}: {type(exc).__name__}: {exc}") from None
    return dict(obj.headers()), obj.payload
