"""The referral between key ports (KA2): the warning, its acknowledgement, the feedback and a seizure report.

Modelled on WCO CENcomm's three templates (warning: a shipment to control; feedback: the action taken;
seizure) and the EU's risk information form, whose feedback is mandatory. Each part is a JSON document
validated here once, for the command line, the web API and the channel alike; :func:`read_warning` and its
siblings raise :class:`~iprisk.errors.InvalidInput` listing every problem found (rule, field path, value).

What depends on more than the document — the network of key ports, the sides, today's date, the legal basis
for party data, attachments — is checked by :func:`iprisk.referrals.check_warning`, with the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from iprisk.codes import (
    CONTROL_TYPES,
    FEEDBACK_RESULTS,
    HANDLING_CODES,
    IPR_TYPES,
    LEGAL_BASES,
    OUTCOMES,
    PARTY_ROLES,
    PARTY_SCHEMES,
    PROCEDURES,
    PRODUCT_CATEGORIES,
    REQUESTED_ACTIONS,
    RISK_INDICATORS,
    TRANSPORT_DOCUMENTS,
    TRANSPORT_MODES,
)
from iprisk.errors import InvalidInput, Problem
from iprisk.formats.referral_fields import (
    Count,
    Country,
    DocumentNumber,
    HsCode,
    IsoDate,
    Locode,
    Money,
    PartyKey,
    Quantity,
    ReferralId,
    Score,
    Text,
    Timestamp,
    code_in,
    is_container_number,
    longest,
    problems_of,
)

#: The results of feedback that mean the goods were controlled (the denominator of the hit rate).
CONTROLLED_RESULTS = ("seized", "released")


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TransportDocument(_Document):
    """A document that identifies the consignment: B/L, AWB, rail or road note, container or parcel number."""

    type: Annotated[str, code_in(TRANSPORT_DOCUMENTS)]
    number: DocumentNumber

    @model_validator(mode="after")
    def _container(self) -> TransportDocument:
        if self.type == "container" and not is_container_number(self.number):
            raise PydanticCustomError(
                "container", "not an ISO 6346 container number (e.g. CSQU3054383, with its check digit)"
            )
        return self


class Party(_Document):
    """A party of the consignment. Names and readable identifiers travel only when the legal basis allows;
    otherwise keyed identifiers (HMAC-SHA-256 with the key agreed between the nodes) that the receiving
    side can match against its own declarations but not read (see :mod:`iprisk.referrals.parties`)."""

    role: Annotated[str, code_in(PARTY_ROLES)]
    scheme: Annotated[str, code_in(PARTY_SCHEMES)] | None = None
    identifier: Annotated[Text, longest(64)] | None = None
    name: Annotated[Text, longest(256)] | None = None
    country: Country | None = None
    identifier_key: PartyKey | None = None
    name_key: PartyKey | None = None

    @model_validator(mode="after")
    def _names_someone(self) -> Party:
        if not (self.identifier or self.name or self.identifier_key or self.name_key):
            raise PydanticCustomError("party", "a party needs an identifier, a name or a keyed identifier")
        if self.identifier and not self.scheme:
            raise PydanticCustomError("party", "an identifier needs its scheme (eori, uscc, ...)")
        return self

    @property
    def readable(self) -> bool:
        """True when the party carries a name or an identifier anyone can read."""
        return bool(self.name or self.identifier)


class AttachmentRef(_Document):
    """An attachment as the warning lists it; the content travels and is stored encrypted beside it."""

    name: Annotated[Text, longest(128)]
    media_type: Literal["application/pdf", "image/jpeg", "image/png", "image/tiff"]
    size: Quantity
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class ReferralWarning(_Document):
    """A consignment the receiving port should control, and why.

    ``sending_port`` and ``receiving_port`` route the referral (a port pair of the network, one per side);
    ``departure_port`` and ``arrival_port`` are the consignment's. ``expiry`` is the last day the goods can
    still arrive; after it the referral expires.
    """

    id: ReferralId | None = None
    reference: Annotated[Text, longest(64)] | None = None
    sending_port: Locode
    receiving_port: Locode
    transport_mode: Annotated[str, code_in(TRANSPORT_MODES)]
    transport_documents: list[TransportDocument] = Field(default_factory=list)
    conveyance: Annotated[Text, longest(64)] | None = None
    departure_port: Locode
    arrival_port: Locode
    expected_arrival: IsoDate
    origin_country: Country | None = None
    hs_code: HsCode
    description: Annotated[Text, longest(500)]
    quantity: Quantity
    value_eur: Money | None = None
    ipr_type: Annotated[str, code_in(IPR_TYPES)]
    right: Annotated[Text, longest(128)]
    right_holder_ref: Annotated[Text, longest(64)] | None = None
    indicators: list[Annotated[str, code_in(RISK_INDICATORS)]] = Field(min_length=1)
    reasons: Annotated[Text, longest(2000)]
    profile_ids: list[Annotated[Text, longest(64)]] = Field(default_factory=list)
    score: Score | None = None
    requested_action: Annotated[str, code_in(REQUESTED_ACTIONS)]
    legal_basis: Annotated[str, code_in(LEGAL_BASES)]
    handling_code: Annotated[str, code_in(HANDLING_CODES)]
    expiry: IsoDate
    parties: list[Party] = Field(default_factory=list)
    attachments: list[AttachmentRef] = Field(default_factory=list)

    @field_validator("transport_documents")
    @classmethod
    def _names_the_consignment(cls, documents: list[TransportDocument]) -> list[TransportDocument]:
        if not documents:
            raise PydanticCustomError(
                "transport_document",
                "a warning names at least one transport document (B/L, AWB, container...)",
            )
        return documents

    @model_validator(mode="after")
    def _dates_in_order(self) -> ReferralWarning:
        if self.expected_arrival > self.expiry:
            raise PydanticCustomError(
                "dates", f"expected arrival {self.expected_arrival} is after the expiry {self.expiry}"
            )
        return self

    def document_numbers(self) -> set[str]:
        """Numbers of the transport documents other than containers (B/L, AWB, parcel ...)."""
        return {d.number for d in self.transport_documents if d.type != "container"}

    def container_numbers(self) -> set[str]:
        return {d.number for d in self.transport_documents if d.type == "container"}


class Acknowledgement(_Document):
    """The receiving port has seen the warning. Who acknowledged stays in the receiving node's audit log."""

    referral_id: ReferralId
    port: Locode
    at: Timestamp
    note: Annotated[Text, longest(500)] | None = None


class Feedback(_Document):
    """What the receiving port did and found. A second feedback on the same referral amends the first."""

    referral_id: ReferralId
    result: Annotated[str, code_in(FEEDBACK_RESULTS)]
    control_type: Annotated[str, code_in(CONTROL_TYPES)] | None = None
    control_date: IsoDate | None = None
    quantity_controlled: Count | None = None
    articles_detained: Count = 0
    value_eur: Money | None = None
    ipr_type_confirmed: Annotated[str, code_in(IPR_TYPES)] | None = None
    text: Annotated[Text, longest(2000)] | None = None
    at: Timestamp

    @model_validator(mode="after")
    def _adds_up(self) -> Feedback:
        controlled = self.result in CONTROLLED_RESULTS
        if controlled and (self.control_type is None or self.control_date is None):
            raise PydanticCustomError("result", f"a {self.result} result needs control_type and control_date")
        if not controlled and (self.control_type is not None or self.articles_detained):
            raise PydanticCustomError(
                "result",
                f"goods {self.result.replace('_', ' ')} were not controlled: no control type, no articles",
            )
        if self.result == "seized" and (self.articles_detained < 1 or self.ipr_type_confirmed is None):
            raise PydanticCustomError(
                "result", "a seizure needs articles_detained >= 1 and ipr_type_confirmed"
            )
        if self.result == "released" and self.articles_detained:
            raise PydanticCustomError("result", "released goods have no articles detained")
        return self

    @property
    def controlled(self) -> bool:
        return self.result in CONTROLLED_RESULTS


class SeizureReport(_Document):
    """The detention that followed a referral, in the words of the seizure statistics (optional)."""

    referral_id: ReferralId
    case_id: Annotated[Text, longest(64)]
    detention_date: IsoDate
    product_category: Annotated[str, code_in(PRODUCT_CATEGORIES)]
    ipr_type: Annotated[str, code_in(IPR_TYPES)]
    procedure: Annotated[str, code_in(PROCEDURES)]
    articles: Quantity
    retail_value_eur: Money | None = None
    outcome: Annotated[str, code_in(OUTCOMES)] | None = None
    right_holder_ref: Annotated[Text, longest(64)] | None = None


#: The parts of a referral by name (what travels; docs/formats.md documents each).
REFERRAL_PARTS: dict[str, type[_Document]] = {
    "warning": ReferralWarning,
    "acknowledgement": Acknowledgement,
    "feedback": Feedback,
    "seizure_report": SeizureReport,
}

D = TypeVar("D", bound=_Document)


def _read(model: type[D], data: Any, source: str | None) -> D:
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json", exclude_none=True)
    if not isinstance(data, Mapping):
        message = f"a {model.__name__} is a JSON object, not {type(data).__name__}"
        raise InvalidInput([Problem("type", message, file=source)], source=source)
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise InvalidInput(problems_of(exc, source), source=source) from None


def read_warning(data: Any, *, source: str | None = None) -> ReferralWarning:
    """A warning from a mapping (parsed JSON or YAML); InvalidInput lists every problem."""
    return _read(ReferralWarning, data, source)


def read_acknowledgement(data: Any, *, source: str | None = None) -> Acknowledgement:
    return _read(Acknowledgement, data, source)


def read_feedback(data: Any, *, source: str | None = None) -> Feedback:
    return _read(Feedback, data, source)


def read_seizure_report(data: Any, *, source: str | None = None) -> SeizureReport:
    return _read(SeizureReport, data, source)


def to_json(document: _Document) -> dict[str, Any]:
    """A part as the JSON object that travels (empty fields left out)."""
    return document.model_dump(mode="json", exclude_none=True)
