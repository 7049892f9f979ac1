"""The data snapshot: the same data gives the same digest, whatever the order it was stored in."""

from __future__ import annotations

from pathlib import Path

from iprisk.reports import code_version, data_snapshot, file_snapshot
from iprisk.warehouse import Warehouse
from tests.analysis.worlds import fill_warehouse, make_world


def test_same_data_same_snapshot_and_a_changed_submission_changes_it(tmp_path: Path) -> None:
    world = make_world(3, n_cells=40, n_quarters=6, planted=0)
    with Warehouse.open(tmp_path / "a.duckdb") as a, Warehouse.open(tmp_path / "b.duckdb") as b:
        fill_warehouse(a, world)
        fill_warehouse(b, world)
        first, second = data_snapshot(a), data_snapshot(b)
        assert first.digest == second.digest and len(first.digest) == 64
        assert first.short == first.digest[:12]
        assert len(first.submissions) == a.submissions()["status"].eq("current").sum()
        assert first.trade_rows > 0
        b.load_trade(b.trade().to_pandas().assign(consignments=lambda f: f["consignments"] + 1))
        assert data_snapshot(b).digest != first.digest
    assert code_version()


def test_files_are_hashed_by_their_bytes(tmp_path: Path) -> None:
    (tmp_path / "a.parquet").write_bytes(b"one")
    (tmp_path / "b.parquet").write_bytes(b"two")
    digest = file_snapshot(tmp_path / "b.parquet", tmp_path / "a.parquet").digest
    assert digest == file_snapshot(tmp_path / "a.parquet", tmp_path / "b.parquet").digest
    (tmp_path / "b.parquet").write_bytes(b"three")
    assert file_snapshot(tmp_path / "a.parquet", tmp_path / "b.parquet").digest != digest
