"""The summary of the joint analysis for the experts' meeting: the main findings in plain words, as markdown
with the charts where they belong."""

from __future__ import annotations

import numpy as np
import pandas as pd

from iprisk.analysis.run import Analysis, only_cut

#: Offices or lanes with fewer cases are left out of the "highest incidence" line (one case on a lane of ten
#: consignments is not a finding).
MIN_INCIDENCE_CASES = 10


def _highest_incidence(frame: pd.DataFrame, key: str, what: str) -> list[str]:
    """The summary line naming the three highest incidences per 1,000 consignments (none without traffic)."""
    inc = frame.dropna(subset=["cases_per_1000_consignments"])
    inc = inc[inc["cases"] >= MIN_INCIDENCE_CASES]
    if inc.empty:
        return []
    best = inc.sort_values("cases_per_1000_consignments", ascending=False).head(3)
    items = ", ".join(f"{getattr(r, key)} ({r.cases_per_1000_consignments:.2f})" for r in best.itertuples())
    floor = f"{what} with at least {MIN_INCIDENCE_CASES} cases"
    return [f"Highest incidence per 1,000 consignments, {floor}: {items}."]


def _fmt(x: float) -> str:
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.1f} M"
    return f"{x:,.0f}"


def _pct(x: float) -> str:
    return "n/a" if x is None or np.isnan(x) else f"{x:+.0f} %"


def summary_markdown(a: Analysis, charts: dict[str, str] | None = None) -> str:
    """The main findings in plain words, with the charts (``{title: file name}``) where they belong."""
    charts = charts or {}
    lines = [f"# Joint analysis of IPR detentions, {a.start} to {a.end}", ""]
    t = a.totals
    lines += [
        f"{_fmt(t['cases'])} cases ({_fmt(t['lines'])} product lines), {_fmt(t['articles'])} articles, "
        f"retail value EUR {_fmt(t['retail_value'])}.",
        "",
        "## Trends",
        "",
    ]
    total = a.trends[(a.trends["metric"] == "cases") & only_cut(a.trends, [])]
    if not total.empty:
        last = total.iloc[-1]
        lines.append(
            f"In {last['quarter']}, {_fmt(last['value'])} cases: {_pct(last['change_prev_pct'])} on the "
            f"previous quarter, {_pct(last['change_yoy_pct'])} on the same quarter a year before."
        )
    cat = a.trends[(a.trends["metric"] == "cases") & only_cut(a.trends, ["product_category"])]
    if not cat.empty:
        last_q = cat["quarter"].max()
        cur = cat[(cat["quarter"] == last_q) & (cat["change_yoy"] > 0)]
        if not cur.empty:
            up = cur.sort_values("change_yoy", ascending=False).head(3)
            items = ", ".join(f"{r.product_category} ({r.change_yoy:+.0f} cases)" for r in up.itertuples())
            lines.append(f"Largest rises on a year before, by product: {items}.")
    for title in ("Cases per quarter by transport mode", "Cases per quarter, main product categories"):
        if title in charts:
            lines += ["", f"![{title}]({charts[title]})"]
    lines += ["", "## Emerging risks", ""]
    if a.signals.empty:
        lines.append("No segment departed significantly from its history.")
    else:
        cur = a.signals[a.signals["quarter"] == a.end]
        counts = cur["direction"].value_counts()
        n = len(a.signals)
        lines.append(
            f"{n} signal{'' if n == 1 else 's'} over the period (false-discovery rate controlled per "
            "quarter); "
            f"in {a.end}: " + ", ".join(f"{int(counts.get(d, 0))} {d}" for d in ("up", "down", "new")) + "."
        )
        if cur.empty:
            cur = a.signals.sort_values("score", ascending=False)
            lines += ["", "The most surprising of the period:"]
        else:
            lines += ["", f"The most important in {a.end}:"]
        lines.append("")
        lines += [f"{i}. {r.quarter}: {r.explanation}" for i, r in enumerate(cur.head(8).itertuples(), 1)]
    if "Top signals, last quarter" in charts:
        lines += ["", f"![Top signals]({charts['Top signals, last quarter']})"]
    lines += ["", "## Where detentions concentrate", ""]
    c = a.concentration
    if not c.empty:
        top = c.head(5)
        n80 = int((c["cumulative_share"] < 0.8).sum() + 1)
        lines.append(
            f"{len(c)} offices detained; the top 5 ({', '.join(top['office'])}) hold "
            f"{100 * top['share'].sum():.0f} % of the cases, {n80} offices hold 80 %; Herfindahl index "
            f"{c['hhi'].iloc[0]:.3f}."
        )
        lines += _highest_incidence(c, "office", "offices")
    if not a.lanes.empty:
        top = a.lanes.head(3)
        lines.append(
            "Busiest lanes: " + ", ".join(f"{r.lane} ({r.cases} cases)" for r in top.itertuples()) + "."
        )
        lines += _highest_incidence(a.lanes, "lane", "lanes")
    if "Offices: Pareto of cases" in charts:
        lines += ["", f"![Offices]({charts['Offices: Pareto of cases']})"]
    lines += ["", "## Mirror: export and import detentions", ""]
    m = a.mirror
    if m.empty:
        lines.append("No export detentions by China and import detentions from China on common lanes.")
    else:
        e, i = m["export_cases"].sum(), m["import_cases"].sum()
        only = m[m["detected"] == "import only"]
        lines.append(
            f"Of {e + i:,} detentions (case x product) on lanes from China, "
            f"{100 * e / max(e + i, 1):.0f} % were detained at export and "
            f"{100 * i / max(e + i, 1):.0f} % at import; {len(only)} lane-product pairs were "
            "caught only at import (passed export controls)."
        )
        if not only.empty:
            lines.append(
                "Largest: "
                + ", ".join(
                    f"{r.lane} {r.product_category} ({r.import_cases})" for r in only.head(3).itertuples()
                )
                + "."
            )
    lines += ["", "## Propensity (GTRIC-style factors)", ""]
    if a.propensity.empty:
        lines.append("Not computed: no trade statistics in the warehouse.")
    else:
        for idx, label in (("GTRIC-p", "HS chapters"), ("GTRIC-e", "provenance economies")):
            part = a.propensity[a.propensity["index"] == idx].dropna(subset=["factor"]).head(3)
            if not part.empty:
                key = "hs_chapter" if idx == "GTRIC-p" else "provenance_country"
                items = ", ".join(f"{getattr(r, key)} ({r.factor:.1f})" for r in part.itertuples())
                lines.append(f"Most over-represented {label} (seizure share / trade share): {items}.")
    lines += ["", "## Displacement", ""]
    if a.displacement.empty:
        lines.append("No route fell while a neighbouring route for the same goods rose (FDR-controlled).")
    else:
        for r in a.displacement.head(3).itertuples():
            product = "all products" if r.product_category == "*" else str(r.product_category)
            origin = "" if r.provenance_country == "*" else f" from {r.provenance_country}"
            lines.append(
                f"- {product}{origin}, since {r.recent_start}: {r.from_office} ({r.from_transport_mode}) "
                f"fell {r.from_before:.1f} -> {r.from_recent:.1f} cases a quarter while {r.to_office} "
                f"({r.to_transport_mode}) rose {r.to_before:.1f} -> {r.to_recent:.1f} (q = {r.q_value:.2g})."
            )
    if a.notes:
        lines += ["", "## Notes", "", *[f"- {n}" for n in a.notes]]
    return "\n".join(lines) + "\n"
