from __future__ import annotations

import pytest

from iprisk.accounts import ACTIONS, PERMISSIONS, Principal, Role, Scope, authorize, permission
from iprisk.errors import Forbidden


def _principal(role: Role, ports: frozenset[str] = frozenset()) -> Principal:
    return Principal("someone", role, "EU", ports)


def test_the_table_covers_every_role_and_refuses_what_it_does_not_list() -> None:
    assert len(ACTIONS) == len(PERMISSIONS)
    assert {role for p in PERMISSIONS for role in p.grants} == set(Role)
    for p in PERMISSIONS:
        for role in Role:
            if role in p.grants:
                assert authorize(_principal(role), p.action).scope is p.grants[role]
            else:
                with pytest.raises(Forbidden, match=f"refused to a {role.value}"):
                    authorize(_principal(role), p.action)
    with pytest.raises(KeyError, match="not in the authorisation table"):
        permission("nuke")


def test_an_auditor_changes_nothing_and_an_operator_reads_no_data() -> None:
    changing = {"users.manage", "submissions.create", "profiles.draft", "profiles.decide"}
    for action in changing:
        assert Role.AUDITOR not in permission(action).grants
    for action in ("submissions.read", "profiles.read", "analysis.read"):
        assert Role.OPERATOR not in permission(action).grants


def test_scopes_limit_to_the_administration_and_to_the_ports() -> None:
    coordinator = authorize(_principal(Role.COORDINATOR), "submissions.create")
    assert coordinator.scope is Scope.ADMINISTRATION
    coordinator.check_administration("DE")  # an EU member reports on the EU side
    coordinator.check_administration("EU")
    with pytest.raises(Forbidden, match="administration CN"):
        coordinator.check_administration("CN")
    officer = authorize(_principal(Role.PORT_OFFICER, frozenset({"NLRTM"})), "analysis.read")
    assert officer.ports() == {"NLRTM"}
    officer.check_port("NLRTM")
    with pytest.raises(Forbidden, match="port DEHAM"):
        officer.check_port("DEHAM")
    with pytest.raises(Forbidden):
        officer.check_administration("EU")
    analyst = authorize(_principal(Role.ANALYST), "analysis.read")
    assert analyst.ports() is None
    analyst.check_port("CNSHA")
