from __future__ import annotations

from pathlib import Path

import pytest

import iprisk.codes as codes
from iprisk.codes import ALL_LISTS, PORT_KINDS, PRODUCT_CATEGORIES, TRANSPORT_MODES, CodeList
from iprisk.errors import UnknownCode


@pytest.mark.parametrize("name", sorted(ALL_LISTS))
def test_every_code_has_english_and_chinese_labels(name: str) -> None:
    code_list = ALL_LISTS[name]
    assert isinstance(code_list, CodeList) and len(code_list) > 0
    for code, entry in code_list.items():
        assert entry.code == code
        assert code == code.strip() and code.islower() and " " not in code
        assert entry.en.strip() and entry.zh.strip()
        # Chinese labels contain Chinese characters, not a copy of the English one
        assert any("\u4e00" <= ch <= "\u9fff" for ch in entry.zh), (name, code, entry.zh)
        assert code_list.label(code, "zh") == entry.zh and code_list.label(code) == entry.en


def test_unknown_code_raises_unknown_code() -> None:
    with pytest.raises(UnknownCode) as info:
        PRODUCT_CATEGORIES["handbags"]
    assert info.value.code_list == "product_category"


def test_port_kinds_are_transport_modes() -> None:
    assert set(TRANSPORT_MODES) >= PORT_KINDS


def test_public_api_is_exported() -> None:
    contract = {
        "COUNTRY_CODES", "is_country", "country_name", "eu_members", "is_eu_member",
        "is_well_formed_locode", "PORTS", "Port", "port", "is_known_port",
        "category_for_hs", "categories_for_hs", "HS_CATEGORY_RULES",
        "PRODUCT_CATEGORIES", "IPR_TYPES", "TRANSPORT_MODES", "FLOWS", "PROCEDURES", "OUTCOMES", "ALL_LISTS",
    }  # fmt: skip
    assert contract <= set(codes.__all__)
    assert all(hasattr(codes, name) for name in codes.__all__)


def test_docs_list_every_code() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "codes.md").read_text(encoding="utf-8")
    missing = [
        f"{name}:{c.code}"
        for name, code_list in ALL_LISTS.items()
        for c in code_list.values()
        if f"| `{c.code}` | {c.en} | {c.zh} |" not in doc
    ]
    assert not missing, f"codes missing from docs/codes.md: {missing}"
