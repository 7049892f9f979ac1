"""Text in one language: a translator bound to a locale, with its number formats and code-list labels.

Renderers (reports now, the dashboard next) take a :class:`Text` and never branch on the language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from iprisk.codes import country_name
from iprisk.codes.lists import CodeList
from iprisk.errors import UnknownCode
from iprisk.i18n.catalog import translate, translate_plural
from iprisk.i18n.locales import DEFAULT_LOCALE, check_locale
from iprisk.i18n.numbers import (
    format_amount,
    format_compact,
    format_date,
    format_number,
    format_quarter,
    format_year,
)
from iprisk.periods import Quarter


@dataclass(frozen=True)
class Text:
    """``Text("zh").gettext("{n} offices detained", n=3)``; ``.number(x, decimals=1)``;
    ``.label(PRODUCT_CATEGORIES, "toys")``.

    >>> Text("en").join(["DEHAM", "NLRTM", "BEANR"])
    'DEHAM, NLRTM, BEANR'
    """

    locale: str = DEFAULT_LOCALE

    def __post_init__(self) -> None:
        object.__setattr__(self, "locale", check_locale(self.locale))

    def gettext(self, message: str, /, **params: Any) -> str:
        """The message in this language (see :func:`~iprisk.i18n.translate`)."""
        return translate(message, self.locale, **params)

    def ngettext(self, singular: str, plural: str, n: int, /, **params: Any) -> str:
        return translate_plural(singular, plural, n, self.locale, **params)

    def number(self, value: Any, **style: Any) -> str:
        """A number (any real: int, float, numpy scalar); ``style`` as :func:`~iprisk.i18n.format_number`."""
        return format_number(float(value), self.locale, **style)

    def compact(self, value: Any) -> str:
        return format_compact(float(value), self.locale)

    def amount(self, value: Any, significant: int = 3) -> str:
        """A large amount rounded alike in every language (see :func:`~iprisk.i18n.format_amount`)."""
        return format_amount(float(value), self.locale, significant=significant)

    def quarter(self, quarter: str | Quarter, *, short: bool = False) -> str:
        return format_quarter(quarter, self.locale, short=short)

    def year(self, year: int | str) -> str:
        return format_year(year, self.locale)

    def date(self, day: date) -> str:
        return format_date(day, self.locale)

    def join(self, items: list[str]) -> str:
        """Items of a list in a sentence: ``a, b, c`` (``a、b、c`` in Chinese)."""
        if not items:
            return ""
        out = items[0]
        for item in items[1:]:
            out = self.gettext("{first}, {second}", first=out, second=item)
        return out

    def label(self, codes: CodeList, code: str) -> str:
        """A code's label in this language; the code itself when the list does not know it."""
        try:
            return codes.label(code, self.locale)
        except UnknownCode:
            return code

    def country(self, code: str) -> str:
        """A country's name in Chinese; in English its ISO code, as the English reports always wrote it."""
        if self.locale == DEFAULT_LOCALE:
            return code
        try:
            return country_name(code, self.locale)
        except (UnknownCode, ValueError):
            return code
