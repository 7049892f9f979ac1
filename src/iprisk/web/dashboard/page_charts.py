"""The chart of each analysis page, from the table the page shows: one function per page, called by the
page's route and by :mod:`~iprisk.web.dashboard.prerender` (which draws them ahead of the first visitor),
so both ask the :class:`~iprisk.web.dashboard.chart_store.ChartStore` for the same keys."""

from __future__ import annotations

from iprisk.i18n import Text
from iprisk.web.dashboard import charts, views
from iprisk.web.dashboard.chart_store import ChartStore
from iprisk.web.dashboard.tables import Table

#: The quarters the overview's chart shows (the latest).
OVERVIEW_QUARTERS = 16


def overview_chart(store: ChartStore, table: Table, text: Text) -> str | None:
    """Cases per quarter and administration (the overview table's latest rows), a bar drills to the
    quarter's trend."""
    shown = OVERVIEW_QUARTERS
    bars = [
        {"quarter": text.quarter(r[0]), "side": r[1], "value": r[2], "href": link,
         "tip": f"{r[1]}, {text.quarter(r[0])}: {text.number(r[2])}"}
        for r, link in zip(reversed(table.rows[:shown]), reversed(table.row_links[:shown]), strict=True)
    ]  # fmt: skip
    return charts.bars_chart(
        store, bars, "quarter", "side", text.gettext("Cases per quarter and administration")
    )


def trends_title(query: views.TrendQuery, text: Text) -> str:
    return text.gettext(
        "{metric} per quarter by {dimension}",
        metric=text.gettext(views.METRIC_LABELS[query.metric]),
        dimension=text.gettext(views.dimension_message(query.dimension)),
    )


def trends_chart(store: ChartStore, table: Table, query: views.TrendQuery, text: Text) -> str | None:
    return charts.trend_chart(store, table, query.dimension, text, trends_title(query, text))


def signals_title(text: Text) -> str:
    return text.gettext("Observed against the expected range (95%)")


def signals_chart(store: ChartStore, table: Table, trends: list[str], text: Text) -> str | None:
    return charts.signals_chart(store, table, text, signals_title(text), trends)


def lanes_title(text: Text) -> str:
    return text.gettext("Lanes of the seizures: cases and incidence")


def lanes_chart(store: ChartStore, every_lane: Table, text: Text, lane: str | None) -> str | None:
    return charts.lanes_map_chart(store, every_lane, text, lanes_title(text), selected=lane)
