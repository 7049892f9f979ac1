"""The node's own keys on the channel: its published card, rotation with an overlap, retirement.

* The **card** (``GET /channel/card``): the current key generation's card (what a peer pins by its
  fingerprint), the chain of rotation announcements (each generation's card countersigned by the one before,
  so a peer that pinned an older key can follow to the current one), and the audit log's verifier keys in a
  statement signed by the current key (so a peer can check our checkpoints and cosignatures).
* **Rotation** (``iprisk node keys rotate``): a new generation becomes current; the announcement travels to
  every peer as a ``keys.rotation`` message signed by the *previous* key (the only one the peer knows yet).
  The peer follows it: the new key is current at once, the previous one still verifies during the overlap.
* **Retirement** (``iprisk node keys retire``): an old generation is dropped from the key folder once no
  message encrypted to it can still be in flight.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iprisk.errors import IpriskError
from iprisk.exchange import (
    NodeIdentity,
    Opened,
    load_identity,
    rotation_announcement,
    save_identity,
    sign_statement,
)
from iprisk.link.kinds import Kind, register

if TYPE_CHECKING:
    from iprisk.link.context import Link

ROTATION_KIND = "keys.rotation"
AUDIT_KEYS_TYPE = "iprisk-audit-keys+jws"


def card_of(link: Link) -> dict[str, Any]:
    """What ``GET /channel/card`` answers."""
    identity = link.identity
    generations = identity.generations
    audit: dict[str, str] = {}
    if link.node.audit_keys is not None:
        audit = {
            "log": link.node.audit_keys.log.verifier.vkey,
            "witness": link.node.audit_keys.witness.verifier.vkey,
        }
    return {
        "node": identity.node,
        "fingerprint": identity.fingerprint,
        "card": identity.current.card(),
        "rotations": [rotation_announcement(old, new) for old, new in itertools.pairwise(generations)],
        "audit_keys": sign_statement(identity.current, AUDIT_KEYS_TYPE, audit) if audit else None,
    }


def rotate_keys(link: Link, folder: Path, passphrase: str | None = None) -> NodeIdentity:
    """Make a new key generation, save it, and announce it to every peer (in one unit of work with the
    audit entry); the new identity. The key folder is written first: a crash after it only leaves the
    announcement to send again (:func:`announce` queues it once per peer and key)."""
    current = load_identity(folder, passphrase)
    rotated, _announcement = current.rotate(link.clock.now())
    save_identity(rotated, folder, passphrase)
    announce(link, rotated)
    return rotated


def announce(link: Link, identity: NodeIdentity) -> list[str]:
    """Send the newest rotation of ``identity`` to every peer (once per peer: keyed by the new fingerprint);
    the ids of the messages."""
    if len(identity.generations) < 2:
        raise IpriskError("nothing to announce: the node has a single key generation")
    previous, new = identity.generations[-2], identity.generations[-1]
    announcement = rotation_announcement(previous, new).encode("ascii")
    ids = []
    with link.store.transaction() as tx:
        outbox = link.outbox(tx)
        for peer in sorted(outbox.peers):
            queued = outbox.enqueue(
                tx,
                ROTATION_KIND,
                peer,
                announcement,
                ttl=link.config.ttl,
                content_type="application/jose",
                key=f"{ROTATION_KIND}/{peer}/{new.fingerprint}",
                signing=previous,
            )
            ids.append(queued.id)
        link.observe(
            tx,
            "keys.rotated",
            identity.node,
            {"fingerprint": new.fingerprint, "previous": previous.fingerprint},
        )
    return ids


def retire_key(folder: Path, fingerprint: str, passphrase: str | None = None) -> NodeIdentity:
    """Drop an old key generation from the key folder (not the current one)."""
    identity = load_identity(folder, passphrase).retire(fingerprint)
    save_identity(identity, folder, passphrase)
    return identity


def _follow_rotation(link: Link, tx: Any, opened: Opened) -> None:
    """The peer announced a new key generation: follow it (its previous key signed this message)."""
    peer = link.peer_book.get(opened.message.sender, tx.connection)
    added = peer.ring.rotate(opened.message.payload, link.clock.now(), link.config.overlap)
    link.peer_book.save(tx.connection, replace(peer, updated_at=link.clock.now()))
    link.rings_changed += 1  # read again before the next message (after this one commits)
    link.observe(tx, "peer.key-rotated", peer.node, {"fingerprint": added.fingerprint})


register(
    Kind(
        ROTATION_KIND,
        "A key rotation announced by the peer: its new card, countersigned by its previous key.",
        _follow_rotation,
        content_type="application/jose",
    )
)
