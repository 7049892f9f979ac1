"""Text for people in their language: locales, message catalogs (gettext ``.po`` read with Babel) and
numbers, quarters and dates formatted per locale. Low in the flow (it needs only codes and periods): the
reports use it, and the web dashboard will use the same catalogs.

>>> from iprisk.i18n import Text
>>> Text("zh").quarter("2016Q3")
'2016年第三季度'
"""

from __future__ import annotations

from iprisk.i18n.catalog import KEYWORDS, N_, catalog_path, load_catalog, translate, translate_plural
from iprisk.i18n.locales import DEFAULT_LOCALE, LOCALES, babel_locale, check_locale
from iprisk.i18n.numbers import (
    format_amount,
    format_compact,
    format_date,
    format_number,
    format_quarter,
    format_year,
    round_significant,
)
from iprisk.i18n.text import Text

__all__ = [
    "DEFAULT_LOCALE",
    "KEYWORDS",
    "LOCALES",
    "N_",
    "Text",
    "babel_locale",
    "catalog_path",
    "check_locale",
    "format_amount",
    "format_compact",
    "format_date",
    "format_number",
    "format_quarter",
    "format_year",
    "load_catalog",
    "round_significant",
    "translate",
    "translate_plural",
]
