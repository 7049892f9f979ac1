"""The peers of a node: added by URL and fingerprint, refreshed from their card, their keys revoked.

``iprisk node peer add URL --fingerprint F`` fetches the peer's card (``GET /channel/card``) and pins its
keys only if their fingerprint is ``F`` (what the peer's operator read out, out of band): a man in the middle
of that first request cannot substitute its own keys. The audit keys on the card are accepted only in a
statement signed by the pinned key. ``refresh`` follows the peer's rotations from its card (each one must
be signed by a key already pinned) — the same as the ``keys.rotation`` message does when it arrives.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from iprisk.errors import InvalidValue
from iprisk.exchange import ChannelError, FingerprintMismatch, KeyRing, read_card, verify_statement
from iprisk.link.keys import AUDIT_KEYS_TYPE
from iprisk.store import Peer

if TYPE_CHECKING:
    from iprisk.link.context import Link


def add_peer(link: Link, url: str, fingerprint: str) -> Peer:
    """Pin the keys published at ``url`` if they have ``fingerprint``; record the peer (audited)."""
    if not url.startswith(("http://", "https://")):
        raise InvalidValue(f"peer URL {url!r}: expected http://... or https://...")
    card = link.transport.card(url)
    node = _card_node(card, url)
    if node == link.name:
        raise InvalidValue(f"{url} is this node ({node}), not a peer")
    now = link.clock.now()
    existing = link.peer_book.peers().get(node)
    ring = existing.ring if existing is not None else KeyRing(node)
    pinned = _pin(ring, card, fingerprint, link)
    log_vkey, witness_vkey = _audit_keys(card, ring, link)
    peer = Peer(node, url.rstrip("/"), ring, log_vkey, witness_vkey, now)
    with link.store.transaction() as tx:
        link.peer_book.save(tx.connection, peer)
        details = {"url": peer.url, "fingerprint": pinned}
        link.observe(tx, "peer.added" if existing is None else "peer.updated", node, details)
    return peer


def refresh_peer(link: Link, node: str) -> Peer:
    """Follow the peer's key rotations and audit keys from its card; the updated peer."""
    peer = link.peer_book.get(node)
    card = link.transport.card(peer.url)
    if _card_node(card, peer.url) != node:
        raise FingerprintMismatch(f"{peer.url} now answers as {card.get('node')!r}, not {node}")
    for announcement in card.get("rotations") or []:
        try:
            peer.ring.rotate(announcement, link.clock.now(), link.config.overlap)
        except ChannelError:  # signed by a key we never pinned or already retired: not ours to follow
            continue
    log_vkey, witness_vkey = _audit_keys(card, peer.ring, link)
    updated = replace(
        peer,
        log_vkey=log_vkey or peer.log_vkey,
        witness_vkey=witness_vkey or peer.witness_vkey,
        updated_at=link.clock.now(),
    )
    with link.store.transaction() as tx:
        link.peer_book.save(tx.connection, updated)
        link.observe(tx, "peer.refreshed", node, {"current": peer.ring.current(link.clock.now()).fingerprint})
    return updated


def revoke_peer_key(link: Link, node: str, fingerprint: str) -> Peer:
    """Refuse from now on anything signed by this key of the peer, whatever its date."""
    peer = link.peer_book.get(node)
    peer.ring.revoke(fingerprint, link.clock.now())
    updated = replace(peer, updated_at=link.clock.now())
    with link.store.transaction() as tx:
        link.peer_book.save(tx.connection, updated)
        link.observe(tx, "peer.key-revoked", node, {"fingerprint": fingerprint})
    return updated


def _card_node(card: dict[str, Any], url: str) -> str:
    node = card.get("node")
    if not isinstance(node, str) or not isinstance(card.get("card"), str):
        raise InvalidValue(f"{url}: not an iprisk node's card")
    return node


def _pin(ring: KeyRing, card: dict[str, Any], fingerprint: str, link: Link) -> str:
    """Pin the card's current keys; FingerprintMismatch (naming both) unless they have ``fingerprint``."""
    ring.pin(card["card"], fingerprint, link.clock.now(), link.config.overlap)
    return read_card(card["card"]).fingerprint


def _audit_keys(card: dict[str, Any], ring: KeyRing, link: Link) -> tuple[str | None, str | None]:
    token = card.get("audit_keys")
    if not token:
        return None, None
    body = verify_statement(token, {ring.node: ring}, AUDIT_KEYS_TYPE, link.clock.now())
    return body.get("log"), body.get("witness")
