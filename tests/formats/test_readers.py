"""Readers: dispatch by extension, encodings, delimiters, and files that cannot be read."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from iprisk.errors import InvalidInput, UnsupportedFormat
from iprisk.formats import read_raw, read_seizures
from iprisk.formats.readers import EXTENSIONS

from ._data import seizure_rows, write_csv, write_file


@pytest.mark.parametrize("name", ["s.xls", "s.xml", "s", "s.csv.gz"])
def test_unknown_extension_is_unsupported(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text("case_id\n1\n", encoding="utf-8")
    with pytest.raises(UnsupportedFormat, match="unknown extension") as info:
        read_seizures(path)
    assert info.value.path == str(path)


def test_extensions_cover_the_formats() -> None:
    assert set(EXTENSIONS) == {".csv", ".txt", ".xlsx", ".json", ".jsonl", ".ndjson", ".parquet"}


@pytest.mark.parametrize("ext", [".txt", ".ndjson", ".CSV"])
def test_alternative_extensions(ext: str, tmp_path: Path) -> None:
    rows = seizure_rows(2)
    path = tmp_path / f"s{ext}"
    if ext == ".ndjson":
        write_file(rows, path)
    else:
        write_csv(rows, path)
    assert read_seizures(path).rows == 2


def test_sheet_only_for_xlsx(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormat, match="XLSX files only"):
        read_seizures(write_csv(seizure_rows(1), tmp_path / "s.csv"), sheet="data")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_seizures(tmp_path / "absent.csv")


def test_semicolon_sniffed_from_the_header_only(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text('a;b;"c,d"\n1,5;x,y;z\n', encoding="utf-8")
    raw = read_raw(path)
    assert raw.delimiter == ";" and raw.decimal_comma
    assert raw.table.column_names == ["a", "b", "c,d"]
    assert raw.table.to_pylist() == [{"a": "1,5", "b": "x,y", "c,d": "z"}]


def test_excel_sep_line_and_tab_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("sep=;\na;b\n1;2\n3\n", encoding="utf-8")
    raw = read_raw(path)
    assert raw.table.to_pylist() == [{"a": "1", "b": "2"}] and raw.delimiter == ";"
    assert [(p.rule, p.row) for p in raw.problems] == [("malformed_row", 2)]
    path.write_text("a\tb\tc,d\n1\t2\t3,5\n", encoding="utf-8")
    assert read_raw(path).table.to_pylist() == [{"a": "1", "b": "2", "c,d": "3,5"}]


def test_every_column_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("n,d,b,e\n007,2016-07-01,true,\n", encoding="utf-8")
    table = read_raw(path).table
    assert all(t == pa.string() for t in table.schema.types)
    assert table.to_pylist() == [{"n": "007", "d": "2016-07-01", "b": "true", "e": ""}]


def test_gb18030_detected_after_a_utf8_header(tmp_path: Path) -> None:
    """The header is ASCII (valid UTF-8) but a later line is GB18030: the whole file is decoded as GB18030."""
    path = tmp_path / "s.csv"
    path.write_bytes("case_id,note\n1,海关查扣\n".encode("gb18030"))
    raw = read_raw(path)
    assert raw.encoding == "gb18030"
    assert raw.table.column("note").to_pylist() == ["海关查扣"]


def test_gb18030_header(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes("案件编号;备注\n1;查扣\n".encode("gb18030"))
    raw = read_raw(path)
    assert raw.table.column_names == ["案件编号", "备注"] and raw.delimiter == ";"


def test_malformed_rows_are_all_reported(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("a,b\n1,2\n3\n4,5,6\n7,8\n", encoding="utf-8")
    raw = read_raw(path)
    assert raw.total == 2 and [p.rule for p in raw.problems] == ["malformed_row"] * 2
    assert [(p.row, p.value) for p in raw.problems] == [(2, "3"), (3, "4,5,6")]


def test_quoted_values_may_span_lines(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text('a,b\n"line one\nline two",2\n', encoding="utf-8")
    assert read_raw(path).table.to_pylist() == [{"a": "line one\nline two", "b": "2"}]


@pytest.mark.parametrize("name", ["s.csv", "s.json"])
def test_no_candidate_encoding_decodes(name: str, tmp_path: Path) -> None:
    # \xff is no GB18030 lead byte, \x81 and \x98 are undefined in the Windows code pages, \xaa in cp1253
    junk = b"\xff\x98\xaa\x81"
    path = tmp_path / name
    path.write_bytes(b"a,b\n1," + junk + b"\n" if name.endswith(".csv") else b'[{"a": "' + junk + b'"}]')
    with pytest.raises(InvalidInput, match="neither GB18030 nor a Windows code page") as info:
        read_raw(path)
    assert info.value.problems[0].rule == "encoding"


def test_empty_csv_has_no_header(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="no header"):
        read_seizures(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("s.xlsx", b"not a zip", "not a readable XLSX"),
        ("s.parquet", b"not parquet", "not a readable Parquet"),
        ("s.json", b"[1, 2]", "record 1 is not an object"),
        ("s.json", b"[]", "no records"),
        ("s.jsonl", b'{"a": 1}\n{"a": \n', "line 2 is not valid JSON"),
    ],
)
def test_unreadable_files(name: str, content: bytes, message: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message) as info:
        read_seizures(path)
    assert info.value.problems[0].rule == "unreadable"
