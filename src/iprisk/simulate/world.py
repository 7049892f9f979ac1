"""The fixed geography and product catalogue of the synthetic world, and the trade lanes built from them.

A *lane* is one reporting administration's office seeing one flow of consignments by one transport mode from
one provenance (and departure port) to one destination. Lanes are static data; how much traffic and how much
infringement they carry is the scenario's business (:mod:`iprisk.simulate.latent`).

Offices and ports are real UN/LOCODEs so that seizure files read like real ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MODES: tuple[str, ...] = ("post", "express", "air", "sea", "road", "rail")

PRODUCTS: tuple[str, ...] = (
    "foodstuffs",
    "body_care",
    "clothing",
    "shoes",
    "personal_accessories",
    "mobile_phones",
    "electronics",
    "media",
    "toys",
    "games",
    "sporting_articles",
    "tobacco",
    "medicines",
    "labels_packaging",
    "vehicle_parts",
    "other",
)


@dataclass(frozen=True, slots=True)
class Product:
    """Catalogue facts of a product category: HS codes it is declared under and its unit economics."""

    code: str
    hs_codes: tuple[str, ...]
    value_per_kg: float  # declared customs value, EUR per kg
    retail_per_article: float  # retail value of the genuine article, EUR
    articles_factor: float  # how many articles a detained consignment holds, relative to the mode's norm


CATALOGUE: dict[str, Product] = {
    p.code: p
    for p in (
        Product("foodstuffs", ("220421", "090240", "210390", "170490"), 5.0, 4.0, 3.0),
        Product("body_care", ("330300", "330499", "330510", "340111"), 20.0, 12.0, 1.5),
        Product("clothing", ("610910", "620342", "611020", "610462", "650500"), 25.0, 30.0, 1.0),
        Product("shoes", ("640411", "640399", "640299"), 30.0, 60.0, 0.7),
        Product("personal_accessories", ("420222", "910211", "711719", "900410", "420221"), 80.0, 70.0, 0.6),
        Product("mobile_phones", ("851712", "851770", "850760", "392690"), 150.0, 25.0, 0.8),
        Product("electronics", ("847130", "851830", "850440", "852872", "847160"), 60.0, 30.0, 0.6),
        Product("media", ("852349", "852341"), 30.0, 15.0, 1.0),
        Product("toys", ("950300",), 8.0, 10.0, 2.0),
        Product("games", ("950450", "950490"), 50.0, 25.0, 0.5),
        Product("sporting_articles", ("950662", "950631", "950699"), 15.0, 25.0, 1.0),
        Product("tobacco", ("240220",), 40.0, 0.25, 6.0),
        Product("medicines", ("300490", "300450"), 100.0, 1.0, 5.0),
        Product("labels_packaging", ("482110", "392321", "580710"), 10.0, 0.5, 8.0),
        Product("vehicle_parts", ("870899", "870830", "401110"), 12.0, 30.0, 0.5),
        Product("other", ("821210", "961900", "850980", "940540"), 10.0, 10.0, 1.5),
    )
}

# EU offices of import: (locode, member state, modes it handles, weight among offices of that mode).
EU_OFFICES: tuple[tuple[str, str, tuple[str, ...], float], ...] = (
    ("DEHAM", "DE", ("sea",), 2.0),
    ("DEBRV", "DE", ("sea",), 0.8),
    ("DEFRA", "DE", ("air", "express", "post"), 2.0),
    ("DELEJ", "DE", ("air", "express"), 1.5),
    ("DECGN", "DE", ("express",), 0.8),
    ("DEDUI", "DE", ("rail", "road"), 2.0),
    ("NLRTM", "NL", ("sea",), 3.0),
    ("NLAMS", "NL", ("air", "express", "post"), 1.8),
    ("BEANR", "BE", ("sea",), 2.0),
    ("BEZEE", "BE", ("sea",), 0.4),
    ("BEBRU", "BE", ("air", "express", "post"), 1.5),
    ("BELGG", "BE", ("air", "express"), 1.0),
    ("FRLEH", "FR", ("sea",), 1.0),
    ("FRMRS", "FR", ("sea",), 0.6),
    ("FRCDG", "FR", ("air", "express", "post"), 1.6),
    ("ESVLC", "ES", ("sea",), 1.0),
    ("ESALG", "ES", ("sea",), 0.6),
    ("ESBCN", "ES", ("sea",), 0.5),
    ("ESMAD", "ES", ("air", "express", "post"), 0.9),
    ("ITGOA", "IT", ("sea",), 0.8),
    ("ITGIT", "IT", ("sea",), 0.5),
    ("ITTRS", "IT", ("sea",), 0.3),
    ("ITMXP", "IT", ("air", "express"), 1.0),
    ("ITFCO", "IT", ("post",), 0.8),
    ("PLGDN", "PL", ("sea",), 0.5),
    ("PLWAW", "PL", ("air", "post", "road"), 0.8),
    ("PLMAL", "PL", ("rail",), 1.5),
    ("GBFXT", "GB", ("sea",), 1.5),
    ("GBLHR", "GB", ("air", "express", "post"), 1.8),
    ("ATVIE", "AT", ("air", "post"), 0.6),
    ("GRPIR", "GR", ("sea",), 0.8),
    ("HUBUD", "HU", ("air", "express", "post", "road", "rail"), 0.5),
    ("CZPRG", "CZ", ("air", "rail"), 0.4),
    ("DKCPH", "DK", ("air", "post"), 0.4),
    ("SEGOT", "SE", ("sea",), 0.4),
    ("BGVAR", "BG", ("sea", "road"), 1.2),
    ("ROCND", "RO", ("sea", "road"), 0.4),
    ("SIKOP", "SI", ("sea",), 0.3),
    ("IEDUB", "IE", ("sea", "air", "post"), 0.3),
)

# Chinese offices (ports of export): (locode, modes, weight among CN offices of that mode).
CN_OFFICES: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("CNSHA", ("sea",), 3.0),
    ("CNNGB", ("sea",), 2.0),
    ("CNSZX", ("sea", "express", "road"), 2.0),
    ("CNYTN", ("sea",), 1.5),
    ("CNSHK", ("sea",), 0.8),
    ("CNNSA", ("sea",), 0.8),
    ("CNTAO", ("sea", "air"), 1.0),
    ("CNTXG", ("sea",), 0.8),
    ("CNXMN", ("sea", "air"), 0.7),
    ("CNDLC", ("sea",), 0.4),
    ("CNCAN", ("air", "express", "post"), 2.0),
    ("CNPVG", ("air", "express", "post"), 2.5),
    ("CNPEK", ("air", "express"), 1.2),
    ("CNBJS", ("post",), 0.8),
    ("CNHGH", ("express", "post"), 1.0),
    ("CNCGO", ("air", "express", "post"), 0.8),
    ("CNCTU", ("air", "rail"), 0.6),
    ("CNXIY", ("rail",), 0.8),
    ("CNCKG", ("rail",), 1.0),
    ("CNWUH", ("rail",), 0.5),
    ("CNURC", ("road", "rail"), 1.0),
    ("CNYIW", ("rail", "post"), 1.0),
)

# Departure ports of each provenance by mode (first: main).
PROVENANCE_PORTS: dict[str, dict[str, tuple[str, ...]]] = {
    "CN": {
        "sea": ("CNSHA", "CNNGB", "CNYTN", "CNSHK", "CNTAO", "CNXMN", "CNTXG"),
        "air": ("CNPVG", "CNCAN", "CNPEK", "CNCGO"),
        "express": ("CNSZX", "CNPVG", "CNCAN", "CNHGH"),
        "post": ("CNCAN", "CNPVG", "CNYIW", "CNBJS"),
        "rail": ("CNCKG", "CNXIY", "CNYIW", "CNWUH"),
        "road": ("CNURC",),
    },
    "HK": {m: ("HKHKG",) for m in ("sea", "air", "express", "post")},
    "TR": {
        "sea": ("TRMER", "TRIST"),
        "air": ("TRIST",),
        "express": ("TRIST",),
        "post": ("TRIST",),
        "road": ("TRIST",),
    },
    "AE": {"sea": ("AEJEA",), "air": ("AEDXB",), "express": ("AEDXB",), "post": ("AEDXB",)},
    "IN": {"sea": ("INNSA",), "air": ("INBOM",), "express": ("INBOM",), "post": ("INBOM",)},
    "SG": {"sea": ("SGSIN",), "air": ("SGSIN",), "express": ("SGSIN",), "post": ("SGSIN",)},
    "TH": {"sea": ("THLCH",), "air": ("THBKK",), "post": ("THBKK",)},
    "VN": {"sea": ("VNSGN",), "air": ("VNSGN",)},
    "MY": {"sea": ("MYPKG",), "air": ("MYKUL",)},
    "US": {"air": ("USJFK",), "express": ("USMEM",), "post": ("USNYC",)},
    "UA": {"road": ("UAODS",)},
    "RS": {"road": ("RSBEG",)},
    "MA": {"sea": ("MAPTM",), "road": ("MATNG",)},
}

# Share of EU import consignments by provenance, per mode (renormalised over provenances serving the mode).
PROVENANCE_SHARE: dict[str, dict[str, float]] = {
    "post": {"CN": 0.55, "HK": 0.15, "SG": 0.05, "TR": 0.04, "IN": 0.03, "US": 0.12, "TH": 0.03, "AE": 0.03},
    "express": {"CN": 0.45, "HK": 0.18, "SG": 0.05, "TR": 0.05, "IN": 0.04, "US": 0.18, "AE": 0.05},
    "air": {
        "CN": 0.40,
        "HK": 0.15,
        "AE": 0.10,
        "IN": 0.08,
        "SG": 0.06,
        "TR": 0.06,
        "US": 0.10,
        "TH": 0.03,
        "VN": 0.01,
        "MY": 0.01,
    },
    "sea": {
        "CN": 0.50,
        "HK": 0.04,
        "TR": 0.10,
        "IN": 0.08,
        "AE": 0.06,
        "SG": 0.04,
        "VN": 0.07,
        "MY": 0.04,
        "TH": 0.04,
        "MA": 0.03,
    },
    "road": {"TR": 0.45, "UA": 0.25, "RS": 0.20, "MA": 0.05, "CN": 0.05},
    "rail": {"CN": 1.0},
}

# Destinations of Chinese exports by mode (share of CN export consignments).
CN_DESTINATIONS: dict[str, dict[str, float]] = {
    "post": {
        "US": 0.25,
        "RU": 0.15,
        "DE": 0.07,
        "FR": 0.05,
        "GB": 0.07,
        "ES": 0.03,
        "IT": 0.03,
        "NL": 0.02,
        "BR": 0.08,
        "JP": 0.06,
        "KR": 0.06,
        "AU": 0.05,
        "PL": 0.03,
        "SA": 0.05,
    },
    "express": {
        "US": 0.30,
        "DE": 0.08,
        "GB": 0.08,
        "FR": 0.05,
        "NL": 0.04,
        "BE": 0.04,
        "JP": 0.1,
        "KR": 0.08,
        "AU": 0.05,
        "AE": 0.08,
        "RU": 0.1,
    },
    "air": {
        "US": 0.25,
        "DE": 0.1,
        "NL": 0.08,
        "GB": 0.07,
        "FR": 0.05,
        "AE": 0.1,
        "RU": 0.08,
        "JP": 0.1,
        "KR": 0.07,
        "IN": 0.05,
        "NG": 0.05,
    },
    "sea": {
        "US": 0.2,
        "NL": 0.08,
        "DE": 0.07,
        "BE": 0.04,
        "GB": 0.05,
        "ES": 0.04,
        "IT": 0.04,
        "FR": 0.03,
        "GR": 0.02,
        "AE": 0.1,
        "NG": 0.06,
        "BR": 0.06,
        "RU": 0.05,
        "SA": 0.06,
        "IN": 0.05,
        "PA": 0.05,
    },
    "rail": {"DE": 0.35, "PL": 0.3, "NL": 0.1, "RU": 0.15, "KZ": 0.1},
    "road": {"KZ": 0.4, "RU": 0.3, "KG": 0.3},
}

# Main arrival port per non-EU destination and mode (EU destinations use the EU office table).
_FOREIGN_PORTS: dict[str, str] = {
    "US": "USLAX",
    "RU": "RUMOW",
    "BR": "BRSSZ",
    "JP": "JPTYO",
    "KR": "KRPUS",
    "AU": "AUSYD",
    "SA": "SAJED",
    "AE": "AEJEA",
    "IN": "INNSA",
    "NG": "NGAPP",
    "PA": "PAMIT",
    "KZ": "KZALA",
    "KG": "KGFRU",
}

# CN imports (rare detentions at import): provenance -> share.
CN_IMPORT_PROVENANCE: dict[str, float] = {"US": 0.35, "JP": 0.25, "KR": 0.2, "DE": 0.1, "FR": 0.1}
_CN_IMPORT_PORTS: dict[str, str] = {"US": "USLAX", "JP": "JPTYO", "KR": "KRPUS", "DE": "DEHAM", "FR": "FRLEH"}


def eu_office_country() -> dict[str, str]:
    return {loc: cc for loc, cc, _, _ in EU_OFFICES}


def _eu_office_for(country: str, mode: str) -> str:
    best = [(w, loc) for loc, cc, modes, w in EU_OFFICES if cc == country and mode in modes]
    if not best:
        best = [(w, loc) for loc, cc, _, w in EU_OFFICES if cc == country]
    return max(best)[1] if best else ""


def build_lanes(cn_import_share: float = 0.01) -> pd.DataFrame:
    """Every lane of the world with its relative traffic weight within (side, flow, mode).

    Columns: ``lane`` (int id), ``reporting_admin``, ``side`` ("EU" or "CN"), ``flow``, ``office``,
    ``transport_mode``, ``provenance_country``, ``departure_port``, ``destination_country``, ``arrival_port``,
    ``weight`` (shares that sum to 1 within each side x flow x mode). The row order is fixed so lane ids are
    stable for a given code version.
    """
    rows: list[dict[str, object]] = []
    eu_cc = eu_office_country()
    for mode in MODES:
        offices = [(loc, cc, w) for loc, cc, modes, w in EU_OFFICES if mode in modes]
        w_off = np.array([w for _, _, w in offices], dtype=float)
        w_off /= w_off.sum()
        prov = {p: s for p, s in PROVENANCE_SHARE[mode].items() if mode in PROVENANCE_PORTS[p]}
        total = sum(prov.values())
        for (loc, cc, _), wo in zip(offices, w_off, strict=True):
            for p, sp in prov.items():
                ports = PROVENANCE_PORTS[p][mode]
                wp = np.array([1.0 / (i + 1) for i in range(len(ports))])
                wp /= wp.sum()
                for port, wpp in zip(ports, wp, strict=True):
                    rows.append(
                        dict(
                            reporting_admin=cc,
                            side="EU",
                            flow="import",
                            office=loc,
                            transport_mode=mode,
                            provenance_country=p,
                            departure_port=port,
                            destination_country=cc,
                            arrival_port=loc,
                            weight=float(wo * sp / total * wpp),
                        )
                    )
    for mode in MODES:
        cn_offices = [(loc, w) for loc, modes, w in CN_OFFICES if mode in modes]
        w_off = np.array([w for _, w in cn_offices], dtype=float)
        w_off /= w_off.sum()
        dests = CN_DESTINATIONS[mode]
        total = sum(dests.values())
        for (loc, _), wo in zip(cn_offices, w_off, strict=True):
            for d, sd in dests.items():
                arrival = _eu_office_for(d, mode) if d in set(eu_cc.values()) else _FOREIGN_PORTS.get(d, "")
                rows.append(
                    dict(
                        reporting_admin="CN",
                        side="CN",
                        flow="export",
                        office=loc,
                        transport_mode=mode,
                        provenance_country="CN",
                        departure_port=loc,
                        destination_country=d,
                        arrival_port=arrival,
                        weight=float(wo * sd / total),
                    )
                )
    # A trickle of imports into China (detentions at import are under 1 % of China's batches).
    for mode, office in (("sea", "CNSHA"), ("air", "CNPVG"), ("express", "CNPVG")):
        for p, sp in CN_IMPORT_PROVENANCE.items():
            rows.append(
                dict(
                    reporting_admin="CN",
                    side="CN",
                    flow="import",
                    office=office,
                    transport_mode=mode,
                    provenance_country=p,
                    departure_port=_CN_IMPORT_PORTS[p],
                    destination_country="CN",
                    arrival_port=office,
                    weight=float(sp * cn_import_share),
                )
            )
    lanes = pd.DataFrame(rows)
    lanes.insert(0, "lane", np.arange(len(lanes), dtype=np.int64))
    return lanes


# Share of a mode's consignments by product (rows sum to 1 after normalisation), in PRODUCTS order.
_MIX: dict[str, dict[str, float]] = {
    "post": {
        "foodstuffs": 0.01,
        "body_care": 0.07,
        "clothing": 0.18,
        "shoes": 0.08,
        "personal_accessories": 0.12,
        "mobile_phones": 0.12,
        "electronics": 0.15,
        "media": 0.02,
        "toys": 0.05,
        "games": 0.02,
        "sporting_articles": 0.04,
        "tobacco": 0.0,
        "medicines": 0.04,
        "labels_packaging": 0.01,
        "vehicle_parts": 0.02,
        "other": 0.07,
    },
    "express": {
        "foodstuffs": 0.01,
        "body_care": 0.07,
        "clothing": 0.16,
        "shoes": 0.08,
        "personal_accessories": 0.12,
        "mobile_phones": 0.12,
        "electronics": 0.16,
        "media": 0.02,
        "toys": 0.05,
        "games": 0.03,
        "sporting_articles": 0.04,
        "tobacco": 0.0,
        "medicines": 0.03,
        "labels_packaging": 0.02,
        "vehicle_parts": 0.02,
        "other": 0.07,
    },
    "air": {
        "foodstuffs": 0.02,
        "body_care": 0.05,
        "clothing": 0.12,
        "shoes": 0.05,
        "personal_accessories": 0.08,
        "mobile_phones": 0.15,
        "electronics": 0.25,
        "media": 0.01,
        "toys": 0.04,
        "games": 0.04,
        "sporting_articles": 0.02,
        "tobacco": 0.005,
        "medicines": 0.04,
        "labels_packaging": 0.02,
        "vehicle_parts": 0.02,
        "other": 0.10,
    },
    "sea": {
        "foodstuffs": 0.06,
        "body_care": 0.04,
        "clothing": 0.15,
        "shoes": 0.08,
        "personal_accessories": 0.05,
        "mobile_phones": 0.02,
        "electronics": 0.10,
        "media": 0.01,
        "toys": 0.12,
        "games": 0.02,
        "sporting_articles": 0.06,
        "tobacco": 0.03,
        "medicines": 0.01,
        "labels_packaging": 0.04,
        "vehicle_parts": 0.06,
        "other": 0.15,
    },
    "road": {
        "foodstuffs": 0.10,
        "body_care": 0.08,
        "clothing": 0.20,
        "shoes": 0.10,
        "personal_accessories": 0.06,
        "mobile_phones": 0.02,
        "electronics": 0.06,
        "media": 0.01,
        "toys": 0.04,
        "games": 0.01,
        "sporting_articles": 0.03,
        "tobacco": 0.05,
        "medicines": 0.01,
        "labels_packaging": 0.02,
        "vehicle_parts": 0.08,
        "other": 0.13,
    },
    "rail": {
        "foodstuffs": 0.01,
        "body_care": 0.02,
        "clothing": 0.15,
        "shoes": 0.05,
        "personal_accessories": 0.05,
        "mobile_phones": 0.0,
        "electronics": 0.25,
        "media": 0.0,
        "toys": 0.10,
        "games": 0.02,
        "sporting_articles": 0.05,
        "tobacco": 0.0,
        "medicines": 0.0,
        "labels_packaging": 0.02,
        "vehicle_parts": 0.10,
        "other": 0.18,
    },
}


def product_mix() -> np.ndarray:
    """Matrix (mode x product) of consignment shares, rows summing to 1, in ``MODES`` x ``PRODUCTS`` order."""
    mix = np.array([[_MIX[m][p] for p in PRODUCTS] for m in MODES], dtype=float)
    return mix / mix.sum(axis=1, keepdims=True)


# Typical gross mass of one consignment (kg, median) by mode.
MASS_MEDIAN: dict[str, float] = {
    "post": 0.6,
    "express": 2.0,
    "air": 200.0,
    "sea": 9000.0,
    "road": 4000.0,
    "rail": 7000.0,
}
