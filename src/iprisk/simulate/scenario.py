"""The scenario: every parameter of a synthetic world, as a documented dataclass loadable from YAML.

The default scenario (:func:`default_scenario`) is calibrated against the published EU and Chinese figures in
``docs/simulation.md``. Users write their own worlds by overriding some fields in a YAML file; fields left out
keep the calibrated defaults::

    name: tight-rotterdam
    events:
      - kind: displacement
        name: rotterdam-tightens
        start: 2016Q1
        offices: [NLRTM]
        to_office: BEANR
        share: 0.8

Rates are per consignment; traffic is consignments per quarter at ``scale = 1.0``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iprisk.codes.lists import PRODUCT_CATEGORIES
from iprisk.errors import InvalidInput, Problem
from iprisk.periods import Quarter
from iprisk.simulate.world import CN_OFFICES, EU_OFFICES, MODES

EVENT_KINDS = ("surge", "displacement", "new_modus_operandi")


@dataclass(frozen=True)
class PlantedEvent:
    """A change planted in the world from quarter ``start`` (to ``end`` inclusive, or for ever).

    The filters (``modes``, ``provenances``, ``products``, ``reporters``, ``offices``; empty = any) pick the
    segments (lane x product) the event touches.

    - ``surge``: the infringement rate of the segments is multiplied by ``multiplier``.
    - ``displacement``: the office(s) in ``offices`` tighten controls (control rate x ``control_multiplier``)
      and ``share`` of their infringing consignments move to ``to_office`` (same mode, provenance, departure
      port and product).
    - ``new_modus_operandi``: infringing goods of ``products`` appear hidden in the matched lanes, where the
      product did not travel before: extra consignments, all infringing, numbering ``rate`` times the lanes'
      total traffic; they are declared under ``hs_code`` (a misdeclaration) when given.
    """

    kind: str
    name: str
    start: str
    end: str | None = None
    modes: tuple[str, ...] = ()
    provenances: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    reporters: tuple[str, ...] = ()
    offices: tuple[str, ...] = ()
    multiplier: float = 3.0
    to_office: str | None = None
    share: float = 0.75
    control_multiplier: float = 1.5
    rate: float = 0.0
    hs_code: str | None = None

    def active(self, quarter: Quarter) -> bool:
        if quarter < Quarter.parse(self.start):
            return False
        return self.end is None or quarter <= Quarter.parse(self.end)


@dataclass(frozen=True)
class RuleProfile:
    """A targeting rule of the control policy: matching consignments get ``rate`` added to propensity."""

    name: str
    rate: float
    modes: tuple[str, ...] = ()
    provenances: tuple[str, ...] = ()
    products: tuple[str, ...] = ()


def _per_mode(**values: float) -> dict[str, float]:
    return dict(values)


@dataclass(frozen=True)
class Scenario:
    """All parameters of a synthetic world. Every field has a calibrated default."""

    name: str = "calibrated"
    description: str = "Calibrated default world: EU imports and Chinese exports, 2013-2018 published shapes."

    # Traffic: consignments per quarter at scale 1.0, in the reference year, by mode.
    eu_import_traffic: dict[str, float] = field(
        default_factory=lambda: _per_mode(post=60e6, express=25e6, air=3e6, sea=1.5e6, road=4e6, rail=0.3e6)
    )
    cn_export_traffic: dict[str, float] = field(
        default_factory=lambda: _per_mode(
            post=40e6, express=20e6, air=2.5e6, sea=2.5e6, road=1.0e6, rail=0.2e6
        )
    )
    cn_import_share: float = 0.01  # CN import traffic relative to the CN export traffic of the same mode
    reference_year: int = 2015
    q4_seasonality: float = 1.3  # traffic multiplier in Q4 for post and express (1 + (x-1)/3 for the rest)
    ecommerce_growth: float = 0.12  # yearly growth of post and express traffic (the drift to small parcels)
    container_trend: float = -0.03  # yearly growth of sea traffic
    postal_risk_trend: float = -0.10  # yearly change of the infringement rate in post and express

    # Latent infringement: rate per consignment = base[mode] x product risk x provenance risk x pair risk.
    infringement_rate: dict[str, float] = field(
        default_factory=lambda: _per_mode(
            post=0.0025, express=0.0023, air=0.0085, sea=0.0078, road=0.006, rail=0.006
        )
    )
    cn_infringement_factor: float = 0.45  # China's exports vs the EU-side rate (CN sees them at export)
    product_risk: dict[str, float] = field(
        default_factory=lambda: {
            "foodstuffs": 0.4,
            "body_care": 1.2,
            "clothing": 1.5,
            "shoes": 1.8,
            "personal_accessories": 2.5,
            "mobile_phones": 2.0,
            "electronics": 0.9,
            "media": 0.6,
            "toys": 1.4,
            "games": 1.0,
            "sporting_articles": 1.2,
            "tobacco": 3.0,
            "medicines": 2.0,
            "labels_packaging": 2.0,
            "vehicle_parts": 0.7,
            "other": 0.6,
        }
    )
    provenance_risk: dict[str, float] = field(
        default_factory=lambda: {
            "CN": 2.3,
            "HK": 2.8,
            "TR": 1.0,
            "AE": 0.8,
            "IN": 0.6,
            "SG": 0.5,
            "TH": 0.6,
            "VN": 0.5,
            "MY": 0.4,
            "US": 0.1,
            "UA": 0.5,
            "RS": 0.5,
            "MA": 0.6,
            "JP": 0.05,
            "KR": 0.1,
            "DE": 0.05,
            "FR": 0.05,
        }
    )
    pair_risk: dict[str, float] = field(
        default_factory=lambda: {
            "AE:tobacco": 4.0,
            "IN:medicines": 4.0,
            "TR:clothing": 2.0,
            "UA:tobacco": 5.0,
        }
    )

    # Parties: a minority of infringing traders carries most of the infringements; some share declarants.
    traders: int = 400_000  # trader pool at scale 1.0 (at least 2,000)
    declarants: int = 20_000
    carriers: int = 600
    infringing_trader_share: float = 0.03
    infringing_trader_factor: float = 20.0  # their infringement rate relative to the segment's mean
    network_share: float = 0.4  # share of infringing traders in networks
    network_size: int = 6  # traders per network; a network shares a declarant and a carrier
    undervaluation: float = 0.35  # declared value factor of undervalued infringing consignments
    undervalued_share: float = 0.7  # share of infringing consignments that are undervalued

    # Controls: random share + rule profiles + value anomaly rule, capped by office capacity.
    random_control_rate: dict[str, float] = field(
        default_factory=lambda: _per_mode(
            post=0.002, express=0.004, air=0.01, sea=0.015, road=0.01, rail=0.01
        )
    )
    rule_profiles: tuple[RuleProfile, ...] = (
        RuleProfile(
            "asia-fashion",
            0.02,
            provenances=("CN", "HK"),
            products=("clothing", "shoes", "personal_accessories"),
        ),
        RuleProfile("phones", 0.02, products=("mobile_phones",)),
        RuleProfile("cigarettes", 0.10, products=("tobacco",)),
        RuleProfile("pills", 0.03, products=("medicines",), modes=("post", "express", "air")),
    )
    cn_control_factor: float = 1.0  # China's control intensity: its rates and capacities x this factor
    anomaly_threshold: float = 0.5  # declared value per kg below this share of the norm is flagged
    anomaly_rate: float = 0.05  # added propensity when flagged
    capacity: dict[str, float] = field(
        default_factory=lambda: _per_mode(post=0.01, express=0.02, air=0.05, sea=0.08, road=0.05, rail=0.08)
    )  # max share of an office's consignments it can control, by mode
    office_capacity: dict[str, float] = field(default_factory=dict)  # per-office overrides
    detection_probability: float = 0.85  # an inspection of an infringing consignment finds it

    # Detentions -> seizure lines.
    lines_per_case: dict[str, float] = field(
        default_factory=lambda: _per_mode(post=0.15, express=0.3, air=0.8, sea=1.5, road=1.0, rail=1.2)
    )  # mean extra lines per case (1 + Poisson)
    articles_median: dict[str, float] = field(
        default_factory=lambda: _per_mode(post=6.0, express=10.0, air=150.0, sea=800.0, road=90.0, rail=550.0)
    )
    articles_sigma: dict[str, float] = field(
        default_factory=lambda: _per_mode(post=1.2, express=1.3, air=1.4, sea=1.4, road=1.3, rail=1.3)
    )
    cn_articles_factor: float = 2.5
    ex_officio_share: dict[str, float] = field(default_factory=lambda: {"EU": 0.06, "CN": 0.9})
    trademark_share: dict[str, float] = field(default_factory=lambda: {"EU": 0.9, "CN": 0.995})

    # Declarations: mean extra items per declaration (geometric, by mode); item 1 is the main line.
    extra_items: dict[str, float] = field(
        default_factory=lambda: _per_mode(post=0.0, express=0.1, air=0.6, sea=1.5, road=1.0, rail=1.2)
    )
    # Declarations: the share of traffic written as consignments to declarations.parquet, by mode.
    declaration_sample: dict[str, float] = field(
        default_factory=lambda: _per_mode(post=5e-4, express=1e-3, air=1e-2, sea=2e-2, road=5e-3, rail=2e-2)
    )

    events: tuple[PlantedEvent, ...] = (
        PlantedEvent(
            "surge",
            "express-toys-surge",
            "2016Q2",
            modes=("express",),
            provenances=("CN", "HK"),
            products=("toys",),
            multiplier=4.0,
        ),
        PlantedEvent(
            "displacement",
            "rotterdam-tightens",
            "2016Q3",
            modes=("sea",),
            offices=("NLRTM",),
            to_office="BEANR",
            share=0.75,
            control_multiplier=1.5,
        ),
        PlantedEvent(
            "new_modus_operandi",
            "rail-cigarettes",
            "2017Q1",
            modes=("rail",),
            provenances=("CN",),
            products=("tobacco",),
            rate=0.002,
            hs_code="940360",
        ),
    )

    # --- construction -------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain data (YAML/JSON ready)."""
        return _plain(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "scenario") -> Scenario:
        """Defaults overridden by ``data``; every unknown field or bad value is reported at once."""
        problems: list[Problem] = []
        known = {f.name for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        base = cls()
        for key, value in (data or {}).items():
            if key not in known:
                problems.append(
                    Problem("unknown-field", f"unknown scenario field {key!r}", column=key, file=source)
                )
                continue
            if key == "events":
                kwargs[key] = tuple(_event(e, i, problems, source) for i, e in enumerate(value or []))
            elif key == "rule_profiles":
                kwargs[key] = tuple(_rule(r) for r in value or [])
            elif isinstance(getattr(base, key), dict) and isinstance(value, dict):
                kwargs[key] = {**getattr(base, key), **value}
            else:
                kwargs[key] = value
        scenario = dataclasses.replace(base, **kwargs)
        problems.extend(scenario.problems(source=source))
        if problems:
            raise InvalidInput(problems, source=source)
        return scenario

    def validate(self, *, source: str = "scenario") -> None:
        """Raise :class:`~iprisk.errors.InvalidInput` listing every inconsistent parameter."""
        problems = self.problems(source=source)
        if problems:
            raise InvalidInput(problems, source=source)

    def problems(self, *, source: str = "scenario") -> list[Problem]:
        """Every inconsistent parameter (empty when the scenario is valid)."""
        problems: list[Problem] = []
        for name in (
            "eu_import_traffic",
            "cn_export_traffic",
            "infringement_rate",
            "random_control_rate",
            "capacity",
            "declaration_sample",
            "articles_median",
        ):
            missing = [m for m in MODES if m not in getattr(self, name)]
            if missing:
                problems.append(
                    Problem("missing-mode", f"{name} lacks modes {missing}", column=name, file=source)
                )
        for key in self.product_risk:
            if key not in PRODUCT_CATEGORIES:
                problems.append(
                    Problem(
                        "unknown-code",
                        "not a product category",
                        column="product_risk",
                        value=key,
                        file=source,
                    )
                )
        if not 0 < self.detection_probability <= 1:
            problems.append(
                Problem(
                    "range",
                    "must be in (0, 1]",
                    column="detection_probability",
                    value=str(self.detection_probability),
                    file=source,
                )
            )
        for i, ev in enumerate(self.events):
            problems.extend(_check_event(ev, i, source))
        return problems


def _check_event(ev: PlantedEvent, i: int, source: str) -> list[Problem]:
    col = f"events[{i}]"
    out: list[Problem] = []
    if ev.kind not in EVENT_KINDS:
        out.append(
            Problem(
                "unknown-code",
                f"event kind must be one of {EVENT_KINDS}",
                column=col,
                value=ev.kind,
                file=source,
            )
        )
    for attr in ("start", "end"):
        val = getattr(ev, attr)
        if val is None:
            continue
        try:
            Quarter.parse(val)
        except ValueError:
            out.append(
                Problem(
                    "quarter", "not a quarter (YYYYQn)", column=f"{col}.{attr}", value=str(val), file=source
                )
            )
    if ev.kind == "displacement" and (not ev.offices or not ev.to_office):
        out.append(Problem("displacement", "needs offices (source) and to_office", column=col, file=source))
    if ev.kind == "new_modus_operandi" and ev.rate <= 0:
        out.append(
            Problem(
                "range",
                "new_modus_operandi needs rate > 0",
                column=f"{col}.rate",
                value=str(ev.rate),
                file=source,
            )
        )
    offices = {o[0] for o in EU_OFFICES} | {o[0] for o in CN_OFFICES}
    for o in (*ev.offices, *([ev.to_office] if ev.to_office else [])):
        if o not in offices:
            out.append(
                Problem(
                    "unknown-office",
                    "not an office of the simulated world",
                    column=f"{col}.offices",
                    value=o,
                    file=source,
                )
            )
    for m in ev.modes:
        if m not in MODES:
            out.append(
                Problem(
                    "unknown-code",
                    "not a simulated transport mode",
                    column=f"{col}.modes",
                    value=m,
                    file=source,
                )
            )
    for p in ev.products:
        if p not in PRODUCT_CATEGORIES:
            out.append(
                Problem(
                    "unknown-code", "not a product category", column=f"{col}.products", value=p, file=source
                )
            )
    return out


def _event(raw: Any, i: int, problems: list[Problem], source: str) -> PlantedEvent:
    known = {f.name for f in dataclasses.fields(PlantedEvent)}
    data = dict(raw or {})
    for key in list(data):
        if key not in known:
            problems.append(
                Problem("unknown-field", f"unknown event field {key!r}", column=f"events[{i}]", file=source)
            )
            del data[key]
        elif isinstance(data[key], list):
            data[key] = tuple(str(v) for v in data[key])
    for key in ("start", "end"):
        if data.get(key) is not None:
            data[key] = str(data[key])
    data.setdefault("kind", "surge")
    data.setdefault("name", f"event-{i}")
    data.setdefault("start", "2000Q1")
    return PlantedEvent(**data)


def _rule(raw: dict[str, Any]) -> RuleProfile:
    data: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
    return RuleProfile(**data)


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


def default_scenario() -> Scenario:
    """The calibrated default world."""
    return Scenario()


def load_scenario(path: str | Path) -> Scenario:
    """A scenario from a YAML file: the defaults, overridden by the fields the file sets."""
    from iprisk.security import read_document

    p = Path(path)
    data = read_document(p, "yaml") or {}
    if not isinstance(data, dict):
        raise InvalidInput(
            [Problem("not-a-mapping", "a scenario file is a YAML mapping", file=str(p))], source=str(p)
        )
    return Scenario.from_dict(data, source=str(p))
