"""The authorisation table: for every action, which roles may do it and over what scope.

ONE table for the whole node: every API route names the action it performs (``iprisk.web.auth.require``),
and the dashboard's pages and exports will name theirs. A role missing from an action's row may not do it
(403); a role present is limited to its scope:

* ``all`` — anything on the node;
* ``administration`` — only what belongs to the account's administration (a submission reported by an
  administration of its side, an approval given for its side, a profile it owns or shares);
* ``ports`` — only what concerns the account's ports (lanes from or to one of them).

The route enforces the scope through the :class:`Grant` it gets back. ``docs/service.md`` shows the table
route by route; a test walks every route with every role and an anonymous caller against it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from iprisk.accounts.roles import Principal, Role
from iprisk.errors import Forbidden
from iprisk.profiles.model import admin_side


class Scope(StrEnum):
    ALL = "all"
    ADMINISTRATION = "administration"
    PORTS = "ports"


@dataclass(frozen=True)
class Permission:
    action: str
    description: str
    grants: Mapping[Role, Scope]


_ALL_ROLES = tuple(Role)
_O, _C, _A, _P, _U = Role.OPERATOR, Role.COORDINATOR, Role.ANALYST, Role.PORT_OFFICER, Role.AUDITOR
ALL, ADMIN, PORTS = Scope.ALL, Scope.ADMINISTRATION, Scope.PORTS

PERMISSIONS: tuple[Permission, ...] = (
    Permission("account.read", "see one's own account", dict.fromkeys(_ALL_ROLES, ALL)),
    Permission("users.read", "list accounts and tokens", {_O: ALL, _U: ALL}),
    Permission("users.manage", "add or disable accounts, set passwords, create or revoke tokens", {_O: ALL}),
    Permission("submissions.read", "read the submission log", {_C: ALL, _A: ALL, _U: ALL}),
    Permission("submissions.create", "submit quarterly statistics of one's administration", {_C: ADMIN}),
    Permission("submissions.export", "export the current seizure lines", {_C: ALL, _A: ALL}),
    Permission("profiles.read", "read profiles and their history", {_C: ALL, _A: ALL, _P: ALL, _U: ALL}),
    Permission("profiles.draft", "import profiles (new ones, new versions)", {_C: ALL, _A: ALL}),
    Permission("profiles.propose", "propose a draft profile for approval", {_C: ALL, _A: ALL}),
    Permission("profiles.decide", "approve or reject a proposed profile for one's side", {_C: ADMIN}),
    Permission("profiles.activate", "activate an approved profile of one's side", {_C: ADMIN}),
    Permission("profiles.withdraw", "withdraw a profile of one's side", {_C: ADMIN}),
    Permission("analysis.read", "read trends, signals and lanes", {_C: ALL, _A: ALL, _P: PORTS}),
    # an officer scores the declarations of its own ports (it sees only their lines), as an analyst any
    Permission("targeting.score", "score a declarations file with the node's targeting model",
               {_A: ALL, _P: PORTS}),
    Permission("allocation.read", "read plans and operations, choose KA2 ports", {_C: ALL, _A: ALL}),
    Permission("referrals.read", "see the referrals of one's ports (an officer) or side",
               {_C: ADMIN, _A: ADMIN, _P: PORTS, _U: ADMIN}),
    Permission("referrals.draft", "draft a referral from one's side", {_C: ADMIN, _A: ADMIN, _P: PORTS}),
    Permission("referrals.act", "send, acknowledge, give feedback on, close a referral of one's ports",
               {_C: ADMIN, _P: PORTS}),
    Permission("referrals.kpis", "read the referral KPIs (the coordinator: both sides)",
               {_C: ALL, _A: ADMIN, _U: ADMIN}),
    Permission("audit.read", "read audit entries, proofs and checkpoints", {_O: ALL, _U: ALL}),
    Permission("audit.checkpoint", "sign a checkpoint of the audit log now", {_O: ALL, _U: ALL}),
)  # fmt: skip

_BY_ACTION: dict[str, Permission] = {p.action: p for p in PERMISSIONS}
ACTIONS: tuple[str, ...] = tuple(_BY_ACTION)


def permission(action: str) -> Permission:
    try:
        return _BY_ACTION[action]
    except KeyError:
        raise KeyError(f"action {action!r} is not in the authorisation table") from None


@dataclass(frozen=True)
class Grant:
    """What the table allows ``principal`` for one action; the route checks the things it touches."""

    principal: Principal
    action: str
    scope: Scope

    def _refuse(self, what: str) -> Forbidden:
        return Forbidden(self.action, self.principal.role.value, what)

    def check_administration(self, code: str) -> None:
        """Refuse unless the scope covers administration ``code`` (``EU``, an EU member, ``CN``)."""
        if self.scope is Scope.ALL:
            return
        if self.scope is Scope.ADMINISTRATION and admin_side(code) == self.principal.administration:
            return
        raise self._refuse(f"administration {code} is outside the account's scope")

    def check_port(self, locode: str) -> None:
        """Refuse unless the scope covers port ``locode``."""
        if self.scope is Scope.ALL:
            return
        if self.scope is Scope.PORTS and locode in self.principal.ports:
            return
        if self.scope is Scope.ADMINISTRATION and admin_side(locode[:2]) == self.principal.administration:
            return
        raise self._refuse(f"port {locode} is outside the account's scope")

    def ports(self) -> frozenset[str] | None:
        """The ports a listing must be limited to; None when the scope is not limited to ports."""
        return self.principal.ports if self.scope is Scope.PORTS else None


def authorize(principal: Principal, action: str) -> Grant:
    """The grant of ``action`` to ``principal``; :class:`~iprisk.errors.Forbidden` when the table says no."""
    scope = permission(action).grants.get(principal.role)
    if scope is None:
        raise Forbidden(action, principal.role.value, "the role may not do this")
    return Grant(principal, action, scope)


def roles_allowed(action: str) -> Iterable[Role]:
    return permission(action).grants.keys()
