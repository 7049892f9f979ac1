"""The lane key: the route of goods from a departure port to an arrival port, written the same everywhere.

A lane is ``DEPARTURE -> ARRIVAL`` (UN/LOCODEs, e.g. ``CNSHA -> NLRTM``); an end that is missing or blank is
``?``. The analysis groups seizures and trade by it (:func:`lane_column`, an Ibis expression run in the
engine), the targeting features count declarations by it (:func:`lane_keys`, pandas) and people read it in
``lanes.csv``. Importing this module does not import Ibis or pandas.

>>> lane_key("CNSHA", "NLRTM")
'CNSHA -> NLRTM'
>>> lane_key("CNSHA", None)
'CNSHA -> ?'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

#: Between the two ends of a lane.
SEPARATOR = " -> "
#: An end of a lane that is not known (missing, empty or blank).
UNKNOWN_END = "?"


def lane_key(departure: str | None, arrival: str | None) -> str:
    """The lane of one pair of ports."""
    ends = [port if port and port.strip() else UNKNOWN_END for port in (departure, arrival)]
    return SEPARATOR.join(ends)


def lane_column(departure: ir.StringValue, arrival: ir.StringValue) -> ir.StringValue:
    """The lane of every row, as an Ibis expression (computed in the engine, DuckDB or Spark)."""
    import ibis

    def end(port: ir.StringValue) -> ir.StringValue:
        filled = port.fill_null("")
        return ibis.ifelse(filled.strip() == "", UNKNOWN_END, filled)

    return end(departure).concat(SEPARATOR, end(arrival))


def lane_keys(departure: pd.Series, arrival: pd.Series) -> pd.Series:
    """The lane of every row of two pandas columns (object dtype)."""

    def end(port: pd.Series) -> pd.Series:
        text = port.astype("string").fillna("")
        return text.where(text.str.strip() != "", UNKNOWN_END)

    return (end(departure) + SEPARATOR + end(arrival)).astype(object)
