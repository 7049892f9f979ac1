"""``iprisk analyse`` end to end on a small warehouse."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from iprisk.cli import main
from iprisk.reports import SIGNAL_FILE_COLUMNS
from iprisk.warehouse import Warehouse
from tests.analysis.worlds import fill_warehouse, make_world


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wh") / "wh.duckdb"
    with Warehouse.open(path) as wh:
        fill_warehouse(wh, make_world(5, n_cells=200))
    return path


def test_analyse_writes_every_output(warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as done:
        main(["analyse", "--warehouse", str(warehouse), "--out", str(out), "--from", "2019Q1"])
        raise SystemExit(0)
    assert done.value.code in (0, None)
    for name in (
        "signals.csv",
        "trends.parquet",
        "concentration.csv",
        "lanes.csv",
        "mirror.csv",
        "propensity.csv",
        "displacement.csv",
        "summary.md",
        "summary.zh.md",
        "trend_transport_mode.zh.png",
    ):
        assert (out / name).is_file(), name
    signals = pd.read_csv(out / "signals.csv", keep_default_na=False)
    assert list(signals.columns) == list(SIGNAL_FILE_COLUMNS)
    trends = pd.read_parquet(out / "trends.parquet")
    assert trends["quarter"].min() == "2019Q1"
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert "trend_transport_mode.png" in pngs
    assert (out / pngs[0]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("# Joint analysis of IPR detentions, 2019Q1 to 2021Q4")
    assert "](trend_transport_mode.png)" in summary
    assert "## Emerging risks" in summary and "## Mirror" in summary


def test_analyse_rejects_a_bad_quarter(warehouse: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as done:
        main(["analyse", "--warehouse", str(warehouse), "--out", str(tmp_path), "--from", "2019-13"])
    assert done.value.code != 0


def test_the_command_writes_what_the_library_returns(warehouse: Path, tmp_path: Path) -> None:
    from iprisk.analysis import run
    from iprisk.reports import write_analysis

    by_cli = tmp_path / "cli"
    main_ok(
        ["analyse", "--warehouse", str(warehouse), "--out", str(by_cli), "--from", "2020Q1", "--no-charts"]
    )
    with Warehouse.open(warehouse) as wh:
        result = run(wh, start="2020Q1")
    written = write_analysis(result, tmp_path / "lib", charts=False)
    assert written
    for path in written:
        assert (by_cli / path.name).read_bytes() == path.read_bytes(), path.name
    assert sorted(p.name for p in by_cli.iterdir()) == sorted(p.name for p in written)


def main_ok(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(argv)
        raise SystemExit(0)
    assert done.value.code in (0, None)
