"""The languages iprisk writes for people, and their Babel (CLDR) locales."""

from __future__ import annotations

from babel import Locale

from iprisk.errors import InvalidValue

#: Languages of reports and pages: English (the source language of every message) and Simplified Chinese.
LOCALES: tuple[str, ...] = ("en", "zh")
DEFAULT_LOCALE = "en"

#: The CLDR locale behind each language: number symbols, grouping, dates, compact forms.
_CLDR = {"en": "en", "zh": "zh_Hans_CN"}
#: Other spellings accepted for a language (lower case, ``-`` read as ``_``).
_ALIASES = {"en_gb": "en", "en_us": "en", "zh_cn": "zh", "zh_hans": "zh", "zh_hans_cn": "zh"}


def check_locale(name: str) -> str:
    """``en`` or ``zh`` for any accepted spelling (``zh-CN``, ``zh_Hans``...); InvalidValue otherwise.

    >>> check_locale("zh-CN")
    'zh'
    """
    key = name.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in LOCALES:
        raise InvalidValue(f"unsupported language {name!r}: use one of {', '.join(LOCALES)}")
    return key


def babel_locale(name: str) -> Locale:
    """The Babel locale of a language."""
    return Locale.parse(_CLDR[check_locale(name)])
