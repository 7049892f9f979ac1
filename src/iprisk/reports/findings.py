"""The findings sections of the joint report: emerging risks, where detentions concentrate, the
export-import mirror, propensity factors and displacement. Each takes the builder's context and returns a
:class:`~iprisk.reports.document.Section`; every number is read from the analysis tables."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd

from iprisk.i18n import N_
from iprisk.reports.document import Block, Code, Figure, Para, Section, Table, join
from iprisk.reports.facts import PARAMETERS
from iprisk.reports.figures import factors, mirror_sides
from iprisk.reports.labels import category_label, country_label
from iprisk.reports.risks import event_figure, event_table, events_intro, risk_bullets, risk_items, top_events
from iprisk.reports.sections import (
    Ctx,
    highest_incidence,
    lanes_table,
    map_figure,
    offices_table,
    pareto_figure,
)

#: Rows of a findings table, at most.
TOP = 10
#: Events told as sentences, at most.
BULLETS = 8


def emerging_risks(ctx: Ctx) -> Section:
    """The events of the period: how many, the most important as sentences with what they explain, a table
    and a chart of their observed against expected cases."""
    signals = ctx.inputs.analysis.signals
    title = ctx.say("Emerging risks")
    if signals.empty:
        return Section(
            "risks",
            title,
            (
                ctx.say(
                    "No segment departed significantly from its history in {period}.",
                    period=ctx.period(ctx.inputs.start, ctx.inputs.end),
                ),
            ),
        )
    top = top_events(ctx).head(TOP)
    blocks: list[Block] = [
        events_intro(ctx),
        risk_bullets(ctx, risk_items(signals, top.head(BULLETS))),
        event_table(ctx, top, "events"),
        event_figure(
            ctx, top, "events", ctx.say("Events: cases observed against the cases the history predicts")
        ),
    ]
    return Section("risks", title, tuple(blocks))


def concentration(ctx: Ctx, on: date) -> Section:
    """Offices (Pareto, incidence) and lanes (table, KA3 map)."""
    f = ctx.facts
    offices = ctx.inputs.analysis.concentration
    blocks: list[Block] = []
    if not offices.empty:
        top5 = list(offices["office"].head(5))
        shares = [f.num("offices", "share", "dec2", office=o) for o in top5]
        n80 = int((offices["cumulative_share"] < PARAMETERS["pareto_share"] / 100).sum() + 1)
        blocks.append(
            ctx.say(
                "{n} offices detained goods; the five with the most detentions ({offices}) hold {share} % of "
                "the cases, and {n80} offices hold {pareto} %. Herfindahl index of the offices: {hhi}.",
                n=f.num("offices", "cases", "int", agg="count"),
                offices=join(ctx.text, [Code(o) for o in top5]),
                share=f.calc("percent", f.calc("sum", *shares, style="dec2"), style="pct"),
                n80=f.num("offices", "rank", "int", office=offices["office"].iloc[n80 - 1]),
                pareto=f.param("pareto_share"),
                hhi=f.num("offices", "hhi", "dec3", office=top5[0]),
            )
        )
        blocks += [offices_table(ctx, TOP), pareto_figure(ctx)]
        blocks += _present(highest_incidence(ctx, "offices", "office"))
    lanes = ctx.inputs.analysis.lanes
    if not lanes.empty:
        blocks.append(
            ctx.say(
                "Lanes: {n} routes from a departure port to an arrival port carried detained goods.",
                n=f.num("lanes", "cases", "int", agg="count"),
            )
        )
        blocks += [lanes_table(ctx, "lanes", TOP), map_figure(ctx, "lanes", on)]
        blocks += _present(highest_incidence(ctx, "lanes", "lane"))
    if not blocks:
        blocks.append(ctx.say("No detentions in the period."))
    return Section("concentration", ctx.say("Where detentions concentrate"), tuple(blocks))


def _present(para: Para | None) -> list[Block]:
    return [para] if para is not None else []


def mirror(ctx: Ctx) -> Section:
    m = ctx.inputs.analysis.mirror
    title = ctx.say("Export-import mirror")
    if m.empty:
        return Section(
            "mirror",
            title,
            (ctx.say("No export detentions by China and import detentions from China on common lanes."),),
        )
    f = ctx.facts
    export = f.num("mirror", "export_cases", "int", agg="sum")
    imported = f.num("mirror", "import_cases", "int", agg="sum")
    total = f.calc("sum", export, imported, style="int")
    only = f.num("mirror", "import_cases", "int", agg="count", detected="import only")
    blocks: list[Block] = [
        ctx.say(
            "Of {total} detentions (case x product) on lanes from China, {export} % were made at export by "
            "China and {import_} % at import; {pairs} lane-product pairs were caught only at import, after "
            "passing export controls.",
            total=total,
            export=f.calc("pct", export, total, style="pct"),
            import_=f.calc("pct", imported, total, style="pct"),
            pairs=only,
        )
    ]
    caught = m[m["detected"] == "import only"].sort_values(
        ["import_cases", "lane", "product_category"], ascending=[False, True, True]
    )
    if not caught.empty:
        rows = [
            (
                Code(str(r.lane)),
                category_label("product_category", str(r.product_category), ctx.text),
                f.num("mirror", "import_cases", "int", lane=r.lane, product_category=r.product_category),
                f.num(
                    "mirror", "import_articles", "amount", lane=r.lane, product_category=r.product_category
                ),
            )
            for r in caught.head(TOP).itertuples()
        ]
        blocks.append(
            Table(
                "mirror",
                ctx.say("Caught only at import: the largest lane-product pairs"),
                tuple(ctx.say(c) for c in (N_("lane"), N_("product"), N_("cases at import"), N_("articles"))),
                tuple(rows),
                ctx.source("mirror"),
                align="llrr",
            )
        )
    blocks.append(
        Figure(
            "mirror",
            ctx.say("Cases on lanes from China, detained at export and at import, by product"),
            mirror_sides(m, ctx.text),
            ctx.source("mirror"),
        )
    )
    return Section("mirror", title, tuple(blocks))


def propensity(ctx: Ctx) -> Section:
    p = ctx.inputs.analysis.propensity
    title = ctx.say("Propensity factors")
    if p.empty:
        return Section("propensity", title, (ctx.say("Not computed: no trade statistics in the warehouse."),))
    blocks: list[Block] = [
        ctx.say(
            "A factor is an item's share of the seizures divided by its share of the imports (GTRIC, "
            "OECD-EUIPO): a factor above one means the item is seized more often than its trade predicts."
        )
    ]
    for index, key in (("GTRIC-p", "hs_chapter"), ("GTRIC-e", "provenance_country")):
        part = (
            p[p["index"] == index]
            .dropna(subset=["factor"])
            .sort_values(["factor", key], ascending=[False, True])
        )
        if part.empty:
            continue
        blocks.append(_factor_table(ctx, part.head(TOP), index, key))
        if index == "GTRIC-e":
            labelled = part.head(TOP).assign(
                label=[country_label(str(c), ctx.text) for c in part.head(TOP)[key]]
            )
            blocks.append(
                Figure(
                    "propensity",
                    ctx.say("Provenance economies: share of seizures over share of imports"),
                    factors(labelled[["label", "factor"]], ctx.text),
                    ctx.source("propensity"),
                )
            )
    return Section("propensity", title, tuple(blocks))


def _factor_table(ctx: Ctx, part: pd.DataFrame, index: str, key: str) -> Table:
    f = ctx.facts
    rows = []
    for value in part[key]:
        where: dict[str, Any] = {"index": index, key: value}
        name: Any = Code(f"HS {value}") if key == "hs_chapter" else country_label(str(value), ctx.text)
        rows.append(
            (
                name,
                f.num("propensity", "seizures", "int", **where),
                f.calc("percent", f.num("propensity", "seizure_share", "dec2", **where), style="pct"),
                f.calc("percent", f.num("propensity", "trade_share", "dec2", **where), style="pct"),
                f.num("propensity", "factor", "dec2", **where),
            )
        )
    caption = (
        ctx.say("HS chapters seized most out of proportion to their imports (GTRIC-p)")
        if key == "hs_chapter"
        else ctx.say("Provenance economies seized most out of proportion to their imports (GTRIC-e)")
    )
    columns = (
        N_("HS chapter") if key == "hs_chapter" else N_("provenance"),
        N_("seizures"),
        N_("share of seizures (%)"),
        N_("share of imports (%)"),
        N_("factor"),
    )
    return Table(
        f"propensity-{index}",
        caption,
        tuple(ctx.say(c) for c in columns),
        tuple(rows),
        ctx.source("propensity"),
    )


#: The columns that identify a displacement pair.
_PAIR = (
    "product_category",
    "provenance_country",
    "from_office",
    "from_transport_mode",
    "to_office",
    "to_transport_mode",
    "level",
)


def displacement(ctx: Ctx) -> Section:
    d = ctx.inputs.analysis.displacement
    title = ctx.say("Displacement")
    if d.empty:
        return Section(
            "displacement",
            title,
            (ctx.say("No route fell while a neighbouring route for the same goods rose (FDR-controlled)."),),
        )
    f = ctx.facts
    rows = []
    for r in d.head(TOP).to_dict("records"):
        where = {k: r[k] for k in _PAIR}
        rows.append(
            (
                _goods(ctx, r),
                ctx.say(
                    "{office} ({mode})",
                    office=Code(str(r["from_office"])),
                    mode=category_label("transport_mode", str(r["from_transport_mode"]), ctx.text),
                ),
                ctx.say(
                    "{office} ({mode})",
                    office=Code(str(r["to_office"])),
                    mode=category_label("transport_mode", str(r["to_transport_mode"]), ctx.text),
                ),
                ctx.quarter(str(r["recent_start"])),
                ctx.say(
                    "{before} -> {recent}",
                    before=f.num("displacement", "from_before", "dec1", **where),
                    recent=f.num("displacement", "from_recent", "dec1", **where),
                ),
                ctx.say(
                    "{before} -> {recent}",
                    before=f.num("displacement", "to_before", "dec1", **where),
                    recent=f.num("displacement", "to_recent", "dec1", **where),
                ),
                f.num("displacement", "q_value", "sig2", **where),
            )
        )
    columns = (
        N_("goods"),
        N_("falling route"),
        N_("rising route"),
        N_("since"),
        N_("falling: cases a quarter"),
        N_("rising: cases a quarter"),
        N_("q"),
    )
    return Section(
        "displacement",
        title,
        (
            ctx.say(
                "Routes whose detentions fell while a neighbouring route (another office with the same "
                "mode, or the same office with another mode) rose for the same goods:"
            ),
            Table(
                "displacement",
                ctx.say("Displacement between neighbouring routes, most significant first"),
                tuple(ctx.say(c) for c in columns),
                tuple(rows),
                ctx.source("displacement"),
                align="llllrrr",
            ),
        ),
    )


def _goods(ctx: Ctx, row: Mapping[Any, Any]) -> Para:
    product = (
        ctx.text.gettext("all products")
        if row["product_category"] == "*"
        else category_label("product_category", str(row["product_category"]), ctx.text)
    )
    if row["provenance_country"] == "*":
        return Para((product,))
    return ctx.say(
        "{product} from {origin}",
        product=product,
        origin=country_label(str(row["provenance_country"]), ctx.text),
    )
