from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iprisk.codes import (
    HS_CATEGORY_RULES,
    HS_RULES,
    PRODUCT_CATEGORIES,
    categories_for_hs,
    category_for_hs,
    hs_chapter,
    hs_chapters,
    normalise_hs,
)
from iprisk.errors import UnknownCode


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("61091000", "clothing"),  # T-shirts, knitted
        ("620342", "clothing"),
        ("650500", "clothing"),  # caps
        ("640399", "shoes"),
        ("950300", "toys"),
        ("950450", "games"),  # video game consoles
        ("950662", "sporting_articles"),
        ("240220", "tobacco"),  # cigarettes
        ("300490", "medicines"),
        ("330300", "body_care"),  # perfume
        ("340111", "body_care"),  # soap
        ("851713", "mobile_phones"),  # smartphones (HS 2022)
        ("851770", "mobile_phones"),  # phone parts
        ("847130", "electronics"),  # laptops
        ("851830", "electronics"),  # headphones: chapter 85 default
        ("852349", "media"),
        ("420221", "personal_accessories"),  # handbags
        ("910211", "personal_accessories"),  # wrist watches
        ("711719", "personal_accessories"),  # imitation jewellery
        ("900410", "personal_accessories"),  # sunglasses
        ("482110", "labels_packaging"),
        ("580710", "labels_packaging"),
        ("870830", "vehicle_parts"),  # brakes
        ("401110", "vehicle_parts"),  # car tyres
        ("220421", "foodstuffs"),  # wine
        ("020130", "foodstuffs"),
        ("230910", "foodstuffs"),  # dog and cat food
        ("010121", "other"),  # live horses are not food
        ("060310", "other"),  # cut flowers
        ("848180", "other"),  # taps and valves: chapter 84 machinery
        ("732393", "other"),
        ("9999", "other"),
    ],
)
def test_examples(code: str, category: str) -> None:
    assert category_for_hs(code) == category


def test_longest_prefix_wins() -> None:
    assert HS_CATEGORY_RULES["85"] == "electronics"
    assert HS_CATEGORY_RULES["8517"] == "mobile_phones"
    assert HS_CATEGORY_RULES["851762"] == "electronics"
    assert category_for_hs("85") == "electronics"
    assert category_for_hs("8517") == "mobile_phones"
    assert category_for_hs("85171300") == "mobile_phones"
    assert category_for_hs("85176200") == "electronics"
    assert category_for_hs("8510") == "body_care"
    assert category_for_hs("8512") == "vehicle_parts"


def test_separators_and_short_codes() -> None:
    assert normalise_hs("6109.10 00") == "61091000"
    assert category_for_hs("6109.10") == "clothing"
    assert category_for_hs(" 8517-13 ") == "mobile_phones"
    assert category_for_hs("6") == "other"
    assert category_for_hs("") == "other"
    assert category_for_hs("x6109") == "other"


def test_rules_are_valid_and_ordered() -> None:
    assert list(HS_CATEGORY_RULES) == sorted(HS_CATEGORY_RULES)
    assert len(HS_RULES) == len(HS_CATEGORY_RULES)
    for rule in HS_RULES:
        assert rule.category in PRODUCT_CATEGORIES
        assert rule.prefix.isdigit() and len(rule.prefix) in (2, 4, 6)
        assert rule.description
    # every category except the default is reachable
    assert set(HS_CATEGORY_RULES.values()) == set(PRODUCT_CATEGORIES) - {"other"}


def test_vectorised() -> None:
    codes = ["61091000", "8517", "851762", None, "", "6109.10", "9"]
    out = categories_for_hs(codes)
    assert out.type == pa.string()
    assert out.to_pylist() == ["clothing", "mobile_phones", "electronics", None, "other", "clothing", "other"]
    chunked = categories_for_hs(pa.chunked_array([["640399"], ["950300", None]]))
    assert isinstance(chunked, pa.ChunkedArray)
    assert chunked.to_pylist() == ["shoes", "toys", None]
    dictionary = pa.array(["640399", "640399", "300490"]).dictionary_encode()
    assert categories_for_hs(dictionary).to_pylist() == ["shoes", "shoes", "medicines"]
    assert categories_for_hs(pa.array([], pa.large_string())).to_pylist() == []
    large = categories_for_hs(pa.array(["851713", None], pa.large_string()))
    assert large.type == pa.string() and large.to_pylist() == ["mobile_phones", None]
    assert categories_for_hs(pa.array([None, None])).to_pylist() == [None, None]
    with pytest.raises(TypeError, match="leading zeros"):
        categories_for_hs(pa.array([201, 6109]))
    assert hs_chapters(pa.array(["0201", None, "x"], pa.large_string())).to_pylist() == ["02", None, None]


_digits = st.text(alphabet="0123456789", min_size=0, max_size=10)
_near_rules = st.sampled_from(sorted(HS_CATEGORY_RULES)).flatmap(
    lambda p: st.builds(lambda tail: p + tail, st.text(alphabet="0123456789 .-", max_size=6))
)
_any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_codes = st.one_of(_digits, _near_rules, _any_text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), _codes), max_size=30))
def test_vectorised_equals_scalar(codes: list[str | None]) -> None:
    expected = [None if c is None else category_for_hs(c) for c in codes]
    assert categories_for_hs(codes).to_pylist() == expected


def test_hs_chapter() -> None:
    assert hs_chapter("61091000") == "61"
    assert hs_chapter("0201.30") == "02"
    for bad in ("6", "", "ab12", "00", "６１"):
        with pytest.raises(UnknownCode):
            hs_chapter(bad)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), _codes), max_size=30))
def test_vectorised_chapters_equal_scalar(codes: list[str | None]) -> None:
    def scalar(code: str | None) -> str | None:
        try:
            return None if code is None else hs_chapter(code)
        except UnknownCode:
            return None

    assert hs_chapters(codes).to_pylist() == [scalar(c) for c in codes]


def test_docs_list_every_rule() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "codes.md").read_text(encoding="utf-8")
    lines = doc.splitlines()
    missing = [
        r.prefix for r in HS_RULES if f"| `{r.prefix}` | `{r.category}` | {r.description} |" not in lines
    ]
    assert not missing, f"HS rules missing from docs/codes.md: {missing}"
