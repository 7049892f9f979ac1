"""Emerging risks in a report, told as events (:mod:`iprisk.analysis.events`).

The analysis groups the signals of one surge into an event: its **headline**, the most specific segment
that explains the others, and the broader, narrower or overlapping segments it explains, each with the
``share`` of its departure from expectation the headline accounts for. A report lists the events, not the
signals: one bullet per event (:func:`risk_bullets`: the headline's sentence, then the segments it explains
with their share), a table of the events (:func:`event_table`) and a chart of their observed against
expected cases (:func:`event_figure`). Every number is read from the ``signals`` or ``events`` table.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from iprisk.i18n import N_
from iprisk.reports.document import Bullets, Figure, Num, Para, Table
from iprisk.reports.figures import observed_expected
from iprisk.reports.sections import Ctx
from iprisk.reports.signals import describe_segment, direction_label, segment_of, signal_para, signal_where

#: Segments a bullet names among those its event explains, at most (the largest shares).
NAMED = 3
#: The counts of the events table that make up the signals an event explains.
_EXPLAINED = ("broader", "narrower", "overlapping")


def risk_items(signals: pd.DataFrame, events: pd.DataFrame) -> list[pd.DataFrame]:
    """Each event of ``events`` (in its order; see :func:`top_events`) as its rows of ``signals``: the
    headline first, then the signals it explains, the largest share first."""
    items = []
    for event_id in events["event_id"]:
        rows = signals[signals["event_id"] == event_id]
        explained = rows[rows["role"] != "headline"].sort_values(
            ["share", "score"], ascending=[False, False], kind="stable"
        )
        items.append(pd.concat([rows[rows["role"] == "headline"], explained]))
    return items


def risk_bullets(ctx: Ctx, items: list[pd.DataFrame]) -> Bullets:
    """One bullet per event: its quarter, its headline's sentence and the segments it explains."""
    bullets = []
    for item in items:
        head = item.iloc[0].to_dict()
        line = ctx.say(
            "{quarter}: {sentence}",
            quarter=ctx.quarter(head["quarter"]),
            sentence=signal_para(head, ctx.facts, ctx.text),
        )
        if len(item) > 1:
            line = ctx.say("{line} {explained}", line=line, explained=_explained(ctx, item))
        bullets.append(line)
    return Bullets(tuple(bullets))


def _explained(ctx: Ctx, item: pd.DataFrame) -> Para:
    """``It explains 7 more signals, among them at DEFRA from CN (100.0 %); at DEFRA (77.7 %); ...``."""
    f = ctx.facts
    named = [
        ctx.say(
            "{segment} ({share} %)",
            segment=describe_segment(segment_of(r), ctx.text),
            share=f.calc("percent", f.num("signals", "share", "dec3", **signal_where(r)), style="pct"),
        )
        for r in item.iloc[1:NAMED + 1].to_dict("records")
    ]  # fmt: skip
    # segments name several dimensions with commas of their own (Chinese: 、), so the list uses semicolons
    segments = named[0]
    for more in named[1:]:
        segments = ctx.say("{first}; {second}", first=segments, second=more)
    if len(item) == 2:
        return ctx.say("It also explains {segment}.", segment=segments)
    return ctx.say(
        "It explains {n} more signals, among them {segments}.",
        n=_explained_count(ctx, str(item.iloc[0]["event_id"])),
        segments=segments,
    )


def _explained_count(ctx: Ctx, event_id: str) -> Num:
    f = ctx.facts
    counts = [f.num("events", role, "int", event_id=event_id) for role in _EXPLAINED]
    return f.calc("sum", *counts, style="int")


def events_intro(ctx: Ctx) -> Para:
    """How many signals, grouped into how many events of each direction; what the shares mean."""
    f = ctx.facts
    counts = {d: f.num("events", "observed", "int", agg="count", direction=d) for d in ("up", "new", "down")}
    return ctx.say(
        "{n} signals in {period} (false-discovery rate controlled per quarter), told as {events} events: "
        "{up} rises, {new} new segments, {down} falls. Each event is named by its most specific segment; "
        "the segments it explains follow, each with the share of its departure from expectation the event "
        "accounts for. The most important events:",
        n=f.num("signals", "observed", "int", agg="count"),
        period=ctx.period(ctx.inputs.start, ctx.inputs.end),
        events=f.num("events", "observed", "int", agg="count"),
        **counts,
    )


def event_table(ctx: Ctx, events: pd.DataFrame, key: str) -> Table:
    """The ``events`` rows as a table: quarter, headline segment, direction, observed, expected, ratio, q,
    and the signals each explains."""
    f = ctx.facts
    rows = []
    for row in events.to_dict("records"):
        event = {"event_id": row["event_id"]}
        observed = f.num("events", "observed", "int", **event)
        expected = f.num("events", "expected", "dec1", **event)
        new = row["direction"] == "new"
        rows.append(
            (
                ctx.quarter(row["quarter"]),
                describe_segment(segment_of(row), ctx.text),
                direction_label(str(row["direction"]), ctx.text),
                observed,
                "–" if new else expected,
                "–" if new else f.calc("ratio", observed, expected, style="dec2"),
                f.num("events", "q_value", "sig2", **event),
                _explained_count(ctx, str(row["event_id"])),
            )
        )
    columns = (
        N_("quarter"),
        N_("segment"),
        N_("direction"),
        N_("observed"),
        N_("expected"),
        N_("observed / expected"),
        N_("q"),
        N_("signals explained"),
    )
    return Table(
        key,
        ctx.say("Emerging-risk events, most significant first"),
        tuple(ctx.say(c) for c in columns),
        tuple(rows),
        ctx.source("events"),
        align="lllrrrrr",
    )


def event_figure(ctx: Ctx, events: pd.DataFrame, key: str, caption: Para) -> Figure:
    """The ``events``' headlines as observed against expected cases; each bar names its quarter when the
    events span several (one segment may surge in two quarters)."""
    text = ctx.text
    several = events["quarter"].nunique() > 1
    labels = []
    for r in events.to_dict("records"):
        label = text.gettext(
            "{segment} ({direction})",
            segment=describe_segment(segment_of(r), text),
            direction=direction_label(str(r["direction"]), text),
        )
        if several:
            label = text.gettext("{quarter}: {sentence}", quarter=text.quarter(r["quarter"], short=True),
                                 sentence=label)  # fmt: skip
        labels.append(label)
    chart = observed_expected(events.assign(label=labels), text)
    return Figure(key, caption, chart, ctx.source("events"))


def top_events(
    ctx: Ctx, quarter: str | None = None, directions: Collection[str] | None = None
) -> pd.DataFrame:
    """The events of the inputs (of ``quarter``, of ``directions``), most significant first."""
    e = ctx.inputs.analysis.events
    if quarter is not None:
        e = e[e["quarter"] == quarter]
    if directions is not None:
        e = e[e["direction"].isin(list(directions))]
    return e.sort_values(["score", "quarter"], ascending=[False, False], kind="stable")
