from __future__ import annotations

import pytest
from pydantic import ValidationError

from iprisk.profiles import Criteria, Profile, Range, admin_side
from tests.profiles.samples import profile


def test_a_valid_profile_normalises_its_codes() -> None:
    p = profile(criteria={"hs_prefixes": ["6404.11", "61"], "origin_countries": ["kh", "CN", "CN"]})
    assert p.criteria.hs_prefixes == ["61", "640411"]
    assert p.criteria.origin_countries == ["CN", "KH"]
    assert p.status == "draft" and p.version == 1


@pytest.mark.parametrize(
    ("criteria", "field", "text"),
    [
        ({"transport_modes": ["teleport"]}, "transport_modes", "unknown transport mode"),
        ({"hs_prefixes": ["64A4"]}, "hs_prefixes", "malformed HS prefix"),
        ({"hs_prefixes": ["6"]}, "hs_prefixes", "malformed HS prefix"),
        ({"origin_countries": ["XX"]}, "origin_countries", "unknown country"),
        ({"arrival_ports": ["NLRT"]}, "arrival_ports", "UN/LOCODE"),
        ({"product_categories": ["spaceships"]}, "product_categories", "product category"),
        ({"value": {"min": 10, "max": 5}}, "value", "greater than max"),
        ({"value_per_kg": {}}, "value_per_kg", "needs min, max or both"),
        ({"colour": ["red"]}, "colour", "Extra inputs"),
    ],
)
def test_invalid_criteria_name_the_field(criteria: dict, field: str, text: str) -> None:
    with pytest.raises(ValidationError) as info:
        profile(criteria=criteria)
    errors = info.value.errors()
    assert any(field in map(str, e["loc"]) for e in errors), errors
    assert text in str(info.value)


def test_profile_level_rules() -> None:
    with pytest.raises(ValidationError, match="at least one criterion"):
        profile(criteria={})
    with pytest.raises(ValidationError, match="before valid_from"):
        profile(valid_from="2021-05-01", valid_to="2021-04-30")
    with pytest.raises(ValidationError, match="unknown administration"):
        profile(owner="Atlantis")
    with pytest.raises(ValidationError, match="risk_level"):
        profile(risk_level=6)
    with pytest.raises(ValidationError, match="control"):
        profile(control="sniff")


def test_range_is_closed_and_ignores_missing() -> None:
    r = Range(min=1, max=2)
    assert r.contains(1) and r.contains(2) and not r.contains(2.01)
    assert not r.contains(None) and not r.contains(float("nan"))
    assert Range(max=5).contains(0)


def test_admin_side() -> None:
    assert admin_side("de") == "EU" and admin_side("EU") == "EU" and admin_side("CN") == "CN"


def test_content_excludes_lifecycle_fields() -> None:
    a = profile()
    b = a.model_copy(update={"version": 3, "status": "active"})
    assert a.same_content(b)
    assert not a.same_content(profile(risk_level=2))
    assert Criteria(trader_ids=[" T1 "]).trader_ids == ["T1"]
    assert isinstance(a, Profile)
