from __future__ import annotations

from datetime import date

import pytest

from iprisk.errors import InvalidValue
from iprisk.i18n import (
    Text,
    check_locale,
    format_amount,
    format_compact,
    format_date,
    format_number,
    format_quarter,
    format_year,
    round_significant,
)


def test_numbers_per_locale() -> None:
    assert format_number(1234567.891, "en", decimals=1) == "1,234,567.9"
    assert format_number(1234567.891, "zh", decimals=1) == "1,234,567.9"
    assert format_number(1234.5, "en", decimals=1, grouping=False) == "1234.5"
    assert format_number(28.4, "en", sign=True) == "+28"
    assert format_number(-0.4, "en", sign=True) == "-0"  # as Python's f"{-0.4:+.0f}"
    assert format_number(0.000425533, "en", significant=2) == "0.00043"
    assert format_number(0.01, "en", significant=2) == "0.01"  # trailing zeros dropped, as "%.2g"
    # rounded from the float's exact value, as Python formats it (0.075 is stored just below 0.075)
    assert format_number(3 / 40, "en", decimals=2) == f"{3 / 40:.2f}" == "0.07"
    assert format_number(2.675, "zh", decimals=2) == f"{2.675:.2f}"


def test_compact_amounts() -> None:
    assert format_compact(9_256_086, "en") == "9.3 M"
    assert format_compact(9_256_086, "zh") == "925.6万"
    assert format_compact(133_849_006, "zh") == "1.3亿"
    assert format_compact(9_919, "en") == format_compact(9_919, "zh") == "9,919"


def test_quarters_and_dates() -> None:
    assert format_quarter("2016Q3", "en") == "2016Q3"
    assert format_quarter("2016q4", "zh") == "2016年第四季度"
    assert format_date(date(2016, 7, 1), "en") == "Jul 1, 2016"
    assert format_date(date(2016, 7, 1), "zh") == "2016年7月1日"


def test_locales_and_labels() -> None:
    from iprisk.codes.lists import PRODUCT_CATEGORIES

    assert check_locale("zh_Hans_CN") == check_locale("ZH-cn") == "zh"
    with pytest.raises(InvalidValue, match="unsupported language 'fr'"):
        check_locale("fr")
    assert Text("zh").label(PRODUCT_CATEGORIES, "toys") == PRODUCT_CATEGORIES["toys"].zh
    assert Text("zh").label(PRODUCT_CATEGORIES, "spaceships") == "spaceships"
    assert Text("en").country("CN") == "CN" and Text("zh").country("CN") == "中国"


def test_amounts_are_rounded_alike_in_both_languages() -> None:
    assert round_significant(9_256_086, 3) == 9_260_000 and round_significant(0.0, 3) == 0.0
    cases = [
        (9_256_086, "9.26 million", "926万"),
        (123_456, "123,000", "12.3万"),
        (1_234_567_890, "1.23 billion", "12.3亿"),
        (120_000_000, "120 million", "1.2亿"),
        (999_999, "1 million", "100万"),
        (9_919, "9,919", "9,919"),
        (-45_678, "-45,700", "-4.57万"),
    ]
    for value, en, zh in cases:
        assert (format_amount(value, "en"), format_amount(value, "zh")) == (en, zh), value
    assert format_year(2017, "en") == "2017" and format_year("2017", "zh") == "2017年"
    assert format_quarter("2016Q3", "zh", short=True) == "2016年3季度"
    assert format_quarter("2016Q3", "en", short=True) == "2016Q3"
