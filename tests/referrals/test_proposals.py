"""Export detections and high scores propose warnings to the arrival port on the lane."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from iprisk.errors import InvalidInput
from iprisk.formats.referrals import read_warning
from iprisk.referrals.network import PortNetwork
from iprisk.referrals.proposals import propose_warnings


def _line(i: int, **changes: object) -> dict[str, object]:
    line = {"declaration_id": f"E{i}", "item_no": 1, "date": date(2026, 3, 2), "flow": "export",
            "office": "CNSHA", "transport_mode": "sea", "hs_code": "640399", "origin_country": "CN",
            "departure_port": "CNSHA", "arrival_port": "NLRTM", "value": 1000.0, "infringement": None,
            "transport_document": "MAEU123456789", "container": "CSQU3054383"}  # fmt: skip
    line.update(changes)
    return line


def test_detections_and_high_scores_propose_warnings(network: PortNetwork) -> None:
    lines = [
        _line(0, infringement=True),  # found at export
        _line(1),  # high score, profile matched
        _line(2),  # low score
        _line(3, flow="import"),  # not leaving
        _line(4, arrival_port=None, departure_port="CNSHA", transport_mode="air"),  # arrival from the lanes
        _line(5, arrival_port="USNYC"),  # not a network port
    ]
    scores = [0.2, 0.9, 0.1, 0.95, 0.97, 0.99]
    profiles = [None, "CN-SHOES-07", None, None, None, None]
    proposals = propose_warnings(
        pa.Table.from_pylist(lines),
        pa.Table.from_pylist(
            [{"score": s, "matched_profiles": p} for s, p in zip(scores, profiles, strict=True)]
        ),
        network,
        threshold=0.8,
        likely_arrival={"CNSHA": "DEHAM"},
    )
    assert [p["reference"] for p in proposals] == ["E0/1", "E1/1", "E4/1"]
    assert proposals[0]["indicators"] == ["export_detection"]
    assert proposals[1]["indicators"] == ["high_score", "profile_match"] and proposals[1]["profile_ids"] == [
        "CN-SHOES-07"
    ]
    assert proposals[2]["receiving_port"] == "DEHAM" and proposals[2]["expected_arrival"] == "2026-03-04"
    assert proposals[0]["expected_arrival"] == "2026-04-01" and proposals[0]["expiry"] == "2026-04-22"
    # the officer completes what the line cannot say, then it reads as a warning
    edited = {**proposals[0], "description": "Sports shoes", "quantity": 2400, "ipr_type": "trademark",
              "right": "ACME", "reasons": "Fakes found at export", "legal_basis": "action_plan",
              "handling_code": "customs_only"}  # fmt: skip
    warning = read_warning(edited)
    assert warning.container_numbers() == {"CSQU3054383"} and warning.receiving_port == "NLRTM"
    try:
        read_warning(proposals[0])
    except InvalidInput as exc:
        assert {p.column for p in exc.problems} >= {"description", "right", "reasons", "legal_basis"}
    else:
        raise AssertionError("an unedited proposal must not validate")
