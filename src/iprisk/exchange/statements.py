"""Signed statements: a JSON object a node signs with its channel key, that a peer checks with its key ring.

For what a node publishes outside a message but must vouch for (its audit log's keys on its card): a JWS
(``alg`` Ed25519, ``kid`` the node's fingerprint, ``typ`` naming what it states) over canonical JSON that
carries the node's name (``node``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from iprisk.exchange import _jose
from iprisk.exchange._encoding import canonical_json, json_object
from iprisk.exchange.errors import MalformedMessage, UnknownKey
from iprisk.exchange.keyring import KeyRing
from iprisk.exchange.keys import NodeKeys


def sign_statement(keys: NodeKeys, typ: str, body: Mapping[str, Any]) -> str:
    """``body`` (with ``node`` set to the signer's node) signed by ``keys``."""
    return keys.sign({"typ": typ, "cty": "application/json"}, canonical_json({**body, "node": keys.node}))


def verify_statement(
    token: str | bytes, peers: Mapping[str, KeyRing], typ: str, now: datetime
) -> dict[str, Any]:
    """The body of a statement of type ``typ`` once its signature checks out with the signer's pinned key."""
    read = _jose.read_signed(token, "statement")
    if read.header.get("typ") != typ:
        raise MalformedMessage(f"statement: type {read.header.get('typ')!r}, expected {typ}")
    body = json_object(read.payload, "statement body")
    node = body.get("node")
    ring = peers.get(node) if isinstance(node, str) else None
    if ring is None:
        raise UnknownKey(f"statement: no keys pinned for node {node!r}")
    public = ring.verification_key(read.kid, now)
    _jose.check_signature(read, public.verifier, public.fingerprint, "statement")
    return body
