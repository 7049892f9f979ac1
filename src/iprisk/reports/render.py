"""Charts to SVG or PNG, offline (vl-convert: Vega-Lite compiled and drawn in-process, nothing fetched), in
the reports' font so that Chinese labels are measured and drawn by the font the PDF embeds.

SVG ids (clip paths, gradients) are made unique per chart with a prefix, so that several charts can be
inlined in one HTML page without one chart clipping another.
"""

from __future__ import annotations

import json
import re
from typing import Any

import altair as alt

from iprisk.reports.fonts import report_fonts

#: The look of every report chart: the report font, quiet axes, no frame.
_FONT_SIZES = {"label": 10, "title": 11}
_ID = re.compile(r'id="([^"]+)"')


def themed(chart: alt.TopLevelMixin, family: str | None = None) -> alt.TopLevelMixin:
    """``chart`` with the reports' font and style (what :func:`to_svg` and :func:`to_png` draw)."""
    font = report_fonts(family)[0].family
    return (
        chart.configure(font=font, background="white")
        .configure_view(stroke=None)
        .configure_axis(
            labelFontSize=_FONT_SIZES["label"],
            titleFontSize=_FONT_SIZES["title"],
            grid=True,
            gridColor="#e6e6e6",
        )
        .configure_legend(
            labelFontSize=_FONT_SIZES["label"], titleFontSize=_FONT_SIZES["title"], labelLimit=260
        )
    )


def spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The Vega-Lite specification of a themed chart (what the dashboard hands to vega-embed)."""
    out: dict[str, Any] = themed(chart).to_dict()
    return out


def to_svg(chart: alt.TopLevelMixin, prefix: str = "c") -> str:
    """The chart as an SVG document, its ids prefixed with ``prefix`` (unique per page)."""
    import vl_convert as vlc

    svg: str = vlc.vegalite_to_svg(json.dumps(spec(chart), sort_keys=True))
    ids = set(_ID.findall(svg))
    for name in sorted(ids, key=len, reverse=True):
        svg = re.sub(rf'(id="|url\(#|href="#){re.escape(name)}(["\)])', rf"\g<1>{prefix}-{name}\g<2>", svg)
    return svg


def to_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """The chart as a PNG image (for e-mail, where SVG is not shown)."""
    import vl_convert as vlc

    png: bytes = vlc.vegalite_to_png(json.dumps(spec(chart), sort_keys=True), scale=scale)
    return png
