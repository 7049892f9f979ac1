"""Numbers read from the report's tables, each remembering where it came from.

A report builder never formats a raw float: it asks :class:`Facts` for the value of a cell (``num``) or a
combination of such values (``calc``) and gets a :class:`~iprisk.reports.document.Num` carrying the value,
its style and its origin. The tests resolve every origin again, independently, against the same tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from iprisk.reports.document import AGGREGATES, OPERATIONS, Calc, Num, Param, Src, Style, calculate

#: The reports' parameters that appear as numbers in the text (:class:`~iprisk.reports.document.Param`).
PARAMETERS: dict[str, float] = {
    # offices or lanes with fewer cases are left out of "highest incidence" lists: one case on a small lane
    # is no finding
    "min_incidence_cases": 10,
    # categories a trend table of the annual report lists, at most (the largest of the year)
    "top_categories": 10,
    # the share of the cases whose offices the concentration sentence counts (the Pareto 80 %)
    "pareto_share": 80,
}


class Facts:
    """The tables of a report's inputs (name -> frame), read cell by cell."""

    def __init__(self, tables: Mapping[str, pd.DataFrame]):
        self.tables = dict(tables)
        #: (table, column) -> the frame, its column's codes, and the codes of each distinct value: a report
        #: reads the same columns hundreds of times, and a pandas comparison per lookup and column cost a
        #: second of CPU
        self._codes: dict[tuple[str, str], tuple[pd.DataFrame, np.ndarray, _Index]] = {}

    def rows(self, table: str, **where: Any) -> pd.DataFrame:
        """The rows of ``table`` where each column equals its value (``None``: empty or missing)."""
        frame = self.tables[table]
        mask = np.ones(len(frame), dtype=bool)
        for column, value in where.items():
            codes, index = self._factorized(table, frame, column)
            mask &= np.isin(codes, index.codes(value))
        return frame[mask]

    def _factorized(self, table: str, frame: pd.DataFrame, column: str) -> tuple[np.ndarray, _Index]:
        cached = self._codes.get((table, column))
        if cached is None or cached[0] is not frame:
            codes, uniques = pd.factorize(frame[column], use_na_sentinel=True)
            cached = (frame, codes, _Index(list(uniques)))
            self._codes[(table, column)] = cached
        return cached[1], cached[2]

    def value(self, src: Src) -> float:
        rows = self.rows(src.table, **dict(src.where))
        if src.agg not in AGGREGATES:
            raise ValueError(f"unknown aggregate {src.agg!r}")
        if src.agg == "count":
            return float(len(rows))
        col = pd.to_numeric(rows[src.column], errors="coerce")
        if src.agg == "one":
            if len(rows) != 1:
                raise LookupError(f"{src} selects {len(rows)} rows, not one")
            return float(col.iloc[0])
        if src.agg == "sum":
            return float(col.sum())
        return float(col.max()) if len(col) else math.nan

    def num(self, table: str, column: str, style: Style, *, agg: str = "one", **where: Any) -> Num:
        """The number in ``column`` of the row of ``table`` selected by ``where`` (or an aggregate of the
        selected rows), written in ``style``."""
        src = Src(table, column, tuple(where.items()), agg)
        return Num(self.value(src), style, src)

    def add(self, name: str, table: pd.DataFrame) -> None:
        """A table the builder derived (e.g. the lanes a map draws), read like the inputs' tables."""
        self.tables[name] = table

    def param(self, name: str, style: Style = "int") -> Num:
        """A parameter of the report (:data:`PARAMETERS`) written in the text."""
        return Num(PARAMETERS[name], style, Param(name))

    def calc(self, op: str, *args: Num, style: Style) -> Num:
        """A number computed from others (see :data:`~iprisk.reports.document.OPERATIONS`)."""
        if op not in OPERATIONS:
            raise ValueError(f"unknown operation {op!r}")
        return Num(calculate(op, [a.value for a in args]), style, Calc(op, tuple(a.origin for a in args)))


class _Index:
    """The distinct values of a column (``pd.factorize``: code ``i`` is ``uniques[i]``, -1 missing) and the
    codes of each value, so that a lookup costs a dictionary access rather than a scan of the column."""

    def __init__(self, uniques: list[Any]) -> None:
        self._by_value: dict[Any, list[int]] = {}
        for i, u in enumerate(uniques):
            self._by_value.setdefault(u, []).append(i)
        # ``None`` selects the missing values and the empty strings
        self._missing = [-1, *self._by_value.get("", [])]

    def codes(self, value: Any) -> list[int]:
        """The codes of the values equal to ``value`` (equal as Python compares them: ``2016 == 2016.0``)."""
        if value is None:
            return self._missing
        return self._by_value.get(value, [])
