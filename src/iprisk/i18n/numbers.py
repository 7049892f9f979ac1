"""Numbers, quarters and dates written for a language, from Babel's CLDR data.

Formats are CLDR patterns (``#,##0.0``: grouped, one decimal). A float is rounded from its exact binary
value, half-even, as Python's own formatting does (``f"{0.075:.2f}"`` is ``0.07``: the float is just below).
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Literal

from babel.dates import format_date as _babel_date
from babel.dates import format_skeleton
from babel.numbers import format_compact_decimal, format_decimal

from iprisk.i18n.locales import babel_locale, check_locale
from iprisk.periods import Quarter


def format_number(
    value: float,
    locale: str = "en",
    *,
    decimals: int = 0,
    significant: int | None = None,
    grouping: bool = True,
    sign: bool = False,
) -> str:
    """``value`` with ``decimals`` decimals (or ``significant`` digits, trailing zeros dropped), grouped by
    thousands unless ``grouping`` is False, with a ``+`` for positive values when ``sign``.

    >>> format_number(1234.56, "en", decimals=1)
    '1,234.6'
    >>> format_number(0.0004255, "zh", significant=2)
    '0.00043'
    """
    if significant is not None:
        pattern = "@" + "#" * (significant - 1)
    else:
        pattern = ("#,##0" if grouping else "0") + ("." + "0" * decimals if decimals else "")
    if sign:
        pattern = f"+{pattern};-{pattern}"
    exact = Decimal(value) if isinstance(value, float) and math.isfinite(value) else value
    return format_decimal(exact, format=pattern, locale=babel_locale(locale))


def format_compact(value: float, locale: str = "en") -> str:
    """A large amount for a sentence: millions abbreviated (``9.3 M``; in Chinese ``925.6万``, ``1.3亿``),
    smaller amounts grouped without decimals."""
    if math.isfinite(value) and abs(value) >= 1e6:
        if check_locale(locale) == "en":  # the English reports have always written "9.3 M"
            return format_number(value / 1e6, locale, decimals=1) + " M"
        return format_compact_decimal(
            value, format_type="short", fraction_digits=1, locale=babel_locale(locale)
        )
    return format_number(value, locale)


def round_significant(value: float, significant: int) -> float:
    """``value`` rounded to ``significant`` digits, half-even from its exact value (``9_256_086`` ->
    ``9_260_000`` for 3 digits); zero and non-finite values unchanged."""
    if value == 0 or not math.isfinite(value):
        return value
    exact = Decimal(value)
    digits = exact.adjusted() + 1  # digits before the decimal point (negative below 0.1)
    return float(round(exact, significant - digits))


def format_amount(value: float, locale: str = "en", *, significant: int = 3) -> str:
    """A large amount (articles, euros) for a report: from 10,000 on, rounded to ``significant`` digits and
    written the language's way, the same rounded value in every language: ``9.26 million`` and ``926万``,
    ``123,000`` and ``12.3万``, ``1.23 billion`` and ``12.3亿``. Below 10,000 the integer, grouped.

    >>> format_amount(9_256_086, "en"), format_amount(9_256_086, "zh")
    ('9.26 million', '926万')
    >>> format_amount(123_456, "en"), format_amount(123_456, "zh")
    ('123,000', '12.3万')
    """
    if not math.isfinite(value) or abs(value) < 10_000:
        return format_number(value, locale)
    rounded = Decimal(round_significant(value, significant)).quantize(Decimal(1))
    lang = check_locale(locale)
    if lang == "en" and abs(rounded) < 1_000_000:
        return format_number(float(rounded), locale)
    style: Literal["short", "long"] = "long" if lang == "en" else "short"
    return format_compact_decimal(
        rounded, format_type=style, fraction_digits=significant, locale=babel_locale(locale)
    )


def format_quarter(quarter: str | Quarter, locale: str = "en", *, short: bool = False) -> str:
    """A quarter for people: ``2016Q3`` in English (as exchanged), ``2016年第三季度`` in Chinese
    (``2016年3季度`` when ``short``, for chart axes)."""
    q = quarter if isinstance(quarter, Quarter) else Quarter.parse(str(quarter))
    if check_locale(locale) == "en":
        return str(q)
    return _babel_date(q.start, "y年QQQ" if short else "y年QQQQ", locale=babel_locale(locale))


def format_year(year: int | str, locale: str = "en") -> str:
    """A calendar year for people: ``2017`` in English, ``2017年`` in Chinese (CLDR's year skeleton)."""
    return format_skeleton("y", date(int(year), 1, 1), locale=babel_locale(locale))


def format_date(day: date, locale: str = "en", style: str = "medium") -> str:
    """A day in the language's own style (``Jul 1, 2016``; ``2016年7月1日``)."""
    return _babel_date(day, style, locale=babel_locale(locale))
