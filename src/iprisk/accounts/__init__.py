"""Accounts, roles and the authorisation table of a node (pure: the SQL store is ``iprisk.store.accounts``).

* :class:`Role` — operator, coordinator, analyst, port officer (bound to UN/LOCODE ports), auditor;
* :data:`PERMISSIONS` — the one table action x role -> scope that every route and page uses;
* passwords hashed with Argon2id; API tokens shown once and stored as a SHA-256 hash.
"""

from iprisk.accounts.passwords import MIN_PASSWORD_CHARS, hash_password, needs_rehash, verify_password
from iprisk.accounts.permissions import (
    ACTIONS,
    PERMISSIONS,
    Grant,
    Permission,
    Scope,
    authorize,
    permission,
    roles_allowed,
)
from iprisk.accounts.roles import (
    ADMINISTRATIONS,
    Principal,
    Role,
    User,
    check_administration,
    check_ports,
    check_role,
    check_user_name,
)
from iprisk.accounts.tokens import Token, new_token, token_hash, token_id_of, token_matches

__all__ = [
    "ACTIONS",
    "ADMINISTRATIONS",
    "MIN_PASSWORD_CHARS",
    "PERMISSIONS",
    "Grant",
    "Permission",
    "Principal",
    "Role",
    "Scope",
    "Token",
    "User",
    "authorize",
    "check_administration",
    "check_ports",
    "check_role",
    "check_user_name",
    "hash_password",
    "needs_rehash",
    "new_token",
    "permission",
    "roles_allowed",
    "token_hash",
    "token_id_of",
    "token_matches",
    "verify_password",
]
