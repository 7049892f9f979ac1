"""The authorisation table, route by route: every route, every role and an anonymous caller.

Wherever the table says no, the answer is 401 (anonymous) or 403 (a role the action does not list); wherever
it says yes, the request gets past authorisation (whatever the route then answers to placeholder input).
"""

from __future__ import annotations

import re

from iprisk.accounts import ACTIONS, Role, permission
from iprisk.web import ROUTERS, catalog
from tests.web.conftest import LiveNode

#: Routes anyone may call: the probe, the metrics (no data, no names) and the API's description (/docs and
#: /openapi.json are not among the routers: FastAPI adds them); the channel's routes, which the peer node
#: calls with no token: each message is authenticated by itself (signed by the peer's pinned key); and the
#: dashboard's login, logout (a form with its CSRF token) and style sheet.
PUBLIC = {
    "/health",
    "/metrics",
    "/channel/messages",
    "/channel/batches",
    "/channel/queries",
    "/channel/card",
    "/ui/login",
    "/ui/logout",
    "/ui/static/{name}",
}


def _routes(live: LiveNode) -> list[tuple[str, str, str | None]]:
    """(method, path, action) of every route of the routers of the list, checked against the OpenAPI paths."""
    found = [(r.method, r.path, r.action) for r in catalog.routes(ROUTERS)]
    described = live.client.get("/openapi.json").json()["paths"]
    assert {(m.upper(), p) for p, ops in described.items() for m in ops} == {(m, p) for m, p, _ in found}
    return found


def _call(live: LiveNode, method: str, path: str, role: Role | None) -> int:
    concrete = re.sub(r"\{(\w+)\}", lambda m: "0" if m.group(1) == "index" else "x", path)
    return live.client.request(method, concrete, headers=live.headers(role)).status_code


def test_every_route_is_public_or_names_an_action_of_the_table(live_both: LiveNode) -> None:
    routes = _routes(live_both)
    assert len(routes) >= 20
    unguarded = [(m, p) for m, p, action in routes if action is None and p not in PUBLIC]
    assert unguarded == []
    used = {action for _, _, action in routes if action is not None}
    assert used == set(ACTIONS), f"actions of the table no route uses: {set(ACTIONS) - used}"


def test_every_route_answers_every_role_as_the_table_says(live_both: LiveNode) -> None:
    checked = 0
    for method, path, action in _routes(live_both):
        if action is None:
            continue
        grants = permission(action).grants
        status = _call(live_both, method, path, None)
        assert status == 401, (method, path, "anonymous", status)
        for role in Role:
            status = _call(live_both, method, path, role)
            if role in grants:
                assert status not in (401, 403), (method, path, role.value, status)
            else:
                assert status == 403, (method, path, role.value, status)
            checked += 1
    assert checked >= 20 * len(Role)


def test_refusals_are_problem_json_and_refused_tokens_are_audited(live: LiveNode) -> None:
    anonymous = live.client.get("/users")
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Bearer")
    assert anonymous.headers["content-type"] == "application/problem+json"
    forbidden = live.client.get("/users", headers=live.headers(Role.ANALYST))
    assert forbidden.status_code == 403
    assert forbidden.json()["type"] == "urn:iprisk:error:forbidden"
    secret = "Zq9" * 14 + "Z"
    wrong = live.client.get("/users", headers={"Authorization": f"Bearer iprisk.aaaaaaaaaaaa.{secret}"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "unknown token"
    entries = live.client.get("/audit/entries?limit=1000", headers=live.headers(Role.AUDITOR)).json()
    assert entries[-1]["entry"].count('"kind":"auth.refused"') == 1
    assert secret not in "".join(e["entry"] for e in entries)
