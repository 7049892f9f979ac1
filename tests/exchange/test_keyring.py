from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from iprisk.exchange import (
    FingerprintMismatch,
    KeyRing,
    NodeIdentity,
    RetiredKey,
    RevokedKey,
    UnknownKey,
    rotation_announcement,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def _ring(identity: NodeIdentity) -> KeyRing:
    ring = KeyRing(identity.node)
    ring.pin(identity.current.card(), identity.fingerprint, NOW, 7 * DAY)
    return ring


def test_pinning_checks_the_fingerprint_and_the_node() -> None:
    eu = NodeIdentity.create("EU", NOW)
    with pytest.raises(FingerprintMismatch, match="pinned one"):
        KeyRing("EU").pin(eu.current.card(), NodeIdentity.create("EU", NOW).fingerprint, NOW, DAY)
    with pytest.raises(FingerprintMismatch, match="for node EU"):
        KeyRing("CN").pin(eu.current.card(), eu.fingerprint, NOW, DAY)
    ring = _ring(eu)
    assert ring.current(NOW).fingerprint == eu.fingerprint
    with pytest.raises(UnknownKey):
        ring.verification_key("no-such-key", NOW)


def test_rotation_overlap_then_retirement() -> None:
    old = NodeIdentity.create("EU", NOW)
    new, announcement = old.rotate(NOW + DAY)
    ring = _ring(old)
    ring.rotate(announcement, NOW + DAY, 7 * DAY)
    assert ring.current(NOW + DAY).fingerprint == new.fingerprint
    assert ring.verification_key(old.fingerprint, NOW + 8 * DAY).fingerprint == old.fingerprint  # overlap
    with pytest.raises(RetiredKey):
        ring.verification_key(old.fingerprint, NOW + 8 * DAY + timedelta(seconds=1))
    assert ring.verification_key(new.fingerprint, NOW + 100 * DAY).fingerprint == new.fingerprint


def test_rotation_announced_by_an_unpinned_or_revoked_key_is_refused() -> None:
    pinned, stranger = NodeIdentity.create("EU", NOW), NodeIdentity.create("EU", NOW)
    ring = _ring(pinned)
    _, forged = stranger.rotate(NOW)
    with pytest.raises(UnknownKey):
        ring.rotate(forged, NOW, DAY)
    ring.revoke(pinned.fingerprint, NOW)
    _, late = pinned.rotate(NOW)
    with pytest.raises(RevokedKey):
        ring.rotate(late, NOW, DAY)
    with pytest.raises(UnknownKey, match="no valid key"):
        ring.current(NOW)


def test_announcement_must_be_signed_by_the_key_it_names() -> None:
    pinned = NodeIdentity.create("EU", NOW)
    ring = _ring(pinned)
    thief_new, _ = NodeIdentity.create("EU", NOW).rotate(NOW)
    genuine = rotation_announcement(pinned.current, thief_new.current)
    header, _body, signature = genuine.split(".")
    _, other_body, _ = rotation_announcement(pinned.current, NodeIdentity.create("EU", NOW).current).split(
        "."
    )
    from iprisk.exchange import BadSignature

    with pytest.raises(BadSignature):
        ring.rotate(f"{header}.{other_body}.{signature}", NOW, DAY)


def test_revoked_key_refused_whatever_the_date_and_ring_round_trips() -> None:
    eu = NodeIdentity.create("EU", NOW)
    ring = _ring(eu)
    ring.revoke(eu.fingerprint, NOW + 10 * DAY)
    with pytest.raises(RevokedKey):
        ring.verification_key(eu.fingerprint, NOW)  # before the revocation date: still refused
    copy = KeyRing.from_dict(ring.as_dict())
    assert copy.as_dict() == ring.as_dict()
    with pytest.raises(RevokedKey):
        copy.verification_key(eu.fingerprint, NOW)


def test_a_ring_read_again_parses_a_card_once_and_never_serves_an_old_key() -> None:
    old = NodeIdentity.create("EU", NOW)
    ring = _ring(old)
    first = KeyRing.from_dict(ring.as_dict())
    again = KeyRing.from_dict(json.loads(json.dumps(ring.as_dict())))  # as read from the database again
    assert again.current(NOW) is first.current(NOW)  # the same card: its keys parsed once
    new, announcement = old.rotate(NOW + DAY)
    ring.rotate(announcement, NOW + DAY, 7 * DAY)
    rotated = KeyRing.from_dict(ring.as_dict())
    current = rotated.current(NOW + DAY)
    assert current.fingerprint == new.fingerprint
    assert current.encryption_kid == new.current.public.encryption_kid != old.current.public.encryption_kid
    with pytest.raises(RetiredKey):  # the old generation's retirement is the ring's, read anew
        rotated.verification_key(old.fingerprint, NOW + 9 * DAY)
    ring.revoke(new.fingerprint, NOW + 2 * DAY)
    with pytest.raises(RevokedKey):
        KeyRing.from_dict(ring.as_dict()).verification_key(new.fingerprint, NOW + 2 * DAY)
    recreated = NodeIdentity.create("EU", NOW + 3 * DAY)  # a new card pinned by the operator
    ring.pin(recreated.current.card(), recreated.fingerprint, NOW + 3 * DAY, DAY)
    assert KeyRing.from_dict(ring.as_dict()).current(NOW + 3 * DAY).fingerprint == recreated.fingerprint
