"""“Export this view”: a page's table as CSV or XLSX, the same rows and columns as on screen, written by
iprisk's table writer (text cells a spreadsheet would run as formulas are written inert)."""

from __future__ import annotations

import tempfile
from enum import StrEnum
from pathlib import Path

import pandas as pd

from iprisk.formats.writers import write_table
from iprisk.web.dashboard.tables import Table


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


MEDIA_TYPES = {
    ExportFormat.csv: "text/csv; charset=utf-8",
    ExportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def table_frame(table: Table) -> pd.DataFrame:
    """The table's raw rows under its column keys (numbers stay numbers)."""
    return pd.DataFrame(table.rows, columns=table.keys)


def export_bytes(table: Table, fmt: ExportFormat, name: str) -> bytes:
    """The file's bytes: the table written to a temporary file by ``write_table`` and read back."""
    with tempfile.TemporaryDirectory(prefix="iprisk-export-") as folder:
        path = write_table(table_frame(table), Path(folder) / f"{name}.{fmt.value}")
        return path.read_bytes()
