"""Who uses a node: accounts with one role each, belonging to the node's administration."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from iprisk.codes import is_well_formed_locode
from iprisk.errors import InvalidValue
from iprisk.profiles.model import CN_ADMIN, EU_ADMIN, admin_side

#: The administrations a node (and so an account) can belong to.
ADMINISTRATIONS: tuple[str, ...] = (EU_ADMIN, CN_ADMIN)

_USER_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


class Role(StrEnum):
    """What an account does (one role per account). See docs/service.md for what each role may do."""

    OPERATOR = "operator"  # runs the node: accounts, tokens, audit checkpoints
    COORDINATOR = "coordinator"  # submits statistics, decides on profiles for the administration
    ANALYST = "analyst"  # reads the data and the analysis, drafts and proposes profiles
    PORT_OFFICER = "port_officer"  # works for one or more ports: sees what concerns them
    AUDITOR = "auditor"  # reads everything that was done, verifies the audit log; changes nothing


def check_user_name(name: str) -> str:
    """1-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit."""
    if not isinstance(name, str) or not _USER_NAME.fullmatch(name):
        raise InvalidValue(f"user name {name!r}: 1-64 lower-case letters, digits, '.', '_' or '-'")
    return name


def check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidValue(f"role {role!r}: one of {', '.join(r.value for r in Role)}") from None


def check_administration(administration: str) -> str:
    if administration not in ADMINISTRATIONS:
        raise InvalidValue(f"administration {administration!r}: one of {', '.join(ADMINISTRATIONS)}")
    return administration


def check_ports(role: Role, administration: str, ports: Iterable[str]) -> tuple[str, ...]:
    """A port officer needs at least one UN/LOCODE port of its own administration; other roles none."""
    codes = tuple(dict.fromkeys(p.strip().upper() for p in ports))
    if role is not Role.PORT_OFFICER:
        if codes:
            raise InvalidValue(f"only a port officer is bound to ports, not a {role.value}")
        return codes
    if not codes:
        raise InvalidValue("a port officer needs at least one port (UN/LOCODE, e.g. NLRTM)")
    for code in codes:
        if not is_well_formed_locode(code):
            raise InvalidValue(f"port {code!r} is not a UN/LOCODE (2-letter country and 3 characters)")
        if admin_side(code[:2]) != administration:
            raise InvalidValue(f"port {code} is not a port of the {administration} administration")
    return codes


@dataclass(frozen=True)
class User:
    """An account as shown (never with its password hash)."""

    name: str
    role: Role
    administration: str
    ports: tuple[str, ...] = ()
    active: bool = True
    created_at: datetime | None = None
    created_by: str = ""
    has_password: bool = False


@dataclass(frozen=True)
class Principal:
    """Who makes a request, once authenticated: the account, its role and what it is bound to."""

    name: str
    role: Role
    administration: str
    ports: frozenset[str] = field(default_factory=frozenset)
    token_id: str | None = None
