from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iprisk.codes import (
    COUNTRY_CODES,
    PORT_KINDS,
    PORTS,
    Port,
    eu_members,
    is_known_port,
    is_well_formed_locode,
    is_well_formed_locode_array,
    port,
    ports_for,
)
from iprisk.codes.ports import _parse
from iprisk.errors import UnknownCode

# Rough (lat_min, lat_max, lon_min, lon_max) of each country that has listed ports (mainland Europe only for
# ES, FR, PT: the list has no overseas locations).
BOXES: dict[str, tuple[float, float, float, float]] = {
    "AT": (46.3, 49.1, 9.5, 17.2),
    "BE": (49.5, 51.6, 2.5, 6.5),
    "BG": (41.2, 44.3, 22.3, 28.7),
    "CN": (18.0, 54.0, 73.0, 135.0),
    "CY": (34.5, 35.8, 32.2, 34.7),
    "CZ": (48.5, 51.1, 12.1, 18.9),
    "DE": (47.2, 55.1, 5.8, 15.1),
    "DK": (54.5, 57.8, 8.0, 15.2),
    "EE": (57.5, 59.7, 21.7, 28.3),
    "ES": (35.9, 43.9, -9.4, 4.4),
    "FI": (59.7, 70.1, 20.5, 31.6),
    "FR": (41.3, 51.2, -5.2, 9.6),
    "GB": (49.8, 60.9, -8.7, 1.8),
    "GR": (34.8, 41.8, 19.3, 29.7),
    "HK": (22.1, 22.6, 113.8, 114.5),
    "HR": (42.3, 46.6, 13.4, 19.5),
    "HU": (45.7, 48.6, 16.1, 22.9),
    "IE": (51.4, 55.4, -10.5, -5.9),
    "IT": (35.4, 47.1, 6.6, 18.6),
    "LT": (53.9, 56.5, 20.9, 26.9),
    "LU": (49.4, 50.2, 5.7, 6.6),
    "LV": (55.6, 58.1, 20.9, 28.3),
    "MT": (35.8, 36.1, 14.1, 14.6),
    "NL": (50.7, 53.6, 3.3, 7.3),
    "PL": (49.0, 54.9, 14.1, 24.2),
    "PT": (36.9, 42.2, -9.6, -6.1),
    "RO": (43.6, 48.3, 20.2, 29.8),
    "SE": (55.3, 69.1, 10.9, 24.2),
    "SI": (45.4, 46.9, 13.3, 16.7),
    # provenance and transit hubs outside the EU and China
    "SG": (1.1, 1.5, 103.6, 104.1),
    "AE": (22.5, 26.1, 51.5, 56.4),
    "TR": (35.8, 42.2, 25.6, 44.9),
    "IN": (6.5, 35.7, 68.1, 97.4),
    "KR": (33.1, 38.7, 124.6, 131.0),
    "JP": (24.0, 45.6, 122.9, 146.0),
    "US": (24.5, 49.4, -125.0, -66.9),
    "VN": (8.4, 23.4, 102.1, 109.5),
    "TH": (5.6, 20.5, 97.3, 105.7),
    "MY": (0.8, 7.4, 99.6, 119.3),
    "MA": (27.6, 35.95, -13.2, -1.0),
    "BR": (-33.8, 5.3, -74.0, -34.7),
    "PA": (7.2, 9.7, -83.1, -77.1),
    "NG": (4.2, 13.9, 2.7, 14.7),
    "SA": (16.3, 32.2, 34.5, 55.7),
    "RU": (41.2, 77.7, 19.6, 180.0),
    "KZ": (40.5, 55.5, 46.4, 87.4),
    "KG": (39.1, 43.3, 69.2, 80.3),
    "UA": (44.3, 52.4, 22.1, 40.3),
    "RS": (42.2, 46.2, 18.8, 23.0),
    "AU": (-43.7, -10.6, 113.1, 153.7),
}


def test_enough_ports() -> None:
    assert len(PORTS) >= 40
    assert sum(p.country == "CN" for p in PORTS.values()) >= 10
    eu = eu_members(date(2020, 2, 1))
    assert sum(p.country in eu for p in PORTS.values()) >= 15


@pytest.mark.parametrize("locode", list(PORTS))
def test_port_row_is_consistent(locode: str) -> None:
    p = PORTS[locode]
    assert p.locode == locode and is_well_formed_locode(locode)
    assert p.country == locode[:2] and p.country in COUNTRY_CODES
    assert p.kind in PORT_KINDS and p.kinds[0] == p.kind and set(p.kinds) <= PORT_KINDS
    assert len(set(p.kinds)) == len(p.kinds)
    assert p.name.strip() and p.name_zh.strip() and p.name != p.name_zh
    lat_min, lat_max, lon_min, lon_max = BOXES[p.country]
    assert lat_min <= p.lat <= lat_max and lon_min <= p.lon <= lon_max, (locode, p.lat, p.lon)


@pytest.mark.parametrize(
    ("locode", "kind"),
    [
        ("CNSHA", "sea"), ("CNNGB", "sea"), ("CNYTN", "sea"), ("CNSHK", "sea"), ("CNTAO", "sea"),
        ("CNTXG", "sea"), ("CNXMN", "sea"), ("CNDLC", "sea"), ("CNNSA", "sea"), ("CNFOC", "sea"),
        ("CNPVG", "air"), ("CNPEK", "air"), ("CNCAN", "air"), ("CNCTU", "air"), ("CNCGO", "air"),
        ("CNXIY", "rail"), ("CNCKG", "rail"), ("CNWUH", "rail"), ("DEDUI", "rail"), ("PLMAL", "rail"),
        ("BELGG", "express"), ("DECGN", "express"), ("DELEJ", "express"),
        ("HKHKG", "sea"), ("NLRTM", "sea"), ("BEANR", "sea"), ("DEHAM", "sea"), ("DEBRV", "sea"),
        ("ESVLC", "sea"), ("ESALG", "sea"), ("ITGOA", "sea"), ("ITGIT", "sea"), ("GRPIR", "sea"),
        ("FRLEH", "sea"), ("FRMRS", "sea"), ("PLGDN", "sea"), ("SIKOP", "sea"),
        ("DEFRA", "air"), ("NLAMS", "air"), ("FRCDG", "air"), ("BEBRU", "air"), ("ITMXP", "air"),
        ("ESMAD", "air"),
    ],
)  # fmt: skip
def test_required_locations_are_listed(locode: str, kind: str) -> None:
    assert port(locode).kind == kind


def test_shenzhen_serves_sea_and_air() -> None:
    shenzhen = port("CNSZX")
    assert shenzhen.kind == "sea" and shenzhen.serves("air") and not shenzhen.serves("rail")


def test_known_coordinates() -> None:
    # a few well-known points, to 0.1 degree
    assert port("NLRTM").lat == pytest.approx(51.95, abs=0.1)
    assert port("CNSHA").lon == pytest.approx(121.5, abs=0.2)
    assert port("GRPIR").lat == pytest.approx(37.94, abs=0.1)


@pytest.mark.parametrize("code", ["CNSHA", "NLRTM", "DEZZ9", "XKPRN", "GB2AB"])
def test_well_formed_locodes(code: str) -> None:
    assert is_well_formed_locode(code)


@pytest.mark.parametrize(
    "code",
    ["cnsha", "CNSH", "CNSHAX", "ZZSHA", "EUABC", "CNSH1", "CNSH0", " CNSHA", "CN SH", "", None, 12345],
)
def test_malformed_locodes(code: object) -> None:
    assert not is_well_formed_locode(code)


def test_known_versus_unknown() -> None:
    assert is_known_port("CNSHA")
    assert not is_known_port("DEZZ9")  # well formed, not listed: accepted elsewhere with a warning
    assert not is_known_port("cnsha") and not is_known_port(None)
    with pytest.raises(UnknownCode) as info:
        port("DEZZ9")
    assert info.value.code == "DEZZ9" and info.value.code_list == "port"


def test_ports_mapping_is_read_only_and_ports_frozen() -> None:
    with pytest.raises(TypeError):
        PORTS["XXXXX"] = PORTS["CNSHA"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        PORTS["CNSHA"].lat = 0.0  # type: ignore[misc]
    assert isinstance(PORTS["CNSHA"], Port)


def test_ports_for() -> None:
    rail_cn = ports_for("rail", "CN")
    assert {"CNXIY", "CNCKG", "CNWUH", "CNCGO"} <= {p.locode for p in rail_cn}
    assert all(p.country == "CN" and p.serves("rail") for p in rail_cn)
    main_rail = ports_for("rail", main_only=True)
    assert all(p.kind == "rail" for p in main_rail) and "CNCGO" not in {p.locode for p in main_rail}
    assert ports_for("post", "CN") and ports_for("post", "DE") and ports_for("road")
    assert len(ports_for()) == len(PORTS)
    with pytest.raises(UnknownCode):
        ports_for("ship")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("CNSH,A,甲,sea,sea,1,1", "malformed"),
        ("CNSHA,A,甲,boat,boat,1,1", "kind"),
        ("CNSHA,A,甲,sea,air|sea,1,1", "kind"),
        ("CNSHA,A,甲,sea,sea,100,1", "coordinates"),
    ],
)
def test_broken_data_file_fails_loudly(row: str, message: str) -> None:
    header = "locode,name,name_zh,kind,kinds,lat,lon\n"
    with pytest.raises(ValueError, match=message):
        _parse(header + row + "\n", "test.csv")
    with pytest.raises(ValueError, match="duplicate"):
        _parse(header + "CNSHA,A,甲,sea,sea,1,1\nCNSHA,A,甲,sea,sea,1,1\n", "test.csv")


def test_docs_list_every_port() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "codes.md").read_text(encoding="utf-8")
    rows = {
        p.locode: f"| `{p.locode}` | {p.name} | {p.name_zh} | {p.country} | {p.kind} "
        f"| {', '.join(p.kinds[1:])} | {p.lat:.2f} | {p.lon:.2f} |"
        for p in PORTS.values()
    }
    stale = [locode for locode, row in rows.items() if row not in doc.splitlines()]
    assert not stale, f"ports missing or out of date in docs/codes.md: {stale}"


_locodes = st.one_of(
    st.sampled_from(sorted(PORTS)),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789a \n", min_size=4, max_size=6),
    st.builds(str.__add__, st.sampled_from(["CN", "DE", "ZZ", "XK", "cn"]), st.text("AZ19b ", max_size=4)),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=6),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), _locodes), max_size=30))
def test_vectorised_locode_check_equals_scalar(codes: list[str | None]) -> None:
    expected = [None if c is None else is_well_formed_locode(c) for c in codes]
    assert is_well_formed_locode_array(codes).to_pylist() == expected
