"""The KA3 map: which lanes it draws, where it is centred, and its SVG and PNG."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iprisk.codes import PORTS, eu_members
from iprisk.errors import InvalidValue, UnsupportedFormat
from iprisk.i18n import Text
from iprisk.reports import lanes_map, lanes_map_svg, map_lanes, map_period, write_lanes_map
from iprisk.reports.lanes_map import _centre, _label_width, _ports

LANES = pd.DataFrame(
    {
        "lane": ["CNSHA -> NLRTM", "HKHKG -> DEFRA", "CNSZX -> USLAX", "? -> BEANR", "CNSHA -> XXZZZ"],
        "cases": [40, 30, 20, 50, 5],
        "cases_per_1000_consignments": [0.5, np.nan, 0.1, np.nan, 1.0],
    }
)


def test_the_map_draws_the_busiest_lanes_between_listed_ports() -> None:
    drawn = map_lanes(LANES, Text("zh"))
    assert list(drawn.lanes["lane"]) == ["CNSHA -> NLRTM", "HKHKG -> DEFRA", "CNSZX -> USLAX"]
    assert drawn.unplaced == 2  # an unknown end, an unlisted port
    assert (drawn.total_cases, drawn.drawn_cases) == (145, 90)
    first = drawn.lanes.iloc[0]
    assert (first.dep_lon, first.dep_lat) == (PORTS["CNSHA"].lon, PORTS["CNSHA"].lat)
    assert first.departure == PORTS["CNSHA"].name_zh  # ports named in the map's language
    assert map_lanes(LANES, top=1).lanes["lane"].tolist() == ["CNSHA -> NLRTM"]


def test_only_the_lanes_into_the_eu_when_asked() -> None:
    drawn = map_lanes(LANES, arrivals=eu_members(date(2017, 12, 31)))
    assert list(drawn.lanes["lane"]) == ["CNSHA -> NLRTM", "HKHKG -> DEFRA"]
    assert drawn.total_cases == 40 + 30 + 50  # the lanes into the EU, placed or not
    assert map_period(2017) == ("2017Q1", "2017Q4", eu_members(date(2017, 12, 31)))
    assert map_period(quarter="2016Q3", eu_only=False) == ("2016Q3", "2016Q3", None)
    with pytest.raises(InvalidValue):
        map_period(2017, "2017Q1")


def test_a_lane_across_the_pacific_is_drawn_inside_the_map() -> None:
    drawn = map_lanes(LANES).lanes
    # Shanghai, Rotterdam, Hong Kong, Frankfurt, Shenzhen and Los Angeles: centred east of China's meridian
    # would put Los Angeles at the edge; the circular mean puts the map's middle over Asia
    assert 60 < _centre(drawn) < 140
    spec = lanes_map(drawn).to_dict()
    rotate = spec["layer"][0]["projection"]["rotate"]
    assert rotate[0] == pytest.approx(-_centre(drawn))


def test_svg_and_png_are_written_by_suffix(tmp_path: Path) -> None:
    svg = lanes_map_svg(LANES, Text("zh"))
    assert svg.startswith("<svg") and "鹿特丹" in svg and 'id="map-' in svg  # ids prefixed
    png = write_lanes_map(LANES, tmp_path / "lanes.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert write_lanes_map(LANES, tmp_path / "lanes.svg", Text("en")).read_text().startswith("<svg")
    with pytest.raises(UnsupportedFormat):
        write_lanes_map(LANES, tmp_path / "lanes.pdf")
    assert not (tmp_path / "lanes.pdf").exists()


def test_a_lane_whose_traffic_is_unknown_is_drawn_grey() -> None:
    """Every lane is drawn: grey without an incidence, coloured with one, also when none is known."""
    from iprisk.reports.lanes_map import _NO_TRAFFIC

    def strokes(svg: str) -> list[str]:
        return re.findall(r'aria-label="[^"]*lane: [^"]*"[^>]*stroke="([^"]+)"', svg)

    mixed = strokes(lanes_map_svg(LANES))  # three lanes drawn, one without traffic (HKHKG -> DEFRA)
    assert len(mixed) == 3 and mixed.count(_NO_TRAFFIC) == 1
    unknown = strokes(lanes_map_svg(LANES.drop(columns="cases_per_1000_consignments")))
    assert unknown == [_NO_TRAFFIC] * 3


def test_an_empty_table_gives_a_basemap() -> None:
    empty = LANES.iloc[:0]
    assert map_lanes(empty).lanes.empty
    assert len(lanes_map(empty).to_dict()["layer"]) == 1


def test_port_labels_are_left_out_where_they_would_cover_another() -> None:
    # Amsterdam airport and Rotterdam are 50 km apart: one name; Frankfurt, a few hundred km east, gets its
    # own unless a longer name would reach it; Shanghai, far away, always
    lanes = pd.DataFrame(
        {
            "lane": ["CNSHA -> NLRTM", "CNSHA -> NLAMS", "CNSHA -> DEFRA"],
            "cases": [50, 40, 30],
            "cases_per_1000_consignments": [0.5, 0.4, 0.3],
        }
    )
    frame = map_lanes(lanes, Text("en")).lanes
    centre = _centre(frame)
    ports = _ports(frame, centre, scale=4.0).set_index("port")
    assert ports.loc["CNSHA", "labelled"] and ports.loc["NLRTM", "labelled"]
    assert not ports.loc["NLAMS", "labelled"]  # its label would write over Rotterdam's
    assert ports.loc["NLRTM", "align"] == "left" and ports.loc["CNSHA", "align"] == "right"  # inwards
    # zoomed in far enough, the three European names fit side by side
    assert _ports(frame, centre, scale=60.0)["labelled"].all()
    # a Chinese label is measured by its square characters
    assert _label_width("鹿特丹") == 3 * _label_width("鹿") > _label_width("Rot")


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_a_map_without_a_lane_to_draw_says_so(locale: str) -> None:
    from types import SimpleNamespace

    from iprisk.reports.facts import Facts
    from iprisk.reports.sections import Ctx, map_figure

    lanes = pd.DataFrame({"lane": ["CNSHA -> DEAAA", "CNNGB -> NLXXX"], "cases": [1200, 34]})  # unlisted ends
    inputs = SimpleNamespace(snapshot=SimpleNamespace(short="0123abcd"))
    ctx = Ctx(inputs, Text(locale), Facts({"lanes": lanes}))  # type: ignore[arg-type]
    caption = map_figure(ctx, "lanes", date(2017, 12, 31)).caption
    numbers = [p.value for p in caption.parts if hasattr(p, "origin")]
    assert numbers == [1234]  # the cases into the EU, no "0 busiest lanes"
    assert "0 " not in caption.plain(ctx.text).replace("1,234", "")
