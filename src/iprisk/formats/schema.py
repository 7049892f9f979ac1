"""The two exchange formats as data: ordered columns with their kind, requirement, Arrow type and code list.

Readers, validation, writers and the docs all work from these objects, so a column added here is read,
checked and documented everywhere at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pyarrow as pa

from iprisk.codes.lists import FLOWS, IPR_TYPES, OUTCOMES, PROCEDURES, PRODUCT_CATEGORIES, TRANSPORT_MODES

#: Column kinds. Each kind has its own validation rules (see :mod:`iprisk.formats.rules`).
KINDS = (
    "text",  # free text
    "id",  # identifier, 1-64 characters
    "code",  # value from a closed code list
    "country",  # ISO 3166-1 alpha-2
    "locode",  # UN/LOCODE, 5 characters
    "hs",  # HS / CN / national tariff code, digits
    "date",  # ISO date YYYY-MM-DD
    "integer",  # whole number with a lower bound
    "decimal",  # decimal number with bounds
    "boolean",  # true/false, 1/0, yes/no, y/n
    "currency",  # ISO 4217 alphabetic code
)

_ARROW_TYPES: dict[str, pa.DataType] = {
    "date": pa.date32(),
    "integer": pa.int64(),
    "decimal": pa.float64(),
    "boolean": pa.bool_(),
}


@dataclass(frozen=True, slots=True)
class Column:
    """One column of an exchange format."""

    name: str
    kind: str
    required: bool
    description: str
    codes: tuple[str, ...] = ()
    #: name of the code list (for messages and docs), when ``kind == "code"``
    code_list: str = ""
    minimum: float | None = None
    maximum: float | None = None
    #: inclusive bounds on the text length (``id``) or digit count (``hs``)
    min_length: int | None = None
    max_length: int | None = None
    #: value used when the column is absent or the cell empty (``None``: stays empty / null)
    default: str | None = None

    @property
    def arrow_type(self) -> pa.DataType:
        return _ARROW_TYPES.get(self.kind, pa.string())


class Schema(Mapping[str, Column]):
    """An ordered, read-only set of columns: ``SEIZURES["case_id"].required``, ``list(SEIZURES)``."""

    def __init__(self, name: str, columns: list[Column]):
        self.name = name
        self.columns: tuple[Column, ...] = tuple(columns)
        self._by_name = {c.name: c for c in columns}
        if len(self._by_name) != len(columns):
            raise ValueError(f"duplicate column in schema {name}")

    def __getitem__(self, name: str) -> Column:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def arrow_schema(self) -> pa.Schema:
        """The canonical Arrow schema of a table in this format (columns in format order)."""
        return pa.schema([pa.field(c.name, c.arrow_type, nullable=True) for c in self.columns])

    def __repr__(self) -> str:
        return f"Schema({self.name!r}, {list(self._by_name)})"


def _code(name: str, required: bool, code_list: Mapping[str, object], list_name: str, desc: str) -> Column:
    return Column(name, "code", required, desc, codes=tuple(code_list), code_list=list_name)


SEIZURES = Schema(
    "seizures",
    [
        Column(
            "case_id",
            "id",
            True,
            "Detention case, unique per reporting administration",
            min_length=1,
            max_length=64,
        ),
        Column("line_no", "integer", True, "Product line within the case", minimum=1),
        Column(
            "reporting_admin", "country", True, "Customs administration that detained (ISO 3166-1 alpha-2)"
        ),
        Column("office", "locode", True, "Port / office of detention (UN/LOCODE)"),
        Column("detention_date", "date", True, "Date of the detention (ISO date)"),
        _code("flow", True, FLOWS, "flow", "import, export or transit"),
        _code("transport_mode", True, TRANSPORT_MODES, "transport_mode", "Mode of transport"),
        Column("provenance_country", "country", True, "Country the goods were shipped from"),
        Column("origin_country", "country", False, "Country of (declared) origin"),
        Column("destination_country", "country", True, "Country of destination"),
        Column("departure_port", "locode", False, "Port of departure (UN/LOCODE)"),
        Column("arrival_port", "locode", False, "Port of arrival (UN/LOCODE)"),
        _code("product_category", True, PRODUCT_CATEGORIES, "product_category", "Product category"),
        Column("hs_code", "hs", False, "HS / CN code, 4 to 10 digits", min_length=4, max_length=10),
        _code("ipr_type", True, IPR_TYPES, "ipr_type", "Intellectual-property right infringed"),
        _code("procedure", True, PROCEDURES, "procedure", "How the detention started"),
        Column("articles", "integer", True, "Number of items detained", minimum=0),
        Column(
            "retail_value_eur",
            "decimal",
            False,
            "Retail value of the equivalent genuine goods (EUR)",
            minimum=0,
        ),
        Column("declared_value_eur", "decimal", False, "Declared value (EUR)", minimum=0),
        _code("outcome", False, OUTCOMES, "outcome", "Outcome of the case"),
        Column("right_holder_ref", "text", False, "Pseudonymous right-holder reference, never a name"),
    ],
)

_DECLARATION_FLOWS = {k: v for k, v in FLOWS.items() if k in ("import", "export")}

DECLARATIONS = Schema(
    "declarations",
    [
        Column("declaration_id", "text", True, "Declaration reference"),
        Column(
            "item_no", "integer", False, "Item within the declaration (default 1)", minimum=1, default="1"
        ),
        Column("date", "date", True, "Date of the declaration (ISO date)"),
        _code("flow", True, _DECLARATION_FLOWS, "flow", "import or export"),
        Column("office", "text", True, "Customs office (UN/LOCODE or national office code)"),
        _code("transport_mode", True, TRANSPORT_MODES, "transport_mode", "Mode of transport"),
        Column("declarant_id", "text", False, "Pseudonymous declarant reference"),
        Column("trader_id", "text", False, "Pseudonymous trader (importer / exporter) reference"),
        Column("seller_id", "text", False, "Pseudonymous seller reference"),
        Column("carrier_id", "text", False, "Pseudonymous carrier / courier reference"),
        Column(
            "hs_code",
            "hs",
            True,
            "HS / CN / national tariff code, 6 to 10 digits",
            min_length=6,
            max_length=10,
        ),
        Column("origin_country", "country", False, "Country of origin"),
        Column("departure_country", "country", True, "Country of departure"),
        Column("destination_country", "country", True, "Country of destination"),
        Column("departure_port", "locode", False, "Port of departure (UN/LOCODE)"),
        Column("arrival_port", "locode", False, "Port of arrival (UN/LOCODE)"),
        Column("net_mass_kg", "decimal", False, "Net mass (kg)", minimum=0),
        Column("value", "decimal", True, "Declared value in `currency`", minimum=0),
        Column("currency", "currency", False, "ISO 4217 currency of `value` (default EUR)", default="EUR"),
        Column("controlled", "boolean", False, "Was it physically or documentarily checked"),
        Column("infringement", "boolean", False, "IPR infringement found (empty when not controlled)"),
        Column("articles_detained", "integer", False, "Number of articles detained", minimum=0),
        Column(
            "selection_propensity",
            "decimal",
            False,
            "Probability with which the selection policy chose it for control",
            minimum=0,
            maximum=1,
        ),
        Column(
            "reporting_admin",
            "country",
            False,
            "Administration the declaration was lodged with (extension; the simulator writes it)",
        ),
    ],
)

#: Formats by name (the ``format:`` key of a mapping file).
FORMATS: dict[str, Schema] = {SEIZURES.name: SEIZURES, DECLARATIONS.name: DECLARATIONS}

#: Country code accepted in declarations for "unknown country" (ISO 3166 user-assigned; the KCS data uses it).
UNKNOWN_COUNTRY = "ZZ"
