from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from iprisk.formats.referrals import ReferralWarning, read_warning
from iprisk.referrals.network import PortNetwork, default_network
from iprisk.referrals.permissions import Officer

#: A Monday morning in 2026Q1, sending time of the referrals in the tests.
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def warning_data(**changes: Any) -> dict[str, Any]:
    """A valid warning from Shanghai (CN sea export port) to Rotterdam, as JSON; ``changes`` edit it."""
    data: dict[str, Any] = {
        "reference": "CNSHA-2026-0042",
        "sending_port": "CNSHA",
        "receiving_port": "NLRTM",
        "transport_mode": "sea",
        "transport_documents": [
            {"type": "bill_of_lading", "number": "MAEU 123456789"},
            {"type": "container", "number": "CSQU3054383"},
        ],
        "conveyance": "MAERSK EINDHOVEN 012W",
        "departure_port": "CNSHA",
        "arrival_port": "NLRTM",
        "expected_arrival": "2026-04-01",
        "origin_country": "CN",
        "hs_code": "640399",
        "description": "Sports shoes, leather uppers",
        "quantity": 2400,
        "value_eur": 36000.0,
        "ipr_type": "trademark",
        "right": "ACME Sports",
        "indicators": ["export_detection", "undervaluation"],
        "reasons": "Same shipper's previous consignment held 1,200 pairs of fake ACME shoes at export.",
        "profile_ids": ["CN-SHOES-07"],
        "score": 0.91,
        "requested_action": "physical_control",
        "legal_basis": "action_plan",
        "handling_code": "customs_only",
        "expiry": "2026-04-30",
        "parties": [{"role": "consignor", "country": "CN", "name_key": "a" * 64}],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}  # None: the field left out


@pytest.fixture
def warning() -> ReferralWarning:
    return read_warning(warning_data())


@pytest.fixture
def network() -> PortNetwork:
    return default_network()


CN_OFFICER = Officer("li.wei", "port_officer", "CN", frozenset({"CNSHA"}))
EU_OFFICER = Officer("jan.devries", "port_officer", "EU", frozenset({"NLRTM"}))
EU_OTHER_PORT = Officer("hans.meier", "port_officer", "EU", frozenset({"DEHAM"}))
EU_COORDINATOR = Officer("eu.coord", "coordinator", "EU")
CN_COORDINATOR = Officer("cn.coord", "coordinator", "CN")
EU_ANALYST = Officer("eu.analyst", "analyst", "EU")
