"""Joint analysis of the exchanged seizure statistics: trends, emerging risks, concentration, lanes, mirror,
propensity indices and displacement. Every function takes Ibis tables (``Warehouse.seizures()``,
``Warehouse.trade()``) and returns a pandas table; the heavy work runs in the engine (DuckDB or PySpark).
:func:`run` runs all of it on a warehouse (what ``iprisk analyse`` does); rendering the results for people
is :mod:`iprisk.reports`' business."""

from __future__ import annotations

from iprisk.analysis._common import SIGNAL_DIMENSIONS
from iprisk.analysis.concentration import concentration, herfindahl
from iprisk.analysis.displacement import DISPLACEMENT_COLUMNS, displacement
from iprisk.analysis.events import EVENT_COLUMNS, event_table
from iprisk.analysis.farrington import FARRINGTON_COLUMNS, FarringtonControl, farrington_flexible
from iprisk.analysis.mirror import MIRROR_COLUMNS, mirror
from iprisk.analysis.propensity import propensity
from iprisk.analysis.run import ENGINES, NO_TRADE, Analysis, Source, analyse, run
from iprisk.analysis.signals import SIGNAL_COLUMNS, segment_tests, signals
from iprisk.analysis.trends import TREND_COLUMNS, trends

__all__ = [
    "DISPLACEMENT_COLUMNS",
    "ENGINES",
    "EVENT_COLUMNS",
    "FARRINGTON_COLUMNS",
    "MIRROR_COLUMNS",
    "NO_TRADE",
    "SIGNAL_COLUMNS",
    "SIGNAL_DIMENSIONS",
    "TREND_COLUMNS",
    "Analysis",
    "FarringtonControl",
    "Source",
    "analyse",
    "concentration",
    "displacement",
    "event_table",
    "farrington_flexible",
    "herfindahl",
    "mirror",
    "propensity",
    "run",
    "segment_tests",
    "signals",
    "trends",
]
