"""The joint risk-analysis report of a year (:func:`annual_report`): what changed, trends by product,
provenance, transport mode, IPR type, procedure and outcome against the year before, emerging risks, where
detentions concentrate (offices, lanes, the KA3 map), the export-import mirror, propensity factors,
displacement, the effectiveness of profiles and targeting, and the data annex.

The tables and figures follow the publication standard of the EU's annual report on customs enforcement of
IPR; every number is read from the report's inputs (:class:`~iprisk.reports.inputs.ReportInputs`).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from iprisk.errors import InvalidValue
from iprisk.i18n import N_
from iprisk.periods import Quarter
from iprisk.reports.document import (
    Block,
    Bullets,
    Code,
    Document,
    Figure,
    Num,
    Para,
    Section,
    Style,
    Table,
)
from iprisk.reports.effectiveness_section import effectiveness
from iprisk.reports.facts import PARAMETERS
from iprisk.reports.figures import quarterly, two_periods
from iprisk.reports.findings import concentration, displacement, emerging_risks, mirror, propensity
from iprisk.reports.inputs import ReportInputs
from iprisk.reports.labels import category_label
from iprisk.reports.sections import Ctx, annex
from iprisk.reports.summary import NOTES

#: The trend subsections: dimension, title, whether a chart compares the two years.
DIMENSIONS: tuple[tuple[str, str, bool], ...] = (
    ("product_category", N_("By product category"), True),
    ("provenance_country", N_("By provenance"), True),
    ("transport_mode", N_("By transport mode"), False),
    ("ipr_type", N_("By type of right infringed"), False),
    ("procedure", N_("By procedure"), False),
    ("outcome", N_("By outcome"), False),
)


def annual_report(inputs: ReportInputs, locale: str = "en") -> Document:
    """The joint report of the calendar year ``inputs`` covers (its first to its fourth quarter)."""
    first, last = Quarter.parse(inputs.start), Quarter.parse(inputs.end)
    if not (first.q == 1 and last.q == 4 and first.year == last.year):
        raise InvalidValue(
            f"the annual report covers a calendar year; the inputs cover {inputs.start} to {inputs.end}"
        )
    ctx = Ctx.of(inputs, locale)
    year = first.year
    notes = [ctx.say(NOTES[n]) for n in inputs.analysis.notes]
    sections = (
        _summary(ctx, year),
        _trends(ctx, year),
        emerging_risks(ctx),
        concentration(ctx, date(year, 12, 31)),
        mirror(ctx),
        propensity(ctx),
        displacement(ctx),
        effectiveness(ctx),
        annex(ctx, notes),
    )
    period = ctx.year(year)
    return ctx.document(
        "annual",
        title=ctx.say("Joint risk-analysis report {year}", year=period),
        period=ctx.say("Year {year}", year=period),
        sections=sections,
        lead=ctx.say(
            "The joint analysis of the seizure statistics the customs administrations exchanged for {year}, "
            "for the risk experts of both sides.",
            year=period,
        ),
    )


class _Years:
    """The year's figures against the year before, read from the trend table."""

    def __init__(self, ctx: Ctx, year: int):
        self.ctx, self.year, self.before = ctx, str(year), str(year - 1)

    def value(self, cut: str, key: str, metric: str, year: str) -> Num:
        style: Style = "int" if metric == "cases" else "amount"
        return self.ctx.facts.num(
            "trends", "value", style, agg="sum", cut=cut, key=key, metric=metric, year=year
        )

    def pair(self, cut: str, key: str, metric: str = "cases") -> tuple[Num, Num]:
        return self.value(cut, key, metric, self.before), self.value(cut, key, metric, self.year)

    def change(self, cut: str, key: str, metric: str = "cases") -> Num:
        before, now = self.pair(cut, key, metric)
        return self.ctx.facts.calc("pct_change", now, before, style="signed_pct")

    def keys(self, cut: str) -> list[str]:
        """The values of ``cut`` with cases in the year, most cases first."""
        t = self.ctx.inputs.trends
        rows = t[(t["cut"] == cut) & (t["metric"] == "cases") & (t["year"] == self.year)]
        sums = rows.groupby("key")["value"].sum()
        sums = sums[sums > 0].sort_index().sort_values(ascending=False, kind="stable")
        return list(sums.index)


def _summary(ctx: Ctx, year: int) -> Section:
    """What changed, in a few generated sentences."""
    y = _Years(ctx, year)
    f = ctx.facts
    items: list[Para] = [
        ctx.say(
            "{cases} cases in {year} ({change} % on {before}): {articles} articles with a retail value of "
            "EUR {value}.",
            cases=y.value("", "", "cases", y.year),
            year=ctx.year(year),
            change=y.change("", ""),
            before=ctx.year(year - 1),
            articles=y.value("", "", "articles", y.year),
            value=y.value("", "", "retail_value", y.year),
        )
    ]
    items += _movers(ctx, y, "product_category")
    modes = y.keys("transport_mode")
    if modes:
        mode = modes[0]
        now = f.calc(
            "pct",
            y.value("transport_mode", mode, "cases", y.year),
            y.value("", "", "cases", y.year),
            style="pct",
        )
        items.append(
            ctx.say(
                "{mode} carried the most cases: {share} % of the year's cases.",
                mode=category_label("transport_mode", mode, ctx.text),
                share=now,
            )
        )
    provenances = y.keys("provenance_country")
    if provenances:
        prov = provenances[0]
        items.append(
            ctx.say(
                "The main provenance was {country}, with {share} % of the cases.",
                country=category_label("provenance_country", prov, ctx.text),
                share=f.calc(
                    "pct",
                    y.value("provenance_country", prov, "cases", y.year),
                    y.value("", "", "cases", y.year),
                    style="pct",
                ),
            )
        )
    signals = ctx.inputs.analysis.signals
    if signals.empty:
        items.append(
            ctx.say("No segment departed significantly from its history in {year}.", year=ctx.year(year))
        )
    else:
        items.append(
            ctx.say(
                "{n} emerging-risk signals in {year}, told as {events} events: {up} rises and {new} new "
                "segments (section Emerging risks).",
                n=f.num("signals", "observed", "int", agg="count"),
                year=ctx.year(year),
                events=f.num("events", "observed", "int", agg="count"),
                up=f.num("events", "observed", "int", agg="count", direction="up"),
                new=f.num("events", "observed", "int", agg="count", direction="new"),
            )
        )
    lanes = ctx.inputs.analysis.lanes
    if not lanes.empty:
        lane = str(lanes["lane"].iloc[0])
        items.append(
            ctx.say(
                "The busiest lane was {lane}, with {cases} cases.",
                lane=Code(lane),
                cases=f.num("lanes", "cases", "int", lane=lane),
            )
        )
    ev = ctx.inputs.effectiveness
    if ev is not None and not ev.strategies.empty:
        items += _targeting_headline(ctx)
    return Section("summary", ctx.say("What changed"), (Bullets(tuple(items)),))


def _movers(ctx: Ctx, y: _Years, cut: str) -> list[Para]:
    """The category with the largest rise in cases on the year before, and the one with the largest fall."""
    t = ctx.inputs.trends
    rows = t[(t["cut"] == cut) & (t["metric"] == "cases")]
    per = rows.groupby(["key", "year"])["value"].sum().unstack(fill_value=0)
    if y.year not in per.columns or y.before not in per.columns:
        return []
    diff = (per[y.year] - per[y.before]).sort_index()
    out = []
    for key, sign in ((diff.idxmax(), 1), (diff.idxmin(), -1)):
        if sign * diff[key] <= 0:
            continue
        before, now = y.pair(cut, str(key))
        message = (
            N_("Largest rise by product: {product}, {diff} cases ({change} %).")
            if sign > 0
            else N_("Largest fall by product: {product}, {diff} cases ({change} %).")
        )
        out.append(
            ctx.say(
                message,
                product=category_label(cut, str(key), ctx.text),
                diff=ctx.facts.calc("diff", now, before, style="signed_int"),
                change=ctx.facts.calc("pct_change", now, before, style="signed_pct"),
            )
        )
    return out


def _targeting_headline(ctx: Ctx) -> list[Para]:
    s = ctx.inputs.effectiveness.strategies  # type: ignore[union-attr]
    model = s[s["strategy"] == "model"].sort_values("k_pct")
    if model.empty:
        return []
    k = model["k_pct"].iloc[0]
    where = {"strategy": "model", "k_pct": k}
    return [
        ctx.say(
            "Targeting: inspecting the {k} % of declarations the learned score ranks highest found {lift} "
            "times as many infringements per inspection as random checks.",
            k=ctx.facts.num("strategies", "k_pct", "dec1", **where),
            lift=ctx.facts.num("strategies", "lift", "dec1", **where),
        )
    ]


def _trends(ctx: Ctx, year: int) -> Section:
    y = _Years(ctx, year)
    f = ctx.facts
    rows = []
    for metric, label in (
        ("cases", N_("cases")),
        ("articles", N_("articles")),
        ("retail_value", N_("retail value (EUR)")),
    ):
        before, now = y.pair("", "", metric)
        rows.append(
            (ctx.text.gettext(label), before, now, f.calc("pct_change", now, before, style="signed_pct"))
        )
    blocks: list[Block] = [
        Table(
            "totals",
            ctx.say("Detentions in {year} and {before}", year=ctx.year(year), before=ctx.year(year - 1)),
            (ctx.say("measure"), Para((ctx.year(year - 1),)), Para((ctx.year(year),)), ctx.say("change (%)")),
            tuple(rows),
            ctx.source("trends"),
        ),
        Figure(
            "modes",
            ctx.say("Cases per quarter by transport mode, the last three years"),
            quarterly(ctx.inputs.trends, "transport_mode", ctx.text),
            ctx.source("trends"),
        ),
    ]
    children = tuple(_dimension(ctx, y, cut, title, chart) for cut, title, chart in DIMENSIONS)
    return Section("trends", ctx.say("Trends"), tuple(blocks), children)


def _dimension(ctx: Ctx, y: _Years, cut: str, title: str, chart: bool) -> Section:
    keys = y.keys(cut)
    if not keys:
        return Section(f"trends-{cut}", ctx.say(title), (ctx.say("No cases in the year."),))
    f = ctx.facts
    total = y.value("", "", "cases", y.year)
    rows = []
    for key in keys[: int(PARAMETERS["top_categories"])]:
        before, now = y.pair(cut, key)
        rows.append(
            (
                category_label(cut, key, ctx.text),
                before,
                now,
                f.calc("pct_change", now, before, style="signed_pct"),
                f.calc("pct", now, total, style="pct"),
                y.value(cut, key, "articles", y.year),
            )
        )
    columns = (
        ctx.say(title),
        Para((ctx.year(int(y.before)),)),
        Para((ctx.year(int(y.year)),)),
        ctx.say("change (%)"),
        ctx.say("share of cases (%)"),
        ctx.say("articles"),
    )
    blocks: list[Block] = [
        Table(f"trends-{cut}", ctx.say(title), columns, tuple(rows), ctx.source("trends")),
    ]
    if len(keys) > PARAMETERS["top_categories"]:
        f.add(f"categories_{cut}", pd.DataFrame({"key": keys}))
        blocks.append(
            ctx.say(
                "The {n} largest of {all}, by cases in {year}.",
                n=f.param("top_categories"),
                all=f.num(f"categories_{cut}", "key", "int", agg="count"),
                year=ctx.year(int(y.year)),
            )
        )
    if chart:
        top = keys[:8]
        frame = _two_years(ctx, y, cut, top)
        blocks.append(
            Figure(
                f"trends-{cut}",
                ctx.say(
                    "Cases in {before} and {year}", before=ctx.year(int(y.before)), year=ctx.year(int(y.year))
                ),
                two_periods(
                    frame,
                    ctx.text,
                    earlier=ctx.text.year(y.before),
                    later=ctx.text.year(y.year),
                    value_title=ctx.text.gettext("cases"),
                ),
                ctx.source("trends"),
            )
        )
    return Section(f"trends-{cut}", ctx.say(title), tuple(blocks))


def _two_years(ctx: Ctx, y: _Years, cut: str, keys: list[str]) -> pd.DataFrame:
    t = ctx.inputs.trends
    rows = t[(t["cut"] == cut) & (t["metric"] == "cases") & t["key"].isin(keys)]
    per = rows.groupby(["key", "year"])["value"].sum().unstack(fill_value=0)
    return pd.DataFrame(
        {
            "label": [category_label(cut, k, ctx.text) for k in keys],
            "earlier": [per.loc[k].get(y.before, 0.0) for k in keys],
            "later": [per.loc[k].get(y.year, 0.0) for k in keys],
        }
    )
