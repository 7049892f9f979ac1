"""The field types of the referral documents, and the rules they report as :class:`~iprisk.errors.Problem`s.

A referral travels as a JSON document, not a table: a problem's ``column`` is the path of the field in the
document (``transport_documents[0].number``) and its ``row`` is empty. Every type here reports a named rule
(``locode``, ``code``, ``container`` ...) that :data:`REFERRAL_RULES` registers and docs/formats.md lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError
from pydantic_core import PydanticCustomError

from iprisk.codes import COUNTRY_CODES, CodeList, is_well_formed_locode
from iprisk.errors import Problem
from iprisk.formats.rules import Rule

_FORMAT = ("referral",)

_RULES = [
    Rule(name, description, _FORMAT)
    for name, description in (
        ("required", "A required field is missing or empty."),
        ("unknown_field", "A field the referral format does not know (a typo, or a newer version)."),
        ("type", "A field holds the wrong kind of value (text, number, list or object expected)."),
        ("code", "A value is not in the field's code list (e.g. feedback result 'seizure')."),
        ("date", "A date is not a valid ISO date YYYY-MM-DD."),
        ("datetime", "A time is not an ISO 8601 date and time with its time zone."),
        ("integer", "A whole number is expected (quantity, articles)."),
        ("decimal", "A decimal number is expected (value, score)."),
        ("range", "A number is out of its range: counts and values >= 0, quantity >= 1, score 0 to 1."),
        ("length", "A text is empty or longer than its field allows."),
        ("locode", "A port is not a well-formed UN/LOCODE (ISO country code, then 3 of A-Z / 2-9)."),
        ("country", "A country is not an ISO 3166-1 alpha-2 code."),
        ("hs_code", "An HS code must be 6 to 10 digits."),
        ("id", "A referral id is not a UUID."),
        ("transport_document", "A warning names no transport document (B/L, AWB, container, parcel...)."),
        (
            "document_number",
            "A transport document number holds characters other than A-Z, 0-9, '-', '/', '.' or is too long.",
        ),
        (
            "container",
            "A container number fails ISO 6346 (4 letters ending in U, J or Z, 7 digits, check digit).",
        ),
        (
            "party",
            "A party names nobody: it needs an identifier (with its scheme), a name or a keyed identifier.",
        ),
        ("party_key", "A keyed party identifier is not 64 lower-case hexadecimal characters (HMAC-SHA-256)."),
        ("dates", "Dates are out of order: the expected arrival is after the expiry."),
        (
            "result",
            "Feedback does not add up: a seizure needs a control type, the IPR type confirmed and articles "
            "detained; goods not controlled have no control type and no articles detained.",
        ),
        ("network_port", "A port is not in the network of key ports (or not in the pilot)."),
        (
            "port_side",
            "A port belongs to the wrong side: the sending port to the sender's, the receiving port to the "
            "other.",
        ),
        (
            "port_route",
            "The receiving port is neither the departure nor the arrival port of the consignment.",
        ),
        ("expired", "The warning's expiry has passed: the goods can no longer arrive."),
        (
            "party_data",
            "Trader names or readable identifiers travel although the legal basis does not allow them.",
        ),
        (
            "attachment_size",
            "An attachment is empty or larger than the referral_attachment_max_bytes setting.",
        ),
        (
            "attachment_type",
            "An attachment's content is not an allowed type (PDF, JPEG, PNG, TIFF) or does not match its "
            "name.",
        ),
        (
            "attachment_listed",
            "The attachments sent are not the ones the warning lists (one missing, one extra, or another "
            "size or SHA-256).",
        ),
    )
]

#: Every rule a referral document can break, by name, in the order docs/formats.md lists them.
REFERRAL_RULES: Mapping[str, Rule] = MappingProxyType({r.name: r for r in _RULES})

# pydantic's own error types -> our rule names
_PYDANTIC_RULES = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "int_type": "integer",
    "int_parsing": "integer",
    "int_from_float": "integer",
    "float_type": "decimal",
    "float_parsing": "decimal",
    "finite_number": "decimal",
    "greater_than_equal": "range",
    "greater_than": "range",
    "less_than_equal": "range",
    "string_too_short": "length",
    "string_too_long": "length",
    "too_short": "required",
    "too_long": "length",
}


def problems_of(exc: ValidationError, source: str | None = None) -> list[Problem]:
    """Every error pydantic found, as problems: the rule, the field's path, the value as given."""
    out = []
    for error in exc.errors(include_url=False):
        kind = error["type"]
        rule = kind if kind in REFERRAL_RULES else _PYDANTIC_RULES.get(kind, "type")
        value = error.get("input")
        hidden = value is None or kind == "missing" or isinstance(value, dict | list)
        shown = None if hidden else str(value)[:200]
        message = error["msg"].removeprefix("Value error, ")
        out.append(Problem(rule, message, None, field_path(error["loc"]), shown, source))
    return out


def field_path(loc: Iterable[Any]) -> str:
    """``('parties', 0, 'name')`` -> ``parties[0].name``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _fail(rule: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(rule, message)


def code_in(code_list: CodeList) -> BeforeValidator:
    """Metadata of a field holding a code of ``code_list``: ``Annotated[str, code_in(IPR_TYPES)]``
    (rule ``code``, naming the codes)."""
    listing = ", ".join(code_list)

    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in code_list:
            raise _fail("code", f"not a {code_list.name} code; codes are {listing}")
        return value

    return BeforeValidator(check)


def longest(n: int) -> Any:
    """Metadata bounding a text's length: ``Annotated[Text, longest(64)]``."""
    return Field(max_length=n)


def _locode(value: Any) -> str:
    if not is_well_formed_locode(value):
        raise _fail("locode", "not a UN/LOCODE (5 characters: an ISO country code, then 3 of A-Z or 2-9)")
    return str(value)


def _country(value: Any) -> str:
    if not isinstance(value, str) or value not in COUNTRY_CODES:
        raise _fail("country", "not an ISO 3166-1 alpha-2 country code")
    return value


_HS = re.compile(r"[0-9]{6,10}")


def _hs(value: Any) -> str:
    if not isinstance(value, str) or not _HS.fullmatch(value):
        raise _fail("hs_code", "must be 6 to 10 digits")
    return value


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _fail("date", "not a valid ISO date (YYYY-MM-DD)")


def _datetime(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise _fail("datetime", "not an ISO 8601 date and time (2026-03-01T10:00:00Z)") from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise _fail("datetime", "a date and time with its time zone is expected (…Z or …+08:00)")
    return value.astimezone(UTC)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _uuid(value: Any) -> str:
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        raise _fail("id", "not a referral id (a lower-case UUID)")
    return value


_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9./-]{0,34}")


def _document_number(value: Any) -> str:
    """Upper-cased, spaces removed: ``msku 123456-7`` is ``MSKU1234567`` (what a declaration would hold)."""
    if not isinstance(value, str):
        raise _fail("type", "text expected")
    cleaned = value.replace(" ", "").upper()
    if not _NUMBER.fullmatch(cleaned):
        raise _fail("document_number", "1 to 35 of A-Z, 0-9, '-', '/', '.'")
    return cleaned


_CONTAINER = re.compile(r"[A-Z]{3}[UJZ][0-9]{7}")
# ISO 6346 letter values skip multiples of 11: A=10, B=12 ... K=21, L=23 ...
_LETTER_VALUES = {}
_v = 10
for _c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    if _v % 11 == 0:
        _v += 1
    _LETTER_VALUES[_c] = _v
    _v += 1


def container_check_digit(first_ten: str) -> int:
    """The ISO 6346 check digit of owner code, category and serial number (``CSQU305438`` -> 3)."""
    total = sum((_LETTER_VALUES[ch] if ch.isalpha() else int(ch)) * 2**i for i, ch in enumerate(first_ten))
    return total % 11 % 10


def is_container_number(number: str) -> bool:
    """True for a well-formed ISO 6346 container number whose check digit is right.

    >>> is_container_number("CSQU3054383"), is_container_number("CSQU3054384")
    (True, False)
    """
    return bool(_CONTAINER.fullmatch(number)) and container_check_digit(number[:10]) == int(number[10])


_KEY = re.compile(r"[0-9a-f]{64}")


def _party_key(value: Any) -> str:
    if not isinstance(value, str) or not _KEY.fullmatch(value):
        raise _fail("party_key", "a keyed identifier is 64 lower-case hexadecimal characters")
    return value


def _clean_text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


#: Non-empty text, trimmed (bound its length with :func:`longest`).
Text = Annotated[str, BeforeValidator(_clean_text), Field(min_length=1)]
Locode = Annotated[str, BeforeValidator(_locode)]
Country = Annotated[str, BeforeValidator(_country)]
HsCode = Annotated[str, BeforeValidator(_hs)]
IsoDate = Annotated[date, BeforeValidator(_date)]
Timestamp = Annotated[datetime, BeforeValidator(_datetime)]
ReferralId = Annotated[str, BeforeValidator(_uuid)]
DocumentNumber = Annotated[str, BeforeValidator(_document_number)]
PartyKey = Annotated[str, BeforeValidator(_party_key)]
Count = Annotated[int, Field(strict=True, ge=0)]
Quantity = Annotated[int, Field(strict=True, ge=1)]
Money = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Score = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
