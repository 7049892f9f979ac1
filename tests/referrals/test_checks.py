from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from iprisk.errors import InvalidInput
from iprisk.formats.referrals import read_warning
from iprisk.referrals.checks import check_warning, warning_problems
from iprisk.referrals.network import PortNetwork
from tests.referrals.conftest import warning_data

TODAY = date(2026, 3, 2)


def test_a_good_warning_passes(network: PortNetwork) -> None:
    check_warning(read_warning(warning_data()), network, sender_side="CN", today=TODAY)


@pytest.mark.parametrize(
    ("changes", "side", "found"),
    [
        ({"receiving_port": "ITVCE", "arrival_port": "ITVCE"}, "CN", [("network_port", "receiving_port")]),
        ({"sending_port": "DEHAM"}, "CN", [("port_side", "sending_port")]),
        ({}, "EU", [("port_side", "sending_port"), ("port_side", "receiving_port")]),
        ({"receiving_port": "DEHAM"}, "CN", [("port_route", "receiving_port")]),
        ({"expiry": "2026-03-01", "expected_arrival": "2026-03-01"}, "CN", [("expired", "expiry")]),
        ({"parties": [{"role": "consignor", "name": "ACME"}]}, "CN", [("party_data", "parties[0]")]),
    ],
)
def test_bad_referrals_get_clear_errors(
    network: PortNetwork, changes: dict[str, Any], side: str, found: list[tuple[str, str]]
) -> None:
    data = warning_data(**changes)
    problems = warning_problems(read_warning(data), network, sender_side=side, today=TODAY)
    assert [(p.rule, p.column) for p in problems] == found
    with pytest.raises(InvalidInput):
        check_warning(read_warning(data), network, sender_side=side, today=TODAY)


def test_names_may_travel_under_mutual_assistance(network: PortNetwork) -> None:
    data = warning_data(legal_basis="cmaa_spontaneous", parties=[{"role": "consignor", "name": "ACME"}])
    assert warning_problems(read_warning(data), network, sender_side="CN", today=TODAY) == []
