from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from iprisk.errors import WarehouseError
from iprisk.warehouse import SCHEMA_VERSION, Warehouse
from iprisk.warehouse._schema import TRADE_SCHEMA, seizure_lines_schema
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


_V1_TRADE = (
    "quarter VARCHAR, reporting_admin VARCHAR, flow VARCHAR, office VARCHAR, transport_mode VARCHAR, "
    "provenance_country VARCHAR, destination_country VARCHAR, hs_chapter VARCHAR, product_category VARCHAR, "
    "consignments BIGINT, value_eur DOUBLE"
)


def test_a_version_1_warehouse_gets_the_trade_ports_on_open(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))  # the layout iprisk wrote at schema version 1, by hand
    con.execute("CREATE TABLE iprisk_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO iprisk_meta VALUES ('schema_version', '1')")
    con.execute(f"CREATE TABLE trade ({_V1_TRADE})")
    con.execute(
        "INSERT INTO trade VALUES ('2016Q3', 'DE', 'import', 'DEHAM', 'sea', 'CN', 'DE', '95', 'toys', 7, 1)"
    )
    con.close()
    assert SCHEMA_VERSION >= 2
    row = {
        "quarter": "2016Q4", "reporting_admin": "DE", "flow": "import", "office": "DEHAM",
        "departure_port": "CNSHA", "arrival_port": "DEHAM", "transport_mode": "sea",
        "provenance_country": "CN", "destination_country": "DE", "hs_chapter": "95",
        "product_category": "toys", "consignments": 3, "value_eur": 2.0,
    }  # fmt: skip
    with Warehouse.open(path) as wh:
        old = wh.trade().to_pandas()
        wh.load_trade(pd.DataFrame([row]))
        new = wh.trade().filter(lambda t: t.quarter == "2016Q4").to_pandas()
    assert set(TRADE_SCHEMA.names) <= set(old.columns)
    assert old["consignments"].tolist() == [7] and old[["departure_port", "arrival_port"]].isna().all().all()
    assert new[["departure_port", "arrival_port", "consignments"]].values.tolist() == [["CNSHA", "DEHAM", 3]]
    con = duckdb.connect(str(path))
    try:
        version = con.execute("SELECT value FROM iprisk_meta WHERE key = 'schema_version'").fetchone()
        assert version == (str(SCHEMA_VERSION),)
    finally:
        con.close()
    Warehouse.open(path).close()  # a second open finds nothing left to migrate
