from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iprisk.codes import (
    COUNTRY_CODES,
    EU_MEMBERSHIP,
    countries,
    country_name,
    eu_members,
    is_country,
    is_country_array,
    is_eu_member,
)
from iprisk.errors import UnknownCode

EU27 = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
}  # fmt: skip


def test_country_codes_are_iso_alpha2_plus_kosovo() -> None:
    assert len(COUNTRY_CODES) == 250  # 249 ISO 3166-1 entries + XK
    assert {"CN", "DE", "HK", "MO", "TW", "GB", "XK"} <= COUNTRY_CODES
    assert all(len(c) == 2 and c.isascii() and c.isupper() for c in COUNTRY_CODES)
    assert "EU" not in COUNTRY_CODES and "UK" not in COUNTRY_CODES


@pytest.mark.parametrize("value", ["CN", "XK", "DE"])
def test_is_country_accepts(value: str) -> None:
    assert is_country(value)


@pytest.mark.parametrize("value", ["cn", " CN", "CHN", "EU", "", None, 12, "ZZ"])
def test_is_country_rejects(value: object) -> None:
    assert not is_country(value)


@pytest.mark.parametrize(
    ("code", "en", "zh"),
    [
        ("CN", "China", "中国"),
        ("DE", "Germany", "德国"),
        ("FR", "France", "法国"),
        ("NL", "Netherlands", "荷兰"),
        ("XK", "Kosovo", "科索沃"),
    ],
)
def test_country_names(code: str, en: str, zh: str) -> None:
    assert country_name(code) == en
    assert country_name(code, "en") == en
    assert country_name(code, lang="zh") == zh


def test_every_country_has_both_names_and_most_are_translated() -> None:
    untranslated = 0
    for code in COUNTRY_CODES:
        en, zh = country_name(code, "en"), country_name(code, "zh")
        assert en and zh
        untranslated += en == zh
    # the zh_CN catalogue is bundled with pycountry (offline); it must actually be used
    assert untranslated < 10


def test_country_name_errors() -> None:
    with pytest.raises(UnknownCode) as info:
        country_name("ZZ")
    assert info.value.code == "ZZ" and info.value.code_list == "country"
    with pytest.raises(KeyError):  # UnknownCode is also a KeyError
        country_name("cn")
    with pytest.raises(ValueError, match="language"):
        country_name("CN", "fr")


def test_eu_before_and_after_brexit() -> None:
    before = eu_members(date(2019, 12, 31))
    assert len(before) == 28 and "GB" in before
    assert eu_members(date(2020, 1, 31)) == before  # GB member until 31 January 2020 inclusive
    after = eu_members(date(2020, 2, 1))
    assert len(after) == 27 and after == EU27
    assert eu_members(date(2026, 1, 1)) == EU27


def test_croatia_joins_on_2013_07_01() -> None:
    assert not is_eu_member("HR", date(2013, 6, 30))
    assert is_eu_member("HR", date(2013, 7, 1))
    assert len(eu_members(date(2013, 6, 30))) == 27
    assert len(eu_members(date(2013, 7, 1))) == 28


@pytest.mark.parametrize(
    ("day", "size"),
    [
        (date(1957, 12, 31), 0),
        (date(1958, 1, 1), 6),
        (date(1973, 1, 1), 9),
        (date(1981, 1, 1), 10),
        (date(1986, 1, 1), 12),
        (date(1995, 1, 1), 15),
        (date(2004, 4, 30), 15),
        (date(2004, 5, 1), 25),
        (date(2007, 1, 1), 27),
    ],
)
def test_enlargements(day: date, size: int) -> None:
    assert len(eu_members(day)) == size


def test_eu_membership_accepts_datetimes_and_returns_frozensets() -> None:
    members = eu_members(datetime(2020, 1, 31, 23, 59))
    assert isinstance(members, frozenset) and "GB" in members
    assert not is_eu_member("CN", date(2020, 1, 1))
    assert set(EU_MEMBERSHIP) <= COUNTRY_CODES
    with pytest.raises(TypeError):
        eu_members("2020-01-01")  # type: ignore[arg-type]


def test_chinese_names_fall_back_to_english_without_the_catalogue(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(countries.pycountry, "LOCALES_DIR", str(tmp_path))  # an empty locales folder
    en, zh = countries._load_names()
    assert zh["DE"] == en["DE"] == "Germany"
    assert zh["XK"] == "科索沃"  # our own addition keeps its name


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.sampled_from(sorted(COUNTRY_CODES)), st.text(max_size=3)),
        max_size=30,
    )
)
def test_vectorised_country_check_equals_scalar(codes: list[str | None]) -> None:
    expected = [None if c is None else is_country(c) for c in codes]
    assert is_country_array(codes).to_pylist() == expected
    assert is_country_array(pa.chunked_array([pa.array(codes, pa.string())])).to_pylist() == expected
