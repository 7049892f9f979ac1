"""Receipts: the receiver's signed statement of what it received and what it did with it.

A receipt is a JWS compact token (``alg`` Ed25519, ``typ`` iprisk-receipt+jws, ``kid`` the receiver's
fingerprint) over this canonical JSON body::

    {"message_id": ..., "digest": <SHA-256 of the signed message, base64url>, "sender": ..., "receiver": ...,
     "received_at": <RFC 3339 UTC>, "outcome": "accepted" | "refused", "reason": <text or null>}

The digest is of the inner signed message (not of the ciphertext, which differs if the message is
re-encrypted), so the sender, and any third party holding both tokens, can check which exact signed message
the receipt acknowledges. The receiver stores the token and answers a duplicate with the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from iprisk.exchange import _jose
from iprisk.exchange._encoding import canonical_json, iso, json_object, parse_iso
from iprisk.exchange.errors import MalformedMessage, UnknownKey
from iprisk.exchange.keyring import KeyRing
from iprisk.exchange.keys import NodeKeys, check_node_name

RECEIPT_TYPE = "iprisk-receipt+jws"
Outcome = Literal["accepted", "refused"]
_FIELDS = ("message_id", "digest", "sender", "receiver", "received_at", "outcome", "reason")


@dataclass(frozen=True)
class Receipt:
    message_id: str
    digest: str
    sender: str
    receiver: str
    received_at: datetime
    outcome: Outcome
    reason: str | None = None

    @property
    def accepted(self) -> bool:
        return self.outcome == "accepted"

    def body(self) -> bytes:
        return canonical_json(
            {
                "message_id": self.message_id,
                "digest": self.digest,
                "sender": self.sender,
                "receiver": self.receiver,
                "received_at": iso(self.received_at),
                "outcome": self.outcome,
                "reason": self.reason,
            }
        )


def sign_receipt(receipt: Receipt, keys: NodeKeys) -> str:
    """The receipt signed by the receiver's current key."""
    if keys.node != receipt.receiver:
        raise MalformedMessage(
            f"receipt from {receipt.receiver} cannot be signed with the keys of {keys.node}"
        )
    return keys.sign({"typ": RECEIPT_TYPE, "cty": "application/json"}, receipt.body())


def verify_receipt(token: str | bytes, peers: Mapping[str, KeyRing], now: datetime) -> Receipt:
    """The receipt in ``token`` once its signature checks out with the receiver's pinned, valid key."""
    read = _jose.read_signed(token, "receipt")
    if read.header.get("typ") != RECEIPT_TYPE:
        raise MalformedMessage(f"receipt: type {read.header.get('typ')!r}, expected {RECEIPT_TYPE}")
    body = json_object(read.payload, "receipt body")
    claimed = body.get("receiver")
    ring = peers.get(claimed) if isinstance(claimed, str) else None
    if ring is None:
        raise UnknownKey(f"receipt: no keys pinned for receiver {claimed!r}")
    public = ring.verification_key(read.kid, now)
    _jose.check_signature(read, public.verifier, public.fingerprint, "receipt")
    return _parse_body(body)


def _parse_body(body: dict[str, Any]) -> Receipt:
    if set(body) != set(_FIELDS):
        raise MalformedMessage(f"receipt: fields {sorted(body)}, expected {sorted(_FIELDS)}")
    if body["outcome"] not in ("accepted", "refused"):
        raise MalformedMessage(f"receipt: outcome {body['outcome']!r}")
    if not all(isinstance(body[k], str) for k in ("message_id", "digest", "received_at")):
        raise MalformedMessage("receipt: message_id, digest and received_at must be strings")
    if body["reason"] is not None and not isinstance(body["reason"], str):
        raise MalformedMessage("receipt: reason must be text or null")
    return Receipt(
        body["message_id"],
        body["digest"],
        check_node_name(body["sender"]),
        check_node_name(body["receiver"]),
        parse_iso(body["received_at"], "receipt received_at"),
        body["outcome"],
        body["reason"],
    )
