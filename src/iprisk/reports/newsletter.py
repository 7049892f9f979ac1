"""The quarterly risk newsletter for port officers (:func:`newsletter`): general risk information in two to
four pages, one chart per point: the quarter at a glance, what rose, the routes and the products to watch,
and new modi operandi (new segments, shifts between transport modes, displacement between routes).

It reads the inputs of the four quarters ending with the newsletter's quarter
(:func:`~iprisk.reports.inputs.collect`); the quarter is the inputs' last.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from iprisk.i18n import N_
from iprisk.periods import Quarter
from iprisk.reports.document import (
    Block,
    Code,
    Document,
    Figure,
    Num,
    Para,
    Section,
    Style,
    Table,
    join,
)
from iprisk.reports.figures import quarterly, two_periods
from iprisk.reports.inputs import ReportInputs
from iprisk.reports.labels import category_label
from iprisk.reports.risks import event_figure, risk_bullets, risk_items, top_events
from iprisk.reports.sections import Ctx, highest_incidence, lanes_table, map_figure

#: Quarters the newsletter's charts show.
CHART_QUARTERS = 8
#: Items listed per point, at most.
TOP = 5


def newsletter(inputs: ReportInputs, locale: str = "en") -> Document:
    """The newsletter of the inputs' last quarter."""
    ctx = Ctx.of(inputs, locale)
    q = Quarter.parse(inputs.end)
    period = ctx.quarter(q)
    sections = (
        _glance(ctx, q),
        _rose(ctx, q),
        _routes(ctx, q),
        _products(ctx, q),
        _modi(ctx, q),
    )
    return ctx.document(
        "newsletter",
        title=ctx.say("Risk newsletter {quarter}", quarter=period),
        period=ctx.say("Quarter {quarter}", quarter=period),
        sections=sections,
        lead=ctx.say(
            "General risk information for port officers, from the seizure statistics the customs "
            "administrations exchanged up to {quarter}. For risk analysis only: not case information.",
            quarter=period,
        ),
    )


def _recent(ctx: Ctx, q: Quarter) -> pd.DataFrame:
    """The trend table's last :data:`CHART_QUARTERS` quarters."""
    t = ctx.inputs.trends
    return t[t["quarter"] >= str(q - (CHART_QUARTERS - 1))]


def _trend(
    ctx: Ctx, column: str, q: Quarter, style: Style, cut: str = "", key: str = "", metric: str = "cases"
) -> Num:
    """A cell of the trend table: ``column`` of ``cut = key`` in quarter ``q``."""
    return ctx.facts.num("trends", column, style, cut=cut, key=key, metric=metric, quarter=str(q))


def _glance(ctx: Ctx, q: Quarter) -> Section:
    line = ctx.say(
        "{cases} cases in {quarter}: {prev} % on the previous quarter and {yoy} % on {year_before}. They "
        "held {articles} articles with a retail value of EUR {value}.",
        cases=_trend(ctx, "value", q, "int"),
        quarter=ctx.quarter(q),
        prev=_trend(ctx, "change_prev_pct", q, "signed_pct"),
        yoy=_trend(ctx, "change_yoy_pct", q, "signed_pct"),
        year_before=ctx.quarter(q - 4),
        articles=_trend(ctx, "value", q, "amount", metric="articles"),
        value=_trend(ctx, "value", q, "amount", metric="retail_value"),
    )
    figure = Figure(
        "glance",
        ctx.say("Cases per quarter, all administrations"),
        quarterly(_recent(ctx, q), "", ctx.text, stacked=False),
        ctx.source("trends"),
    )
    return Section("glance", ctx.say("The quarter at a glance"), (line, figure))


def _rose(ctx: Ctx, q: Quarter) -> Section:
    rising = top_events(ctx, str(q), ("up",)).head(TOP)
    blocks: list[Block] = []
    if rising.empty:
        blocks.append(
            ctx.say("No segment rose significantly above its history in {quarter}.", quarter=ctx.quarter(q))
        )
    else:
        blocks.append(ctx.say("Segments whose cases rose significantly above their history:"))
        blocks.append(risk_bullets(ctx, risk_items(ctx.inputs.analysis.signals, rising)))
    movers = _movers(ctx, q)
    if movers:
        blocks.append(
            ctx.say("Largest rises on a year before, by product: {items}.", items=join(ctx.text, movers))
        )
    if not rising.empty:
        caption = ctx.say("Rising segments: cases observed against the cases their history predicts")
        blocks.append(event_figure(ctx, rising, "rose", caption))
    else:
        caption = ctx.say("Cases by product, a year apart")
        blocks.append(Figure("rose", caption, _year_chart(ctx, q), ctx.source("trends")))
    return Section("rose", ctx.say("What rose"), tuple(blocks))


def _product_change(ctx: Ctx, q: Quarter) -> pd.Series:
    """Cases of each product category in the quarter minus a year before, largest rise first."""
    t = ctx.inputs.trends
    rows = t[(t["cut"] == "product_category") & (t["metric"] == "cases")]
    now = rows[rows["quarter"] == str(q)].set_index("key")["value"]
    before = rows[rows["quarter"] == str(q - 4)].set_index("key")["value"].reindex(now.index, fill_value=0.0)
    return (now - before).sort_index().sort_values(ascending=False, kind="stable")


def _movers(ctx: Ctx, q: Quarter) -> list[Para]:
    change = _product_change(ctx, q)
    out = []
    for key in change[change > 0].index[:3]:
        now = _trend(ctx, "value", q, "int", cut="product_category", key=key)
        before = _trend(ctx, "value", q - 4, "int", cut="product_category", key=key)
        out.append(
            ctx.say(
                "{product} ({change} cases)",
                product=category_label("product_category", str(key), ctx.text),
                change=ctx.facts.calc("diff", now, before, style="signed_int"),
            )
        )
    return out


def _year_chart(ctx: Ctx, q: Quarter) -> alt.Chart:
    t = ctx.inputs.trends
    rows = t[(t["cut"] == "product_category") & (t["metric"] == "cases")]
    now = rows[rows["quarter"] == str(q)].set_index("key")["value"]
    keys = list(now.sort_index().sort_values(ascending=False, kind="stable").index[:8])
    before = rows[rows["quarter"] == str(q - 4)].set_index("key")["value"]
    frame = pd.DataFrame(
        {
            "label": [category_label("product_category", k, ctx.text) for k in keys],
            "earlier": [before.get(k, 0.0) for k in keys],
            "later": [now.get(k, 0.0) for k in keys],
        }
    )
    return two_periods(
        frame,
        ctx.text,
        earlier=ctx.text.quarter(q - 4),
        later=ctx.text.quarter(q),
        value_title=ctx.text.gettext("cases"),
    )


def _routes(ctx: Ctx, q: Quarter) -> Section:
    lanes = ctx.inputs.quarter_lanes
    title = ctx.say("Routes to watch")
    if lanes.empty:
        return Section("routes", title, (ctx.say("No detentions with a known route in the quarter."),))
    blocks: list[Block] = [lanes_table(ctx, "quarter_lanes", 8)]
    incidence = highest_incidence(ctx, "quarter_lanes", "lane")
    if incidence is not None:
        blocks.append(incidence)
    blocks.append(map_figure(ctx, "quarter_lanes", q.end))
    return Section("routes", title, tuple(blocks))


def _products(ctx: Ctx, q: Quarter) -> Section:
    t = ctx.inputs.trends
    rows = t[(t["cut"] == "product_category") & (t["metric"] == "cases") & (t["quarter"] == str(q))]
    rows = rows[rows["value"] > 0].sort_values(["value", "key"], ascending=[False, True]).head(8)
    title = ctx.say("Products to watch")
    if rows.empty:
        return Section("products", title, (ctx.say("No cases in the quarter."),))
    f = ctx.facts
    table_rows = []
    for key in rows["key"]:
        table_rows.append(
            (
                category_label("product_category", key, ctx.text),
                _trend(ctx, "value", q, "int", cut="product_category", key=key),
                _trend(ctx, "change_yoy_pct", q, "signed_pct", cut="product_category", key=key),
                f.calc(
                    "percent", _trend(ctx, "share", q, "dec3", cut="product_category", key=key), style="pct"
                ),
            )
        )
    columns = (N_("product"), N_("cases"), N_("change on a year before (%)"), N_("share of cases (%)"))
    table = Table(
        "products",
        ctx.say("Product categories with the most cases in {quarter}", quarter=ctx.quarter(q)),
        tuple(ctx.say(c) for c in columns),
        tuple(table_rows),
        ctx.source("trends"),
    )
    recent = _recent(ctx, q)
    main = recent[(recent["cut"] == "product_category") & recent["key"].isin(set(rows["key"].head(5)))]
    chart = quarterly(main, "product_category", ctx.text, stacked=False, top=5)
    figure = Figure(
        "products",
        ctx.say("Cases per quarter, the five main products of the quarter"),
        chart,
        ctx.source("trends"),
    )
    return Section("products", title, (table, figure))


def _modi(ctx: Ctx, q: Quarter) -> Section:
    """New segments, the transport mode whose share rose most, and recent displacement."""
    blocks: list[Block] = []
    new = top_events(ctx, str(q), ("new",)).head(TOP)
    if not new.empty:
        blocks.append(ctx.say("Segments with cases where their history had none:"))
        blocks.append(risk_bullets(ctx, risk_items(ctx.inputs.analysis.signals, new)))
    shift = _mode_shift(ctx, q)
    if shift is not None:
        blocks.append(shift)
    moved = _recent_displacement(ctx, q)
    if moved is not None:
        blocks.append(moved)
    if not blocks:
        blocks.append(
            ctx.say(
                "No new segment, shift between transport modes or displacement in {quarter}.",
                quarter=ctx.quarter(q),
            )
        )
    blocks.append(
        Figure(
            "modes",
            ctx.say("Cases per quarter by transport mode"),
            quarterly(_recent(ctx, q), "transport_mode", ctx.text),
            ctx.source("trends"),
        )
    )
    return Section("modi", ctx.say("New modi operandi"), tuple(blocks))


def _mode_shift(ctx: Ctx, q: Quarter) -> Para | None:
    t = ctx.inputs.trends
    rows = t[(t["cut"] == "transport_mode") & (t["metric"] == "cases")]
    now = rows[rows["quarter"] == str(q)].set_index("key")["share"]
    before = rows[rows["quarter"] == str(q - 4)].set_index("key")["share"].reindex(now.index, fill_value=0.0)
    gain = (now - before).dropna().sort_index().sort_values(ascending=False, kind="stable")
    if gain.empty or gain.iloc[0] < 0.02:  # a shift of two points of share or more
        return None
    mode = str(gain.index[0])
    f = ctx.facts
    share_now = f.calc(
        "percent", _trend(ctx, "share", q, "dec3", cut="transport_mode", key=mode), style="pct"
    )
    share_before = f.calc(
        "percent", _trend(ctx, "share", q - 4, "dec3", cut="transport_mode", key=mode), style="pct"
    )
    return ctx.say(
        "{mode} carried {now} % of the cases, against {before} % a year before: goods move to this mode.",
        mode=category_label("transport_mode", mode, ctx.text),
        now=share_now,
        before=share_before,
    )


def _recent_displacement(ctx: Ctx, q: Quarter) -> Para | None:
    d = ctx.inputs.analysis.displacement
    if d.empty:
        return None
    recent = d[d["recent_start"] >= str(q - 3)]
    if recent.empty:
        return None
    items = [
        ctx.say(
            "{falling} -> {rising}",
            falling=Code(f"{r.from_office} ({r.from_transport_mode})"),
            rising=Code(f"{r.to_office} ({r.to_transport_mode})"),
        )
        for r in recent.head(3).itertuples()
    ]
    return ctx.say("Detentions moved between neighbouring routes: {items}.", items=join(ctx.text, items))
