"""Countries: ISO 3166-1 alpha-2 codes, English and Simplified Chinese names, EU membership by date.

Codes and names come from pycountry's bundled data (the ISO 3166-1 table and the Debian iso-codes gettext
catalogues shipped inside the package), so nothing is fetched at run time. ``XK`` (Kosovo, a user-assigned
code that the European Commission and most customs systems use) is added because pycountry does not have it.

Codes are matched exactly: upper-case, no surrounding spaces. Normalising user input is the job of the
readers in :mod:`iprisk.formats`, which report what they changed.
"""

from __future__ import annotations

import gettext
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from types import MappingProxyType

import pyarrow as pa
import pyarrow.compute as pc
import pycountry

from iprisk.errors import UnknownCode

#: Codes that pycountry lacks, with (English, Simplified Chinese) names.
_EXTRA_COUNTRIES: dict[str, tuple[str, str]] = {"XK": ("Kosovo", "科索沃")}


def _zh_catalogue() -> gettext.NullTranslations:
    """The zh_CN catalogue of ISO 3166-1 names; a null catalogue (English) when it is not installed."""
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"])
    except OSError:  # FileNotFoundError: this pycountry build ships without the zh_CN catalogue
        return gettext.NullTranslations()


def _load_names() -> tuple[dict[str, str], dict[str, str]]:
    zh_catalogue = _zh_catalogue()
    en: dict[str, str] = {}
    zh: dict[str, str] = {}
    for country in pycountry.countries:
        code = str(country.alpha_2)
        # The ISO short name: it is the message id of the translation catalogue, so en and zh agree.
        name = str(country.name)
        en[code] = name
        zh[code] = zh_catalogue.gettext(name) or name  # gettext returns the id itself when untranslated
    for code, (name_en, name_zh) in _EXTRA_COUNTRIES.items():
        en[code] = name_en
        zh[code] = name_zh
    return en, zh


_NAMES_EN, _NAMES_ZH = _load_names()

COUNTRY_CODES: frozenset[str] = frozenset(_NAMES_EN)
"""Every ISO 3166-1 alpha-2 code known to pycountry, plus ``XK`` (Kosovo)."""

COUNTRY_NAMES_EN: Mapping[str, str] = MappingProxyType(_NAMES_EN)
COUNTRY_NAMES_ZH: Mapping[str, str] = MappingProxyType(_NAMES_ZH)


def is_country(code: object) -> bool:
    """True when ``code`` is an ISO 3166-1 alpha-2 code (exact, upper-case) or ``XK``."""
    return isinstance(code, str) and code in COUNTRY_CODES


def country_name(code: str, lang: str = "en") -> str:
    """The country's ISO short name in English (``lang="en"``) or Simplified Chinese (``lang="zh"``).

    Chinese names come from the iso-codes zh_CN catalogue; a country without a translation gets its English
    name. Raises :class:`~iprisk.errors.UnknownCode` for a code that is not a country and ``ValueError`` for a
    language other than ``en``/``zh``.
    """
    if lang == "en":
        names = COUNTRY_NAMES_EN
    elif lang == "zh":
        names = COUNTRY_NAMES_ZH
    else:
        raise ValueError(f"unsupported language {lang!r}: use 'en' or 'zh'")
    try:
        return names[code]
    except (KeyError, TypeError):
        raise UnknownCode("country", str(code)) from None


# --- EU membership ---------------------------------------------------------------------------------------

#: Member state -> (first day of membership, last day of membership or None).
#: Dates are the entry-into-force dates of the founding and accession treaties (EEC from 1958, treated as
#: membership of today's Union) and, for the United Kingdom, the withdrawal agreement: member until
#: 2020-01-31 inclusive.
EU_MEMBERSHIP: Mapping[str, tuple[date, date | None]] = MappingProxyType(
    {
        # Treaty of Rome, in force 1958-01-01
        **dict.fromkeys(("BE", "DE", "FR", "IT", "LU", "NL"), (date(1958, 1, 1), None)),
        # First enlargement, 1973-01-01
        "DK": (date(1973, 1, 1), None),
        "IE": (date(1973, 1, 1), None),
        "GB": (date(1973, 1, 1), date(2020, 1, 31)),
        "GR": (date(1981, 1, 1), None),
        **dict.fromkeys(("ES", "PT"), (date(1986, 1, 1), None)),
        **dict.fromkeys(("AT", "FI", "SE"), (date(1995, 1, 1), None)),
        # Treaty of Athens, in force 2004-05-01
        **dict.fromkeys(
            ("CY", "CZ", "EE", "HU", "LT", "LV", "MT", "PL", "SI", "SK"), (date(2004, 5, 1), None)
        ),
        **dict.fromkeys(("BG", "RO"), (date(2007, 1, 1), None)),
        "HR": (date(2013, 7, 1), None),
    }
)

# Days on which membership changes; eu_members caches one frozenset per interval between them.
_CHANGES: tuple[date, ...] = tuple(
    sorted(
        {start for start, _ in EU_MEMBERSHIP.values()}
        | {date.fromordinal(end.toordinal() + 1) for _, end in EU_MEMBERSHIP.values() if end is not None}
    )
)


def _as_date(on: date) -> date:
    # datetime (and pandas.Timestamp) is a date subclass that refuses to compare with plain dates
    if isinstance(on, datetime):
        return on.date()
    if not isinstance(on, date):
        raise TypeError(f"expected a date, got {type(on).__name__}: {on!r}")
    return on


@lru_cache(maxsize=64)
def _members_from(change: date) -> frozenset[str]:
    return frozenset(
        code
        for code, (start, end) in EU_MEMBERSHIP.items()
        if start <= change and (end is None or change <= end)
    )


def _interval_start(on: date) -> date:
    """The latest membership change on or before ``on`` (``date.min`` before the first one)."""
    i = bisect_right(_CHANGES, on)
    return _CHANGES[i - 1] if i else date.min


def eu_members(on: date) -> frozenset[str]:
    """The EU member states on day ``on``: 28 until 2020-01-31 (GB included), 27 from 2020-02-01.

    Croatia (HR) is a member from 2013-07-01. Before 1958 the set is empty.
    """
    return _members_from(_interval_start(_as_date(on)))


def is_eu_member(code: str, on: date) -> bool:
    """True when ``code`` is an EU member state on day ``on``."""
    return code in eu_members(on)


@lru_cache(maxsize=1)
def _country_value_set() -> pa.Array:
    return pa.array(sorted(COUNTRY_CODES), pa.string())


def is_country_array(codes: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> pa.Array | pa.ChunkedArray:
    """Vectorised :func:`is_country` over a pyarrow string array (or a list): boolean, null stays null."""
    arr = codes if isinstance(codes, pa.Array | pa.ChunkedArray) else pa.array(codes, pa.string())
    found = pc.is_in(arr, value_set=_country_value_set())
    return pc.if_else(pc.is_null(arr), pa.scalar(None, pa.bool_()), found)
