from __future__ import annotations

from collections import Counter

import pytest

from iprisk.codes import PORTS
from iprisk.errors import InvalidValue, UnknownCode
from iprisk.referrals.network import DEFAULT_SIZES, PortNetwork, default_network, key_port, network_ports


def test_the_default_network_has_the_plans_size_from_the_curated_list(network: PortNetwork) -> None:
    counts = Counter((p.side, p.kind) for p in network.values())
    assert counts == Counter(DEFAULT_SIZES)  # 9 sea + 6 air in China, 16 sea + 13 air in the EU
    assert all(p.locode in PORTS and PORTS[p.locode].kind == p.kind for p in network.values())
    assert {"CNSHA", "NLRTM", "DEHAM", "CNPVG", "NLAMS"} <= set(network)
    assert network["CNSHA"].pilot and not network[network_ports(network, "EU")[-1]].pilot
    assert network["NLRTM"].label("zh") == "鹿特丹"


def test_the_coordinator_edits_a_copy() -> None:
    network = default_network()
    edited = network.with_port(key_port("itvce", "sea", "Venezia customs IPR unit", pilot=True))
    assert "ITVCE" in edited and "ITVCE" not in network
    assert edited["ITVCE"].side == "EU"
    assert not edited.with_pilot("ITVCE", False)["ITVCE"].pilot
    assert "NLRTM" not in edited.without("NLRTM")
    with pytest.raises(UnknownCode):
        edited.without("USNYC")


@pytest.mark.parametrize(
    ("locode", "kind", "contact", "says"),
    [
        ("NL-RTM", "sea", "x", "not a UN/LOCODE"),
        ("USNYC", "sea", "x", "neither side"),
        ("NLRTM", "ship", "x", "kind"),
        ("NLRTM", "sea", " ", "contact unit"),
    ],
)
def test_a_bad_port_is_refused_with_a_reason(locode: str, kind: str, contact: str, says: str) -> None:
    with pytest.raises(InvalidValue, match=says):
        key_port(locode, kind, contact)


def test_network_ports_per_side_for_port_selection(network: PortNetwork) -> None:
    cn = network_ports(network, "CN")
    assert len(cn) == 15 and all(p.startswith("CN") for p in cn)
    assert len(network_ports(network)) == 44
