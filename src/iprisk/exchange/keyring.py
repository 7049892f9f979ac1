"""The keys a node trusts for one peer: pinned by fingerprint, rotated with an overlap, revoked for good.

* **Pinning**: a peer's card is accepted only if its fingerprint is the one the operator got out of band.
* **Rotation**: a new generation is accepted when the operator pins its fingerprint, or when the peer sends
  an announcement signed by its current, valid key. From then on the new key is current (what we encrypt
  to); the previous key still verifies until ``now + overlap``, for messages and receipts already in flight.
* **Revocation**: anything signed by a revoked key is refused, whatever date it carries (a thief could
  backdate), and a revoked key cannot announce a successor.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from iprisk.exchange import _jose
from iprisk.exchange._encoding import canonical_json, iso, parse_iso
from iprisk.exchange.errors import (
    FingerprintMismatch,
    RetiredKey,
    RevokedKey,
    UnknownKey,
)
from iprisk.exchange.keys import PublicKeys, check_node_name, read_card, read_rotation


@lru_cache(maxsize=256)
def _pinned_card(card: bytes) -> PublicKeys:
    """The public keys of a pinned card (its JSON, canonical), parsed once per content: a node reads its
    peers' rings at every message it sends, and parsing the keys again was a third of sending one. Keyed by
    the whole card, a rotated or re-pinned key is a new entry, never an old one served again; what changes
    about a pinned key (retired, revoked) is in the ring, not here."""
    return PublicKeys.from_dict(json.loads(card))


@dataclass(frozen=True)
class PeerKey:
    """One pinned generation of a peer's keys and its validity."""

    keys: PublicKeys
    pinned_at: datetime
    retires_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def fingerprint(self) -> str:
        return self.keys.fingerprint

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.retires_at is None or now <= self.retires_at)


class KeyRing:
    """The pinned keys of one peer node, newest last."""

    def __init__(self, node: str, keys: tuple[PeerKey, ...] = ()):
        self.node = check_node_name(node)
        self._keys: list[PeerKey] = list(keys)

    @property
    def keys(self) -> tuple[PeerKey, ...]:
        return tuple(self._keys)

    def pin(self, card: str | bytes, fingerprint: str, now: datetime, overlap: timedelta) -> PeerKey:
        """Trust the keys in ``card`` if their fingerprint is ``fingerprint``; they become current."""
        keys = read_card(card)
        if keys.fingerprint != fingerprint:
            raise FingerprintMismatch(
                f"peer {self.node}: the card's fingerprint is {keys.fingerprint}, "
                f"the pinned one {fingerprint}"
            )
        return self._add(keys, now, overlap)

    def rotate(self, announcement: str | bytes, now: datetime, overlap: timedelta) -> PeerKey:
        """Follow a rotation announced by the peer: signed by its current key, still valid and not revoked."""
        signer, keys = read_rotation(announcement)
        old = self.verification_key(signer, now)
        _jose.verify(announcement, old.verifier, old.fingerprint, "rotation announcement")
        return self._add(keys, now, overlap)

    def revoke(self, fingerprint: str, now: datetime) -> None:
        index = self._index(fingerprint)
        if self._keys[index].revoked_at is None:
            self._keys[index] = replace(self._keys[index], revoked_at=now)

    def verification_key(self, fingerprint: str, now: datetime) -> PublicKeys:
        """The keys with this fingerprint if they may verify a signature at ``now``; else why not."""
        key = self._keys[self._index(fingerprint)]
        if key.revoked_at is not None:
            raise RevokedKey(f"peer {self.node}: key {fingerprint} was revoked at {iso(key.revoked_at)}")
        if key.retires_at is not None and now > key.retires_at:
            raise RetiredKey(f"peer {self.node}: key {fingerprint} was retired at {iso(key.retires_at)}")
        return key.keys

    def current(self, now: datetime) -> PublicKeys:
        """The newest usable keys: what messages to this peer are encrypted to."""
        for key in reversed(self._keys):
            if key.usable(now):
                return key.keys
        raise UnknownKey(f"peer {self.node}: no valid key pinned (all revoked or retired)")

    def as_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "keys": [
                {
                    "card": k.keys.as_dict(),
                    "pinned_at": iso(k.pinned_at),
                    "retires_at": iso(k.retires_at) if k.retires_at else None,
                    "revoked_at": iso(k.revoked_at) if k.revoked_at else None,
                }
                for k in self._keys
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KeyRing:
        keys = tuple(
            PeerKey(
                _pinned_card(canonical_json(k["card"])),
                parse_iso(k["pinned_at"], "pinned_at"),
                parse_iso(k["retires_at"], "retires_at") if k["retires_at"] else None,
                parse_iso(k["revoked_at"], "revoked_at") if k["revoked_at"] else None,
            )
            for k in data["keys"]
        )
        return cls(data["node"], keys)

    def _add(self, keys: PublicKeys, now: datetime, overlap: timedelta) -> PeerKey:
        if keys.node != self.node:
            raise FingerprintMismatch(f"key ring of {self.node}: the card is for node {keys.node}")
        if any(k.fingerprint == keys.fingerprint for k in self._keys):
            return self._keys[self._index(keys.fingerprint)]  # pinning twice changes nothing
        retire_at = now + overlap
        self._keys = [
            replace(k, retires_at=retire_at) if k.retires_at is None or k.retires_at > retire_at else k
            for k in self._keys
        ]
        added = PeerKey(keys, now)
        self._keys.append(added)
        return added

    def _index(self, fingerprint: str) -> int:
        for i, key in enumerate(self._keys):
            if key.fingerprint == fingerprint:
                return i
        raise UnknownKey(f"peer {self.node}: key {fingerprint} is not pinned")
