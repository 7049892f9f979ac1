"""Issue 16, class 5: text in a legacy encoding is read right, or refused naming the rows; never garbled."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iprisk.errors import InvalidInput
from iprisk.formats import read_seizures

from ._data import seizure_row, seizure_rows, write_csv

pytestmark = pytest.mark.usefixtures("fresh_settings")

_GERMAN = ["Müller", "Köln", "Straße", "Düsseldorf", "Größe", "Bäckerei"]
_CHINESE = ["海关", "上海浦东", "权利人", "深圳", "查扣统计", "知识产权"]


def _rows(names: list[str]) -> list[dict[str, str]]:
    return [seizure_row(i, right_holder_ref=n) for i, n in enumerate(names, start=1)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(_GERMAN), min_size=1, max_size=6))
def test_windows_1252_is_read_as_written(tmp_path: Path, names: list[str]) -> None:
    batch = read_seizures(write_csv(_rows(names), tmp_path / "de.csv", encoding="cp1252"))
    assert batch.table.column("right_holder_ref").to_pylist() == names  # never read as GB18030
    assert [w.rule for w in batch.warnings] == ["detected_encoding"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(_CHINESE), min_size=1, max_size=6))
def test_gb18030_is_read_as_written(tmp_path: Path, names: list[str]) -> None:
    batch = read_seizures(write_csv(_rows(names), tmp_path / "cn.csv", encoding="gb18030"))
    assert batch.table.column("right_holder_ref").to_pylist() == names


def test_ambiguous_text_is_refused_naming_the_rows_and_read_with_an_explicit_encoding(tmp_path: Path) -> None:
    rows = seizure_rows(4)
    rows[2] = seizure_row(3, right_holder_ref="España")  # ñ in cp1252 is ń in cp1250
    path = write_csv(rows, tmp_path / "es.csv", encoding="cp1252")
    with pytest.raises(InvalidInput) as info:
        read_seizures(path)
    assert [(p.rule, p.row) for p in info.value.problems] == [("encoding", 3)]
    assert "--encoding" in info.value.problems[0].message
    batch = read_seizures(path, encoding="cp1252")
    assert batch.table.column("right_holder_ref").to_pylist()[2] == "España" and not batch.warnings


def test_mixed_encodings_are_refused(tmp_path: Path) -> None:
    path = write_csv(_rows(["Müller", "Köln"]), tmp_path / "mixed.csv")
    path.write_bytes(
        path.read_bytes()
        + ",".join(seizure_row(3, right_holder_ref="Größe").values()).encode("cp1252")
        + b"\n"
    )
    with pytest.raises(InvalidInput, match="mixed encodings") as info:
        read_seizures(path)
    assert [p.row for p in info.value.problems] == [3]


def test_undecodable_bytes_in_the_encoding_given_name_the_row(tmp_path: Path) -> None:
    path = write_csv(_rows(["Müller", "Köln"]), tmp_path / "x.csv", encoding="cp1252")
    with pytest.raises(InvalidInput) as info:
        read_seizures(path, encoding="utf-8")
    assert {p.rule for p in info.value.problems} == {"encoding"} and {p.row for p in info.value.problems} == {
        1,
        2,
    }


def test_the_cli_takes_encoding_and_reports_the_detected_one(tmp_path: Path, run) -> None:
    path = write_csv(_rows(["Müller", "Köln"]), tmp_path / "DE.csv", encoding="cp1252")
    wh, report = tmp_path / "wh.duckdb", tmp_path / "errors.csv"
    code, _, err = run("submit", path, "-w", wh, "--errors-out", report)
    assert code == 0 and "detected_encoding" in err and "warning" in err
    with report.open(encoding="utf-8", newline="") as fh:
        assert [(r["severity"], r["rule"]) for r in csv.DictReader(fh)] == [("warning", "detected_encoding")]
    code, _, err = run("submit", path, "-w", wh, "--encoding", "cp1252")
    assert code == 0 and "detected_encoding" not in err
    code, _, err = run("submit", path, "-w", wh, "--encoding", "klingon")
    assert code == 1 and "unknown text encoding" in err
