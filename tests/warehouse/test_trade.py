from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from iprisk.errors import InvalidInput, UnsupportedFormat
from iprisk.warehouse import Warehouse
from iprisk.warehouse._schema import TRADE_SCHEMA


def trade_table(quarters: list[str], *, consignments: int = 10) -> pa.Table:
    rows = []
    for q in quarters:
        for admin, office in (("DE", "DEHAM"), ("CN", "")):
            rows.append(
                {
                    "quarter": q,
                    "reporting_admin": admin,
                    "flow": "import" if admin == "DE" else "export",
                    "office": office,
                    "transport_mode": "sea",
                    "provenance_country": "CN",
                    "destination_country": "DE",
                    "hs_chapter": "01",
                    "product_category": "foodstuffs",
                    "consignments": consignments,
                    "value_eur": 1000.5,
                }
            )
    return pa.Table.from_pylist(rows, schema=TRADE_SCHEMA)


def test_load_trade_replaces_only_the_quarters_present(tmp_path: Path) -> None:
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        assert wh.load_trade(trade_table(["2016Q3", "2016Q4"])) == ["2016Q3", "2016Q4"]
        assert wh.load_trade(trade_table(["2016Q4", "2017Q1"], consignments=3)) == ["2016Q4", "2017Q1"]
        got = wh.trade().to_pandas().groupby("quarter")["consignments"].agg(["sum", "count"])
    assert got.to_dict("index") == {
        "2016Q3": {"sum": 20, "count": 2},
        "2016Q4": {"sum": 6, "count": 2},
        "2017Q1": {"sum": 6, "count": 2},
    }


def test_load_trade_from_files_and_frames(tmp_path: Path) -> None:
    table = trade_table(["2016Q3"])
    pq.write_table(table, tmp_path / "trade.parquet")
    table.to_pandas().to_csv(tmp_path / "trade.csv", index=False)
    frame = table.to_pandas()
    frame["quarter"] = "2016-q3"  # accepted spelling, stored canonically
    frame["hs_chapter"] = 1  # numbers get their leading zero back
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        for source in (tmp_path / "trade.parquet", tmp_path / "trade.csv", frame):
            wh.load_trade(source)
            got = wh.trade().to_pyarrow()
            assert got.num_rows == 2
            assert set(got["quarter"].to_pylist()) == {"2016Q3"}
            assert set(got["hs_chapter"].to_pylist()) == {"01"}


def test_office_may_be_absent(tmp_path: Path) -> None:
    table = trade_table(["2016Q3"]).drop_columns(["office"])
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        wh.load_trade(table)
        assert wh.trade().office.isnull().sum().execute() == 2


def test_bad_trade_tables_are_refused_with_every_problem(tmp_path: Path) -> None:
    bad = trade_table(["2016Q3"]).drop_columns(["flow", "value_eur"])
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        with pytest.raises(InvalidInput) as info:
            wh.load_trade(bad)
        assert {p.column for p in info.value.problems} == {"flow", "value_eur"}
        frame = trade_table(["2016Q3"]).to_pandas()
        frame["quarter"] = ["2016Q5", "soon"]
        with pytest.raises(InvalidInput) as info:
            wh.load_trade(frame)
        assert [(p.row, p.value) for p in info.value.problems] == [(1, "2016Q5"), (2, "soon")]
        frame = trade_table(["2016Q3"]).to_pandas()
        frame["consignments"] = ["many", "few"]
        with pytest.raises(InvalidInput, match="consignments"):
            wh.load_trade(frame)
        with pytest.raises(UnsupportedFormat):
            wh.load_trade(tmp_path / "trade.xls")
        assert wh.trade().count().execute() == 0
        assert pd.api.types.is_integer_dtype(wh.trade().to_pandas()["consignments"])


def test_ports_are_stored_and_may_be_empty_or_absent(tmp_path: Path) -> None:
    table = trade_table(["2016Q3"]).to_pandas()
    table["departure_port"] = ["CNSHA", ""]  # the second row: national figures, no port known
    table["arrival_port"] = ["DEHAM", None]
    table.to_csv(tmp_path / "trade.csv", index=False)
    old_shape = trade_table(["2016Q4"]).drop_columns(["office", "departure_port", "arrival_port"])
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        wh.load_trade(tmp_path / "trade.csv")
        wh.load_trade(old_shape)  # a file written before the ports existed still loads
        got = wh.trade().order_by(["quarter", "reporting_admin"]).to_pandas()
    q3 = got[got["quarter"] == "2016Q3"].set_index("reporting_admin")
    assert q3.loc["DE", ["departure_port", "arrival_port"]].tolist() == ["CNSHA", "DEHAM"]
    assert q3.loc["CN", ["departure_port", "arrival_port"]].tolist() == ["", ""]  # empty cells of the CSV
    q4 = got[got["quarter"] == "2016Q4"]
    assert len(q4) == 2 and q4[["office", "departure_port", "arrival_port"]].isna().all().all()
