"""Names of codes in a report's language: categories, modes, IPR types, procedures, outcomes and flows from
the code lists, countries by their ISO names, ports by the curated port list. English reports name them too
(the analysis folder's summary writes codes; a publication writes names)."""

from __future__ import annotations

from iprisk.codes import FLOWS, IPR_TYPES, OUTCOMES, PORTS, PROCEDURES, PRODUCT_CATEGORIES, TRANSPORT_MODES
from iprisk.codes import country_name as _country_name
from iprisk.codes.lists import CodeList
from iprisk.errors import UnknownCode
from iprisk.i18n import Text

#: The code list of each dimension that has one.
CODE_LISTS: dict[str, CodeList] = {
    "transport_mode": TRANSPORT_MODES,
    "product_category": PRODUCT_CATEGORIES,
    "ipr_type": IPR_TYPES,
    "procedure": PROCEDURES,
    "outcome": OUTCOMES,
    "flow": FLOWS,
}
#: Dimensions whose values are countries.
COUNTRY_DIMENSIONS = ("provenance_country", "reporting_admin", "destination_country")


def category_label(dimension: str, code: str, text: Text) -> str:
    """The name of ``code``, a value of ``dimension``, in ``text``'s language (the code when unknown);
    ``not stated`` for an empty value, ``all seizures`` for the total (dimension ``""``)."""
    if not dimension:
        return text.gettext("all seizures")
    if not code:
        return text.gettext("not stated")
    if dimension in CODE_LISTS:
        return text.label(CODE_LISTS[dimension], code)
    if dimension in COUNTRY_DIMENSIONS:
        return country_label(code, text)
    if dimension == "office":
        return port_label(code, text)
    return code


def country_label(code: str, text: Text) -> str:
    """A country's name (``EU`` is the European Union)."""
    if code == "EU":
        return text.gettext("European Union")
    try:
        return _country_name(code, text.locale)
    except (UnknownCode, ValueError):
        return code


def port_label(locode: str, text: Text) -> str:
    """A port's name from the curated list, the LOCODE itself when it is not listed."""
    return PORTS[locode].label(text.locale) if locode in PORTS else locode
