"""The message envelope: signed by the sender for the recipient, then encrypted to the recipient.

Inner form (kept by the receiver, verifiable by anyone holding the sender's public key): a JWS compact
serialisation, ``alg`` Ed25519, whose protected header carries the metadata and whose payload is the
payload bytes::

    {"alg": "Ed25519", "kid": <sender fingerprint>, "typ": "iprisk-message+jws", "cty": <content type>,
     "jti": <UUIDv7>, "kind": <kind>, "iss": <sender node>, "aud": <recipient node>, "iat": <s>, "exp": <s>}

Outer form (what travels): a JWE compact serialisation of the inner token, ``alg`` ECDH-ES on X25519,
``enc`` A256GCM, ``kid`` the thumbprint of the recipient's X25519 key, ``cty`` iprisk-message+jws.

The recipient's identity (``aud``) is inside what is signed, so a peer cannot re-encrypt a message it
received and pass it to a third node as if it had been sent there.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import uuid6

from iprisk.exchange import _jose
from iprisk.exchange._encoding import from_timestamp, sha256_b64url, to_timestamp
from iprisk.exchange.errors import (
    MalformedMessage,
    MessageExpired,
    UnknownKey,
    WrongRecipient,
)
from iprisk.exchange.keyring import KeyRing
from iprisk.exchange.keys import NodeIdentity, NodeKeys, PublicKeys, check_node_name

MESSAGE_TYPE = "iprisk-message+jws"
SEALED_TYPE = "iprisk-sealed+jwe"
#: how far in the future a message's creation time may be (clocks of two nodes differ a little)
CLOCK_SKEW = timedelta(minutes=5)


def new_message_id() -> str:
    """A UUIDv7 (RFC 9562): time-ordered, so ids sort by creation, with 74 random bits."""
    return str(uuid6.uuid7())


@dataclass(frozen=True)
class Message:
    """What one node sends another. Times are whole seconds, UTC."""

    id: str
    kind: str
    sender: str
    recipient: str
    created: datetime
    expiry: datetime
    payload: bytes
    content_type: str = "application/octet-stream"

    @classmethod
    def new(
        cls,
        kind: str,
        sender: str,
        recipient: str,
        payload: bytes,
        *,
        now: datetime,
        ttl: timedelta,
        content_type: str = "application/octet-stream",
    ) -> Message:
        if not kind or not isinstance(kind, str):
            raise MalformedMessage(f"message kind must be a non-empty string, got {kind!r}")
        if ttl <= timedelta(0):
            raise MalformedMessage(f"message time to live must be positive, got {ttl}")
        created = from_timestamp(to_timestamp(now))
        return cls(
            new_message_id(),
            kind,
            check_node_name(sender),
            check_node_name(recipient),
            created,
            created + ttl,
            bytes(payload),
            content_type,
        )

    def expired(self, now: datetime) -> bool:
        return now > self.expiry


@dataclass(frozen=True)
class _SignedForm:
    message: Message
    signed: str

    @property
    def digest(self) -> str:
        """SHA-256 of the signed form, base64url: what a receipt acknowledges."""
        return sha256_b64url(self.signed)


@dataclass(frozen=True)
class Sealed(_SignedForm):
    """A message ready to travel: ``wire`` is sent, ``signed`` is the inner form."""

    wire: str


@dataclass(frozen=True)
class Opened(_SignedForm):
    """A message that passed every check: decrypted, signature verified, addressed to us."""

    sender_key: str


def sign_message(message: Message, keys: NodeKeys) -> str:
    """The inner, signed form of ``message`` (a JWS anyone with the sender's public key can verify)."""
    if keys.node != message.sender:
        raise MalformedMessage(f"message from {message.sender} cannot be signed with the keys of {keys.node}")
    header = {
        "typ": MESSAGE_TYPE,
        "cty": message.content_type,
        "jti": message.id,
        "kind": message.kind,
        "iss": message.sender,
        "aud": message.recipient,
        "iat": to_timestamp(message.created),
        "exp": to_timestamp(message.expiry),
    }
    return keys.sign(header, message.payload)


def seal(message: Message, sender: NodeKeys, recipient: PublicKeys) -> Sealed:
    """Sign ``message`` with the sender's key, then encrypt it to the recipient's X25519 key."""
    if recipient.node != message.recipient:
        raise WrongRecipient(
            f"message for {message.recipient} cannot be encrypted to the keys of {recipient.node}"
        )
    signed = sign_message(message, sender)
    header = {"kid": recipient.encryption_kid, "typ": SEALED_TYPE, "cty": MESSAGE_TYPE}
    wire = _jose.encrypt(header, signed.encode("ascii"), recipient.encryption_key)
    return Sealed(message, signed, wire)


def open_sealed(
    wire: str | bytes, identity: NodeIdentity, peers: Mapping[str, KeyRing], now: datetime
) -> Opened:
    """Decrypt and verify a sealed message addressed to ``identity``; raise the reason if anything is off.

    Checks, in order: shape, that it is encrypted to one of our keys, the ciphertext (AES-GCM tag), the
    inner shape, that the sender's key is pinned, valid and not revoked, the signature, the recipient. The
    expiry is left to the caller (:meth:`Message.expired`): a signed message past its expiry still deserves a
    signed "refused" receipt.
    """
    token = _jose.read_sealed(wire, "sealed message")
    kid = token.header.get("kid")
    keys = identity.decryption_keys(str(kid))
    if keys is None:
        raise WrongRecipient(f"sealed message: encrypted to key {kid!r}, not a key of {identity.node}")
    plaintext = _jose.decrypt(token, keys.encryption_key, "sealed message")
    try:
        signed = plaintext.decode("ascii")
    except UnicodeDecodeError:
        raise MalformedMessage("sealed message: the signed message inside is not ASCII") from None
    opened = verify_signed(signed, peers, now)
    if opened.message.recipient != identity.node:
        raise WrongRecipient(
            f"message {opened.message.id} is addressed to {opened.message.recipient}, not {identity.node}"
        )
    return opened


def verify_signed(signed: str | bytes, peers: Mapping[str, KeyRing], now: datetime) -> Opened:
    """Verify the inner, signed form of a message (what a third party does with the sender's public key)."""
    token = _jose.read_signed(signed, "signed message")
    header = token.header
    if header.get("typ") != MESSAGE_TYPE:
        raise MalformedMessage(f"signed message: type {header.get('typ')!r}, expected {MESSAGE_TYPE}")
    sender = header.get("iss")
    ring = peers.get(sender) if isinstance(sender, str) else None
    if ring is None:
        raise UnknownKey(f"signed message: no keys pinned for sender {sender!r}")
    public = ring.verification_key(token.kid, now)
    _jose.check_signature(token, public.verifier, public.fingerprint, "signed message")
    text = signed if isinstance(signed, str) else signed.decode("ascii")
    return Opened(_message_from_header(header, token.payload), text, public.fingerprint)


def check_fresh(message: Message, now: datetime) -> None:
    """Refuse a message past its expiry, or created further in the future than the allowed clock skew."""
    if message.expired(now):
        raise MessageExpired(f"message {message.id} expired at {message.expiry.isoformat()}")
    if message.created > now + CLOCK_SKEW:
        raise MalformedMessage(
            f"message {message.id} is created in the future ({message.created.isoformat()})"
        )


#: the metadata of a message in its signed header, and the type each must have
_FIELDS = {"jti": str, "kind": str, "iss": str, "aud": str, "iat": int, "exp": int, "cty": str}


def _message_from_header(header: dict[str, Any], payload: bytes) -> Message:
    for name, kind in _FIELDS.items():
        value = header.get(name)
        optional = name == "cty" and value is None
        if not optional and (not isinstance(value, kind) or isinstance(value, bool)):
            raise MalformedMessage(f"signed message: header field {name!r} missing or not {kind.__name__}")
    try:
        created, expiry = from_timestamp(header["iat"]), from_timestamp(header["exp"])
        message = Message(
            id=header["jti"],
            kind=header["kind"],
            sender=check_node_name(header["iss"]),
            recipient=check_node_name(header["aud"]),
            created=created,
            expiry=expiry,
            payload=payload,
            content_type=header.get("cty", "application/octet-stream"),
        )
    except (KeyError, TypeError, ValueError, OverflowError, OSError) as exc:
        raise MalformedMessage(f"signed message: bad header field: {type(exc).__name__}: {exc}") from None
    if not _is_uuid(message.id):
        raise MalformedMessage(f"signed message: id {message.id!r} is not a UUID")
    return message


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False
