"""The node's routes as data: method, path, action of the authorisation table, summary; and the tables of
``docs/service.md`` rendered from them, so that the page says what the code does (a test compares them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.routing import APIRoute

from iprisk.accounts import PERMISSIONS, Role, permission
from iprisk.web.auth import action_of

#: Marks a route anyone may call (no token) in the tables.
PUBLIC = "public"


@dataclass(frozen=True)
class RouteInfo:
    method: str
    path: str
    #: the action of the authorisation table it performs; None for a public route
    action: str | None
    summary: str


def routes(routers: Iterable[APIRouter]) -> list[RouteInfo]:
    """Every (method, route) of ``routers``, in their order."""
    found = []
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                raise TypeError(f"{route!r}: only API routes belong to the node's routers")
            for method in sorted(route.methods or ()):
                found.append(RouteInfo(method, route.path, action_of(route), route.summary or route.name))
    return found


def _grant_cells(action: str | None) -> list[str]:
    if action is None:
        return ["yes"] * len(Role)
    grants = permission(action).grants
    return [grants[role].value if role in grants else "—" for role in Role]


def _header(first: list[str]) -> list[str]:
    columns = [*first, *(role.value.replace("_", " ") for role in Role)]
    return ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]


def route_table(routers: Iterable[APIRouter]) -> str:
    """Markdown: every route with its action and, per role, the scope it is granted (— for refused)."""
    lines = _header(["method", "route", "action", "what"])
    for r in routes(routers):
        cells = [r.method, f"`{r.path}`", f"`{r.action}`" if r.action else PUBLIC, r.summary]
        lines.append("| " + " | ".join([*cells, *_grant_cells(r.action)]) + " |")
    return "\n".join(lines) + "\n"


def action_table() -> str:
    """Markdown: the authorisation table itself, action by action."""
    lines = _header(["action", "what"])
    for p in PERMISSIONS:
        lines.append("| " + " | ".join([f"`{p.action}`", p.description, *_grant_cells(p.action)]) + " |")
    return "\n".join(lines) + "\n"
