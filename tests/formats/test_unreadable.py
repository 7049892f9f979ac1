"""Issue 16, class 10: every unreadable input is an error naming the file, and reaches --errors-out."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from iprisk.errors import InvalidInput
from iprisk.formats import read_raw, read_seizures

from ._data import seizure_rows, write_csv

pytestmark = pytest.mark.usefixtures("fresh_settings")


def test_cr_only_line_ends_are_read(tmp_path: Path) -> None:
    path = write_csv(seizure_rows(3), tmp_path / "lf.csv")
    mac = tmp_path / "cr.csv"
    mac.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    assert read_seizures(mac).content_hash == read_seizures(path).content_hash


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("deep.json", b"[" * 100_000 + b"]" * 100_000),
        ("deep.jsonl", b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"),
        ("junk.parquet", b"PAR1" + b"\x00" * 64 + b"PAR1"),
        ("junk.xlsx", b"PK\x03\x04 not a zip"),
    ],
)
def test_malformed_files_name_the_file(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as info:
        read_raw(path)
    assert info.value.problems[0].rule == "unreadable" and info.value.problems[0].file == str(path)


def test_parquet_nested_and_binary_columns(tmp_path: Path) -> None:
    nested = tmp_path / "nested.parquet"
    pq.write_table(pa.table({"case_id": pa.array([{"a": 1}])}), nested)
    with pytest.raises(InvalidInput, match="nested"):
        read_raw(nested)
    binary = tmp_path / "binary.parquet"
    pq.write_table(pa.table({"case_id": pa.array([b"\xff\xfe"])}), binary)
    with pytest.raises(InvalidInput, match="cannot be read as text"):
        read_raw(binary)
    text = tmp_path / "text.parquet"
    pq.write_table(pa.table({"case_id": pa.array([b"DE-1"])}), text)
    assert read_raw(text).table.column("case_id").to_pylist() == ["DE-1"]


def test_errors_out_is_not_empty_when_a_file_is_unreadable(tmp_path: Path, run) -> None:
    deep = tmp_path / "deep.json"
    deep.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    report = tmp_path / "errors.csv"
    code, _, err = run("submit", deep, "-w", tmp_path / "wh.duckdb", "--errors-out", report)
    assert code == 3 and "deep.json" in err and "Traceback" not in err
    with report.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["rule"], Path(r["file"]).name) for r in rows] == [("unreadable", "deep.json")]


def test_a_missing_file_reaches_errors_out(tmp_path: Path, run) -> None:
    report = tmp_path / "errors.csv"
    code, _, err = run(
        "submit", tmp_path / "absent.csv", "-w", tmp_path / "wh.duckdb", "--errors-out", report
    )
    assert code == 1 and "no such file" in err
    with report.open(encoding="utf-8", newline="") as fh:
        assert [r["rule"] for r in csv.DictReader(fh)] == ["not-found"]
