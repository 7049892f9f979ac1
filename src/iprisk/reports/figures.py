"""The charts of the joint report, the newsletter and the state of play, as Altair charts in a language.

Library functions (the dashboard reuses them): each takes the table it draws and a :class:`Text`, and
returns a chart without a title (the report numbers and captions it). Categories are named by their label
in the language (code lists), quarters by the language's short form.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from iprisk.i18n import N_, Text
from iprisk.reports.labels import category_label

#: Colours of two compared series (the earlier in grey) and of the mirror's two sides.
_EARLIER, _LATER = "#9e9e9e", "#c0392b"
_EXPORT, _IMPORT = "#2c7fb8", "#e6550d"
WIDTH, HEIGHT = 520, 220
#: Axis titles of the trend metrics.
METRIC_TITLES = {"cases": N_("cases"), "articles": N_("articles"), "retail_value": N_("retail value (EUR)")}


def quarterly(
    trends: pd.DataFrame, cut: str, text: Text, *, metric: str = "cases", top: int = 6, stacked: bool = True
) -> alt.Chart:
    """``metric`` per quarter for the ``top`` values of ``cut`` (the report's long trend table), stacked
    areas (shares of a whole: transport modes) or lines (products)."""
    rows = trends[(trends["cut"] == cut) & (trends["metric"] == metric)]
    keep = rows.groupby("key")["value"].sum().nlargest(top).index
    data = rows[rows["key"].isin(keep)].assign(
        label=lambda f: [category_label(cut, k, text) for k in f["key"]],
        period=lambda f: [text.quarter(q, short=True) for q in f["quarter"]],
    )[["quarter", "period", "label", "value"]]
    order = sorted(data["quarter"].unique())
    x = alt.X("period:O", title=None, sort=[text.quarter(q, short=True) for q in order])
    y = alt.Y("value:Q", title=text.gettext(METRIC_TITLES[metric]), stack=True if stacked else None)
    # colours follow the codes' order, so that both languages colour a category alike
    labels = [category_label(cut, k, text) for k in sorted(keep)]
    color = alt.Color("label:N", title=None, sort=labels, scale=alt.Scale(domain=labels))
    mark = alt.Chart(data).mark_area(opacity=0.85) if stacked else alt.Chart(data).mark_line(point=True)
    return mark.encode(x=x, y=y, color=color).properties(width=WIDTH, height=HEIGHT)


def two_periods(rows: pd.DataFrame, text: Text, *, earlier: str, later: str, value_title: str) -> alt.Chart:
    """Horizontal bars comparing two periods per category: ``rows`` has ``label``, ``earlier``, ``later``
    (largest first); ``earlier`` / ``later`` name the periods in the legend."""
    long = pd.concat(
        [
            rows[["label"]].assign(period=earlier, value=rows["earlier"].astype(float), order=0),
            rows[["label"]].assign(period=later, value=rows["later"].astype(float), order=1),
        ]
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=list(rows["label"]), title=None, axis=alt.Axis(labelLimit=260)),
            yOffset=alt.YOffset("period:N", sort=[earlier, later]),
            x=alt.X("value:Q", title=value_title),
            color=alt.Color(
                "period:N", title=None, scale=alt.Scale(domain=[earlier, later], range=[_EARLIER, _LATER])
            ),
        )
        .properties(width=WIDTH - 160, height=max(22 * len(rows), 60))
    )


def observed_expected(rows: pd.DataFrame, text: Text) -> alt.Chart:
    """Signals as pairs of bars: observed against expected cases; ``rows`` has ``label`` and the signal
    table's ``observed`` and ``expected``, most important first."""
    observed, expected = text.gettext("observed"), text.gettext("expected")
    long = pd.concat(
        [
            rows[["label"]].assign(kind=observed, value=rows["observed"].astype(float)),
            rows[["label"]].assign(kind=expected, value=rows["expected"].astype(float)),
        ]
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=list(rows["label"]), title=None, axis=alt.Axis(labelLimit=300)),
            yOffset=alt.YOffset("kind:N", sort=[expected, observed]),
            x=alt.X("value:Q", title=text.gettext("cases")),
            color=alt.Color(
                "kind:N", title=None, scale=alt.Scale(domain=[expected, observed], range=[_EARLIER, _LATER])
            ),
        )
        .properties(width=WIDTH - 200, height=max(26 * len(rows), 60))
    )


def pareto(frame: pd.DataFrame, key: str, text: Text, *, top: int = 15) -> alt.LayerChart:
    """Cases per office (or lane), largest first, with the cumulative share (the Pareto curve)."""
    data = frame.head(top)[[key, "cases", "cumulative_share", "rank"]]
    base = alt.Chart(data).encode(x=alt.X(f"{key}:N", sort=alt.SortField("rank"), title=None))
    bars = base.mark_bar(color="#4c78a8").encode(y=alt.Y("cases:Q", title=text.gettext("cases")))
    line = base.mark_line(point=True, color=_LATER).encode(
        y=alt.Y("cumulative_share:Q", title=text.gettext("cumulative share"), axis=alt.Axis(format="%"))
    )
    return alt.LayerChart(layer=[bars, line], width=WIDTH, height=HEIGHT).resolve_scale(y="independent")


def mirror_sides(mirror: pd.DataFrame, text: Text, *, top: int = 8) -> alt.Chart:
    """Cases detained at export (by China) and at import, per product category, on lanes from China."""
    per = mirror.groupby("product_category")[["export_cases", "import_cases"]].sum()
    per = per.assign(total=per.sum(axis=1)).nlargest(top, "total")
    labels = [category_label("product_category", k, text) for k in per.index]
    export, imported = text.gettext("at export (China)"), text.gettext("at import")
    long = pd.concat(
        [
            pd.DataFrame({"label": labels, "side": export, "value": per["export_cases"].to_numpy()}),
            pd.DataFrame({"label": labels, "side": imported, "value": per["import_cases"].to_numpy()}),
        ]
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=labels, title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("value:Q", title=text.gettext("cases"), stack=True),
            color=alt.Color(
                "side:N", title=None, scale=alt.Scale(domain=[export, imported], range=[_EXPORT, _IMPORT])
            ),
        )
        .properties(width=WIDTH - 160, height=max(22 * len(labels), 60))
    )


def factors(rows: pd.DataFrame, text: Text) -> alt.LayerChart:
    """Propensity factors as bars (``label``, ``factor``), with the line of 1 (seized as often as traded)."""
    bars = (
        alt.Chart(rows)
        .mark_bar(color="#756bb1")
        .encode(
            y=alt.Y("label:N", sort=list(rows["label"]), title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("factor:Q", title=text.gettext("seizure share / trade share")),
        )
    )
    one = alt.Chart(pd.DataFrame({"factor": [1.0]})).mark_rule(color="#333333", strokeDash=[4, 3])
    return alt.LayerChart(
        layer=[bars, one.encode(x="factor:Q")], width=WIDTH - 160, height=max(20 * len(rows), 60)
    )


def strategy_lines(strategies: pd.DataFrame, text: Text, names: Sequence[str]) -> alt.Chart:
    """Precision of each selection strategy at each share of declarations inspected; ``names`` labels the
    strategies in the language (same order as they appear)."""
    labels = dict(zip(pd.unique(strategies["strategy"]), names, strict=True))
    data = strategies.assign(label=strategies["strategy"].map(labels))[["label", "k_pct", "precision"]]
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("k_pct:Q", title=text.gettext("% of declarations inspected")),
            y=alt.Y("precision:Q", title=text.gettext("precision"), axis=alt.Axis(format="%")),
            color=alt.Color("label:N", title=None, sort=list(names)),
        )
        .properties(width=WIDTH - 120, height=HEIGHT)
    )


def on_time(rows: pd.DataFrame, text: Text) -> alt.Chart:
    """Share of the administrations' statistics received on time, per quarter (``period``, ``share``)."""
    return (
        alt.Chart(rows)
        .mark_bar(color="#31a354")
        .encode(
            x=alt.X("period:O", title=None, sort=list(rows["period"])),
            y=alt.Y(
                "share:Q",
                title=text.gettext("received on time"),
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
        )
        .properties(width=WIDTH - 200, height=160)
    )
