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
def _basemap() -> str:
    """The basemap's TopoJSON as text: Vega-Lite parses inline text by the data's format, and a string is
    what Altair copies and validates in no time (as a nested dict, the 100 kB of arcs cost a second of CPU
    per map each time the chart is copied, configured or validated)."""
    return (files("iprisk.reports") / "data" / "countries-110m.json").read_text(encoding="utf-8")


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
    # clipped to the chart: the countries out of view are left out of the drawing rather than drawn and
    # hidden (a third of the map's SVG, which the PDF parses and draws)
    # as a dict, validated once: each layer projects the same way, and Altair would check it again per layer
    projection = alt.Projection(
        type="equalEarth",
        rotate=[-centre, 0, 0],
        fit=_extent(frame, centre),
        clipExtent=[[0, 0], [width, height]],
    ).to_dict()
    countries = (
        alt.Chart(alt.Data(values=_basemap(), format=alt.DataFormat(type="topojson", feature="countries")))
        .mark_geoshape(fill="#ececec", stroke="#ffffff", strokeWidth=0.5, clip=True)
        .project(**projection)
    )
    layers: list[alt.Chart] = [countries]
    if not frame.empty:
        layers += _lane_layers(
            frame, text, projection, centre, scale=_px_per_degree(frame, centre, width, height)
        )
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


def _bounds(frame: pd.DataFrame, centre: float) -> tuple[float, float, float, float]:
    """West, east, south, north of the area shown: every drawn port with a margin (Europe to East Asia when
    empty), in longitudes unwrapped around ``centre``."""
    if frame.empty:
        lons, lats = [-12.0, 125.0], [20.0, 62.0]
    else:
        lons = list(_unwrap([*frame["dep_lon"], *frame["arr_lon"]], centre))
        lats = [*frame["dep_lat"], *frame["arr_lat"]]
    west, east = min(lons) - _MARGIN, max(lons) + _MARGIN
    south, north = max(min(lats) - _MARGIN, -85.0), min(max(lats) + _MARGIN, 85.0)
    return west, east, south, north


def _px_per_degree(frame: pd.DataFrame, centre: float, width: int, height: int) -> float:
    """About how many pixels a degree takes on the map (the projection fits the area into the chart)."""
    west, east, south, north = _bounds(frame, centre)
    return min(width / (east - west), height / (north - south))


def _extent(frame: pd.DataFrame, centre: float) -> dict[str, Any]:
    """The area the map shows (:func:`_bounds`) as a GeoJSON feature the projection is fitted to."""
    west, east, south, north = _bounds(frame, centre)
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
    frame: pd.DataFrame, text: Text, projection: dict[str, Any], centre: float, *, scale: float
) -> list[alt.Chart]:
    arcs: list[dict[str, Any]] = [
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
        legend=alt.Legend(symbolType="stroke", symbolStrokeColor="#888888", **_LEGEND),
    )
    tooltip = [
        alt.Tooltip("properties.lane:N", title=text.gettext("lane")),
        alt.Tooltip("properties.cases:Q", title=cases_title),
        alt.Tooltip("properties.incidence:Q", title=incidence_title, format=",.2f"),
    ]
    incidence = alt.Color(
        "properties.incidence:Q",
        title=incidence_title,
        # the palest orange would vanish on the basemap
        scale=alt.Scale(scheme=alt.SchemeParams("orangered", extent=[0.3, 1.0])),
        # a symbol legend: WeasyPrint draws no SVG gradient on a path, so the PDF would show none
        legend=alt.Legend(type="symbol", symbolType="stroke", symbolStrokeWidth=4, format=",.2f", **_LEGEND),
    )
    # two layers rather than one colour with a condition: Vega-Lite gives a lane whose incidence is null the
    # scale's lowest colour, or nothing at all when no lane's incidence is known, never the condition's grey
    known = [a for a in arcs if a["properties"]["incidence"] is not None]
    unknown = [a for a in arcs if a["properties"]["incidence"] is None]
    lane_layers = [
        alt.Chart(alt.Data(values=values))
        .mark_geoshape(filled=False, strokeCap="round", opacity=0.85)
        .encode(strokeWidth=width, tooltip=tooltip, color=colour)
        .project(**projection)
        for values, colour in ((unknown, alt.value(_NO_TRAFFIC)), (known, incidence))
        if values
    ]
    ports = _ports(frame, centre, scale)
    dots = (
        alt.Chart(ports)
        .mark_circle(color="#333333", opacity=0.9)
        .encode(longitude="lon:Q", latitude="lat:Q", size=alt.value(14))
        .project(**projection)
    )
    layers: list[alt.Chart] = [*lane_layers, dots]
    east = ports["align"] == "right"
    sides: tuple[tuple[Any, Literal["left", "right"], int], ...] = (
        (~east, "left", _LABEL_DX),
        (east, "right", -_LABEL_DX),
    )
    for side, align, dx in sides:
        named = alt.Chart(ports[ports["labelled"] & side]).encode(
            longitude="lon:Q", latitude="lat:Q", text="name:N"
        )
        halo = named.mark_text(
            align=align,
            dx=dx,
            dy=-_LABEL_DY,
            fontSize=_LABEL_SIZE,
            stroke="white",
            strokeWidth=2.5,
            strokeJoin="round",
        )
        label = named.mark_text(align=align, dx=dx, dy=-_LABEL_DY, fontSize=_LABEL_SIZE, color="#222222")
        layers += [halo.project(**projection), label.project(**projection)]
    return layers


def _ports(frame: pd.DataFrame, centre: float, scale: float, labelled: int = 8) -> pd.DataFrame:
    """One row per drawn port with its cases over the drawn lanes; the busiest are labelled where their
    label has room. Labels point inwards: right of the western ports, left of the eastern ones (``align``)."""
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
    x = (_unwrap(ports["lon"], centre) - centre) * scale
    ports["align"] = np.where(x > 0, "right", "left")
    ports["labelled"] = _spread(ports["name"], x, -ports["lat"].to_numpy() * scale, ports["align"], labelled)
    return ports


#: Port labels: font size, offset from the dot (pixels).
_LABEL_SIZE = 8
_LABEL_DX = 4
_LABEL_DY = 4
#: Legends under the map, side by side, so that the map keeps the width and titles are not cut.
_LEGEND: dict[str, Any] = {"orient": "bottom", "direction": "horizontal", "titleLimit": 400}


def _label_width(name: str) -> float:
    """Approximate width of a label in pixels: a Chinese character is square, a Latin one about half."""
    return sum(_LABEL_SIZE if ord(c) > 0x2E80 else 0.58 * _LABEL_SIZE for c in name)


def _spread(names: Any, xs: Any, ys: Any, aligns: Any, labelled: int) -> list[bool]:
    """The busiest ports to label (in the order given), skipping one whose label (a box estimated from its
    length, in pixels) would touch a label already placed or the dot of another port nearby."""
    dots = [(x - 3, y - 3, x + 3, y + 3) for x, y in zip(xs, ys, strict=True)]
    placed: list[tuple[float, float, float, float]] = []
    out = []
    for i, (name, x, y, align) in enumerate(zip(names, xs, ys, aligns, strict=True)):
        w, h = _label_width(str(name)), _LABEL_SIZE + 2
        left = x + _LABEL_DX if align == "left" else x - _LABEL_DX - w
        box = (left - 2, y - _LABEL_DY - h / 2, left + w + 2, y - _LABEL_DY + h / 2)  # baseline: middle
        # the dots of other ports, but those on top of this one (its label names the cluster)
        others = [d for j, d in enumerate(dots) if j != i and not _overlap(d, dots[i])]
        free = len(placed) < labelled and not any(_overlap(box, b) for b in placed + others)
        if free:
            placed.append(box)
        out.append(free)
    return out


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


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
