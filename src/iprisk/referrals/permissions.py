"""Who may do what with a referral, by role, side and port.

The roles are the node's (``iprisk.accounts.Role`` values): a port officer acts only on referrals of their
ports; an analyst sees every referral of their side and drafts warnings; the coordinator of a side acts for
any of its ports and sees the KPIs of both sides; an auditor sees and changes nothing. :class:`Actor` is any
object with the four attributes of the node's ``Principal`` (name, role, administration, ports).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Protocol

from iprisk.referrals.errors import NotPermitted
from iprisk.referrals.network import side_of

PORT_OFFICER = "port_officer"
ANALYST = "analyst"
COORDINATOR = "coordinator"
AUDITOR = "auditor"

#: step -> (the end of the referral whose side acts, roles that may act)
STEP_RULES: dict[str, tuple[str, frozenset[str]]] = {
    "draft": ("sending", frozenset({PORT_OFFICER, ANALYST, COORDINATOR})),
    "send": ("sending", frozenset({PORT_OFFICER, COORDINATOR})),
    "close": ("sending", frozenset({PORT_OFFICER, COORDINATOR})),
    "acknowledge": ("receiving", frozenset({PORT_OFFICER, COORDINATOR})),
    "feedback": ("receiving", frozenset({PORT_OFFICER, COORDINATOR})),
}
#: Roles that see the referrals of their side (a port officer sees those of their ports).
VIEWERS = frozenset({ANALYST, COORDINATOR, AUDITOR})


class Actor(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def administration(self) -> str: ...
    @property
    def ports(self) -> Collection[str]: ...


@dataclass(frozen=True)
class Officer:
    """A plain :class:`Actor` (the command line's and the tests'; the node passes its ``Principal``)."""

    name: str
    role: str
    administration: str
    ports: frozenset[str] = field(default_factory=frozenset)


def require(actor: Actor, step: str, referral_id: str, sending_port: str, receiving_port: str) -> None:
    """Raise :class:`NotPermitted` unless ``actor`` may take ``step`` on the referral between the ports."""
    end, roles = STEP_RULES[step]
    port = sending_port if end == "sending" else receiving_port
    role = str(actor.role)
    if role not in roles:
        reason = f"role {role} cannot; {', '.join(sorted(roles))} can"
        raise NotPermitted(actor.name, step, referral_id, reason)
    if actor.administration != side_of(port):
        reason = f"it is for the {end} port {port}, of side {side_of(port)}, not {actor.administration}"
        raise NotPermitted(actor.name, step, referral_id, reason)
    if role == PORT_OFFICER and port not in actor.ports:
        theirs = ", ".join(sorted(actor.ports)) or "none"
        reason = f"the {end} port is {port}; the officer's ports are {theirs}"
        raise NotPermitted(actor.name, step, referral_id, reason)


def may_see(actor: Actor, sending_port: str, receiving_port: str) -> bool:
    """True when ``actor`` may read the referral between the two ports."""
    ends = (sending_port, receiving_port)
    role = str(actor.role)
    if role == PORT_OFFICER:
        return any(p in actor.ports for p in ends)
    return role in VIEWERS and any(side_of(p) == actor.administration for p in ends)


def kpi_sides(actor: Actor) -> frozenset[str] | None:
    """Sides whose KPIs ``actor`` sees: ``None`` for both (a coordinator), else their own side."""
    role = str(actor.role)
    if role == COORDINATOR:
        return None
    if role in (ANALYST, AUDITOR):
        return frozenset({actor.administration})
    raise NotPermitted(actor.name, "read the KPIs of", "any", f"role {role} cannot; coordinator, analyst can")


def require_coordinator(actor: Actor, side: str) -> None:
    """Only the coordinator of ``side`` edits that side's ports in the network of key ports."""
    if str(actor.role) != COORDINATOR or actor.administration != side:
        reason = f"only the coordinator of side {side} edits its ports"
        raise NotPermitted(actor.name, "edit the network port", side, reason)
