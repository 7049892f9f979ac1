"""Write tables (``iprisk export``) and problem reports (``--errors-out``).

Every file is written atomically (a temporary file renamed over the target) and is safe to open in a
spreadsheet: CSV text cells that would run as formulas get the OWASP apostrophe (reversed by the readers),
XLSX cells are always written as text or numbers, never as formulas (see :mod:`iprisk.security.cells`).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from iprisk.errors import Problem, UnsupportedFormat
from iprisk.security import atomic_write, neutralise, neutralise_table

WRITE_EXTENSIONS = (".csv", ".parquet", ".xlsx")
_PROBLEM_FIELDS = ("file", "row", "column", "value", "severity", "rule", "message")


def _as_arrow(table: Any) -> pa.Table:
    if isinstance(table, pa.Table):
        return table
    if hasattr(table, "to_pyarrow"):  # ibis expressions
        result = table.to_pyarrow()
        return result if isinstance(result, pa.Table) else pa.table(result)
    return pa.Table.from_pandas(table, preserve_index=False)


def write_table(table: Any, path: str | Path) -> Path:
    """Write a pyarrow / pandas / Ibis table to CSV (UTF-8, comma), Parquet or XLSX, by extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in WRITE_EXTENSIONS:
        raise UnsupportedFormat(
            str(path),
            f"cannot write {suffix or '(no extension)'!r}; use one of {', '.join(WRITE_EXTENSIONS)}",
        )
    arrow = _as_arrow(table)
    with atomic_write(path) as tmp:
        if suffix == ".csv":
            options = pacsv.WriteOptions(quoting_style="needed")
            pacsv.write_csv(neutralise_table(arrow), tmp, write_options=options)
        elif suffix == ".parquet":
            pq.write_table(arrow, tmp)
        else:
            _write_xlsx(arrow, tmp)
    return path


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones
    if isinstance(value, (dict, list)):
        return str(value)
    return value


def _write_xlsx(table: pa.Table, path: Path) -> None:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    if table.num_rows > 1_048_575:
        raise UnsupportedFormat(str(path), f"{table.num_rows} rows do not fit in one XLSX sheet; use Parquet")
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("data")

    def text(value: str) -> WriteOnlyCell:
        # openpyxl stores a string starting with "=" as a formula; a cell typed "s" is text, and the quote
        # prefix keeps a spreadsheet from turning it into one when someone edits the cell
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell

    def row_cells(values: Any) -> list[Any]:
        return [text(v) if isinstance(v, str) and v[:1] == "=" else _xlsx_value(v) for v in values]

    ws.append(row_cells(table.column_names))
    for batch in table.to_batches(max_chunksize=10_000):
        columns = [c.to_pylist() for c in batch.columns]
        for row in zip(*columns, strict=True):
            ws.append(row_cells(row))
    wb.save(path)


def problems_to_csv(problems: Iterable[Problem], path: str | Path) -> Path:
    """Write problems as CSV (UTF-8; file, row, column, value, severity, rule, message): ``--errors-out``."""
    path = Path(path)
    with atomic_write(path) as tmp, tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=_PROBLEM_FIELDS)
        writer.writeheader()
        for p in problems:
            writer.writerow(
                {
                    k: "" if v is None else neutralise(v) if isinstance(v, str) else v
                    for k, v in p.as_dict().items()
                }
            )
    return path
