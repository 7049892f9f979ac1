"""An analysis run writes the folder and is logged once, in the operational database (SQLite or PostgreSQL);
a run that fails is not logged."""

from __future__ import annotations

from pathlib import Path

import pytest

from iprisk.reports import ANALYSIS_KIND, analyse_to_folder, code_version, data_snapshot
from iprisk.store import RunLog
from iprisk.warehouse import Warehouse
from tests.analysis.worlds import fill_warehouse, make_world


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wh") / "wh.duckdb"
    with Warehouse.open(path) as wh:
        fill_warehouse(wh, make_world(3, n_cells=80, n_quarters=12))  # 2018Q1..2020Q4
    return path


def test_a_run_writes_the_folder_and_is_logged(
    warehouse: Path, tmp_path: Path, store_database_url: str
) -> None:
    with Warehouse.open(warehouse, read_only=True) as wh:
        done = analyse_to_folder(
            wh, tmp_path / "out", db=store_database_url, start="2020Q1", charts=False, by="analyst"
        )
        snapshot = data_snapshot(wh).digest
    assert sorted(done.written) == sorted((tmp_path / "out").iterdir())
    assert done.result.start == "2020Q1" and done.result.end == "2020Q4"
    with RunLog(store_database_url) as log:
        runs = log.runs()
    assert len(runs) == 1
    row = runs.iloc[0]
    assert (row["run_id"], row["kind"], row["period"]) == (done.run_id, ANALYSIS_KIND, "2020Q1..2020Q4")
    assert (row["locale"], row["formats"], row["by"]) == ("en,zh", "csv,md,parquet", "analyst")
    assert (row["snapshot"], row["code_version"]) == (snapshot, code_version())


def test_a_failed_run_is_not_logged(warehouse: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ops.sqlite'}"
    with Warehouse.open(warehouse, read_only=True) as wh, pytest.raises(ValueError, match="no seizures"):
        analyse_to_folder(wh, tmp_path / "out", db=db, start="2025Q1", end="2025Q4", charts=False)
    assert not (tmp_path / "out").exists()
    with RunLog(db) as log:
        assert log.runs().empty
