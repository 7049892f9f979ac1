from __future__ import annotations

import pytest

from iprisk.referrals.errors import NotPermitted
from iprisk.referrals.permissions import Officer, kpi_sides, may_see
from tests.referrals.conftest import CN_OFFICER, EU_ANALYST, EU_COORDINATOR, EU_OFFICER, EU_OTHER_PORT


def test_who_sees_a_referral() -> None:
    assert may_see(EU_OFFICER, "CNSHA", "NLRTM") and may_see(CN_OFFICER, "CNSHA", "NLRTM")
    assert not may_see(EU_OTHER_PORT, "CNSHA", "NLRTM")  # another port's officer
    assert may_see(EU_ANALYST, "CNSHA", "NLRTM")  # every referral of the side
    assert not may_see(Officer("op", "operator", "EU"), "CNSHA", "NLRTM")


def test_who_sees_the_kpis() -> None:
    assert kpi_sides(EU_COORDINATOR) is None  # both sides
    assert kpi_sides(EU_ANALYST) == {"EU"}
    with pytest.raises(NotPermitted, match="role port_officer cannot"):
        kpi_sides(EU_OFFICER)


def test_a_refusal_is_forbidden_in_the_error_map() -> None:
    from iprisk.errors import Forbidden, http_status

    with pytest.raises(NotPermitted) as info:
        kpi_sides(EU_OFFICER)
    assert isinstance(info.value, Forbidden) and http_status(info.value) == 403


def test_the_nodes_principal_is_an_actor() -> None:
    from iprisk.accounts import Principal, Role

    officer = Principal("jan.devries", Role.PORT_OFFICER, "EU", frozenset({"NLRTM"}))
    assert may_see(officer, "CNSHA", "NLRTM") and not may_see(officer, "CNSHA", "DEHAM")
