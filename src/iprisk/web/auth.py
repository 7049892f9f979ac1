"""Authentication (bearer API tokens) and authorisation (the one table of ``iprisk.accounts``) for routes.

Every route that is not public declares the action it performs with
``grant: Annotated[Grant, require("...")]``. The
dependency authenticates the caller (401 and an audit entry when the token does not check out), looks the
action up in the table (403 when the role may not), and hands the route the :class:`Grant`, through which it
checks the scope (administration, ports) on what it touches. ``action_of(route)`` reads the action back:
the authorisation test and the docs walk every route with it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from iprisk.accounts import Grant, Principal, authorize, permission
from iprisk.errors import Unauthenticated
from iprisk.node import Node

_BEARER = HTTPBearer(auto_error=False, description="An API token: Authorization: Bearer iprisk.<id>.<secret>")


_Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]


def get_node(request: Request) -> Node:
    """The app's node (routes use it as a dependency: ``node: Node = Depends(get_node)``)."""
    node: Node = request.app.state.node
    return node


def client_address(request: Request) -> str | None:
    """The caller's address, the key of the failed-login throttle (behind a reverse proxy: run uvicorn with
    ``--proxy-headers --forwarded-allow-ips`` so that it is the client's, not the proxy's)."""
    return request.client.host if request.client is not None else None


def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    if credentials is None:
        raise Unauthenticated("no credentials: send Authorization: Bearer <API token>")
    principal = get_node(request).accounts.authenticate(
        credentials.credentials, address=client_address(request)
    )
    request.state.principal = principal  # for the access log: who, never the token
    return principal


def require(action: str) -> Any:
    """The dependency of a route that performs ``action`` (an action of the authorisation table)."""
    permission(action)  # an unknown action fails when the route is defined, not when it is called

    def check(request: Request, credentials: _Credentials) -> Grant:
        return authorize(authenticate(request, credentials), action)

    check.action = action  # type: ignore[attr-defined]
    return Depends(check)


def action_of(route: APIRoute) -> str | None:
    """The action a route requires, None for a public route."""
    found = [
        getattr(dep.call, "action", None)
        for dep in _walk(route.dependant)
        if getattr(dep.call, "action", None) is not None
    ]
    if len(found) > 1:
        raise ValueError(f"{route.path} requires several actions: {found}")
    return found[0] if found else None


def _walk(dependant: Any) -> list[Any]:
    out = []
    for dep in dependant.dependencies:
        out.append(dep)
        out.extend(_walk(dep))
    return out
