"""From targeting to referrals: export lines found infringing, or scoring high, propose warnings.

A proposal is a warning's JSON (the format :func:`iprisk.formats.referrals.read_warning` reads) for the
officer to edit and draft: sending port the export office, receiving port the arrival port on the line's lane
(the line's own ``arrival_port``, else the likeliest arrival port of its departure port from the analysis'
lanes), the expected arrival from a typical transit time per mode, the HS code, the matched profiles and the
score. What the line does not say (the transport document when the declarations have no
``transport_document`` or ``container`` column, the right, the reasons) is left for the officer: the warning
does not validate until it is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pyarrow as pa

from iprisk.referrals.network import PortNetwork

#: Typical transit time from the export port to the arrival port, days, per transport mode.
TRANSIT_DAYS: Mapping[str, int] = {"sea": 30, "rail": 18, "road": 10, "air": 2, "post": 7, "express": 3}
#: Days a warning stays valid after the expected arrival.
VALID_DAYS_AFTER_ARRIVAL = 21


def _document(line: Mapping[str, Any]) -> list[dict[str, str]]:
    documents = []
    if line.get("transport_document"):
        kind = "air_waybill" if line.get("transport_mode") == "air" else "bill_of_lading"
        documents.append({"type": kind, "number": str(line["transport_document"])})
    for number in str(line.get("container") or "").split(";"):
        if number.strip():
            documents.append({"type": "container", "number": number.strip()})
    return documents


def propose_warnings(
    declarations: pa.Table,
    scores: pa.Table,
    network: PortNetwork,
    *,
    threshold: float,
    likely_arrival: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Warnings proposed for the export lines found infringing or scoring ``threshold`` or more, whose export
    office and arrival port are network ports of opposite sides (in input order)."""
    proposals = []
    for line, score in zip(declarations.to_pylist(), scores.to_pylist(), strict=True):
        detected = bool(line.get("infringement"))
        if line.get("flow") != "export" or not (detected or score["score"] >= threshold):
            continue
        sending = str(line.get("office"))
        arrival = str(line.get("arrival_port") or (likely_arrival or {}).get(str(line.get("departure_port"))))
        if sending not in network or arrival not in network or network[sending].side == network[arrival].side:
            continue
        expected = line["date"] + timedelta(days=TRANSIT_DAYS.get(line["transport_mode"], 30))
        profiles = [p for p in (score.get("matched_profiles") or "").split(";") if p]
        indicators = ["export_detection"] if detected else []
        indicators += ["high_score"] if score["score"] >= threshold else []
        indicators += ["profile_match"] if profiles else []
        proposals.append(
            {
                "sending_port": sending, "receiving_port": arrival, "transport_mode": line["transport_mode"],
                "transport_documents": _document(line),
                "departure_port": line.get("departure_port") or sending,
                "arrival_port": arrival, "expected_arrival": expected.isoformat(),
                "origin_country": line.get("origin_country"), "hs_code": line["hs_code"],
                "value_eur": line.get("value"), "indicators": indicators, "profile_ids": profiles,
                "score": round(float(score["score"]), 4), "requested_action": "physical_control",
                "expiry": (expected + timedelta(days=VALID_DAYS_AFTER_ARRIVAL)).isoformat(),
                "reference": f"{line['declaration_id']}/{line.get('item_no', 1)}",
            }
        )  # fmt: skip
    return proposals
