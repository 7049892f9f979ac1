from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from iprisk.errors import WarehouseError
from iprisk.warehouse import SCHEMA_VERSION, Warehouse
from iprisk.warehouse._schema import seizure_lines_schema
from tests.warehouse.samples import make_batch


def test_open_creates_every_table_and_records_the_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "w.duckdb"
    Warehouse.open(path).close()
    con = duckdb.connect(str(path))
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert {"seizure_lines", "submissions", "trade", "iprisk_meta"} <= tables
        version = con.execute("SELECT value FROM iprisk_meta WHERE key = 'schema_version'").fetchone()
        assert version == (str(SCHEMA_VERSION),)
        cols = [r[0] for r in con.execute("DESCRIBE seizure_lines").fetchall()]
        assert cols == seizure_lines_schema().names
    finally:
        con.close()


def test_reopening_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with Warehouse.open(path) as wh:
        wh.submit(make_batch())
    with Warehouse.open(path) as wh:
        assert len(wh.submissions()) == 1


def test_a_column_added_to_the_format_later_is_added_on_open(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with Warehouse.open(path) as wh:
        wh.submit(make_batch())
    con = duckdb.connect(str(path))
    con.execute("ALTER TABLE seizure_lines DROP COLUMN right_holder_ref")  # as written by an older iprisk
    con.close()
    with Warehouse.open(path) as wh:
        lines = wh.seizures().to_pyarrow()
    assert "right_holder_ref" in lines.column_names
    assert lines["right_holder_ref"].null_count == lines.num_rows


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    Warehouse.open(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE iprisk_meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(WarehouseError, match="newer"):
        Warehouse.open(path)
