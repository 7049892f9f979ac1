"""API tokens: random secrets shown once, stored only as a SHA-256 hash, with an expiry and revocation.

A token reads ``iprisk.<id>.<secret>``: ``id`` (12 characters, base32) names the stored row, so a token is
found without scanning; ``secret`` is 32 random bytes (base64url). Only ``SHA-256(token)`` is stored: the
secret is random and long, so a fast hash is enough (no password stretching is needed); comparisons are
constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

_PREFIX = "iprisk"
_TOKEN = re.compile(r"iprisk\.([a-z2-7]{12})\.([A-Za-z0-9_-]{43})")


@dataclass(frozen=True)
class Token:
    """A token as shown: never its secret nor its hash."""

    id: str
    user: str
    label: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    created_by: str = ""

    def valid_at(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


def new_token() -> tuple[str, str]:
    """A fresh ``(token id, full token)``; the caller stores :func:`token_hash` of it and shows it once."""
    token_id = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()[:12]
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")
    return token_id, f"{_PREFIX}.{token_id}.{secret}"


def token_id_of(token: str) -> str | None:
    """The id a well-formed token names, else None."""
    match = _TOKEN.fullmatch(token)
    return match.group(1) if match else None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(token_hash(token), stored_hash)
