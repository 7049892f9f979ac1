"""Pieces the reports share: the builder's context (language, facts, periods), the document with its
running header (:func:`cooperation_document`), tables of offices and lanes, the KA3 map figure and the data
annex. Emerging risks are in :mod:`iprisk.reports.risks`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from iprisk.codes import eu_members
from iprisk.i18n import N_, Text
from iprisk.lanes import SEPARATOR
from iprisk.periods import Quarter
from iprisk.reports.document import (
    Bullets,
    Code,
    Document,
    Figure,
    Meta,
    Para,
    Period,
    Section,
    Table,
    join,
    rich,
)
from iprisk.reports.facts import PARAMETERS, Facts
from iprisk.reports.figures import pareto
from iprisk.reports.inputs import ReportInputs
from iprisk.reports.labels import country_label, port_label
from iprisk.reports.lanes_map import lanes_map as lanes_map_chart
from iprisk.reports.lanes_map import map_lanes
from iprisk.reports.snapshot import code_version


@dataclass(frozen=True)
class Ctx:
    """What a builder writes with: the inputs, the language and the facts read from the inputs' tables."""

    inputs: ReportInputs
    text: Text
    facts: Facts

    @classmethod
    def of(cls, inputs: ReportInputs, locale: str) -> Ctx:
        return cls(inputs, Text(locale), Facts(inputs.tables()))

    def say(self, message: str, /, **params: Any) -> Para:
        return rich(self.text, message, **params)

    def quarter(self, quarter: str | Quarter) -> Period:
        return Period(str(quarter), self.text.quarter(quarter))

    def year(self, year: int | str) -> Period:
        return Period(str(year), self.text.year(year))

    def period(self, start: str, end: str) -> Period:
        """A calendar year, a quarter, or ``start to end``."""
        first, last = Quarter.parse(start), Quarter.parse(end)
        if first.q == 1 and last.q == 4 and first.year == last.year:
            return self.year(first.year)
        if first == last:
            return self.quarter(first)
        label = self.text.gettext(
            "{start} to {end}", start=self.text.quarter(first), end=self.text.quarter(last)
        )
        return Period(f"{first}/{last}", label)

    def document(
        self, kind: str, *, title: Para, period: Para, sections: tuple[Section, ...], lead: Para
    ) -> Document:
        """The report of ``sections`` (see :func:`cooperation_document`)."""
        return cooperation_document(
            self.text, self.facts, self.inputs.snapshot.short,
            kind=kind, title=title, period=period, sections=sections, lead=lead,
        )  # fmt: skip

    def source(self, table: str) -> Para:
        """The source line of a table or figure: which analysis table, which data snapshot."""
        return self.say(
            "Source: joint analysis of the exchanged seizure statistics ({table}); data snapshot {snapshot}.",
            table=self.text.gettext(TABLE_NAMES[table]),
            snapshot=Code(self.inputs.snapshot.short),
        )


def cooperation_document(
    text: Text,
    facts: Facts,
    snapshot: str,
    *,
    kind: str,
    title: Para,
    period: Para,
    sections: tuple[Section, ...],
    lead: Para,
) -> Document:
    """A report of the cooperation in ``text``'s language: its title over the cooperation's name, the lead
    line, the running header's period, data ``snapshot`` and code version, and the tables of ``facts`` its
    numbers were read from."""
    return Document(
        kind=kind,
        locale=text.locale,
        title=title,
        subtitle=rich(text, "EU-China customs cooperation against counterfeit and pirated goods"),
        meta=Meta(period, snapshot, code_version()),
        sections=sections,
        lead=(lead,),
        sources=facts.tables,
    )


#: How a source line names each table of the inputs.
TABLE_NAMES = {
    "totals": N_("totals"),
    "trends": N_("trends per quarter"),
    "signals": N_("emerging-risk signals"),
    "events": N_("emerging-risk events"),
    "offices": N_("detentions per office"),
    "lanes": N_("detentions per lane"),
    "quarter_lanes": N_("detentions per lane in the quarter"),
    "mirror": N_("export-import mirror"),
    "propensity": N_("propensity factors"),
    "displacement": N_("displacement"),
    "strategies": N_("selection strategies evaluated"),
    "profile_metrics": N_("risk profiles evaluated"),
}


def offices_table(ctx: Ctx, top: int = 10) -> Table:
    frame = ctx.inputs.analysis.concentration.head(top)
    rows = []
    for office in frame["office"]:
        n = _office_nums(ctx, office)
        rows.append((Code(office), port_label(office, ctx.text), *n))
    columns = (
        N_("office"),
        N_("name"),
        N_("cases"),
        N_("share of cases (%)"),
        N_("cumulative (%)"),
        N_("consignments"),
        N_("per thousand consignments"),
    )
    return Table(
        "offices",
        ctx.say("The offices with the most detentions"),
        tuple(ctx.say(c) for c in columns),
        tuple(rows),
        ctx.source("offices"),
        align="llrrrrr",
    )


def _office_nums(ctx: Ctx, office: str) -> tuple[Any, ...]:
    f = ctx.facts
    share = f.num("offices", "share", "dec2", office=office)
    cumulative = f.num("offices", "cumulative_share", "dec2", office=office)
    return (
        f.num("offices", "cases", "int", office=office),
        f.calc("percent", share, style="pct"),
        f.calc("percent", cumulative, style="pct"),
        _traffic(f, "offices", "consignments", office=office),
        _traffic(f, "offices", "cases_per_1000_consignments", style="dec3", office=office),
    )


def _traffic(f: Facts, table: str, column: str, style: Any = "amount", **where: Any) -> Any:
    """A traffic figure, or a dash where the warehouse holds no traffic for it."""
    if column not in f.tables[table].columns:
        return "–"
    n = f.num(table, column, style, **where)
    return "–" if pd.isna(n.value) else n


def lanes_table(ctx: Ctx, table: str, top: int = 10) -> Table:
    """The busiest lanes of ``table`` (``lanes`` or ``quarter_lanes``), with their traffic and incidence."""
    frame = ctx.facts.tables[table].head(top)
    f = ctx.facts
    rows = []
    for lane in frame["lane"]:
        share = f.num(table, "share", "dec2", lane=lane)
        rows.append(
            (
                Code(lane),
                lane_names(lane, ctx.text),
                f.num(table, "cases", "int", lane=lane),
                f.calc("percent", share, style="pct"),
                _traffic(f, table, "consignments", lane=lane),
                _traffic(f, table, "cases_per_1000_consignments", style="dec3", lane=lane),
            )
        )
    columns = (
        N_("lane"),
        N_("from - to"),
        N_("cases"),
        N_("share of cases (%)"),
        N_("consignments"),
        N_("per thousand consignments"),
    )
    return Table(
        f"lanes-{table}",
        ctx.say("The busiest lanes (departure port -> arrival port)"),
        tuple(ctx.say(c) for c in columns),
        tuple(rows),
        ctx.source(table),
        align="llrrrr",
    )


def lane_names(lane: str, text: Text) -> str:
    ends = lane.split(SEPARATOR)
    return " – ".join(port_label(e, text) if e != "?" else text.gettext("unknown") for e in ends)


def highest_incidence(ctx: Ctx, table: str, key: str, top: int = 3) -> Para | None:
    """The ``top`` offices or lanes with the highest incidence per thousand consignments and enough cases."""
    frame = ctx.facts.tables[table]
    if "cases_per_1000_consignments" not in frame.columns:
        return None
    inc = frame.dropna(subset=["cases_per_1000_consignments"])
    inc = inc[inc["cases"] >= PARAMETERS["min_incidence_cases"]]
    if inc.empty:
        return None
    best = inc.sort_values(["cases_per_1000_consignments", key], ascending=[False, True]).head(top)
    items = [
        ctx.say(
            "{name} ({value})",
            name=Code(name),
            value=ctx.facts.num(table, "cases_per_1000_consignments", "dec3", **{key: name}),
        )
        for name in best[key]
    ]
    message = (
        N_("Highest incidence per thousand consignments, offices with at least {min_cases} cases: {items}.")
        if key == "office"
        else N_(
            "Highest incidence per thousand consignments, lanes with at least {min_cases} cases: {items}."
        )
    )
    return ctx.say(message, min_cases=ctx.facts.param("min_incidence_cases"), items=join(ctx.text, items))


def pareto_figure(ctx: Ctx) -> Figure:
    return Figure(
        "offices-pareto",
        ctx.say("Cases per office and cumulative share of all cases (Pareto curve)"),
        pareto(ctx.inputs.analysis.concentration, "office", ctx.text),
        ctx.source("offices"),
    )


def map_figure(ctx: Ctx, table: str, on: date) -> Figure:
    """The KA3 map of ``table``'s lanes into the EU (its members on day ``on``)."""
    arrivals: Collection[str] = eu_members(on)
    drawn = map_lanes(ctx.facts.tables[table], ctx.text, arrivals=arrivals)
    name = f"map_{table}"
    ctx.facts.add(
        name,
        pd.DataFrame(
            [{"lanes": len(drawn.lanes), "drawn_cases": drawn.drawn_cases, "total_cases": drawn.total_cases}]
        ),
    )
    f = ctx.facts
    if drawn.lanes.empty:  # e.g. every arrival port unlisted: say so rather than "the 0 busiest lanes"
        caption = ctx.say(
            "Lanes into the EU: none of the lanes of the {cases} cases into the EU runs between listed "
            "ports, so none is drawn.",
            cases=f.num(name, "total_cases", "int"),
        )
        return Figure("map-" + table, caption, lanes_map_chart(drawn, ctx.text), ctx.source(table))
    caption = ctx.say(
        "Lanes into the EU: width by cases, colour by cases per thousand consignments (grey: traffic "
        "unknown); the {n} busiest lanes between listed ports, {share} % of the cases into the EU.",
        n=f.num(name, "lanes", "int"),
        share=f.calc(
            "pct", f.num(name, "drawn_cases", "int"), f.num(name, "total_cases", "int"), style="pct"
        ),
    )
    return Figure("map-" + table, caption, lanes_map_chart(drawn, ctx.text), ctx.source(table))


def annex(ctx: Ctx, notes: list[Para]) -> Section:
    """Data and method: definitions, the snapshot, the code version and the submissions read."""
    snap = ctx.inputs.snapshot
    blocks: list[Any] = [
        Bullets(
            (
                ctx.say(
                    "A case is one detention decision of one administration; it may hold several product "
                    "lines. Articles and retail value are the sums over the lines."
                ),
                ctx.say(
                    "Incidence is cases per thousand consignments of the same office or lane in the trade "
                    "statistics of the same quarters."
                ),
                ctx.say(
                    "A signal is a segment (up to three of administration, office, transport mode, "
                    "provenance, product and IPR type) whose cases departed from what its own history "
                    "predicts; the false-discovery rate is controlled per quarter."
                ),
            )
        ),
        ctx.say(
            "Data snapshot (the {algorithm} hash of the current submissions and the trade statistics): "
            "{digest}.",
            algorithm=Code("SHA-256"),
            digest=Code(snap.digest),
        ),
        ctx.say("Code version: iprisk {version}.", version=Code(code_version())),
    ]
    blocks.extend(notes)
    if len(snap.submissions):
        blocks.append(submissions_table(ctx))
    return Section("annex", ctx.say("Data and method"), tuple(blocks))


def submissions_table(ctx: Ctx) -> Table:
    """The submission versions the report read for its period: one row per administration, one column per
    quarter, each cell the version and the start of its content hash."""
    subs = ctx.inputs.snapshot.submissions
    quarters = [q for q in sorted(subs["quarter"].unique()) if ctx.inputs.start <= q <= ctx.inputs.end]
    part = subs[subs["quarter"].isin(quarters)]
    rows = []
    for admin, group in part.groupby("reporting_admin", sort=True):
        cells = dict(
            zip(group["quarter"], zip(group["version"], group["content_hash"], strict=True), strict=True)
        )
        rows.append(
            (
                Code(str(admin)),
                country_label(str(admin), ctx.text),
                *(Code(f"v{cells[q][0]} {cells[q][1][:8]}") if q in cells else "–" for q in quarters),
            )
        )
    return Table(
        "submissions",
        ctx.say("Submissions read: version and content hash per administration and quarter"),
        (ctx.say("administration"), ctx.say("name"), *(Para((ctx.quarter(q),)) for q in quarters)),
        tuple(rows),
        ctx.say("Source: the warehouse's submission log."),
        align="ll" + "l" * len(quarters),
    )
