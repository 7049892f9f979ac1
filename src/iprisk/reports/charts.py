"""Charts of the joint analysis, in a language (Altair; ``chart.save("x.png")`` renders offline via
vl-convert, with the system's CJK fonts for Chinese)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from iprisk.analysis.run import Analysis, only_cut
from iprisk.codes.lists import PRODUCT_CATEGORIES, TRANSPORT_MODES
from iprisk.i18n import Text
from iprisk.reports.signals import describe_segment, direction_label, segment_of

#: Chart id -> file name of the English chart; other languages insert theirs (``signals.zh.png``).
CHART_FILES = {
    "trend_transport_mode": "trend_transport_mode.png",
    "trend_product_category": "trend_product_category.png",
    "signals": "signals.png",
    "offices_pareto": "offices_pareto.png",
}


def chart_file(chart: str, locale: str = "en") -> str:
    """The file name of a chart in a language: ``signals.png`` in English, ``signals.zh.png`` otherwise."""
    name = CHART_FILES[chart]
    return name if locale == "en" else name.replace(".png", f".{locale}.png")


def charts(a: Analysis, locale: str = "en") -> dict[str, alt.Chart | alt.LayerChart]:
    """The charts that go with the summary, keyed by chart id (only those with data), in ``locale``."""
    text = Text(locale)
    out: dict[str, alt.Chart | alt.LayerChart] = {}
    tr = a.trends[a.trends["metric"] == "cases"]
    mode = tr[only_cut(tr, ["transport_mode"])]
    if not mode.empty:
        data = _labelled(
            mode[["quarter", "transport_mode", "value"]], "transport_mode", TRANSPORT_MODES, text
        )
        out["trend_transport_mode"] = (
            alt.Chart(data, title=text.gettext("Cases per quarter by transport mode"))
            .mark_area()
            .encode(
                x=alt.X("quarter:O", title=None),
                y=alt.Y("value:Q", title=text.gettext("cases"), stack=True),
                color=alt.Color("transport_mode:N", title=text.gettext("transport mode")),
            )
            .properties(width=560, height=260)
        )
    cat = tr[only_cut(tr, ["product_category"])]
    if not cat.empty:
        top = cat.groupby("product_category")["value"].sum().nlargest(6).index
        data = cat[cat["product_category"].isin(top)][["quarter", "product_category", "value"]]
        data = _labelled(data, "product_category", PRODUCT_CATEGORIES, text)
        out["trend_product_category"] = (
            alt.Chart(data, title=text.gettext("Cases per quarter, main product categories"))
            .mark_line(point=True)
            .encode(
                x=alt.X("quarter:O", title=None),
                y=alt.Y("value:Q", title=text.gettext("cases")),
                color=alt.Color("product_category:N", title=text.gettext("product")),
            )
            .properties(width=560, height=260)
        )
    if not a.signals.empty:
        out["signals"] = _signals_chart(a, text)
    c = a.concentration.head(15)
    if not c.empty:
        base = alt.Chart(c, title=text.gettext("Offices: cases and cumulative share (Pareto)")).encode(
            x=alt.X("office:N", sort=alt.SortField("rank"), title=None)
        )
        bars = base.mark_bar().encode(y=alt.Y("cases:Q", title=text.gettext("cases")))
        line = base.mark_line(point=True, color="#d62728").encode(
            y=alt.Y("cumulative_share:Q", title=text.gettext("cumulative share"), axis=alt.Axis(format="%"))
        )
        out["offices_pareto"] = (
            alt.layer(bars, line).resolve_scale(y="independent").properties(width=560, height=260)
        )
    return out


def _labelled(data: pd.DataFrame, column: str, codes: object, text: Text) -> pd.DataFrame:
    """The codes of ``column`` as the language names them (English charts keep the codes, as always)."""
    if text.locale == "en":
        return data
    return data.assign(**{column: [text.label(codes, str(c)) for c in data[column]]})  # type: ignore[arg-type]


def _signals_chart(a: Analysis, text: Text) -> alt.Chart:
    last = a.signals[a.signals["quarter"] == a.signals["quarter"].max()].head(10).copy()
    last["rank"] = range(1, len(last) + 1)
    last["segment"] = [
        text.gettext(
            "{segment} ({direction})",
            segment=describe_segment(segment_of(r), text),
            direction=direction_label(r["direction"], text),
        )
        for r in last.to_dict("records")
    ]
    observed, expected = text.gettext("observed"), text.gettext("expected")
    long = pd.concat(
        [
            last[["segment", "rank"]].assign(kind=observed, value=last["observed"].astype(float)),
            last[["segment", "rank"]].assign(kind=expected, value=last["expected"].astype(float)),
        ]
    )
    title = text.gettext(
        "Top signals, {quarter}: observed against expected cases",
        quarter=text.quarter(last["quarter"].iloc[0]),
    )
    return (
        alt.Chart(long, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("segment:N", sort=alt.SortField("rank"), title=None, axis=alt.Axis(labelLimit=420)),
            x=alt.X("value:Q", title=text.gettext("cases")),
            yOffset="kind:N",
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(domain=[expected, observed], range=["#999999", "#d62728"]),
            ),
        )
        .properties(width=420, height=28 * len(last) + 20)
    )
