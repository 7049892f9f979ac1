"""Small valid seizure submissions for the warehouse and CLI tests (batches and files)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv

from iprisk.formats import SeizureBatch, content_hash
from iprisk.periods import Quarter
from iprisk.warehouse._schema import seizures_schema


def seizure_table(admin: str = "DE", quarter: str = "2016Q3", n: int = 5, *, variant: int = 0) -> pa.Table:
    """``n`` valid canonical seizure lines; ``variant`` changes the article counts (so the content)."""
    q = Quarter.parse(quarter)
    office = {"CN": "CNSHA", "NL": "NLRTM", "FR": "FRLEH"}.get(admin, "DEHAM")
    rows = {
        "case_id": [f"{admin}-{q}-{i // 2:04d}" for i in range(n)],
        "line_no": [i % 2 + 1 for i in range(n)],
        "reporting_admin": [admin] * n,
        "office": [office] * n,
        "detention_date": [q.start + timedelta(days=i % 80) for i in range(n)],
        "flow": ["export" if admin == "CN" else "import"] * n,
        "transport_mode": [("sea", "air", "post", "express")[i % 4] for i in range(n)],
        "provenance_country": ["CN"] * n,
        "origin_country": [None if i % 3 == 0 else "CN" for i in range(n)],
        "destination_country": ["DE" if admin == "CN" else admin] * n,
        "departure_port": ["CNSHA"] * n,
        "arrival_port": [None] * n,
        "product_category": [("clothing", "shoes", "toys", "electronics")[i % 4] for i in range(n)],
        "hs_code": [("6109", "6403", "9503", "8517")[i % 4] for i in range(n)],
        "ipr_type": ["trademark"] * n,
        "procedure": [("ex_officio", "application")[i % 2] for i in range(n)],
        "articles": [10 * (i + 1) + variant for i in range(n)],
        "retail_value_eur": [None if i % 4 == 3 else 12.5 * (i + 1) for i in range(n)],
        "declared_value_eur": [1.25 * (i + 1) for i in range(n)],
        "outcome": [("destroyed", "court_case", None)[i % 3] for i in range(n)],
        "right_holder_ref": [f"RH{i % 3}" for i in range(n)],
    }
    schema = seizures_schema()
    return pa.table({f.name: pa.array(rows[f.name], f.type) for f in schema}, schema=schema)


def make_batch(admin: str = "DE", quarter: str = "2016Q3", n: int = 5, *, variant: int = 0) -> SeizureBatch:
    table = seizure_table(admin, quarter, n, variant=variant)
    return SeizureBatch(table, admin, Quarter.parse(quarter), content_hash(table), f"{admin}_{quarter}.csv")


def write_seizures_csv(
    path: Path, admin: str = "DE", quarter: str = "2016Q3", n: int = 5, *, variant: int = 0
) -> Path:
    """A valid seizures CSV file (what an administration sends)."""
    table = seizure_table(admin, quarter, n, variant=variant)
    pcsv.write_csv(table, path)
    return path


def write_invalid_csv(path: Path, bad_rows: int = 3) -> Path:
    """A seizures CSV whose first ``bad_rows`` lines have an unknown product category."""
    table = seizure_table("DE", "2016Q3", max(bad_rows, 1) + 2)
    cats = table["product_category"].to_pylist()
    cats[:bad_rows] = ["spaceships"] * bad_rows
    table = table.set_column(
        table.schema.get_field_index("product_category"), "product_category", pa.array(cats)
    )
    pcsv.write_csv(table, path)
    return path


__all__ = ["make_batch", "seizure_table", "write_invalid_csv", "write_seizures_csv"]
