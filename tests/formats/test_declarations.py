"""Declarations: columns, defaults, booleans, ranges, and the public KCS data through the shipped mapping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from iprisk.errors import InvalidInput
from iprisk.formats import DECLARATIONS, read_declarations
from iprisk.settings import get_settings

from ._data import write_csv, write_file

REPO = Path(__file__).resolve().parents[2]
KCS_FILES = ("df_syn_train_eng.csv", "df_syn_valid_eng.csv", "df_syn_test_eng.csv")


def declaration_row(i: int = 1, **overrides: Any) -> dict[str, str]:
    row = {
        "declaration_id": f"D{i:06d}",
        "date": "2021-03-0" + str(1 + i % 9),
        "flow": "import",
        "office": "NLRTM",
        "transport_mode": "sea",
        "trader_id": f"T{i % 5}",
        "hs_code": "6403990000",
        "origin_country": "CN",
        "departure_country": "CN",
        "destination_country": "NL",
        "net_mass_kg": "12.5",
        "value": str(100 * i),
        "controlled": "yes" if i % 2 else "N",
        "infringement": "1" if i % 2 else "",
        "selection_propensity": "0.25",
    }
    row.update({k: str(v) for k, v in overrides.items()})
    return row


def test_canonical_columns_types_and_defaults(tmp_path: Path) -> None:
    table = read_declarations(write_csv([declaration_row(i) for i in range(1, 4)], tmp_path / "d.csv"))
    assert table.schema == DECLARATIONS.arrow_schema
    assert table.column("item_no").to_pylist() == [1, 1, 1]
    assert table.column("currency").to_pylist() == ["EUR"] * 3
    assert table.column("controlled").to_pylist() == [True, False, True]
    assert table.column("infringement").to_pylist() == [True, None, True]
    assert table.column("date").type == pa.date32()
    assert table.column("seller_id").null_count == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("FALSE", False),
        ("1", True),
        ("0", False),
        ("Yes", True),
        ("no", False),
        ("Y", True),
        ("n", False),
    ],
)
def test_booleans_accept_the_usual_spellings(text: str, expected: bool, tmp_path: Path) -> None:
    table = read_declarations(write_csv([declaration_row(1, controlled=text)], tmp_path / "d.csv"))
    assert table.column("controlled").to_pylist() == [expected]


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("selection_propensity", "1.5", "range"),
        ("selection_propensity", "-0.1", "range"),
        ("value", "-3", "range"),
        ("value", "", "required"),
        ("hs_code", "6403", "hs_code"),
        ("hs_code", "64039900001", "hs_code"),
        ("flow", "transit", "code"),
        ("departure_country", "XX", "country"),
        ("date", "2021-3-1", "date"),
        ("item_no", "0", "range"),
        ("articles_detained", "-2", "range"),
        ("net_mass_kg", "1,5", "decimal"),
        ("arrival_port", "NLRT", "locode"),
    ],
)
def test_broken_declaration_values(column: str, value: str, rule: str, tmp_path: Path) -> None:
    rows = [declaration_row(1), declaration_row(2, **{column: value})]
    with pytest.raises(InvalidInput) as info:
        read_declarations(write_csv(rows, tmp_path / "d.csv"))
    assert [(p.rule, p.row, p.column, p.value) for p in info.value.problems] == [(rule, 2, column, value)]


def test_unknown_country_zz_is_accepted_in_declarations(tmp_path: Path) -> None:
    table = read_declarations(write_csv([declaration_row(1, departure_country="ZZ")], tmp_path / "d.csv"))
    assert table.column("departure_country").to_pylist() == ["ZZ"]


def test_every_problem_is_reported_not_only_the_first(tmp_path: Path) -> None:
    rows = [declaration_row(i, value="x") for i in range(1, 6)]
    rows[2]["flow"] = "sideways"
    with pytest.raises(InvalidInput) as info:
        read_declarations(write_csv(rows, tmp_path / "d.csv"))
    assert info.value.total == 6
    assert [p.row for p in info.value.problems] == [1, 2, 3, 3, 4, 5]


@pytest.mark.parametrize("ext", [".parquet", ".jsonl", ".xlsx"])
def test_declarations_in_other_formats(ext: str, tmp_path: Path) -> None:
    rows = [declaration_row(i) for i in range(1, 4)]
    expected = read_declarations(write_csv(rows, tmp_path / "d.csv"))
    assert read_declarations(write_file(rows, tmp_path / f"d{ext}")).equals(expected)


def _kcs_folder() -> Path:
    folder = get_settings().kcs_data
    return folder if folder.is_absolute() else (REPO / folder).resolve()


@pytest.mark.skipif(
    not all((_kcs_folder() / f).is_file() for f in KCS_FILES),
    reason=f"KCS data folder absent ({_kcs_folder()}); set IPRISK_KCS_DATA to run it",
)
@pytest.mark.parametrize("name", KCS_FILES)
def test_kcs_files_read_through_the_shipped_mapping(name: str) -> None:
    table = read_declarations(_kcs_folder() / name, mapping="kcs")
    assert table.num_rows > 8000
    assert table.column_names[: len(DECLARATIONS)] == list(DECLARATIONS)
    assert {"critical_fraud", "process_type", "tax_rate", "origin_indicator"} <= set(table.column_names)
    assert set(table.column("flow").to_pylist()) == {"import"}
    assert set(table.column("destination_country").to_pylist()) == {"KR"}
    assert set(table.column("currency").to_pylist()) == {"KRW"}
    assert pc.all(table.column("controlled")).as_py() is True
    assert table.column("infringement").null_count == 0
    share = pc.mean(table.column("infringement").cast(pa.float64())).as_py()
    assert 0.19 < share < 0.23  # SOURCE.md: 20.95% .. 21.70% Fraud per file
    assert set(table.column("transport_mode").to_pylist()) <= {"sea", "air", "post", "road", "rail", "other"}
    assert table.column("carrier_id").null_count > 0  # empty Courier ID stays empty
    assert table.column("hs_code").to_pylist()[0].isdigit()
