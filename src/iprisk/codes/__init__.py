"""Code lists as data plus small lookup functions.

Countries (ISO 3166-1 alpha-2, EU membership by date), ports (curated UN/LOCODE list), HS codes -> product
categories, and the closed code lists of the exchange formats; labels in English and Simplified Chinese.
"""

from __future__ import annotations

from iprisk.codes.countries import (
    COUNTRY_CODES,
    COUNTRY_NAMES_EN,
    COUNTRY_NAMES_ZH,
    EU_MEMBERSHIP,
    country_name,
    eu_members,
    is_country,
    is_country_array,
    is_eu_member,
)
from iprisk.codes.hs import (
    DEFAULT_CATEGORY,
    HS_CATEGORY_RULES,
    HS_RULES,
    HsRule,
    categories_for_hs,
    category_for_hs,
    hs_chapter,
    hs_chapters,
    normalise_hs,
)
from iprisk.codes.lists import (
    ALL_LISTS,
    FLOWS,
    IPR_TYPES,
    OUTCOMES,
    PROCEDURES,
    PRODUCT_CATEGORIES,
    TRANSPORT_MODES,
    Code,
    CodeList,
)
from iprisk.codes.ports import (
    PORT_KINDS,
    PORTS,
    Port,
    is_known_port,
    is_well_formed_locode,
    is_well_formed_locode_array,
    port,
    ports_for,
)

__all__ = [
    "ALL_LISTS",
    "COUNTRY_CODES",
    "COUNTRY_NAMES_EN",
    "COUNTRY_NAMES_ZH",
    "DEFAULT_CATEGORY",
    "EU_MEMBERSHIP",
    "FLOWS",
    "HS_CATEGORY_RULES",
    "HS_RULES",
    "IPR_TYPES",
    "OUTCOMES",
    "PORTS",
    "PORT_KINDS",
    "PROCEDURES",
    "PRODUCT_CATEGORIES",
    "TRANSPORT_MODES",
    "Code",
    "CodeList",
    "HsRule",
    "Port",
    "categories_for_hs",
    "category_for_hs",
    "country_name",
    "eu_members",
    "hs_chapter",
    "hs_chapters",
    "is_country",
    "is_country_array",
    "is_eu_member",
    "is_known_port",
    "is_well_formed_locode",
    "is_well_formed_locode_array",
    "normalise_hs",
    "port",
    "ports_for",
]
