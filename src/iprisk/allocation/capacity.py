"""The capacity file: how many controls each office can make in the quarter, and its rate limits.

One row per office (CSV, XLSX, JSON, JSON Lines or Parquet, read like every exchange file)::

    office,capacity,min_rate,max_rate,mandatory
    NLRTM,1200,0.001,0.2,100
    BEANR,800,,,

- ``capacity``: controls the office can make in the quarter (required, >= 0);
- ``min_rate`` / ``max_rate``: the least and the most share of a stratum's consignments the office controls
  (optional, in [0, 1]; default 0 and 1);
- ``mandatory``: controls reserved for mandatory profile hits, made whatever the plan (optional, >= 0); the
  plan allocates ``capacity - mandatory``.

Validation reports every problem at once (:class:`~iprisk.errors.InvalidInput`, one :class:`Problem` per
file, row, column, value and rule), with the rules of the exchange formats (``missing_column``,
``required``, ``locode``, ``decimal``, ``range``...) and three of its own: ``duplicate_key`` (an office
twice), ``rate_order`` (``min_rate`` above ``max_rate``) and ``reserve`` (``mandatory`` above ``capacity``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from iprisk.errors import InvalidInput
from iprisk.formats.mapping import ColumnMapping
from iprisk.formats.readers import RawTable, read_raw
from iprisk.formats.schema import Column, Schema
from iprisk.formats.validate import Collector, check_and_cast, prepare, sort_problems

CAPACITY = Schema(
    "capacity",
    [
        Column("office", "locode", True, "Office (UN/LOCODE)"),
        Column("capacity", "decimal", True, "Controls the office can make in the quarter", minimum=0),
        Column(
            "min_rate",
            "decimal",
            False,
            "Least share of a stratum's consignments controlled",
            minimum=0,
            maximum=1,
        ),
        Column(
            "max_rate",
            "decimal",
            False,
            "Most share of a stratum's consignments controlled",
            minimum=0,
            maximum=1,
        ),
        Column("mandatory", "decimal", False, "Controls reserved for mandatory profile hits", minimum=0),
    ],
)

#: Rules of the capacity file beyond those of the exchange formats.
CAPACITY_RULES = {
    "duplicate_key": "An office appears on more than one row; every repeat is reported with its first row.",
    "rate_order": "min_rate is above max_rate.",
    "reserve": "mandatory is above capacity.",
}

CAPACITY_COLUMNS = tuple(CAPACITY)


def read_capacity(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """Read and validate a capacity file; :class:`~iprisk.errors.InvalidInput` lists every problem.

    Returns one row per office: ``office``, ``capacity``, ``min_rate`` (0 when empty), ``max_rate`` (1 when
    empty), ``mandatory`` (0 when empty), in file order.
    """
    return validate_capacity(read_raw(path, sheet=sheet))


def capacity_table(frame: pd.DataFrame, *, source: str = "capacity") -> pd.DataFrame:
    """Validate a capacity table given in Python (the same rules as a file; values may be numbers)."""
    text = {c: ["" if _missing(v) else str(v) for v in frame[c]] for c in frame.columns}
    table = pa.table({str(c): pa.array(v, pa.string()) for c, v in text.items()})
    return validate_capacity(RawTable(table, source))


def validate_capacity(raw: RawTable) -> pd.DataFrame:
    """Validate a capacity table read as text (see :func:`read_capacity`)."""
    collector = Collector(raw.source)
    prepared = prepare(raw, CAPACITY, ColumnMapping("capacity"), collector)
    table = check_and_cast(prepared, CAPACITY, collector, decimal_comma=raw.decimal_comma)
    _row_rules(table, collector)
    if collector.total:
        raise InvalidInput(sort_problems(collector.problems), source=raw.source, total=collector.total)
    out = table.to_pandas()
    out["min_rate"] = out["min_rate"].fillna(0.0)
    out["max_rate"] = out["max_rate"].fillna(1.0)
    out["mandatory"] = out["mandatory"].fillna(0.0)
    return out[list(CAPACITY_COLUMNS)].reset_index(drop=True)


def _row_rules(table: pa.Table, collector: Collector) -> None:
    office = table.column("office")
    seen: dict[str, int] = {}
    repeats: list[int] = []
    first: list[int] = []
    for i, value in enumerate(office.to_pylist()):
        if value is None:
            continue
        if value in seen:
            repeats.append(i)
            first.append(seen[value])
        else:
            seen[value] = i
    if repeats:
        mask = np.zeros(table.num_rows, dtype=bool)
        mask[repeats] = True
        where = dict(zip(repeats, first, strict=True))
        collector.rows(
            "duplicate_key",
            pa.array(mask),
            "office",
            office,
            lambda _v, i: f"office repeats row {where[i] + 1}",
        )
    lo, hi = table.column("min_rate"), table.column("max_rate")
    collector.rows(
        "rate_order",
        pc.greater(lo, hi),
        "min_rate",
        lo.cast(pa.string()),
        lambda _v, i: f"min_rate is above max_rate ({hi[i].as_py()})",
    )
    cap, mand = table.column("capacity"), table.column("mandatory")
    collector.rows(
        "reserve",
        pc.greater(mand, cap),
        "mandatory",
        mand.cast(pa.string()),
        lambda _v, i: f"mandatory controls exceed the capacity ({cap[i].as_py():g})",
    )


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


__all__ = [
    "CAPACITY",
    "CAPACITY_COLUMNS",
    "CAPACITY_RULES",
    "capacity_table",
    "read_capacity",
    "validate_capacity",
]
