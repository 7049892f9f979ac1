"""The analysis pages' charts drawn ahead of the first visitor, so a request only reads.

:func:`prerender` draws, in every language, the chart of every view one click away from the menu (the
overview, the trends of every dimension and metric, the signals, the KA3 map) into the analysis folder's
:class:`~iprisk.web.dashboard.chart_store.ChartStore`, then removes the charts of analyses replaced since.
:class:`Warmer` runs it in a background thread when the node starts and again whenever the analysis folder
changes (``iprisk analyse --out`` rewrote it): it looks at the tables' modification times every
``POLL_SECONDS``. Views narrowed further (a filter, a port officer's ports) are drawn by their first visitor
and kept the same way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from iprisk.accounts import Grant, Principal, Role, Scope
from iprisk.errors import IpriskError
from iprisk.i18n import LOCALES, Text
from iprisk.node import Node
from iprisk.web.dashboard import page_charts, views
from iprisk.web.dashboard.chart_store import ChartStore, prune

_LOG = logging.getLogger(__name__)
#: How often the warmer looks whether the analysis folder changed.
POLL_SECONDS = 10.0
#: The tables the analysis pages draw from: their modification times say which analysis is served.
_TABLES = ("trends.parquet", "signals.csv", "lanes.csv")


def chart_store(node: Node) -> ChartStore:
    """The charts of the analysis the node serves."""
    return ChartStore(Path(node.settings.analysis_folder))


def analysis_stamp(folder: Path) -> float | None:
    """When the served analysis was written (its newest table's modification time); None: no analysis."""
    times = [(folder / name).stat().st_mtime for name in _TABLES if (folder / name).exists()]
    return max(times) if times else None


@dataclass(frozen=True)
class Prerendered:
    drawn: int  # charts drawn now
    kept: int  # charts found drawn already
    removed: int  # charts of replaced analyses removed
    seconds: float


def prerender(node: Node, stop: threading.Event | None = None) -> Prerendered:
    """Draw every default view's chart of the served analysis (see the module docstring); ``stop`` ends
    the work between two charts."""
    started = time.perf_counter()
    folder = Path(node.settings.analysis_folder)
    stamp = analysis_stamp(folder)
    store = chart_store(node)
    for draw in _views(node):
        if stop is not None and stop.is_set():
            break
        try:
            draw(store)
        except IpriskError as exc:  # a table this analysis lacks: its page says so, nothing to draw
            _LOG.info("dashboard chart not drawn: %s", exc)
    complete = stop is None or not stop.is_set()
    removed = prune(store, store.asked, stamp) if complete and stamp is not None else 0
    return Prerendered(store.drawn, len(store.asked) - store.drawn, removed, time.perf_counter() - started)


def _unlimited(node: Node) -> Grant:
    """What a coordinator sees of the analysis: every row (the default views are not limited to ports)."""
    principal = Principal("dashboard-prerender", Role.COORDINATOR, node.settings.node or "EU")
    return Grant(principal, "analysis.read", Scope.ALL)


def _views(node: Node) -> Iterator[Callable[[ChartStore], object]]:
    grant = _unlimited(node)
    for locale in LOCALES:
        text = Text(locale)
        yield partial(_overview, node, grant, text)
        for dimension in views.DIMENSIONS:
            for metric in views.METRICS:
                yield partial(_trends, node, grant, text, views.TrendQuery(dimension, metric))
        yield partial(_signals, node, grant, text)
        yield partial(_lanes, node, grant, text)


def _overview(node: Node, grant: Grant, text: Text, store: ChartStore) -> object:
    return page_charts.overview_chart(store, views.overview(node, grant), text)


def _trends(node: Node, grant: Grant, text: Text, query: views.TrendQuery, store: ChartStore) -> object:
    return page_charts.trends_chart(store, views.trends(node, grant, query), query, text)


def _signals(node: Node, grant: Grant, text: Text, store: ChartStore) -> object:
    return page_charts.signals_chart(store, *views.signals_and_trends(node, grant, text), text)


def _lanes(node: Node, grant: Grant, text: Text, store: ChartStore) -> object:
    return page_charts.lanes_chart(store, views.lanes(node, grant, {}), text, None)


class Warmer:
    """:func:`prerender` in a background thread: at start, then each time the analysis changes."""

    def __init__(self, node: Node, poll_seconds: float = POLL_SECONDS) -> None:
        self._node, self._poll = node, poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dashboard-charts", daemon=True)
        self.runs: list[Prerendered] = []

    def start(self) -> Warmer:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to end (after the chart it is drawing) and wait ``timeout`` seconds at most."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        drawn_for: float | None = None
        while not self._stop.is_set():
            stamp = analysis_stamp(Path(self._node.settings.analysis_folder))
            if stamp is not None and stamp != drawn_for:
                try:
                    self.runs.append(prerender(self._node, self._stop))
                    drawn_for = stamp
                except Exception:  # a bad analysis folder must not stop the node; pages say what is wrong
                    _LOG.exception("dashboard charts could not be drawn ahead")
                    drawn_for = stamp
            self._stop.wait(self._poll)
