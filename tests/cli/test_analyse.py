"""``iprisk analyse`` end to end on a small warehouse."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from iprisk.cli import main
from iprisk.periods import Quarter
from iprisk.reports import SIGNAL_FILE_COLUMNS, data_snapshot
from iprisk.store import RunLog
from iprisk.warehouse import Warehouse
from tests.analysis.worlds import fill_warehouse, make_world


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wh") / "wh.duckdb"
    with Warehouse.open(path) as wh:
        fill_warehouse(wh, make_world(5, n_cells=60))
    return path


def _db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ops.sqlite'}"


def test_analyse_writes_every_output(warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as done:
        main(["analyse", "--warehouse", str(warehouse), "--out", str(out), "--from", "2019Q1",
              "--db", _db(tmp_path)])  # fmt: skip
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
        main(["analyse", "--warehouse", str(warehouse), "--out", str(tmp_path), "--from", "2019-13",
              "--db", _db(tmp_path)])  # fmt: skip
    assert done.value.code != 0
    assert not (tmp_path / "ops.sqlite").exists()


def test_the_command_writes_what_the_library_returns(warehouse: Path, tmp_path: Path) -> None:
    from iprisk.analysis import run
    from iprisk.reports import write_analysis

    by_cli = tmp_path / "cli"
    main_ok(
        ["analyse", "--warehouse", str(warehouse), "--out", str(by_cli), "--from", "2020Q1", "--no-charts",
         "--db", _db(tmp_path)]
    )  # fmt: skip
    with Warehouse.open(warehouse) as wh:
        result = run(wh, start="2020Q1")
    written = write_analysis(result, tmp_path / "lib", charts=False)
    assert written
    for path in written:
        if path.suffix in (".csv", ".parquet"):
            # DuckDB sums money in parallel threads, so its last binary digit may differ from run to run
            _same_table(by_cli / path.name, path)
        else:
            assert (by_cli / path.name).read_bytes() == path.read_bytes(), path.name
    assert sorted(p.name for p in by_cli.iterdir()) == sorted(p.name for p in written)


def _same_table(left: Path, right: Path) -> None:
    def read(path: Path) -> pd.DataFrame:
        return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)

    pd.testing.assert_frame_equal(read(left), read(right), check_exact=False, rtol=1e-12, obj=left.name)


def main_ok(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(argv)
        raise SystemExit(0)
    assert done.value.code in (0, None)


def test_an_analyse_run_is_logged_and_counted_in_the_state_of_play(
    run, warehouse: Path, tmp_path: Path
) -> None:
    """Each ``iprisk analyse`` is one row of the run log; the state of play of the quarter it ran in counts
    it among the analyses run, in both languages."""
    db = _db(tmp_path)
    for _ in range(2):
        code, _, stderr = run(
            "analyse",
            "-w",
            warehouse,
            "--out",
            tmp_path / "out",
            "--from",
            "2021Q1",
            "--no-charts",
            "--db",
            db,
        )
        assert code == 0, stderr
    with RunLog(db) as log:
        runs = log.runs()
    assert (
        runs[["kind", "period", "locale", "formats"]].values.tolist()
        == [["analysis", "2021Q1..2021Q4", "en,zh", "csv,md,parquet"]] * 2
    )
    with Warehouse.open(warehouse, read_only=True) as wh:
        assert set(runs["snapshot"]) == {data_snapshot(wh).digest}
    quarter = str(Quarter.of(datetime.now(UTC).date()))
    rows = {"en": "joint analyses", "zh": "联合分析"}
    for lang, label in rows.items():
        page = tmp_path / f"play.{lang}.html"
        code, _, stderr = run(
            "report", "state-of-play", "--quarter", quarter, "--lang", lang, "--out", page, "-w", warehouse,
            "--db", db,
        )  # fmt: skip
        assert code == 0, stderr
        # the row of the analyses: its label, then the runs of the quarter and of the year to date
        row = re.search(
            rf"<tr>\s*<td class=\"l\">{label}</td>(.*?)</tr>", page.read_text(encoding="utf-8"), re.S
        )
        assert row is not None, lang
        assert re.findall(r'data-v="([^"]+)"', row.group(1)) == ["2", "2"], lang
