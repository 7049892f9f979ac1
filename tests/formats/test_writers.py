"""Writers: tables to CSV / Parquet / XLSX (read back identically), problems to CSV."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from iprisk.errors import InvalidSubmission, UnsupportedFormat
from iprisk.formats import problems_to_csv, read_seizures, write_table

from ._data import seizure_row, seizure_rows, write_csv


@pytest.mark.parametrize("ext", [".csv", ".parquet", ".xlsx"])
def test_written_table_reads_back_the_same(ext: str, tmp_path: Path) -> None:
    rows = seizure_rows(4)
    rows[0]["right_holder_ref"] = '权利人, "引号"'
    rows[1]["outcome"] = ""
    batch = read_seizures(write_csv(rows, tmp_path / "in.csv"))
    out = write_table(batch.table, tmp_path / "sub" / f"out{ext}")
    again = read_seizures(out)
    assert again.content_hash == batch.content_hash
    assert again.table.equals(batch.table)


def test_write_pandas(tmp_path: Path) -> None:
    batch = read_seizures(write_csv(seizure_rows(2), tmp_path / "in.csv"))
    out = write_table(batch.table.to_pandas(), tmp_path / "out.parquet")
    assert read_seizures(out).content_hash == batch.content_hash


def test_unsupported_output(tmp_path: Path) -> None:
    batch = read_seizures(write_csv(seizure_rows(1), tmp_path / "in.csv"))
    with pytest.raises(UnsupportedFormat, match=r"cannot write '\.json'"):
        write_table(batch.table, tmp_path / "out.json")


def test_problems_to_csv(tmp_path: Path) -> None:
    rows = [seizure_row(1, articles="-1"), seizure_row(2, transport_mode="船运")]
    with pytest.raises(InvalidSubmission) as info:
        read_seizures(write_csv(rows, tmp_path / "in.csv"))
    out = problems_to_csv(info.value.problems, tmp_path / "errors.csv")
    with out.open(encoding="utf-8", newline="") as fh:
        got = list(csv.DictReader(fh))
    assert [(r["rule"], r["row"], r["column"], r["value"]) for r in got] == [
        ("range", "1", "articles", "'-1"),  # OWASP: a cell starting with - is written as text
        ("code", "2", "transport_mode", "船运"),
    ]
    assert all(r["file"].endswith("in.csv") for r in got)
