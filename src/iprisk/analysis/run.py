"""The whole joint analysis in one call: :func:`run` on a warehouse, :func:`analyse` on tables.

Both return an :class:`Analysis` holding every table (numbers and keys, no sentences). Writing files and
rendering them for people in a language is :mod:`iprisk.reports`' business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from iprisk.analysis._common import aggregate, cells, filter_quarters
from iprisk.analysis.concentration import concentration
from iprisk.analysis.displacement import displacement
from iprisk.analysis.engines import spark_backend, to_backend
from iprisk.analysis.events import EVENT_COLUMNS, event_table
from iprisk.analysis.mirror import mirror
from iprisk.analysis.propensity import propensity
from iprisk.analysis.signals import DISPERSION_HISTORY, signals
from iprisk.analysis.trends import trends_for
from iprisk.errors import InvalidValue
from iprisk.periods import Quarter

#: Cuts written to ``trends.parquet`` (one block per cut; the cut's dimensions are filled, the others empty).
TREND_CUTS: tuple[tuple[str, ...], ...] = (
    (),
    ("reporting_admin",),
    ("transport_mode",),
    ("provenance_country",),
    ("product_category",),
    ("ipr_type",),
    ("flow",),
)
TREND_METRICS = ("cases", "articles", "retail_value")
#: The dimension columns of ``trends.parquet``, in order: those of the cuts (empty where a cut leaves it out).
TREND_TABLE_DIMENSIONS: tuple[str, ...] = tuple(d for cut in TREND_CUTS for d in cut)


#: A note of :class:`Analysis`: no trade table, so incidence per traffic and propensity factors are empty.
NO_TRADE = "no-trade"

#: The summary's propensity factors need this many seizures of an item; fewer give noise, not risk.
MIN_PROPENSITY_SEIZURES = 10


@dataclass
class Analysis:
    """Every table of the joint analysis."""

    start: str
    end: str
    totals: dict[str, float]
    trends: pd.DataFrame
    signals: pd.DataFrame
    concentration: pd.DataFrame
    lanes: pd.DataFrame
    mirror: pd.DataFrame
    propensity: pd.DataFrame
    displacement: pd.DataFrame
    #: the signals grouped into events: one row per event, its headline segment (see :mod:`.events`)
    events: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(EVENT_COLUMNS)))
    #: what the analysis could not do, as keys (:data:`NO_TRADE`); reports say it in words
    notes: list[str] = field(default_factory=list)


#: Engines the analysis runs on: ``duckdb``, the warehouse's own engine (DuckDB for a warehouse file), or
#: ``spark``, a local Spark session the tables are copied into (unless they already live in Spark).
ENGINES = ("duckdb", "spark")
Engine = Literal["duckdb", "spark"]


class Source(Protocol):
    """What the analysis reads: a :class:`~iprisk.warehouse.Warehouse`, or anything with its two tables."""

    def seizures(self) -> ir.Table: ...

    def trade(self) -> ir.Table: ...


def run(
    source: Source,
    *,
    engine: Engine = "duckdb",
    start: str | Quarter | None = None,
    end: str | Quarter | None = None,
    fdr: float = 0.05,
) -> Analysis:
    """The whole joint analysis of a warehouse: what ``iprisk analyse``, the demo and the benchmark run.

    Reads the current seizure lines and the trade table of ``source`` (an open
    :class:`~iprisk.warehouse.Warehouse`), on ``engine`` (see :data:`ENGINES`); an empty trade table counts
    as none (incidence and propensity are then left empty). Then :func:`analyse`.
    """
    if engine not in ENGINES:
        raise InvalidValue(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    seizures, trade = source.seizures(), source.trade()
    if engine == "spark":
        con = spark_backend()
        seizures = to_backend(con, "seizures", seizures)
        trade = to_backend(con, "trade", trade)
    has_trade = int(trade.count().to_pyarrow().as_py()) > 0
    return analyse(seizures, trade if has_trade else None, start=start, end=end, fdr=fdr)


def analyse(
    seizures: ir.Table,
    trade: ir.Table | None = None,
    *,
    start: str | Quarter | None = None,
    end: str | Quarter | None = None,
    fdr: float = 0.05,
) -> Analysis:
    """Run trends, signals and their events, concentration (offices and lanes), mirror, propensity and
    displacement.

    Signals read up to twenty quarters before ``start`` as history, displacement up to sixteen quarters before
    ``end`` as its base; everything else covers ``start..end``.
    Without ``trade``, incidence and propensity are left empty (noted in ``notes``).
    """
    # Every analysis reads the lines folded into cells, straight from ``seizures``: a tenth of the rows (see
    # ``cells``), reaching back before ``start`` as far as the signals read their history (displacement's
    # base, sixteen quarters before ``end``, lies within). The lines themselves are never materialised: on
    # the benchmark's 10 M lines that copy cost 6 CPU s, and folding them from it 11 more (12 from the
    # Parquet file directly).
    first = None if start is None else Quarter.parse(str(start)) - DISPERSION_HISTORY
    folded = cells(filter_quarters(seizures, first, end))
    try:
        return _tables(folded, trade, start=start, end=end, fdr=fdr)
    finally:
        folded.release()


def _tables(
    folded: ir.Table,
    trade: ir.Table | None,
    *,
    start: str | Quarter | None,
    end: str | Quarter | None,
    fdr: float,
) -> Analysis:
    t = filter_quarters(folded, start, end)
    span = t.aggregate(lo=t.quarter.min(), hi=t.quarter.max()).to_pandas().iloc[0]
    if span["lo"] is None or (isinstance(span["lo"], float) and np.isnan(span["lo"])):
        raise ValueError("no seizures in the selected quarters")
    lo, hi = str(span["lo"]), str(span["hi"])
    tot = aggregate(t, [], ["cases", "lines", "articles", "retail_value"]).iloc[0].to_dict()
    blocks = []
    for cut in TREND_CUTS:
        blocks.append(trends_for(t, list(cut), TREND_METRICS))
    trend_table = pd.concat(blocks, ignore_index=True)
    for d in TREND_TABLE_DIMENSIONS:
        trend_table[d] = trend_table[d].fillna("") if d in trend_table else ""
    lead = ["quarter", *TREND_TABLE_DIMENSIONS]
    trend_table = trend_table[lead + [c for c in trend_table.columns if c not in lead]]
    notes: list[str] = []
    if trade is None:
        notes.append(NO_TRADE)
        prop = pd.DataFrame()
    else:
        prop = pd.concat(
            [
                propensity(
                    t, trade, by="hs_chapter", min_seizures=MIN_PROPENSITY_SEIZURES, start=lo, end=hi
                ).assign(index="GTRIC-p"),
                propensity(
                    t, trade, by="provenance_country", min_seizures=MIN_PROPENSITY_SEIZURES, start=lo, end=hi
                ).assign(index="GTRIC-e"),
            ],
            ignore_index=True,
        )
    sig = signals(folded, start=start, end=hi, fdr=fdr)
    return Analysis(
        start=lo,
        end=hi,
        totals={str(k): float(v) for k, v in tot.items()},
        trends=trend_table,
        signals=sig,
        # the traffic of the same quarters as the detentions (the trade table may hold more)
        concentration=concentration(t, "office", trade=trade, start=lo, end=hi),
        lanes=concentration(t, "lane", trade=trade, start=lo, end=hi),
        mirror=mirror(t),
        propensity=prop,
        # like the signals, displacement reads the quarters before start as its base (``history`` of them)
        displacement=displacement(filter_quarters(folded, None, hi), end=hi, fdr=fdr),
        events=event_table(sig),
        notes=notes,
    )


def only_cut(df: pd.DataFrame, cut: list[str]) -> pd.Series:
    """Rows of the trends table that belong to the cut ``cut`` (its dimensions set, the others empty)."""
    mask = pd.Series(True, index=df.index)
    for d in TREND_TABLE_DIMENSIONS:
        mask &= (df[d] != "") if d in cut else (df[d] == "")
    return mask
