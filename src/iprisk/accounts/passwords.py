"""Account passwords (for the dashboard's login), hashed with Argon2id (argon2-cffi's defaults, RFC 9106)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from iprisk.errors import InvalidValue

_HASHER = PasswordHasher()
#: Shorter passwords are refused (NIST SP 800-63B asks for at least 8; a node holds sensitive data).
MIN_PASSWORD_CHARS = 12
_MAX_PASSWORD_CHARS = 1024


def hash_password(password: str) -> str:
    """The Argon2id hash (PHC string, salt and parameters included) of an acceptable password."""
    if not MIN_PASSWORD_CHARS <= len(password) <= _MAX_PASSWORD_CHARS:
        raise InvalidValue(f"a password needs {MIN_PASSWORD_CHARS} to {_MAX_PASSWORD_CHARS} characters")
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches; False for a wrong password or an unreadable hash."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's defaults."""
    return _HASHER.check_needs_rehash(stored_hash)
