"""The KA3 map: lanes from their departure port to their arrival port (China to the EU, and the other
provenances), width by cases, colour by incidence per thousand consignments, on a Natural Earth basemap
shipped in the package (``reports/data/countries-110m.json``, public domain; see ``data/SOURCE.md``).

Library functions the dashboard reuses: :func:`map_lanes` (the data: one row per lane drawn, with its
ports' coordinates), :func:`lanes_map` (an Altair chart the dashboard can make interactive), and
:func:`lanes_map_svg` / :func:`lanes_map_png`. Lanes are drawn as great-circle arcs between the ports'
coordinates (:data:`iprisk.codes.PORTS`); a lane with an unknown or unlisted end is not drawn and is
counted in :class:`MapLanes`.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import altair as alt
import numpy as np
import pandas as pd

from iprisk.codes import PORTS, eu_members
from iprisk.errors import InvalidValue, UnsupportedFormat
from iprisk.i18n import Text
from iprisk.lanes import SEPARATOR
from iprisk.periods import Quarter
from iprisk.reports.output import atomic_write_bytes, atomic_write_text
from iprisk.reports.render import to_png, to_svg

#: Lanes drawn at most (the busiest); the rest would only blur the picture.
TOP_LANES = 40
#: Margin around the drawn ports, in degrees.
_MARGIN = 6.0
_NO_TRAFFIC = "#9e9e9e"


@dataclass(frozen=True)
class MapLanes:
    """The lanes a map draws, and what it leaves out."""

    #: lane, departure_port, arrival_port, dep_lon, dep_lat, arr_lon, arr_lat, cases, incidence (NaN without
    #: traffic), departure / arrival (port names in the map's language)
    lanes: pd.DataFrame
    #: cases of every lane given (arriving where asked), and of the lanes drawn
    total_cases: int
    drawn_cases: int
    #: lanes left out because an end is unknown or not a listed port
    unplaced: int


def map_lanes(
    lanes: pd.DataFrame,
    text: Text | None = None,
    *,
    top: int = TOP_LANES,
    arrivals: Collection[str] | None = None,
) -> MapLanes:
    """The ``top`` busiest lanes of a lanes table (``iprisk.analysis.concentration(..., "lane")``: ``lane``,
    ``cases``, optionally ``cases_per_1000_consignments``) whose two ends are listed ports, arriving in one
    of the countries ``arrivals`` (e.g. the EU members; any when None)."""
    text = text or Text()
    ends = lanes["lane"].astype(str).str.split(SEPARATOR, n=1, regex=False)
    frame = lanes.assign(departure_port=ends.str[0], arrival_port=ends.str[1].fillna(""))
    if arrivals is not None:
        frame = frame[frame["arrival_port"].str[:2].isin(list(arrivals))]
    placed = frame["departure_port"].isin(list(PORTS)) & frame["arrival_port"].isin(list(PORTS))
    drawn = frame[placed].sort_values(["cases", "lane"], ascending=[False, True]).head(top)
    incidence = (
        drawn["cases_per_1000_consignments"]
        if "cases_per_1000_consignments" in drawn
        else pd.Series(float("nan"), index=drawn.index)
    )
    out = pd.DataFrame(
        {
            "lane": drawn["lane"].astype(str),
            "departure_port": drawn["departure_port"],
            "arrival_port": drawn["arrival_port"],
            "dep_lon": [PORTS[p].lon for p in drawn["departure_port"]],
            "dep_lat": [PORTS[p].lat for p in drawn["departure_port"]],
            "arr_lon": [PORTS[p].lon for p in drawn["arrival_port"]],
            "arr_lat": [PORTS[p].lat for p in drawn["arrival_port"]],
            "cases": drawn["cases"].astype(int),
            "incidence": incidence.astype(float),
            "departure": [PORTS[p].label(text.locale) for p in drawn["departure_port"]],
            "arrival": [PORTS[p].label(text.locale) for p in drawn["arrival_port"]],
        }
    ).reset_index(drop=True)
    return MapLanes(out, int(frame["cases"].sum()), int(out["cases"].sum()), int((~placed).sum()))


@cache
def _basemap() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (files("iprisk.reports") / "data" / "countries-110m.json").read_text(encoding="utf-8")
    )
    return data


def lanes_map(
    lanes: pd.DataFrame | MapLanes,
    text: Text | None = None,
    *,
    top: int = TOP_LANES,
    width: int = 640,
    height: int = 360,
) -> alt.LayerChart:
    """The map as an Altair chart: basemap, lanes (arcs, width by cases, colour by incidence; grey where the
    lane's traffic is unknown) and ports (labelled with their name in ``text``'s language)."""
    text = text or Text()
    drawn = lanes if isinstance(lanes, MapLanes) else map_lanes(lanes, text, top=top)
    frame = drawn.lanes
    centre = _centre(frame)
    projection = alt.Projection(type="equalEarth", rotate=[-centre, 0, 0], fit=_extent(frame, centre))
    countries = (
        alt.Chart(alt.Data(values=_basemap(), format=alt.DataFormat(type="topojson", feature="countries")))
        .mark_geoshape(fill="#ececec", stroke="#ffffff", strokeWidth=0.5, clip=True)
        .project(**projection.to_dict())
    )
    layers: list[alt.Chart] = [countries]
    if not frame.empty:
        layers += _lane_layers(frame, text, projection, centre)
    return alt.LayerChart(layer=layers, width=width, height=height)


def _centre(frame: pd.DataFrame) -> float:
    """The longitude the map is centred on: the circular mean of the drawn ports (so that a lane from China
    to California crosses the Pacific inside the map, not its edge); 60 E without lanes."""
    if frame.empty:
        return 60.0
    lons = np.radians([*frame["dep_lon"], *frame["arr_lon"]])
    return float(np.degrees(np.arctan2(np.sin(lons).mean(), np.cos(lons).mean())))


def _unwrap(lons: Any, centre: float) -> np.ndarray:
    """Longitudes within 180 degrees of ``centre`` (a port at 118 W is at 242 E seen from China)."""
    return centre + (np.asarray(lons, dtype=float) - centre + 180.0) % 360.0 - 180.0


def _extent(frame: pd.DataFrame, centre: float) -> dict[str, Any]:
    """The area the map shows: every drawn port with a margin (Europe to East Asia when empty), in
    longitudes unwrapped around ``centre``."""
    if frame.empty:
        lons, lats = [-12.0, 125.0], [20.0, 62.0]
    else:
        lons = list(_unwrap([*frame["dep_lon"], *frame["arr_lon"]], centre))
        lats = [*frame["dep_lat"], *frame["arr_lat"]]
    west, east = min(lons) - _MARGIN, max(lons) + _MARGIN
    south, north = max(min(lats) - _MARGIN, -85.0), min(max(lats) + _MARGIN, 85.0)
    # the edges as dense lines: a four-corner ring would be read as great circles, bulging north
    steps = np.linspace(0.0, 1.0, 19)
    ring = (
        [[west + (east - west) * f, south] for f in steps]
        + [[east, south + (north - south) * f] for f in steps[1:]]
        + [[east - (east - west) * f, north] for f in steps[1:]]
        + [[west, north - (north - south) * f] for f in steps[1:]]
    )
    return {"type": "Feature", "geometry": {"type": "MultiPoint", "coordinates": ring}, "properties": {}}


def _lane_layers(
    frame: pd.DataFrame, text: Text, projection: alt.Projection, centre: float
) -> list[alt.Chart]:
    arcs = [
        {
            "type": "Feature",
            "geometry": {
                "type": "LineString",
                "coordinates": [[r["dep_lon"], r["dep_lat"]], [r["arr_lon"], r["arr_lat"]]],
            },
            "properties": {
                "lane": r["lane"],
                "cases": int(r["cases"]),
                "incidence": None if pd.isna(r["incidence"]) else round(float(r["incidence"]), 4),
            },
        }
        for r in frame.sort_values("cases", kind="stable").to_dict("records")
    ]
    cases_title = text.gettext("cases")
    incidence_title = text.gettext("cases per thousand consignments")
    width = alt.StrokeWidth(
        "properties.cases:Q",
        title=cases_title,
        scale=alt.Scale(range=[0.6, 7], zero=False),
        legend=alt.Legend(symbolType="stroke", symbolStrokeColor="#888888"),
    )
    lane_layer = (
        alt.Chart(alt.Data(values=arcs))
        .mark_geoshape(filled=False, strokeCap="round", opacity=0.85)
        .encode(
            strokeWidth=width,
            color=alt.condition(
                "isValid(datum.properties.incidence)",
                alt.Color(
                    "properties.incidence:Q",
                    title=incidence_title,
                    scale=alt.Scale(scheme="orangered"),
                    # a symbol legend: WeasyPrint draws no SVG gradient on a path, so the PDF would show none
                    legend=alt.Legend(type="symbol", symbolType="stroke", symbolStrokeWidth=4, format=",.2f"),
                ),
                alt.value(_NO_TRAFFIC),
            ),
            tooltip=[
                alt.Tooltip("properties.lane:N", title=text.gettext("lane")),
                alt.Tooltip("properties.cases:Q", title=cases_title),
                alt.Tooltip("properties.incidence:Q", title=incidence_title, format=",.2f"),
            ],
        )
        .project(**projection.to_dict())
    )
    ports = _ports(frame)
    dots = (
        alt.Chart(ports)
        .mark_circle(color="#333333", opacity=0.9)
        .encode(longitude="lon:Q", latitude="lat:Q", size=alt.value(14))
        .project(**projection.to_dict())
    )
    layers: list[alt.Chart] = [lane_layer, dots]
    # labels point inwards: right of the western ports, left of the eastern ones (off the map's edge)
    east = _unwrap(ports["lon"], centre) > centre
    sides: tuple[tuple[Any, Literal["left", "right"], int], ...] = ((~east, "left", 4), (east, "right", -4))
    for side, align, dx in sides:
        named = alt.Chart(ports[ports["labelled"] & side]).encode(
            longitude="lon:Q", latitude="lat:Q", text="name:N"
        )
        halo = named.mark_text(
            align=align, dx=dx, dy=-4, fontSize=8, stroke="white", strokeWidth=2.5, strokeJoin="round"
        )
        label = named.mark_text(align=align, dx=dx, dy=-4, fontSize=8, color="#222222")
        layers += [halo.project(**projection.to_dict()), label.project(**projection.to_dict())]
    return layers


def _ports(frame: pd.DataFrame, labelled: int = 7) -> pd.DataFrame:
    """One row per drawn port with its cases over the drawn lanes; the busiest are labelled."""
    ends = pd.concat(
        [
            frame[["departure_port", "departure", "dep_lon", "dep_lat", "cases"]].set_axis(
                ["port", "name", "lon", "lat", "cases"], axis=1
            ),
            frame[["arrival_port", "arrival", "arr_lon", "arr_lat", "cases"]].set_axis(
                ["port", "name", "lon", "lat", "cases"], axis=1
            ),
        ]
    )
    summed = ends.groupby(["port", "name", "lon", "lat"])["cases"].sum().reset_index()
    ports = summed.sort_values(["cases", "port"], ascending=[False, True]).reset_index(drop=True)
    ports["labelled"] = _spread(ports, labelled)
    return ports


def _spread(ports: pd.DataFrame, labelled: int, apart: float = 10.0) -> list[bool]:
    """The busiest ports to label, skipping one within ``apart`` degrees of a port already labelled (the
    airports of one city, or of a small country, would write over each other)."""
    chosen: list[tuple[float, float]] = []
    out = []
    for lon, lat in zip(ports["lon"], ports["lat"], strict=True):
        free = len(chosen) < labelled and all(abs(lon - x) + abs(lat - y) >= apart for x, y in chosen)
        if free:
            chosen.append((lon, lat))
        out.append(free)
    return out


def lanes_map_svg(lanes: pd.DataFrame | MapLanes, text: Text | None = None, **options: Any) -> str:
    """The map as SVG (vector: what the PDF report embeds)."""
    return to_svg(lanes_map(lanes, text, **options), prefix="map")


def lanes_map_png(lanes: pd.DataFrame | MapLanes, text: Text | None = None, **options: Any) -> bytes:
    """The map as PNG."""
    return to_png(lanes_map(lanes, text, **options))


def map_period(
    year: int | None = None, quarter: str | None = None, *, eu_only: bool = True
) -> tuple[str, str, frozenset[str] | None]:
    """The quarters of a map of ``year`` or of ``quarter`` (one of the two), and the arrival countries it
    draws: the EU members at the period's end when ``eu_only``, any otherwise."""
    if (year is None) == (quarter is None):
        raise InvalidValue("the map covers a year or a quarter: give one of the two")
    first = Quarter(year, 1) if year is not None else Quarter.parse(str(quarter))
    last = Quarter(year, 4) if year is not None else first
    return str(first), str(last), eu_members(last.end) if eu_only else None


#: Formats the map is written in, by suffix.
MAP_FORMATS = (".svg", ".png")


def write_lanes_map(lanes: pd.DataFrame, path: str | Path, text: Text | None = None, **options: Any) -> Path:
    """Write the map as SVG or PNG (by the suffix of ``path``), atomically; ``options`` as
    :func:`map_lanes` and :func:`lanes_map` take them."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in MAP_FORMATS:
        raise UnsupportedFormat(str(target), f"the map is written as {' or '.join(MAP_FORMATS)}")
    text = text or Text()
    chart_options = {k: options.pop(k) for k in ("width", "height") if k in options}
    drawn = map_lanes(lanes, text, **options)
    if suffix == ".svg":
        return atomic_write_text(target, lanes_map_svg(drawn, text, **chart_options))
    return atomic_write_bytes(target, lanes_map_png(drawn, text, **chart_options))
