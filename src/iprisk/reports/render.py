"""Charts to SVG or PNG, offline (vl-convert: Vega-Lite compiled and drawn in-process, nothing fetched), in
the reports' font so that Chinese labels are measured and drawn by the font the PDF embeds.

SVG ids (clip paths, gradients) are renamed per chart with a prefix, so that several charts can be inlined
in one HTML page without one chart clipping another, and numbered in order of appearance, so that the same
chart always gives the same SVG.
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
_REF = re.compile(r'(id="|url\(#|href="#)([^")]+)(["\)])')
#: A number with more decimals than a drawing needs (Vega writes coordinates to the last bit of a double).
_LONG_DECIMAL = re.compile(r"\d+\.\d{5,}")


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


def spec(chart: alt.TopLevelMixin, *, validate: bool = True) -> dict[str, Any]:
    """The Vega-Lite specification of a themed chart (what the dashboard hands to vega-embed); ``validate``
    checks it against the Vega-Lite schema (:func:`to_svg` and :func:`to_png` do not: a report's dozen
    charts spent a second of CPU in the check, and the tests check every report chart's specification)."""
    out: dict[str, Any] = themed(chart).to_dict(validate=validate)
    return out


def to_svg(chart: alt.TopLevelMixin, prefix: str = "c") -> str:
    """The chart as an SVG document, its ids prefixed with ``prefix`` (unique per page)."""
    import vl_convert as vlc

    svg: str = vlc.vegalite_to_svg(json.dumps(spec(chart, validate=False), sort_keys=True))
    # Vega numbers clip paths and gradients with a counter that runs on within the process: rename them in
    # order of appearance, so that the same chart gives the same SVG (and the same page) every time
    names = {name: f"{prefix}-{i}" for i, name in enumerate(dict.fromkeys(_ID.findall(svg)), 1)}
    svg = _REF.sub(lambda m: f"{m[1]}{names.get(m[2], m[2])}{m[3]}", svg)
    # and to four decimals (a ten-thousandth of a point), so that the last bits of a parallel sum, which vary
    # from run to run, do not change the page
    return _LONG_DECIMAL.sub(lambda m: f"{float(m[0]):.4f}", svg)


def to_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """The chart as a PNG image (for e-mail, where SVG is not shown)."""
    import vl_convert as vlc

    png: bytes = vlc.vegalite_to_png(json.dumps(spec(chart, validate=False), sort_keys=True), scale=scale)
    return png
