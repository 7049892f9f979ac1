"""The summary of the joint analysis for the experts' meeting: the main findings in plain words, as markdown
with the charts where they belong, in English or Simplified Chinese.

Every sentence is a message of the catalog (:mod:`iprisk.i18n`); numbers and quarters are formatted for the
language, codes named by their label (product categories, transport modes, countries in Chinese).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from iprisk.analysis.run import NO_TRADE, Analysis, only_cut
from iprisk.codes.lists import PRODUCT_CATEGORIES, TRANSPORT_MODES
from iprisk.i18n import N_, Text
from iprisk.reports.signals import explanations

#: Offices or lanes with fewer cases are left out of the "highest incidence" line (one case on a lane of ten
#: consignments is not a finding).
MIN_INCIDENCE_CASES = 10

#: What each note of the analysis says.
NOTES = {
    NO_TRADE: N_("No trade table in the warehouse: incidence per traffic and propensity factors are empty.")
}


def summary_markdown(a: Analysis, charts: Mapping[str, str] | None = None, locale: str = "en") -> str:
    """The main findings in plain words, with the charts (``{chart id: file name}``, ids of
    :data:`iprisk.reports.charts.CHART_FILES`) where they belong, in ``locale`` (``en`` or ``zh``)."""
    text = Text(locale)
    charts = charts or {}
    sections = [
        _header(a, text),
        _trends(a, text, charts),
        _signals(a, text, charts),
        _concentration(a, text, charts),
        _mirror(a, text),
        _propensity(a, text),
        _displacement(a, text),
        _notes(a, text),
    ]
    return "\n".join(line for section in sections for line in section) + "\n"


def _image(alt: str, charts: Mapping[str, str], chart: str) -> list[str]:
    return ["", f"![{alt}]({charts[chart]})"] if chart in charts else []


def _header(a: Analysis, text: Text) -> list[str]:
    t = a.totals
    title = text.gettext(
        "Joint analysis of IPR detentions, {start} to {end}",
        start=text.quarter(a.start),
        end=text.quarter(a.end),
    )
    totals = text.gettext(
        "{cases} cases ({lines} product lines), {articles} articles, retail value EUR {value}.",
        cases=text.compact(t["cases"]),
        lines=text.compact(t["lines"]),
        articles=text.compact(t["articles"]),
        value=text.compact(t["retail_value"]),
    )
    return [f"# {title}", "", totals]


def _change(x: float, text: Text) -> str:
    if x is None or math.isnan(x):
        return text.gettext("n/a")
    return text.gettext("{change} %", change=text.number(x, sign=True, grouping=False))


def _trends(a: Analysis, text: Text, charts: Mapping[str, str]) -> list[str]:
    lines = ["", "## " + text.gettext("Trends"), ""]
    total = a.trends[(a.trends["metric"] == "cases") & only_cut(a.trends, [])]
    if not total.empty:
        last = total.iloc[-1]
        lines.append(
            text.gettext(
                "In {quarter}, {cases} cases: {previous} on the previous quarter, {year} on the same "
                "quarter a "
                "year before.",
                quarter=text.quarter(last["quarter"]),
                cases=text.compact(last["value"]),
                previous=_change(last["change_prev_pct"], text),
                year=_change(last["change_yoy_pct"], text),
            )
        )
    cat = a.trends[(a.trends["metric"] == "cases") & only_cut(a.trends, ["product_category"])]
    if not cat.empty:
        cur = cat[(cat["quarter"] == cat["quarter"].max()) & (cat["change_yoy"] > 0)]
        if not cur.empty:
            up = cur.sort_values("change_yoy", ascending=False).head(3)
            items = [
                text.gettext(
                    "{product} ({change} cases)",
                    product=_product(r.product_category, text),
                    change=text.number(r.change_yoy, sign=True, grouping=False),
                )
                for r in up.itertuples()
            ]
            lines.append(
                text.gettext("Largest rises on a year before, by product: {items}.", items=text.join(items))
            )
    lines += _image(text.gettext("Cases per quarter by transport mode"), charts, "trend_transport_mode")
    lines += _image(
        text.gettext("Cases per quarter, main product categories"), charts, "trend_product_category"
    )
    return lines


def _product(code: object, text: Text) -> str:
    """A product category in a sentence: its code in English (as the English summary always wrote it), its
    label in other languages."""
    return str(code) if text.locale == "en" else text.label(PRODUCT_CATEGORIES, str(code))


def _mode(code: object, text: Text) -> str:
    return str(code) if text.locale == "en" else text.label(TRANSPORT_MODES, str(code))


def _signals(a: Analysis, text: Text, charts: Mapping[str, str]) -> list[str]:
    lines = ["", "## " + text.gettext("Emerging risks"), ""]
    if a.signals.empty:
        lines.append(text.gettext("No segment departed significantly from its history."))
    else:
        cur = a.signals[a.signals["quarter"] == a.end]
        counts = cur["direction"].value_counts()
        lines.append(
            text.ngettext(
                "{n} signal over the period (false-discovery rate controlled per quarter); in {end}: {up} "
                "up, "
                "{down} down, {new} new.",
                "{n} signals over the period (false-discovery rate controlled per quarter); in {end}: {up} "
                "up, "
                "{down} down, {new} new.",
                len(a.signals),
                end=text.quarter(a.end),
                **{d: int(counts.get(d, 0)) for d in ("up", "down", "new")},
            )
        )
        if cur.empty:
            cur = a.signals.sort_values("score", ascending=False)
            lines += ["", text.gettext("The most surprising of the period:")]
        else:
            lines += ["", text.gettext("The most important in {end}:", end=text.quarter(a.end))]
        lines.append("")
        top = cur.head(8)
        sentences = explanations(top, text)
        lines += [
            f"{i}. {text.quarter(q)}: {s}"
            for i, (q, s) in enumerate(zip(top["quarter"], sentences, strict=True), 1)
        ]
    return lines + _image(text.gettext("Top signals"), charts, "signals")


def _highest_incidence(frame: pd.DataFrame, key: str, text: Text | None = None) -> list[str]:
    """The summary line naming the three highest incidences per thousand consignments (none without
    traffic)."""
    text = text or Text()
    inc = frame.dropna(subset=["cases_per_1000_consignments"])
    inc = inc[inc["cases"] >= MIN_INCIDENCE_CASES]
    if inc.empty:
        return []
    best = inc.sort_values("cases_per_1000_consignments", ascending=False).head(3)
    items = text.join(
        [
            text.gettext(
                "{name} ({value})",
                name=getattr(r, key),
                value=text.number(r.cases_per_1000_consignments, decimals=2, grouping=False),
            )
            for r in best.itertuples()
        ]
    )
    if key == "office":
        line = text.gettext(
            "Highest incidence per thousand consignments, offices with at least {min_cases} cases: {items}.",
            min_cases=MIN_INCIDENCE_CASES,
            items=items,
        )
    else:
        line = text.gettext(
            "Highest incidence per thousand consignments, lanes with at least {min_cases} cases: {items}.",
            min_cases=MIN_INCIDENCE_CASES,
            items=items,
        )
    return [line]


def _concentration(a: Analysis, text: Text, charts: Mapping[str, str]) -> list[str]:
    lines = ["", "## " + text.gettext("Where detentions concentrate"), ""]
    c = a.concentration
    if not c.empty:
        top = c.head(5)
        lines.append(
            text.gettext(
                "{n} offices detained; the top 5 ({offices}) hold {share} % of the cases, {n80} offices hold "
                "80 %; Herfindahl index {hhi}.",
                n=len(c),
                offices=text.join(list(top["office"])),
                share=text.number(100 * top["share"].sum(), grouping=False),
                n80=int((c["cumulative_share"] < 0.8).sum() + 1),
                hhi=text.number(c["hhi"].iloc[0], decimals=3),
            )
        )
        lines += _highest_incidence(c, "office", text)
    if not a.lanes.empty:
        items = [
            text.gettext("{lane} ({cases} cases)", lane=r.lane, cases=r.cases)
            for r in a.lanes.head(3).itertuples()
        ]
        lines.append(text.gettext("Busiest lanes: {items}.", items=text.join(items)))
        lines += _highest_incidence(a.lanes, "lane", text)
    return lines + _image(text.gettext("Offices"), charts, "offices_pareto")


def _mirror(a: Analysis, text: Text) -> list[str]:
    lines = ["", "## " + text.gettext("Mirror: export and import detentions"), ""]
    m = a.mirror
    if m.empty:
        return [
            *lines,
            text.gettext("No export detentions by China and import detentions from China on common lanes."),
        ]
    e, i = m["export_cases"].sum(), m["import_cases"].sum()
    only = m[m["detected"] == "import only"]
    lines.append(
        text.gettext(
            "Of {total} detentions (case x product) on lanes from China, {export} % were detained at export "
            "and "
            "{import_} % at import; {pairs} lane-product pairs were caught only at import (passed export "
            "controls).",
            total=text.number(e + i),
            export=text.number(100 * e / max(e + i, 1), grouping=False),
            import_=text.number(100 * i / max(e + i, 1), grouping=False),
            pairs=len(only),
        )
    )
    if not only.empty:
        items = [
            text.gettext(
                "{lane} {product} ({cases})",
                lane=r.lane,
                product=_product(r.product_category, text),
                cases=r.import_cases,
            )
            for r in only.head(3).itertuples()
        ]
        lines.append(text.gettext("Largest: {items}.", items=text.join(items)))
    return lines


def _propensity(a: Analysis, text: Text) -> list[str]:
    lines = ["", "## " + text.gettext("Propensity (GTRIC-style factors)"), ""]
    if a.propensity.empty:
        return [*lines, text.gettext("Not computed: no trade statistics in the warehouse.")]
    for index, key in (("GTRIC-p", "hs_chapter"), ("GTRIC-e", "provenance_country")):
        part = a.propensity[a.propensity["index"] == index].dropna(subset=["factor"]).head(3)
        if part.empty:
            continue
        items = text.join(
            [
                text.gettext(
                    "{name} ({value})",
                    name=text.country(str(getattr(r, key)))
                    if key == "provenance_country"
                    else getattr(r, key),
                    value=text.number(r.factor, decimals=1, grouping=False),
                )
                for r in part.itertuples()
            ]
        )
        if index == "GTRIC-p":
            lines.append(
                text.gettext(
                    "Most over-represented HS chapters (seizure share / trade share): {items}.", items=items
                )
            )
        else:
            lines.append(
                text.gettext(
                    "Most over-represented provenance economies (seizure share / trade share): {items}.",
                    items=items,
                )
            )
    return lines


def _displacement(a: Analysis, text: Text) -> list[str]:
    lines = ["", "## " + text.gettext("Displacement"), ""]
    if a.displacement.empty:
        return [
            *lines,
            text.gettext(
                "No route fell while a neighbouring route for the same goods rose (FDR-controlled)."
            ),
        ]
    for r in a.displacement.head(3).itertuples():
        product = (
            text.gettext("all products") if r.product_category == "*" else _product(r.product_category, text)
        )
        facts = dict(
            start=text.quarter(str(r.recent_start)),
            from_office=r.from_office,
            from_mode=_mode(r.from_transport_mode, text),
            from_before=text.number(r.from_before, decimals=1, grouping=False),
            from_recent=text.number(r.from_recent, decimals=1, grouping=False),
            to_office=r.to_office,
            to_mode=_mode(r.to_transport_mode, text),
            to_before=text.number(r.to_before, decimals=1, grouping=False),
            to_recent=text.number(r.to_recent, decimals=1, grouping=False),
            q=text.number(r.q_value, significant=2),
        )
        if r.provenance_country == "*":
            line = text.gettext(
                "{product}, since {start}: {from_office} ({from_mode}) fell {from_before} -> {from_recent} "
                "cases a "
                "quarter while {to_office} ({to_mode}) rose {to_before} -> {to_recent} (q = {q}).",
                product=product,
                **facts,
            )
        else:
            line = text.gettext(
                "{product} from {origin}, since {start}: {from_office} ({from_mode}) fell {from_before} -> "
                "{from_recent} cases a quarter while {to_office} ({to_mode}) rose {to_before} -> {to_recent} "
                "(q = {q}).",
                product=product,
                origin=text.country(str(r.provenance_country)),
                **facts,
            )
        lines.append(f"- {line}")
    return lines


def _notes(a: Analysis, text: Text) -> list[str]:
    if not a.notes:
        return []
    return ["", "## " + text.gettext("Notes"), "", *[f"- {text.gettext(NOTES[n])}" for n in a.notes]]
