"""Party-data minimisation: trader names travel only when the legal basis allows, otherwise keyed ids.

A keyed identifier is HMAC-SHA-256 (RFC 2104, Python's :mod:`hmac`) under a key agreed between the two nodes,
over a normalised, domain-separated message (``iprisk-party-v1``, what is keyed — an identifier with its
scheme, or a name —, the value). The receiving node, holding the same key, computes the same identifier from
its own declarations and can match, but cannot read it back; without the key nobody can test guesses.
The key is a secret of the node's key folder (``party-hmac.key``, 32 random bytes or more).
"""

from __future__ import annotations

import hmac
import os
import secrets
import unicodedata
from hashlib import sha256
from pathlib import Path

from iprisk.errors import InvalidValue, MissingFile
from iprisk.formats.referrals import Party, ReferralWarning

#: Legal bases under which names and readable identifiers of traders may travel (mutual assistance
#: agreements provide for personal data, with their safeguards); any other basis sends keyed ids only.
NAMES_ALLOWED: frozenset[str] = frozenset({"cmaa_spontaneous", "cmaa_request"})
#: The file of the party key in the node's key folder.
PARTY_KEY_FILE = "party-hmac.key"
#: Shortest key accepted (bytes): the HMAC-SHA-256 key length of RFC 2104's recommendation.
MIN_KEY_BYTES = 32
_DOMAIN = b"iprisk-party-v1"


def names_allowed(legal_basis: str) -> bool:
    """True when trader names and readable identifiers may travel under ``legal_basis``."""
    return legal_basis in NAMES_ALLOWED


def normalise(text: str) -> str:
    """Unicode NFKC, case folded, whitespace collapsed: ``" ACME  Trading "`` and ``"acme trading"`` match."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def party_key(key: bytes, what: str, value: str) -> str:
    """The keyed identifier (64 hex digits) of ``value``; ``what`` is ``name`` or an identifier scheme."""
    if len(key) < MIN_KEY_BYTES:
        raise InvalidValue(f"the party key has {len(key)} bytes; at least {MIN_KEY_BYTES} are needed")
    message = b"\x00".join((_DOMAIN, what.encode(), normalise(value).encode()))
    return hmac.new(key, message, sha256).hexdigest()


def keyed(party: Party, key: bytes) -> Party:
    """``party`` with its name and identifier replaced by their keyed identifiers (role, country kept)."""
    return Party(
        role=party.role,
        country=party.country,
        identifier_key=(
            party_key(key, party.scheme or "", party.identifier) if party.identifier else party.identifier_key
        ),
        name_key=party_key(key, "name", party.name) if party.name else party.name_key,
    )


def minimise(warning: ReferralWarning, key: bytes) -> ReferralWarning:
    """The warning as it may travel: parties keyed unless its legal basis allows names."""
    if names_allowed(warning.legal_basis) or not any(p.readable for p in warning.parties):
        return warning
    return warning.model_copy(update={"parties": [keyed(p, key) for p in warning.parties]})


def new_party_key() -> bytes:
    """A fresh key (32 random bytes from the OS) for the two nodes to agree on."""
    return secrets.token_bytes(MIN_KEY_BYTES)


def load_party_key(key_folder: Path) -> bytes:
    """The party key from ``key_folder``; a missing or short key is a clear error."""
    path = key_folder / PARTY_KEY_FILE
    if not path.is_file():
        raise MissingFile(str(path))
    key = path.read_bytes()
    if len(key) < MIN_KEY_BYTES:
        raise InvalidValue(f"{path}: the party key has {len(key)} bytes; at least {MIN_KEY_BYTES} are needed")
    return key


def write_party_key(key_folder: Path, key: bytes) -> Path:
    """Write ``key`` to ``key_folder`` (created mode 0700, the file 0600); an existing key is kept."""
    if len(key) < MIN_KEY_BYTES:
        raise InvalidValue(f"the party key has {len(key)} bytes; at least {MIN_KEY_BYTES} are needed")
    key_folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = key_folder / PARTY_KEY_FILE
    if path.exists():
        raise InvalidValue(f"{path} exists: the nodes' agreed key is never overwritten")
    with open(path, "xb", opener=lambda p, flags: os.open(p, flags, 0o600)) as f:
        f.write(key)
    return path
