"""What the annual report and the newsletter read, gathered in one call: :func:`collect`.

The joint analysis of the period (:func:`iprisk.analysis.run`), the longer trend table a report compares
the period with (three years by default, cut by every dimension the publication standard shows), the lanes of
the period's last quarter (the newsletter's routes to watch and its map), the data snapshot, and, when given,
the effectiveness of profiles and targeting. Every number of a report is read from one of these tables
(:meth:`ReportInputs.tables`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from iprisk.analysis import Analysis, concentration, run
from iprisk.analysis._common import filter_quarters
from iprisk.analysis.run import Engine
from iprisk.analysis.trends import trends_for
from iprisk.errors import InvalidValue
from iprisk.periods import Quarter
from iprisk.reports.effectiveness import Effectiveness
from iprisk.reports.snapshot import DataSnapshot, data_snapshot
from iprisk.reports.trend_cells import trend_cells

#: The report's trend cuts: the total, then each dimension of the EU's annual enforcement report.
TREND_CUTS: tuple[str, ...] = (
    "",
    "transport_mode",
    "product_category",
    "provenance_country",
    "ipr_type",
    "procedure",
    "outcome",
    "reporting_admin",
    "flow",
)
TREND_METRICS = ("cases", "articles", "retail_value")
#: Quarters of trends a report shows: the period and the years before it.
TREND_QUARTERS = 12


@dataclass(frozen=True)
class ReportInputs:
    """The tables a report is written from."""

    analysis: Analysis
    #: long table: ``cut`` (a dimension, ``""`` for the total), ``key`` (its value), ``quarter``, ``year``,
    #: ``metric``, ``value``, ``change_prev_pct``, ``change_yoy_pct``, ``share``
    trends: pd.DataFrame
    #: lanes (:func:`iprisk.analysis.concentration` by lane, with traffic) of the last quarter only
    quarter_lanes: pd.DataFrame
    snapshot: DataSnapshot
    effectiveness: Effectiveness | None = None

    @property
    def start(self) -> str:
        return self.analysis.start

    @property
    def end(self) -> str:
        return self.analysis.end

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table a number of a report may come from, by the name a
        :class:`~iprisk.reports.document.Src` gives."""
        a = self.analysis
        out = {
            "totals": pd.DataFrame([a.totals]),
            "trends": self.trends,
            "signals": a.signals,
            "events": a.events,
            "offices": a.concentration,
            "lanes": a.lanes,
            "quarter_lanes": self.quarter_lanes,
            "mirror": a.mirror,
            "propensity": a.propensity,
            "displacement": a.displacement,
        }
        if self.effectiveness is not None:
            out.update(self.effectiveness.tables())
        return out


def collect(
    source: Any,
    *,
    start: str | Quarter,
    end: str | Quarter,
    engine: Engine = "duckdb",
    fdr: float = 0.05,
    snapshot: DataSnapshot | None = None,
    effectiveness: Effectiveness | None = None,
    trend_quarters: int = TREND_QUARTERS,
    analysis: Analysis | None = None,
) -> ReportInputs:
    """Run the analysis of ``start..end`` on ``source`` (a :class:`~iprisk.warehouse.Warehouse`, or anything
    with its ``seizures()`` and ``trade()``) and gather what a report reads.

    ``analysis``: that analysis already computed (:func:`iprisk.analysis.run` of ``start..end`` on
    ``source``), e.g. the one ``iprisk analyse`` just wrote; it must cover the same period.

    ``snapshot`` defaults to :func:`~iprisk.reports.snapshot.data_snapshot` of a warehouse; give one for other
    sources (e.g. :func:`~iprisk.reports.snapshot.file_snapshot`). The extra trend and lane queries run on the
    source's own engine.
    """
    first, last = Quarter.parse(str(start)), Quarter.parse(str(end))
    result = analysis if analysis is not None else _analyse(source, first, last, engine, fdr)
    if (result.start, result.end) != (str(first), str(last)):
        raise InvalidValue(f"the analysis given covers {result.start}..{result.end}, not {first}..{last}")
    since = min(first, last - (trend_quarters - 1))
    return ReportInputs(
        analysis=result,
        trends=trend_table(source.seizures(), start=str(since), end=str(last)),
        quarter_lanes=period_lanes(source, start=str(last), end=str(last)),
        snapshot=snapshot if snapshot is not None else data_snapshot(source),
        effectiveness=effectiveness,
    )


def _analyse(source: Any, first: Quarter, last: Quarter, engine: Engine, fdr: float) -> Analysis:
    try:
        return run(source, engine=engine, start=str(first), end=str(last), fdr=fdr)
    except ValueError as exc:
        if "no seizures" not in str(exc):
            raise
        raise InvalidValue(f"no seizures from {first} to {last} in the warehouse") from exc


def period_lanes(source: Any, *, start: str, end: str) -> pd.DataFrame:
    """Detentions per lane from ``start`` to ``end``, with their traffic and incidence when the source has
    trade statistics (:func:`iprisk.analysis.concentration` by lane): what the KA3 map draws."""
    trade = source.trade()
    has_trade = int(trade.count().to_pyarrow().as_py()) > 0
    return concentration(source.seizures(), "lane", trade=trade if has_trade else None, start=start, end=end)


def trend_table(seizures: Any, *, start: str, end: str) -> pd.DataFrame:
    """Cases, articles and retail value per quarter for every cut of :data:`TREND_CUTS`, as one long table
    (see :attr:`ReportInputs.trends`).

    The lines of the period are folded into cells once (:func:`~iprisk.reports.trend_cells.trend_cells`, of
    the cuts' columns only), so that the nine grouped queries each read the cells rather than every line
    again, and count distinct case keys only for the cases spread over several cells.
    """
    dims = [c for c in TREND_CUTS if c]
    cells_ = trend_cells(filter_quarters(seizures, start, end), dims)
    try:
        return _trend_blocks(cells_, start=start, end=end)
    finally:
        cells_.release()


def _trend_blocks(cells_: Any, *, start: str, end: str) -> pd.DataFrame:
    blocks = []
    for cut in TREND_CUTS:
        by = [cut] if cut else []
        frame = trends_for(cells_, by, TREND_METRICS, start=start, end=end)
        blocks.append(
            pd.DataFrame(
                {
                    "cut": cut,
                    "key": frame[cut].fillna("").astype(str) if cut else "",
                    "quarter": frame["quarter"].astype(str),
                    "metric": frame["metric"],
                    "value": frame["value"].astype(float),
                    "change_prev_pct": frame["change_prev_pct"],
                    "change_yoy_pct": frame["change_yoy_pct"],
                    "share": frame["share"],
                }
            )
        )
    table = pd.concat(blocks, ignore_index=True)
    table.insert(3, "year", table["quarter"].str[:4])
    return table
