"""The referral documents: a valid warning reads; every broken document rule is reported where it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from iprisk.errors import InvalidInput
from iprisk.formats.referral_fields import REFERRAL_RULES, container_check_digit, is_container_number
from iprisk.formats.referrals import (
    read_acknowledgement,
    read_feedback,
    read_seizure_report,
    read_warning,
    to_json,
)
from tests.referrals.conftest import warning_data

RID = "0b6f6a52-8d0c-4d7a-9a56-1b2f0e3c4d5e"


def _problems(reader: Any, data: Any) -> list[tuple[str, str | None, str | None]]:
    with pytest.raises(InvalidInput) as info:
        reader(data, source="w.json")
    assert all(p.file == "w.json" for p in info.value.problems)
    return [(p.rule, p.column, p.value) for p in info.value.problems]


def test_a_valid_warning_reads_and_round_trips() -> None:
    warning = read_warning(warning_data())
    assert warning.transport_documents[0].number == "MAEU123456789"  # spaces removed, upper case
    assert warning.container_numbers() == {"CSQU3054383"}
    assert warning.document_numbers() == {"MAEU123456789"}
    assert read_warning(to_json(warning)) == warning


def test_container_check_digit_follows_iso_6346() -> None:
    assert container_check_digit("CSQU305438") == 3
    assert is_container_number("CSQU3054383") and not is_container_number("CSQU3054384")


@pytest.mark.parametrize(
    ("changes", "rule", "column"),
    [
        ({"transport_documents": []}, "transport_document", "transport_documents"),
        ({"reasons": None}, "required", "reasons"),
        ({"indicators": "high_score"}, "type", "indicators"),
        ({"colour": "red"}, "unknown_field", "colour"),
        ({"ipr_type": "brand"}, "code", "ipr_type"),
        ({"expected_arrival": "01/04/2026"}, "date", "expected_arrival"),
        ({"quantity": "many"}, "integer", "quantity"),
        ({"value_eur": "a lot"}, "decimal", "value_eur"),
        ({"score": 1.5}, "range", "score"),
        ({"description": "x" * 501}, "length", "description"),
        ({"receiving_port": "NL-RTM"}, "locode", "receiving_port"),
        ({"origin_country": "XX"}, "country", "origin_country"),
        ({"hs_code": "6403"}, "hs_code", "hs_code"),
        ({"id": "42"}, "id", "id"),
        ({"transport_documents": [{"type": "air_waybill", "number": "176 1234#"}]}, "document_number",
         "transport_documents[0].number"),
        ({"transport_documents": [{"type": "container", "number": "CSQU3054384"}]}, "container",
         "transport_documents[0]"),
        ({"parties": [{"role": "consignee"}]}, "party", "parties[0]"),
        ({"parties": [{"role": "consignee", "name_key": "ABC"}]}, "party_key", "parties[0].name_key"),
        ({"expected_arrival": "2026-05-02"}, "dates", ""),
    ],
)  # fmt: skip
def test_each_broken_rule_is_reported_with_its_field(changes: dict[str, Any], rule: str, column: str) -> None:
    found = _problems(read_warning, warning_data(**changes))
    assert (rule, column) in [(r, c) for r, c, _ in found], found
    assert rule in REFERRAL_RULES


def test_every_problem_is_reported_not_only_the_first() -> None:
    found = _problems(read_warning, warning_data(ipr_type="brand", hs_code="64", sending_port="X"))
    assert {r for r, _, _ in found} == {"code", "hs_code", "locode"}
    assert ("code", "ipr_type", "brand") in found


def test_a_warning_is_an_object() -> None:
    assert _problems(read_warning, [1, 2]) == [("type", None, None)]


def _feedback(**changes: Any) -> dict[str, Any]:
    data = {
        "referral_id": RID, "result": "seized", "control_type": "physical", "control_date": "2026-04-02",
        "articles_detained": 2400, "ipr_type_confirmed": "trademark", "at": "2026-04-02T10:00:00+02:00",
    }  # fmt: skip
    data.update(changes)
    return data


def test_feedback_reads_and_its_time_is_utc() -> None:
    feedback = read_feedback(_feedback())
    assert feedback.controlled and feedback.at.utcoffset() is not None and feedback.at.hour == 8


@pytest.mark.parametrize(
    "changes",
    [
        {"articles_detained": 0},  # a seizure detains something
        {"ipr_type_confirmed": None},
        {"result": "not_arrived"},  # not controlled, yet a control type and articles
        {"result": "released"},  # released goods: no articles detained
        {"control_type": None},
    ],
)
def test_feedback_must_add_up(changes: dict[str, Any]) -> None:
    data = {k: v for k, v in _feedback(**changes).items() if v is not None}
    assert [r for r, _, _ in _problems(read_feedback, data)] == ["result"]


def test_feedback_time_needs_its_zone() -> None:
    assert _problems(read_feedback, _feedback(at="2026-04-02T10:00:00"))[0][:2] == ("datetime", "at")


def test_acknowledgement_and_seizure_report() -> None:
    ack = read_acknowledgement({"referral_id": RID, "port": "NLRTM", "at": "2026-03-02T14:00:00Z"})
    assert ack.port == "NLRTM"
    report = {
        "referral_id": RID, "case_id": "NL-2026-1", "detention_date": "2026-04-02",
        "product_category": "shoes", "ipr_type": "trademark", "procedure": "ex_officio", "articles": 2400,
    }  # fmt: skip
    assert read_seizure_report(report).articles == 2400
    assert _problems(read_seizure_report, {**report, "articles": 0})[0][:2] == ("range", "articles")


def test_every_referral_rule_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "formats.md").read_text(encoding="utf-8")
    missing = [name for name in REFERRAL_RULES if f"| `{name}` |" not in doc]
    assert not missing, f"referral rules missing from docs/formats.md: {missing}"
