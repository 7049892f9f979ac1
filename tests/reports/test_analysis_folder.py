from __future__ import annotations

from pathlib import Path

import ibis
import pandas as pd
import pytest

from iprisk.analysis import Analysis, analyse
from iprisk.reports import SIGNAL_FILE_COLUMNS, write_analysis
from tests.analysis.worlds import canonical_lines, make_world, trade_table


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    world = make_world(7, n_cells=80, n_quarters=12, planted=1)
    return analyse(ibis.memtable(canonical_lines(world)), ibis.memtable(trade_table(world)))


def test_tables_charts_and_a_summary_per_language(analysis: Analysis, tmp_path: Path) -> None:
    written = write_analysis(analysis, tmp_path)
    names = {p.name for p in written}
    assert {"signals.csv", "trends.parquet", "summary.md", "summary.zh.md"} <= names
    assert {"trend_transport_mode.png", "trend_transport_mode.zh.png", "offices_pareto.zh.png"} <= names
    assert all(p.is_file() for p in written)
    assert (tmp_path / "signals.zh.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    signals = pd.read_csv(tmp_path / "signals.csv", keep_default_na=False)
    assert list(signals.columns) == list(SIGNAL_FILE_COLUMNS) and len(signals) == len(analysis.signals)
    zh = (tmp_path / "summary.zh.md").read_text(encoding="utf-8")
    assert "](trend_transport_mode.zh.png)" in zh and "](trend_transport_mode.png)" not in zh


def test_one_language_and_a_chart_that_fails(
    analysis: Analysis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import altair as alt

    def broken(self: object, *args: object, **kwargs: object) -> None:
        raise RuntimeError("no renderer")

    monkeypatch.setattr(alt.TopLevelMixin, "save", broken)
    warnings: list[str] = []
    written = write_analysis(analysis, tmp_path, locales=["zh-CN"], warn=warnings.append)
    names = {p.name for p in written}
    assert "summary.zh.md" in names and "summary.md" not in names
    assert warnings and all("not rendered: no renderer" in w for w in warnings)
    assert len(warnings) == 4  # every chart failed; the tables and the summary were still written
    assert "![" not in (tmp_path / "summary.zh.md").read_text(encoding="utf-8")
