"""Charts of the joint analysis (Altair; ``chart.save("x.png")`` renders offline via vl-convert)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from iprisk.analysis._common import SIGNAL_DIMENSIONS
from iprisk.analysis._explain import describe_segment
from iprisk.analysis.run import Analysis, only_cut

#: Chart title -> file name used by ``iprisk analyse``.
CHART_FILES = {
    "Cases per quarter by transport mode": "trend_transport_mode.png",
    "Cases per quarter, main product categories": "trend_product_category.png",
    "Top signals, last quarter": "signals.png",
    "Offices: Pareto of cases": "offices_pareto.png",
}


def charts(a: Analysis) -> dict[str, alt.Chart | alt.LayerChart]:
    """The charts that go with the summary, keyed by title (only those with data)."""
    out: dict[str, alt.Chart | alt.LayerChart] = {}
    tr = a.trends[a.trends["metric"] == "cases"]
    mode = tr[only_cut(tr, ["transport_mode"])]
    if not mode.empty:
        out["Cases per quarter by transport mode"] = (
            alt.Chart(
                mode[["quarter", "transport_mode", "value"]], title="Cases per quarter by transport mode"
            )
            .mark_area()
            .encode(
                x=alt.X("quarter:O", title=None),
                y=alt.Y("value:Q", title="cases", stack=True),
                color=alt.Color("transport_mode:N", title="transport mode"),
            )
            .properties(width=560, height=260)
        )
    cat = tr[only_cut(tr, ["product_category"])]
    if not cat.empty:
        top = cat.groupby("product_category")["value"].sum().nlargest(6).index
        data = cat[cat["product_category"].isin(top)][["quarter", "product_category", "value"]]
        out["Cases per quarter, main product categories"] = (
            alt.Chart(data, title="Cases per quarter, main product categories")
            .mark_line(point=True)
            .encode(
                x=alt.X("quarter:O", title=None),
                y=alt.Y("value:Q", title="cases"),
                color=alt.Color("product_category:N", title="product"),
            )
            .properties(width=560, height=260)
        )
    if not a.signals.empty:
        last = a.signals[a.signals["quarter"] == a.signals["quarter"].max()].head(10).copy()
        last["rank"] = range(1, len(last) + 1)
        dims = list(SIGNAL_DIMENSIONS)
        last["segment"] = [
            describe_segment(tuple((d, getattr(r, d)) for d in dims if getattr(r, d))) + f" ({r.direction})"
            for r in last.itertuples()
        ]
        long = pd.concat(
            [
                last[["segment", "rank"]].assign(kind="observed", value=last["observed"].astype(float)),
                last[["segment", "rank"]].assign(kind="expected", value=last["expected"].astype(float)),
            ]
        )
        out["Top signals, last quarter"] = (
            alt.Chart(long, title=f"Top signals, {last['quarter'].iloc[0]}: observed against expected cases")
            .mark_bar()
            .encode(
                y=alt.Y("segment:N", sort=alt.SortField("rank"), title=None, axis=alt.Axis(labelLimit=420)),
                x=alt.X("value:Q", title="cases"),
                yOffset="kind:N",
                color=alt.Color("kind:N", title=None, scale=alt.Scale(range=["#999999", "#d62728"])),
            )
            .properties(width=420, height=28 * len(last) + 20)
        )
    c = a.concentration.head(15)
    if not c.empty:
        base = alt.Chart(c, title="Offices: cases and cumulative share (Pareto)").encode(
            x=alt.X("office:N", sort=alt.SortField("rank"), title=None)
        )
        bars = base.mark_bar().encode(y=alt.Y("cases:Q", title="cases"))
        line = base.mark_line(point=True, color="#d62728").encode(
            y=alt.Y("cumulative_share:Q", title="cumulative share", axis=alt.Axis(format="%"))
        )
        out["Offices: Pareto of cases"] = (
            alt.layer(bars, line).resolve_scale(y="independent").properties(width=560, height=260)
        )
    return out
