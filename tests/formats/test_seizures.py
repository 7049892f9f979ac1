"""Seizures: every file format reads to the same canonical table and content hash; problems are located."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pyarrow as pa
import pytest

from iprisk.errors import InvalidInput, InvalidSubmission
from iprisk.formats import SEIZURES, content_hash, read_seizures
from iprisk.periods import Quarter
from iprisk.settings import get_settings

from ._data import COLUMNS, seizure_row, seizure_rows, write_csv, write_file

FORMATS = [".csv", ".json", ".jsonl", ".parquet", ".xlsx"]


@pytest.fixture
def rows() -> list[dict[str, str]]:
    return seizure_rows(6)


def test_csv_reads_to_the_canonical_schema(rows: list[dict[str, str]], tmp_path: Path) -> None:
    batch = read_seizures(write_csv(rows, tmp_path / "DE_2016Q3.csv"))
    assert batch.table.schema == SEIZURES.arrow_schema
    assert batch.admin == "DE" and batch.quarter == Quarter(2016, 3)
    assert batch.rows == 6 and batch.warnings == []
    assert batch.source.endswith("DE_2016Q3.csv")
    first = batch.table.slice(0, 1).to_pylist()[0]
    assert first["line_no"] == 1 and first["articles"] == 10
    assert first["detention_date"] == dt.date(2016, 7, 2)
    assert first["retail_value_eur"] == 12.5
    assert len(batch.content_hash) == 64 and int(batch.content_hash, 16) >= 0


@pytest.mark.parametrize("ext", FORMATS)
def test_every_format_gives_the_same_table_and_hash(
    ext: str, rows: list[dict[str, str]], tmp_path: Path
) -> None:
    reference = read_seizures(write_csv(rows, tmp_path / "ref.csv"))
    batch = read_seizures(write_file(rows, tmp_path / f"s{ext}"))
    assert batch.table.equals(reference.table)
    assert batch.content_hash == reference.content_hash


def test_typed_xlsx_cells_read_like_csv_text(rows: list[dict[str, str]], tmp_path: Path) -> None:
    """Dates, integers and decimals typed in a spreadsheet read as the values the CSV writes."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(COLUMNS)
    typed = {"line_no": int, "articles": int, "retail_value_eur": float, "declared_value_eur": float}
    for r in rows:
        cells: list[object] = []
        for c in COLUMNS:
            if c == "detention_date":
                cells.append(dt.datetime.fromisoformat(r[c]))
            else:
                cells.append(typed[c](r[c]) if c in typed else r[c])
        ws.append(cells)
    wb.create_sheet("notes").append(["nothing here"])
    path = tmp_path / "s.xlsx"
    wb.save(path)
    reference = read_seizures(write_csv(rows, tmp_path / "s.csv"))
    assert read_seizures(path).content_hash == reference.content_hash
    assert read_seizures(path, sheet="Sheet").content_hash == reference.content_hash


def test_named_sheet(rows: list[dict[str, str]], tmp_path: Path) -> None:
    path = write_file(rows, tmp_path / "s.xlsx")  # the sheet is called "seizures"
    assert read_seizures(path, sheet="seizures").rows == 6
    with pytest.raises(InvalidInput) as info:
        read_seizures(path, sheet="Tabelle1")
    assert "no sheet named 'Tabelle1'" in str(info.value)


def test_typed_parquet_reads_like_csv(rows: list[dict[str, str]], tmp_path: Path) -> None:
    canonical = read_seizures(write_csv(rows, tmp_path / "s.csv"))
    import pyarrow.parquet as pq

    pq.write_table(canonical.table, tmp_path / "typed.parquet")
    assert read_seizures(tmp_path / "typed.parquet").content_hash == canonical.content_hash


def test_typed_json_numbers_and_nulls(rows: list[dict[str, str]], tmp_path: Path) -> None:
    records = []
    for r in rows:
        rec: dict[str, object] = dict(r)
        rec["line_no"] = int(r["line_no"])
        rec["articles"] = int(r["articles"])
        rec["retail_value_eur"] = float(r["retail_value_eur"])
        rec["outcome"] = None
        records.append(rec)
    (tmp_path / "s.json").write_text(json.dumps(records), encoding="utf-8")
    expected = read_seizures(write_csv([dict(r, outcome="") for r in rows], tmp_path / "s.csv"))
    assert read_seizures(tmp_path / "s.json").content_hash == expected.content_hash


def test_hash_ignores_row_and_column_order(rows: list[dict[str, str]], tmp_path: Path) -> None:
    base = read_seizures(write_csv(rows, tmp_path / "a.csv")).content_hash
    shuffled = rows[:]
    random.Random(4).shuffle(shuffled)
    columns = COLUMNS[::-1]
    path = write_csv(shuffled, tmp_path / "b.csv", columns=columns)
    assert read_seizures(path).content_hash == base
    assert content_hash(read_seizures(path).table) == base


@pytest.mark.parametrize(
    ("column", "value"),
    [("articles", "11"), ("right_holder_ref", "RH-9"), ("outcome", ""), ("retail_value_eur", "12.51")],
)
def test_hash_changes_when_a_value_changes(
    column: str, value: str, rows: list[dict[str, str]], tmp_path: Path
):
    base = read_seizures(write_csv(rows, tmp_path / "a.csv")).content_hash
    changed = [dict(r) for r in rows]
    changed[0][column] = value
    assert read_seizures(write_csv(changed, tmp_path / "b.csv")).content_hash != base


def test_semicolon_csv_with_decimal_comma(rows: list[dict[str, str]], tmp_path: Path) -> None:
    expected = read_seizures(write_csv(rows, tmp_path / "a.csv"))
    european = [dict(r, retail_value_eur=r["retail_value_eur"].replace(".", ",")) for r in rows]
    batch = read_seizures(write_csv(european, tmp_path / "b.csv", delimiter=";"))
    assert batch.content_hash == expected.content_hash


def test_utf8_bom_and_padded_header(rows: list[dict[str, str]], tmp_path: Path) -> None:
    expected = read_seizures(write_csv(rows, tmp_path / "a.csv"))
    path = write_csv(rows, tmp_path / "b.csv", encoding="utf-8-sig")
    text = path.read_text(encoding="utf-8-sig").replace("case_id,", " Case_ID ,", 1)
    path.write_text(text, encoding="utf-8-sig")
    assert read_seizures(path).content_hash == expected.content_hash


def test_values_are_trimmed(rows: list[dict[str, str]], tmp_path: Path) -> None:
    expected = read_seizures(write_csv(rows, tmp_path / "a.csv"))
    padded = [{k: f" {v} " if v else v for k, v in r.items()} for r in rows]
    assert read_seizures(write_csv(padded, tmp_path / "b.csv")).content_hash == expected.content_hash


def test_gb18030_csv_with_chinese_text(tmp_path: Path) -> None:
    rows = [
        seizure_row(
            i,
            reporting_admin="CN",
            office="CNSHA",
            provenance_country="CN",
            destination_country="DE",
            departure_port="CNSHA",
            flow="export",
            right_holder_ref=f"权利人-{i}号",
            arrival_port="",
        )
        for i in range(1, 4)
    ]
    path = write_csv(rows, tmp_path / "cn.csv", encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    batch = read_seizures(path)
    assert batch.admin == "CN"
    assert batch.table.column("right_holder_ref").to_pylist() == ["权利人-1号", "权利人-2号", "权利人-3号"]
    assert batch.content_hash == read_seizures(write_csv(rows, tmp_path / "u.csv")).content_hash


def test_admin_and_quarter_given(rows: list[dict[str, str]], tmp_path: Path) -> None:
    path = write_csv(rows, tmp_path / "s.csv")
    batch = read_seizures(path, admin="DE", quarter="2016Q3")
    assert (batch.admin, batch.quarter) == ("DE", Quarter(2016, 3))
    with pytest.raises(InvalidSubmission) as info:
        read_seizures(path, admin="DE", quarter=Quarter(2016, 4))
    rules = [p.rule for p in info.value.problems]
    assert rules.count("quarter") == 6 and rules.count("quarter_mismatch") == 1


def test_empty_quarter_is_a_valid_submission_when_asked_for_with_admin_and_quarter(tmp_path: Path) -> None:
    path = write_csv([], tmp_path / "s.csv")
    with pytest.raises(InvalidSubmission, match="allow_empty"):
        read_seizures(path, admin="NL", quarter="2020Q1")
    batch = read_seizures(path, admin="NL", quarter="2020Q1", allow_empty=True)
    assert batch.rows == 0 and batch.admin == "NL" and batch.table.schema == SEIZURES.arrow_schema


def test_optional_columns_may_be_absent(rows: list[dict[str, str]], tmp_path: Path) -> None:
    optional = [c.name for c in SEIZURES.columns if not c.required]
    slim = [{k: v for k, v in r.items() if k not in optional} for r in rows]
    batch = read_seizures(write_csv(slim, tmp_path / "s.csv"))
    assert batch.table.schema == SEIZURES.arrow_schema
    assert all(batch.table.column(c).null_count == 6 for c in optional)


def test_every_problem_is_reported_with_its_location(rows: list[dict[str, str]], tmp_path: Path) -> None:
    rows[1] = dict(rows[1], articles="-4", flow="", office="DEHAMX")
    rows[4] = dict(rows[4], detention_date="2016-09-31", ipr_type="brand")
    with pytest.raises(InvalidSubmission) as info:
        read_seizures(write_csv(rows, tmp_path / "s.csv"))
    found = {(p.rule, p.row, p.column, p.value) for p in info.value.problems}
    assert found == {
        ("range", 2, "articles", "-4"),
        ("required", 2, "flow", ""),
        ("locode", 2, "office", "DEHAMX"),
        ("date", 5, "detention_date", "2016-09-31"),
        ("code", 5, "ipr_type", "brand"),
    }
    assert info.value.total == 5
    assert [p.row for p in info.value.problems] == sorted(p.row or 0 for p in info.value.problems)


def test_problem_details_are_capped_but_all_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "max_reported_problems", 5)
    rows = [seizure_row(i, articles="many") for i in range(1, 21)]
    with pytest.raises(InvalidSubmission) as info:
        read_seizures(write_csv(rows, tmp_path / "s.csv"))
    assert len(info.value.problems) == 5 and info.value.total == 20
    assert "20 problem(s)" in str(info.value)


def test_case_hints(tmp_path: Path) -> None:
    rows = [seizure_row(1, transport_mode="Sea", provenance_country="cn")]
    with pytest.raises(InvalidSubmission) as info:
        read_seizures(write_csv(rows, tmp_path / "s.csv"))
    messages = {p.column: p.message for p in info.value.problems}
    assert messages["transport_mode"].endswith("(did you mean sea? codes are lower-case)")
    assert messages["provenance_country"].endswith("(codes are upper-case)")


def test_duplicate_key_reports_every_repeat_with_the_first_row(tmp_path: Path) -> None:
    rows = [seizure_row(1), seizure_row(2), seizure_row(1), seizure_row(1), seizure_row(3)]
    with pytest.raises(InvalidSubmission) as info:
        read_seizures(write_csv(rows, tmp_path / "s.csv"))
    dups = [(p.row, p.message) for p in info.value.problems if p.rule == "duplicate_key"]
    assert dups == [(3, "(case_id, line_no) repeats row 1"), (4, "(case_id, line_no) repeats row 1")]


def test_text_that_looks_like_null_or_numbers_stays_as_written(tmp_path: Path) -> None:
    rows = [
        seizure_row(1, case_id="NA", right_holder_ref="null"),
        seizure_row(2, case_id="007", hs_code="0101"),
    ]
    table = read_seizures(write_csv(rows, tmp_path / "s.csv")).table
    assert table.column("case_id").to_pylist() == ["NA", "007"]
    assert table.column("right_holder_ref").to_pylist() == ["null", "RH-2"]
    assert table.column("hs_code").to_pylist() == ["950300", "0101"]
    assert table.column("line_no").type == pa.int64()


def test_hash_does_not_depend_on_chunking(rows: list[dict[str, str]], tmp_path: Path) -> None:
    batch = read_seizures(write_csv(rows, tmp_path / "s.csv"))
    chunked = pa.Table.from_batches(batch.table.to_batches(max_chunksize=2))
    assert chunked.column("case_id").num_chunks == 3
    assert content_hash(chunked) == batch.content_hash
    assert content_hash(batch.table.slice(1)) != batch.content_hash


PORT_SAMPLES = ["DEHAM", "CNSHA", "DE1AM", "XXHAM", "dEHAM", "DEHA", "DEHAMX", "KRSEL", "XKPRN"]


@pytest.mark.parametrize("code", PORT_SAMPLES)
def test_port_check_agrees_with_the_code_list(code: str, tmp_path: Path) -> None:
    from iprisk.codes import is_well_formed_locode

    path = write_csv([seizure_row(1, departure_port=code)], tmp_path / "s.csv")
    try:
        read_seizures(path)
        reported = False
    except InvalidSubmission as exc:
        reported = [(p.rule, p.column) for p in exc.problems] == [("locode", "departure_port")]
        assert reported, exc.problems
    assert reported == (not is_well_formed_locode(code))


ODD_NUMBERS = [
    "1",
    "+1",
    "-1",
    "1.",
    ".5",
    "1e5",
    "1E+2",
    "inf",
    "nan",
    "Infinity",
    "0x10",
    "1_000",
    "00012",
    "9223372036854775807",
    "000000000000000000001",
    "1e400",
    "1.5",
]


@pytest.mark.parametrize("column", ["articles", "retail_value_eur"])
def test_number_checks_do_not_depend_on_the_other_rows(column: str, tmp_path: Path) -> None:
    """A value is accepted or refused the same whether or not another row of the column is malformed."""

    def refused(values: list[str]) -> set[int]:
        rows = [seizure_row(i + 1, **{column: v}) for i, v in enumerate(values)]
        try:
            read_seizures(write_csv(rows, tmp_path / "s.csv"))
        except InvalidSubmission as exc:
            return {p.row for p in exc.problems if p.column == column and p.rule in ("integer", "decimal")}
        return set()

    for value in ODD_NUMBERS:
        alone = bool(refused([value]))
        with_bad_neighbour = 1 in refused([value, "twelve"])
        assert alone == with_bad_neighbour, value
