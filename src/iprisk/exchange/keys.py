"""A node's identity: an Ed25519 signing key and an X25519 encryption key, in generations, and its key folder.

The node's **fingerprint** is the RFC 7638 JWK thumbprint (SHA-256, base64url) of its public Ed25519 key: what
an operator reads out to the peer's operator and what the peer pins. The X25519 key is bound to it by the
node's **card**, a JWS signed by the Ed25519 key that carries both public keys, so pinning one fingerprint
authenticates both. Rotation creates a new generation; the old one is kept (to open messages still in flight
to it) until the operator retires it.

Key folder layout (private keys 0600, in PKCS#8 PEM, encrypted when a passphrase is given)::

    identity.json               node name and generations, oldest first (the last one is current)
    <fingerprint>/signing.pem   Ed25519 private key
    <fingerprint>/encryption.pem X25519 private key
    <fingerprint>/card.jws      the public card (what peers pin)
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from joserfc.jwk import OKPKey

from iprisk.exchange import _jose
from iprisk.exchange._encoding import canonical_json, iso, json_object, parse_iso
from iprisk.exchange.errors import BadSignature, KeyFolderError, MalformedMessage

_NODE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_CARD_TYPE = "iprisk-keys+jws"
_ROTATION_TYPE = "iprisk-rotation+jws"


def check_node_name(node: str) -> str:
    """A node name is 1-64 letters, digits, '.', '_' or '-' (``EU``, ``CN``, ``eu-test``)."""
    if not isinstance(node, str) or not _NODE_NAME.fullmatch(node):
        raise MalformedMessage(f"invalid node name {node!r}: 1-64 letters, digits, '.', '_' or '-'")
    return node


@dataclass(frozen=True)
class PublicKeys:
    """One generation of a node's public keys, as its peers pin them."""

    node: str
    signing: OKPKey
    encryption: OKPKey
    created: datetime

    @cached_property
    def fingerprint(self) -> str:
        """RFC 7638 JWK thumbprint of the Ed25519 public key: the node's pinned identity."""
        return self.signing.thumbprint()

    @cached_property
    def encryption_kid(self) -> str:
        """RFC 7638 thumbprint of the X25519 key, named in the ``kid`` of what is encrypted to it."""
        return self.encryption.thumbprint()

    @cached_property
    def verifier(self) -> Ed25519PublicKey:
        """The Ed25519 public key itself (made once: signatures of this generation are checked with it)."""
        return cast(Ed25519PublicKey, self.signing.public_key)

    @cached_property
    def encryption_key(self) -> X25519PublicKey:
        """The X25519 public key itself (what messages to this generation are encrypted to)."""
        return cast(X25519PublicKey, self.encryption.public_key)

    def as_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "signing": self.signing.as_dict(private=False),
            "encryption": self.encryption.as_dict(private=False),
            "created": iso(self.created),
        }

    @classmethod
    def from_dict(cls, data: Any) -> PublicKeys:
        if not isinstance(data, dict):
            raise MalformedMessage("key card: not a JSON object")
        try:
            signing = OKPKey.import_key(data["signing"])
            encryption = OKPKey.import_key(data["encryption"])
            node, created = data["node"], data["created"]
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedMessage(f"key card: {type(exc).__name__}: {exc}") from None
        if signing.curve_name != "Ed25519" or encryption.curve_name != "X25519" or signing.is_private:
            raise MalformedMessage("key card: expected a public Ed25519 key and a public X25519 key")
        return cls(check_node_name(node), signing, encryption, parse_iso(created, "key card created"))


@dataclass(frozen=True)
class NodeKeys:
    """One generation of a node's private keys."""

    node: str
    signing_key: Ed25519PrivateKey = field(repr=False)
    encryption_key: X25519PrivateKey = field(repr=False)
    created: datetime

    @classmethod
    def generate(cls, node: str, now: datetime) -> NodeKeys:
        return cls(check_node_name(node), Ed25519PrivateKey.generate(), X25519PrivateKey.generate(), now)

    @cached_property
    def public(self) -> PublicKeys:
        return PublicKeys(
            self.node,
            OKPKey.import_key(self.signing_key.public_key()),
            OKPKey.import_key(self.encryption_key.public_key()),
            self.created,
        )

    @property
    def fingerprint(self) -> str:
        return self.public.fingerprint

    def card(self) -> str:
        """The public keys as a JWS signed by this generation's Ed25519 key: what a peer pins."""
        return self.sign({"typ": _CARD_TYPE}, canonical_json(self.public.as_dict()))

    def sign(self, header: dict[str, Any], payload: bytes) -> str:
        """A JWS compact token over ``payload`` signed by this generation (``kid`` = fingerprint)."""
        return _jose.sign(header, payload, self.signing_key, self.fingerprint)


def read_card(card: str | bytes) -> PublicKeys:
    """The public keys in a card, after checking it is signed by the Ed25519 key it carries."""
    token = _jose.read_signed(card, "key card")
    if token.header.get("typ") != _CARD_TYPE:
        raise MalformedMessage(f"key card: type {token.header.get('typ')!r}, expected {_CARD_TYPE}")
    keys = PublicKeys.from_dict(json_object(token.payload, "key card body"))
    if token.kid != keys.fingerprint:
        raise BadSignature(f"key card: signed by {token.kid}, carries {keys.fingerprint}")
    _jose.check_signature(token, keys.verifier, keys.fingerprint, "key card")
    return keys


def rotation_announcement(old: NodeKeys, new: NodeKeys) -> str:
    """The new generation's card, countersigned by the old key: lets a peer follow a rotation it trusts."""
    return old.sign({"typ": _ROTATION_TYPE}, new.card().encode("ascii"))


def read_rotation(announcement: str | bytes) -> tuple[str, PublicKeys]:
    """The fingerprint that signed an announcement and the new keys it carries (signature not checked)."""
    token = _jose.read_signed(announcement, "rotation announcement")
    if token.header.get("typ") != _ROTATION_TYPE:
        raise MalformedMessage(
            f"rotation announcement: type {token.header.get('typ')!r}, expected {_ROTATION_TYPE}"
        )
    return token.kid, read_card(token.payload)


@dataclass(frozen=True)
class NodeIdentity:
    """A node's key generations, oldest first; the last one signs and receives what is sent now."""

    node: str
    generations: tuple[NodeKeys, ...]

    def __post_init__(self) -> None:
        check_node_name(self.node)
        if not self.generations:
            raise KeyFolderError(self.node, "an identity needs at least one key generation")
        if any(g.node != self.node for g in self.generations):
            raise KeyFolderError(self.node, "every key generation must belong to the same node")

    @classmethod
    def create(cls, node: str, now: datetime) -> NodeIdentity:
        return cls(node, (NodeKeys.generate(node, now),))

    @property
    def current(self) -> NodeKeys:
        return self.generations[-1]

    @property
    def fingerprint(self) -> str:
        return self.current.fingerprint

    def decryption_keys(self, kid: str) -> NodeKeys | None:
        """The generation whose X25519 key has thumbprint ``kid`` (messages in flight may use an old one)."""
        return next((g for g in self.generations if g.public.encryption_kid == kid), None)

    def rotate(self, now: datetime) -> tuple[NodeIdentity, str]:
        """A new generation, and the announcement (signed by the current key) to send to the peers."""
        new = NodeKeys.generate(self.node, now)
        return NodeIdentity(self.node, (*self.generations, new)), rotation_announcement(self.current, new)

    def retire(self, fingerprint: str) -> NodeIdentity:
        """Drop an old generation once its overlap period is over (the current one cannot be retired)."""
        if fingerprint == self.fingerprint:
            raise KeyFolderError(self.node, "the current key generation cannot be retired; rotate first")
        kept = tuple(g for g in self.generations if g.fingerprint != fingerprint)
        if len(kept) == len(self.generations):
            raise KeyFolderError(self.node, f"no key generation {fingerprint}")
        return NodeIdentity(self.node, kept)


def save_identity(identity: NodeIdentity, folder: Path, passphrase: str | None = None) -> None:
    """Write every generation to ``folder`` (created 0700); private keys 0600, replaced atomically."""
    folder = Path(folder)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode("utf-8"))
        if passphrase
        else serialization.NoEncryption()
    )
    for keys in identity.generations:
        sub = folder / keys.fingerprint
        sub.mkdir(mode=0o700, exist_ok=True)
        for name, key in (("signing.pem", keys.signing_key), ("encryption.pem", keys.encryption_key)):
            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
            _write_atomic(sub / name, pem, 0o600)
        _write_atomic(sub / "card.jws", keys.card().encode("ascii") + b"\n", 0o644)
    index = {
        "node": identity.node,
        "generations": [
            {"fingerprint": g.fingerprint, "created": iso(g.created)} for g in identity.generations
        ],
    }
    _write_atomic(folder / "identity.json", json.dumps(index, indent=2).encode("utf-8") + b"\n", 0o644)


def load_identity(folder: Path, passphrase: str | None = None) -> NodeIdentity:
    """Read the identity saved by :func:`save_identity`; names the file at fault when it cannot."""
    folder = Path(folder)
    index_path = folder / "identity.json"
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
        node = index["node"]
        generations = [(g["fingerprint"], g["created"]) for g in index["generations"]]
    except FileNotFoundError:
        raise KeyFolderError(str(index_path), "no identity here; create one first") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KeyFolderError(str(index_path), f"unreadable: {type(exc).__name__}: {exc}") from None
    password = passphrase.encode("utf-8") if passphrase else None
    loaded = []
    for fingerprint, created in generations:
        signing = _read_private(folder / str(fingerprint) / "signing.pem", password)
        encryption = _read_private(folder / str(fingerprint) / "encryption.pem", password)
        if not isinstance(signing, Ed25519PrivateKey) or not isinstance(encryption, X25519PrivateKey):
            raise KeyFolderError(
                str(folder / str(fingerprint)), "expected an Ed25519 and an X25519 private key"
            )
        keys = NodeKeys(node, signing, encryption, parse_iso(created, f"{index_path} created"))
        if keys.fingerprint != fingerprint:
            raise KeyFolderError(str(folder / str(fingerprint)), f"key has fingerprint {keys.fingerprint}")
        loaded.append(keys)
    return NodeIdentity(node, tuple(loaded))


def _read_private(path: Path, password: bytes | None) -> Any:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFolderError(str(path), f"cannot read: {exc.strerror or exc}") from None
    try:
        return serialization.load_pem_private_key(data, password=password)
    except (
        TypeError
    ):  # cryptography: a password was given for an unencrypted key, or none for an encrypted one
        need = "needs a passphrase" if password is None else "is not encrypted: give no passphrase"
        raise KeyFolderError(str(path), f"the key {need}") from None
    except ValueError:
        raise KeyFolderError(str(path), "wrong passphrase or not a PEM private key") from None


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)  # O_CREAT's mode is filtered by the umask, and ignored for an existing file
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
