from __future__ import annotations

from pathlib import Path

import pytest

from iprisk.errors import UnsupportedFormat
from iprisk.formats import read_seizures
from iprisk.warehouse import Warehouse, export_seizures, seizures_table
from iprisk.warehouse._schema import seizures_schema
from tests.warehouse.samples import make_batch


@pytest.fixture
def wh(tmp_path: Path):
    with Warehouse.open(tmp_path / "wh.duckdb") as w:
        w.submit(make_batch("NL", "2016Q3", 4))
        w.submit(make_batch("DE", "2016Q4", 3))
        w.submit(make_batch("DE", "2016Q3", 6, variant=0))
        yield w


def test_seizures_table_is_canonical_current_and_sorted(wh: Warehouse) -> None:
    wh.submit(make_batch("DE", "2016Q3", 5, variant=1))  # supersedes the 6-line version
    table = seizures_table(wh)
    assert table.schema.equals(seizures_schema())
    assert table.num_rows == 4 + 3 + 5
    keys = list(
        zip(
            table["reporting_admin"].to_pylist(),
            [str(d)[:4] + "Q" + str((d.month - 1) // 3 + 1) for d in table["detention_date"].to_pylist()],
            table["case_id"].to_pylist(),
            table["line_no"].to_pylist(),
            strict=True,
        )
    )
    assert keys == sorted(keys)
    assert seizures_table(wh, admin="DE", quarter="2016Q4").num_rows == 3


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_export_reads_back_to_the_same_content_hash(wh: Warehouse, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"export{suffix}"
    assert export_seizures(wh, out, admin="DE", quarter="2016Q3") == 6
    batch = read_seizures(out)
    assert (batch.admin, str(batch.quarter), batch.rows) == ("DE", "2016Q3", 6)
    assert batch.content_hash == make_batch("DE", "2016Q3", 6).content_hash


def test_export_as_of_an_earlier_instant(wh: Warehouse, tmp_path: Path) -> None:
    first = wh.submissions().query("reporting_admin == 'DE' and quarter == '2016Q3'").iloc[0]
    wh.submit(make_batch("DE", "2016Q3", 2, variant=7))
    out = tmp_path / "then.csv"
    assert export_seizures(wh, out, admin="DE", quarter="2016Q3", as_of=first.submitted_at) == 6
    assert read_seizures(out).content_hash == first.content_hash


def test_export_to_an_unknown_extension_is_refused(wh: Warehouse, tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormat):
        export_seizures(wh, tmp_path / "out.txt")
