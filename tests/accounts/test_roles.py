from __future__ import annotations

import pytest

from iprisk.accounts import Role, check_administration, check_ports, check_role, check_user_name
from iprisk.errors import InvalidValue


def test_names_roles_and_administrations_are_checked() -> None:
    assert check_user_name("li.wei-2") == "li.wei-2"
    for bad in ("", "Alice", "a b", "-x", "x" * 65, "ümit"):
        with pytest.raises(InvalidValue, match="user name"):
            check_user_name(bad)
    assert check_role("port_officer") is Role.PORT_OFFICER
    with pytest.raises(InvalidValue, match="one of operator"):
        check_role("admin")
    with pytest.raises(InvalidValue, match="EU, CN"):
        check_administration("DE")


def test_a_port_officer_is_bound_to_ports_of_its_administration() -> None:
    assert check_ports(Role.PORT_OFFICER, "EU", ["nlrtm", " DEHAM", "NLRTM"]) == ("NLRTM", "DEHAM")
    assert check_ports(Role.PORT_OFFICER, "CN", ["CNSHA"]) == ("CNSHA",)
    with pytest.raises(InvalidValue, match="at least one port"):
        check_ports(Role.PORT_OFFICER, "EU", [])
    with pytest.raises(InvalidValue, match="not a port of the EU"):
        check_ports(Role.PORT_OFFICER, "EU", ["CNSHA"])
    with pytest.raises(InvalidValue, match="not a UN/LOCODE"):
        check_ports(Role.PORT_OFFICER, "EU", ["ROTTERDAM"])
    with pytest.raises(InvalidValue, match="only a port officer"):
        check_ports(Role.ANALYST, "EU", ["NLRTM"])
