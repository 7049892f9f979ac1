"""Emerging risks told as events: one item per event, its headline first and what it explains after, in the
annual report and the newsletter, in English and Chinese."""

from __future__ import annotations

import pytest

from iprisk.analysis import event_table
from iprisk.i18n import Text
from iprisk.periods import Quarter
from iprisk.reports.document import Bullets, Figure, Para, Table
from iprisk.reports.findings import BULLETS, TOP
from iprisk.reports.newsletter import TOP as NEWSLETTER_TOP
from iprisk.reports.newsletter import _rose
from iprisk.reports.risks import risk_items
from iprisk.reports.sections import Ctx
from iprisk.reports.signals import describe_segment, segment_of
from tests.reports.conftest import LOCALES, Built
from tests.reports.test_events import _signals


def test_an_item_is_the_event_headline_first_then_the_larger_shares() -> None:
    signals = _signals()
    events = event_table(signals)
    items = risk_items(signals, events)
    assert [list(i["event_id"].unique()) for i in items] == [["2016Q3-1"], ["2016Q3-2"]]
    assert list(items[0]["role"]) == ["headline", "broader", "overlapping"]
    assert list(items[0]["share"]) == [1.0, 0.68, 0.5]
    # the events' order is kept (the caller sorts and cuts them)
    assert [i["event_id"].iloc[0] for i in risk_items(signals, events.iloc[::-1])] == ["2016Q3-2", "2016Q3-1"]


def _risks_text(built: Built, locale: str) -> str:
    """The sentences of the annual report's emerging-risks section, one per line."""
    (section,) = [s for s in built.annual[locale].walk() if s.key == "risks"]
    text = Text(locale)
    paras = [p for b in section.blocks for p in (b.items if isinstance(b, Bullets) else [b])]
    return "\n".join(p.plain(text) for p in paras if isinstance(p, Para))


def _prefix(text: Text, message: str, **params: object) -> str:
    """A message's words before its last placeholder (filled with a marker), in ``text``'s language."""
    return text.gettext(message, **params).split("\0")[0]


@pytest.mark.parametrize("locale", LOCALES)
def test_the_annual_report_tells_each_event_and_what_it_explains(built: Built, locale: str) -> None:
    a, text = built.inputs.analysis, Text(locale)
    risks = _risks_text(built, locale)
    assert not a.events.empty
    for event in a.events.sort_values("score", ascending=False).head(BULLETS).to_dict("records"):
        explained = a.signals[
            (a.signals["event_id"] == event["event_id"]) & (a.signals["role"] != "headline")
        ]
        assert describe_segment(segment_of(event), text) in risks
        if explained.empty:
            continue
        main = explained.sort_values("share", ascending=False, kind="stable").iloc[0]
        named = text.gettext(
            "{segment} ({share} %)",
            segment=describe_segment(segment_of(main.to_dict()), text),
            share=text.number(100 * main["share"], decimals=1),
        )
        if len(explained) == 1:
            assert _prefix(text, "It also explains {segment}.", segment="\0") + named in risks
        else:
            head = _prefix(text, "It explains {n} more signals, among them {segments}.", n=len(explained),
                           segments="\0")  # fmt: skip
            assert head + named in risks, (event["event_id"], head + named)


def test_the_events_table_counts_the_signals_each_explains(built: Built) -> None:
    doc, a = built.annual["en"], built.inputs.analysis
    (table,) = [b for b in doc.blocks() if isinstance(b, Table) and b.key == "events"]
    events = a.events.sort_values(["score", "quarter"], ascending=False, kind="stable").head(TOP)
    assert len(table.rows) == len(events)
    explained = a.signals[a.signals["role"] != "headline"].groupby("event_id").size()
    for row, event_id in zip(table.rows, events["event_id"], strict=True):
        assert row[-1].value == explained.get(event_id, 0)  # type: ignore[union-attr]


@pytest.mark.parametrize("locale", LOCALES)
def test_the_newsletter_tells_the_rising_events_of_its_quarter(built: Built, locale: str) -> None:
    """What rose in the quarter of the test world's planted surges (its last quarter has none)."""
    a, text = built.inputs.analysis, Text(locale)
    quarter = "2016Q3"
    rising = a.events[(a.events["quarter"] == quarter) & (a.events["direction"] == "up")]
    assert len(rising) >= 2
    section = _rose(Ctx.of(built.inputs, locale), Quarter.parse(quarter))
    (bullets,) = [b for b in section.blocks if isinstance(b, Bullets)]
    lines = [item.plain(text) for item in bullets.items]
    assert len(lines) == min(len(rising), NEWSLETTER_TOP)
    for line, event in zip(
        lines, rising.sort_values("score", ascending=False).to_dict("records"), strict=False
    ):
        assert describe_segment(segment_of(event), text) in line


def test_the_events_chart_has_one_pair_of_bars_per_event(built: Built) -> None:
    """A segment that surged in two quarters gets two bars, named by quarter, not one bar of both."""
    for locale in LOCALES:
        doc = built.annual[locale]
        (table,) = [b for b in doc.blocks() if isinstance(b, Table) and b.key == "events"]
        (figure,) = [b for b in doc.blocks() if isinstance(b, Figure) and b.key == "events"]
        data = figure.chart.data
        assert data["label"].nunique() == len(table.rows) == len(data) // 2
