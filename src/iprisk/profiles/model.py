"""A risk profile: who owns it, where it applies, which declarations it targets and what to do with them.

Criteria combine with AND across fields and OR within a field (``origin_countries: [CN, HK]`` and
``transport_modes: [post]`` targets postal consignments from China or Hong Kong). An empty field places no
constraint. A declaration whose value for a constrained field is missing does not match.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from iprisk.codes import (
    PRODUCT_CATEGORIES,
    TRANSPORT_MODES,
    is_country,
    is_eu_member,
    is_well_formed_locode,
    normalise_hs,
)

Status = Literal["draft", "proposed", "approved", "active", "expired", "withdrawn"]
STATUSES: tuple[str, ...] = ("draft", "proposed", "approved", "active", "expired", "withdrawn")
Control = Literal["documentary", "scan", "physical"]
Flow = Literal["import", "export"]

#: The side every administration belongs to for approvals of joint profiles.
EU_ADMIN = "EU"
CN_ADMIN = "CN"

_HS_PREFIX = re.compile(r"^\d{2,10}$")
_PROFILE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def admin_side(admin: str, on: date | None = None) -> str:
    """``"EU"`` for ``EU`` or an EU member's ISO code (on ``on``, default today), else the code itself."""
    code = admin.strip().upper()
    if code == EU_ADMIN or is_eu_member(code, on or date.today()):
        return EU_ADMIN
    return code


def is_admin(code: str) -> bool:
    """True for ``EU`` or an ISO country code (an administration that can own or approve a profile)."""
    return code == EU_ADMIN or is_country(code)


class Range(BaseModel):
    """A closed interval ``min <= x <= max``; either end may be open (``None``), never infinite or NaN."""

    # finite bounds only: .inf imported, then broke scoring with an SQL error (issue 16)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    min: float | None = Field(default=None, ge=0)
    max: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min is None and self.max is None:
            raise ValueError("a range needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self

    def contains(self, x: float | None) -> bool:
        """Pure-Python membership (the engine compiles the same test to SQL)."""
        if x is None or x != x:  # NaN
            return False
        return (self.min is None or x >= self.min) and (self.max is None or x <= self.max)


def _codes(values: list[str], ok: Any, what: str, upper: bool = True) -> list[str]:
    cleaned = [v.strip().upper() if upper else v.strip() for v in values]
    bad = [v for v in cleaned if not ok(v)]
    if bad:
        raise ValueError(f"unknown {what}: {', '.join(map(repr, bad))}")
    return sorted(set(cleaned))


class Criteria(BaseModel):
    """What a declaration must show to match (AND across fields, OR within one)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hs_prefixes: list[str] = Field(default_factory=list, description="HS code prefixes, 2 to 10 digits")
    product_categories: list[str] = Field(default_factory=list)
    origin_countries: list[str] = Field(default_factory=list)
    departure_countries: list[str] = Field(default_factory=list)
    destination_countries: list[str] = Field(default_factory=list)
    departure_ports: list[str] = Field(default_factory=list, description="UN/LOCODEs")
    arrival_ports: list[str] = Field(default_factory=list, description="UN/LOCODEs")
    transport_modes: list[str] = Field(default_factory=list)
    trader_ids: list[str] = Field(default_factory=list)
    declarant_ids: list[str] = Field(default_factory=list)
    seller_ids: list[str] = Field(default_factory=list)
    carrier_ids: list[str] = Field(default_factory=list)
    value_per_kg: Range | None = None
    value: Range | None = None

    @field_validator("hs_prefixes")
    @classmethod
    def _hs(cls, v: list[str]) -> list[str]:
        cleaned = [normalise_hs(str(x).strip()) for x in v]
        bad = [x for x in cleaned if not _HS_PREFIX.match(x)]
        if bad:
            raise ValueError(f"malformed HS prefix (2 to 10 digits): {', '.join(map(repr, bad))}")
        return sorted(set(cleaned))

    @field_validator("product_categories")
    @classmethod
    def _categories(cls, v: list[str]) -> list[str]:
        return _codes(v, PRODUCT_CATEGORIES.__contains__, "product category", upper=False)

    @field_validator("origin_countries", "departure_countries", "destination_countries")
    @classmethod
    def _countries(cls, v: list[str]) -> list[str]:
        return _codes(v, is_country, "country (ISO 3166-1 alpha-2)")

    @field_validator("departure_ports", "arrival_ports")
    @classmethod
    def _ports(cls, v: list[str]) -> list[str]:
        return _codes(v, is_well_formed_locode, "port (UN/LOCODE)")

    @field_validator("transport_modes")
    @classmethod
    def _modes(cls, v: list[str]) -> list[str]:
        return _codes(v, TRANSPORT_MODES.__contains__, "transport mode", upper=False)

    @field_validator("trader_ids", "declarant_ids", "seller_ids", "carrier_ids")
    @classmethod
    def _ids(cls, v: list[str]) -> list[str]:
        cleaned = [str(x).strip() for x in v]
        if any(not x for x in cleaned):
            raise ValueError("empty reference")
        return sorted(set(cleaned))

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in type(self).model_fields)


class Scope(BaseModel):
    """Where a profile applies: a flow, and optionally only some offices (empty: every office)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    flow: Flow = "import"
    offices: list[str] = Field(default_factory=list)

    @field_validator("offices")
    @classmethod
    def _offices(cls, v: list[str]) -> list[str]:
        return _codes(v, bool, "office")


class Evidence(BaseModel):
    """How a mined profile performed: on the period it was mined from and on a later period."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    train_until: date
    train_support: int = Field(ge=0, description="labelled declarations matched in the mining period")
    train_hit_rate: float = Field(ge=0, le=1)
    train_lift: float = Field(ge=0)
    test_from: date | None = None
    test_declarations: int = Field(default=0, ge=0)
    test_matched: int = Field(default=0, ge=0)
    test_coverage: float | None = Field(default=None, ge=0, le=1, description="share of later declarations")
    test_hit_rate: float | None = Field(default=None, ge=0, le=1, description="hit rate on later matches")
    test_recall: float | None = Field(default=None, ge=0, le=1, description="share of later hits caught")
    quality: float | None = Field(default=None, description="the miner's score (WRAcc)")


class Profile(BaseModel):
    """A risk profile; ``version`` and ``status`` are kept by the lifecycle (see lifecycle.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    version: int = Field(default=1, ge=1)
    status: Status = "draft"
    title: str = Field(min_length=1)
    owner: str = Field(description="Owner administration: ISO code (DE, NL, CN) or EU")
    joint: bool = Field(default=False, description="Needs approval by both the EU side and CN")
    scope: Scope = Field(default_factory=Scope)
    criteria: Criteria
    risk_level: int = Field(ge=1, le=5, description="1 (low) to 5 (very high)")
    mandatory: bool = Field(default=False, description="Every hit must be controlled, whatever the capacity")
    control: Control = "documentary"
    valid_from: date
    valid_to: date | None = None
    rationale: str = ""
    evidence: Evidence | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _PROFILE_ID.match(v):
            raise ValueError(
                "an id is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        return v

    @field_validator("owner")
    @classmethod
    def _owner(cls, v: str) -> str:
        code = v.strip().upper()
        if not is_admin(code):
            raise ValueError(f"unknown administration {v!r} (an ISO country code or EU)")
        return code

    @model_validator(mode="after")
    def _check(self) -> Profile:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        if self.criteria.is_empty():
            raise ValueError("criteria: a profile needs at least one criterion")
        return self

    def content(self) -> dict[str, Any]:
        """The profile's content without its lifecycle fields: what a new version changes."""
        return self.model_dump(mode="json", exclude={"version", "status"})

    def same_content(self, other: Profile) -> bool:
        return self.content() == other.content()

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)
