"""Joint analysis of the exchanged seizure statistics: trends, emerging risks, concentration, lanes, mirror,
propensity indices and displacement. Every function takes Ibis tables (``Warehouse.seizures()``,
``Warehouse.trade()``) and returns a pandas table; the heavy work runs in the engine (DuckDB or PySpark)."""

from __future__ import annotations

from iprisk.analysis.concentration import concentration, herfindahl
from iprisk.analysis.displacement import DISPLACEMENT_COLUMNS, displacement
from iprisk.analysis.farrington import FARRINGTON_COLUMNS, FarringtonControl, farrington_flexible
from iprisk.analysis.mirror import MIRROR_COLUMNS, mirror
from iprisk.analysis.propensity import propensity
from iprisk.analysis.signals import SIGNAL_COLUMNS, segment_tests, signals
from iprisk.analysis.trends import TREND_COLUMNS, trends

__all__ = [
    "DISPLACEMENT_COLUMNS",
    "FARRINGTON_COLUMNS",
    "MIRROR_COLUMNS",
    "SIGNAL_COLUMNS",
    "TREND_COLUMNS",
    "FarringtonControl",
    "concentration",
    "displacement",
    "farrington_flexible",
    "herfindahl",
    "mirror",
    "propensity",
    "segment_tests",
    "signals",
    "trends",
]
