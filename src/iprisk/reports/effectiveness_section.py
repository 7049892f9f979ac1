"""The joint report's section on how profiles and targeting performed: precision and lift against random
checks for each selection strategy, and each profile's hit rate and lift. "Not available" until an
evaluation is given (:class:`~iprisk.reports.effectiveness.Effectiveness`)."""

from __future__ import annotations

from typing import Any

from iprisk.i18n import N_
from iprisk.reports.document import Block, Code, Figure, Section, Table
from iprisk.reports.figures import strategy_lines
from iprisk.reports.sections import Ctx

#: Names of the standard strategies (:func:`iprisk.evaluation.strategy_priorities`).
STRATEGY_NAMES = {
    "random": N_("random checks"),
    "profiles": N_("risk profiles"),
    "model": N_("learned score"),
    "model+profiles": N_("score and profiles"),
}
#: Profiles listed, at most.
TOP_PROFILES = 15


def effectiveness(ctx: Ctx) -> Section:
    title = ctx.say("Effectiveness of profiles and targeting")
    ev = ctx.inputs.effectiveness
    if ev is None or (ev.strategies.empty and ev.profiles.empty):
        return Section(
            "effectiveness",
            title,
            (
                ctx.say(
                    "Not available: no evaluation of profiles and targeting was supplied for this report "
                    "(see iprisk targeting evaluate)."
                ),
            ),
        )
    blocks: list[Block] = []
    if ev.period:
        blocks.append(ctx.say("Measured on {period}.", period=Code(ev.period)))
    if not ev.strategies.empty:
        blocks += _strategies(ctx)
    if not ev.profiles.empty:
        blocks.append(_profiles(ctx))
    return Section("effectiveness", title, tuple(blocks))


def _name(ctx: Ctx, strategy: str) -> str:
    return ctx.text.gettext(STRATEGY_NAMES[strategy]) if strategy in STRATEGY_NAMES else strategy


def _strategies(ctx: Ctx) -> list[Block]:
    f = ctx.facts
    s = ctx.inputs.effectiveness.strategies  # type: ignore[union-attr]
    rows = []
    for r in s.itertuples():
        where: dict[str, Any] = {"strategy": r.strategy, "k_pct": r.k_pct}
        rows.append(
            (
                _name(ctx, str(r.strategy)),
                f.num("strategies", "k_pct", "dec1", **where),
                f.num("strategies", "selected", "int", **where),
                f.num("strategies", "hits_selected", "int", **where),
                f.calc("percent", f.num("strategies", "precision", "dec3", **where), style="pct"),
                f.num("strategies", "lift", "dec1", **where),
            )
        )
    columns = (
        N_("strategy"),
        N_("inspected (% of declarations)"),
        N_("inspected"),
        N_("infringements found"),
        N_("precision (%)"),
        N_("lift over random"),
    )
    table = Table(
        "strategies",
        ctx.say("Selection strategies at each share of declarations inspected"),
        tuple(ctx.say(c) for c in columns),
        tuple(rows),
        ctx.source("strategies"),
    )
    names = [_name(ctx, str(x)) for x in s["strategy"].drop_duplicates()]
    figure = Figure(
        "strategies",
        ctx.say("Precision of each selection strategy by the share of declarations inspected"),
        strategy_lines(s, ctx.text, names),
        ctx.source("strategies"),
    )
    return [
        ctx.say(
            "Precision is the share of the inspected declarations that held an infringement; lift is "
            "precision divided by the share random checks find."
        ),
        table,
        figure,
    ]


def _profiles(ctx: Ctx) -> Table:
    f = ctx.facts
    p = ctx.inputs.effectiveness.profiles.head(TOP_PROFILES)  # type: ignore[union-attr]
    rows = []
    for pid in p["profile_id"]:
        where = {"profile_id": pid}
        rate = f.num("profile_metrics", "hit_rate", "dec3", **where)
        rows.append(
            (
                Code(str(pid)),
                f.num("profile_metrics", "matched", "int", **where),
                f.num("profile_metrics", "hits", "int", **where),
                f.calc("percent", rate, style="pct"),
                f.num("profile_metrics", "lift", "dec1", **where),
            )
        )
    columns = (
        N_("profile"),
        N_("declarations matched"),
        N_("infringements found"),
        N_("hit rate (%)"),
        N_("lift over random"),
    )
    return Table(
        "profiles",
        ctx.say("Risk profiles: what each matched and found, best hit rate first"),
        tuple(ctx.say(c) for c in columns),
        tuple(rows),
        ctx.source("profile_metrics"),
    )
