"""Export the current seizure lines to a file in the seizures exchange format (CSV, Parquet or XLSX)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from iprisk.formats import write_table
from iprisk.periods import Quarter
from iprisk.warehouse._schema import seizures_schema

if TYPE_CHECKING:
    from iprisk.warehouse.core import Warehouse

_ORDER = ("reporting_admin", "quarter", "case_id", "line_no")


def seizures_table(
    wh: Warehouse,
    *,
    admin: str | None = None,
    quarter: str | Quarter | None = None,
    as_of: str | date | datetime | None = None,
) -> pa.Table:
    """The lines of the current version of every matching submission (as of ``as_of``), canonical columns
    only, sorted by admin, quarter, case_id, line_no."""
    schema = seizures_schema()
    t = wh.seizures(admin=admin, quarter=quarter, as_of=as_of)
    t = t.order_by(list(_ORDER)).select(*schema.names)
    return t.to_pyarrow().cast(schema)


def export_seizures(
    wh: Warehouse,
    out: str | Path,
    *,
    admin: str | None = None,
    quarter: str | Quarter | None = None,
    as_of: str | date | datetime | None = None,
) -> int:
    """Write the current seizure lines (see :func:`seizures_table`) to ``out``; returns the number of lines.

    CSV, Parquet or XLSX by the extension (:func:`iprisk.formats.write_table`); the file reads back with
    :func:`iprisk.formats.read_seizures` to the same content hash when it holds one submission.
    """
    table = seizures_table(wh, admin=admin, quarter=quarter, as_of=as_of)
    write_table(table, out)
    return table.num_rows
