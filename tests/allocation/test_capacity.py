"""Capacity files get the same row / column / value / rule errors as every other input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from iprisk.allocation import capacity_table, read_capacity
from iprisk.errors import InvalidInput


def _write(tmp_path: Path, text: str, name: str = "capacity.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_file_reads_with_defaults(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "office,capacity,min_rate,max_rate,mandatory\nNLRTM,1200,0.001,0.2,100\nBEANR,800,,,\n"
    )
    cap = read_capacity(path)
    assert cap.to_dict("records") == [
        {"office": "NLRTM", "capacity": 1200.0, "min_rate": 0.001, "max_rate": 0.2, "mandatory": 100.0},
        {"office": "BEANR", "capacity": 800.0, "min_rate": 0.0, "max_rate": 1.0, "mandatory": 0.0},
    ]


def test_only_office_and_capacity_are_required(tmp_path: Path) -> None:
    cap = read_capacity(_write(tmp_path, "office;capacity\nDEHAM;10,5\n"))  # semicolon CSV, decimal comma
    assert cap.capacity.tolist() == [10.5] and cap.max_rate.tolist() == [1.0]


def test_every_problem_is_reported_with_row_column_value_and_rule(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "office,capacity,min_rate,max_rate,mandatory\n"
        "NLRTM,1200,0.3,0.2,\n"  # 1: min above max
        "rotterdam,-5,,,\n"  # 2: not a locode, negative capacity
        "NLRTM,12,,,20\n"  # 3: office repeated, reserve above capacity
        "BEANR,lots,,1.5,\n"  # 4: not a number, rate above 1
        ",100,,,\n",  # 5: office missing
    )
    with pytest.raises(InvalidInput) as exc:
        read_capacity(path)
    found = {(p.row, p.column, p.rule) for p in exc.value.problems}
    assert found == {
        (1, "min_rate", "rate_order"),
        (2, "office", "locode"),
        (2, "capacity", "range"),
        (3, "office", "duplicate_key"),
        (3, "mandatory", "reserve"),
        (4, "capacity", "decimal"),
        (4, "max_rate", "range"),
        (5, "office", "required"),
    }
    by_rule = {p.rule: p for p in exc.value.problems}
    assert by_rule["locode"].value == "rotterdam"
    assert by_rule["duplicate_key"].message == "office repeats row 1"
    assert all(p.file == str(path) for p in exc.value.problems)
    assert isinstance(exc.value, ValueError)


def test_a_missing_column_is_a_file_problem(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as exc:
        read_capacity(_write(tmp_path, "office,controls\nNLRTM,5\n"))
    assert [(p.row, p.column, p.rule) for p in exc.value.problems] == [(None, "capacity", "missing_column")]


def test_other_formats_and_python_tables(tmp_path: Path) -> None:
    frame = pd.DataFrame({"office": ["NLRTM", "BEANR"], "capacity": [5.0, 7.0], "max_rate": [0.5, None]})
    frame.to_parquet(tmp_path / "c.parquet")
    assert read_capacity(tmp_path / "c.parquet").capacity.tolist() == [5.0, 7.0]
    assert capacity_table(frame).max_rate.tolist() == [0.5, 1.0]
    with pytest.raises(InvalidInput) as exc:
        capacity_table(frame.assign(capacity=[5.0, -1.0]))
    assert [(p.row, p.rule) for p in exc.value.problems] == [(2, "range")]
