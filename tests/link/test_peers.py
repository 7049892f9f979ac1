"""Peers pinned by fingerprint from their card; keys rotated with an overlap and announced over the channel;
a peer's key revoked."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from iprisk.exchange import FingerprintMismatch, load_identity
from iprisk.link import add_peer, refresh_peer, retire_key, revoke_peer_key, rotate_keys
from iprisk.link.keys import ROTATION_KIND
from tests.link.twonodes import Side


def _note(side: Side, payload: bytes = b"x") -> str:
    with side.link.store.transaction() as tx:
        return side.link.send(tx, "test.note", "CN" if side.link.name == "EU" else "EU", payload).id


def test_a_peer_is_pinned_only_with_the_fingerprint_its_operator_gave(nodes: tuple[Side, Side]) -> None:
    eu, cn = nodes
    with pytest.raises(FingerprintMismatch, match="fingerprint"):
        add_peer(eu.link, cn.url, eu.node.identity.fingerprint)  # not CN's
    peer = eu.link.peer_book.get("CN")
    assert [k.fingerprint for k in peer.ring.keys] == [cn.node.identity.fingerprint]  # unchanged
    again = add_peer(eu.link, cn.url, cn.node.identity.fingerprint)  # pinning twice changes nothing
    assert len(again.ring.keys) == 1


def test_a_rotation_reaches_the_peer_over_the_channel_with_an_overlap(nodes: tuple[Side, Side]) -> None:
    eu, cn = nodes
    import tests.web.test_channel  # noqa: F401  (registers the test.note kind)

    old = eu.link.identity.fingerprint
    in_flight = _note(eu)  # signed by the old key, not yet delivered
    rotated = rotate_keys(eu.link, eu.node.settings.key_folder)
    assert eu.link.identity.fingerprint == rotated.fingerprint != old  # the running link re-read its keys
    fresh = _note(eu)  # signed by the new key
    done = eu.link.deliver()
    assert done.received == 3, done.transport_errors  # the announcement, the old and the new message
    ring = cn.link.rings()["EU"]
    assert ring.current(cn.node.clock.now()).fingerprint == rotated.fingerprint
    with cn.link.store.transaction() as tx:
        kinds = {m.id: m.kind for m in tx.incoming()}
    assert kinds[in_flight] == kinds[fresh] == "test.note" and ROTATION_KIND in kinds.values()
    cn.node.clock.advance(timedelta(days=8))  # past the overlap: the old key no longer verifies
    with pytest.raises(Exception, match="retired"):
        ring.verification_key(old, cn.node.clock.now())
    retired = retire_key(eu.node.settings.key_folder, old)
    assert [g.fingerprint for g in retired.generations] == [rotated.fingerprint]
    assert load_identity(eu.node.settings.key_folder).fingerprint == rotated.fingerprint


def test_a_peer_that_missed_the_announcement_follows_the_card(
    nodes: tuple[Side, Side], tmp_path: Path
) -> None:
    eu, cn = nodes
    rotated = rotate_keys(eu.link, eu.node.settings.key_folder)
    with eu.link.store.transaction() as tx:  # the announcement is lost for good
        announcement = tx.outgoing("queued")[0]
    eu.link.outbox().fail(announcement.id, "lost")
    refreshed = refresh_peer(cn.link, "EU")
    assert refreshed.ring.current(cn.node.clock.now()).fingerprint == rotated.fingerprint


def test_a_revoked_key_is_refused_whatever_it_signed(nodes: tuple[Side, Side]) -> None:
    eu, cn = nodes
    _note(eu)
    revoke_peer_key(cn.link, "EU", eu.link.identity.fingerprint)
    done = eu.link.deliver()
    assert done.received == 0 and "RevokedKey" in done.transport_errors[0]
    with cn.link.store.transaction() as tx:
        assert [r.error for r in tx.refusals()] == ["RevokedKey"] and tx.incoming() == []
