"""Issue 16, class 6: an unknown column is refused (unless ignored) and every warning reaches the user."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from iprisk.errors import InvalidSubmission
from iprisk.formats import read_declarations, read_seizures

from ._data import seizure_rows, write_csv
from .test_declarations import declaration_row

pytestmark = pytest.mark.usefixtures("fresh_settings")


def _misspelt(tmp_path: Path) -> Path:
    rows = [
        {("retail_value_euro" if k == "retail_value_eur" else k): v for k, v in r.items()}
        for r in seizure_rows(3)
    ]
    return write_csv(rows, tmp_path / "DE.csv")


def test_a_misspelt_column_is_refused_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(InvalidSubmission) as info:
        read_seizures(_misspelt(tmp_path))
    (problem,) = info.value.problems
    assert problem.rule == "unknown_column" and problem.column == "retail_value_euro"
    assert "did you mean retail_value_eur?" in problem.message


def test_ignored_on_request_as_a_warning(tmp_path: Path) -> None:
    batch = read_seizures(_misspelt(tmp_path), ignore_unknown_columns=True)
    assert [(w.rule, w.severity, w.column) for w in batch.warnings] == [
        ("ignored_column", "warning", "retail_value_euro")
    ]
    assert batch.table.column("retail_value_eur").null_count == 3


def test_declarations_report_ignored_columns(tmp_path: Path) -> None:
    path = write_csv([dict(declaration_row(1), remark="x")], tmp_path / "d.csv")
    warnings: list = []
    read_declarations(path, warnings=warnings)
    assert [(w.rule, w.column) for w in warnings] == [("ignored_column", "remark")]


def test_the_cli_prints_and_writes_warnings_with_their_severity(tmp_path: Path, run) -> None:
    wh, report = tmp_path / "wh.duckdb", tmp_path / "errors.csv"
    code, _, err = run("submit", _misspelt(tmp_path), "-w", wh, "--errors-out", report)
    assert code == 3 and "retail_value_euro" in err
    code, out, err = run(
        "submit", _misspelt(tmp_path), "-w", wh, "--errors-out", report, "--ignore-unknown-columns"
    )
    assert code == 0 and "stored" in out and "1 warning(s)" in err and "ignored_column" in err
    with report.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["severity"], r["rule"], r["column"]) for r in rows] == [
        ("warning", "ignored_column", "retail_value_euro")
    ]
