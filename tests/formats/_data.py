"""Builders of seizure rows and files for the formats tests (small, deterministic)."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from iprisk.formats import SEIZURES

COLUMNS = list(SEIZURES)


def seizure_row(i: int = 1, **overrides: Any) -> dict[str, str]:
    """A valid seizure line of DE in 2016Q3, as the text a file holds."""
    row = {
        "case_id": f"DE-2016-{i:05d}",
        "line_no": "1",
        "reporting_admin": "DE",
        "office": "DEHAM",
        "detention_date": f"2016-07-{1 + i % 28:02d}",
        "flow": "import",
        "transport_mode": "sea",
        "provenance_country": "CN",
        "origin_country": "CN",
        "destination_country": "DE",
        "departure_port": "CNSHA",
        "arrival_port": "DEHAM",
        "product_category": "toys",
        "hs_code": "950300",
        "ipr_type": "trademark",
        "procedure": "ex_officio",
        "articles": str(10 * i),
        "retail_value_eur": f"{12.5 * i}",
        "declared_value_eur": "3.25",
        "outcome": "destroyed",
        "right_holder_ref": f"RH-{i % 7}",
    }
    row.update({k: str(v) for k, v in overrides.items()})
    return row


def seizure_rows(n: int = 3) -> list[dict[str, str]]:
    return [seizure_row(i) for i in range(1, n + 1)]


def _columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Every key of every row, in order of first appearance."""
    return list(dict.fromkeys(k for r in rows for k in r)) if rows else COLUMNS


def write_csv(
    rows: Sequence[dict[str, Any]],
    path: Path,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    columns: Sequence[str] | None = None,
) -> Path:
    columns = list(columns or _columns(rows))
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, delimiter=delimiter, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_file(rows: Sequence[dict[str, Any]], path: Path) -> Path:
    """Write ``rows`` in the format given by the extension of ``path``."""
    suffix = path.suffix
    columns = _columns(rows)
    if suffix == ".csv":
        return write_csv(rows, path)
    if suffix == ".json":
        path.write_text(json.dumps(list(rows), ensure_ascii=False), encoding="utf-8")
    elif suffix in (".jsonl", ".ndjson"):
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    elif suffix == ".parquet":
        pq.write_table(pa.table({c: pa.array([r.get(c) for r in rows], pa.string()) for c in columns}), path)
    elif suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "seizures"
        ws.append(columns)
        for r in rows:
            ws.append([r.get(c) for c in columns])
        wb.save(path)
    else:
        raise ValueError(suffix)
    return path
