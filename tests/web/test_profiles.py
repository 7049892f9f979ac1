"""Profiles against the node's store through the API: the lifecycle, with the role and side rules."""

from __future__ import annotations

import yaml

from iprisk.accounts import Role
from iprisk.profiles import profiles_to_data
from tests.profiles.samples import profile
from tests.web.conftest import LiveNode


def _upload(live: LiveNode, *profiles: object) -> list[dict[str, object]]:
    text = yaml.safe_dump(profiles_to_data(list(profiles)), allow_unicode=True).encode("utf-8")  # type: ignore[arg-type]
    response = live.client.post(
        "/profiles", files={"file": ("p.yaml", text, "application/yaml")}, headers=live.headers(Role.ANALYST)
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _step(live: LiveNode, pid: str, action: str, role: Role = Role.COORDINATOR, **body: str):
    return live.client.post(f"/profiles/{pid}/{action}", json=body, headers=live.headers(role))


def test_the_lifecycle_through_the_api(live: LiveNode) -> None:
    assert _upload(live, profile("P1"), profile("J1", joint=True)) == [
        {"profile_id": "P1", "version": 1, "status": "created"},
        {"profile_id": "J1", "version": 1, "status": "created"},
    ]
    assert _step(live, "P1", "propose", Role.ANALYST).json()["status"] == "proposed"
    assert _step(live, "P1", "approve", Role.ANALYST).status_code == 403  # analysts do not decide
    assert _step(live, "P1", "approve", admin="CN").status_code == 403  # not this node's side
    assert _step(live, "P1", "approve").json()["status"] == "approved"
    assert _step(live, "P1", "activate").json()["status"] == "active"
    conflict = _step(live, "P1", "propose", Role.ANALYST)
    assert conflict.status_code == 409 and conflict.json()["type"] == "urn:iprisk:error:invalid-transition"
    _step(live, "J1", "propose", Role.ANALYST)
    joint = _step(live, "J1", "approve").json()
    assert joint["status"] == "proposed" and joint["missing_approvals"] == ["CN"]
    shown = live.client.get("/profiles/P1", headers=live.headers(Role.PORT_OFFICER)).json()
    assert shown["status"] == "active" and shown["content"]["criteria"]["hs_prefixes"] == ["6404"]
    history = live.client.get("/profiles/P1/history", headers=live.headers(Role.AUDITOR)).json()
    assert [h["action"] for h in history] == ["create", "propose", "approve", "activate"]
    entries = live.client.get("/audit/entries?limit=1000", headers=live.headers(Role.AUDITOR)).json()
    assert sum('"kind":"profile.' in e["entry"] for e in entries) == 4 + 3
    assert (
        live.client.get("/profiles?status=active", headers=live.headers(Role.ANALYST)).json()[0]["id"] == "P1"
    )
    assert live.client.get("/profiles?status=nope", headers=live.headers(Role.ANALYST)).status_code == 400


def test_a_coordinator_cannot_activate_or_withdraw_the_other_sides_profile(live: LiveNode) -> None:
    _upload(live, profile("C1", owner="CN"))
    assert _step(live, "C1", "withdraw").status_code == 403
    assert _step(live, "nope", "withdraw").status_code == 404
