"""The pages' charts: Altair specs rendered on the server to SVG by vl-convert (nothing runs in the browser,
nothing is fetched). A mark carries an ``href`` (a click drills down) and a tooltip (SVG ``<title>``)."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import altair as alt
import pandas as pd

from iprisk.i18n import Text
from iprisk.web.dashboard.chart_store import ChartStore, chart_key
from iprisk.web.dashboard.tables import Table, cell

_WIDTH = 640
#: vl-convert writes a fixed width and height; the page scales the chart to its box instead.
_SIZE = re.compile(r'<svg([^>]*?) width="([\d.]+)" height="([\d.]+)"')
#: ARIA attributes Vega writes whatever the config (in English: "Title text ..."); our label stays.
_VEGA_ARIA = re.compile(r' (aria-[a-z]+|role)="[^"]*"')
#: Vega resolves a mark's href against its data loader's base URL; ours are paths of the node.
_LINK = re.compile(r'<a xlink:href="https://vega\.github\.io/vega-datasets/(/[^"]*)">')


def to_svg(
    chart: alt.TopLevelMixin,
    description: str,
    tips: dict[str, str] | None = None,
    datasets: dict[str, Any] | None = None,
) -> str:
    """The chart as inline SVG with a text alternative (``role="img"``, ``aria-label``); each linked mark
    gets its link back as a path of the node and its tooltip (``tips[href]``) as an SVG ``<title>``.
    ``datasets``: named data the chart refers to, added to the spec as it is (Altair would walk it)."""
    # Vega's own ARIA labels are English ("Symbol mark container"): the page gives the chart its own label
    # (no schema validation per request: it costs more than the drawing; the tests render every chart)
    spec = chart.configure(aria=False).to_dict(validate=False)
    if datasets:
        spec.setdefault("datasets", {}).update(datasets)
    svg = _vega_svg(spec)
    svg = svg[svg.index("<svg") :]
    tips = tips or {}

    def link(m: re.Match[str]) -> str:
        href = html.unescape(m.group(1))
        tip = tips.get(href)
        title = f"<title>{html.escape(tip)}</title>" if tip else ""
        return f'<a xlink:href="{m.group(1)}">{title}'

    svg = _LINK.sub(link, _VEGA_ARIA.sub("", svg)).replace(' class="marks"', "", 1)  # ours: class="chart"
    label = html.escape(description, quote=True)
    return _SIZE.sub(
        lambda m: (
            f'<svg{m.group(1)} viewBox="0 0 {m.group(2)} {m.group(3)}" role="img" aria-label="{label}"'
            f' class="chart"'
        ),
        svg,
        count=1,
    )


def _vega_svg(spec: dict[str, Any]) -> str:
    """The SVG of a Vega-Lite spec: a good part of a second (the pages keep it in their
    :class:`~iprisk.web.dashboard.chart_store.ChartStore`)."""
    import vl_convert as vlc

    # through JSON: numpy and pandas values in the rows become plain numbers and text
    return str(vlc.vegalite_to_svg(json.loads(json.dumps(spec, default=str))))


def trend_chart(
    store: ChartStore, table: Table, dimension: str, text: Text, title: str, top: int = 8
) -> str | None:
    """Lines of the ``top`` values of the dimension over quarters; a point links to its row."""
    if not table.rows:
        return None
    key = chart_key("trend", table.rows, table.row_links, table.columns, dimension, text.locale, title, top)
    return store.get(key, lambda: _trend_chart(table, dimension, text, title, top))


def _trend_chart(table: Table, dimension: str, text: Text, title: str, top: int) -> str | None:
    quarter_col, value_col = table.columns[0], table.columns[1]
    frame = pd.DataFrame(
        {
            "quarter": [r[0] for r in table.rows],
            "code": [r[1] for r in table.rows],
            "value": [float(r[2]) if r[2] is not None else None for r in table.rows],
            "href": table.row_links,
        }
    )
    frame = frame[frame["code"] != ""]  # the total ("all") would flatten every line
    keep = frame.groupby("code")["value"].sum().nlargest(top).index
    frame = frame[frame["code"].isin(keep)].copy()
    frame["label"] = [cell(value_col, c, text) for c in frame["code"]]
    frame["quarter_label"] = [cell(quarter_col, q, text) for q in frame["quarter"]]
    frame["value_label"] = [text.number(v, decimals=0) for v in frame["value"]]
    chart = (
        alt.Chart(frame, title=title)
        .mark_line(point=alt.OverlayMarkDef(size=60))
        .encode(
            x=alt.X("quarter_label:O", title=None, sort=None),
            y=alt.Y("value:Q", title=None),
            color=alt.Color("label:N", title=None),
            href="href:N",
        )
        .properties(width=_WIDTH, height=260)
    )
    tips = {
        h: f"{lab}, {q}: {v}"
        for h, lab, q, v in zip(
            frame["href"], frame["label"], frame["quarter_label"], frame["value_label"], strict=True
        )
    }
    return to_svg(chart, title, tips)


def bars_chart(store: ChartStore, rows: list[dict[str, Any]], x: str, color: str, title: str) -> str | None:
    """Grouped bars (``x`` against ``value``, one colour per ``color``); a bar links to ``href`` and shows
    ``tip``."""
    if not rows:
        return None
    return store.get(chart_key("bars", rows, x, color, title), lambda: _bars_chart(rows, x, color, title))


def _bars_chart(rows: list[dict[str, Any]], x: str, color: str, title: str) -> str | None:
    frame = pd.DataFrame(rows)
    chart = (
        alt.Chart(frame, title=title)
        .mark_bar()
        .encode(
            x=alt.X(f"{x}:O", title=None, sort=None),
            y=alt.Y("value:Q", title=None),
            xOffset=f"{color}:N",
            color=alt.Color(f"{color}:N", title=None),
            href="href:N",
        )
        .properties(width=_WIDTH, height=220)
    )
    return to_svg(chart, title, dict(zip(frame["href"], frame["tip"], strict=True)))


def signals_chart(store: ChartStore, table: Table, text: Text, title: str, links: list[str]) -> str | None:
    """Each signal's observed count against its expected range (95%), a click drills to ``links`` (its
    trend)."""
    if not table.rows:
        return None
    key = chart_key("signals", table.rows, links, text.locale, title)
    return store.get(key, lambda: _signals_chart(table, text, title, links))


def _signals_chart(table: Table, text: Text, title: str, links: list[str]) -> str | None:
    from scipy.stats import poisson

    frame = pd.DataFrame(
        {
            "segment": [f"{r[0]}. {r[2]}" for r in table.rows],
            "observed": [float(r[4]) for r in table.rows],
            "expected": [float(r[5]) for r in table.rows],
            "href": links,
        }
    )
    frame["low"], frame["high"] = poisson.interval(0.95, frame["expected"])
    frame["tip"] = [
        text.gettext(
            "{observed} observed, {expected} expected", observed=text.number(o), expected=text.number(e)
        )
        for o, e in zip(frame["observed"], frame["expected"], strict=True)
    ]
    base = alt.Chart(frame, title=title).encode(y=alt.Y("segment:N", sort=None, title=None,
                                                        axis=alt.Axis(labelLimit=360)))  # fmt: skip
    interval = base.mark_rule(color="#999999", strokeWidth=6, opacity=0.6).encode(
        x=alt.X("low:Q", title=None), x2="high:Q"
    )
    observed = base.mark_point(filled=True, size=90, color="#d62728").encode(x="observed:Q", href="href:N")
    chart = alt.layer(interval, observed).properties(width=_WIDTH - 200, height=26 * len(frame) + 20)
    return to_svg(chart, title, dict(zip(frame["href"], frame["tip"], strict=True)))


def lanes_map_chart(
    store: ChartStore, table: Table, text: Text, title: str, selected: str | None = None
) -> str | None:
    """The KA3 map of the reports (:func:`iprisk.reports.lanes_map.lanes_map`) made interactive: each drawn
    lane is a link that filters the page to it (``row_links``) with its figures as tooltip; the lane of the
    filter is marked (``class="chosen"``, drawn in the accent colour by the style sheet). ``table`` is the
    lanes view (lane, cases, ..., incidence).

    Rendering the map takes seconds (Altair copies the basemap into every layer): the SVG of the same lanes in
    the same language is kept in ``store``, and the choice of a lane only marks its link. The lanes come from
    the analysis folder, so a new analysis gives new lanes and so a new map."""
    if not table.rows:
        return None
    index = {key: i for i, key in enumerate(table.keys)}
    lanes = tuple(
        (r[index["lane"]], r[index["cases"]] or 0, r[index["cases_per_1000_consignments"]], link)
        for r, link in zip(table.rows, table.row_links, strict=True)
    )
    svg = store.get(
        chart_key("lanes", lanes, text.locale, title), lambda: _lanes_map_svg(lanes, text.locale, title)
    )
    chosen = next((link for lane, _, _, link in lanes if lane == selected), None)
    if svg is None or chosen is None:
        return svg
    anchor = f'<a xlink:href="{html.escape(chosen)}">'
    return svg.replace(anchor, anchor[:-1] + ' class="chosen">', 1)


def _lanes_map_svg(
    lanes: tuple[tuple[str, float, float | None, str], ...], locale: str, title: str
) -> str | None:
    from iprisk.reports.lanes_map import lanes_map, map_lanes

    text = Text(locale)
    frame = pd.DataFrame(
        {
            "lane": [lane for lane, _, _, _ in lanes],
            "cases": [cases for _, cases, _, _ in lanes],
            "cases_per_1000_consignments": [float("nan") if x is None else x for _, _, x, _ in lanes],
        }
    )
    drawn = map_lanes(frame, text)
    if drawn.lanes.empty:
        return None
    links = {lane: link for lane, _, _, link in lanes}
    chart = lanes_map(drawn, text, width=_WIDTH, height=400)
    basemap: Any = chart.layer[0]
    projection = basemap.projection  # the basemap's: the overlays fall on the same places
    # the basemap (150 kB of TopoJSON) goes to the spec by name: Altair would walk it for seconds
    countries = basemap.data.values
    basemap.data = alt.Data(name="countries", format=basemap.data.format)
    tips, features = {}, []
    for lane in drawn.lanes.to_dict("records"):
        href = links[lane["lane"]]
        tips[href] = _lane_tip(lane, text)
        features.append(_arc(lane, href))
    # a wide, invisible stroke over every lane (it still takes the pointer): links and tooltips easy to hit
    hits = (
        alt.Chart(alt.Data(values=features))
        .mark_geoshape(filled=False, stroke="#000000", strokeOpacity=0, strokeWidth=10, cursor="pointer")
        .encode(href="properties.href:N")
        .project(**projection.to_dict())
    )
    layered = alt.LayerChart(layer=[*chart.layer, hits], width=_WIDTH, height=400, title=title)
    return to_svg(layered, title, tips, datasets={"countries": countries})


def _arc(lane: dict[Any, Any], href: str) -> dict[str, Any]:
    ends = [[lane["dep_lon"], lane["dep_lat"]], [lane["arr_lon"], lane["arr_lat"]]]
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": ends},
        "properties": {"lane": lane["lane"], "href": href, "cases": int(lane["cases"])},
    }


def _lane_tip(lane: dict[Any, Any], text: Text) -> str:
    """``Shanghai to Rotterdam: 289 cases, 1.2 per 1,000 consignments`` in the page's language."""
    tip = text.gettext(
        "{departure} to {arrival}: {cases} cases", departure=lane["departure"], arrival=lane["arrival"],
        cases=text.number(lane["cases"]),
    )  # fmt: skip
    if not pd.isna(lane["incidence"]):
        tip += "; " + text.gettext(
            "{incidence} per 1,000 consignments", incidence=text.number(lane["incidence"], decimals=2)
        )
    return tip
