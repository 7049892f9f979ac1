"""Charts drawn ahead and kept: the store draws a chart once, the warmer draws a new analysis' charts in the
background, a page then only reads them, and charts of a replaced analysis are removed."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iprisk.accounts import Role
from iprisk.i18n import format_number
from iprisk.web.dashboard import charts
from iprisk.web.dashboard.chart_store import ChartStore, chart_key, prune
from iprisk.web.dashboard.numbers import table_number
from iprisk.web.dashboard.prerender import Warmer
from tests.web.conftest import LiveNode
from tests.web.dashboard.conftest import login


def test_a_chart_is_drawn_once_then_read(tmp_path: Path) -> None:
    store, calls = ChartStore(tmp_path), []

    def draw() -> str:
        calls.append(1)
        return "<svg>one</svg>"

    key = chart_key("test", [[1, 2]], "en")
    assert store.get(key, draw) == "<svg>one</svg>"
    assert ChartStore(tmp_path).get(key, draw) == "<svg>one</svg>"  # another process' store reads the file
    assert len(calls) == 1 and store.has(key)
    assert chart_key("test", [[1, 3]], "en") != key  # other rows, another chart
    assert store.get(chart_key("empty"), lambda: None) is None  # nothing to draw: kept as nothing
    assert ChartStore(tmp_path).get(chart_key("empty"), draw) is None


def test_prune_removes_the_charts_of_a_replaced_analysis(tmp_path: Path) -> None:
    store = ChartStore(tmp_path)
    old, asked, recent = chart_key("old"), chart_key("asked"), chart_key("recent")
    for key in (old, asked, recent):
        store.get(key, lambda: "<svg/>")
    stamp = time.time()
    for key, age in ((old, -60), (asked, -60), (recent, 60)):  # recent: drawn after the analysis
        os.utime(tmp_path / "dashboard-charts" / f"{key}.svg", (stamp + age, stamp + age))
    assert prune(store, {asked}, older_than=stamp) == 1
    assert not store.has(old) and store.has(asked) and store.has(recent)


@given(st.floats(min_value=-1e12, max_value=1e12), st.sampled_from(["en", "zh"]), st.sampled_from([0, 1, 3]))
def test_table_numbers_are_written_as_babel_writes_them(value: float, locale: str, decimals: int) -> None:
    assert table_number(value, locale, decimals) == format_number(value, locale, decimals=decimals)


def _wait(warmer: Warmer, runs: int) -> None:
    deadline = time.monotonic() + 120
    while len(warmer.runs) < runs:
        assert time.monotonic() < deadline, "the warmer did not run"
        time.sleep(0.05)


def test_the_warmer_draws_a_new_analysis_and_pages_only_read(
    dash: LiveNode, analysis_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "analysis"
    folder.mkdir()
    shutil.copy(analysis_folder / "signals.csv", folder)  # one table: the signals chart in both languages
    dash.node.settings.analysis_folder = folder
    warmer = Warmer(dash.node, poll_seconds=0.05).start()
    try:
        _wait(warmer, 1)
        assert warmer.runs[0].drawn == 2
        later = time.time() + 5  # iprisk analyse --out writes the folder again, with the same signals
        os.utime(folder / "signals.csv", (later, later))
        _wait(warmer, 2)
        assert (warmer.runs[1].drawn, warmer.runs[1].kept) == (0, 2)
    finally:
        warmer.stop()

    def no_drawing(spec: object) -> str:
        raise AssertionError("a page drew a chart")

    monkeypatch.setattr(charts, "_vega_svg", no_drawing)
    client = login(dash, Role.ANALYST)
    for lang in ("en", "zh"):
        page = client.get(f"/ui/signals?lang={lang}")
        assert page.status_code == 200 and 'role="img"' in page.text
    header = (folder / "signals.csv").read_text(encoding="utf-8").splitlines()[0]
    (folder / "signals.csv").write_text(header + "\n", encoding="utf-8")  # a new analysis: no signal
    newer = later + 5
    os.utime(folder / "signals.csv", (newer, newer))
    assert 'role="img"' not in client.get("/ui/signals").text  # the new table, not the one kept
